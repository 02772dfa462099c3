/*
 * ap_fs.h — file-system helpers the host needs in several places.
 */
#ifndef AP_FS_H
#define AP_FS_H

#include <sys/types.h>

/** Creates `dir` and any missing parents with `mode` (like mkdir -p);
 *  existing folders are left as they are. Returns 0, or -1 with errno set. */
int ap_mkdir_p(const char *dir, mode_t mode);

/** Creates the folder that will hold `file` (its dirname), as ap_mkdir_p. */
int ap_mkdir_parent(const char *file, mode_t mode);

#endif /* AP_FS_H */

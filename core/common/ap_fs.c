/* ap_fs.c — see ap_fs.h. */
#include "ap_fs.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int ap_mkdir_p(const char *dir, mode_t mode)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, mode) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return (mkdir(buf, mode) == 0 || errno == EEXIST) ? 0 : -1;
}

int ap_mkdir_parent(const char *file, mode_t mode)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", file) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return ap_mkdir_p(dirname(buf), mode);
}

/*
 * plugin_load.c — from a file name to a checked descriptor: file safety,
 * dlopen, entry point, ABI version.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin_internal.h"

/* A plugin runs with the daemon's rights: anyone who can replace the file, or
 * drop another file into its folder, owns the daemon. So both must belong to
 * root or to us and be writable by nobody else. */
static int check_not_shared(const char *path, bool want_dir, char *why, size_t len)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(why, len, "%s: cannot be read (%s)", path, strerror(errno));
        return -1;
    }
    if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
        snprintf(why, len, "%s: not a %s", path, want_dir ? "folder" : "regular file");
        return -1;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        snprintf(why, len, "%s: writable by group or others (mode %03o); refusing to load from it",
                 path, (unsigned)(st.st_mode & 0777));
        return -1;
    }
    if (st.st_uid != 0 && st.st_uid != geteuid()) {
        snprintf(why, len, "%s: owned by uid %u, neither root nor the daemon's user; refusing to load it",
                 path, (unsigned)st.st_uid);
        return -1;
    }
    return 0;
}

static bool valid_plugin_name(const char *name)
{
    if (!name || !*name || strlen(name) > 64)
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
            return false;
    return true;
}

/* Copies only the bytes the plugin says it filled; the rest stays zero, which
 * reads as "absent" for members a newer minor appended. */
static int check_descriptor(const ap_plugin_descriptor *raw, ap_plugin_descriptor *out,
                            char *why, size_t len)
{
    if (!raw) {
        snprintf(why, len, "entry point returned no descriptor");
        return -1;
    }
    if (raw->abi.abi_major != AP_ABI_MAJOR) {
        snprintf(why, len, "ABI major %u, host speaks %u", (unsigned)raw->abi.abi_major,
                 (unsigned)AP_ABI_MAJOR);
        return -1;
    }
    if (raw->abi.abi_minor > AP_ABI_MINOR) {
        snprintf(why, len, "ABI %u.%u is newer than the host's %u.%u", (unsigned)raw->abi.abi_major,
                 (unsigned)raw->abi.abi_minor, (unsigned)AP_ABI_MAJOR, (unsigned)AP_ABI_MINOR);
        return -1;
    }
    size_t min_size = sizeof(ap_plugin_descriptor); /* 1.0 defines every member we have */
    if (raw->abi.struct_size < min_size) {
        snprintf(why, len, "descriptor size %u is smaller than ABI 1.0's %zu",
                 (unsigned)raw->abi.struct_size, min_size);
        return -1;
    }
    memset(out, 0, sizeof *out);
    memcpy(out, raw, sizeof *out);
    if (!out->name || !out->version || !out->actions || !out->open || !out->validate ||
        !out->sync_metadata || !out->preview || !out->execute || !out->rollback ||
        !out->read_record) {
        snprintf(why, len, "descriptor lacks a required member (name, version, actions or an operation)");
        return -1;
    }
    return 0;
}

ap_loaded_plugin *ap_plugin_load_file(const char *dir, const char *name, char *why, size_t len)
{
    if (!valid_plugin_name(name)) {
        snprintf(why, len, "plugin name '%s' must be 1-64 characters of [a-z0-9_-]", name ? name : "");
        return NULL;
    }
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s.so", dir, name) >= (int)sizeof path) {
        snprintf(why, len, "plugin path too long");
        return NULL;
    }
    if (check_not_shared(dir, true, why, len) != 0 || check_not_shared(path, false, why, len) != 0)
        return NULL;

    dlerror();
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *e = dlerror();
        snprintf(why, len, "%s: dlopen failed: %s", path, e ? e : "unknown error");
        return NULL;
    }
    ap_plugin_entry_fn entry;
    void *sym = dlsym(handle, AP_PLUGIN_ENTRY_SYMBOL);
    if (!sym) {
        snprintf(why, len, "%s: no exported symbol %s", path, AP_PLUGIN_ENTRY_SYMBOL);
        return NULL; /* left mapped: unloading a half-checked object gains nothing */
    }
    memcpy(&entry, &sym, sizeof entry); /* object pointer to function pointer, as POSIX allows */

    ap_loaded_plugin *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(why, len, "out of memory");
        return NULL;
    }
    char desc_why[256];
    if (check_descriptor(entry(ap_plugin_services()), &p->desc, desc_why, sizeof desc_why) != 0) {
        snprintf(why, len, "%s: %s", path, desc_why);
        free(p);
        return NULL;
    }
    p->name = strdup(name);
    p->path = strdup(path);
    p->handle = handle;
    if (!p->name || !p->path) {
        ap_loaded_plugin_free(p);
        snprintf(why, len, "out of memory");
        return NULL;
    }
    return p;
}

void ap_loaded_plugin_free(ap_loaded_plugin *p)
{
    if (!p)
        return;
    free(p->name);
    free(p->path);
    free(p);
}

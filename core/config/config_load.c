/* config_load.c — ap_config_load: the main file, then the overrides and the
 * active environment's overlay, then the checks that need all of them. */
#include "config.h"

#include "config_internal.h"
#include "ini_file.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Overrides are not in a file; their messages name this instead. */
#define OVERRIDE_SOURCE "<override>"

static void set_error(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_error(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* True when nothing exists at `path` (a missing overlay is no error). */
static bool path_is_absent(const char *path)
{
    struct stat st;
    return stat(path, &st) != 0 && (errno == ENOENT || errno == ENOTDIR);
}

/* A config with the documented defaults, before any file is read. */
static ap_config *config_new(const char *path)
{
    ap_config *cfg = calloc(1, sizeof *cfg);
    if (!cfg)
        return NULL;
    cfg->config_path = strdup(path);
    cfg->config_dir = config_dirname(path);
    cfg->listen_host = strdup("127.0.0.1");
    cfg->listen_port = 8080;
    cfg->environment = AP_ENV_SIMULATION;
    cfg->production_enabled = false;
    if (!cfg->config_path || !cfg->config_dir || !cfg->listen_host) {
        ap_config_free(cfg);
        return NULL;
    }
    return cfg;
}

/* Reads and applies environments/<active>.ini when it exists. */
static int apply_overlay(ap_config *cfg, char *err, size_t errlen)
{
    char *path = config_overlay_path(cfg, cfg->environment);
    if (!path) {
        ap_ini_error(err, errlen, cfg->config_path, 0, "out of memory");
        return -1;
    }
    if (path_is_absent(path)) {
        free(path);
        return 0;
    }
    cfg->overlay_path = path;
    return config_read_overlay(cfg, cfg, path, err, errlen);
}

static int apply_late_overrides(ap_config *cfg, const ap_config_overrides *ov,
                                char *err, size_t errlen)
{
    if (ov->listen) {
        char msg[AP_INI_MSG_LEN];
        char *host;
        int port;
        if (config_parse_listen(ov->listen, &host, &port, msg, sizeof msg) != 0) {
            set_error(err, errlen, OVERRIDE_SOURCE ": %s", msg);
            return -1;
        }
        free(cfg->listen_host);
        cfg->listen_host = host;
        cfg->listen_port = port;
    }
    if (ov->store_path) {
        if (ov->store_path[0] == '\0') {
            set_error(err, errlen, OVERRIDE_SOURCE ": the store path is empty");
            return -1;
        }
        char *copy = strdup(ov->store_path);
        if (!copy) {
            set_error(err, errlen, OVERRIDE_SOURCE ": out of memory");
            return -1;
        }
        free(cfg->store_path);
        cfg->store_path = copy;
    }
    return 0;
}

/* Every connector must name a plugin for the environment the daemon runs in;
 * reported on the connector's section header in the main file. */
static int check_bindings(const ap_config *cfg, const int *connector_lines,
                          char *err, size_t errlen)
{
    const char *env = ap_env_name(cfg->environment);
    for (size_t i = 0; i < cfg->n_connectors; i++) {
        if (cfg->connectors[i].plugin[cfg->environment])
            continue;
        ap_ini_error(err, errlen, cfg->config_path, connector_lines[i],
                     "connector '%s' binds no plugin for the active environment "
                     "'%s' (add plugin.%s = PLUGIN)",
                     cfg->connectors[i].name, env, env);
        return -1;
    }
    return 0;
}

int ap_config_load(const char *path, const ap_config_overrides *ov,
                   ap_config **out, char *err, size_t errlen)
{
    static const ap_config_overrides no_overrides = {0};
    if (err && errlen)
        err[0] = '\0';
    if (!out)
        return -1;
    *out = NULL;
    if (!path || !path[0]) {
        set_error(err, errlen, "(none):0: no config file given");
        return -1;
    }
    if (!ov)
        ov = &no_overrides;
    ap_config *cfg = config_new(path);
    if (!cfg) {
        set_error(err, errlen, "%s:0: out of memory", path);
        return -1;
    }
    int *connector_lines = NULL;
    if (config_read_main(cfg, &connector_lines, err, errlen) != 0)
        goto fail;
    if (ov->environment && !ap_env_parse(ov->environment, &cfg->environment)) {
        set_error(err, errlen,
                  OVERRIDE_SOURCE ": unknown environment '%s' (expected simulation, "
                  "sandbox or production)", ov->environment);
        goto fail;
    }
    if (apply_overlay(cfg, err, errlen) != 0 ||
        apply_late_overrides(cfg, ov, err, errlen) != 0 ||
        check_bindings(cfg, connector_lines, err, errlen) != 0)
        goto fail;
    free(connector_lines);
    *out = cfg;
    return 0;
fail:
    free(connector_lines);
    ap_config_free(cfg);
    return -1;
}

int ap_config_check_overlays(const ap_config *cfg, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    for (int env = 0; env < AP_ENV_COUNT; env++) {
        char *path = config_overlay_path(cfg, (ap_env)env);
        if (!path) {
            ap_ini_error(err, errlen, cfg->config_path, 0, "out of memory");
            return -1;
        }
        int rc = path_is_absent(path) ? 0 : config_read_overlay(cfg, NULL, path, err, errlen);
        free(path);
        if (rc != 0)
            return -1;
    }
    return 0;
}

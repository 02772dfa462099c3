/*
 * apctl_local.c — the verbs that open the store directly: token create and
 * audit verify. They work with the daemon running (SQLite WAL) or stopped.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "apctl.h"
#include "common/ap_fs.h"
#include "config/config.h"
#include "store/store.h"

/* The store path: --store / ACTIONPLANE_STORE, else the config's. */
static int store_path(const apctl_opts *o, char *out, size_t len)
{
    if (o->store) {
        snprintf(out, len, "%s", o->store);
        return 0;
    }
    ap_config *cfg = NULL;
    char msg[1024];
    if (ap_config_load(o->config, NULL, &cfg, msg, sizeof msg) != 0) {
        fprintf(stderr, "%s\n", msg);
        return -1;
    }
    snprintf(out, len, "%s", cfg->store_path);
    ap_config_free(cfg);
    return 0;
}

int apctl_open_store(const apctl_opts *o, ap_store **store)
{
    char path[4096];
    if (store_path(o, path, sizeof path) != 0)
        return -1;
    if (ap_mkdir_parent(path, 0700) != 0) { /* as the daemon does */
        fprintf(stderr, "apctl: cannot create the folder of %s: %s\n", path, strerror(errno));
        return -1;
    }
    ap_err err = AP_ERR_INIT;
    if (ap_store_open(path, store, &err) != 0) {
        fprintf(stderr, "apctl: store %s: %s\n", path, err.message);
        ap_err_clear(&err);
        return -1;
    }
    return 0;
}

int apctl_token(const apctl_opts *o, int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "create") != 0) {
        fprintf(stderr, "apctl: usage: apctl token create --workspace W --principal P --role ROLE\n");
        return 2;
    }
    const char *ws = apctl_flag(argc, argv, "--workspace");
    const char *who = apctl_flag(argc, argv, "--principal");
    const char *role_name = apctl_flag(argc, argv, "--role");
    ap_role role;
    if (!ws || !who || !role_name) {
        fprintf(stderr, "apctl: token create needs --workspace, --principal and --role\n");
        return 2;
    }
    if (!ap_role_parse(role_name, &role)) {
        fprintf(stderr, "apctl: unknown role '%s' (viewer, operator, approver, admin)\n", role_name);
        return 2;
    }
    ap_store *store;
    if (apctl_open_store(o, &store) != 0)
        return 1;
    char token[AP_TOKEN_LEN];
    ap_err err = AP_ERR_INIT;
    int rc = ap_store_token_create(store, ws, who, role, token, &err);
    ap_store_close(store);
    if (rc != 0) {
        fprintf(stderr, "apctl: token create: %s\n", err.message);
        ap_err_clear(&err);
        return 1;
    }
    printf("%s\n", token);
    return 0;
}

int apctl_audit(const apctl_opts *o, int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "verify") != 0) {
        fprintf(stderr, "apctl: usage: apctl audit verify\n");
        return 2;
    }
    ap_store *store;
    if (apctl_open_store(o, &store) != 0)
        return 1;
    ap_audit_report rep;
    ap_err err = AP_ERR_INIT;
    int rc = ap_store_audit_verify(store, &rep, &err);
    ap_store_close(store);
    if (rc != 0) {
        fprintf(stderr, "apctl: audit verify: %s\n", err.message);
        ap_err_clear(&err);
        return 1;
    }
    json_t *out = json_pack("{s:b, s:I, s:s}", "ok", rep.ok, "events", (json_int_t)rep.events,
                            "head", rep.head);
    json_object_set_new(out, "brokenAt", rep.broken_at >= 0 ? json_integer(rep.broken_at)
                                                            : json_null());
    apctl_print_json(out);
    json_decref(out);
    if (!rep.ok)
        fprintf(stderr, "apctl: audit chain broken at event %lld\n", (long long)rep.broken_at);
    return rep.ok ? 0 : 1;
}

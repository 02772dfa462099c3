/*
 * apctl_remote.c — the verbs that call the daemon: runs, simulation reset,
 * connectors list. Each prints the JSON answer on success.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apctl.h"

static int need_token(const apctl_opts *o)
{
    if (o->token)
        return 0;
    fprintf(stderr, "apctl: no token: pass --token or set ACTIONPLANE_TOKEN "
                    "(apctl token create ... makes one)\n");
    return -1;
}

/* One request, printed; exit status 0 only for a 2xx answer. */
static int call_and_print(const apctl_opts *o, const char *what, const char *method,
                          const char *path, const json_t *body, const char *idem)
{
    if (need_token(o) != 0)
        return 1;
    apctl_reply r;
    apctl_request(o, o->token, method, path, body, idem, &r);
    int rc = 0;
    if (r.status >= 200 && r.status < 300) {
        apctl_print_json(r.body);
    } else {
        apctl_print_failure(what, &r);
        rc = 1;
    }
    apctl_reply_free(&r);
    return rc;
}

/* "148000" -> 148000, "null" -> null, "true" -> true, anything else a string,
 * so `--set Amount=148000 --set CloseDate=2026-05-27` does what one means. */
static json_t *value_of(const char *text)
{
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    if (v && (json_is_number(v) || json_is_boolean(v) || json_is_null(v) || json_is_string(v)))
        return v;
    json_decref(v);
    return json_string(text);
}

static json_t *create_body(int argc, char **argv)
{
    const char *file = apctl_flag(argc, argv, "--file");
    if (file) {
        json_error_t je;
        json_t *b = json_load_file(file, JSON_REJECT_DUPLICATES, &je);
        if (!b)
            fprintf(stderr, "apctl: %s:%d: %s\n", file, je.line, je.text);
        return b;
    }
    const char *id = apctl_flag(argc, argv, "--id"), *name = apctl_flag(argc, argv, "--name");
    const char *reason = apctl_flag(argc, argv, "--reason");
    if (!!id == !!name || !reason) {
        fprintf(stderr, "apctl: runs create needs --file, or exactly one of --id/--name, "
                        "--set FIELD=VALUE and --reason\n");
        return NULL;
    }
    json_t *changes = json_object();
    for (int i = 0; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--set") != 0)
            continue;
        const char *eq = strchr(argv[i + 1], '=');
        if (!eq || eq == argv[i + 1]) {
            fprintf(stderr, "apctl: --set wants FIELD=VALUE, got '%s'\n", argv[i + 1]);
            json_decref(changes);
            return NULL;
        }
        char field[256];
        snprintf(field, sizeof field, "%.*s", (int)(eq - argv[i + 1]), argv[i + 1]);
        json_object_set_new(changes, field, value_of(eq + 1));
    }
    const char *connector = apctl_flag(argc, argv, "--connector");
    const char *action = apctl_flag(argc, argv, "--action");
    const char *object = apctl_flag(argc, argv, "--object");
    json_t *target = json_pack("{s:s}", "object", object ? object : "Opportunity");
    json_object_set_new(target, id ? "id" : "name", json_string(id ? id : name));
    return json_pack("{s:s, s:s, s:o, s:o, s:s, s:b}", "connector",
                     connector ? connector : "salesforce-crm", "action",
                     action ? action : "salesforce.update-opportunity", "target", target,
                     "changes", changes, "reason", reason, "dryRun",
                     apctl_has(argc, argv, "--dry-run"));
}

static int runs_list(const apctl_opts *o, int argc, char **argv)
{
    char path[1024] = "/api/runs?";
    static const char *const params[] = {"--state", "--limit", "--cursor", NULL};
    for (const char *const *p = params; *p; p++) {
        const char *v = apctl_flag(argc, argv, *p);
        if (v)
            snprintf(path + strlen(path), sizeof path - strlen(path), "%s=%s&", *p + 2, v);
    }
    if (apctl_has(argc, argv, "--archived"))
        snprintf(path + strlen(path), sizeof path - strlen(path), "archived=true&");
    path[strlen(path) - 1] = '\0';
    return call_and_print(o, "runs list", "GET", path, NULL, NULL);
}

int apctl_runs(const apctl_opts *o, int argc, char **argv)
{
    if (argc < 1) {
        fprintf(stderr, "apctl: runs needs a sub-verb (create, list, show, approve, reject, "
                        "execute, rollback)\n");
        return 2;
    }
    const char *sub = argv[0];
    if (strcmp(sub, "create") == 0) {
        json_t *body = create_body(argc - 1, argv + 1);
        if (!body)
            return 2;
        int rc = call_and_print(o, "runs create", "POST", "/api/runs", body,
                                apctl_flag(argc - 1, argv + 1, "--idempotency-key"));
        json_decref(body);
        return rc;
    }
    if (strcmp(sub, "list") == 0)
        return runs_list(o, argc - 1, argv + 1);
    static const char *const with_id[] = {"show", "approve", "reject", "execute", "rollback", NULL};
    for (const char *const *w = with_id; *w; w++) {
        if (strcmp(sub, *w) != 0)
            continue;
        if (argc < 2 || strncmp(argv[1], "--", 2) == 0) {
            fprintf(stderr, "apctl: runs %s needs a run id\n", sub);
            return 2;
        }
        char path[512], what[64];
        snprintf(what, sizeof what, "runs %s", sub);
        if (strcmp(sub, "show") == 0) {
            snprintf(path, sizeof path, "/api/runs/%s", argv[1]);
            return call_and_print(o, what, "GET", path, NULL, NULL);
        }
        snprintf(path, sizeof path, "/api/runs/%s/%s", argv[1], sub);
        json_t *body = NULL;
        const char *comment = apctl_flag(argc, argv, "--comment");
        if (comment)
            body = json_pack("{s:s}", "comment", comment);
        if (strcmp(sub, "rollback") == 0 && apctl_has(argc, argv, "--force")) {
            const char *reason = apctl_flag(argc, argv, "--reason");
            body = json_pack("{s:b, s:s?}", "force", 1, "reason", reason);
        }
        int rc = call_and_print(o, what, "POST", path, body, NULL);
        json_decref(body);
        return rc;
    }
    fprintf(stderr, "apctl: unknown runs sub-verb '%s'\n", sub);
    return 2;
}

int apctl_simulation(const apctl_opts *o, int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "reset") != 0) {
        fprintf(stderr, "apctl: usage: apctl simulation reset\n");
        return 2;
    }
    return call_and_print(o, "simulation reset", "POST", "/api/simulation/reset", NULL, NULL);
}

int apctl_connectors(const apctl_opts *o, int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "list") != 0) {
        fprintf(stderr, "apctl: usage: apctl connectors list\n");
        return 2;
    }
    return call_and_print(o, "connectors list", "GET", "/api/connectors", NULL, NULL);
}

/*
 * apctl — the ActionPlane operator CLI.
 *
 *   apctl [--url URL] [--token TOKEN] [--config FILE] [--store PATH] VERB ...
 *
 * Remote verbs talk to the daemon over HTTP; `token create` and
 * `audit verify` open the store named by the config directly.
 * Exit status 0 on success; otherwise a one-line reason on stderr.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apctl.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: apctl [--url URL] [--token TOKEN] [--config FILE] [--store PATH] VERB ...\n"
        "local verbs (open the store of --config):\n"
        "  token create --workspace W --principal P --role viewer|operator|approver|admin\n"
        "  audit verify\n"
        "remote verbs (ACTIONPLANE_URL, ACTIONPLANE_TOKEN):\n"
        "  runs create [--file BODY.json | --id ID | --name NAME] [--set FIELD=VALUE ...]\n"
        "              [--connector C] [--action A] [--object O] --reason TEXT [--dry-run]\n"
        "              [--idempotency-key K]\n"
        "  runs list [--state S] [--limit N] [--cursor C] [--archived]\n"
        "  runs show ID | approve ID [--comment C] | reject ID [--comment C]\n"
        "  runs execute ID | rollback ID [--force --reason TEXT]\n"
        "  simulation reset\n"
        "  connectors list\n"
        "  demo [--approver-token TOKEN]   walk the Northwind story step by step\n");
}

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

int main(int argc, char **argv)
{
    apctl_opts o = {
        .url = env_or("ACTIONPLANE_URL", "http://127.0.0.1:8080"),
        .token = env_or("ACTIONPLANE_TOKEN", NULL),
        .config = env_or("ACTIONPLANE_CONFIG", "config/actionplane.ini"),
        .store = env_or("ACTIONPLANE_STORE", NULL),
    };
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "apctl: %s needs a value\n", argv[i]);
            return 2;
        }
        if (strcmp(argv[i], "--url") == 0)
            o.url = argv[i + 1];
        else if (strcmp(argv[i], "--token") == 0)
            o.token = argv[i + 1];
        else if (strcmp(argv[i], "--config") == 0)
            o.config = argv[i + 1];
        else if (strcmp(argv[i], "--store") == 0)
            o.store = argv[i + 1];
        else {
            fprintf(stderr, "apctl: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    /* Trailing slashes would double up with the API paths. */
    static char url[1024];
    snprintf(url, sizeof url, "%s", o.url);
    for (size_t n = strlen(url); n > 0 && url[n - 1] == '/'; n--)
        url[n - 1] = '\0';
    o.url = url;

    const char *verb = argv[i];
    int sub_argc = argc - i - 1;
    char **sub_argv = argv + i + 1;
    static const struct {
        const char *name;
        int (*fn)(const apctl_opts *, int, char **);
    } verbs[] = {
        {"runs", apctl_runs},   {"simulation", apctl_simulation}, {"connectors", apctl_connectors},
        {"token", apctl_token}, {"audit", apctl_audit},           {"demo", apctl_demo},
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = -1;
    for (size_t v = 0; v < sizeof verbs / sizeof verbs[0]; v++)
        if (strcmp(verb, verbs[v].name) == 0)
            rc = verbs[v].fn(&o, sub_argc, sub_argv);
    if (rc == -1) {
        fprintf(stderr, "apctl: unknown verb '%s' (try apctl --help)\n", verb);
        rc = 2;
    }
    curl_global_cleanup();
    return rc;
}

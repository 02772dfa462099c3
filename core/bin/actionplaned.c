/*
 * actionplaned — the ActionPlane host daemon.
 *
 *   actionplaned --config FILE [--env NAME] [--listen HOST:PORT] [--store PATH]
 *                [--check-config | --list-plugins]
 *
 * The top level: it owns the process-wide pieces (the log sink, signals)
 * and wires config -> store -> plugins -> policy -> runs -> http. Signals are
 * blocked in every thread and taken synchronously here with sigwait, so no
 * handler runs in an arbitrary thread: SIGTERM/SIGINT stop (in-flight
 * requests finish), SIGHUP reloads the policy (a bad file keeps the old one).
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ap_fs.h"
#include "common/ap_time.h"
#include "config/config.h"
#include "http/http.h"
#include "plugins/plugin_host.h"
#include "policy/policy.h"
#include "runs/runs.h"
#include "store/store.h"

#define AP_VERSION "0.1.0"
#define EXIT_CONFIG 2

/* The daemon's log sink: one line per call on stderr, whole lines only. */
typedef struct log_sink {
    pthread_mutex_t lock;
} log_sink;

static void write_log(void *ctx, ap_log_level level, const char *line)
{
    log_sink *s = ctx;
    char at[AP_TIME_LEN];
    ap_format_time(ap_now_ms(), at, sizeof at);
    pthread_mutex_lock(&s->lock);
    fprintf(stderr, "%s %-5s %s\n", at, ap_log_level_name(level), line);
    fflush(stderr);
    pthread_mutex_unlock(&s->lock);
}

typedef struct options {
    const char *config;
    const char *env;
    const char *listen;
    const char *store;
    int check_config;
    int list_plugins;
} options;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: actionplaned --config FILE [--env simulation|sandbox|production]\n"
            "                    [--listen HOST:PORT] [--store PATH] [--check-config | --list-plugins]\n"
            "  --config FILE    main config (actionplane.ini)\n"
            "  --env NAME       active environment (beats ACTIONPLANE_ENV and the file)\n"
            "  --listen H:P     address to serve on (port 0 picks a free one)\n"
            "  --store PATH     SQLite store (beats ACTIONPLANE_STORE and the file)\n"
            "  --check-config   validate every config and policy file, then exit (2 on error)\n"
            "  --list-plugins   load each plugin of the plugin folder, describe it, exit\n");
}

static int parse_args(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = strcmp(a, "--config") == 0   ? &o->config
                            : strcmp(a, "--env") == 0    ? &o->env
                            : strcmp(a, "--listen") == 0 ? &o->listen
                            : strcmp(a, "--store") == 0  ? &o->store
                                                         : NULL;
        if (slot) {
            if (i + 1 >= argc) {
                fprintf(stderr, "actionplaned: %s needs a value\n", a);
                return -1;
            }
            *slot = argv[++i];
        } else if (strcmp(a, "--check-config") == 0) {
            o->check_config = 1;
        } else if (strcmp(a, "--list-plugins") == 0) {
            o->list_plugins = 1;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "--version") == 0) {
            printf("actionplaned %s (plugin ABI %d.%d)\n", AP_VERSION, AP_ABI_MAJOR, AP_ABI_MINOR);
            exit(0);
        } else {
            fprintf(stderr, "actionplaned: unknown argument '%s'\n", a);
            return -1;
        }
    }
    if (!o->config) {
        fprintf(stderr, "actionplaned: --config FILE is required\n");
        return -1;
    }
    return 0;
}

/* The folder next to the store where connectors keep private files. */
static void data_root_for(const char *store_path, char *out, size_t len)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", store_path);
    snprintf(out, len, "%s/connectors", dirname(buf));
}

static int list_plugins(const ap_config *cfg)
{
    DIR *d = opendir(cfg->plugin_dir);
    if (!d) {
        fprintf(stderr, "actionplaned: cannot open plugin folder %s: %s\n", cfg->plugin_dir,
                strerror(errno));
        return 1;
    }
    int failures = 0;
    struct dirent *e;
    json_t *names = json_array();
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n > 3 && strcmp(e->d_name + n - 3, ".so") == 0)
            json_array_append_new(names, json_stringn(e->d_name, n - 3));
    }
    closedir(d);
    size_t i;
    json_t *name;
    json_array_foreach(names, i, name) {
        char why[768];
        json_t *info = ap_plugin_probe(cfg->plugin_dir, json_string_value(name), why, sizeof why);
        if (!info) {
            printf("%s: refused: %s\n", json_string_value(name), why);
            failures++;
            continue;
        }
        printf("%s %s (ABI %s)\n", json_string_value(json_object_get(info, "name")),
               json_string_value(json_object_get(info, "version")),
               json_string_value(json_object_get(info, "abiVersion")));
        printf("  file:    %s\n", json_string_value(json_object_get(info, "file")));
        size_t k;
        json_t *v;
        printf("  actions:");
        json_array_foreach(json_object_get(info, "actions"), k, v)
            printf(" %s", json_string_value(v));
        printf("\n  settings:");
        json_array_foreach(json_object_get(info, "settings"), k, v)
            printf(" %s%s", json_string_value(json_object_get(v, "name")),
                   json_is_true(json_object_get(v, "secret")) ? "(secret)" : "");
        printf("\n");
        json_decref(info);
    }
    json_decref(names);
    return failures ? 1 : 0;
}

static void reload_policy(ap_runs *runs, const ap_config *cfg, const ap_logger *log)
{
    ap_policy *p = NULL;
    char err[1024];
    if (ap_policy_load(cfg->policy_path, &p, err, sizeof err) != 0) {
        ap_logf(log, AP_LOG_ERROR, "SIGHUP: policy not reloaded, keeping the old one: %s", err);
        return;
    }
    size_t n = ap_policy_rule_count(p);
    ap_runs_swap_policy(runs, p);
    ap_logf(log, AP_LOG_INFO, "SIGHUP: policy reloaded from %s (%zu rules)", cfg->policy_path, n);
}

int main(int argc, char **argv)
{
    options o;
    if (parse_args(argc, argv, &o) != 0) {
        usage(stderr);
        return EXIT_CONFIG;
    }
    log_sink sink = {.lock = PTHREAD_MUTEX_INITIALIZER};
    ap_logger log = {.sink = write_log, .ctx = &sink};

    /* Block the signals we handle before any thread exists, so every thread
     * inherits the mask and only sigwait below sees them. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    ap_config_overrides ov = {
        .environment = o.env ? o.env : getenv("ACTIONPLANE_ENV"),
        .listen = o.listen,
        .store_path = o.store ? o.store : getenv("ACTIONPLANE_STORE"),
    };
    if (ov.environment && !*ov.environment)
        ov.environment = NULL;
    if (ov.store_path && !*ov.store_path)
        ov.store_path = NULL;
    char msg[1024];
    ap_config *cfg = NULL;
    if (ap_config_load(o.config, &ov, &cfg, msg, sizeof msg) != 0) {
        fprintf(stderr, "%s\n", msg);
        return EXIT_CONFIG;
    }
    if (o.list_plugins) {
        int rc = list_plugins(cfg);
        ap_config_free(cfg);
        return rc;
    }
    ap_policy *policy = NULL;
    if (ap_policy_load(cfg->policy_path, &policy, msg, sizeof msg) != 0) {
        fprintf(stderr, "%s\n", msg);
        ap_config_free(cfg);
        return EXIT_CONFIG;
    }
    if (ap_mkdir_parent(cfg->store_path, 0700) != 0) {
        fprintf(stderr, "actionplaned: cannot create the folder of store %s: %s\n", cfg->store_path,
                strerror(errno));
        ap_policy_free(policy);
        ap_config_free(cfg);
        return 1;
    }
    char data_root[4096];
    data_root_for(cfg->store_path, data_root, sizeof data_root);
    ap_err err = AP_ERR_INIT;
    ap_plugin_host *plugins = NULL;
    if (ap_plugin_host_load(cfg, data_root, o.check_config ? NULL : &log, &plugins, &err) != 0) {
        fprintf(stderr, "%s\n", err.message);
        ap_err_clear(&err);
        ap_policy_free(policy);
        ap_config_free(cfg);
        return EXIT_CONFIG;
    }
    if (o.check_config) {
        int refused = 0;
        if (ap_config_check_overlays(cfg, msg, sizeof msg) != 0) {
            fprintf(stderr, "%s\n", msg);
            refused++;
        }
        for (size_t i = 0; i < ap_plugin_host_count(plugins); i++) {
            ap_connector *c = ap_plugin_host_at(plugins, i);
            if (!ap_connector_descriptor(c)) {
                fprintf(stderr, "connector %s: plugin %s refused: %s\n", ap_connector_name(c),
                        ap_connector_plugin_name(c), ap_connector_error(c));
                refused++;
            }
        }
        if (!refused)
            printf("configuration ok: %s (environment %s, %zu policy rules, %zu connectors)\n",
                   cfg->config_path, ap_env_name(cfg->environment), ap_policy_rule_count(policy),
                   ap_plugin_host_count(plugins));
        ap_plugin_host_free(plugins);
        ap_policy_free(policy);
        ap_config_free(cfg);
        return refused ? EXIT_CONFIG : 0;
    }

    ap_store *store = NULL;
    ap_runs *runs = NULL;
    ap_http *http = NULL;
    int rc = 1;
    if (ap_store_open(cfg->store_path, &store, &err) != 0) {
        ap_logf(&log, AP_LOG_ERROR, "store %s: %s", cfg->store_path, err.message);
        ap_policy_free(policy);
        goto out;
    }
    for (size_t i = 0; i < ap_plugin_host_count(plugins); i++) {
        ap_connector *c = ap_plugin_host_at(plugins, i);
        const ap_plugin_descriptor *d = ap_connector_descriptor(c);
        if (d && ap_store_connector_record(store, ap_connector_name(c), cfg->environment, d->name,
                                           d->version, &err) != 0) {
            ap_logf(&log, AP_LOG_WARN, "store: cannot record connector %s: %s",
                    ap_connector_name(c), err.message);
            ap_err_clear(&err);
        }
    }
    ap_runs_options ro = {.store = store, .plugins = plugins, .config = cfg, .policy = policy,
                          .log = log};
    if (ap_runs_new(&ro, &runs, &err) != 0) {
        ap_logf(&log, AP_LOG_ERROR, "%s", err.message);
        goto out;
    }
    ap_http_options ho = {.host = cfg->listen_host, .port = cfg->listen_port, .runs = runs,
                          .store = store, .log = log};
    if (ap_http_start(&ho, &http, &err) != 0) {
        ap_logf(&log, AP_LOG_ERROR, "%s", err.message);
        goto out;
    }
    if (cfg->environment == AP_ENV_PRODUCTION && !cfg->production_enabled)
        ap_logf(&log, AP_LOG_WARN, "environment production is disabled by configuration: "
                "reads are served, every write is refused (403 environment_disabled)");
    bool v6 = strchr(cfg->listen_host, ':') != NULL; /* IPv6 literals need brackets in URLs */
    printf("actionplaned %s listening on http://%s%s%s:%d (environment %s, store %s)\n", AP_VERSION,
           v6 ? "[" : "", cfg->listen_host, v6 ? "]" : "", ap_http_port(http),
           ap_env_name(cfg->environment), cfg->store_path);
    printf("get a token: apctl --config %s token create --workspace demo --principal you "
           "--role operator\n", cfg->config_path);
    fflush(stdout);

    for (;;) {
        int sig = 0;
        if (sigwait(&sigs, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            reload_policy(runs, cfg, &log);
            continue;
        }
        ap_logf(&log, AP_LOG_INFO, "%s: finishing requests in flight, then stopping",
                sig == SIGTERM ? "SIGTERM" : "SIGINT");
        break;
    }
    rc = 0;
out:
    ap_err_clear(&err);
    ap_http_stop(http);
    ap_runs_free(runs);
    ap_plugin_host_free(plugins);
    ap_store_close(store);
    ap_config_free(cfg);
    if (rc == 0)
        ap_logf(&log, AP_LOG_INFO, "stopped");
    return rc;
}

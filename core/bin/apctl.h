/*
 * apctl.h — what the files of the apctl CLI share.
 */
#ifndef AP_APCTL_H
#define AP_APCTL_H

#include <jansson.h>
#include <stdbool.h>

/** Global options, resolved from flags and the environment. */
typedef struct apctl_opts {
    const char *url;    /**< --url or ACTIONPLANE_URL (default http://127.0.0.1:8080) */
    const char *token;  /**< --token or ACTIONPLANE_TOKEN */
    const char *config; /**< --config or ACTIONPLANE_CONFIG (default config/actionplane.ini) */
    const char *store;  /**< --store or ACTIONPLANE_STORE */
} apctl_opts;

/** One HTTP exchange's outcome. */
typedef struct apctl_reply {
    long status;  /**< HTTP status, 0 when the daemon could not be reached */
    json_t *body; /**< parsed body or NULL; owned */
    char transport_error[256];
} apctl_reply;

/** Sends `method path` with an optional JSON body (borrowed) and bearer
 *  token. Returns 0 when an HTTP answer came back (any status). */
int apctl_request(const apctl_opts *o, const char *token, const char *method, const char *path,
                  const json_t *body, const char *idempotency_key, apctl_reply *out);

/** Frees the reply's body. */
void apctl_reply_free(apctl_reply *r);

/** Prints "apctl: STATUS code: message" for a failed reply on stderr. */
void apctl_print_failure(const char *what, const apctl_reply *r);

/** Verbs. Each returns the process exit status. argv starts after the verb. */
int apctl_runs(const apctl_opts *o, int argc, char **argv);
int apctl_simulation(const apctl_opts *o, int argc, char **argv);
int apctl_connectors(const apctl_opts *o, int argc, char **argv);
int apctl_token(const apctl_opts *o, int argc, char **argv);
int apctl_audit(const apctl_opts *o, int argc, char **argv);
int apctl_demo(const apctl_opts *o, int argc, char **argv);

/** Finds "--name VALUE" in argv; NULL when absent. */
const char *apctl_flag(int argc, char **argv, const char *name);

/** Whether "--name" is present. */
bool apctl_has(int argc, char **argv, const char *name);

struct ap_store;

/** Opens the store of --store / ACTIONPLANE_STORE, else of the config
 *  (creating its folder). Prints the reason and returns -1 on failure. */
int apctl_open_store(const apctl_opts *o, struct ap_store **store);

/** Prints JSON to stdout, indented. */
void apctl_print_json(const json_t *v);

#endif /* AP_APCTL_H */

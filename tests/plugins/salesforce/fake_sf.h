/*
 * fake_sf.h — starts the fake Salesforce (tests/fake_salesforce/fake_salesforce.py) as a child process
 * for the plugin tests, and talks to its control endpoints over the same TLS path the plugin uses.
 *
 * The child binds a free port and writes a ready file; it dies with the test process (PR_SET_PDEATHSIG,
 * plus the fake's own parent watch), so a crashed test never leaves it behind. fake_sf_stop ends it and
 * removes its temporary folder (test CA included).
 *
 * Paths come from the environment when set (AP_PYTHON, AP_FAKE_SF_SCRIPT, AP_SF_PLUGIN), else from the
 * compile definitions the CMake file passes.
 */
#ifndef FAKE_SF_H
#define FAKE_SF_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

/** One running fake. */
typedef struct fake_sf {
    pid_t pid;
    char dir[256];          /**< its temporary folder */
    char url[128];          /**< the login URL, https://127.0.0.1:PORT */
    char instance_url[128]; /**< what its token answers name as instance_url (https://localhost:PORT) */
    char ca_bundle[320];    /**< the test CA that signed its certificate */
    char other_ca[320];     /**< an unrelated CA */
    char client_id[128];
    bool plain_http;
} fake_sf;

/** The fake's default credentials (fake_salesforce.py DEFAULT_*). */
#define FAKE_SF_CLIENT_SECRET "fake-client-secret-0123456789"
#define FAKE_SF_REFRESH_TOKEN "5Aep861fake.refresh.token"

/** The seeded Northwind opportunity and its values (org.py SEED). */
#define NW_ID "006Hs00001NWRNWIA5"
#define NW_NAME "Northwind renewal FY26"

/** Starts a fake (plain HTTP when `plain_http`). Returns 0, or -1 with a message on stderr. */
int fake_sf_start(fake_sf *f, bool plain_http);

/** Stops the fake (SIGTERM, then SIGKILL after 5 s) and removes its folder. Safe to call twice. */
void fake_sf_stop(fake_sf *f);

/** Calls a control endpoint; `body` is JSON text or NULL. Returns the parsed answer (caller decrefs)
 *  or NULL on any failure. */
json_t *fake_sf_control(const fake_sf *f, const char *method, const char *path, const char *body);

/** Seeded records, no faults, no rules, empty log, tokens revoked. Returns 0 or -1. */
int fake_sf_reset(const fake_sf *f);

/** Empties the request log. Returns 0 or -1. */
int fake_sf_clear_log(const fake_sf *f);

/** Adds a fault (JSON text, see server.py Fault). Returns 0 or -1. */
int fake_sf_fault(const fake_sf *f, const char *fault_json);

/** Revokes every issued token: the next data call answers 401 INVALID_SESSION_ID. Returns 0 or -1. */
int fake_sf_expire_tokens(const fake_sf *f);

/** Adds a validation rule (JSON text {"field", "value", "message"}): writes of that value are refused
 *  with FIELD_CUSTOM_VALIDATION_EXCEPTION. Returns 0 or -1. */
int fake_sf_validation_rule(const fake_sf *f, const char *rule_json);

/** The request log (a JSON array; caller decrefs), or NULL. */
json_t *fake_sf_log(const fake_sf *f);

/** The stored record (caller decrefs), or NULL. */
json_t *fake_sf_record(const fake_sf *f, const char *id);

/** An out-of-band edit by a person: `fields_json` is a JSON object of values. Returns 0 or -1. */
int fake_sf_edit(const fake_sf *f, const char *id, const char *fields_json);

/** Counts log entries of `kind` ("data", "token", ... or NULL for any) with `method` (or NULL) whose
 *  path contains `path_part` (or NULL). */
size_t fake_sf_count(const json_t *log, const char *kind, const char *method, const char *path_part);

/** Counts PATCH requests in the log, top-level ones and those inside Composite calls. */
size_t fake_sf_count_patches(const json_t *log);

#endif /* FAKE_SF_H */

/*
 * runs_internal.h — what the files of core/runs/ share. Not for use outside.
 */
#ifndef AP_RUNS_INTERNAL_H
#define AP_RUNS_INTERNAL_H

#include <pthread.h>

#include "common/ap_time.h"
#include "run_state.h"
#include "runs.h"

struct ap_runs {
    ap_store *store;
    ap_plugin_host *plugins;
    const ap_config *config;
    ap_env env;
    ap_logger log;
    pthread_rwlock_t policy_lock; /* readers evaluate, SIGHUP swaps */
    ap_policy *policy;
    pthread_mutex_t seed_lock;    /* one workspace seed at a time */
};

/** The string value of `v`, or "" when it is not a string. */
static inline const char *runs_str(const json_t *v)
{
    const char *s = json_string_value(v);
    return s ? s : "";
}

/** `v`, or JSON null when `v` is NULL (for copying optional members). */
static inline json_t *runs_or_null(json_t *v)
{
    return v ? v : json_null();
}

/** Fails with "forbidden" unless `who` has at least `role`. */
int runs_require_role(const ap_principal *who, ap_role role, const char *what, ap_err *err);

/** Fails with "environment_disabled" when the daemon runs in production and
 *  the config does not enable it. */
int runs_require_writable_env(const ap_runs *r, ap_err *err);

/** Loads the run (in the principal's workspace) and parses its state. */
int runs_load(ap_runs *r, const ap_principal *who, const char *run_id, json_t **doc,
              ap_run_state *state, ap_err *err);

/** Sets "invalid_state" for `ev` attempted in `state`, with details. */
void runs_invalid_state(ap_err *err, const char *run_id, ap_run_state state, const char *what,
                        ap_run_state needed);

/** Evaluates the current policy (under the read lock). */
void runs_evaluate_policy(ap_runs *r, const ap_policy_input *in, ap_policy_result *out);

/** A new run id: "run_" + 26 Crockford base32 characters (a ULID: sortable
 *  by creation time, 80 random bits). */
void runs_new_id(char out[32]);

/* ---- one transaction's worth of change ------------------------------- */

#define RUN_TX_MAX 6

/** Collects the artifacts and audit events of one state change, then
 *  commits them with the run document in one store transaction. */
typedef struct run_tx {
    json_t *doc;                       /**< the run document (borrowed) */
    char at[AP_TIME_LEN];              /**< the change's timestamp */
    ap_store_artifact artifacts[RUN_TX_MAX];
    json_t *artifact_bodies[RUN_TX_MAX];
    char artifact_sha[RUN_TX_MAX][AP_SHA256_HEX_LEN];
    size_t n_artifacts;
    ap_store_event events[RUN_TX_MAX];
    json_t *event_data[RUN_TX_MAX];
    size_t n_events;
    bool failed;                       /**< out of memory on the way */
} run_tx;

/** Starts a change of `doc` (may be set later, before the first artifact),
 *  stamping now. */
void run_tx_begin(run_tx *tx, json_t *doc);

/** Adds an artifact (takes the reference to `body`) and lists it in the
 *  doc's "artifacts" with its createdAt and sha256. */
void run_tx_artifact(run_tx *tx, const char *kind, json_t *body);

/** Adds an audit event (takes the reference to `data`, may be NULL). */
void run_tx_event(run_tx *tx, const char *type, const char *actor, json_t *data);

/** Sets doc.state (and updatedAt), commits, frees the tx's references.
 *  `expect` NULL inserts a new run. */
int run_tx_commit(ap_runs *r, run_tx *tx, const char *workspace, ap_run_state new_state,
                  const char *expect, ap_err *err);

/** Frees the tx's references without committing. */
void run_tx_abort(run_tx *tx);

/* ---- creation pieces shared with the simulation baseline ----------- */

/** Creates a run for `who` from `body` (as ap_runs_create); `revision_of`
 *  (may be NULL) links it to the run it revises. */
int runs_create_as(ap_runs *r, const ap_principal *who, const json_t *body,
                   const char *idempotency_key, const char *revision_of, json_t **run_out,
                   ap_err *err);

/** The plugin input common to every call: {workspace, environment}. */
json_t *runs_plugin_input(const ap_runs *r, const char *workspace);

/** Maps a plugin status/error to the run's error object {code, message,
 *  details}. */
json_t *runs_error_object(const ap_err *err);

#endif /* AP_RUNS_INTERNAL_H */

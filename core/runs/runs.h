/*
 * runs.h — governed runs: the one place that orders
 * preview -> policy -> approve -> execute -> rollback.
 *
 * Knows nothing of HTTP or SQL: callers hand it an authenticated principal
 * and plain values; it asks the plugin host for previews and writes, the
 * policy engine for decisions, and commits each state change together with
 * its artifacts and audit event through ap_store_commit (one transaction).
 *
 * Every function returns 0 on success and -1 with `err` set on failure. Error
 * codes are the HTTP contract's (spec/api.md): invalid_request,
 * field_not_allowed, invalid_value, forbidden, separation_of_duties,
 * environment_disabled, not_found, invalid_state, conflict, connector_error,
 * connector_timeout, connector_unavailable, ... The caller maps them to
 * statuses. JSON out-parameters are new references the caller owns.
 *
 * Thread-safe: any function may be called from many threads at once; a run
 * moved by two requests at once is protected by the store's state check.
 */
#ifndef AP_RUNS_H
#define AP_RUNS_H

#include <jansson.h>
#include <stdbool.h>

#include "common/ap_err.h"
#include "common/ap_log.h"
#include "config/config.h"
#include "plugins/plugin_host.h"
#include "policy/policy.h"
#include "store/store.h"

typedef struct ap_runs ap_runs;

/** What the runs engine needs. Borrowed pointers must outlive the engine. */
typedef struct ap_runs_options {
    ap_store *store;           /**< borrowed */
    ap_plugin_host *plugins;   /**< borrowed */
    const ap_config *config;   /**< borrowed; environment and allowlists */
    ap_policy *policy;         /**< owned by the engine from now on */
    ap_logger log;
} ap_runs_options;

/** Makes an engine. On failure the policy is freed too. */
int ap_runs_new(const ap_runs_options *opts, ap_runs **out, ap_err *err);

/** Frees the engine and its policy. NULL is ignored. */
void ap_runs_free(ap_runs *runs);

/** Replaces the policy atomically (requests in flight finish with the old
 *  one). Takes ownership of `policy`. */
void ap_runs_swap_policy(ap_runs *runs, ap_policy *policy);

/** The environment the engine runs in. */
ap_env ap_runs_environment(const ap_runs *runs);

/**
 * Called once per authenticated request: in the simulation environment, a
 * workspace that has never been seeded gets its seeded records and sample
 * baseline now (the same as a reset, done by the system).
 */
int ap_runs_prepare_workspace(ap_runs *runs, const char *workspace, ap_err *err);

/** Creates a run from a request body (spec/api.md "Create body"): checks,
 *  preview, policy, commit. `idempotency_key` may be NULL. */
int ap_runs_create(ap_runs *runs, const ap_principal *who, const json_t *body,
                   const char *idempotency_key, json_t **run_out, ap_err *err);

/** The run document. */
int ap_runs_get(ap_runs *runs, const ap_principal *who, const char *run_id,
                json_t **run_out, ap_err *err);

/** {"runs": [...], "nextCursor": ...}. `state` may be NULL. */
int ap_runs_list(ap_runs *runs, const ap_principal *who, const char *state,
                 bool archived, int limit, const char *cursor, json_t **out,
                 ap_err *err);

/** Records an approval (approve=true) or a rejection. `body` may be NULL or
 *  {"comment": "..."}. */
int ap_runs_decide(ap_runs *runs, const ap_principal *who, const char *run_id,
                   bool approve, const json_t *body, json_t **run_out, ap_err *err);

/** An approver answers a pending run with changed values: `body` is
 *  {"changes": {...}, "reason"?: "...", "comment"?: "..."}. The changes are
 *  merged over the original request's, a new run is created for `who` with
 *  "revisionOf" set (previewed and decided afresh: its approval must come
 *  from someone else), and the original becomes superseded. Returns the new
 *  run. */
int ap_runs_revise(ap_runs *runs, const ap_principal *who, const char *run_id,
                   const json_t *body, json_t **run_out, ap_err *err);

/** Executes an approved run. When the connector fails, the run is committed
 *  as failed, *run_out is still set, and -1 is returned with the error. */
int ap_runs_execute(ap_runs *runs, const ap_principal *who, const char *run_id,
                    json_t **run_out, ap_err *err);

/** Rolls back a completed run. `body` may be NULL or {"force": true,
 *  "reason": "..."} (admin only). On a conflict the run stays completed; on
 *  a refused compensating write it becomes rollback_failed; in both cases
 *  *run_out is set and -1 returned with the error. */
int ap_runs_rollback(ap_runs *runs, const ap_principal *who, const char *run_id,
                     const json_t *body, json_t **run_out, ap_err *err);

/** The run's artifacts ({"artifacts": [...]}), or the latest of one kind
 *  (the artifact object itself) when `kind` is non-NULL. */
int ap_runs_artifacts(ap_runs *runs, const ap_principal *who, const char *run_id,
                      const char *kind, json_t **out, ap_err *err);

/** {"runId", "events": [...]}: the run's audit events in order. */
int ap_runs_audit(ap_runs *runs, const ap_principal *who, const char *run_id,
                  json_t **out, ap_err *err);

/** {"ok", "events", "head", "brokenAt"} over the whole store. */
int ap_runs_audit_verify(ap_runs *runs, const ap_principal *who, json_t **out,
                         ap_err *err);

/** {"connectors": [...]}. */
int ap_runs_connectors(ap_runs *runs, const ap_principal *who, json_t **out,
                       ap_err *err);

/** Reads one record through the connector's plugin (no write). */
int ap_runs_read_record(ap_runs *runs, const ap_principal *who,
                        const char *connector, const char *object,
                        const char *id, json_t **out, ap_err *err);

/** Simulation only, admin: restores seeded records and the sample baseline;
 *  earlier runs are archived, nothing is erased. */
int ap_runs_simulation_reset(ap_runs *runs, const ap_principal *who,
                             json_t **out, ap_err *err);

#endif /* AP_RUNS_H */

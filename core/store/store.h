/*
 * store.h — the durable store: the only module that speaks SQL.
 *
 * SQLite in WAL mode, synchronous=FULL. Tables: workspaces, principals,
 * tokens (SHA-256 hashes only), connectors, runs, artifacts, audit_events.
 * Artifacts and audit events are append-only: SQL triggers make UPDATE and
 * DELETE on them fail. The schema is versioned with PRAGMA user_version and
 * migrated forward on open.
 *
 * The interface is deliberately narrow so that a second backend (PostgreSQL)
 * or a group-commit writer can replace the inside without touching callers:
 * every write goes through ap_store_commit, which applies one change set
 * (run row + artifacts + audit events) in one transaction, or nothing.
 *
 * Threading: an ap_store may be used from several threads at once; calls are
 * serialised internally. Several processes (the daemon and apctl) may open the
 * same file; SQLite's locking plus a busy timeout handles them.
 *
 * Errors: functions return 0 on success and -1 on failure with `err` set
 * (codes: "not_found", "invalid_state" for a failed state check, "conflict"
 * for a duplicate key, "store_error" for anything else). JSON returned is a
 * new reference the caller owns (json_decref).
 */
#ifndef AP_STORE_H
#define AP_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../audit/audit.h"
#include "../common/ap_err.h"
#include "../common/ap_types.h"

typedef struct ap_store ap_store;

/** Opens (creating if missing, mode 0600) and migrates the store at `path`.
 *  The parent folder must exist. On success *out owns the store. */
int ap_store_open(const char *path, ap_store **out, ap_err *err);

/** Closes the store (checkpointing the WAL). NULL is ignored. */
void ap_store_close(ap_store *store);

/** The schema version this build writes (PRAGMA user_version). */
int ap_store_schema_version(void);

/* ---- workspaces, principals, tokens ------------------------------------ */

/** Creates the workspace if missing; *created (may be NULL) tells which. */
int ap_store_workspace_ensure(ap_store *store, const char *workspace,
                              bool *created, ap_err *err);

/** Whether the workspace's simulation seed (records + sample baseline) has
 *  been made. A missing workspace reads as not seeded. */
int ap_store_workspace_seeded(ap_store *store, const char *workspace,
                              bool *seeded, ap_err *err);

/** Length of a bearer token text plus NUL: "ap_" + 43 base64url chars. */
#define AP_TOKEN_LEN 48

/** Creates the workspace and principal if missing, then a new random token
 *  (libsodium randombytes, 32 bytes, base64url, prefix "ap_") for the
 *  principal with `role`. Only the token's SHA-256 is stored. Appends an
 *  audit event "token.created" {principal, role} (never the token). The token
 *  text is written to token_out. */
int ap_store_token_create(ap_store *store, const char *workspace,
                          const char *principal, ap_role role,
                          char token_out[AP_TOKEN_LEN], ap_err *err);

/** Who a token authenticates. */
typedef struct ap_principal {
    char workspace[128];
    char name[128];
    ap_role role;
} ap_principal;

/** Looks up a presented token by its hash (constant-time comparison is not
 *  needed: the lookup is by SHA-256). Returns 0 and fills *out, or -1 with
 *  err "unauthenticated" for an unknown or revoked token. */
int ap_store_token_lookup(ap_store *store, const char *token,
                          ap_principal *out, ap_err *err);

/* ---- connectors ---------------------------------------------------------- */

/** Records that `connector` is served by `plugin` at `version` in `env`
 *  (upsert; last_loaded_at is now). */
int ap_store_connector_record(ap_store *store, const char *connector,
                              ap_env env, const char *plugin,
                              const char *version, ap_err *err);

/* ---- runs, artifacts, audit events: reads ------------------------------ */

/** The run document of `run_id` in `workspace` (as last committed, with
 *  "archived": true|false added from the row). err "not_found" when missing
 *  or in another workspace. */
int ap_store_run_get(ap_store *store, const char *workspace,
                     const char *run_id, json_t **doc_out, ap_err *err);

/** Listing parameters. */
typedef struct ap_run_query {
    const char *workspace; /**< required */
    const char *state;     /**< NULL for any state */
    bool archived;         /**< false: current runs; true: archived ones */
    int limit;             /**< 1..200 */
    const char *cursor;    /**< NULL, or a nextCursor returned before */
} ap_run_query;

/** Lists run documents newest first into *runs_out (an array). When more
 *  remain, *next_cursor_out is a malloc'd opaque cursor (free()), else NULL.
 *  err "invalid_request" for a malformed cursor. */
int ap_store_run_list(ap_store *store, const ap_run_query *q,
                      json_t **runs_out, char **next_cursor_out, ap_err *err);

/** The run's artifacts in commit order: an array of {kind, createdAt, sha256,
 *  body}; only those of `kind` when it is non-NULL. */
int ap_store_artifacts(ap_store *store, const char *workspace,
                       const char *run_id, const char *kind,
                       json_t **artifacts_out, ap_err *err);

/** The run's audit events in seq order: an array of
 *  {seq, at, type, actor, runId, data, prevHash, hash}. */
int ap_store_run_audit(ap_store *store, const char *workspace,
                       const char *run_id, json_t **events_out, ap_err *err);

/** Result of verifying the whole chain. */
typedef struct ap_audit_report {
    bool ok;
    int64_t events;
    char head[AP_SHA256_HEX_LEN]; /**< hash of the last event (genesis if none) */
    int64_t broken_at;            /**< seq of the first bad event, -1 if ok */
} ap_audit_report;

/** Recomputes every event's hash in seq order over the whole store. */
int ap_store_audit_verify(ap_store *store, ap_audit_report *out, ap_err *err);

/* ---- the one write path ------------------------------------------------- */

/** An artifact to append. All members borrowed. `body` is stored as its
 *  canonical JSON; `sha256` must be ap_sha256_hex of that canonical text
 *  (the store checks it). */
typedef struct ap_store_artifact {
    const char *kind;       /**< e.g. "preview" */
    const char *created_at; /**< RFC 3339 */
    const char *sha256;     /**< hex */
    const json_t *body;
} ap_store_artifact;

/** An audit event to append; the store assigns seq, prevHash and hash. */
typedef struct ap_store_event {
    const char *type;  /**< e.g. "run.created", "run.approved" */
    const char *actor; /**< principal name, or "system:..." */
    const char *at;    /**< RFC 3339 */
    const json_t *data; /**< object; NULL means {} */
} ap_store_event;

/**
 * One atomic change. All members borrowed for the call.
 *  - run_doc != NULL and expect_state == NULL: insert a new run (id, state,
 *    createdAt, updatedAt read from the doc).
 *  - run_doc != NULL and expect_state != NULL: replace the run's document
 *    only if its current state equals expect_state; otherwise nothing is
 *    written and err is "invalid_state" (so two racing requests cannot both
 *    move a run out of the same state).
 *  - artifacts and events are appended, tied to run_id (events may have a
 *    NULL run_id for workspace-level events such as a reset).
 *  - archive_runs: mark every current run of the workspace archived first.
 *  - mark_seeded: record that the workspace's simulation seed is made.
 */
typedef struct ap_store_change {
    const char *workspace;
    const char *run_id;
    const json_t *run_doc;
    const char *expect_state;
    const ap_store_artifact *artifacts;
    size_t n_artifacts;
    const ap_store_event *events;
    size_t n_events;
    bool archive_runs;
    bool mark_seeded;
} ap_store_change;

/** Applies the change in one transaction (all or nothing). */
int ap_store_commit(ap_store *store, const ap_store_change *change, ap_err *err);

#endif /* AP_STORE_H */

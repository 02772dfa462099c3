/*
 * store_internal.h — what the store's files share, and nothing else sees:
 * the ap_store struct, the cache of prepared statements, and small helpers
 * for binding, errors, locking and transactions.
 *
 * Locking rule: every helper below except store_lock/store_unlock and the
 * pure ones (store_migration_sql, store_now, store_valid_name, store_parse_json,
 * store_artifacts_prepare, store_free_strings) must be called with
 * store->lock held. Public functions take the lock themselves and never call
 * each other while holding it (the mutex is not recursive).
 */
#ifndef AP_STORE_INTERNAL_H
#define AP_STORE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>

#include "../common/ap_time.h"
#include "store.h"

/** Every statement the store runs, prepared once at open. */
typedef enum store_stmt_id {
    STMT_BEGIN,
    STMT_COMMIT,
    STMT_ROLLBACK,
    STMT_WORKSPACE_INSERT,
    STMT_WORKSPACE_SEEDED,
    STMT_WORKSPACE_MARK_SEEDED,
    STMT_PRINCIPAL_INSERT,
    STMT_TOKEN_INSERT,
    STMT_TOKEN_LOOKUP,
    STMT_CONNECTOR_UPSERT,
    STMT_RUN_INSERT,
    STMT_RUN_UPDATE,
    STMT_RUN_EXISTS,
    STMT_RUN_GET,
    STMT_RUN_LIST,
    STMT_RUN_LIST_BY_STATE,
    STMT_RUNS_ARCHIVE,
    STMT_ARTIFACT_INSERT,
    STMT_ARTIFACTS_OF_RUN,
    STMT_AUDIT_HEAD,
    STMT_AUDIT_INSERT,
    STMT_AUDIT_OF_RUN,
    STMT_AUDIT_PAGE,
    STMT_COUNT
} store_stmt_id;

struct ap_store {
    sqlite3 *db;                      /**< the one connection */
    pthread_mutex_t lock;             /**< serialises every use of db and stmts */
    sqlite3_stmt *stmts[STMT_COUNT];  /**< prepared once, reset after each use */
};

/* ---- store_schema.c ------------------------------------------------------ */

/** The SQL that migrates a store from version - 1 to `version`
 *  (1..ap_store_schema_version()), or NULL outside that range. */
const char *store_migration_sql(int version);

/* ---- store_sql.c ---------------------------------------------------------- */

/** Prepares every statement of the cache. Returns 0, or -1 with err set. */
int store_prepare_all(ap_store *store, ap_err *err);

/** Finalizes every cached statement (NULL entries are skipped). */
void store_finalize_all(ap_store *store);

/** The cached statement `id`, ready to bind (reset, bindings cleared). */
sqlite3_stmt *store_stmt(ap_store *store, store_stmt_id id);

/** Resets the statement and clears its bindings after use, so it holds no
 *  read lock and no borrowed pointer between calls. */
void store_stmt_done(sqlite3_stmt *stmt);

/** Binds a borrowed string (NULL binds SQL NULL). Returns an SQLite code. */
int store_bind_text(sqlite3_stmt *stmt, int index, const char *text);

/** Sets err "store_error" describing the connection's last error while
 *  doing `what`, and returns -1. */
int store_fail(ap_store *store, ap_err *err, const char *what);

/** Runs a cached statement that returns no row (INSERT/UPDATE/BEGIN...),
 *  then resets it. Returns the sqlite3_step code (SQLITE_DONE on success). */
int store_exec_stmt(sqlite3_stmt *stmt);

/** BEGIN IMMEDIATE: takes the write lock now (waiting up to the busy
 *  timeout), so what is read inside the transaction cannot be changed by
 *  another writer before COMMIT. Returns 0 or -1 with err set. */
int store_begin(ap_store *store, ap_err *err);

/** COMMIT. Returns 0 or -1 with err set (the transaction is then rolled
 *  back by the caller's store_rollback). */
int store_commit_tx(ap_store *store, ap_err *err);

/** ROLLBACK if a transaction is open; never fails visibly. */
void store_rollback(ap_store *store);

/** Takes store->lock (waits for other threads of this process). */
void store_lock(ap_store *store);

/** Releases store->lock. */
void store_unlock(ap_store *store);

/** Current time as RFC 3339 UTC with milliseconds. */
void store_now(char buf[AP_TIME_LEN]);

/** Whether `name` is a valid workspace or principal name: 1..100 chars of
 *  [A-Za-z0-9._@-]. */
bool store_valid_name(const char *name);

/** Parses a JSON text read back from the store (canonical JSON written by
 *  this module; NUL in strings allowed). Returns a new reference or NULL. */
json_t *store_parse_json(const char *text);

/* ---- store_workspaces.c ----------------------------------------------- */

/** Inserts the workspace unless it exists (inside the caller's transaction,
 *  or alone). *created (may be NULL) tells which. Returns 0 or -1. */
int store_workspace_insert(ap_store *store, const char *workspace,
                           const char *now, bool *created, ap_err *err);

/** Whether run `run_id` exists in `workspace`. Returns 1, 0, or -1 with err
 *  set. */
int store_run_exists(ap_store *store, const char *workspace,
                     const char *run_id, ap_err *err);

/** 0 when run `run_id` exists in `workspace`; otherwise -1 with err
 *  "not_found" (or the lookup's own error). */
int store_require_run(ap_store *store, const char *workspace,
                      const char *run_id, ap_err *err);

/* ---- store_audit.c ------------------------------------------------------- */

/** Appends `n` events for `workspace` (and `run_id`, may be NULL) to the
 *  chain. Must run inside a transaction opened with store_begin: the head
 *  (last seq + hash) is read here, under the write lock, so writers in other
 *  processes chain after each other instead of forking the chain.
 *  Returns 0 or -1 with err set. */
int store_audit_append(ap_store *store, const char *workspace,
                       const char *run_id, const ap_store_event *events,
                       size_t n, ap_err *err);

/* ---- store_artifacts.c --------------------------------------------------- */

/** Checks each artifact (kind, created_at, body, sha256 matching
 *  ap_sha256_hex(canonical(body))) and returns their canonical bodies in
 *  *bodies_out (an array of n malloc'd strings; free with
 *  store_free_strings). Runs before the transaction: a bad artifact writes
 *  nothing. Returns 0 or -1 with err "store_error". */
int store_artifacts_prepare(const ap_store_artifact *artifacts, size_t n,
                            char ***bodies_out, ap_err *err);

/** Inserts prepared artifacts inside the caller's transaction. */
int store_artifacts_insert(ap_store *store, const char *workspace,
                           const char *run_id, const ap_store_artifact *artifacts,
                           char *const *bodies, size_t n, ap_err *err);

/** Frees an array of n malloc'd strings (NULL entries allowed) and the array. */
void store_free_strings(char **strings, size_t n);

#endif /* AP_STORE_INTERNAL_H */

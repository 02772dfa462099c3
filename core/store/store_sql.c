/*
 * store_sql.c — the statement cache and the small SQLite helpers every store
 * file uses: binding, stepping, errors, transactions, locking.
 */
#include "store_internal.h"


#include "../common/ap_time.h"

/* The text of every cached statement, by id. Kept in one table so the whole
 * SQL surface of the store (besides the schema) reads in one place. */
static const char *const stmt_sql[STMT_COUNT] = {
    [STMT_BEGIN] = "BEGIN IMMEDIATE",
    [STMT_COMMIT] = "COMMIT",
    [STMT_ROLLBACK] = "ROLLBACK",
    [STMT_WORKSPACE_INSERT] =
        "INSERT INTO workspaces(id, created_at) VALUES (?1, ?2) "
        "ON CONFLICT(id) DO NOTHING",
    [STMT_WORKSPACE_SEEDED] =
        "SELECT sim_seeded_at IS NOT NULL FROM workspaces WHERE id = ?1",
    [STMT_WORKSPACE_MARK_SEEDED] =
        "UPDATE workspaces SET sim_seeded_at = ?2 WHERE id = ?1",
    [STMT_PRINCIPAL_INSERT] =
        "INSERT INTO principals(workspace, name, created_at) VALUES (?1, ?2, ?3) "
        "ON CONFLICT(workspace, name) DO NOTHING",
    [STMT_TOKEN_INSERT] =
        "INSERT INTO tokens(hash, workspace, principal, role, created_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5)",
    [STMT_TOKEN_LOOKUP] =
        "SELECT workspace, principal, role FROM tokens "
        "WHERE hash = ?1 AND revoked_at IS NULL",
    [STMT_CONNECTOR_UPSERT] =
        "INSERT INTO connectors(name, environment, plugin, version, last_loaded_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5) "
        "ON CONFLICT(name, environment) DO UPDATE SET plugin = excluded.plugin, "
        "version = excluded.version, last_loaded_at = excluded.last_loaded_at",
    [STMT_RUN_INSERT] =
        "INSERT INTO runs(id, workspace, state, archived, created_at, updated_at, doc) "
        "VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6)",
    /* The state check is part of the UPDATE itself: two racing writers
     * cannot both see the old state, whatever process they are in. */
    [STMT_RUN_UPDATE] =
        "UPDATE runs SET doc = ?1, state = ?2, updated_at = ?3 "
        "WHERE id = ?4 AND workspace = ?5 AND state = ?6",
    [STMT_RUN_EXISTS] = "SELECT 1 FROM runs WHERE id = ?1 AND workspace = ?2",
    [STMT_RUN_GET] = "SELECT doc, archived FROM runs WHERE id = ?1 AND workspace = ?2",
    [STMT_RUN_LIST] =
        "SELECT seq, doc, archived FROM runs "
        "WHERE workspace = ?1 AND archived = ?2 AND seq < ?3 "
        "ORDER BY seq DESC LIMIT ?4",
    [STMT_RUN_LIST_BY_STATE] =
        "SELECT seq, doc, archived FROM runs "
        "WHERE workspace = ?1 AND archived = ?2 AND state = ?5 AND seq < ?3 "
        "ORDER BY seq DESC LIMIT ?4",
    [STMT_RUNS_ARCHIVE] =
        "UPDATE runs SET archived = 1 WHERE workspace = ?1 AND archived = 0",
    [STMT_ARTIFACT_INSERT] =
        "INSERT INTO artifacts(run_id, workspace, kind, created_at, sha256, body) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [STMT_ARTIFACTS_OF_RUN] =
        "SELECT kind, created_at, sha256, body FROM artifacts "
        "WHERE run_id = ?1 AND workspace = ?2 AND (?3 IS NULL OR kind = ?3) "
        "ORDER BY id",
    [STMT_AUDIT_HEAD] = "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1",
    [STMT_AUDIT_INSERT] =
        "INSERT INTO audit_events(seq, at, type, actor, workspace, run_id, data, "
        "prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [STMT_AUDIT_OF_RUN] =
        "SELECT seq, at, type, actor, run_id, data, prev_hash, hash FROM audit_events "
        "WHERE run_id = ?1 AND workspace = ?2 ORDER BY seq",
    [STMT_AUDIT_PAGE] =
        "SELECT seq, at, type, actor, run_id, data, prev_hash, hash FROM audit_events "
        "WHERE seq > ?1 ORDER BY seq LIMIT ?2",
};

int store_prepare_all(ap_store *store, ap_err *err)
{
    for (int i = 0; i < STMT_COUNT; i++) {
        /* PERSISTENT: these live as long as the connection. */
        if (sqlite3_prepare_v3(store->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                               &store->stmts[i], NULL) != SQLITE_OK)
            return store_fail(store, err, "preparing a statement");
    }
    return 0;
}

void store_finalize_all(ap_store *store)
{
    for (int i = 0; i < STMT_COUNT; i++) {
        sqlite3_finalize(store->stmts[i]);
        store->stmts[i] = NULL;
    }
}

sqlite3_stmt *store_stmt(ap_store *store, store_stmt_id id)
{
    return store->stmts[id];
}

void store_stmt_done(sqlite3_stmt *stmt)
{
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
}

int store_bind_text(sqlite3_stmt *stmt, int index, const char *text)
{
    /* SQLITE_STATIC: the text is borrowed until store_stmt_done, which
     * every caller runs before returning. */
    if (!text)
        return sqlite3_bind_null(stmt, index);
    return sqlite3_bind_text(stmt, index, text, -1, SQLITE_STATIC);
}

int store_fail(ap_store *store, ap_err *err, const char *what)
{
    int code = sqlite3_extended_errcode(store->db);
    if ((code & 0xff) == SQLITE_BUSY)
        ap_err_set(err, "store_error",
                   "The store is busy (another writer held it past the timeout) while %s.", what);
    else
        ap_err_set(err, "store_error", "Store failure while %s: %s.", what,
                   sqlite3_errmsg(store->db));
    return -1;
}

int store_exec_stmt(sqlite3_stmt *stmt)
{
    int rc = sqlite3_step(stmt);
    /* Reset before reading errors elsewhere: sqlite3_errmsg still describes
     * the failed step because the reset of a failed statement reports the
     * same error. */
    store_stmt_done(stmt);
    return rc;
}

int store_begin(ap_store *store, ap_err *err)
{
    if (store_exec_stmt(store_stmt(store, STMT_BEGIN)) != SQLITE_DONE)
        return store_fail(store, err, "starting a transaction");
    return 0;
}

int store_commit_tx(ap_store *store, ap_err *err)
{
    if (store_exec_stmt(store_stmt(store, STMT_COMMIT)) != SQLITE_DONE)
        return store_fail(store, err, "committing");
    return 0;
}

void store_rollback(ap_store *store)
{
    /* After some errors SQLite has already rolled back by itself; a second
     * ROLLBACK would fail, so only roll back an open transaction. */
    if (!sqlite3_get_autocommit(store->db))
        store_exec_stmt(store_stmt(store, STMT_ROLLBACK));
}

void store_lock(ap_store *store)
{
    pthread_mutex_lock(&store->lock);
}

void store_unlock(ap_store *store)
{
    pthread_mutex_unlock(&store->lock);
}

void store_now(char buf[AP_TIME_LEN])
{
    ap_format_time(ap_now_ms(), buf, AP_TIME_LEN);
}

bool store_valid_name(const char *name)
{
    if (!name)
        return false;
    size_t n = 0;
    for (const char *p = name; *p; p++, n++) {
        char c = *p;
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '@' || c == '-';
        if (!ok || n >= 100)
            return false;
    }
    return n >= 1;
}

json_t *store_parse_json(const char *text)
{
    if (!text)
        return NULL;
    return json_loads(text, JSON_ALLOW_NUL, NULL);
}

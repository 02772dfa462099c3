/*
 * store_workspaces.c — workspaces and the connector registry: the small
 * tables beside the runs.
 */
#include "store_internal.h"

int store_workspace_insert(ap_store *store, const char *workspace,
                           const char *now, bool *created, ap_err *err)
{
    sqlite3_stmt *stmt = store_stmt(store, STMT_WORKSPACE_INSERT);
    store_bind_text(stmt, 1, workspace);
    store_bind_text(stmt, 2, now);
    if (store_exec_stmt(stmt) != SQLITE_DONE)
        return store_fail(store, err, "creating the workspace");
    if (created)
        *created = sqlite3_changes(store->db) > 0;
    return 0;
}

int store_run_exists(ap_store *store, const char *workspace,
                     const char *run_id, ap_err *err)
{
    sqlite3_stmt *stmt = store_stmt(store, STMT_RUN_EXISTS);
    store_bind_text(stmt, 1, run_id);
    store_bind_text(stmt, 2, workspace);
    int rc = sqlite3_step(stmt);
    store_stmt_done(stmt);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return store_fail(store, err, "looking up the run");
}

int store_require_run(ap_store *store, const char *workspace,
                      const char *run_id, ap_err *err)
{
    int exists = store_run_exists(store, workspace, run_id, err);
    if (exists == 0)
        ap_err_set(err, "not_found", "No run %s in this workspace.", run_id ? run_id : "");
    return exists == 1 ? 0 : -1;
}

int ap_store_workspace_ensure(ap_store *store, const char *workspace,
                              bool *created, ap_err *err)
{
    if (!store_valid_name(workspace)) {
        ap_err_set(err, "invalid_request",
                   "workspace must be 1 to 100 characters of A-Z a-z 0-9 . _ @ -");
        return -1;
    }
    char now[AP_TIME_LEN];
    store_now(now);
    store_lock(store);
    int rc = store_workspace_insert(store, workspace, now, created, err);
    store_unlock(store);
    return rc;
}

int ap_store_workspace_seeded(ap_store *store, const char *workspace,
                              bool *seeded, ap_err *err)
{
    *seeded = false;
    store_lock(store);
    sqlite3_stmt *stmt = store_stmt(store, STMT_WORKSPACE_SEEDED);
    store_bind_text(stmt, 1, workspace);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        *seeded = sqlite3_column_int(stmt, 0) != 0;
    store_stmt_done(stmt);
    int result = (rc == SQLITE_ROW || rc == SQLITE_DONE)
                     ? 0
                     : store_fail(store, err, "reading the workspace");
    store_unlock(store);
    return result;
}

int ap_store_connector_record(ap_store *store, const char *connector,
                              ap_env env, const char *plugin,
                              const char *version, ap_err *err)
{
    if (!connector || !*connector || !plugin || !*plugin || !version ||
        (unsigned)env >= AP_ENV_COUNT) {
        ap_err_set(err, "store_error", "A connector record needs a name, a plugin, a version "
                                       "and a known environment.");
        return -1;
    }
    char now[AP_TIME_LEN];
    store_now(now);
    store_lock(store);
    sqlite3_stmt *stmt = store_stmt(store, STMT_CONNECTOR_UPSERT);
    store_bind_text(stmt, 1, connector);
    store_bind_text(stmt, 2, ap_env_name(env));
    store_bind_text(stmt, 3, plugin);
    store_bind_text(stmt, 4, version);
    store_bind_text(stmt, 5, now);
    int rc = store_exec_stmt(stmt) == SQLITE_DONE
                 ? 0
                 : store_fail(store, err, "recording the connector");
    store_unlock(store);
    return rc;
}

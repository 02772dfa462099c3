/*
 * store_artifacts.c — evidence attached to runs: checked and encoded before
 * a commit, inserted inside it, read back in commit order.
 */
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

void store_free_strings(char **strings, size_t n)
{
    if (!strings)
        return;
    for (size_t i = 0; i < n; i++)
        free(strings[i]);
    free(strings);
}

int store_artifacts_prepare(const ap_store_artifact *artifacts, size_t n,
                            char ***bodies_out, ap_err *err)
{
    *bodies_out = NULL;
    if (n == 0)
        return 0;
    char **bodies = calloc(n, sizeof *bodies);
    if (!bodies) {
        ap_err_set(err, "store_error", "Out of memory preparing artifacts.");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const ap_store_artifact *a = &artifacts[i];
        if (!a->kind || !*a->kind || !a->created_at || !a->sha256 || !a->body) {
            ap_err_set(err, "store_error", "Artifact %zu lacks a kind, a time, a hash or a body.", i);
            goto fail;
        }
        bodies[i] = ap_canonical_json(a->body);
        if (!bodies[i]) {
            ap_err_set(err, "store_error", "Cannot encode the %s artifact.", a->kind);
            goto fail;
        }
        /* The caller computed the hash it shows users (the run's artifact
         * list); a mismatch means it hashed something else than what would
         * be stored: a bug, and evidence that must not be written. */
        char actual[AP_SHA256_HEX_LEN];
        ap_sha256_hex(bodies[i], strlen(bodies[i]), actual);
        if (strcmp(actual, a->sha256) != 0) {
            ap_err_set(err, "store_error",
                       "The %s artifact's sha256 does not match its canonical body.", a->kind);
            goto fail;
        }
    }
    *bodies_out = bodies;
    return 0;
fail:
    store_free_strings(bodies, n);
    return -1;
}

int store_artifacts_insert(ap_store *store, const char *workspace,
                           const char *run_id, const ap_store_artifact *artifacts,
                           char *const *bodies, size_t n, ap_err *err)
{
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *stmt = store_stmt(store, STMT_ARTIFACT_INSERT);
        store_bind_text(stmt, 1, run_id);
        store_bind_text(stmt, 2, workspace);
        store_bind_text(stmt, 3, artifacts[i].kind);
        store_bind_text(stmt, 4, artifacts[i].created_at);
        store_bind_text(stmt, 5, artifacts[i].sha256);
        store_bind_text(stmt, 6, bodies[i]);
        if (store_exec_stmt(stmt) != SQLITE_DONE)
            return store_fail(store, err, "storing an artifact");
    }
    return 0;
}

/* The current row as {kind, createdAt, sha256, body}, or NULL. */
static json_t *artifact_row_json(sqlite3_stmt *stmt)
{
    return json_pack("{s:s, s:s, s:s, s:o}",
                     "kind", (const char *)sqlite3_column_text(stmt, 0),
                     "createdAt", (const char *)sqlite3_column_text(stmt, 1),
                     "sha256", (const char *)sqlite3_column_text(stmt, 2),
                     "body", store_parse_json((const char *)sqlite3_column_text(stmt, 3)));
}

/* Appends the run's artifacts (of `kind`, NULL for all) to `out`. */
static int read_artifacts_locked(ap_store *store, const char *workspace, const char *run_id,
                                 const char *kind, json_t *out, ap_err *err)
{
    sqlite3_stmt *stmt = store_stmt(store, STMT_ARTIFACTS_OF_RUN);
    store_bind_text(stmt, 1, run_id);
    store_bind_text(stmt, 2, workspace);
    store_bind_text(stmt, 3, kind);
    int rc = SQLITE_DONE;
    int result = 0;
    while (result == 0 && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        json_t *a = artifact_row_json(stmt);
        if (!a || json_array_append_new(out, a) != 0) {
            ap_err_set(err, "store_error", "An artifact of run %s is unreadable.", run_id);
            result = -1;
        }
    }
    if (result == 0 && rc != SQLITE_DONE)
        result = store_fail(store, err, "reading artifacts");
    store_stmt_done(stmt);
    return result;
}

int ap_store_artifacts(ap_store *store, const char *workspace,
                       const char *run_id, const char *kind,
                       json_t **artifacts_out, ap_err *err)
{
    *artifacts_out = NULL;
    json_t *list = json_array();
    if (!list) {
        ap_err_set(err, "store_error", "Out of memory reading artifacts.");
        return -1;
    }
    store_lock(store);
    int result = store_require_run(store, workspace, run_id, err);
    if (result == 0)
        result = read_artifacts_locked(store, workspace, run_id, kind, list, err);
    store_unlock(store);
    if (result != 0) {
        json_decref(list);
        return -1;
    }
    *artifacts_out = list;
    return 0;
}

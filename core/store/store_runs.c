/*
 * store_runs.c — reading run documents: one by id, or a page of a listing.
 */
#include "store_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_LIMIT_MAX 200

/* The stored document with "archived" set from the row; NULL when the
 * stored text does not parse (or memory runs out). */
static json_t *run_doc_from_row(sqlite3_stmt *stmt, int doc_col, int archived_col)
{
    json_t *doc = store_parse_json((const char *)sqlite3_column_text(stmt, doc_col));
    if (!json_is_object(doc) ||
        json_object_set_new(doc, "archived", json_boolean(sqlite3_column_int(stmt, archived_col))) != 0) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

int ap_store_run_get(ap_store *store, const char *workspace,
                     const char *run_id, json_t **doc_out, ap_err *err)
{
    *doc_out = NULL;
    store_lock(store);
    sqlite3_stmt *stmt = store_stmt(store, STMT_RUN_GET);
    store_bind_text(stmt, 1, run_id);
    store_bind_text(stmt, 2, workspace);
    int rc = sqlite3_step(stmt);
    int result = -1;
    if (rc == SQLITE_ROW) {
        *doc_out = run_doc_from_row(stmt, 0, 1);
        if (*doc_out)
            result = 0;
        else
            ap_err_set(err, "store_error", "The stored document of run %s is unreadable.", run_id);
    } else if (rc == SQLITE_DONE) {
        /* Another workspace's run reads exactly like a missing one. */
        ap_err_set(err, "not_found", "No run %s in this workspace.", run_id ? run_id : "");
    } else {
        store_fail(store, err, "reading the run");
    }
    store_stmt_done(stmt);
    store_unlock(store);
    return result;
}

/* The cursor is the decimal seq of the last run of the previous page (runs
 * come newest first, so the next page is everything below it). Opaque to
 * callers; anything else than a positive decimal is refused. */
static int parse_cursor(const char *cursor, int64_t *below, ap_err *err)
{
    if (!cursor) {
        *below = INT64_MAX;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    long long v = cursor[0] >= '1' && cursor[0] <= '9' ? strtoll(cursor, &end, 10) : 0;
    if (v <= 0 || errno != 0 || !end || *end != '\0') {
        ap_err_set(err, "invalid_request", "cursor is not a cursor returned by this listing");
        return -1;
    }
    *below = v;
    return 0;
}

/* Runs the listing query; fills `runs` with up to q->limit documents and
 * *last_seq with the seq of the last one, and sets *more when another row
 * follows (the query asks for limit + 1). */
static int list_locked(ap_store *store, const ap_run_query *q, int64_t below, json_t *runs,
                       int64_t *last_seq, bool *more, ap_err *err)
{
    sqlite3_stmt *stmt = store_stmt(store, q->state ? STMT_RUN_LIST_BY_STATE : STMT_RUN_LIST);
    store_bind_text(stmt, 1, q->workspace);
    sqlite3_bind_int(stmt, 2, q->archived ? 1 : 0);
    sqlite3_bind_int64(stmt, 3, below);
    sqlite3_bind_int(stmt, 4, q->limit + 1);
    if (q->state)
        store_bind_text(stmt, 5, q->state);
    int rc = SQLITE_DONE;
    int result = 0;
    int count = 0;
    *more = false;
    while (result == 0 && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (count == q->limit) {
            *more = true;
            break;
        }
        json_t *doc = run_doc_from_row(stmt, 1, 2);
        if (!doc || json_array_append_new(runs, doc) != 0) {
            ap_err_set(err, "store_error", "A stored run document is unreadable.");
            result = -1;
            break;
        }
        *last_seq = sqlite3_column_int64(stmt, 0);
        count++;
    }
    if (result == 0 && !*more && rc != SQLITE_DONE)
        result = store_fail(store, err, "listing runs");
    store_stmt_done(stmt);
    return result;
}

int ap_store_run_list(ap_store *store, const ap_run_query *q,
                      json_t **runs_out, char **next_cursor_out, ap_err *err)
{
    *runs_out = NULL;
    *next_cursor_out = NULL;
    if (!q->workspace) {
        ap_err_set(err, "invalid_request", "workspace is required");
        return -1;
    }
    if (q->limit < 1 || q->limit > LIST_LIMIT_MAX) {
        ap_err_set(err, "invalid_request", "limit must be between 1 and %d", LIST_LIMIT_MAX);
        return -1;
    }
    int64_t below;
    if (parse_cursor(q->cursor, &below, err) != 0)
        return -1;
    json_t *runs = json_array();
    if (!runs) {
        ap_err_set(err, "store_error", "Out of memory listing runs.");
        return -1;
    }
    int64_t last_seq = 0;
    bool more = false;
    store_lock(store);
    int result = list_locked(store, q, below, runs, &last_seq, &more, err);
    store_unlock(store);

    char *cursor = NULL;
    if (result == 0 && more) {
        char buf[24];
        snprintf(buf, sizeof buf, "%" PRId64, last_seq);
        cursor = strdup(buf);
        if (!cursor) {
            ap_err_set(err, "store_error", "Out of memory listing runs.");
            result = -1;
        }
    }
    if (result != 0) {
        json_decref(runs);
        return -1;
    }
    *runs_out = runs;
    *next_cursor_out = cursor;
    return 0;
}

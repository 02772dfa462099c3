/*
 * store_audit.c — the audit chain in the store: appending events (head read
 * under the write lock), reading a run's events, and verifying the whole
 * chain page by page.
 */
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

/* Events fetched per page by ap_store_audit_verify. The lock is released
 * between pages, so a long verification never stalls the daemon's writers
 * for more than one page's worth of hashing. */
#define VERIFY_PAGE_EVENTS 256

/* The head of the chain: the last event's seq and hash, or 0 and the
 * genesis hash for an empty chain. */
static int read_head(ap_store *store, int64_t *seq, char hash[AP_SHA256_HEX_LEN], ap_err *err)
{
    sqlite3_stmt *stmt = store_stmt(store, STMT_AUDIT_HEAD);
    int rc = sqlite3_step(stmt);
    int result = 0;
    if (rc == SQLITE_ROW) {
        const unsigned char *h = sqlite3_column_text(stmt, 1);
        *seq = sqlite3_column_int64(stmt, 0);
        if (h && strlen((const char *)h) == AP_SHA256_HEX_LEN - 1) {
            memcpy(hash, h, AP_SHA256_HEX_LEN);
        } else {
            ap_err_set(err, "store_error", "The last audit event has a malformed hash.");
            result = -1;
        }
    } else if (rc == SQLITE_DONE) {
        *seq = 0;
        memcpy(hash, AP_AUDIT_GENESIS_HASH, AP_SHA256_HEX_LEN);
    } else {
        result = store_fail(store, err, "reading the audit head");
    }
    store_stmt_done(stmt);
    return result;
}

/* Chains and inserts one event after (*seq, prev). On success *seq and prev
 * advance to this event. */
static int append_one(ap_store *store, const char *workspace, const char *run_id,
                      const ap_store_event *e, int64_t *seq,
                      char prev[AP_SHA256_HEX_LEN], ap_err *err)
{
    json_t *empty = NULL;
    const json_t *data = e->data ? e->data : (empty = json_object());
    if (!e->type || !e->actor || !e->at || !json_is_object(data)) {
        json_decref(empty);
        ap_err_set(err, "store_error", "An audit event needs a type, an actor, a time and an "
                                       "object as data.");
        return -1;
    }
    ap_audit_event ev = {.seq = *seq + 1, .at = e->at, .type = e->type, .actor = e->actor,
                         .run_id = run_id, .data = data, .prev_hash = prev};
    char hash[AP_SHA256_HEX_LEN];
    char *text = ap_canonical_json(data);
    int result = 0;
    if (!text || ap_audit_event_hash(&ev, hash) != 0) {
        ap_err_set(err, "store_error", "Cannot encode the audit event %s.", e->type);
        result = -1;
    } else {
        sqlite3_stmt *stmt = store_stmt(store, STMT_AUDIT_INSERT);
        sqlite3_bind_int64(stmt, 1, ev.seq);
        store_bind_text(stmt, 2, ev.at);
        store_bind_text(stmt, 3, ev.type);
        store_bind_text(stmt, 4, ev.actor);
        store_bind_text(stmt, 5, workspace);
        store_bind_text(stmt, 6, run_id);
        store_bind_text(stmt, 7, text);
        store_bind_text(stmt, 8, prev);
        store_bind_text(stmt, 9, hash);
        if (store_exec_stmt(stmt) != SQLITE_DONE) {
            result = store_fail(store, err, "appending an audit event");
        } else {
            *seq = ev.seq;
            memcpy(prev, hash, AP_SHA256_HEX_LEN);
        }
    }
    free(text);
    json_decref(empty);
    return result;
}

int store_audit_append(ap_store *store, const char *workspace,
                       const char *run_id, const ap_store_event *events,
                       size_t n, ap_err *err)
{
    if (n == 0)
        return 0;
    int64_t seq = 0;
    char prev[AP_SHA256_HEX_LEN];
    if (read_head(store, &seq, prev, err) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (append_one(store, workspace, run_id, &events[i], &seq, prev, err) != 0)
            return -1;
    }
    return 0;
}

/* Columns of STMT_AUDIT_OF_RUN and STMT_AUDIT_PAGE, in order. */
enum { COL_SEQ, COL_AT, COL_TYPE, COL_ACTOR, COL_RUN_ID, COL_DATA, COL_PREV, COL_HASH };

static const char *column_text(sqlite3_stmt *stmt, int col)
{
    return (const char *)sqlite3_column_text(stmt, col);
}

/* The current row as the API's event object {seq, at, type, actor, runId,
 * data, prevHash, hash}, or NULL when the row is unreadable. */
static json_t *event_row_json(sqlite3_stmt *stmt)
{
    const char *run_id = column_text(stmt, COL_RUN_ID);
    return json_pack("{s:I, s:s, s:s, s:s, s:o, s:o, s:s, s:s}",
                     "seq", (json_int_t)sqlite3_column_int64(stmt, COL_SEQ),
                     "at", column_text(stmt, COL_AT),
                     "type", column_text(stmt, COL_TYPE),
                     "actor", column_text(stmt, COL_ACTOR),
                     "runId", run_id ? json_string(run_id) : json_null(),
                     "data", store_parse_json(column_text(stmt, COL_DATA)),
                     "prevHash", column_text(stmt, COL_PREV),
                     "hash", column_text(stmt, COL_HASH));
}

int ap_store_run_audit(ap_store *store, const char *workspace,
                       const char *run_id, json_t **events_out, ap_err *err)
{
    *events_out = NULL;
    json_t *events = json_array();
    if (!events) {
        ap_err_set(err, "store_error", "Out of memory reading the audit events.");
        return -1;
    }
    store_lock(store);
    int result = store_require_run(store, workspace, run_id, err);
    if (result == 0) {
        sqlite3_stmt *stmt = store_stmt(store, STMT_AUDIT_OF_RUN);
        store_bind_text(stmt, 1, run_id);
        store_bind_text(stmt, 2, workspace);
        int rc = SQLITE_DONE;
        while (result == 0 && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            json_t *ev = event_row_json(stmt);
            if (!ev || json_array_append_new(events, ev) != 0) {
                ap_err_set(err, "store_error", "An audit event of run %s is unreadable.", run_id);
                result = -1;
            }
        }
        if (result == 0 && rc != SQLITE_DONE)
            result = store_fail(store, err, "reading the audit events");
        store_stmt_done(stmt);
    }
    store_unlock(store);
    if (result != 0) {
        json_decref(events);
        return -1;
    }
    *events_out = events;
    return 0;
}

/* Feeds the current row to the verifier. Beyond the hash, the stored data
 * text must be exactly the canonical encoding of what it parses to: the
 * hash covers the parsed value, so any other spelling (a duplicate key,
 * extra spaces) would otherwise pass unnoticed. */
static void verify_row(ap_audit_verifier *v, sqlite3_stmt *stmt)
{
    int64_t seq = sqlite3_column_int64(stmt, COL_SEQ);
    const char *text = column_text(stmt, COL_DATA);
    json_t *data = store_parse_json(text);
    char *canon = json_is_object(data) ? ap_canonical_json(data) : NULL;
    if (!canon || strcmp(canon, text) != 0) {
        ap_audit_verifier_mark_broken(v, seq);
    } else {
        ap_audit_event ev = {.seq = seq,
                             .at = column_text(stmt, COL_AT),
                             .type = column_text(stmt, COL_TYPE),
                             .actor = column_text(stmt, COL_ACTOR),
                             .run_id = column_text(stmt, COL_RUN_ID),
                             .data = data,
                             .prev_hash = column_text(stmt, COL_PREV)};
        ap_audit_verifier_feed(v, &ev, column_text(stmt, COL_HASH));
    }
    free(canon);
    json_decref(data);
}

/* Verifies the events after v->last_seq, one page. Sets *more when the page
 * was full (there may be more events). Returns 0 or -1 with err set. */
static int verify_page(ap_store *store, ap_audit_verifier *v, bool *more, ap_err *err)
{
    store_lock(store);
    sqlite3_stmt *stmt = store_stmt(store, STMT_AUDIT_PAGE);
    sqlite3_bind_int64(stmt, 1, v->last_seq);
    sqlite3_bind_int(stmt, 2, VERIFY_PAGE_EVENTS);
    int rows = 0;
    int rc = SQLITE_DONE;
    while (v->broken_at == -1 && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        verify_row(v, stmt);
        rows++;
    }
    int result = 0;
    if (v->broken_at == -1 && rc != SQLITE_DONE)
        result = store_fail(store, err, "reading the audit log");
    store_stmt_done(stmt);
    store_unlock(store);
    *more = result == 0 && v->broken_at == -1 && rows == VERIFY_PAGE_EVENTS;
    return result;
}

int ap_store_audit_verify(ap_store *store, ap_audit_report *out, ap_err *err)
{
    ap_audit_verifier v;
    ap_audit_verifier_init(&v);
    /* Pages continue after the last good seq: a gap or a step back shows
     * up as a seq that does not follow, and the verifier stops there. */
    bool more = true;
    while (more) {
        if (verify_page(store, &v, &more, err) != 0)
            return -1;
    }
    out->ok = v.broken_at == -1;
    out->events = v.events;
    memcpy(out->head, v.head, AP_SHA256_HEX_LEN);
    out->broken_at = v.broken_at;
    return 0;
}

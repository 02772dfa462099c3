/*
 * store_commit.c — the one write path for runs: a change set (run row,
 * artifacts, audit events, archive, seed mark) applied in one transaction,
 * or not at all.
 *
 * Everything that can be checked without the database (the run document,
 * artifact hashes) is checked before BEGIN, so a bad change costs no lock
 * and can write nothing.
 */
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

/* A change after the checks: the strings the transaction will write. */
typedef struct prepared_change {
    const char *run_id;     /* change->run_id, or the doc's "id" */
    const char *state;      /* borrowed from the doc */
    const char *created_at; /* borrowed from the doc */
    const char *updated_at; /* borrowed from the doc */
    char *doc_text;         /* canonical doc without "archived", malloc'd */
    char **bodies;          /* canonical artifact bodies, malloc'd */
    size_t n_bodies;
} prepared_change;

static void prepared_change_free(prepared_change *p)
{
    free(p->doc_text);
    store_free_strings(p->bodies, p->n_bodies);
}

static const char *doc_string(const json_t *doc, const char *key)
{
    return json_string_value(json_object_get(doc, key));
}

/* Checks the run document and encodes it. "archived" belongs to the row,
 * not the document (run_get adds it), so it is left out of what is stored:
 * a document read, changed and committed back stays the same text. */
static int prepare_doc(const ap_store_change *c, prepared_change *p, ap_err *err)
{
    const json_t *doc = c->run_doc;
    const char *id = doc_string(doc, "id");
    p->state = doc_string(doc, "state");
    p->created_at = doc_string(doc, "createdAt");
    p->updated_at = doc_string(doc, "updatedAt");
    if (!json_is_object(doc) || !id || !p->state || !p->created_at || !p->updated_at) {
        ap_err_set(err, "store_error",
                   "A run document needs string members id, state, createdAt and updatedAt.");
        return -1;
    }
    if (c->run_id && strcmp(c->run_id, id) != 0) {
        ap_err_set(err, "store_error", "The change's run id %s differs from its document's (%s).",
                   c->run_id, id);
        return -1;
    }
    p->run_id = id;
    if (json_object_get(doc, "archived")) {
        json_t *copy = json_copy((json_t *)doc); /* shallow: members are shared, not copied */
        if (copy)
            json_object_del(copy, "archived");
        p->doc_text = copy ? ap_canonical_json(copy) : NULL;
        json_decref(copy);
    } else {
        p->doc_text = ap_canonical_json(doc);
    }
    if (!p->doc_text) {
        ap_err_set(err, "store_error", "Cannot encode the document of run %s.", id);
        return -1;
    }
    return 0;
}

static int prepare_change(const ap_store_change *c, prepared_change *p, ap_err *err)
{
    memset(p, 0, sizeof *p);
    if (!store_valid_name(c->workspace)) {
        ap_err_set(err, "invalid_request",
                   "workspace must be 1 to 100 characters of A-Z a-z 0-9 . _ @ -");
        return -1;
    }
    p->run_id = c->run_id;
    if (c->run_doc && prepare_doc(c, p, err) != 0)
        return -1;
    if (!c->run_doc && c->expect_state) {
        ap_err_set(err, "store_error", "expect_state needs a run document to write.");
        return -1;
    }
    if (c->n_artifacts > 0 && !p->run_id) {
        ap_err_set(err, "store_error", "Artifacts must belong to a run.");
        return -1;
    }
    if ((c->n_artifacts > 0 && !c->artifacts) || (c->n_events > 0 && !c->events)) {
        ap_err_set(err, "store_error", "A change counts artifacts or events it does not hold.");
        return -1;
    }
    p->n_bodies = c->n_artifacts;
    return store_artifacts_prepare(c->artifacts, c->n_artifacts, &p->bodies, err);
}

static int insert_run(ap_store *store, const ap_store_change *c, const prepared_change *p,
                      ap_err *err)
{
    sqlite3_stmt *stmt = store_stmt(store, STMT_RUN_INSERT);
    store_bind_text(stmt, 1, p->run_id);
    store_bind_text(stmt, 2, c->workspace);
    store_bind_text(stmt, 3, p->state);
    store_bind_text(stmt, 4, p->created_at);
    store_bind_text(stmt, 5, p->updated_at);
    store_bind_text(stmt, 6, p->doc_text);
    int rc = store_exec_stmt(stmt);
    if (rc == SQLITE_DONE)
        return 0;
    if (sqlite3_extended_errcode(store->db) == SQLITE_CONSTRAINT_UNIQUE) {
        ap_err_set(err, "conflict", "A run with id %s already exists.", p->run_id);
        return -1;
    }
    return store_fail(store, err, "inserting the run");
}

/* The state check and the write are one UPDATE; when it touches no row,
 * a second look tells a missing run from a run in another state. */
static int update_run(ap_store *store, const ap_store_change *c, const prepared_change *p,
                      ap_err *err)
{
    sqlite3_stmt *stmt = store_stmt(store, STMT_RUN_UPDATE);
    store_bind_text(stmt, 1, p->doc_text);
    store_bind_text(stmt, 2, p->state);
    store_bind_text(stmt, 3, p->updated_at);
    store_bind_text(stmt, 4, p->run_id);
    store_bind_text(stmt, 5, c->workspace);
    store_bind_text(stmt, 6, c->expect_state);
    if (store_exec_stmt(stmt) != SQLITE_DONE)
        return store_fail(store, err, "updating the run");
    if (sqlite3_changes(store->db) == 1)
        return 0;
    int exists = store_run_exists(store, c->workspace, p->run_id, err);
    if (exists < 0)
        return -1;
    if (exists)
        ap_err_set(err, "invalid_state", "Run %s is no longer in state %s.", p->run_id,
                   c->expect_state);
    else
        ap_err_set(err, "not_found", "No run %s in this workspace.", p->run_id);
    return -1;
}

static int archive_runs(ap_store *store, const char *workspace, ap_err *err)
{
    sqlite3_stmt *stmt = store_stmt(store, STMT_RUNS_ARCHIVE);
    store_bind_text(stmt, 1, workspace);
    if (store_exec_stmt(stmt) != SQLITE_DONE)
        return store_fail(store, err, "archiving runs");
    return 0;
}

static int mark_seeded(ap_store *store, const char *workspace, const char *now, ap_err *err)
{
    sqlite3_stmt *stmt = store_stmt(store, STMT_WORKSPACE_MARK_SEEDED);
    store_bind_text(stmt, 1, workspace);
    store_bind_text(stmt, 2, now);
    if (store_exec_stmt(stmt) != SQLITE_DONE)
        return store_fail(store, err, "marking the workspace seeded");
    return 0;
}

/* The body of the transaction, in the order the header promises: archive
 * first (so a run inserted by the same change stays current), then the run,
 * its artifacts, and the events chained last. */
static int apply_locked(ap_store *store, const ap_store_change *c, const prepared_change *p,
                        ap_err *err)
{
    char now[AP_TIME_LEN];
    store_now(now);
    if (store_workspace_insert(store, c->workspace, now, NULL, err) != 0)
        return -1;
    if (c->archive_runs && archive_runs(store, c->workspace, err) != 0)
        return -1;
    if (c->mark_seeded && mark_seeded(store, c->workspace, now, err) != 0)
        return -1;
    if (c->run_doc) {
        int rc = c->expect_state ? update_run(store, c, p, err) : insert_run(store, c, p, err);
        if (rc != 0)
            return -1;
    } else if (p->run_id) {
        /* Evidence for an existing run: it must be this workspace's. */
        if (store_require_run(store, c->workspace, p->run_id, err) != 0)
            return -1;
    }
    if (store_artifacts_insert(store, c->workspace, p->run_id, c->artifacts, p->bodies,
                               c->n_artifacts, err) != 0)
        return -1;
    return store_audit_append(store, c->workspace, p->run_id, c->events, c->n_events, err);
}

int ap_store_commit(ap_store *store, const ap_store_change *change, ap_err *err)
{
    prepared_change p;
    if (prepare_change(change, &p, err) != 0) {
        prepared_change_free(&p);
        return -1;
    }
    store_lock(store);
    int rc = store_begin(store, err);
    if (rc == 0)
        rc = apply_locked(store, change, &p, err);
    if (rc == 0)
        rc = store_commit_tx(store, err);
    if (rc != 0)
        store_rollback(store);
    store_unlock(store);
    prepared_change_free(&p);
    return rc;
}

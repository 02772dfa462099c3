/* test_store_runs.c — run insert, get, list (paging, state, archived), the
 * expect_state check, artifacts and a run's audit events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_store_fixture.h"

static const char *str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static void test_insert_and_get(void **state)
{
    fixture *f = *state;
    ap_err err = AP_ERR_INIT;
    assert_ok(insert_run(f->store, "northwind", "run_1", "pending_approval", &err), err);

    json_t *doc = NULL;
    assert_ok(ap_store_run_get(f->store, "northwind", "run_1", &doc, &err), err);
    assert_string_equal(str(doc, "id"), "run_1");
    assert_string_equal(str(doc, "state"), "pending_approval");
    assert_string_equal(str(doc, "connector"), "salesforce-crm");
    assert_string_equal(str(json_object_get(doc, "target"), "object"), "Opportunity");
    assert_true(json_is_false(json_object_get(doc, "archived")));
    json_decref(doc);

    /* Stored as canonical JSON, without "archived" (a row property). */
    sqlite3 *db = raw_open(f);
    char *text = raw_text(db, "SELECT doc FROM runs WHERE id = 'run_1'");
    json_t *expect = run_doc("run_1", "pending_approval", "2026-03-01T12:00:00.000Z");
    char *canon = ap_canonical_json(expect);
    assert_string_equal(text, canon);
    free(canon);
    free(text);
    json_decref(expect);
    char *st = raw_text(db, "SELECT state || '|' || created_at || '|' || updated_at FROM runs");
    assert_string_equal(st, "pending_approval|2026-03-01T12:00:00.000Z|2026-03-01T12:00:00.000Z");
    free(st);
    sqlite3_close(db);

    /* Missing, or in another workspace: not found, the same way. */
    assert_err(ap_store_run_get(f->store, "northwind", "run_x", &doc, &err), err, "not_found");
    assert_null(doc);
    assert_err(ap_store_run_get(f->store, "contoso", "run_1", &doc, &err), err, "not_found");
}

static void test_duplicate_insert_conflicts_and_writes_nothing(void **state)
{
    fixture *f = *state;
    ap_err err = AP_ERR_INIT;
    assert_ok(insert_run(f->store, "northwind", "run_1", "approved", &err), err);
    assert_err(insert_run(f->store, "northwind", "run_1", "denied", &err), err, "conflict");
    /* Same id in another workspace is the same id. */
    assert_err(insert_run(f->store, "contoso", "run_1", "denied", &err), err, "conflict");
    assert_int_equal(raw_count(f, "runs"), 1);
    assert_int_equal(raw_count(f, "audit_events"), 1);
    json_t *doc = NULL;
    assert_ok(ap_store_run_get(f->store, "northwind", "run_1", &doc, &err), err);
    assert_string_equal(str(doc, "state"), "approved");
    json_decref(doc);
}

/* Collects the ids of one listing page; returns the count. */
static size_t page_ids(json_t *runs, const char **ids, size_t max)
{
    size_t n = json_array_size(runs);
    assert_true(n <= max);
    for (size_t i = 0; i < n; i++)
        ids[i] = str(json_array_get(runs, i), "id");
    return n;
}

static void test_list_pages_newest_first(void **state)
{
    fixture *f = *state;
    ap_err err = AP_ERR_INIT;
    char id[16];
    for (int i = 1; i <= 7; i++) {
        snprintf(id, sizeof id, "run_%d", i);
        assert_ok(insert_run(f->store, "northwind", id, i % 2 ? "approved" : "denied", &err), err);
    }
    assert_ok(insert_run(f->store, "contoso", "other_ws", "approved", &err), err);

    ap_run_query q = {.workspace = "northwind", .limit = 3};
    json_t *runs = NULL;
    char *cursor = NULL;
    const char *ids[3];
    assert_ok(ap_store_run_list(f->store, &q, &runs, &cursor, &err), err);
    assert_int_equal(page_ids(runs, ids, 3), 3);
    assert_string_equal(ids[0], "run_7");
    assert_string_equal(ids[2], "run_5");
    assert_true(json_is_false(json_object_get(json_array_get(runs, 0), "archived")));
    assert_non_null(cursor);
    json_decref(runs);

    q.cursor = cursor;
    char *cursor2 = NULL;
    assert_ok(ap_store_run_list(f->store, &q, &runs, &cursor2, &err), err);
    assert_int_equal(page_ids(runs, ids, 3), 3);
    assert_string_equal(ids[0], "run_4");
    assert_string_equal(ids[2], "run_2");
    json_decref(runs);
    free(cursor);

    q.cursor = cursor2;
    assert_ok(ap_store_run_list(f->store, &q, &runs, &cursor, &err), err);
    assert_int_equal(page_ids(runs, ids, 3), 1);
    assert_string_equal(ids[0], "run_1");
    assert_null(cursor); /* nothing more */
    json_decref(runs);
    free(cursor2);

    /* Exactly a full last page: no cursor either. */
    q.cursor = NULL;
    q.limit = 7;
    assert_ok(ap_store_run_list(f->store, &q, &runs, &cursor, &err), err);
    assert_int_equal(json_array_size(runs), 7);
    assert_null(cursor);
    json_decref(runs);
}

static void test_list_state_filter(void **state)
{
    fixture *f = *state;
    ap_err err = AP_ERR_INIT;
    char id[16];
    for (int i = 1; i <= 5; i++) {
        snprintf(id, sizeof id, "run_%d", i);
        assert_ok(insert_run(f->store, "northwind", id, i % 2 ? "approved" : "denied", &err), err);
    }
    ap_run_query q = {.workspace = "northwind", .state = "denied", .limit = 1};
    json_t *runs = NULL;
    char *cursor = NULL;
    assert_ok(ap_store_run_list(f->store, &q, &runs, &cursor, &err), err);
    assert_int_equal(json_array_size(runs), 1);
    assert_string_equal(str(json_array_get(runs, 0), "id"), "run_4");
    assert_non_null(cursor);
    json_decref(runs);
    q.cursor = cursor;
    char *next = NULL;
    assert_ok(ap_store_run_list(f->store, &q, &runs, &next, &err), err);
    assert_int_equal(json_array_size(runs), 1);
    assert_string_equal(str(json_array_get(runs, 0), "id"), "run_2");
    assert_null(next);
    json_decref(runs);
    free(cursor);

    q.state = "completed";
    q.cursor = NULL;
    assert_ok(ap_store_run_list(f->store, &q, &runs, &next, &err), err);
    assert_int_equal(json_array_size(runs), 0);
    assert_null(next);
    json_decref(runs);
}

static void test_list_rejects_bad_cursor_and_limit(void **state)
{
    fixture *f = *state;
    ap_err err = AP_ERR_INIT;
    json_t *runs = (json_t *)0x1;
    char *cursor = (char *)0x1;
    const char *bad[] = {"", "abc", "-5", "0", "12x", "99999999999999999999999", " 5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ap_run_query q = {.workspace = "northwind", .limit = 10, .cursor = bad[i]};
        assert_err(ap_store_run_list(f->store, &q, &runs, &cursor, &err), err, "invalid_request");
        assert_null(runs);
        assert_null(cursor);
    }
    ap_run_query q = {.workspace = "northwind", .limit = 0};
    assert_err(ap_store_run_list(f->store, &q, &runs, &cursor, &err), err, "invalid_request");
    q.limit = 201;
    assert_err(ap_store_run_list(f->store, &q, &runs, &cursor, &err), err, "invalid_request");
    q.limit = 200;
    assert_ok(ap_store_run_list(f->store, &q, &runs, &cursor, &err), err);
    json_decref(runs);
}

static void test_archive_moves_runs_out_of_default_listing(void **state)
{
    fixture *f = *state;
    ap_err err = AP_ERR_INIT;
    assert_ok(insert_run(f->store, "northwind", "old_1", "completed", &err), err);
    assert_ok(insert_run(f->store, "northwind", "old_2", "approved", &err), err);
    assert_ok(insert_run(f->store, "contoso", "theirs", "approved", &err), err);

    /* A reset: archive, then a baseline run in the same change. */
    json_t *doc = run_doc("sample_1", "completed", "2026-03-02T00:00:00.000Z");
    ap_store_event ev = {.type = "simulation.reset", .actor = "admin", .at = "2026-03-02T00:00:00.000Z"};
    ap_store_change c = {.workspace = "northwind", .run_id = "sample_1", .run_doc = doc,
                         .events = &ev, .n_events = 1, .archive_runs = true, .mark_seeded = true};
    assert_ok(ap_store_commit(f->store, &c, &err), err);
    json_decref(doc);

    ap_run_query q = {.workspace = "northwind", .limit = 50};
    json_t *runs = NULL;
    char *cursor = NULL;
    assert_ok(ap_store_run_list(f->store, &q, &runs, &cursor, &err), err);
    assert_int_equal(json_array_size(runs), 1);
    assert_string_equal(str(json_array_get(runs, 0), "id"), "sample_1");
    json_decref(runs);

    q.archived = true;
    assert_ok(ap_store_run_list(f->store, &q, &runs, &cursor, &err), err);
    assert_int_equal(json_array_size(runs), 2);
    assert_string_equal(str(json_array_get(runs, 0), "id"), "old_2");
    assert_true(json_is_true(json_object_get(json_array_get(runs, 0), "archived")));
    json_decref(runs);

    /* Archived runs are still readable, with all their events; the other
     * workspace was not touched. */
    assert_ok(ap_store_run_get(f->store, "northwind", "old_1", &doc, &err), err);
    assert_true(json_is_true(json_object_get(doc, "archived")));
    json_decref(doc);
    assert_ok(ap_store_run_get(f->store, "contoso", "theirs", &doc, &err), err);
    assert_true(json_is_false(json_object_get(doc, "archived")));
    json_decref(doc);
    json_t *events = NULL;
    assert_ok(ap_store_run_audit(f->store, "northwind", "old_1", &events, &err), err);
    assert_int_equal(json_array_size(events), 1);
    json_decref(events);
}

/* Moves run_1 from `from` to `to` with one event; returns the rc. */
static int transition(ap_store *store, const char *from, const char *to, ap_err *err)
{
    json_t *doc = run_doc("run_1", to, "2026-03-01T12:00:00.000Z");
    json_object_set_new(doc, "updatedAt", json_string("2026-03-01T13:00:00.000Z"));
    json_t *data = json_pack("{s:s, s:s}", "from", from, "to", to);
    ap_store_event ev = {.type = "run.transition", .actor = "bo", .at = "2026-03-01T13:00:00.000Z",
                         .data = data};
    ap_store_change c = {.workspace = "northwind", .run_id = "run_1", .run_doc = doc,
                         .expect_state = from, .events = &ev, .n_events = 1};
    int rc = ap_store_commit(store, &c, err);
    json_decref(data);
    json_decref(doc);
    return rc;
}

static void test_expect_state_race(void **state)
{
    fixture *f = *state;
    ap_err err = AP_ERR_INIT;
    assert_ok(insert_run(f->store, "northwind", "run_1", "pending_approval", &err), err);

    /* Two requests both read pending_approval; the first one wins. */
    assert_ok(transition(f->store, "pending_approval", "approved", &err), err);
    assert_err(transition(f->store, "pending_approval", "rejected", &err), err, "invalid_state");

    json_t *doc = NULL;
    assert_ok(ap_store_run_get(f->store, "northwind", "run_1", &doc, &err), err);
    assert_string_equal(str(doc, "state"), "approved");
    assert_string_equal(str(doc, "updatedAt"), "2026-03-01T13:00:00.000Z");
    json_decref(doc);
    /* The loser wrote no event. */
    assert_int_equal(raw_count(f, "audit_events"), 2);
    sqlite3 *db = raw_open(f);
    char *row = raw_text(db, "SELECT state || '|' || updated_at FROM runs WHERE id = 'run_1'");
    assert_string_equal(row, "approved|2026-03-01T13:00:00.000Z");
    free(row);
    sqlite3_close(db);

    /* A run that is not there (or is another workspace's) is not_found. */
    json_t *ghost = run_doc("ghost", "approved", "2026-03-01T12:00:00.000Z");
    ap_store_change c = {.workspace = "northwind", .run_doc = ghost, .expect_state = "pending_approval"};
    assert_err(ap_store_commit(f->store, &c, &err), err, "not_found");
    json_decref(ghost);
    json_t *mine = run_doc("run_1", "executing", "2026-03-01T12:00:00.000Z");
    ap_store_change other = {.workspace = "contoso", .run_doc = mine, .expect_state = "approved"};
    assert_err(ap_store_commit(f->store, &other, &err), err, "not_found");
    json_decref(mine);
}

static void test_run_doc_must_be_complete(void **state)
{
    fixture *f = *state;
    ap_err err = AP_ERR_INIT;
    json_t *doc = run_doc("run_1", "approved", "2026-03-01T12:00:00.000Z");
    json_object_del(doc, "state");
    ap_store_change c = {.workspace = "northwind", .run_doc = doc};
    assert_err(ap_store_commit(f->store, &c, &err), err, "store_error");
    json_decref(doc);

    doc = run_doc("run_1", "approved", "2026-03-01T12:00:00.000Z");
    c.run_doc = doc;
    c.run_id = "run_2"; /* disagrees with the doc */
    assert_err(ap_store_commit(f->store, &c, &err), err, "store_error");

    /* "archived" in a document is dropped: the row decides. */
    c.run_id = NULL;
    json_object_set_new(doc, "archived", json_true());
    assert_ok(ap_store_commit(f->store, &c, &err), err);
    json_decref(doc);
    assert_ok(ap_store_run_get(f->store, "northwind", "run_1", &doc, &err), err);
    assert_true(json_is_false(json_object_get(doc, "archived")));
    json_decref(doc);
    assert_int_equal(raw_count(f, "runs"), 1);
}

static void test_artifacts_in_commit_order(void **state)
{
    fixture *f = *state;
    ap_err err = AP_ERR_INIT;
    json_t *doc = run_doc("run_1", "pending_approval", "2026-03-01T12:00:00.000Z");
    json_t *bodies[3] = {json_pack("{s:s}", "who", "ana"), json_pack("{s:[{s:s}]}", "diff", "field", "Amount"),
                         json_pack("{s:s, s:i}", "rule", "large-amount", "required", 1)};
    const char *kinds[3] = {"request_evidence", "preview", "policy_decision"};
    char hashes[3][AP_SHA256_HEX_LEN];
    ap_store_artifact arts[3];
    for (int i = 0; i < 3; i++) {
        char *canon = ap_canonical_json(bodies[i]);
        ap_sha256_hex(canon, strlen(canon), hashes[i]);
        free(canon);
        arts[i] = (ap_store_artifact){.kind = kinds[i], .created_at = "2026-03-01T12:00:00.000Z",
                                      .sha256 = hashes[i], .body = bodies[i]};
    }
    ap_store_change c = {.workspace = "northwind", .run_doc = doc, .artifacts = arts, .n_artifacts = 3};
    assert_ok(ap_store_commit(f->store, &c, &err), err);

    /* A later change adds evidence to the run without touching its doc. */
    ap_store_change later = {.workspace = "northwind", .run_id = "run_1", .artifacts = &arts[1], .n_artifacts = 1};
    assert_ok(ap_store_commit(f->store, &later, &err), err);

    json_t *list = NULL;
    assert_ok(ap_store_artifacts(f->store, "northwind", "run_1", NULL, &list, &err), err);
    assert_int_equal(json_array_size(list), 4);
    for (int i = 0; i < 3; i++) {
        json_t *a = json_array_get(list, i);
        assert_string_equal(str(a, "kind"), kinds[i]);
        assert_string_equal(str(a, "sha256"), hashes[i]);
        assert_string_equal(str(a, "createdAt"), "2026-03-01T12:00:00.000Z");
        assert_true(json_equal(json_object_get(a, "body"), bodies[i]));
    }
    json_decref(list);

    assert_ok(ap_store_artifacts(f->store, "northwind", "run_1", "preview", &list, &err), err);
    assert_int_equal(json_array_size(list), 2);
    json_decref(list);
    assert_ok(ap_store_artifacts(f->store, "northwind", "run_1", "failure", &list, &err), err);
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);
    assert_err(ap_store_artifacts(f->store, "contoso", "run_1", NULL, &list, &err), err, "not_found");
    assert_null(list);
    assert_err(ap_store_artifacts(f->store, "northwind", "nope", NULL, &list, &err), err, "not_found");

    for (int i = 0; i < 3; i++)
        json_decref(bodies[i]);
    json_decref(doc);
}

static void test_run_audit_events(void **state)
{
    fixture *f = *state;
    ap_err err = AP_ERR_INIT;
    char tok[AP_TOKEN_LEN];
    assert_ok(ap_store_token_create(f->store, "northwind", "ana", AP_ROLE_OPERATOR, tok, &err), err); /* seq 1 */
    assert_ok(insert_run(f->store, "northwind", "run_1", "pending_approval", &err), err);            /* seq 2 */
    assert_ok(insert_run(f->store, "northwind", "run_2", "approved", &err), err);                    /* seq 3 */
    assert_ok(transition(f->store, "pending_approval", "approved", &err), err);                      /* seq 4 */

    json_t *events = NULL;
    assert_ok(ap_store_run_audit(f->store, "northwind", "run_1", &events, &err), err);
    assert_int_equal(json_array_size(events), 2);
    json_t *e0 = json_array_get(events, 0), *e1 = json_array_get(events, 1);
    assert_int_equal(json_integer_value(json_object_get(e0, "seq")), 2);
    assert_int_equal(json_integer_value(json_object_get(e1, "seq")), 4);
    assert_string_equal(str(e0, "type"), "run.created");
    assert_string_equal(str(e0, "runId"), "run_1");
    assert_string_equal(str(e1, "actor"), "bo");
    assert_string_equal(str(json_object_get(e1, "data"), "to"), "approved");
    assert_int_equal(strlen(str(e1, "hash")), 64);
    assert_int_equal(strlen(str(e1, "prevHash")), 64);

    /* Each returned event recomputes to its hash (the object is exactly
     * what was hashed, plus "hash"). */
    for (size_t i = 0; i < json_array_size(events); i++) {
        json_t *e = json_array_get(events, i);
        ap_audit_event ev = {.seq = json_integer_value(json_object_get(e, "seq")),
                             .at = str(e, "at"), .type = str(e, "type"), .actor = str(e, "actor"),
                             .run_id = str(e, "runId"), .data = json_object_get(e, "data"),
                             .prev_hash = str(e, "prevHash")};
        char h[AP_SHA256_HEX_LEN];
        assert_int_equal(ap_audit_event_hash(&ev, h), 0);
        assert_string_equal(h, str(e, "hash"));
    }
    json_decref(events);

    assert_err(ap_store_run_audit(f->store, "contoso", "run_1", &events, &err), err, "not_found");
    assert_null(events);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_insert_and_get, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_insert_conflicts_and_writes_nothing, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_list_pages_newest_first, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_list_state_filter, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_list_rejects_bad_cursor_and_limit, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_archive_moves_runs_out_of_default_listing, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_expect_state_race, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_run_doc_must_be_complete, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_artifacts_in_commit_order, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_run_audit_events, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

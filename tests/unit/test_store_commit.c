/* test_store_commit.c — all-or-nothing commits and append-only evidence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_store_fixture.h"

/* An artifact whose hash is right (or not), with its body. */
typedef struct artifact_case {
    json_t *body;
    char sha256[AP_SHA256_HEX_LEN];
    ap_store_artifact art;
} artifact_case;

static void artifact_make(artifact_case *a, const char *kind, int value, bool right_hash)
{
    a->body = json_pack("{s:s, s:i}", "kind", kind, "value", value);
    char *canon = ap_canonical_json(a->body);
    if (!right_hash)
        canon[strlen(canon) - 2] = 'X'; /* hash of some other text */
    ap_sha256_hex(canon, strlen(canon), a->sha256);
    free(canon);
    a->art = (ap_store_artifact){.kind = kind, .created_at = "2026-03-01T12:00:00.000Z",
                                 .sha256 = a->sha256, .body = a->body};
}

static void test_wrong_artifact_hash_writes_nothing(void **state)
{
    fixture *f = *state;
    ap_err err = AP_ERR_INIT;
    artifact_case a[2];
    artifact_make(&a[0], "preview", 1, true);
    artifact_make(&a[1], "policy_decision", 2, false);
    ap_store_artifact arts[2] = {a[0].art, a[1].art};
    json_t *doc = run_doc("run_1", "pending_approval", "2026-03-01T12:00:00.000Z");
    ap_store_event ev = {.type = "run.created", .actor = "ana", .at = "2026-03-01T12:00:00.000Z"};
    ap_store_change c = {.workspace = "northwind", .run_id = "run_1", .run_doc = doc,
                         .artifacts = arts, .n_artifacts = 2, .events = &ev, .n_events = 1};
    assert_err(ap_store_commit(f->store, &c, &err), err, "store_error");

    assert_int_equal(raw_count(f, "runs"), 0);
    assert_int_equal(raw_count(f, "artifacts"), 0);
    assert_int_equal(raw_count(f, "audit_events"), 0);
    assert_int_equal(raw_count(f, "workspaces"), 0);

    /* The same change with the right hash goes through whole. */
    artifact_case good;
    artifact_make(&good, "policy_decision", 2, true);
    arts[1] = good.art;
    assert_ok(ap_store_commit(f->store, &c, &err), err);
    assert_int_equal(raw_count(f, "runs"), 1);
    assert_int_equal(raw_count(f, "artifacts"), 2);
    assert_int_equal(raw_count(f, "audit_events"), 1);

    json_decref(doc);
    json_decref(a[0].body);
    json_decref(a[1].body);
    json_decref(good.body);
}

static void test_failure_inside_the_transaction_rolls_back(void **state)
{
    fixture *f = *state;
    ap_err err = AP_ERR_INIT;
    assert_ok(insert_run(f->store, "northwind", "run_1", "approved", &err), err);

    /* Archive + artifacts + events that are fine, and a run insert that
     * conflicts: the archive and everything else must be undone. */
    artifact_case a;
    artifact_make(&a, "preview", 1, true);
    json_t *doc = run_doc("run_1", "approved", "2026-03-01T12:00:00.000Z");
    ap_store_event evs[2] = {{.type = "x.one", .actor = "ana", .at = "2026-03-01T12:00:00.000Z"},
                             {.type = "x.two", .actor = "ana", .at = "2026-03-01T12:00:00.000Z"}};
    ap_store_change c = {.workspace = "northwind", .run_doc = doc, .artifacts = &a.art,
                         .n_artifacts = 1, .events = evs, .n_events = 2, .archive_runs = true,
                         .mark_seeded = true};
    assert_err(ap_store_commit(f->store, &c, &err), err, "conflict");
    assert_int_equal(raw_count(f, "artifacts"), 0);
    assert_int_equal(raw_count(f, "audit_events"), 1);
    sqlite3 *db = raw_open(f);
    assert_int_equal(raw_int(db, "SELECT archived FROM runs WHERE id = 'run_1'"), 0);
    assert_int_equal(raw_int(db, "SELECT sim_seeded_at IS NULL FROM workspaces"), 1);
    sqlite3_close(db);

    /* A bad event (no type) after good writes: also nothing. */
    ap_store_event bad[2] = {{.type = "x.one", .actor = "ana", .at = "2026-03-01T12:00:00.000Z"},
                             {.type = NULL, .actor = "ana", .at = "2026-03-01T12:00:00.000Z"}};
    ap_store_change c2 = {.workspace = "northwind", .run_id = "run_1", .artifacts = &a.art,
                          .n_artifacts = 1, .events = bad, .n_events = 2, .archive_runs = true};
    assert_err(ap_store_commit(f->store, &c2, &err), err, "store_error");
    assert_int_equal(raw_count(f, "artifacts"), 0);
    assert_int_equal(raw_count(f, "audit_events"), 1);

    /* The store works on after the failures and the chain is whole. */
    assert_ok(insert_run(f->store, "northwind", "run_2", "approved", &err), err);
    ap_audit_report rep;
    assert_ok(ap_store_audit_verify(f->store, &rep, &err), err);
    assert_true(rep.ok);
    assert_int_equal(rep.events, 2);

    json_decref(doc);
    json_decref(a.body);
}

static void test_change_shape_errors(void **state)
{
    fixture *f = *state;
    ap_err err = AP_ERR_INIT;
    artifact_case a;
    artifact_make(&a, "preview", 1, true);

    ap_store_change no_run = {.workspace = "northwind", .artifacts = &a.art, .n_artifacts = 1};
    assert_err(ap_store_commit(f->store, &no_run, &err), err, "store_error");

    ap_store_change bad_ws = {.workspace = "no spaces"};
    assert_err(ap_store_commit(f->store, &bad_ws, &err), err, "invalid_request");

    ap_store_change expect_no_doc = {.workspace = "northwind", .run_id = "r", .expect_state = "approved"};
    assert_err(ap_store_commit(f->store, &expect_no_doc, &err), err, "store_error");

    /* Evidence for a run of another workspace, or no run at all. */
    assert_ok(insert_run(f->store, "contoso", "theirs", "approved", &err), err);
    ap_store_change cross = {.workspace = "northwind", .run_id = "theirs", .artifacts = &a.art, .n_artifacts = 1};
    assert_err(ap_store_commit(f->store, &cross, &err), err, "not_found");
    cross.run_id = "missing";
    assert_err(ap_store_commit(f->store, &cross, &err), err, "not_found");
    assert_int_equal(raw_count(f, "artifacts"), 0);

    /* Event data must be an object. */
    json_t *arr = json_array();
    ap_store_event ev = {.type = "t", .actor = "a", .at = "2026-03-01T12:00:00.000Z", .data = arr};
    ap_store_change c = {.workspace = "northwind", .events = &ev, .n_events = 1};
    assert_err(ap_store_commit(f->store, &c, &err), err, "store_error");
    json_decref(arr);
    assert_int_equal(raw_count(f, "audit_events"), 1);

    /* A workspace-level event (no run) is fine. */
    ev.data = NULL;
    assert_ok(ap_store_commit(f->store, &c, &err), err);
    sqlite3 *db = raw_open(f);
    char *data = raw_text(db, "SELECT data FROM audit_events WHERE seq = 2");
    assert_string_equal(data, "{}");
    free(data);
    assert_int_equal(raw_int(db, "SELECT run_id IS NULL FROM audit_events WHERE seq = 2"), 1);
    sqlite3_close(db);
    json_decref(a.body);
}

/* Runs `sql` on a raw connection and expects the append-only refusal. */
static void expect_append_only(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = raw_exec(db, sql, &msg);
    assert_int_not_equal(rc, SQLITE_OK);
    assert_non_null(msg);
    assert_non_null(strstr(msg, "append-only"));
    sqlite3_free(msg);
}

static void test_evidence_is_append_only(void **state)
{
    fixture *f = *state;
    ap_err err = AP_ERR_INIT;
    artifact_case a;
    artifact_make(&a, "preview", 1, true);
    json_t *doc = run_doc("run_1", "approved", "2026-03-01T12:00:00.000Z");
    ap_store_event ev = {.type = "run.created", .actor = "ana", .at = "2026-03-01T12:00:00.000Z"};
    ap_store_change c = {.workspace = "northwind", .run_doc = doc, .artifacts = &a.art,
                         .n_artifacts = 1, .events = &ev, .n_events = 1};
    assert_ok(ap_store_commit(f->store, &c, &err), err);

    sqlite3 *db = raw_open(f);
    expect_append_only(db, "UPDATE artifacts SET body = '{}'");
    expect_append_only(db, "DELETE FROM artifacts");
    expect_append_only(db, "UPDATE audit_events SET actor = 'mallory'");
    expect_append_only(db, "DELETE FROM audit_events");
    expect_append_only(db, "DELETE FROM audit_events WHERE seq = 1");
    /* Untouched. */
    assert_int_equal(raw_int(db, "SELECT count(*) FROM artifacts WHERE body <> '{}'"), 1);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM audit_events WHERE actor = 'ana'"), 1);
    /* Appending stays possible (the triggers guard change, not insertion). */
    sqlite3_close(db);
    assert_err(ap_store_commit(f->store, &c, &err), err, "conflict"); /* same run again */
    ap_store_change more = {.workspace = "northwind", .run_id = "run_1", .artifacts = &a.art,
                            .n_artifacts = 1, .events = &ev, .n_events = 1};
    assert_ok(ap_store_commit(f->store, &more, &err), err);
    assert_int_equal(raw_count(f, "artifacts"), 2);
    assert_int_equal(raw_count(f, "audit_events"), 2);

    json_decref(doc);
    json_decref(a.body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_wrong_artifact_hash_writes_nothing, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_failure_inside_the_transaction_rolls_back, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_change_shape_errors, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_evidence_is_append_only, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

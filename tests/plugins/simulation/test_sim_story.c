/*
 * test_sim_story.c — the Northwind story through simulation.so: seed on first
 * touch, preview, execute with the stage automation, read back, rollback,
 * and the conflicts that guard execute and rollback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim_test_support.h"

#define WS "northwind-ws"
/* 2026-03-01T09:30:00.250Z */
#define T_EXEC INT64_C(1772357400250)
#define T_EXEC_STAMP "2026-03-01T09:30:00.250+0000"

static json_t *preview_nw(mock_host *h, const char *changes)
{
    return sim_call_ok(h, MOCK_PREVIEW,
                       "{\"workspace\": \"" WS "\", \"environment\": \"simulation\","
                       " \"action\": \"salesforce.update-opportunity\","
                       " \"target\": {\"object\": \"Opportunity\", \"id\": \"" NW_ID "\"},"
                       " \"changes\": %s}",
                       changes);
}

/* The execute input the host builds from a preview: the diff's fields, the
 * preview's current values, version and plan. */
static char *execute_input(const json_t *preview, const char *run_id)
{
    json_t *changes = json_object();
    size_t i;
    json_t *entry;
    json_array_foreach(json_object_get(preview, "diff"), i, entry)
        json_object_set(changes, json_string_value(json_object_get(entry, "field")),
                        json_object_get(entry, "after"));
    json_t *input = json_pack(
        "{s:s, s:s, s:s, s:s, s:{s:s, s:O}, s:o, s:O, s:O, s:O}", "workspace", WS,
        "environment", "simulation", "runId", run_id, "action", "salesforce.update-opportunity",
        "target", "object", "Opportunity", "id", json_object_get(json_object_get(preview, "target"), "id"),
        "changes", changes, "expected", json_object_get(preview, "current"), "version",
        json_object_get(preview, "version"), "rollbackPlan", json_object_get(preview, "rollbackPlan"));
    char *text = json_dumps(input, JSON_COMPACT);
    json_decref(input);
    return text;
}

static char *rollback_input(const json_t *executed, const char *run_id, int force)
{
    json_t *input = json_pack("{s:s, s:s, s:s, s:{s:s, s:s}, s:O, s:O, s:b}", "workspace", WS,
                              "environment", "simulation", "runId", run_id, "target", "object",
                              "Opportunity", "id", NW_ID, "rollbackPlan",
                              json_object_get(executed, "rollbackPlan"), "written",
                              json_object_get(executed, "written"), "force", force);
    if (force)
        json_object_set_new(input, "forceReason", json_string("customer asked to revert"));
    char *text = json_dumps(input, JSON_COMPACT);
    json_decref(input);
    return text;
}

static json_t *execute_preview(mock_host *h, const json_t *preview, const char *run_id)
{
    char *input = execute_input(preview, run_id);
    json_t *out = sim_call_ok(h, MOCK_EXECUTE, "%s", input);
    free(input);
    return out;
}

static void test_seed_on_first_touch(void **state)
{
    sim_fixture *f = *state;
    json_t *rec = sim_read_nw(f->host, "never-seen-before");
    sim_assert_str(rec, "object", "Opportunity");
    sim_assert_str(rec, "id", NW_ID);
    sim_assert_str(rec, "version", NW_SEED_STAMP);
    json_t *expected = json_pack(
        "{s:s, s:s, s:s, s:f, s:s, s:s, s:f, s:s, s:s}", "Id", NW_ID, "Name", NW_NAME,
        "StageName", "Qualification", "Amount", 120000.0, "CloseDate", "2026-05-20", "NextStep",
        "Confirm pricing committee review", "Probability", 10.0, "LastModifiedDate",
        NW_SEED_STAMP, "SystemModstamp", NW_SEED_STAMP);
    sim_assert_json_same(json_object_get(rec, "fields"), expected);
    json_decref(expected);
    json_decref(rec);
}

static void test_northwind_story(void **state)
{
    sim_fixture *f = *state;
    mock_host *h = f->host;

    /* Preview: four fields change, in the order of the request. */
    json_t *preview = preview_nw(h, NW_CHANGES);
    json_t *target = json_object_get(preview, "target");
    sim_assert_str(target, "id", NW_ID);
    sim_assert_str(target, "name", NW_NAME);
    sim_assert_str(preview, "version", NW_SEED_STAMP);
    assert_true(json_is_true(json_object_get(preview, "rollbackReady")));
    json_t *want_diff = json_pack(
        "[{s:s, s:s, s:s}, {s:s, s:i, s:i}, {s:s, s:s, s:s}, {s:s, s:s, s:s}]",
        "field", "StageName", "before", "Qualification", "after", "Proposal/Price Quote",
        "field", "Amount", "before", 120000, "after", 148000,
        "field", "CloseDate", "before", "2026-05-20", "after", "2026-05-27",
        "field", "NextStep", "before", "Confirm pricing committee review", "after",
        "Send revised proposal to Northwind procurement");
    sim_assert_json_same(json_object_get(preview, "diff"), want_diff);
    json_decref(want_diff);
    json_t *plan = json_object_get(preview, "rollbackPlan");
    sim_assert_str(plan, "strategy", "compensating_write");
    sim_assert_str(plan, "version", NW_SEED_STAMP);
    json_t *restore = json_object_get(plan, "restore");
    assert_int_equal(json_object_size(restore), 4);
    sim_assert_str(restore, "StageName", "Qualification");
    sim_assert_num(restore, "Amount", 120000);
    json_t *automation = json_object_get(json_object_get(preview, "automationChanges"), "Probability");
    sim_assert_num(automation, "before", 10);
    sim_assert_num(automation, "after", 75);

    /* Preview wrote nothing. */
    json_t *rec = sim_read_nw(h, WS);
    sim_assert_str(json_object_get(rec, "fields"), "StageName", "Qualification");
    sim_assert_str(rec, "version", NW_SEED_STAMP);
    json_decref(rec);

    /* Execute: written, observed with Probability from the stage automation. */
    mock_host_set_now(h, T_EXEC);
    json_t *executed = execute_preview(h, preview, "run-1");
    json_t *written = json_object_get(executed, "written");
    assert_int_equal(json_object_size(written), 4);
    sim_assert_num(written, "Amount", 148000);
    json_t *observed = json_object_get(executed, "observed");
    sim_assert_str(observed, "StageName", "Proposal/Price Quote");
    sim_assert_num(observed, "Amount", 148000);
    sim_assert_str(observed, "CloseDate", "2026-05-27");
    sim_assert_str(observed, "NextStep", "Send revised proposal to Northwind procurement");
    sim_assert_num(observed, "Probability", 75);
    sim_assert_str(observed, "Name", NW_NAME);
    sim_assert_str(observed, "LastModifiedDate", T_EXEC_STAMP);
    sim_assert_str(observed, "SystemModstamp", T_EXEC_STAMP);
    sim_assert_str(executed, "version", T_EXEC_STAMP);
    automation = json_object_get(json_object_get(executed, "automationChanges"), "Probability");
    sim_assert_num(automation, "before", 10);
    sim_assert_num(automation, "after", 75);
    plan = json_object_get(executed, "rollbackPlan");
    sim_assert_str(plan, "strategy", "compensating_write");
    sim_assert_str(plan, "version", T_EXEC_STAMP);
    json_t *want_restore = json_pack("{s:s, s:i, s:s, s:s}", "StageName", "Qualification",
                                     "Amount", 120000, "CloseDate", "2026-05-20", "NextStep",
                                     "Confirm pricing committee review");
    sim_assert_json_same(json_object_get(plan, "restore"), want_restore);

    /* read_record shows the new values. */
    rec = sim_read_nw(h, WS);
    sim_assert_json_same(json_object_get(rec, "fields"), observed);
    sim_assert_str(rec, "version", T_EXEC_STAMP);
    json_decref(rec);

    /* Rollback restores the seed values; Probability follows the stage. */
    mock_host_set_now(h, T_EXEC + 60000);
    char *input = rollback_input(executed, "run-1", 0);
    json_t *rolled = sim_call_ok(h, MOCK_ROLLBACK, "%s", input);
    free(input);
    sim_assert_json_same(json_object_get(rolled, "restored"), want_restore);
    observed = json_object_get(rolled, "observed");
    sim_assert_str(observed, "StageName", "Qualification");
    sim_assert_num(observed, "Probability", 10);
    sim_assert_str(rolled, "version", "2026-03-01T09:31:00.250+0000");
    assert_true(json_is_false(json_object_get(rolled, "forced")));

    rec = sim_read_nw(h, WS);
    json_t *fields = json_object_get(rec, "fields");
    sim_assert_str(fields, "StageName", "Qualification");
    sim_assert_num(fields, "Amount", 120000);
    sim_assert_str(fields, "CloseDate", "2026-05-20");
    sim_assert_str(fields, "NextStep", "Confirm pricing committee review");
    sim_assert_num(fields, "Probability", 10);
    json_decref(rec);

    json_decref(want_restore);
    json_decref(rolled);
    json_decref(executed);
    json_decref(preview);
}

static void test_preview_unchanged_fields_left_out_of_diff(void **state)
{
    sim_fixture *f = *state;
    /* 120000.0 equals the stored 120000: numbers compare by value. */
    json_t *preview = preview_nw(f->host, "{\"Amount\": 120000.0, \"NextStep\": \"Call Ana\"}");
    json_t *diff = json_object_get(preview, "diff");
    assert_int_equal(json_array_size(diff), 1);
    sim_assert_str(json_array_get(diff, 0), "field", "NextStep");
    assert_int_equal(json_object_size(json_object_get(preview, "current")), 2);
    assert_int_equal(json_object_size(json_object_get(json_object_get(preview, "rollbackPlan"),
                                                      "restore")), 1);
    assert_int_equal(json_object_size(json_object_get(preview, "automationChanges")), 0);
    json_decref(preview);
}

static void test_execute_conflict(void **state)
{
    sim_fixture *f = *state;
    mock_host *h = f->host;
    json_t *preview_a = preview_nw(h, NW_CHANGES);
    /* Someone else raises the amount between A's preview and A's execute. */
    json_t *preview_b = preview_nw(h, "{\"Amount\": 130000}");
    json_t *executed_b = execute_preview(h, preview_b, "run-b");
    json_t *before = sim_read_nw(h, WS);

    char *input = execute_input(preview_a, "run-a");
    char message[512];
    json_t *details = sim_call_err(h, MOCK_EXECUTE, AP_CONFLICT, "conflict", message, "%s", input);
    free(input);
    assert_non_null(strstr(message, "Amount"));
    json_t *want = json_pack("{s:[{s:s, s:i, s:i}]}", "fields", "field", "Amount", "expected",
                             120000, "actual", 130000);
    sim_assert_json_same(details, want);

    /* Nothing was written: the record is exactly as B left it. */
    json_t *after = sim_read_nw(h, WS);
    sim_assert_json_same(after, before);
    sim_assert_str(json_object_get(after, "fields"), "StageName", "Qualification");

    json_decref(after);
    json_decref(want);
    json_decref(details);
    json_decref(before);
    json_decref(executed_b);
    json_decref(preview_b);
    json_decref(preview_a);
}

static void test_rollback_conflict_then_force(void **state)
{
    sim_fixture *f = *state;
    mock_host *h = f->host;
    json_t *preview = preview_nw(h, NW_CHANGES);
    json_t *executed = execute_preview(h, preview, "run-1");
    /* A later change moves the stage on. */
    json_t *later_preview = preview_nw(h, "{\"StageName\": \"Negotiation/Review\"}");
    json_t *later = execute_preview(h, later_preview, "run-2");
    json_t *before = sim_read_nw(h, WS);

    char *input = rollback_input(executed, "run-1", 0);
    json_t *details = sim_call_err(h, MOCK_ROLLBACK, AP_CONFLICT, "conflict", NULL, "%s", input);
    free(input);
    json_t *want = json_pack("{s:[{s:s, s:s, s:s, s:s}]}", "fields", "field", "StageName",
                             "before", "Qualification", "written", "Proposal/Price Quote", "now",
                             "Negotiation/Review");
    sim_assert_json_same(details, want);
    json_t *after = sim_read_nw(h, WS);
    sim_assert_json_same(after, before);
    sim_assert_num(json_object_get(after, "fields"), "Probability", 90);
    json_decref(after);

    /* A forced rollback restores anyway, and says so in the log. */
    input = rollback_input(executed, "run-1", 1);
    json_t *rolled = sim_call_ok(h, MOCK_ROLLBACK, "%s", input);
    free(input);
    assert_true(json_is_true(json_object_get(rolled, "forced")));
    json_t *observed = json_object_get(rolled, "observed");
    sim_assert_str(observed, "StageName", "Qualification");
    sim_assert_num(observed, "Amount", 120000);
    sim_assert_num(observed, "Probability", 10);
    json_t *automation = json_object_get(json_object_get(rolled, "automationChanges"), "Probability");
    sim_assert_num(automation, "before", 90);
    sim_assert_num(automation, "after", 10);
    assert_non_null(strstr(mock_host_last_log(h), "forced rollback"));
    assert_non_null(strstr(mock_host_last_log(h), "customer asked to revert"));

    json_decref(rolled);
    json_decref(want);
    json_decref(details);
    json_decref(before);
    json_decref(later);
    json_decref(later_preview);
    json_decref(executed);
    json_decref(preview);
}

static void test_rollback_input_errors(void **state)
{
    sim_fixture *f = *state;
    mock_host *h = f->host;
    /* Forced without a reason. */
    json_t *d = sim_call_err(h, MOCK_ROLLBACK, AP_INVALID, "invalid_request", NULL,
                             "{\"workspace\": \"" WS "\", \"target\": {\"object\": \"Opportunity\","
                             " \"id\": \"" NW_ID "\"}, \"force\": true,"
                             " \"rollbackPlan\": {\"restore\": {\"Amount\": 1}}}");
    sim_assert_str(d, "field", "forceReason");
    json_decref(d);
    /* Unforced without `written`. */
    d = sim_call_err(h, MOCK_ROLLBACK, AP_INVALID, "invalid_request", NULL,
                     "{\"workspace\": \"" WS "\", \"target\": {\"object\": \"Opportunity\","
                     " \"id\": \"" NW_ID "\"}, \"rollbackPlan\": {\"restore\": {\"Amount\": 1}}}");
    sim_assert_str(d, "field", "written");
    json_decref(d);
    /* A restore value the org refuses: rollback_failed, nothing written. */
    d = sim_call_err(h, MOCK_ROLLBACK, AP_ERROR, "rollback_failed", NULL,
                     "{\"workspace\": \"" WS "\", \"target\": {\"object\": \"Opportunity\","
                     " \"id\": \"" NW_ID "\"}, \"written\": {},"
                     " \"rollbackPlan\": {\"restore\": {\"StageName\": \"Won-ish\"}}}");
    sim_assert_str(d, "field", "StageName");
    json_decref(d);
    json_t *rec = sim_read_nw(h, WS);
    sim_assert_str(rec, "version", NW_SEED_STAMP);
    json_decref(rec);
}

static void test_execute_validates_again(void **state)
{
    sim_fixture *f = *state;
    json_t *d = sim_call_err(f->host, MOCK_EXECUTE, AP_INVALID, "invalid_value", NULL,
                             "{\"workspace\": \"" WS "\", \"target\": {\"object\": \"Opportunity\","
                             " \"id\": \"" NW_ID "\"}, \"changes\": {\"CloseDate\": \"2026-02-30\"},"
                             " \"expected\": {\"CloseDate\": \"2026-05-20\"}}");
    sim_assert_str(d, "field", "CloseDate");
    json_decref(d);
    json_t *rec = sim_read_nw(f->host, WS);
    sim_assert_str(rec, "version", NW_SEED_STAMP);
    json_decref(rec);
}

static void test_timestamps_strictly_increase(void **state)
{
    sim_fixture *f = *state;
    mock_host *h = f->host;
    /* A clock that stands still, then one behind the seed: every write still
     * moves the version forward by at least one millisecond. */
    mock_host_set_now(h, T_EXEC);
    json_t *p1 = preview_nw(h, "{\"NextStep\": \"one\"}");
    json_t *e1 = execute_preview(h, p1, "r1");
    json_t *p2 = preview_nw(h, "{\"NextStep\": \"two\"}");
    json_t *e2 = execute_preview(h, p2, "r2");
    sim_assert_str(e1, "version", T_EXEC_STAMP);
    sim_assert_str(e2, "version", "2026-03-01T09:30:00.251+0000");
    assert_int_equal(json_object_size(json_object_get(e2, "automationChanges")), 0);
    mock_host_set_now(h, 1000);
    json_t *p3 = preview_nw(h, "{\"NextStep\": \"three\"}");
    json_t *e3 = execute_preview(h, p3, "r3");
    sim_assert_str(e3, "version", "2026-03-01T09:30:00.252+0000");
    json_decref(p1);
    json_decref(e1);
    json_decref(p2);
    json_decref(e2);
    json_decref(p3);
    json_decref(e3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_seed_on_first_touch, sim_fixture_setup,
                                        sim_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_northwind_story, sim_fixture_setup,
                                        sim_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_preview_unchanged_fields_left_out_of_diff,
                                        sim_fixture_setup, sim_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_execute_conflict, sim_fixture_setup,
                                        sim_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_rollback_conflict_then_force, sim_fixture_setup,
                                        sim_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_rollback_input_errors, sim_fixture_setup,
                                        sim_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_execute_validates_again, sim_fixture_setup,
                                        sim_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_timestamps_strictly_increase, sim_fixture_setup,
                                        sim_fixture_teardown),
    };
    return cmocka_run_group_tests_name("simulation story", tests, NULL, NULL);
}

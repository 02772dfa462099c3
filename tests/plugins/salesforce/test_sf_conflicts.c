/*
 * test_sf_conflicts.c — the guarantees around writes: a record changed since preview stops execute with a
 * field-level conflict and no write; a 412 on If-Unmodified-Since is a conflict; a record changed since
 * execution stops rollback with a three-way view unless forced; Salesforce's refusals (validation rules)
 * come back whole, as invalid_value on execute and rollback_failed on rollback.
 */
#include "sf_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FX(state) ((sf_fixture *)*(state))

static json_t *preview_northwind(sf_fixture *fx)
{
    json_t *in = sf_test_preview_input(NW_ID, NW_CHANGES);
    json_t *out = sf_test_ok(fx->h, MOCK_PREVIEW, in);
    json_decref(in);
    return out;
}

static json_t *execute_northwind(sf_fixture *fx)
{
    json_t *preview = preview_northwind(fx);
    json_t *in = sf_test_execute_input(preview);
    json_t *out = sf_test_ok(fx->h, MOCK_EXECUTE, in);
    json_decref(in);
    json_decref(preview);
    return out;
}

static size_t history_length(const fake_sf *f)
{
    json_t *answer = fake_sf_control(f, "GET", "/__fake/history", NULL);
    assert_non_null(answer);
    size_t n = json_array_size(json_object_get(answer, "history"));
    json_decref(answer);
    return n;
}

static void execute_stops_on_a_field_changed_since_preview(void **state)
{
    sf_fixture *fx = FX(state);
    json_t *preview = preview_northwind(fx);
    assert_int_equal(fake_sf_edit(&fx->fake, NW_ID, "{\"StageName\": \"Negotiation/Review\"}"), 0);
    assert_int_equal(fake_sf_clear_log(&fx->fake), 0);

    json_t *in = sf_test_execute_input(preview);
    mock_result res;
    assert_int_equal(sf_test_call(fx->h, MOCK_EXECUTE, in, &res), AP_CONFLICT);
    assert_string_equal(res.code, "conflict");
    assert_non_null(strstr(res.message, "StageName"));
    json_t *details = sf_test_details(&res);
    json_t *f0 = json_array_get(json_object_get(details, "fields"), 0);
    assert_string_equal(json_string_value(json_object_get(f0, "field")), "StageName");
    assert_string_equal(json_string_value(json_object_get(f0, "expected")), "Qualification");
    assert_string_equal(json_string_value(json_object_get(f0, "actual")), "Negotiation/Review");
    assert_int_equal(json_array_size(json_object_get(details, "fields")), 1);
    assert_int_equal(sf_test_int(details, "requests"), 1); /* the re-check only */
    json_decref(details);
    mock_result_clear(&res);

    json_t *log = fake_sf_log(&fx->fake);
    assert_int_equal(fake_sf_count_patches(log), 0);
    assert_int_equal(fake_sf_count(log, "data", "POST", "/composite"), 0);
    json_decref(log);
    sf_test_assert_field(&fx->fake, NW_ID, "StageName", "\"Negotiation/Review\"");
    sf_test_assert_field(&fx->fake, NW_ID, "Amount", "120000");
    json_decref(in);
    json_decref(preview);
}

static void execute_goes_ahead_when_only_other_fields_changed(void **state)
{
    sf_fixture *fx = FX(state);
    json_t *preview = preview_northwind(fx);
    assert_int_equal(fake_sf_edit(&fx->fake, NW_ID, "{\"Description\": \"edited by a person\"}"), 0);
    json_t *in = sf_test_execute_input(preview);
    json_t *out = sf_test_ok(fx->h, MOCK_EXECUTE, in);
    bool warned = false;
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(out, "warnings"), i, w) {
        warned = warned || strstr(json_string_value(w), "saved since preview");
    }
    assert_true(warned);
    sf_test_assert_field(&fx->fake, NW_ID, "StageName", "\"Proposal/Price Quote\"");
    sf_test_assert_field(&fx->fake, NW_ID, "Description", "\"edited by a person\"");
    json_decref(out);
    json_decref(in);
    json_decref(preview);
}

static void execute_412_is_a_conflict_and_writes_nothing(void **state)
{
    sf_fixture *fx = FX(state);
    json_t *preview = preview_northwind(fx);
    /* Someone saves between our re-check and our PATCH: Salesforce answers the PATCH 412. */
    assert_int_equal(fake_sf_fault(&fx->fake, "{\"action\": \"status\", \"status\": 412, \"method\": \"PATCH\", "
                                               "\"sub\": true, \"body\": null}"), 0);
    json_t *in = sf_test_execute_input(preview);
    mock_result res;
    assert_int_equal(sf_test_call(fx->h, MOCK_EXECUTE, in, &res), AP_CONFLICT);
    assert_string_equal(res.code, "conflict");
    assert_non_null(strstr(res.message, "412"));
    json_t *details = sf_test_details(&res);
    assert_string_equal(json_string_value(json_object_get(details, "reason")), "precondition_failed");
    assert_non_null(strstr(json_string_value(json_object_get(details, "ifUnmodifiedSince")), "GMT"));
    assert_int_equal(sf_test_int(details, "retries"), 0); /* a 412 is never retried */
    json_decref(details);
    mock_result_clear(&res);
    assert_int_equal(history_length(&fx->fake), 0);
    sf_test_assert_field(&fx->fake, NW_ID, "StageName", "\"Qualification\"");
    json_decref(in);
    json_decref(preview);
}

static void execute_refused_by_a_validation_rule_keeps_salesforce_errors(void **state)
{
    sf_fixture *fx = FX(state);
    json_t *preview = preview_northwind(fx);
    assert_int_equal(fake_sf_validation_rule(&fx->fake,
                                             "{\"field\": \"NextStep\", \"value\": \"Send revised proposal to "
                                             "Northwind procurement\", \"message\": \"Next step must name an "
                                             "owner.\"}"),
                     0);
    json_t *in = sf_test_execute_input(preview);
    mock_result res;
    assert_int_equal(sf_test_call(fx->h, MOCK_EXECUTE, in, &res), AP_INVALID);
    assert_string_equal(res.code, "invalid_value");
    assert_non_null(strstr(res.message, "Next step must name an owner."));
    json_t *details = sf_test_details(&res);
    assert_string_equal(sf_test_sf_code(details), "FIELD_CUSTOM_VALIDATION_EXCEPTION");
    assert_int_equal(sf_test_int(details, "httpStatus"), 400);
    json_decref(details);
    mock_result_clear(&res);
    assert_int_equal(history_length(&fx->fake), 0); /* allOrNone: nothing applied */
    json_decref(in);
    json_decref(preview);
}

static void rollback_stops_on_a_field_changed_since_execution(void **state)
{
    sf_fixture *fx = FX(state);
    json_t *executed = execute_northwind(fx);
    assert_int_equal(fake_sf_edit(&fx->fake, NW_ID, "{\"NextStep\": \"Call procurement on Monday\"}"), 0);
    assert_int_equal(fake_sf_clear_log(&fx->fake), 0);

    json_t *in = sf_test_rollback_input(executed, false, NULL);
    mock_result res;
    assert_int_equal(sf_test_call(fx->h, MOCK_ROLLBACK, in, &res), AP_CONFLICT);
    assert_string_equal(res.code, "conflict");
    json_t *details = sf_test_details(&res);
    json_t *fields = json_object_get(details, "fields");
    assert_int_equal(json_array_size(fields), 1);
    json_t *f0 = json_array_get(fields, 0);
    assert_string_equal(json_string_value(json_object_get(f0, "field")), "NextStep");
    assert_string_equal(json_string_value(json_object_get(f0, "before")), "Confirm pricing committee review");
    assert_string_equal(json_string_value(json_object_get(f0, "written")), "Send revised proposal to Northwind procurement");
    assert_string_equal(json_string_value(json_object_get(f0, "now")), "Call procurement on Monday");
    json_decref(details);
    mock_result_clear(&res);
    json_t *log = fake_sf_log(&fx->fake);
    assert_int_equal(fake_sf_count_patches(log), 0);
    json_decref(log);
    sf_test_assert_field(&fx->fake, NW_ID, "NextStep", "\"Call procurement on Monday\"");
    sf_test_assert_field(&fx->fake, NW_ID, "StageName", "\"Proposal/Price Quote\"");
    json_decref(in);
    json_decref(executed);
}

static void forced_rollback_restores_over_the_conflict(void **state)
{
    sf_fixture *fx = FX(state);
    json_t *executed = execute_northwind(fx);
    assert_int_equal(fake_sf_edit(&fx->fake, NW_ID, "{\"NextStep\": \"Call procurement on Monday\"}"), 0);
    json_t *in = sf_test_rollback_input(executed, true, "customer withdrew; restoring the approved baseline");
    json_t *out = sf_test_ok(fx->h, MOCK_ROLLBACK, in);
    assert_true(json_is_true(json_object_get(out, "forced")));
    assert_string_equal(json_string_value(json_object_get(out, "forceReason")),
                        "customer withdrew; restoring the approved baseline");
    assert_int_equal(json_array_size(json_object_get(out, "forcedOver")), 1);
    sf_test_assert_field(&fx->fake, NW_ID, "NextStep", "\"Confirm pricing committee review\"");
    sf_test_assert_field(&fx->fake, NW_ID, "StageName", "\"Qualification\"");
    json_decref(out);
    json_decref(in);
    json_decref(executed);
}

static void forced_rollback_of_a_record_already_restored_writes_nothing(void **state)
{
    sf_fixture *fx = FX(state);
    json_t *executed = execute_northwind(fx);
    /* a person put every value back by hand */
    assert_int_equal(fake_sf_edit(&fx->fake, NW_ID,
                                  "{\"StageName\": \"Qualification\", \"Amount\": 120000, \"CloseDate\": "
                                  "\"2026-05-20\", \"NextStep\": \"Confirm pricing committee review\"}"), 0);
    size_t writes = history_length(&fx->fake);
    json_t *in = sf_test_rollback_input(executed, true, "already restored by hand");
    json_t *out = sf_test_ok(fx->h, MOCK_ROLLBACK, in);
    assert_int_equal(json_object_size(json_object_get(out, "restored")), 0);
    assert_int_equal(sf_test_int(out, "requests"), 1);
    assert_int_equal(history_length(&fx->fake), writes);
    json_decref(out);
    json_decref(in);
    json_decref(executed);
}

static void rollback_refused_by_a_validation_rule_is_rollback_failed(void **state)
{
    sf_fixture *fx = FX(state);
    json_t *executed = execute_northwind(fx);
    assert_int_equal(fake_sf_validation_rule(&fx->fake,
                                             "{\"field\": \"StageName\", \"value\": \"Qualification\", "
                                             "\"message\": \"An opportunity past proposal cannot return to "
                                             "Qualification.\"}"),
                     0);
    json_t *in = sf_test_rollback_input(executed, false, NULL);
    mock_result res;
    assert_int_equal(sf_test_call(fx->h, MOCK_ROLLBACK, in, &res), AP_ERROR);
    assert_string_equal(res.code, "rollback_failed");
    assert_non_null(strstr(res.message, "cannot return to Qualification"));
    json_t *details = sf_test_details(&res);
    assert_string_equal(sf_test_sf_code(details), "FIELD_CUSTOM_VALIDATION_EXCEPTION");
    json_t *err0 = json_array_get(json_object_get(details, "errors"), 0);
    assert_string_equal(json_string_value(json_array_get(json_object_get(err0, "fields"), 0)), "StageName");
    json_decref(details);
    mock_result_clear(&res);
    sf_test_assert_field(&fx->fake, NW_ID, "StageName", "\"Proposal/Price Quote\"");
    json_decref(in);
    json_decref(executed);
}

static void rollback_412_is_a_conflict(void **state)
{
    sf_fixture *fx = FX(state);
    json_t *executed = execute_northwind(fx);
    assert_int_equal(fake_sf_fault(&fx->fake, "{\"action\": \"status\", \"status\": 412, \"method\": \"PATCH\", "
                                               "\"sub\": true}"), 0);
    json_t *in = sf_test_rollback_input(executed, false, NULL);
    mock_result res;
    assert_int_equal(sf_test_call(fx->h, MOCK_ROLLBACK, in, &res), AP_CONFLICT);
    assert_string_equal(res.code, "conflict");
    mock_result_clear(&res);
    sf_test_assert_field(&fx->fake, NW_ID, "StageName", "\"Proposal/Price Quote\"");
    json_decref(in);
    json_decref(executed);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, sf_test_setup, sf_test_teardown)
    const struct CMUnitTest tests[] = {
        T(execute_stops_on_a_field_changed_since_preview),
        T(execute_goes_ahead_when_only_other_fields_changed),
        T(execute_412_is_a_conflict_and_writes_nothing),
        T(execute_refused_by_a_validation_rule_keeps_salesforce_errors),
        T(rollback_stops_on_a_field_changed_since_execution),
        T(forced_rollback_restores_over_the_conflict),
        T(forced_rollback_of_a_record_already_restored_writes_nothing),
        T(rollback_refused_by_a_validation_rule_is_rollback_failed),
        T(rollback_412_is_a_conflict),
    };
    return cmocka_run_group_tests(tests, sf_group_setup, sf_group_teardown);
}

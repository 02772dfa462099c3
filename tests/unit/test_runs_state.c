/* Unit tests: the governed-run state machine table and the create-request
 * checks (core/runs/run_state.c, run_request.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "runs/run_request.h"
#include "runs/run_state.h"

static void allowed_transitions_lead_where_the_contract_says(void **state)
{
    (void)state;
    struct {
        ap_run_state from;
        ap_run_event ev;
        ap_run_state to;
    } ok[] = {
        {AP_RUN_PENDING_APPROVAL, AP_RUN_EV_APPROVE_PARTIAL, AP_RUN_PENDING_APPROVAL},
        {AP_RUN_PENDING_APPROVAL, AP_RUN_EV_APPROVE, AP_RUN_APPROVED},
        {AP_RUN_PENDING_APPROVAL, AP_RUN_EV_REJECT, AP_RUN_REJECTED},
        {AP_RUN_PENDING_APPROVAL, AP_RUN_EV_REVISE, AP_RUN_SUPERSEDED},
        {AP_RUN_APPROVED, AP_RUN_EV_EXECUTE_START, AP_RUN_EXECUTING},
        {AP_RUN_EXECUTING, AP_RUN_EV_EXECUTE_OK, AP_RUN_COMPLETED},
        {AP_RUN_EXECUTING, AP_RUN_EV_EXECUTE_FAIL, AP_RUN_FAILED},
        {AP_RUN_COMPLETED, AP_RUN_EV_ROLLBACK_OK, AP_RUN_ROLLED_BACK},
        {AP_RUN_COMPLETED, AP_RUN_EV_ROLLBACK_FAIL, AP_RUN_ROLLBACK_FAILED},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        ap_run_state to = AP_RUN_STATE_COUNT;
        assert_true(ap_run_transition(ok[i].from, ok[i].ev, &to));
        assert_int_equal(to, ok[i].to);
    }
}

static void every_other_transition_is_refused(void **state)
{
    (void)state;
    int allowed = 0;
    for (int s = 0; s < AP_RUN_STATE_COUNT; s++) {
        for (int e = AP_RUN_EV_APPROVE_PARTIAL; e <= AP_RUN_EV_ROLLBACK_FAIL; e++) {
            ap_run_state to;
            if (ap_run_transition((ap_run_state)s, (ap_run_event)e, &to)) {
                allowed++;
                assert_int_equal(s, ap_run_event_source((ap_run_event)e));
            }
        }
    }
    assert_int_equal(allowed, 9); /* exactly the table above, nothing else */
    ap_run_state to;
    assert_false(ap_run_transition(AP_RUN_ROLLED_BACK, AP_RUN_EV_ROLLBACK_OK, &to));
    assert_false(ap_run_transition(AP_RUN_DENIED, AP_RUN_EV_APPROVE, &to));
    assert_false(ap_run_transition(AP_RUN_PREVIEWED, AP_RUN_EV_EXECUTE_START, &to));
}

static void state_names_round_trip(void **state)
{
    (void)state;
    for (int s = 0; s < AP_RUN_STATE_COUNT; s++) {
        ap_run_state back;
        assert_true(ap_run_state_parse(ap_run_state_name((ap_run_state)s), &back));
        assert_int_equal(back, s);
    }
    ap_run_state x;
    assert_false(ap_run_state_parse("Completed", &x));
    assert_false(ap_run_state_parse(NULL, &x));
    assert_string_equal(ap_run_state_name(AP_RUN_PENDING_APPROVAL), "pending_approval");
}

static const char *parse_error(const char *text, char *field, size_t len)
{
    static char code[48];
    json_t *body = json_loads(text, 0, NULL);
    assert_non_null(body);
    ap_run_request req;
    ap_err err = AP_ERR_INIT;
    int rc = ap_run_request_parse(body, &req, &err);
    snprintf(code, sizeof code, "%s", rc == 0 ? "ok" : err.code);
    const char *f = json_string_value(json_object_get(err.details, "field"));
    snprintf(field, len, "%s", f ? f : "");
    ap_err_clear(&err);
    json_decref(body);
    return code;
}

#define NW_TARGET "\"target\": {\"object\": \"Opportunity\", \"id\": \"006Hs00001NWRNWIA5\"}"

static void request_parse_accepts_the_northwind_body(void **state)
{
    (void)state;
    json_t *body = json_loads("{\"connector\": \"salesforce-crm\", \"action\": "
                              "\"salesforce.update-opportunity\", " NW_TARGET
                              ", \"changes\": {\"Amount\": 148000}, \"reason\": \"r\", "
                              "\"dryRun\": true}", 0, NULL);
    ap_run_request req;
    ap_err err = AP_ERR_INIT;
    assert_int_equal(ap_run_request_parse(body, &req, &err), 0);
    assert_string_equal(req.connector, "salesforce-crm");
    assert_string_equal(req.object, "Opportunity");
    assert_string_equal(req.target_id, "006Hs00001NWRNWIA5");
    assert_null(req.target_name);
    assert_true(req.dry_run);
    assert_int_equal(json_integer_value(json_object_get(req.changes, "Amount")), 148000);
    json_decref(body);
}

static void request_parse_names_the_offending_field(void **state)
{
    (void)state;
    char field[64];
    struct {
        const char *body, *field;
    } cases[] = {
        {"{\"action\": \"a\", " NW_TARGET ", \"changes\": {\"A\": 1}, \"reason\": \"r\"}", "connector"},
        {"{\"connector\": \"c\", \"action\": \"a\", \"changes\": {\"A\": 1}, \"reason\": \"r\"}", "target"},
        {"{\"connector\": \"c\", \"action\": \"a\", \"target\": {\"object\": \"O\", \"id\": \"1\", "
         "\"name\": \"n\"}, \"changes\": {\"A\": 1}, \"reason\": \"r\"}", "target"},
        {"{\"connector\": \"c\", \"action\": \"a\", " NW_TARGET ", \"changes\": {}, \"reason\": \"r\"}", "changes"},
        {"{\"connector\": \"c\", \"action\": \"a\", " NW_TARGET ", \"changes\": {\"A\": [1]}, \"reason\": \"r\"}", "A"},
        {"{\"connector\": \"c\", \"action\": \"a\", " NW_TARGET ", \"changes\": {\"A\": 1}}", "reason"},
        {"{\"connector\": \"c\", \"action\": \"a\", " NW_TARGET ", \"changes\": {\"A\": 1}, \"reason\": \"r\", "
         "\"dryRun\": \"yes\"}", "dryRun"},
        {"{\"connector\": 5, \"action\": \"a\", " NW_TARGET ", \"changes\": {\"A\": 1}, \"reason\": \"r\"}", "connector"},
        {"{\"connector\": \"c\", \"action\": \"a\", " NW_TARGET ", \"changes\": {\"A\": 1}, \"reason\": \"r\", "
         "\"extra\": 1}", "extra"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_string_equal(parse_error(cases[i].body, field, sizeof field), "invalid_request");
        assert_string_equal(field, cases[i].field);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(allowed_transitions_lead_where_the_contract_says),
        cmocka_unit_test(every_other_transition_is_refused),
        cmocka_unit_test(state_names_round_trip),
        cmocka_unit_test(request_parse_accepts_the_northwind_body),
        cmocka_unit_test(request_parse_names_the_offending_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_policy.c — the shipped config/policy.ini against the Northwind story
 * (shared/spec/northwind.json) and its neighbours. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

#define CONNECTOR "salesforce-crm"
#define ACTION "salesforce.update-opportunity"

static const char *const revenue_reason =
    "Stage and amount shifts affect revenue posture; one approval by someone other than "
    "the requester is required.";

/* The requested change of the spec, against the seeded record. */
static const ap_field_change northwind[] = {
    {"StageName", "Qualification", "Proposal/Price Quote", false, 0, 0},
    {"Amount", "120000", "148000", true, 120000, 148000},
    {"CloseDate", "2026-05-20", "2026-05-27", false, 0, 0},
    {"NextStep", "Confirm pricing committee review",
     "Send revised proposal to Northwind procurement", false, 0, 0},
};

static int load_shipped(void **state)
{
    const char *src = getenv("AP_SOURCE_DIR");
    assert_non_null(src);
    char path[1024], err[512] = "";
    snprintf(path, sizeof path, "%s/config/policy.ini", src);
    ap_policy *p = NULL;
    if (ap_policy_load(path, &p, err, sizeof err) != 0)
        fail_msg("%s", err);
    *state = p;
    return 0;
}

static int free_policy(void **state)
{
    ap_policy_free(*state);
    return 0;
}

static ap_policy_result decide(const ap_policy *p, const char *connector, ap_env env,
                               const ap_field_change *changes, size_t n)
{
    ap_policy_input in = {.connector = connector, .action = ACTION, .object = "Opportunity",
                          .environment = env, .changes = changes, .n_changes = n};
    ap_policy_result r;
    ap_policy_evaluate(p, &in, &r);
    return r;
}

static void shipped_policy_has_three_rules(void **state)
{
    assert_int_equal(ap_policy_rule_count(*state), 3);
}

static void northwind_requires_one_approval(void **state)
{
    ap_policy_result r = decide(*state, CONNECTOR, AP_ENV_SIMULATION, northwind, 4);
    assert_int_equal(r.decision, AP_DECISION_REQUIRE_APPROVAL);
    assert_string_equal(ap_decision_name(r.decision), "require_approval");
    assert_string_equal(r.rule, "revenue-posture");
    assert_int_equal(r.approvals_required, 1);
    assert_int_equal(r.approver_role, AP_ROLE_APPROVER);
    assert_int_equal(r.n_reasons, 3);
    assert_string_equal(r.reasons[0], "StageName changes (Qualification -> Proposal/Price Quote)");
    assert_string_equal(r.reasons[1], "Amount rises by 23.3% (more than 10%)");
    assert_string_equal(r.reasons[2], revenue_reason);
}

static void northwind_routes_the_same_in_every_environment(void **state)
{
    for (int env = 0; env < AP_ENV_COUNT; env++) {
        ap_policy_result r = decide(*state, CONNECTOR, (ap_env)env, northwind, 4);
        assert_int_equal(r.decision, AP_DECISION_REQUIRE_APPROVAL);
        assert_string_equal(r.rule, "revenue-posture");
    }
}

static void next_step_only_is_allowed(void **state)
{
    ap_policy_result r = decide(*state, CONNECTOR, AP_ENV_SIMULATION, &northwind[3], 1);
    assert_int_equal(r.decision, AP_DECISION_ALLOW);
    assert_string_equal(r.rule, "next-step-only");
    assert_int_equal(r.approvals_required, 0);
    assert_int_equal(r.n_reasons, 2);
    assert_string_equal(r.reasons[0], "Only NextStep changes");
    assert_string_equal(r.reasons[1], "Only the next-step note changes; no approval is needed.");
}

static void stage_alone_or_amount_alone_still_routes(void **state)
{
    ap_policy_result r = decide(*state, CONNECTOR, AP_ENV_SANDBOX, &northwind[0], 1);
    assert_string_equal(r.rule, "revenue-posture");
    assert_int_equal(r.n_reasons, 2); /* only the condition that held */
    assert_string_equal(r.reasons[0], "StageName changes (Qualification -> Proposal/Price Quote)");

    r = decide(*state, CONNECTOR, AP_ENV_SANDBOX, &northwind[1], 1);
    assert_string_equal(r.rule, "revenue-posture");
    assert_int_equal(r.n_reasons, 2);
    assert_string_equal(r.reasons[0], "Amount rises by 23.3% (more than 10%)");
}

static void close_date_only_goes_to_catch_all(void **state)
{
    ap_policy_result r = decide(*state, CONNECTOR, AP_ENV_SIMULATION, &northwind[2], 1);
    assert_int_equal(r.decision, AP_DECISION_REQUIRE_APPROVAL);
    assert_string_equal(r.rule, "salesforce-crm-review");
    assert_int_equal(r.approvals_required, 1);
    assert_int_equal(r.approver_role, AP_ROLE_APPROVER);
    assert_int_equal(r.n_reasons, 1);
    assert_string_equal(r.reasons[0], "Changes to CRM records need one approval by someone "
                                      "other than the requester.");
}

static void small_amount_change_goes_to_catch_all(void **state)
{
    /* +5%: under the 10% of revenue-posture; exactly 10% is not "more". */
    static const ap_field_change small[] = {{"Amount", "120000", "126000", true, 120000, 126000}};
    ap_policy_result r = decide(*state, CONNECTOR, AP_ENV_SIMULATION, small, 1);
    assert_string_equal(r.rule, "salesforce-crm-review");
    static const ap_field_change ten[] = {{"Amount", "120000", "132000", true, 120000, 132000}};
    r = decide(*state, CONNECTOR, AP_ENV_SIMULATION, ten, 1);
    assert_string_equal(r.rule, "salesforce-crm-review");
    static const ap_field_change fall[] = {{"Amount", "120000", "60000", true, 120000, 60000}};
    r = decide(*state, CONNECTOR, AP_ENV_SIMULATION, fall, 1);
    assert_string_equal(r.rule, "revenue-posture");
    assert_string_equal(r.reasons[0], "Amount falls by 50.0% (more than 10%)");
}

static void other_connector_is_denied_by_defaults(void **state)
{
    ap_policy_result r = decide(*state, "hubspot-crm", AP_ENV_SIMULATION, &northwind[3], 1);
    assert_int_equal(r.decision, AP_DECISION_DENY);
    assert_string_equal(r.rule, "defaults");
    assert_int_equal(r.approvals_required, 0);
    assert_int_equal(r.n_reasons, 1);
    assert_string_equal(r.reasons[0], "No policy rule covers this change, so it is refused.");
}

static void decision_names(void **state)
{
    (void)state;
    assert_string_equal(ap_decision_name(AP_DECISION_ALLOW), "allow");
    assert_string_equal(ap_decision_name(AP_DECISION_REQUIRE_APPROVAL), "require_approval");
    assert_string_equal(ap_decision_name(AP_DECISION_DENY), "deny");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shipped_policy_has_three_rules),
        cmocka_unit_test(northwind_requires_one_approval),
        cmocka_unit_test(northwind_routes_the_same_in_every_environment),
        cmocka_unit_test(next_step_only_is_allowed),
        cmocka_unit_test(stage_alone_or_amount_alone_still_routes),
        cmocka_unit_test(close_date_only_goes_to_catch_all),
        cmocka_unit_test(small_amount_change_goes_to_catch_all),
        cmocka_unit_test(other_connector_is_denied_by_defaults),
        cmocka_unit_test(decision_names),
    };
    return cmocka_run_group_tests(tests, load_shipped, free_policy);
}

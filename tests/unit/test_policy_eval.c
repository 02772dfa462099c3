/* test_policy_eval.c — the evaluation semantics of policy.h on small
 * policies: every numeric operator (with rises, falls and from-zero),
 * fields_only vs fields_any, match all vs any, scope, first match, and the
 * generated reasons. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "policy/policy.h"

static ap_policy *compile(const char *text)
{
    char err[512] = "";
    ap_policy *p = NULL;
    if (ap_policy_load_string(text, "test.ini", &p, err, sizeof err) != 0)
        fail_msg("%s", err);
    return p;
}

static ap_policy_input input(const ap_field_change *changes, size_t n)
{
    return (ap_policy_input){.connector = "crm", .action = "crm.update", .object = "Deal",
                             .environment = AP_ENV_SANDBOX, .changes = changes, .n_changes = n};
}

static ap_policy_result run(const ap_policy *p, const ap_policy_input *in)
{
    ap_policy_result r;
    memset(&r, 0x5A, sizeof r); /* evaluate must set every field it reports */
    ap_policy_evaluate(p, in, &r);
    return r;
}

/* Evaluates `changes` against one rule `cond` (decision deny), defaults
 * allow: returns true when the rule matched, with its first reason. */
static bool one_condition(const char *cond, const ap_field_change *changes, size_t n,
                          char reason[AP_POLICY_REASON_LEN])
{
    char text[512];
    snprintf(text, sizeof text,
             "[defaults]\ndecision = allow\n[rule:r]\n%s\ndecision = deny\n", cond);
    ap_policy *p = compile(text);
    ap_policy_input in = input(changes, n);
    ap_policy_result r = run(p, &in);
    ap_policy_free(p);
    if (reason)
        snprintf(reason, AP_POLICY_REASON_LEN, "%s", r.n_reasons ? r.reasons[0] : "");
    return strcmp(r.rule, "r") == 0 && r.decision == AP_DECISION_DENY;
}

#define NUM(f, b, a) {f, #b, #a, true, (b), (a)}

static void change_pct(void **state)
{
    (void)state;
    char reason[AP_POLICY_REASON_LEN];
    const ap_field_change up[] = {NUM("Amount", 200, 250)};     /* +25% */
    const ap_field_change down[] = {NUM("Amount", 200, 150)};   /* -25% */
    const ap_field_change small[] = {NUM("Amount", 200, 210)};  /* +5% */
    const ap_field_change exact[] = {NUM("Amount", 200, 240)};  /* +20% */
    assert_true(one_condition("change_pct_over.Amount = 20", up, 1, reason));
    assert_string_equal(reason, "Amount rises by 25.0% (more than 20%)");
    assert_true(one_condition("change_pct_over.Amount = 20", down, 1, reason));
    assert_string_equal(reason, "Amount falls by 25.0% (more than 20%)");
    assert_false(one_condition("change_pct_over.Amount = 20", small, 1, NULL));
    assert_false(one_condition("change_pct_over.Amount = 20", exact, 1, NULL));
    assert_true(one_condition("change_pct_over.Amount = 19.5", exact, 1, reason));
    assert_string_equal(reason, "Amount rises by 20.0% (more than 19.5%)");
}

static void increase_and_decrease_pct(void **state)
{
    (void)state;
    char reason[AP_POLICY_REASON_LEN];
    const ap_field_change up[] = {NUM("Amount", 300, 400)};
    const ap_field_change down[] = {NUM("Amount", 400, 300)};
    assert_true(one_condition("increase_pct_over.Amount = 10", up, 1, reason));
    assert_string_equal(reason, "Amount rises by 33.3% (more than 10%)");
    assert_false(one_condition("increase_pct_over.Amount = 10", down, 1, NULL));
    assert_true(one_condition("decrease_pct_over.Amount = 10", down, 1, reason));
    assert_string_equal(reason, "Amount falls by 25.0% (more than 10%)");
    assert_false(one_condition("decrease_pct_over.Amount = 10", up, 1, NULL));
    assert_false(one_condition("decrease_pct_over.Amount = 30", down, 1, NULL));
    /* Percentages are of |before|: from -100 to -50 is a 50% rise. */
    const ap_field_change negative[] = {NUM("Amount", -100, -50)};
    assert_true(one_condition("increase_pct_over.Amount = 40", negative, 1, reason));
    assert_string_equal(reason, "Amount rises by 50.0% (more than 40%)");
}

static void pct_from_zero_is_infinite(void **state)
{
    (void)state;
    char reason[AP_POLICY_REASON_LEN];
    const ap_field_change up[] = {NUM("Amount", 0, 5)};
    const ap_field_change down[] = {NUM("Amount", 0, -5)};
    assert_true(one_condition("increase_pct_over.Amount = 1000000", up, 1, reason));
    assert_string_equal(reason, "Amount rises from 0 to 5 (more than 1000000%)");
    assert_true(one_condition("change_pct_over.Amount = 50", up, 1, NULL));
    assert_false(one_condition("decrease_pct_over.Amount = 50", up, 1, NULL));
    assert_true(one_condition("decrease_pct_over.Amount = 50", down, 1, reason));
    assert_string_equal(reason, "Amount falls from 0 to -5 (more than 50%)");
    /* And to zero is a 100% fall, no more. */
    const ap_field_change to_zero[] = {NUM("Amount", 80, 0)};
    assert_true(one_condition("decrease_pct_over.Amount = 99.9", to_zero, 1, reason));
    assert_string_equal(reason, "Amount falls by 100.0% (more than 99.9%)");
    assert_false(one_condition("decrease_pct_over.Amount = 100", to_zero, 1, NULL));
}

static void absolute_operators(void **state)
{
    (void)state;
    char reason[AP_POLICY_REASON_LEN];
    const ap_field_change up[] = {NUM("Amount", 120000, 148000)};
    const ap_field_change down[] = {NUM("Amount", 1000.5, 999.25)};
    assert_true(one_condition("change_abs_over.Amount = 10000", up, 1, reason));
    assert_string_equal(reason, "Amount rises by 28000 (more than 10000)");
    assert_false(one_condition("change_abs_over.Amount = 28000", up, 1, NULL));
    assert_true(one_condition("increase_abs_over.Amount = 27999.5", up, 1, reason));
    assert_string_equal(reason, "Amount rises by 28000 (more than 27999.5)");
    assert_false(one_condition("decrease_abs_over.Amount = 0", up, 1, NULL));
    assert_true(one_condition("decrease_abs_over.Amount = 1", down, 1, reason));
    assert_string_equal(reason, "Amount falls by 1.25 (more than 1)");
    assert_true(one_condition("change_abs_over.Amount = 0", down, 1, reason));
    assert_string_equal(reason, "Amount falls by 1.25 (more than 0)");
    assert_false(one_condition("increase_abs_over.Amount = 0", down, 1, NULL));
    const ap_field_change from_zero[] = {NUM("Amount", 0, 7)};
    assert_true(one_condition("increase_abs_over.Amount = 6", from_zero, 1, reason));
    assert_string_equal(reason, "Amount rises by 7 (more than 6)");
}

static void numeric_conditions_need_numbers_and_the_field(void **state)
{
    (void)state;
    const ap_field_change text[] = {{"Amount", "a lot", "more", false, 0, 0}};
    const ap_field_change other[] = {NUM("Probability", 10, 90)};
    const ap_field_change from_null[] = {{"Amount", "null", "5", false, 0, 5}};
    assert_false(one_condition("change_pct_over.Amount = 1", text, 1, NULL));
    assert_false(one_condition("change_abs_over.Amount = 1", other, 1, NULL));
    assert_false(one_condition("change_abs_over.Amount = 1", from_null, 1, NULL));
    assert_false(one_condition("change_abs_over.Amount = 1", NULL, 0, NULL));
}

static void fields_any_versus_fields_only(void **state)
{
    (void)state;
    char reason[AP_POLICY_REASON_LEN];
    const ap_field_change stage_and_note[] = {
        {"StageName", "Prospecting", "Closed Won", false, 0, 0},
        {"NextStep", "call", "celebrate", false, 0, 0},
    };
    /* fields_any: one listed field changing is enough, others may too. */
    assert_true(one_condition("fields_any = StageName, Amount", stage_and_note, 2, reason));
    assert_string_equal(reason, "StageName changes (Prospecting -> Closed Won)");
    assert_true(one_condition("fields_any = NextStep, StageName", stage_and_note, 2, reason));
    assert_string_equal(reason, "NextStep changes (call -> celebrate); StageName changes "
                                "(Prospecting -> Closed Won)");
    assert_false(one_condition("fields_any = Amount, CloseDate", stage_and_note, 2, NULL));
    /* fields_only: every changed field must be listed. */
    assert_false(one_condition("fields_only = NextStep", stage_and_note, 2, NULL));
    assert_true(one_condition("fields_only = NextStep", &stage_and_note[1], 1, reason));
    assert_string_equal(reason, "Only NextStep changes");
    assert_true(one_condition("fields_only = NextStep, StageName, Amount", stage_and_note, 2,
                              reason));
    assert_string_equal(reason, "Only StageName and NextStep change");
    /* An empty change set is not "only these fields". */
    assert_false(one_condition("fields_only = NextStep", NULL, 0, NULL));
    assert_false(one_condition("fields_any = NextStep", NULL, 0, NULL));
}

static void match_all_versus_any(void **state)
{
    (void)state;
    const ap_field_change stage[] = {{"StageName", "A", "B", false, 0, 0}};
    const ap_field_change both[] = {{"StageName", "A", "B", false, 0, 0},
                                    NUM("Amount", 100, 200)};
    const char *conds_all = "fields_any = StageName\nincrease_pct_over.Amount = 50";
    const char *conds_any = "match = any\nfields_any = StageName\nincrease_pct_over.Amount = 50";
    assert_false(one_condition(conds_all, stage, 1, NULL));
    assert_true(one_condition(conds_all, both, 2, NULL));
    assert_true(one_condition(conds_any, stage, 1, NULL));
    assert_true(one_condition(conds_any, both, 2, NULL));
    assert_false(one_condition("match = all\nfields_any = X", stage, 1, NULL));

    /* With match = any, only the conditions that held give a reason, in
     * file order, then the rule's own reason. */
    ap_policy *p = compile("[rule:r]\n"
                           "match = any\n"
                           "increase_abs_over.Amount = 50\n"
                           "fields_any = CloseDate\n"
                           "fields_only = StageName, Amount\n"
                           "decision = require_approval\n"
                           "approvals = 2\n"
                           "approver_role = admin\n"
                           "reason = Because.\n");
    ap_policy_input in = input(both, 2);
    ap_policy_result r = run(p, &in);
    assert_string_equal(r.rule, "r");
    assert_int_equal(r.decision, AP_DECISION_REQUIRE_APPROVAL);
    assert_int_equal(r.approvals_required, 2);
    assert_int_equal(r.approver_role, AP_ROLE_ADMIN);
    assert_int_equal(r.n_reasons, 3);
    assert_string_equal(r.reasons[0], "Amount rises by 100 (more than 50)");
    assert_string_equal(r.reasons[1], "Only StageName and Amount change");
    assert_string_equal(r.reasons[2], "Because.");
    ap_policy_free(p);
}

static const char *const scoped_policy =
    "[defaults]\n"
    "decision = require_approval\n"
    "approvals = 3\n"
    "reason = Nothing else matched.\n"
    "[rule:prod-only]\n"
    "environment = production\n"
    "decision = deny\n"
    "[rule:sim-and-sandbox-deals]\n"
    "environment = simulation, sandbox\n"
    "connector = crm, erp\n"
    "action = crm.update\n"
    "object = Deal\n"
    "decision = allow\n"
    "[rule:everything]\n"
    "connector = *\n"
    "decision = deny\n"
    "reason = Shadowed for crm deals outside production.\n";

static void scope_by_environment_connector_action_object(void **state)
{
    (void)state;
    ap_policy *p = compile(scoped_policy);
    assert_int_equal(ap_policy_rule_count(p), 3);
    const ap_field_change note[] = {{"Note", "a", "b", false, 0, 0}};
    ap_policy_input in = input(note, 1);

    in.environment = AP_ENV_PRODUCTION;
    ap_policy_result r = run(p, &in);
    assert_string_equal(r.rule, "prod-only");
    assert_int_equal(r.decision, AP_DECISION_DENY);
    assert_int_equal(r.approvals_required, 0);
    assert_int_equal(r.n_reasons, 1);
    assert_string_equal(r.reasons[0], "Rule 'prod-only' applies to this request.");

    in.environment = AP_ENV_SIMULATION;
    r = run(p, &in);
    assert_string_equal(r.rule, "sim-and-sandbox-deals");
    assert_int_equal(r.decision, AP_DECISION_ALLOW);
    in.environment = AP_ENV_SANDBOX;
    in.connector = "erp";
    assert_string_equal(run(p, &in).rule, "sim-and-sandbox-deals");

    in.connector = "hr";
    assert_string_equal(run(p, &in).rule, "everything");
    in.connector = "crm";
    in.action = "crm.delete";
    assert_string_equal(run(p, &in).rule, "everything");
    in.action = "crm.update";
    in.object = "Account";
    r = run(p, &in);
    assert_string_equal(r.rule, "everything");
    assert_string_equal(r.reasons[0], "Shadowed for crm deals outside production.");
    ap_policy_free(p);
}

static void first_matching_rule_decides(void **state)
{
    (void)state;
    const ap_field_change stage[] = {{"StageName", "A", "B", false, 0, 0}};
    ap_policy_input in = input(stage, 1);
    ap_policy *p = compile("[rule:first]\nfields_any = StageName\ndecision = allow\n"
                           "[rule:second]\nfields_any = StageName\ndecision = deny\n");
    assert_string_equal(run(p, &in).rule, "first");
    ap_policy_free(p);
    p = compile("[rule:second]\nfields_any = StageName\ndecision = deny\n"
                "[rule:first]\nfields_any = StageName\ndecision = allow\n");
    assert_string_equal(run(p, &in).rule, "second");
    ap_policy_free(p);
    /* A rule whose conditions fail passes the request on. */
    p = compile("[rule:amounts]\nchange_abs_over.Amount = 1\ndecision = deny\n"
                "[rule:rest]\ndecision = allow\n");
    ap_policy_result r = run(p, &in);
    assert_string_equal(r.rule, "rest");
    assert_int_equal(r.decision, AP_DECISION_ALLOW);
    ap_policy_free(p);
}

static void defaults_decide_when_nothing_matches(void **state)
{
    (void)state;
    const ap_field_change note[] = {{"Note", "a", "b", false, 0, 0}};
    ap_policy_input in = input(note, 1);
    in.environment = AP_ENV_PRODUCTION;
    in.connector = "other";
    ap_policy *p = compile("[rule:elsewhere]\nconnector = crm\ndecision = allow\n"
                           "[defaults]\ndecision = require_approval\napprovals = 3\n"
                           "approver_role = admin\nreason = Ask.\n");
    ap_policy_result r = run(p, &in);
    assert_string_equal(r.rule, "defaults");
    assert_int_equal(r.decision, AP_DECISION_REQUIRE_APPROVAL);
    assert_int_equal(r.approvals_required, 3);
    assert_int_equal(r.approver_role, AP_ROLE_ADMIN);
    assert_int_equal(r.n_reasons, 1);
    assert_string_equal(r.reasons[0], "Ask.");
    ap_policy_free(p);

    /* An empty policy denies, with a sentence saying why. */
    p = compile("; nothing\n");
    assert_int_equal(ap_policy_rule_count(p), 0);
    r = run(p, &in);
    assert_string_equal(r.rule, "defaults");
    assert_int_equal(r.decision, AP_DECISION_DENY);
    assert_int_equal(r.approvals_required, 0);
    assert_int_equal(r.n_reasons, 1);
    assert_string_equal(r.reasons[0], "No policy rule covers this request.");
    ap_policy_free(p);

    /* No policy at all: deny. */
    r = run(NULL, &in);
    assert_int_equal(r.decision, AP_DECISION_DENY);
    assert_string_equal(r.rule, "defaults");
    assert_int_equal(r.n_reasons, 1);
}

/* True when s is well-formed UTF-8 (no sequence cut in two). */
static bool valid_utf8(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int extra = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2
                  : (*p & 0xF8) == 0xF0 ? 3 : -1;
        if (extra < 0)
            return false;
        p++;
        for (int i = 0; i < extra; i++, p++)
            if ((*p & 0xC0) != 0x80)
                return false;
    }
    return true;
}

static void reasons_are_capped(void **state)
{
    (void)state;
    const char *conds = "[rule:many]\n"
                        "fields_any = A\nfields_only = A, B\n"
                        "change_pct_over.A = 1\nincrease_pct_over.A = 1\n"
                        "change_abs_over.A = 1\nincrease_abs_over.A = 1\n"
                        "change_pct_over.B = 1\nincrease_pct_over.B = 1\n"
                        "change_abs_over.B = 1\nincrease_abs_over.B = 1\n"
                        "decision = deny\n";
    const ap_field_change ab[] = {NUM("A", 1, 10), NUM("B", 1, 10)};
    ap_policy_input in = input(ab, 2);
    char text[1024];
    /* Ten conditions hold: with a rule reason, seven sentences and it. */
    snprintf(text, sizeof text, "%sreason = Last.\n", conds);
    ap_policy *p = compile(text);
    ap_policy_result r = run(p, &in);
    assert_int_equal(r.n_reasons, AP_POLICY_MAX_REASONS);
    assert_string_equal(r.reasons[0], "A changes (1 -> 10)");
    assert_string_equal(r.reasons[1], "Only A and B change");
    assert_string_equal(r.reasons[5], "A rises by 9 (more than 1)");
    assert_string_equal(r.reasons[6], "B rises by 900.0% (more than 1%)"); /* change_pct_over.B */
    assert_string_equal(r.reasons[AP_POLICY_MAX_REASONS - 1], "Last.");
    ap_policy_free(p);
    /* Without one, eight sentences. */
    p = compile(conds);
    r = run(p, &in);
    assert_int_equal(r.n_reasons, AP_POLICY_MAX_REASONS);
    assert_string_equal(r.reasons[7], "B rises by 900.0% (more than 1%)");
    ap_policy_free(p);
}

static void long_values_are_cut_at_character_boundaries(void **state)
{
    (void)state;
    char long_value[400] = "a";
    for (int i = 0; i < 150; i++)
        strcat(long_value, "\xC3\xA9"); /* é, two bytes */
    const ap_field_change one[] = {{"Note", long_value, "short\nline", false, 0, 0}};
    char reason[AP_POLICY_REASON_LEN], want[AP_POLICY_REASON_LEN] = "Note changes (a";
    assert_true(one_condition("fields_any = Note", one, 1, reason));
    for (int i = 0; i < 29; i++) /* 1 + 29 * 2 = 59 bytes fit in 60 */
        strcat(want, "\xC3\xA9");
    strcat(want, "... -> short line)"); /* control characters shown as spaces */
    assert_string_equal(reason, want);

    /* Several long fields overflow the sentence: cut, marked, still UTF-8. */
    const ap_field_change many[] = {
        {"F1", long_value, long_value, false, 0, 0}, {"F2", long_value, long_value, false, 0, 0},
        {"F3", long_value, long_value, false, 0, 0},
    };
    assert_true(one_condition("fields_any = F1, F2, F3", many, 3, reason));
    size_t n = strlen(reason);
    assert_true(n <= AP_POLICY_REASON_LEN - 1);
    assert_true(n >= AP_POLICY_REASON_LEN - 4);
    assert_string_equal(reason + n - 3, "...");
    assert_true(valid_utf8(reason));
    assert_memory_equal(reason, "F1 changes (a\xC3\xA9", 15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(change_pct),
        cmocka_unit_test(increase_and_decrease_pct),
        cmocka_unit_test(pct_from_zero_is_infinite),
        cmocka_unit_test(absolute_operators),
        cmocka_unit_test(numeric_conditions_need_numbers_and_the_field),
        cmocka_unit_test(fields_any_versus_fields_only),
        cmocka_unit_test(match_all_versus_any),
        cmocka_unit_test(scope_by_environment_connector_action_object),
        cmocka_unit_test(first_matching_rule_decides),
        cmocka_unit_test(defaults_decide_when_nothing_matches),
        cmocka_unit_test(reasons_are_capped),
        cmocka_unit_test(long_values_are_cut_at_character_boundaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

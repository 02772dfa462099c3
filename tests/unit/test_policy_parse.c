/* test_policy_parse.c — policy files that must be refused, each with its
 * exact "FILE:LINE: message", and loading from a file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/policy.h"

typedef struct parse_case {
    const char *text;
    const char *want;
} parse_case;

#define RULE_KEYS                                                                        \
    "connector, action, object, environment, match, fields_any, fields_only, "           \
    "change|increase|decrease_pct|abs_over.FIELD, decision, approvals, approver_role, reason"

static const parse_case cases[] = {
    {"[rules:x]\n", "p.ini:1: unknown section [rules:x] (expected defaults or rule:NAME)"},
    {"[defaults]\ndecision = deny\n[rule:Big]\n",
     "p.ini:3: bad rule name 'Big' (use a-z, 0-9, _ . -, at most 100 characters)"},
    {"[rule:]\n", "p.ini:1: bad rule name '' (use a-z, 0-9, _ . -, at most 100 characters)"},
    {"[rule:a]\ndecision = allow\n[rule:a]\ndecision = deny\n",
     "p.ini:3: duplicate section [rule:a] (first on line 1)"},
    {"[rule:a]\ndecision = allow\nfield_any = X\n",
     "p.ini:3: unknown key 'field_any' in [rule:a] (expected " RULE_KEYS ")"},
    {"[rule:a]\nchange_pct_overAmount = 1\n",
     "p.ini:2: unknown key 'change_pct_overAmount' in [rule:a] (expected " RULE_KEYS ")"},
    {"[defaults]\ndecision = deny\nconnector = crm\n",
     "p.ini:3: unknown key 'connector' in [defaults] (expected decision, approvals, "
     "approver_role, reason)"},
    {"[rule:a]\ndecision = allow\n[rule:b]\nfields_any = X\n",
     "p.ini:3: [rule:b] has no decision (add decision = allow, require_approval or deny)"},
    {"[defaults]\nreason = Nope.\n",
     "p.ini:1: [defaults] has no decision (add decision = allow, require_approval or deny)"},
    {"[rule:a]\napprovals = 2\ndecision = allow\n",
     "p.ini:2: approvals is only allowed with decision = require_approval"},
    {"[rule:a]\ndecision = deny\n\napprover_role = admin\n",
     "p.ini:4: approver_role is only allowed with decision = require_approval"},
    {"[defaults]\ndecision = allow\napprovals = 1\n",
     "p.ini:3: approvals is only allowed with decision = require_approval"},
    {"[rule:a]\ndecision = require_approval\napprovals = 0\n",
     "p.ini:3: approvals: '0' is not a number from 1 to 10"},
    {"[rule:a]\ndecision = require_approval\napprovals = 11\n",
     "p.ini:3: approvals: '11' is not a number from 1 to 10"},
    {"[rule:a]\ndecision = require_approval\napprovals = two\n",
     "p.ini:3: approvals: 'two' is not a number from 1 to 10"},
    {"[rule:a]\ndecision = require_approval\napprover_role = operator\n",
     "p.ini:3: approver_role: 'operator' is not approver or admin"},
    {"[rule:a]\ndecision = maybe\n",
     "p.ini:2: decision: unknown decision 'maybe' (expected allow, require_approval or deny)"},
    {"[rule:a]\nchange_pct_over = 10\n",
     "p.ini:2: change_pct_over needs a field: change_pct_over.FIELD = N"},
    {"[rule:a]\ndecrease_abs_over. = 10\n",
     "p.ini:2: decrease_abs_over. needs a field: decrease_abs_over.FIELD = N"},
    {"[rule:a]\nincrease_pct_over.Close-Date = 10\n",
     "p.ini:2: increase_pct_over.Close-Date: 'Close-Date' is not a field API name"},
    {"[rule:a]\nchange_pct_over.Amount = 10%\n",
     "p.ini:2: change_pct_over.Amount: '10%' is not a number (digits, optionally with a "
     "decimal point: 10, 2.5)"},
    {"[rule:a]\nchange_abs_over.Amount = -5\n",
     "p.ini:2: change_abs_over.Amount: '-5' is not a number (digits, optionally with a "
     "decimal point: 10, 2.5)"},
    {"[rule:a]\nchange_abs_over.Amount = 1e3\n",
     "p.ini:2: change_abs_over.Amount: '1e3' is not a number (digits, optionally with a "
     "decimal point: 10, 2.5)"},
    {"[rule:a]\nchange_abs_over.Amount = 5.\n",
     "p.ini:2: change_abs_over.Amount: '5.' is not a number (digits, optionally with a "
     "decimal point: 10, 2.5)"},
    {"[rule:a]\nfields_any =\n", "p.ini:2: fields_any is empty"},
    {"[rule:a]\nfields_only = *\n",
     "p.ini:2: fields_only: '*' must stand alone (it means any)"},
    {"[rule:a]\nfields_any = Amount, Amount\n", "p.ini:2: fields_any: 'Amount' is listed twice"},
    {"[rule:a]\nfields_any = Amount,\n", "p.ini:2: fields_any: empty name in the list"},
    {"[rule:a]\nconnector = *, crm\n", "p.ini:2: connector: '*' must stand alone (it means any)"},
    {"[rule:a]\nconnector =\n", "p.ini:2: connector is empty (write * for any)"},
    {"[rule:a]\nconnector = Salesforce CRM\n",
     "p.ini:2: connector: 'Salesforce CRM' is not a connector name (a-z, 0-9, -)"},
    {"[rule:a]\naction = update opportunity\n",
     "p.ini:2: action: 'update opportunity' is not an action name (letters, digits, _ . -)"},
    {"[rule:a]\nobject = 1Opportunity\n",
     "p.ini:2: object: '1Opportunity' is not an object API name"},
    {"[rule:a]\nenvironment = staging\n",
     "p.ini:2: environment: unknown environment 'staging' (expected simulation, sandbox, "
     "production, or * alone for all)"},
    {"[rule:a]\nenvironment = sandbox, sandbox\n",
     "p.ini:2: environment: 'sandbox' is listed twice"},
    {"[rule:a]\nenvironment =\n", "p.ini:2: environment is empty (write * for all)"},
    {"[rule:a]\nmatch = some\n", "p.ini:2: match: expected all or any, got 'some'"},
    {"[rule:a]\nreason =\n", "p.ini:2: reason is empty"},
    {"[rule:a]\ndecision allow\n", "p.ini:2: syntax error (expected [section] or key = value)"},
    {"[rule:a]\ndecision: allow\n", "p.ini:2: syntax error (expected [section] or key = value)"},
    {"[rule:a]\nfields_any = A,\n    B\n",
     "p.ini:2: fields_any: empty name in the list"},
    {"[rule:a]\nfields_any = A\n    B\n",
     "p.ini:3: continuation lines are not supported (an indented line would continue the "
     "previous value; start it at the beginning of the line)"},
    {"[rule:a]\ndecision = allow\ndecision = deny\n",
     "p.ini:3: duplicate key 'decision' in [rule:a] (first on line 2)"},
    {"decision = deny\n", "p.ini:1: key 'decision' is outside any section"},
    /* A syntax error anywhere is reported before whole-rule checks. */
    {"[rule:a]\nfields_any = A\n[rule:b]\noops\n",
     "p.ini:4: syntax error (expected [section] or key = value)"},
};

static void each_bad_policy_names_its_line(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[1024] = "";
        ap_policy *p = (ap_policy *)err; /* must be reset to NULL on failure */
        int rc = ap_policy_load_string(cases[i].text, "p.ini", &p, err, sizeof err);
        if (rc != -1 || strcmp(err, cases[i].want) != 0)
            fail_msg("case %zu: rc %d\n  got:  %s\n  want: %s", i, rc, err, cases[i].want);
        assert_null(p);
    }
}

static void good_policy_with_every_key_compiles(void **state)
{
    (void)state;
    const char *text = "; all keys\n"
                       "[defaults]\n"
                       "decision = require_approval\n"
                       "approvals = 2\n"
                       "approver_role = admin\n"
                       "reason = Default.\n"
                       "[rule:every.key_1]\n"
                       "connector = crm, erp\n"
                       "action = crm.update, crm.create\n"
                       "object = Opportunity, Account\n"
                       "environment = simulation, production\n"
                       "match = any\n"
                       "fields_any = StageName\n"
                       "fields_only = NextStep, CloseDate\n"
                       "change_pct_over.Amount = 10\n"
                       "increase_pct_over.Amount = 12.5\n"
                       "decrease_pct_over.Amount = 0\n"
                       "change_abs_over.Amount = 1000\n"
                       "increase_abs_over.Probability = 20\n"
                       "decrease_abs_over.Probability = 20\n"
                       "decision = require_approval\n"
                       "approvals = 10\n"
                       "approver_role = approver\n"
                       "reason = Everything at once ; an inline comment\n"
                       "[rule:plain]\n"
                       "decision = allow\n";
    char err[512] = "";
    ap_policy *p = NULL;
    if (ap_policy_load_string(text, "all.ini", &p, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_int_equal(ap_policy_rule_count(p), 2);
    const ap_field_change stage[] = {{"StageName", "A", "B", false, 0, 0}};
    ap_policy_input in = {.connector = "erp", .action = "crm.create", .object = "Account",
                          .environment = AP_ENV_PRODUCTION, .changes = stage, .n_changes = 1};
    ap_policy_result r;
    ap_policy_evaluate(p, &in, &r);
    assert_string_equal(r.rule, "every.key_1");
    assert_int_equal(r.approvals_required, 10);
    assert_int_equal(r.n_reasons, 2);
    assert_string_equal(r.reasons[1], "Everything at once");
    in.environment = AP_ENV_SANDBOX;
    ap_policy_evaluate(p, &in, &r);
    assert_string_equal(r.rule, "plain");
    assert_int_equal(r.approvals_required, 0);
    ap_policy_free(p);
    ap_policy_free(NULL);
    assert_int_equal(ap_policy_rule_count(NULL), 0);
}

static void load_from_file_names_the_path(void **state)
{
    (void)state;
    const char *base = getenv("AP_TEST_TMP");
    if (!base || !*base)
        base = "/tmp";
    mkdir(base, 0700);
    char dir[512], path[600], want[1024], err[1024] = "";
    snprintf(dir, sizeof dir, "%s/test_policy_parse-XXXXXX", base);
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/policy.ini", dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("[rule:ok]\ndecision = allow\n\n[rule:bad]\ndecision = perhaps\n", fp);
    fclose(fp);
    ap_policy *p = NULL;
    assert_int_equal(ap_policy_load(path, &p, err, sizeof err), -1);
    snprintf(want, sizeof want,
             "%s:5: decision: unknown decision 'perhaps' (expected allow, require_approval or "
             "deny)", path);
    assert_string_equal(err, want);
    assert_null(p);
    unlink(path);
    rmdir(dir);

    assert_int_equal(ap_policy_load(path, &p, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:0: cannot read: No such file or directory", path);
    assert_string_equal(err, want);

    /* Without a name, messages still say where. */
    assert_int_equal(ap_policy_load_string("[x]\n", NULL, &p, err, sizeof err), -1);
    assert_string_equal(err, "(policy):1: unknown section [x] (expected defaults or rule:NAME)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_bad_policy_names_its_line),
        cmocka_unit_test(good_policy_with_every_key_compiles),
        cmocka_unit_test(load_from_file_names_the_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

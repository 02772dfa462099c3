/* policy_eval.c — ap_policy_evaluate: scope, conditions, first match wins.
 * Reads only the compiled policy and the input, writes only *out: no I/O,
 * no allocation, no shared state, so any number of threads may call it. */
#include "policy_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *ap_decision_name(ap_decision d)
{
    switch (d) {
    case AP_DECISION_ALLOW:
        return "allow";
    case AP_DECISION_REQUIRE_APPROVAL:
        return "require_approval";
    case AP_DECISION_DENY:
        return "deny";
    }
    return "unknown";
}

const ap_field_change *policy_find_change(const ap_policy_input *in,
                                          const char *field)
{
    for (size_t i = 0; i < in->n_changes; i++)
        if (in->changes[i].field && strcmp(in->changes[i].field, field) == 0)
            return &in->changes[i];
    return NULL;
}

static bool names_has(const policy_names *names, const char *value)
{
    for (size_t i = 0; value && i < names->n; i++)
        if (strcmp(names->items[i], value) == 0)
            return true;
    return false;
}

/* An empty list is `*`: it matches anything, even a missing value. */
static bool names_match(const policy_names *names, const char *value)
{
    return names->n == 0 || names_has(names, value);
}

static bool in_scope(const policy_rule *r, const ap_policy_input *in)
{
    return names_match(&r->connectors, in->connector) &&
           names_match(&r->actions, in->action) &&
           names_match(&r->objects, in->object) &&
           (unsigned)in->environment < AP_ENV_COUNT &&
           (r->env_mask & (1u << in->environment)) != 0;
}

/* |delta| is more than N percent of |before|. Compared without dividing, so
 * a change of exactly N% (12000 on 120000 against 10) is not "more than";
 * from 0 any change is an infinite percentage and always is. */
static bool pct_over(double magnitude, double before, double threshold)
{
    return before == 0.0 || magnitude * 100.0 > threshold * fabs(before);
}

static bool numeric_holds(const policy_cond *cond, const ap_policy_input *in)
{
    const ap_field_change *c = policy_find_change(in, cond->field);
    if (!c || !c->numeric || !isfinite(c->before) || !isfinite(c->after))
        return false;
    double delta = c->after - c->before;
    if (delta == 0.0)
        return false;
    switch (cond->kind) {
    case POLICY_CHANGE_PCT:
        return pct_over(fabs(delta), c->before, cond->threshold);
    case POLICY_INCREASE_PCT:
        return delta > 0 && pct_over(delta, c->before, cond->threshold);
    case POLICY_DECREASE_PCT:
        return delta < 0 && pct_over(-delta, c->before, cond->threshold);
    case POLICY_CHANGE_ABS:
        return fabs(delta) > cond->threshold;
    case POLICY_INCREASE_ABS:
        return delta > cond->threshold;
    case POLICY_DECREASE_ABS:
        return -delta > cond->threshold;
    case POLICY_FIELDS_ANY:
    case POLICY_FIELDS_ONLY:
        break;
    }
    return false;
}

bool policy_cond_holds(const policy_cond *cond, const ap_policy_input *in)
{
    switch (cond->kind) {
    case POLICY_FIELDS_ANY:
        for (size_t i = 0; i < cond->fields.n; i++)
            if (policy_find_change(in, cond->fields.items[i]))
                return true;
        return false;
    case POLICY_FIELDS_ONLY:
        /* At least one change: an empty change set is not "only these". */
        if (in->n_changes == 0)
            return false;
        for (size_t i = 0; i < in->n_changes; i++)
            if (!names_has(&cond->fields, in->changes[i].field))
                return false;
        return true;
    default:
        return numeric_holds(cond, in);
    }
}

static bool rule_matches(const policy_rule *r, const ap_policy_input *in)
{
    if (!in_scope(r, in))
        return false;
    for (size_t i = 0; i < r->n_conds; i++) {
        bool holds = policy_cond_holds(&r->conds[i], in);
        if (r->match_any && holds)
            return true;
        if (!r->match_any && !holds)
            return false;
    }
    return r->n_conds == 0 || !r->match_any;
}

/* The deciding rule's outcome: one sentence per condition that held (in
 * file order; the last slot is kept for the rule's own reason), then the
 * rule's reason. */
static void decide_by_rule(const policy_rule *r, const ap_policy_input *in,
                           ap_policy_result *out)
{
    out->decision = r->decision;
    snprintf(out->rule, sizeof out->rule, "%s", r->name);
    out->approvals_required = r->approvals;
    out->approver_role = r->approver_role;
    size_t generated_max = AP_POLICY_MAX_REASONS - (r->reason ? 1 : 0);
    for (size_t i = 0; i < r->n_conds && out->n_reasons < generated_max; i++) {
        if (policy_cond_holds(&r->conds[i], in))
            policy_cond_reason(&r->conds[i], in, out->reasons[out->n_reasons++],
                               AP_POLICY_REASON_LEN);
    }
    if (r->reason)
        policy_copy_text(r->reason, out->reasons[out->n_reasons++], AP_POLICY_REASON_LEN);
    if (out->n_reasons == 0)
        snprintf(out->reasons[out->n_reasons++], AP_POLICY_REASON_LEN,
                 "Rule '%s' applies to this request.", r->name);
}

void ap_policy_evaluate(const ap_policy *policy, const ap_policy_input *in,
                        ap_policy_result *out)
{
    memset(out, 0, sizeof *out);
    out->approver_role = AP_ROLE_APPROVER;
    snprintf(out->rule, sizeof out->rule, "defaults");
    if (!policy || !in) {
        out->decision = AP_DECISION_DENY;
        snprintf(out->reasons[out->n_reasons++], AP_POLICY_REASON_LEN,
                 "No policy is loaded, so the request is refused.");
        return;
    }
    for (size_t i = 0; i < policy->n_rules; i++) {
        if (rule_matches(&policy->rules[i], in)) {
            decide_by_rule(&policy->rules[i], in, out);
            return;
        }
    }
    out->decision = policy->default_decision;
    out->approvals_required = policy->default_approvals;
    out->approver_role = policy->default_approver_role;
    policy_copy_text(policy->default_reason ? policy->default_reason
                                            : "No policy rule covers this request.",
                     out->reasons[out->n_reasons++], AP_POLICY_REASON_LEN);
}

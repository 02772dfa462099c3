/*
 * policy.h — policy engine v1: INI rules compiled once, evaluated per request.
 * Pure: evaluation does no I/O and allocates nothing; a compiled policy is
 * immutable and may be evaluated from many threads at once.
 *
 * The language (documented for operators in config/policy.ini itself and in
 * docs/policy.md):
 *
 *   [defaults]
 *   decision = deny | allow | require_approval   (when no rule matches)
 *   reason = ...
 *
 *   [rule:NAME]           evaluated in file order; the FIRST rule whose scope
 *                         matches and whose conditions hold decides.
 *   connector = a, b | *  scope (each defaults to *)
 *   action = ...
 *   object = ...
 *   environment = simulation, sandbox, production | *
 *   match = all | any     how conditions combine (default all); a rule with
 *                         no condition matches every request in its scope
 *   fields_any = F1, F2   condition: at least one of these fields changes
 *   fields_only = F1, F2  condition: every changed field is one of these
 *   change_pct_over.F = N     |after-before| / |before| * 100 > N
 *   increase_pct_over.F = N   (after-before) / |before| * 100 > N
 *   decrease_pct_over.F = N   (before-after) / |before| * 100 > N
 *   change_abs_over.F = N     |after-before| > N
 *   increase_abs_over.F = N, decrease_abs_over.F = N
 *                         (numeric conditions hold only when F changes and
 *                         both values are numbers; from 0 any rise is an
 *                         infinite percentage)
 *   decision = allow | require_approval | deny      (required)
 *   approvals = N         require_approval only: approvals needed (1..10, default 1)
 *   approver_role = approver | admin                (default approver)
 *   reason = ...          sentence added to the reasons
 *
 * The decision's reasons: one generated sentence per condition that held
 * (e.g. "Amount rises by 23.3% (more than 10%)"), then the rule's reason.
 */
#ifndef AP_POLICY_H
#define AP_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/ap_types.h"

typedef enum ap_decision {
    AP_DECISION_ALLOW = 0,
    AP_DECISION_REQUIRE_APPROVAL = 1,
    AP_DECISION_DENY = 2
} ap_decision;

/** "allow", "require_approval" or "deny". */
const char *ap_decision_name(ap_decision d);

/** A compiled policy (opaque, immutable). */
typedef struct ap_policy ap_policy;

/** Compiles the policy file at `path`. On failure returns -1 and writes
 *  "FILE:LINE: message" into err. */
int ap_policy_load(const char *path, ap_policy **out, char *err, size_t errlen);

/** Same, from text in memory; `name` is used in messages as the file. */
int ap_policy_load_string(const char *text, const char *name, ap_policy **out,
                          char *err, size_t errlen);

/** Frees a compiled policy. NULL is ignored. */
void ap_policy_free(ap_policy *policy);

/** Number of rules (for logs). */
size_t ap_policy_rule_count(const ap_policy *policy);

/** One field the request changes (only fields whose value changes). */
typedef struct ap_field_change {
    const char *field;
    const char *before_text; /**< display form of the old value, "null" if none */
    const char *after_text;  /**< display form of the new value */
    bool numeric;            /**< both values are numbers */
    double before;           /**< valid when numeric */
    double after;            /**< valid when numeric */
} ap_field_change;

/** What a decision is made about. All borrowed. */
typedef struct ap_policy_input {
    const char *connector;
    const char *action;
    const char *object;
    ap_env environment;
    const ap_field_change *changes;
    size_t n_changes;
} ap_policy_input;

#define AP_POLICY_MAX_REASONS 8
#define AP_POLICY_REASON_LEN 256

/** The outcome, with its explanation. */
typedef struct ap_policy_result {
    ap_decision decision;
    char rule[128];            /**< deciding rule's NAME, or "defaults" */
    char reasons[AP_POLICY_MAX_REASONS][AP_POLICY_REASON_LEN];
    size_t n_reasons;          /**< at least 1 */
    unsigned approvals_required; /**< 0 unless require_approval */
    ap_role approver_role;     /**< role an approver needs */
} ap_policy_result;

/** Evaluates `in` against `policy`. Never fails. */
void ap_policy_evaluate(const ap_policy *policy, const ap_policy_input *in,
                        ap_policy_result *out);

#endif /* AP_POLICY_H */

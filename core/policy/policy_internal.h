/*
 * policy_internal.h — the compiled form of a policy, shared by the files of
 * core/policy only. Everything is allocated once by the compiler
 * (policy_parse.c) and only read afterwards, which is what makes evaluation
 * allocation-free and safe from many threads.
 */
#ifndef AP_POLICY_INTERNAL_H
#define AP_POLICY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"

/** A list of names; n == 0 means "any" (written `*` or left out). */
typedef struct policy_names {
    char **items;
    size_t n;
} policy_names;

/** Condition kinds, in the order of their keys in policy.h. */
typedef enum policy_cond_kind {
    POLICY_FIELDS_ANY,
    POLICY_FIELDS_ONLY,
    POLICY_CHANGE_PCT,
    POLICY_INCREASE_PCT,
    POLICY_DECREASE_PCT,
    POLICY_CHANGE_ABS,
    POLICY_INCREASE_ABS,
    POLICY_DECREASE_ABS
} policy_cond_kind;

/** One condition of a rule. */
typedef struct policy_cond {
    policy_cond_kind kind;
    policy_names fields; /**< fields_any / fields_only: the listed fields */
    char *field;         /**< numeric kinds: the field after the dot */
    double threshold;    /**< numeric kinds: N */
} policy_cond;

/** One [rule:NAME], compiled. */
typedef struct policy_rule {
    char *name;
    int line; /**< its header line, for logs */
    policy_names connectors;
    policy_names actions;
    policy_names objects;
    unsigned env_mask; /**< bit (1u << ap_env) per environment in scope */
    bool match_any;    /**< match = any (else all) */
    policy_cond *conds;
    size_t n_conds;    /**< in file order */
    ap_decision decision;
    unsigned approvals;    /**< require_approval only, else 0 */
    ap_role approver_role; /**< approver unless set */
    char *reason;          /**< or NULL */
} policy_rule;

/** The compiled policy (opaque in policy.h). */
struct ap_policy {
    policy_rule *rules;
    size_t n_rules;
    ap_decision default_decision;
    unsigned default_approvals;
    ap_role default_approver_role;
    char *default_reason; /**< or NULL: a built-in sentence is used */
};

/** True when `cond` holds for `in` (policy_eval.c). */
bool policy_cond_holds(const policy_cond *cond, const ap_policy_input *in);

/**
 * Writes the sentence explaining why `cond` holds for `in` (policy_reasons.c)
 * into out (outlen bytes, always NUL-terminated, cut at a UTF-8 character
 * boundary with "..." when too long). Only meaningful when it holds.
 */
void policy_cond_reason(const policy_cond *cond, const ap_policy_input *in,
                        char *out, size_t outlen);

/** The change of `field` in `in`, or NULL when the field does not change. */
const ap_field_change *policy_find_change(const ap_policy_input *in,
                                          const char *field);

/** Copies `text` into out like policy_cond_reason (safe truncation). */
void policy_copy_text(const char *text, char *out, size_t outlen);

#endif /* AP_POLICY_INTERNAL_H */

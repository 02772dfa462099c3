/* policy_parse.c — compiles policy INI text into the arrays of
 * policy_internal.h: ap_policy_load, ap_policy_load_string, ap_policy_free. */
#include "policy_internal.h"

#include "../config/ini_file.h"
#include "../config/ini_names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RULE_PREFIX "rule:"
#define RULE_NAME_MAX 100 /* fits ap_policy_result.rule */
#define APPROVALS_MAX 10
#define ALL_ENVIRONMENTS ((1u << AP_ENV_COUNT) - 1u)

/* Lines of the keys checked once a section is complete (0: not written). */
typedef struct key_lines {
    int header;
    int decision;
    int approvals;
    int approver_role;
} key_lines;

typedef enum compile_section { IN_NONE, IN_DEFAULTS, IN_RULE } compile_section;

/* The state of one compilation. */
typedef struct policy_compile {
    ap_policy *policy;
    compile_section current;
    size_t cap_rules;
    key_lines *rule_lines; /* parallel to policy->rules */
    key_lines default_lines;
} policy_compile;

static const struct {
    const char *key;
    policy_cond_kind kind;
} numeric_keys[] = {
    {"change_pct_over", POLICY_CHANGE_PCT},     {"increase_pct_over", POLICY_INCREASE_PCT},
    {"decrease_pct_over", POLICY_DECREASE_PCT}, {"change_abs_over", POLICY_CHANGE_ABS},
    {"increase_abs_over", POLICY_INCREASE_ABS}, {"decrease_abs_over", POLICY_DECREASE_ABS},
};

static int out_of_memory(char *msg, size_t msglen)
{
    snprintf(msg, msglen, "out of memory");
    return -1;
}

/* ---- names ---------------------------------------------------------------- */

static bool rule_char(char c)
{
    return ap_ini_is_lower_or_digit(c) || c == '_' || c == '.' || c == '-';
}

static bool action_char(char c)
{
    return ap_ini_is_letter(c) || ap_ini_is_digit(c) || c == '_' || c == '.' || c == '-';
}

static bool is_connector_name(const char *s)
{
    return ap_ini_is_connector_name(s);
}

static bool is_action_name(const char *s)
{
    return ap_ini_name_of(s, 128, action_char);
}

/* Object and field API names: a letter, then letters, digits or _. */
static bool is_api_name(const char *s)
{
    return ap_ini_is_api_name(s);
}

/* ---- lists ---------------------------------------------------------------- */

/* State of parse_names while it walks a comma-separated list. */
typedef struct names_parse {
    const char *key;
    bool (*valid)(const char *);
    const char *expected; /* what a valid name looks like, for messages */
    policy_names *out;
    size_t cap;
    char *msg;
    size_t msglen;
} names_parse;

static bool names_has(const policy_names *names, const char *name)
{
    for (size_t i = 0; i < names->n; i++)
        if (strcmp(names->items[i], name) == 0)
            return true;
    return false;
}

static void names_clear(policy_names *names)
{
    for (size_t i = 0; i < names->n; i++)
        free(names->items[i]);
    free(names->items);
    names->items = NULL;
    names->n = 0;
}

static int take_name(void *user, const char *name)
{
    names_parse *p = user;
    if (name[0] == '\0') {
        snprintf(p->msg, p->msglen, "%s: empty name in the list", p->key);
        return -1;
    }
    if (strcmp(name, "*") == 0) {
        snprintf(p->msg, p->msglen, "%s: '*' must stand alone (it means any)", p->key);
        return -1;
    }
    if (!p->valid(name)) {
        snprintf(p->msg, p->msglen, "%s: '%s' is not %s", p->key, name, p->expected);
        return -1;
    }
    if (names_has(p->out, name)) {
        snprintf(p->msg, p->msglen, "%s: '%s' is listed twice", p->key, name);
        return -1;
    }
    if (p->out->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 4;
        char **items = realloc(p->out->items, cap * sizeof *items);
        if (!items)
            return out_of_memory(p->msg, p->msglen);
        p->out->items = items;
        p->cap = cap;
    }
    p->out->items[p->out->n] = strdup(name);
    if (!p->out->items[p->out->n])
        return out_of_memory(p->msg, p->msglen);
    p->out->n++;
    return 0;
}

/* A non-empty list of distinct valid names; `*` alone (when allow_any)
 * gives the empty list, which means any. */
static int parse_names(const char *key, const char *value, bool allow_any,
                       bool (*valid)(const char *), const char *expected,
                       policy_names *out, char *msg, size_t msglen)
{
    names_clear(out);
    if (allow_any && strcmp(value, "*") == 0)
        return 0;
    if (value[0] == '\0') {
        snprintf(msg, msglen, allow_any ? "%s is empty (write * for any)" : "%s is empty", key);
        return -1;
    }
    names_parse p = {.key = key, .valid = valid, .expected = expected, .out = out,
                     .msg = msg, .msglen = msglen};
    msg[0] = '\0';
    if (ap_ini_split_list(value, take_name, &p) != 0) {
        if (msg[0] == '\0')
            snprintf(msg, msglen, "%s: the list is too long", key);
        names_clear(out);
        return -1;
    }
    return 0;
}

/* State of parse_environments while it walks the list. */
typedef struct envs_parse {
    unsigned mask;
    char *msg;
    size_t msglen;
} envs_parse;

static int take_env_name(void *user, const char *name)
{
    envs_parse *p = user;
    ap_env env;
    if (!ap_env_parse(name, &env)) {
        snprintf(p->msg, p->msglen,
                 "environment: unknown environment '%s' (expected simulation, sandbox, "
                 "production, or * alone for all)", name);
        return -1;
    }
    if (p->mask & (1u << env)) {
        snprintf(p->msg, p->msglen, "environment: '%s' is listed twice", name);
        return -1;
    }
    p->mask |= 1u << env;
    return 0;
}

static int parse_environments(const char *value, unsigned *mask, char *msg,
                              size_t msglen)
{
    if (strcmp(value, "*") == 0) {
        *mask = ALL_ENVIRONMENTS;
        return 0;
    }
    if (value[0] == '\0') {
        snprintf(msg, msglen, "environment is empty (write * for all)");
        return -1;
    }
    envs_parse p = {.msg = msg, .msglen = msglen};
    msg[0] = '\0';
    if (ap_ini_split_list(value, take_env_name, &p) != 0) {
        if (msg[0] == '\0')
            snprintf(msg, msglen, "environment: the list is too long");
        return -1;
    }
    *mask = p.mask;
    return 0;
}

/* ---- values --------------------------------------------------------------- */

/* N: a plain decimal, digits with an optional fraction ("10", "2.5"). */
static bool parse_threshold(const char *text, double *out)
{
    const char *p = text;
    if (!ap_ini_is_digit(*p))
        return false;
    while (ap_ini_is_digit(*p))
        p++;
    if (*p == '.') {
        p++;
        if (!ap_ini_is_digit(*p))
            return false;
        while (ap_ini_is_digit(*p))
            p++;
    }
    if (*p != '\0')
        return false;
    *out = strtod(text, NULL);
    return true;
}

static int parse_decision(const char *value, ap_decision *out, char *msg,
                          size_t msglen)
{
    for (int d = AP_DECISION_ALLOW; d <= AP_DECISION_DENY; d++) {
        if (strcmp(value, ap_decision_name((ap_decision)d)) == 0) {
            *out = (ap_decision)d;
            return 0;
        }
    }
    snprintf(msg, msglen, "decision: unknown decision '%s' (expected allow, require_approval or deny)",
             value);
    return -1;
}

static int parse_approvals(const char *value, unsigned *out, char *msg,
                           size_t msglen)
{
    unsigned n = 0;
    size_t i = 0;
    for (; value[i] && i < 3; i++) {
        if (!ap_ini_is_digit(value[i]))
            break;
        n = n * 10 + (unsigned)(value[i] - '0');
    }
    if (i == 0 || value[i] != '\0' || n < 1 || n > APPROVALS_MAX) {
        snprintf(msg, msglen, "approvals: '%s' is not a number from 1 to %d", value, APPROVALS_MAX);
        return -1;
    }
    *out = n;
    return 0;
}

static int parse_approver_role(const char *value, ap_role *out, char *msg,
                               size_t msglen)
{
    ap_role role;
    if (!ap_role_parse(value, &role) || role < AP_ROLE_APPROVER) {
        snprintf(msg, msglen, "approver_role: '%s' is not approver or admin", value);
        return -1;
    }
    *out = role;
    return 0;
}

static int parse_reason(const char *value, char **out, char *msg, size_t msglen)
{
    if (value[0] == '\0') {
        snprintf(msg, msglen, "reason is empty");
        return -1;
    }
    if (strlen(value) >= AP_POLICY_REASON_LEN) {
        snprintf(msg, msglen, "reason is longer than %d characters", AP_POLICY_REASON_LEN - 1);
        return -1;
    }
    char *copy = strdup(value);
    if (!copy)
        return out_of_memory(msg, msglen);
    free(*out);
    *out = copy;
    return 0;
}

/* ---- sections ------------------------------------------------------------- */

static policy_rule *current_rule(policy_compile *c)
{
    return &c->policy->rules[c->policy->n_rules - 1];
}

static int add_rule(policy_compile *c, const char *name, int line, char *msg,
                    size_t msglen)
{
    ap_policy *p = c->policy;
    if (p->n_rules == c->cap_rules) {
        size_t cap = c->cap_rules ? c->cap_rules * 2 : 8;
        policy_rule *rules = realloc(p->rules, cap * sizeof *rules);
        if (!rules)
            return out_of_memory(msg, msglen);
        p->rules = rules;
        key_lines *lines = realloc(c->rule_lines, cap * sizeof *lines);
        if (!lines)
            return out_of_memory(msg, msglen);
        c->rule_lines = lines;
        c->cap_rules = cap;
    }
    policy_rule *r = &p->rules[p->n_rules];
    memset(r, 0, sizeof *r);
    r->name = strdup(name);
    if (!r->name)
        return out_of_memory(msg, msglen);
    r->line = line;
    r->env_mask = ALL_ENVIRONMENTS;
    r->approver_role = AP_ROLE_APPROVER;
    c->rule_lines[p->n_rules] = (key_lines){.header = line};
    p->n_rules++;
    return 0;
}

static int on_section(void *user, const char *section, int line, char *msg,
                      size_t msglen)
{
    policy_compile *c = user;
    if (strcmp(section, "defaults") == 0) {
        c->current = IN_DEFAULTS;
        c->default_lines.header = line;
        return 0;
    }
    if (strncmp(section, RULE_PREFIX, strlen(RULE_PREFIX)) == 0) {
        const char *name = section + strlen(RULE_PREFIX);
        if (!ap_ini_name_of(name, RULE_NAME_MAX, rule_char)) {
            snprintf(msg, msglen,
                     "bad rule name '%s' (use a-z, 0-9, _ . -, at most %d characters)", name,
                     RULE_NAME_MAX);
            return -1;
        }
        c->current = IN_RULE;
        return add_rule(c, name, line, msg, msglen);
    }
    snprintf(msg, msglen, "unknown section [%s] (expected defaults or rule:NAME)", section);
    return -1;
}

/* Keys shared by [defaults] and rules: the outcome. Returns 1 when `key` is
 * not one of them. */
static int take_outcome_key(const char *key, const char *value, int line,
                            ap_decision *decision, unsigned *approvals,
                            ap_role *role, char **reason, key_lines *lines,
                            char *msg, size_t msglen)
{
    if (strcmp(key, "decision") == 0) {
        lines->decision = line;
        return parse_decision(value, decision, msg, msglen);
    }
    if (strcmp(key, "approvals") == 0) {
        lines->approvals = line;
        return parse_approvals(value, approvals, msg, msglen);
    }
    if (strcmp(key, "approver_role") == 0) {
        lines->approver_role = line;
        return parse_approver_role(value, role, msg, msglen);
    }
    if (strcmp(key, "reason") == 0)
        return parse_reason(value, reason, msg, msglen);
    return 1;
}

static policy_cond *add_cond(policy_rule *r, policy_cond_kind kind)
{
    policy_cond *conds = realloc(r->conds, (r->n_conds + 1) * sizeof *conds);
    if (!conds)
        return NULL;
    r->conds = conds;
    policy_cond *cond = &r->conds[r->n_conds++];
    memset(cond, 0, sizeof *cond);
    cond->kind = kind;
    return cond;
}

static int take_fields_cond(policy_rule *r, policy_cond_kind kind, const char *key,
                            const char *value, char *msg, size_t msglen)
{
    policy_names fields = {0};
    if (parse_names(key, value, false, is_api_name, "a field API name", &fields, msg,
                    msglen) != 0)
        return -1;
    policy_cond *cond = add_cond(r, kind);
    if (!cond) {
        names_clear(&fields);
        return out_of_memory(msg, msglen);
    }
    cond->fields = fields;
    return 0;
}

/* KIND.FIELD = N. Returns 1 when `key` is no numeric condition. */
static int take_numeric_cond(policy_rule *r, const char *key, const char *value,
                             char *msg, size_t msglen)
{
    for (size_t i = 0; i < sizeof numeric_keys / sizeof numeric_keys[0]; i++) {
        size_t n = strlen(numeric_keys[i].key);
        if (strncmp(key, numeric_keys[i].key, n) != 0 || (key[n] != '\0' && key[n] != '.'))
            continue;
        const char *field = key[n] == '.' ? key + n + 1 : "";
        if (field[0] == '\0') {
            snprintf(msg, msglen, "%s needs a field: %s.FIELD = N", key, numeric_keys[i].key);
            return -1;
        }
        if (!is_api_name(field)) {
            snprintf(msg, msglen, "%s: '%s' is not a field API name", key, field);
            return -1;
        }
        double threshold;
        if (!parse_threshold(value, &threshold)) {
            snprintf(msg, msglen, "%s: '%s' is not a number (digits, optionally with a "
                     "decimal point: 10, 2.5)", key, value);
            return -1;
        }
        policy_cond *cond = add_cond(r, numeric_keys[i].kind);
        if (!cond)
            return out_of_memory(msg, msglen);
        cond->threshold = threshold;
        cond->field = strdup(field);
        if (!cond->field)
            return out_of_memory(msg, msglen);
        return 0;
    }
    return 1;
}

static int take_rule_key(policy_compile *c, const char *section, const char *key,
                         const char *value, int line, char *msg, size_t msglen)
{
    policy_rule *r = current_rule(c);
    key_lines *lines = &c->rule_lines[c->policy->n_rules - 1];
    int rc = take_outcome_key(key, value, line, &r->decision, &r->approvals,
                              &r->approver_role, &r->reason, lines, msg, msglen);
    if (rc != 1)
        return rc;
    if (strcmp(key, "connector") == 0)
        return parse_names(key, value, true, is_connector_name,
                           "a connector name (a-z, 0-9, -)", &r->connectors, msg, msglen);
    if (strcmp(key, "action") == 0)
        return parse_names(key, value, true, is_action_name,
                           "an action name (letters, digits, _ . -)", &r->actions, msg, msglen);
    if (strcmp(key, "object") == 0)
        return parse_names(key, value, true, is_api_name, "an object API name", &r->objects,
                           msg, msglen);
    if (strcmp(key, "environment") == 0)
        return parse_environments(value, &r->env_mask, msg, msglen);
    if (strcmp(key, "match") == 0) {
        if (strcmp(value, "all") != 0 && strcmp(value, "any") != 0) {
            snprintf(msg, msglen, "match: expected all or any, got '%s'", value);
            return -1;
        }
        r->match_any = strcmp(value, "any") == 0;
        return 0;
    }
    if (strcmp(key, "fields_any") == 0)
        return take_fields_cond(r, POLICY_FIELDS_ANY, key, value, msg, msglen);
    if (strcmp(key, "fields_only") == 0)
        return take_fields_cond(r, POLICY_FIELDS_ONLY, key, value, msg, msglen);
    rc = take_numeric_cond(r, key, value, msg, msglen);
    if (rc != 1)
        return rc;
    snprintf(msg, msglen,
             "unknown key '%s' in [%s] (expected connector, action, object, environment, "
             "match, fields_any, fields_only, change|increase|decrease_pct|abs_over.FIELD, "
             "decision, approvals, approver_role, reason)", key, section);
    return -1;
}

static int on_entry(void *user, const char *section, const char *key,
                    const char *value, int line, char *msg, size_t msglen)
{
    policy_compile *c = user;
    if (c->current == IN_RULE)
        return take_rule_key(c, section, key, value, line, msg, msglen);
    ap_policy *p = c->policy;
    int rc = take_outcome_key(key, value, line, &p->default_decision, &p->default_approvals,
                              &p->default_approver_role, &p->default_reason,
                              &c->default_lines, msg, msglen);
    if (rc == 1) {
        snprintf(msg, msglen,
                 "unknown key '%s' in [defaults] (expected decision, approvals, "
                 "approver_role, reason)", key);
        return -1;
    }
    return rc;
}

/* ---- whole-section checks ------------------------------------------------- */

/* Checks a finished outcome (of a rule or of the defaults) and fills in the
 * approval defaults. */
static int finish_outcome(const char *name, const char *section, ap_decision decision,
                          unsigned *approvals, const key_lines *lines, char *err,
                          size_t errlen)
{
    if (!lines->decision) {
        ap_ini_error(err, errlen, name, lines->header,
                     "[%s] has no decision (add decision = allow, require_approval or deny)",
                     section);
        return -1;
    }
    if (decision != AP_DECISION_REQUIRE_APPROVAL) {
        int line = lines->approvals ? lines->approvals : lines->approver_role;
        if (line) {
            ap_ini_error(err, errlen, name, line,
                         "%s is only allowed with decision = require_approval",
                         lines->approvals ? "approvals" : "approver_role");
            return -1;
        }
        *approvals = 0;
    } else if (*approvals == 0) {
        *approvals = 1;
    }
    return 0;
}

static int finish_policy(policy_compile *c, const char *name, char *err,
                         size_t errlen)
{
    ap_policy *p = c->policy;
    char section[sizeof RULE_PREFIX + RULE_NAME_MAX];
    for (size_t i = 0; i < p->n_rules; i++) {
        policy_rule *r = &p->rules[i];
        snprintf(section, sizeof section, RULE_PREFIX "%s", r->name);
        if (finish_outcome(name, section, r->decision, &r->approvals, &c->rule_lines[i], err,
                           errlen) != 0)
            return -1;
    }
    if (!c->default_lines.header) /* no [defaults]: refuse what no rule covers */
        return 0;
    return finish_outcome(name, "defaults", p->default_decision, &p->default_approvals,
                          &c->default_lines, err, errlen);
}

static int compile(const char *text, size_t len, const char *name,
                   ap_policy **out, char *err, size_t errlen)
{
    ap_policy *p = calloc(1, sizeof *p);
    if (!p) {
        ap_ini_error(err, errlen, name, 0, "out of memory");
        return -1;
    }
    p->default_decision = AP_DECISION_DENY;
    p->default_approver_role = AP_ROLE_APPROVER;
    policy_compile c = {.policy = p, .current = IN_NONE};
    static const ap_ini_callbacks callbacks = {.section = on_section, .entry = on_entry};
    int rc = ap_ini_parse_text(text, len, name, &callbacks, &c, err, errlen);
    if (rc == 0)
        rc = finish_policy(&c, name, err, errlen);
    free(c.rule_lines);
    if (rc != 0) {
        ap_policy_free(p);
        return -1;
    }
    *out = p;
    return 0;
}

int ap_policy_load_string(const char *text, const char *name, ap_policy **out,
                          char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!out)
        return -1;
    *out = NULL;
    if (!name)
        name = "(policy)";
    if (!text) {
        ap_ini_error(err, errlen, name, 0, "no policy text");
        return -1;
    }
    return compile(text, strlen(text), name, out, err, errlen);
}

int ap_policy_load(const char *path, ap_policy **out, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!out)
        return -1;
    *out = NULL;
    char *text;
    size_t len;
    if (!path || ap_ini_read_file(path, &text, &len, err, errlen) != 0) {
        if (!path)
            ap_ini_error(err, errlen, "(none)", 0, "no policy file given");
        return -1;
    }
    int rc = compile(text, len, path, out, err, errlen);
    free(text);
    return rc;
}

static void rule_clear(policy_rule *r)
{
    free(r->name);
    names_clear(&r->connectors);
    names_clear(&r->actions);
    names_clear(&r->objects);
    for (size_t i = 0; i < r->n_conds; i++) {
        names_clear(&r->conds[i].fields);
        free(r->conds[i].field);
    }
    free(r->conds);
    free(r->reason);
}

void ap_policy_free(ap_policy *policy)
{
    if (!policy)
        return;
    for (size_t i = 0; i < policy->n_rules; i++)
        rule_clear(&policy->rules[i]);
    free(policy->rules);
    free(policy->default_reason);
    free(policy);
}

size_t ap_policy_rule_count(const ap_policy *policy)
{
    return policy ? policy->n_rules : 0;
}

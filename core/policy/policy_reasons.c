/* policy_reasons.c — the sentences that explain a decision: one per
 * condition that held, e.g. "StageName changes (Qualification -> Proposal/
 * Price Quote)" and "Amount rises by 23.3% (more than 10%)". Written into
 * fixed buffers (no allocation), never cutting a UTF-8 character in two. */
#include "policy_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Record values can be long (a NextStep note): each is shown up to this many
 * bytes so a sentence keeps both sides of the arrow. */
#define VALUE_SHOWN_MAX 60

/** A sentence being written into a fixed buffer. */
typedef struct text {
    char *buf;
    size_t cap;
    size_t len;
    bool cut; /* something did not fit */
} text;

static bool is_utf8_continuation(char c)
{
    return ((unsigned char)c & 0xC0) == 0x80;
}

static void text_init(text *t, char *buf, size_t cap)
{
    *t = (text){.buf = buf, .cap = cap};
    if (cap)
        buf[0] = '\0';
}

/* Appends n bytes of s; what does not fit is dropped, at a character
 * boundary, and remembered so text_finish can say so with "...". */
static void text_add_n(text *t, const char *s, size_t n)
{
    if (t->cut || t->cap == 0)
        return;
    size_t room = t->cap - 1 - t->len;
    if (n > room) {
        n = room;
        while (n > 0 && is_utf8_continuation(s[n]))
            n--;
        t->cut = true;
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

static void text_add(text *t, const char *s)
{
    text_add_n(t, s, strlen(s));
}

/* A record value as shown in a sentence: control characters become spaces,
 * and more than VALUE_SHOWN_MAX bytes end in "...". */
static void text_add_value(text *t, const char *value)
{
    if (!value)
        value = "null";
    size_t n = strlen(value);
    bool shortened = n > VALUE_SHOWN_MAX;
    if (shortened) {
        n = VALUE_SHOWN_MAX;
        while (n > 0 && is_utf8_continuation(value[n]))
            n--;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)value[i];
        char shown = (c < 0x20 || c == 0x7F) ? ' ' : (char)c;
        text_add_n(t, &shown, 1);
    }
    if (shortened)
        text_add(t, "...");
}

/* Ends a cut sentence with "...", making room for it. */
static void text_finish(text *t)
{
    if (!t->cut || t->cap < 4)
        return;
    if (t->len + 3 > t->cap - 1) {
        t->len = t->cap - 4;
        while (t->len > 0 && is_utf8_continuation(t->buf[t->len]))
            t->len--;
    }
    memcpy(t->buf + t->len, "...", 4);
    t->len += 3;
}

/* A number without needless decimals: 10, 2.5, 28000, 0.3. */
static void format_number(double x, char *buf, size_t len)
{
    if (!isfinite(x) || fabs(x) >= 1e15) {
        snprintf(buf, len, "%g", x);
        return;
    }
    snprintf(buf, len, "%.6f", x);
    char *dot = strchr(buf, '.');
    if (dot) {
        char *end = buf + strlen(buf);
        while (end > dot + 1 && end[-1] == '0')
            *--end = '\0';
        if (end == dot + 1)
            *dot = '\0';
    }
    if (strcmp(buf, "-0") == 0)
        snprintf(buf, len, "0");
}

static void reason_fields_any(const policy_cond *cond, const ap_policy_input *in, text *t)
{
    bool first = true;
    for (size_t i = 0; i < cond->fields.n; i++) {
        const ap_field_change *c = policy_find_change(in, cond->fields.items[i]);
        if (!c)
            continue;
        if (!first)
            text_add(t, "; ");
        first = false;
        text_add(t, c->field);
        text_add(t, " changes (");
        text_add_value(t, c->before_text);
        text_add(t, " -> ");
        text_add_value(t, c->after_text);
        text_add(t, ")");
    }
}

/* "Only NextStep changes", "Only NextStep and CloseDate change", ... */
static void reason_fields_only(const ap_policy_input *in, text *t)
{
    text_add(t, "Only ");
    for (size_t i = 0; i < in->n_changes; i++) {
        if (i > 0)
            text_add(t, i + 1 == in->n_changes ? " and " : ", ");
        text_add(t, in->changes[i].field);
    }
    text_add(t, in->n_changes == 1 ? " changes" : " change");
}

static bool is_pct(policy_cond_kind kind)
{
    return kind == POLICY_CHANGE_PCT || kind == POLICY_INCREASE_PCT ||
           kind == POLICY_DECREASE_PCT;
}

/* "Amount rises by 23.3% (more than 10%)", "Amount falls by 500 (more than
 * 100)", "Amount rises from 0 to 5000 (more than 10%)". */
static void reason_numeric(const policy_cond *cond, const ap_policy_input *in, text *t)
{
    const ap_field_change *c = policy_find_change(in, cond->field);
    if (!c)
        return;
    double delta = c->after - c->before;
    const char *verb = delta > 0 ? " rises" : " falls";
    const char *unit = is_pct(cond->kind) ? "%" : "";
    char threshold[64], amount[64];
    format_number(cond->threshold, threshold, sizeof threshold);
    text_add(t, c->field);
    text_add(t, verb);
    if (is_pct(cond->kind) && c->before == 0.0) {
        text_add(t, " from ");
        text_add_value(t, c->before_text);
        text_add(t, " to ");
        text_add_value(t, c->after_text);
    } else {
        if (is_pct(cond->kind))
            snprintf(amount, sizeof amount, "%.1f%%", fabs(delta) / fabs(c->before) * 100.0);
        else
            format_number(fabs(delta), amount, sizeof amount);
        text_add(t, " by ");
        text_add(t, amount);
    }
    text_add(t, " (more than ");
    text_add(t, threshold);
    text_add(t, unit);
    text_add(t, ")");
}

void policy_cond_reason(const policy_cond *cond, const ap_policy_input *in,
                        char *out, size_t outlen)
{
    text t;
    text_init(&t, out, outlen);
    switch (cond->kind) {
    case POLICY_FIELDS_ANY:
        reason_fields_any(cond, in, &t);
        break;
    case POLICY_FIELDS_ONLY:
        reason_fields_only(in, &t);
        break;
    default:
        reason_numeric(cond, in, &t);
        break;
    }
    text_finish(&t);
}

void policy_copy_text(const char *src, char *out, size_t outlen)
{
    text t;
    text_init(&t, out, outlen);
    text_add(&t, src);
    text_finish(&t);
}

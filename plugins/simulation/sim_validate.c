/*
 * sim_validate.c — what the simulated org refuses before any write, the way
 * Salesforce refuses it: unknown and read-only fields, stages outside the
 * picklist, impossible dates, amounts beyond currency(18, 2), over-long text.
 * Also the id rules (15 or 18 characters) and the numeric-aware equality used
 * for diffs and conflict checks.
 */
#include "sim_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* currency(18, 2): 16 digits before the decimal point, 2 after. */
#define SIM_AMOUNT_LIMIT 1e16
#define SIM_AMOUNT_INT_LIMIT INT64_C(9999999999999999)

/* Salesforce's date range. */
#define SIM_YEAR_MIN 1700
#define SIM_YEAR_MAX 4000

static int refuse(char *reason, size_t len, const char *text)
{
    snprintf(reason, len, "%s", text);
    return -1;
}

/* Number of UTF-8 characters (code points) of a valid UTF-8 string: every
 * byte that is not a continuation byte starts one. jansson has already
 * rejected invalid UTF-8 when it parsed the input. */
static size_t utf8_length(const char *s, size_t bytes)
{
    size_t n = 0;
    for (size_t i = 0; i < bytes; i++)
        if (((unsigned char)s[i] & 0xC0u) != 0x80u)
            n++;
    return n;
}

static int check_stage(json_t *value, json_t **normalized, char *reason, size_t len)
{
    if (!json_is_string(value))
        return refuse(reason, len, json_is_null(value) ? "is required and cannot be null"
                                                       : "must be a string");
    if (sim_schema_stage_probability(json_string_value(value)) < 0)
        return refuse(reason, len, "is not one of the standard stages");
    *normalized = json_incref(value);
    return 0;
}

static int check_date(json_t *value, json_t **normalized, char *reason, size_t len)
{
    if (!json_is_string(value))
        return refuse(reason, len, json_is_null(value) ? "is required and cannot be null"
                                                       : "must be a date string YYYY-MM-DD");
    if (!sim_validate_date(json_string_value(value)))
        return refuse(reason, len, "is not a real calendar date written YYYY-MM-DD");
    *normalized = json_incref(value);
    return 0;
}

/* Stores amounts as reals, as Salesforce returns currency (148000.0). */
static int check_amount(json_t *value, json_t **normalized, char *reason, size_t len)
{
    if (json_is_null(value)) {
        *normalized = json_null();
        return 0;
    }
    if (json_is_integer(value)) {
        json_int_t v = json_integer_value(value);
        if (v > SIM_AMOUNT_INT_LIMIT || v < -SIM_AMOUNT_INT_LIMIT)
            return refuse(reason, len, "has more than 16 digits before the decimal point");
        *normalized = json_real((double)v);
        return *normalized ? 0 : refuse(reason, len, "could not be stored (out of memory)");
    }
    if (!json_is_real(value))
        return refuse(reason, len, "must be a number or null");
    double x = json_real_value(value);
    if (!isfinite(x) || fabs(x) >= SIM_AMOUNT_LIMIT)
        return refuse(reason, len, "has more than 16 digits before the decimal point");
    /* At most 2 decimals: the value must survive rounding to cents. Decimal
     * fractions are inexact in binary, so compare the doubles, not digits. */
    char cents[64];
    snprintf(cents, sizeof cents, "%.2f", x);
    if (strtod(cents, NULL) != x)
        return refuse(reason, len, "has more than 2 decimal places");
    *normalized = json_real(x);
    return *normalized ? 0 : refuse(reason, len, "could not be stored (out of memory)");
}

/* Salesforce stores an empty text value as null, so "" normalises to null. */
static int check_text(const sim_field *f, json_t *value, json_t **normalized,
                      char *reason, size_t len)
{
    if (json_is_null(value)) {
        if (!f->nillable)
            return refuse(reason, len, "is required and cannot be null");
        *normalized = json_null();
        return 0;
    }
    if (!json_is_string(value))
        return refuse(reason, len, "must be a string or null");
    size_t bytes = json_string_length(value);
    if (bytes == 0 && f->nillable) {
        *normalized = json_null();
        return 0;
    }
    if (utf8_length(json_string_value(value), bytes) > (size_t)f->length) {
        snprintf(reason, len, "is longer than %d characters", f->length);
        return -1;
    }
    *normalized = json_incref(value);
    return 0;
}

int sim_validate_change(const char *name, json_t *value, json_t **normalized,
                        char *reason, size_t reason_len)
{
    *normalized = NULL;
    const sim_field *f = sim_schema_field(name);
    if (!f)
        return refuse(reason, reason_len, "is not a field of Opportunity");
    if (!f->updateable)
        return refuse(reason, reason_len, "is not updateable");
    switch (f->type) {
    case SIM_FIELD_PICKLIST: return check_stage(value, normalized, reason, reason_len);
    case SIM_FIELD_DATE: return check_date(value, normalized, reason, reason_len);
    case SIM_FIELD_CURRENCY: return check_amount(value, normalized, reason, reason_len);
    case SIM_FIELD_STRING: return check_text(f, value, normalized, reason, reason_len);
    case SIM_FIELD_ID:
    case SIM_FIELD_PERCENT:
    case SIM_FIELD_DATETIME:
        break;
    }
    return refuse(reason, reason_len, "is not updateable");
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool sim_validate_date(const char *text)
{
    static const int days_in_month[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(text) != 10 || text[4] != '-' || text[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)text[i]))
            return false;
    int y = atoi(text), m = atoi(text + 5), d = atoi(text + 8);
    if (y < SIM_YEAR_MIN || y > SIM_YEAR_MAX || m < 1 || m > 12 || d < 1)
        return false;
    int max_day = days_in_month[m - 1] + (m == 2 && is_leap(y) ? 1 : 0);
    return d <= max_day;
}

/* Salesforce's case-safe suffix: for each 5-character chunk of the 15-character
 * id, bit i is set when character i is an upper-case letter; the 5-bit value
 * indexes A..Z0..5. */
static void id_suffix(const char *id15, char suffix[3])
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
    for (int chunk = 0; chunk < 3; chunk++) {
        unsigned bits = 0;
        for (int i = 0; i < 5; i++) {
            char c = id15[chunk * 5 + i];
            if (c >= 'A' && c <= 'Z')
                bits |= 1u << i;
        }
        suffix[chunk] = alphabet[bits];
    }
}

bool sim_validate_id(const char *id, char out[SIM_ID_LEN + 1])
{
    size_t n = strlen(id);
    if (n != 15 && n != SIM_ID_LEN)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)id[i]))
            return false;
    memcpy(out, id, n);
    if (n == 15)
        id_suffix(id, out + 15);
    out[SIM_ID_LEN] = '\0';
    return true;
}

bool sim_json_same(const json_t *a, const json_t *b)
{
    if (!a || !b)
        return a == b;
    if (json_is_integer(a) && json_is_integer(b))
        return json_integer_value(a) == json_integer_value(b);
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b);
    return json_equal(a, b) != 0;
}

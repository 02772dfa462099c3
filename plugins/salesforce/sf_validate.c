/*
 * sf_validate.c — checks proposed values against the synced field metadata, before anything is sent.
 *
 * A value the org would refuse is caught at preview, where it costs no write and no round trip: picklist
 * membership (active values, exact spelling), dates, numbers with their precision and scale, booleans,
 * text length (in characters), required fields. Salesforce still has the last word on execute
 * (validation rules, triggers); this only spares the obvious refusals.
 */
#include "sf_internal.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static bool is_type(const char *type, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(type, list[i]) == 0)
            return true;
    return false;
}

static const char *const numeric_types[] = {"currency", "double", "percent", "int", "long", NULL};
static const char *const text_types[] = {"string", "textarea", "email", "phone", "url", "combobox",
                                         "encryptedstring", NULL};

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

static bool valid_date(const char *s)
{
    int y, m, d, used = 0;
    if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &used) != 3 || used != 10)
        return false;
    if (!isdigit((unsigned char)s[5]) || !isdigit((unsigned char)s[8]))
        return false;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = 12};
    time_t t = timegm(&tm);
    struct tm back;
    /* timegm normalises 2026-02-30 to March 2: a real date survives the round trip unchanged. */
    return t != (time_t)-1 && gmtime_r(&t, &back) && back.tm_year == y - 1900 && back.tm_mon == m - 1 &&
           back.tm_mday == d;
}

static bool valid_datetime(const char *s)
{
    char date[11];
    if (strlen(s) < 19 || s[10] != 'T')
        return false;
    memcpy(date, s, 10);
    date[10] = '\0';
    int hh, mm, ss;
    return valid_date(date) && sscanf(s + 11, "%2d:%2d:%2d", &hh, &mm, &ss) == 3 && hh < 24 && mm < 60 && ss < 61;
}

/* Compares ignoring case, spaces and punctuation, to suggest "Proposal/Price Quote" for "proposal / price quote". */
static bool loosely_equal(const char *a, const char *b)
{
    for (;;) {
        while (*a && !isalnum((unsigned char)*a))
            a++;
        while (*b && !isalnum((unsigned char)*b))
            b++;
        if (!*a || !*b)
            return !*a && !*b;
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return false;
        a++;
        b++;
    }
}

static bool check_picklist(const json_t *meta, const char *field, const char *value, char *reason, size_t len,
                           json_t *problem)
{
    const json_t *active = json_object_get(meta, "picklistValues");
    size_t i;
    const json_t *v;
    json_array_foreach(active, i, v) {
        if (strcmp(json_string_value(v), value) == 0)
            return true;
    }
    const char *suggestion = NULL;
    json_array_foreach(active, i, v) {
        if (loosely_equal(json_string_value(v), value)) {
            suggestion = json_string_value(v);
            break;
        }
    }
    if (suggestion)
        snprintf(reason, len, "'%s' is not a value of the %s picklist; did you mean '%s'?", value, field, suggestion);
    else
        snprintf(reason, len, "'%s' is not an active value of the %s picklist", value, field);
    json_object_set(problem, "allowed", (json_t *)active);
    return false;
}

static bool check_number(const json_t *meta, const char *type, const json_t *value, char *reason, size_t len)
{
    if (!json_is_number(value)) {
        snprintf(reason, len, "must be a number");
        return false;
    }
    double v = json_number_value(value);
    long long precision = json_integer_value(json_object_get(meta, "precision"));
    long long scale = json_integer_value(json_object_get(meta, "scale"));
    if (strcmp(type, "int") == 0 && !json_is_integer(value) && v != floor(v)) {
        snprintf(reason, len, "must be a whole number");
        return false;
    }
    if (precision > 0 && scale >= 0 && scale <= 17) {
        double scaled = v * pow(10.0, (double)scale);
        /* Absolute tolerance for binary rounding (0.1 is not exact), relative only where doubles thin out. */
        if (fabs(scaled - round(scaled)) > fmax(1e-6, fabs(scaled) * 4 * DBL_EPSILON)) {
            snprintf(reason, len, "has more than %lld decimal place%s", scale, scale == 1 ? "" : "s");
            return false;
        }
        if (precision > scale && fabs(v) >= pow(10.0, (double)(precision - scale))) {
            snprintf(reason, len, "has more than %lld digits before the decimal point", precision - scale);
            return false;
        }
    }
    return true;
}

/* Checks one value; on refusal writes the reason (and may add "allowed" to problem). */
static bool check_value(const json_t *meta, const char *field, const json_t *value, char *reason, size_t len,
                        json_t *problem)
{
    if (!meta) {
        snprintf(reason, len, "does not exist in the org or is not visible to the integration user");
        return false;
    }
    if (!json_is_true(json_object_get(meta, "updateable"))) {
        snprintf(reason, len, "is not updateable by the integration user");
        return false;
    }
    if (json_is_null(value)) {
        if (json_is_true(json_object_get(meta, "nillable")))
            return true;
        snprintf(reason, len, "is required and cannot be emptied");
        return false;
    }
    const char *type = json_string_value(json_object_get(meta, "type"));
    if (!type)
        return true;
    if (is_type(type, numeric_types))
        return check_number(meta, type, value, reason, len);
    if (strcmp(type, "boolean") == 0) {
        if (json_is_boolean(value))
            return true;
        snprintf(reason, len, "must be true or false");
        return false;
    }
    if (!json_is_string(value)) {
        if (strcmp(type, "date") == 0 || strcmp(type, "datetime") == 0 || strcmp(type, "picklist") == 0 ||
            strcmp(type, "multipicklist") == 0 || is_type(type, text_types)) {
            snprintf(reason, len, "must be a string");
            return false;
        }
        return true;
    }
    const char *text = json_string_value(value);
    if (strcmp(type, "date") == 0 && !valid_date(text)) {
        snprintf(reason, len, "'%s' is not a date in the form YYYY-MM-DD", text);
        return false;
    }
    if (strcmp(type, "datetime") == 0 && !valid_datetime(text)) {
        snprintf(reason, len, "'%s' is not a datetime in the form YYYY-MM-DDThh:mm:ssZ", text);
        return false;
    }
    if (strcmp(type, "picklist") == 0)
        return check_picklist(meta, field, text, reason, len, problem);
    long long max = json_integer_value(json_object_get(meta, "length"));
    if (is_type(type, text_types) && max > 0 && (long long)utf8_chars(text) > max) {
        snprintf(reason, len, "is %zu characters long; at most %lld fit", utf8_chars(text), max);
        return false;
    }
    return true;
}

ap_status sf_validate_changes(const sf_instance *in, const char *object, const json_t *changes, sf_error *err)
{
    json_t *refused = json_array();
    const char *key;
    json_t *value;
    char first[400] = "";
    json_object_foreach((json_t *)changes, key, value) {
        char reason[320];
        json_t *problem = json_object();
        if (check_value(sf_metadata_field(in, object, key), key, value, reason, sizeof reason, problem)) {
            json_decref(problem);
            continue;
        }
        if (!*first)
            snprintf(first, sizeof first, "%s: %s", key, reason);
        json_object_set_new(problem, "field", json_string(key));
        json_object_set(problem, "value", value);
        json_object_set_new(problem, "reason", json_string(reason));
        json_array_append_new(refused, problem);
    }
    if (json_array_size(refused) == 0) {
        json_decref(refused);
        return AP_OK;
    }
    sf_error_set(err, AP_INVALID, "invalid_value", "%s.%s (checked against the org's metadata; nothing was sent)",
                 object, first);
    sf_error_detail(err, "fields", refused);
    sf_error_detail(err, "field", json_string(json_string_value(json_object_get(json_array_get(refused, 0), "field"))));
    return AP_INVALID;
}

bool sf_validate_restorable(const sf_instance *in, const char *object, const char *field, const json_t *value,
                            char *reason, size_t reason_len)
{
    const json_t *meta = sf_metadata_field(in, object, field);
    const char *type = json_string_value(json_object_get(meta, "type"));
    if (meta && type && strcmp(type, "picklist") == 0 && json_is_string(value)) {
        /* An old record may hold a value since retired from the picklist: the org refuses to write it back. */
        size_t i;
        const json_t *v;
        json_array_foreach(json_object_get(meta, "inactivePicklistValues"), i, v) {
            if (strcmp(json_string_value(v), json_string_value(value)) == 0) {
                snprintf(reason, reason_len, "the prior %s '%s' is an inactive picklist value the org may refuse "
                         "to write back", field, json_string_value(value));
                return false;
            }
        }
        return true;
    }
    json_t *scratch = json_object();
    bool ok = check_value(meta, field, value, reason, reason_len, scratch);
    json_decref(scratch);
    return ok;
}

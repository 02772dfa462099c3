/*
 * sf_errors.c — the operation error, and the mapping of Salesforce's answers onto the host's statuses.
 *
 * The mapping (also in docs/salesforce.md):
 *   400 field errors (INVALID_FIELD, JSON_PARSER_ERROR, STRING_TOO_LONG, restricted picklist, validation
 *       rules, REQUIRED_FIELD_MISSING, ...)           -> AP_INVALID "invalid_value"  (rollback: AP_ERROR
 *                                                       "rollback_failed")
 *   400 MALFORMED_ID                                  -> AP_INVALID "invalid_value"
 *   401 (after the one re-authentication)             -> AP_ERROR "connector_error"
 *   403 REQUEST_LIMIT_EXCEEDED                        -> AP_RETRY "connector_error"
 *   403 other (INSUFFICIENT_ACCESS...)                -> AP_ERROR "connector_error"
 *   404 NOT_FOUND, ENTITY_IS_DELETED                  -> AP_NOT_FOUND "not_found"
 *   412                                               -> AP_CONFLICT "conflict"
 *   429, 5xx                                          -> AP_RETRY "connector_error"
 *   anything else                                     -> AP_ERROR "connector_error"
 * Salesforce's error array always travels whole in details.errors.
 */
#include "sf_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void sf_error_set(sf_error *e, ap_status status, const char *code, const char *fmt, ...)
{
    json_decref(e->details);
    e->details = NULL;
    e->status = status;
    snprintf(e->code, sizeof e->code, "%s", code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}

void sf_error_details(sf_error *e, json_t *details)
{
    json_decref(e->details);
    e->details = details;
}

void sf_error_detail(sf_error *e, const char *key, json_t *value)
{
    if (!e->details)
        e->details = json_object();
    if (e->details)
        json_object_set_new(e->details, key, value);
    else
        json_decref(value);
}

void sf_error_clear(sf_error *e)
{
    json_decref(e->details);
    memset(e, 0, sizeof *e);
}

static const json_t *first_error(const json_t *body)
{
    /* Data calls answer an array; a few endpoints (and Composite subrequests) an object. */
    if (json_is_array(body))
        return json_array_get(body, 0);
    return json_is_object(body) ? body : NULL;
}

const char *sf_errors_first_code(const json_t *body)
{
    const char *code = json_string_value(json_object_get(first_error(body), "errorCode"));
    return code ? code : "";
}

const char *sf_errors_first_message(const json_t *body)
{
    const char *msg = json_string_value(json_object_get(first_error(body), "message"));
    return msg ? msg : "";
}

static bool any_error_code(const json_t *body, const char *code)
{
    if (!json_is_array(body))
        return strcmp(sf_errors_first_code(body), code) == 0;
    size_t i;
    const json_t *item;
    json_array_foreach(body, i, item) {
        const char *c = json_string_value(json_object_get(item, "errorCode"));
        if (c && strcmp(c, code) == 0)
            return true;
    }
    return false;
}

/* A daily limit never clears by waiting a few seconds; only the concurrent-request limit does. */
static bool concurrency_limit(const json_t *body)
{
    if (!any_error_code(body, "REQUEST_LIMIT_EXCEEDED"))
        return false;
    const char *msg = sf_errors_first_message(body);
    return strstr(msg, "oncurrent") != NULL;
}

static sf_retry_kind composite_retry_kind(const json_t *body)
{
    /* allOrNone Composite: a locked row rolls the whole call back, so sending it again is safe. */
    const json_t *parts = json_object_get(body, "compositeResponse");
    size_t i;
    const json_t *part;
    json_array_foreach(parts, i, part) {
        if (any_error_code(json_object_get(part, "body"), "UNABLE_TO_LOCK_ROW"))
            return SF_RETRY_BACKOFF;
    }
    return SF_RETRY_NO;
}

sf_retry_kind sf_errors_retry_kind(long http_status, const json_t *body, bool writes)
{
    if (http_status == 200 && json_is_object(body) && json_object_get(body, "compositeResponse"))
        return composite_retry_kind(body);
    if (http_status == 503)
        return SF_RETRY_BACKOFF; /* SERVER_UNAVAILABLE: the request was not processed */
    if ((http_status == 502 || http_status == 504) && !writes)
        return SF_RETRY_BACKOFF;
    if (http_status == 400 && any_error_code(body, "UNABLE_TO_LOCK_ROW"))
        return SF_RETRY_BACKOFF;
    if (http_status == 429 || (http_status == 403 && concurrency_limit(body)))
        return SF_RETRY_LONG;
    return SF_RETRY_NO;
}

static bool is_field_error(const char *code)
{
    static const char *const field_errors[] = {
        "INVALID_FIELD", "JSON_PARSER_ERROR", "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
        "FIELD_CUSTOM_VALIDATION_EXCEPTION", "STRING_TOO_LONG", "REQUIRED_FIELD_MISSING",
        "INVALID_FIELD_FOR_INSERT_UPDATE", "FIELD_INTEGRITY_EXCEPTION", "INVALID_TYPE_ON_FIELD_IN_RECORD",
        "NUMBER_OUTSIDE_VALID_RANGE", "FIELD_FILTER_VALIDATION_EXCEPTION", "INVALID_CROSS_REFERENCE_KEY",
        "CANNOT_EXECUTE_FLOW_TRIGGER", NULL};
    for (int i = 0; field_errors[i]; i++)
        if (strcmp(code, field_errors[i]) == 0)
            return true;
    return false;
}

void sf_errors_from_answer(sf_error *e, long http_status, const json_t *body, const char *what,
                           bool for_rollback)
{
    const char *code = sf_errors_first_code(body);
    const char *msg = sf_errors_first_message(body);
    const char *sep = *msg ? ": " : "";

    if (http_status == 412) {
        sf_error_set(e, AP_CONFLICT, "conflict",
                     "%s: the record changed since it was read (412 Precondition Failed); nothing was written",
                     what);
    } else if (http_status == 404) {
        sf_error_set(e, AP_NOT_FOUND, "not_found", "%s: Salesforce has no such record (%s)%s%s", what,
                     *code ? code : "404", sep, msg);
    } else if (http_status == 400 && strcmp(code, "MALFORMED_ID") == 0) {
        sf_error_set(e, AP_INVALID, "invalid_value", "%s: not a valid record id%s%s", what, sep, msg);
    } else if (http_status == 400 && is_field_error(code)) {
        if (for_rollback)
            sf_error_set(e, AP_ERROR, "rollback_failed", "Salesforce refused the compensating write (%s)%s%s",
                         code, sep, msg);
        else
            sf_error_set(e, AP_INVALID, "invalid_value", "Salesforce refused the value (%s)%s%s", code, sep, msg);
    } else if (http_status == 429 || http_status >= 500 ||
               (http_status == 403 && strcmp(code, "REQUEST_LIMIT_EXCEEDED") == 0) ||
               (http_status == 400 && strcmp(code, "UNABLE_TO_LOCK_ROW") == 0)) {
        sf_error_set(e, AP_RETRY, "connector_error", "%s: Salesforce is unavailable for now (HTTP %ld%s%s)%s%s",
                     what, http_status, *code ? " " : "", code, sep, msg);
    } else if (for_rollback && http_status == 400) {
        sf_error_set(e, AP_ERROR, "rollback_failed", "Salesforce refused the compensating write (%s)%s%s",
                     *code ? code : "400", sep, msg);
    } else {
        sf_error_set(e, AP_ERROR, "connector_error", "%s: Salesforce answered HTTP %ld%s%s%s%s", what,
                     http_status, *code ? " " : "", code, sep, msg);
    }
    sf_error_detail(e, "httpStatus", json_integer(http_status));
    sf_error_detail(e, "request", json_string(what));
    if (body)
        sf_error_detail(e, "errors", json_deep_copy(body));
}

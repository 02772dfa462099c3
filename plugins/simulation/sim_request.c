/*
 * sim_request.c — what every operation shares: replies and errors through the
 * host's sink, target resolution (by id or by name), change validation, and
 * the record as callers see it (fields in schema order, Salesforce datetimes).
 */
#include "sim_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Whether every real in `v` prints back to the same double with `digits`
 * significant digits. */
static bool reals_round_trip(const json_t *v, int digits)
{
    if (json_is_real(v)) {
        char buf[64];
        double x = json_real_value(v);
        snprintf(buf, sizeof buf, "%.*g", digits, x);
        return strtod(buf, NULL) == x;
    }
    if (json_is_object(v)) {
        const char *key;
        json_t *member;
        json_object_foreach((json_t *)v, key, member)
            if (!reals_round_trip(member, digits))
                return false;
    } else if (json_is_array(v)) {
        size_t i;
        json_t *member;
        json_array_foreach(v, i, member)
            if (!reals_round_trip(member, digits))
                return false;
    }
    return true;
}

/* Serialises for the host. Amounts like 1234.56 print as 1234.56 (15
 * digits), not 1234.5599999999999 (jansson's default 17), unless some real
 * needs all 17 digits to keep its exact value. */
static char *dump_for_host(const json_t *v)
{
    int digits = reals_round_trip(v, 15) ? 15 : 17;
    return json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(digits));
}

ap_status sim_fail(const sim_call *call, ap_status status, const char *code,
                   json_t *details, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    char *text = details ? dump_for_host(details) : NULL;
    call->inst->host->result_error(call->out, code, message, text, text ? strlen(text) : 0);
    free(text);
    json_decref(details);
    return status;
}

ap_status sim_fail_store(const sim_call *call, const char *what)
{
    char line[512];
    const char *reason = sim_store_errmsg(call->inst->store);
    snprintf(line, sizeof line, "simulation store failed while %s: %s", what, reason);
    call->inst->host->log(call->inst->ctx, AP_LOG_ERROR, line);
    return sim_fail(call, AP_ERROR, "connector_error", json_pack("{s:s}", "reason", reason),
                    "The simulation store failed while %s.", what);
}

ap_status sim_fail_field(const sim_call *call, const char *field, const char *reason)
{
    json_t *details = json_pack("{s:s, s:s}", "field", field, "reason", reason);
    /* A refused picklist value is usually a near miss ("Proposal / Price
     * Quote"): list the exact values so the caller can correct it. */
    const sim_field *f = sim_schema_field(field);
    if (details && f && f->type == SIM_FIELD_PICKLIST) {
        json_t *values = json_array();
        for (const char *const *s = sim_schema_stages(); *s; s++)
            json_array_append_new(values, json_string(*s));
        json_object_set_new(details, "allowedValues", values);
    }
    return sim_fail(call, AP_INVALID, "invalid_value", details, "%s %s.", field, reason);
}

ap_status sim_reply(const sim_call *call, json_t *payload)
{
    char *text = payload ? dump_for_host(payload) : NULL;
    json_decref(payload);
    if (!text)
        return sim_fail(call, AP_ERROR, "connector_error", NULL,
                        "The simulation could not build its answer (out of memory).");
    int rc = call->inst->host->result_json(call->out, text, strlen(text));
    free(text);
    if (rc != 0)
        return sim_fail(call, AP_ERROR, "connector_error", NULL,
                        "The host refused the simulation's answer.");
    return AP_OK;
}

ap_status sim_check_action(const sim_call *call)
{
    const json_t *action = json_object_get(call->input, "action");
    if (!action || (json_is_string(action) && strcmp(json_string_value(action), SIM_ACTION) == 0))
        return AP_OK;
    return sim_fail(call, AP_UNSUPPORTED, "unsupported_action",
                    json_pack("{s:O, s:[s]}", "action", action, "supported", SIM_ACTION),
                    "The simulation performs only %s.", SIM_ACTION);
}

/* An unknown object is reported as Salesforce reports an unknown sObject
 * type: not found. */
static ap_status check_object(const sim_call *call, const char *what, const json_t *object)
{
    if (!json_is_string(object))
        return sim_fail(call, AP_INVALID, "invalid_request",
                        json_pack("{s:s}", "field", what), "%s must be a string.", what);
    if (strcmp(json_string_value(object), SIM_OBJECT) != 0)
        return sim_fail(call, AP_NOT_FOUND, "not_found",
                        json_pack("{s:s, s:O}", "field", what, "object", object),
                        "The simulation holds no %s records (only %s).",
                        json_string_value(object), SIM_OBJECT);
    return AP_OK;
}

ap_status sim_load_record(const sim_call *call, const char *object_member,
                          const char *id_member, const json_t *object, const json_t *id,
                          sim_record *rec)
{
    memset(rec, 0, sizeof *rec);
    ap_status status = check_object(call, object_member, object);
    if (status != AP_OK)
        return status;
    char id18[SIM_ID_LEN + 1];
    if (!json_is_string(id) || !sim_validate_id(json_string_value(id), id18))
        return sim_fail(call, AP_INVALID, "invalid_request",
                        json_pack("{s:s, s:s}", "field", id_member, "reason", "malformed_id"),
                        "%s must be a 15- or 18-character Salesforce id.", id_member);
    int found = sim_store_get(call->inst->store, call->workspace, SIM_OBJECT, id18, rec);
    if (found < 0)
        return sim_fail_store(call, "reading the record");
    if (found == 0)
        return sim_fail(call, AP_NOT_FOUND, "not_found",
                        json_pack("{s:s, s:s}", "object", SIM_OBJECT, "id", id18),
                        "No %s with id %s in this workspace.", SIM_OBJECT, id18);
    return AP_OK;
}

ap_status sim_resolve_target(const sim_call *call, sim_record *rec)
{
    memset(rec, 0, sizeof *rec);
    const json_t *target = json_object_get(call->input, "target");
    if (!json_is_object(target))
        return sim_fail(call, AP_INVALID, "invalid_request", json_pack("{s:s}", "field", "target"),
                        "target must be an object with object and id or name.");
    const json_t *object = json_object_get(target, "object");
    const json_t *id = json_object_get(target, "id");
    if (id)
        return sim_load_record(call, "target.object", "target.id", object, id, rec);

    ap_status status = check_object(call, "target.object", object);
    if (status != AP_OK)
        return status;
    const json_t *name = json_object_get(target, "name");
    if (!json_is_string(name) || json_string_length(name) == 0)
        return sim_fail(call, AP_INVALID, "invalid_request", json_pack("{s:s}", "field", "target"),
                        "target needs an id or a non-empty name.");
    size_t matches;
    char id18[SIM_ID_LEN + 1];
    if (sim_store_find_by_name(call->inst->store, call->workspace, SIM_OBJECT,
                               json_string_value(name), &matches, id18) != 0)
        return sim_fail_store(call, "finding the record by name");
    if (matches == 0)
        return sim_fail(call, AP_NOT_FOUND, "not_found",
                        json_pack("{s:s, s:O}", "object", SIM_OBJECT, "name", name),
                        "No %s named \"%s\" in this workspace.", SIM_OBJECT,
                        json_string_value(name));
    if (matches > 1)
        return sim_fail(call, AP_INVALID, "ambiguous_target",
                        json_pack("{s:s, s:O}", "object", SIM_OBJECT, "name", name),
                        "Several %s records are named \"%s\": target one by id.", SIM_OBJECT,
                        json_string_value(name));
    json_t *id_value = json_string(id18);
    status = sim_load_record(call, "target.object", "target.name", object, id_value, rec);
    json_decref(id_value);
    return status;
}

ap_status sim_parse_changes(const sim_call *call, const char *member, json_t **normalized)
{
    *normalized = NULL;
    json_t *changes = json_object_get(call->input, member);
    if (!json_is_object(changes) || json_object_size(changes) == 0)
        return sim_fail(call, AP_INVALID, "invalid_request", json_pack("{s:s}", "field", member),
                        "%s must be an object naming at least one field.", member);
    json_t *result = json_object();
    if (!result)
        return sim_fail(call, AP_ERROR, "connector_error", NULL, "Out of memory.");
    const char *field;
    json_t *value;
    json_object_foreach(changes, field, value) {
        char reason[128];
        json_t *norm;
        if (sim_validate_change(field, value, &norm, reason, sizeof reason) != 0) {
            json_decref(result);
            return sim_fail_field(call, field, reason);
        }
        json_object_set_new(result, field, norm);
    }
    *normalized = result;
    return AP_OK;
}

void sim_format_datetime(int64_t ms, char *buf, size_t len)
{
    time_t secs = (time_t)(ms / 1000);
    int millis = (int)(ms % 1000);
    struct tm tm;
    if (ms < 0 || !gmtime_r(&secs, &tm)) {
        snprintf(buf, len, "1970-01-01T00:00:00.000+0000");
        return;
    }
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03d+0000", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

json_t *sim_record_view(const sim_record *rec)
{
    json_t *view = json_object();
    if (!view)
        return NULL;
    char stamp[40];
    sim_format_datetime(rec->modstamp_ms, stamp, sizeof stamp);
    size_t n;
    const sim_field *fields = sim_schema_fields(&n);
    for (size_t i = 0; i < n; i++) {
        json_t *value;
        if (fields[i].type == SIM_FIELD_DATETIME)
            value = json_string(stamp);
        else
            value = json_incref(json_object_get(rec->fields, fields[i].name));
        if (json_object_set_new(view, fields[i].name, value ? value : json_null()) != 0) {
            json_decref(view);
            return NULL;
        }
    }
    return view;
}

/*
 * sim_ops_read.c — the side-effect-free operations: preview, read_record,
 * validate and sync_metadata. None of them writes a record (the only write on
 * these paths is the first-touch seed of an unseen workspace, done by the
 * dispatcher before any operation).
 */
#include "sim_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The allowlist the host applies when the config names none. */
#define SIM_DEFAULT_ALLOWLIST "StageName, CloseDate, Amount, NextStep"

/* The Probability a stage change would set, as {before, after}, or NULL when
 * the stage stays or the probability does not move. */
static json_t *stage_automation(const sim_record *rec, const json_t *changes)
{
    const char *stage = json_string_value(json_object_get(changes, "StageName"));
    const json_t *before_stage = json_object_get(rec->fields, "StageName");
    if (!stage || sim_json_same(before_stage, json_object_get(changes, "StageName")))
        return NULL;
    json_t *after = json_real((double)sim_schema_stage_probability(stage));
    json_t *before = json_object_get(rec->fields, "Probability");
    if (sim_json_same(before, after)) {
        json_decref(after);
        return NULL;
    }
    return json_pack("{s:O, s:o}", "before", before ? before : json_null(), "after", after);
}

ap_status sim_op_preview(const sim_call *call)
{
    ap_status status = sim_check_action(call);
    if (status != AP_OK)
        return status;
    sim_record rec;
    status = sim_resolve_target(call, &rec);
    if (status != AP_OK)
        return status;
    json_t *changes;
    status = sim_parse_changes(call, "changes", &changes);
    if (status != AP_OK) {
        sim_record_clear(&rec);
        return status;
    }

    json_t *current = json_object(), *diff = json_array(), *restore = json_object();
    const char *field;
    json_t *after;
    json_object_foreach(changes, field, after) {
        json_t *before = json_object_get(rec.fields, field);
        if (!before)
            before = json_null();
        json_object_set(current, field, before);
        if (!sim_json_same(before, after)) {
            json_array_append_new(diff, json_pack("{s:s, s:O, s:O}", "field", field,
                                                  "before", before, "after", after));
            json_object_set(restore, field, before);
        }
    }
    json_t *automation = json_object();
    json_t *probability = stage_automation(&rec, changes);
    if (probability)
        json_object_set_new(automation, "Probability", probability);
    json_t *warnings = json_array();
    if (json_array_size(diff) == 0)
        json_array_append_new(warnings, json_string("No field would change: the record "
                                                    "already holds every requested value."));

    char version[40];
    sim_format_datetime(rec.modstamp_ms, version, sizeof version);
    json_t *payload = json_pack(
        "{s:{s:s, s:s, s:O}, s:o, s:o, s:s, s:{s:s, s:o, s:s}, s:b, s:o, s:o}",
        "target", "object", SIM_OBJECT, "id", rec.id, "name", json_object_get(rec.fields, "Name"),
        "current", current, "diff", diff, "version", version,
        "rollbackPlan", "strategy", "compensating_write", "restore", restore, "version", version,
        "rollbackReady", 1, "warnings", warnings, "automationChanges", automation);
    json_decref(changes);
    sim_record_clear(&rec);
    return sim_reply(call, payload);
}

/* The fields the caller asked for (Id always comes back, as in Salesforce),
 * or every field when `fields` is absent. */
static ap_status select_fields(const sim_call *call, json_t *view, json_t **selected)
{
    const json_t *wanted = json_object_get(call->input, "fields");
    if (!wanted || json_is_null(wanted)) {
        *selected = json_incref(view);
        return AP_OK;
    }
    if (!json_is_array(wanted))
        return sim_fail(call, AP_INVALID, "invalid_request", json_pack("{s:s}", "field", "fields"),
                        "fields must be an array of field names.");
    json_t *out = json_pack("{s:O}", "Id", json_object_get(view, "Id"));
    size_t i;
    const json_t *name;
    json_array_foreach(wanted, i, name) {
        const char *text = json_string_value(name);
        if (!text || !sim_schema_field(text)) {
            json_decref(out);
            return sim_fail_field(call, text ? text : "fields", "is not a field of Opportunity");
        }
        json_object_set(out, text, json_object_get(view, text));
    }
    *selected = out;
    return AP_OK;
}

ap_status sim_op_read_record(const sim_call *call)
{
    sim_record rec;
    ap_status status = sim_load_record(call, "object", "id", json_object_get(call->input, "object"),
                                       json_object_get(call->input, "id"), &rec);
    if (status != AP_OK)
        return status;
    json_t *view = sim_record_view(&rec);
    json_t *fields = NULL;
    status = view ? select_fields(call, view, &fields)
                  : sim_fail(call, AP_ERROR, "connector_error", NULL, "Out of memory.");
    json_decref(view);
    if (status != AP_OK) {
        sim_record_clear(&rec);
        return status;
    }
    char version[40];
    sim_format_datetime(rec.modstamp_ms, version, sizeof version);
    json_t *payload = json_pack("{s:s, s:s, s:o, s:s}", "object", SIM_OBJECT, "id", rec.id,
                                "fields", fields, "version", version);
    sim_record_clear(&rec);
    return sim_reply(call, payload);
}

ap_status sim_op_validate(const sim_call *call)
{
    size_t count;
    if (sim_store_count(call->inst->store, call->workspace, &count) != 0)
        return sim_fail_store(call, "counting the workspace's records");
    char detail[96];
    snprintf(detail, sizeof detail, "%zu seeded record%s in this workspace", count,
             count == 1 ? "" : "s");
    json_t *payload = json_pack(
        "{s:b, s:[{s:s, s:b, s:s}, {s:s, s:b, s:s}, {s:s, s:b, s:s}]}", "ok", count > 0,
        "checks",
        "name", "credentials", "ok", 1, "detail", "the simulation needs no credentials",
        "name", "store", "ok", 1, "detail", "simulation.sqlite open (WAL, synchronous=FULL)",
        "name", "records", "ok", count > 0, "detail", detail);
    return sim_reply(call, payload);
}

/* Describe-like metadata of one field. */
static json_t *describe_field(const sim_field *f)
{
    json_t *d = json_pack("{s:s, s:s, s:b, s:b, s:i}", "type", sim_schema_type_name(f->type),
                          "label", f->label, "updateable", f->updateable, "nillable",
                          f->nillable, "length", f->length);
    if (d && f->precision > 0) {
        json_object_set_new(d, "precision", json_integer(f->precision));
        json_object_set_new(d, "scale", json_integer(f->scale));
    }
    if (d && f->type == SIM_FIELD_PICKLIST) {
        json_t *values = json_array();
        for (const char *const *s = sim_schema_stages(); *s; s++)
            json_array_append_new(values, json_string(*s));
        json_object_set_new(d, "picklistValues", values);
    }
    return d;
}

/* Copies the next comma-separated token of *cursor, trimmed, into buf;
 * returns false at the end of the list. */
static bool next_token(const char **cursor, char *buf, size_t len)
{
    const char *p = *cursor;
    while (*p == ',' || isspace((unsigned char)*p))
        p++;
    if (!*p)
        return false;
    const char *end = strchr(p, ',');
    if (!end)
        end = p + strlen(p);
    *cursor = end;
    while (end > p && isspace((unsigned char)end[-1]))
        end--;
    snprintf(buf, len, "%.*s", (int)(end - p), p);
    return true;
}

ap_status sim_op_sync_metadata(const sim_call *call)
{
    const char *allow = call->inst->host->config_get(call->inst->ctx,
                                                     "allowedFields." SIM_OBJECT);
    if (!allow || !*allow)
        allow = SIM_DEFAULT_ALLOWLIST;
    json_t *fields = json_object(), *problems = json_array();
    char name[128];
    for (const char *cursor = allow; next_token(&cursor, name, sizeof name);) {
        const sim_field *f = sim_schema_field(name);
        char problem[192];
        if (!f) {
            snprintf(problem, sizeof problem, "%s.%s does not exist", SIM_OBJECT, name);
            json_array_append_new(problems, json_string(problem));
            continue;
        }
        if (!f->updateable) {
            snprintf(problem, sizeof problem, "%s.%s is not updateable", SIM_OBJECT, name);
            json_array_append_new(problems, json_string(problem));
        }
        json_object_set_new(fields, f->name, describe_field(f));
    }
    json_t *payload = json_pack("{s:{s:{s:o}}, s:o}", "objects", SIM_OBJECT, "fields", fields,
                                "problems", problems);
    return sim_reply(call, payload);
}

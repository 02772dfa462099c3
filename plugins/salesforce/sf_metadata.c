/*
 * sf_metadata.c — describe the managed objects and keep what validation needs about allowlisted fields.
 *
 * One GET .../sobjects/{object}/describe per allowlisted object. The describe answer is large (hundreds of
 * fields, ~40 keys each); only the allowlisted fields are kept, plus which of the fields automation
 * commonly changes (Probability, ...) the integration user can read, so that execute can report them.
 * in->metadata holds exactly the sync_metadata output shape:
 *   {"objects": {NAME: {"label", "fields": {FIELD: {...}}, "watchFields": [...]}},
 *    "problems": ["..."], "apiVersion", "syncedAt"}
 */
#include "sf_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Standard Opportunity fields the org recomputes when a write changes the stage or the amount. */
static const char *const opportunity_watch_fields[] = {
    "Probability", "ForecastCategoryName", "ExpectedRevenue", "IsClosed", "IsWon", NULL};

static const json_t *find_described_field(const json_t *describe, const char *name)
{
    size_t i;
    const json_t *field;
    json_array_foreach(json_object_get(describe, "fields"), i, field) {
        const char *n = json_string_value(json_object_get(field, "name"));
        if (n && strcmp(n, name) == 0)
            return field;
    }
    return NULL;
}

static json_t *keep_field(const json_t *f)
{
    json_t *active = json_array(), *inactive = json_array();
    size_t i;
    const json_t *pv;
    json_array_foreach(json_object_get(f, "picklistValues"), i, pv) {
        json_t *value = json_object_get(pv, "value");
        if (!json_is_string(value))
            continue;
        json_array_append(json_is_true(json_object_get(pv, "active")) ? active : inactive, value);
    }
    json_t *kept = json_pack("{s:O?, s:O?, s:b, s:b, s:I, s:I, s:I, s:b, s:o, s:o}",
                             "label", json_object_get(f, "label"),
                             "type", json_object_get(f, "type"),
                             "updateable", json_is_true(json_object_get(f, "updateable")),
                             "nillable", json_is_true(json_object_get(f, "nillable")),
                             "length", json_integer_value(json_object_get(f, "length")),
                             "precision", json_integer_value(json_object_get(f, "precision")),
                             "scale", json_integer_value(json_object_get(f, "scale")),
                             "restrictedPicklist", json_is_true(json_object_get(f, "restrictedPicklist")),
                             "picklistValues", active,
                             "inactivePicklistValues", inactive);
    return kept;
}

static json_t *problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_t *problem(const char *fmt, ...)
{
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    return json_string(text);
}

/* Describes one object and adds it to `objects`, its problems to `problems`. */
static ap_status sync_object(sf_instance *in, const sf_allowlist *a, json_t *objects, json_t *problems,
                             sf_error *err)
{
    char *path = sf_client_data_path(in, "/sobjects/%s/describe", a->object);
    char what[96];
    snprintf(what, sizeof what, "describe %s", a->object);
    sf_call call = {.method = "GET", .path = path, .auth = true, .metadata = true, .what = what};
    sf_reply reply;
    ap_status st = path ? sf_client_call(in, &call, &reply, err) : AP_ERROR;
    free(path);
    if (st != AP_OK)
        return st;
    if (reply.status == 404) {
        json_array_append_new(problems, problem("%s: the object is not available to the integration user",
                                                a->object));
        sf_reply_free(&reply);
        return AP_OK;
    }
    if (reply.status != 200 || !json_is_object(reply.json)) {
        sf_errors_from_answer(err, reply.status, reply.json, what, false);
        sf_reply_free(&reply);
        return err->status;
    }
    json_t *fields = json_object(), *watch = json_array();
    for (size_t i = 0; i < a->n_fields; i++) {
        const json_t *f = find_described_field(reply.json, a->fields[i]);
        if (!f) {
            json_array_append_new(problems, problem("%s.%s does not exist or is not visible to the integration user",
                                                    a->object, a->fields[i]));
            continue;
        }
        if (!json_is_true(json_object_get(f, "updateable")))
            json_array_append_new(problems, problem("%s.%s is not updateable by the integration user", a->object,
                                                    a->fields[i]));
        json_object_set_new(fields, a->fields[i], keep_field(f));
    }
    if (strcmp(a->object, SF_OBJECT_OPPORTUNITY) == 0)
        for (int i = 0; opportunity_watch_fields[i]; i++)
            if (find_described_field(reply.json, opportunity_watch_fields[i]))
                json_array_append_new(watch, json_string(opportunity_watch_fields[i]));
    json_object_set_new(objects, a->object,
                        json_pack("{s:O?, s:o, s:o}", "label", json_object_get(reply.json, "label"), "fields", fields,
                                  "watchFields", watch));
    sf_reply_free(&reply);
    return AP_OK;
}

ap_status sf_metadata_sync(sf_instance *in, sf_error *err)
{
    json_t *objects = json_object(), *problems = json_array();
    if (in->settings.n_allowlists == 0)
        json_array_append_new(problems, json_string("no object is allowlisted (set allowedFields.Opportunity)"));
    for (size_t i = 0; i < in->settings.n_allowlists; i++) {
        ap_status st = sync_object(in, &in->settings.allowlists[i], objects, problems, err);
        if (st != AP_OK) {
            json_decref(objects);
            json_decref(problems);
            return st;
        }
    }
    json_t *meta = json_pack("{s:o, s:o, s:s, s:I}", "objects", objects, "problems", problems, "apiVersion",
                             in->settings.api_version, "syncedAt", (json_int_t)in->host->now_ms(in->ctx));
    if (!meta) {
        sf_error_set(err, AP_ERROR, "connector_error", "out of memory while keeping the metadata");
        return AP_ERROR;
    }
    json_decref(in->metadata);
    in->metadata = meta;
    size_t n_problems = json_array_size(problems);
    if (n_problems)
        sf_log(in, AP_LOG_WARN, "metadata synced with %zu problem(s), first: %s", n_problems,
               json_string_value(json_array_get(problems, 0)));
    return AP_OK;
}

ap_status sf_metadata_ensure(sf_instance *in, bool *synced_now, sf_error *err)
{
    *synced_now = false;
    if (in->metadata)
        return AP_OK;
    *synced_now = true;
    return sf_metadata_sync(in, err);
}

const json_t *sf_metadata_field(const sf_instance *in, const char *object, const char *field)
{
    const json_t *obj = json_object_get(json_object_get(in->metadata, "objects"), object);
    return json_object_get(json_object_get(obj, "fields"), field);
}

static bool listed(const json_t *except, const char *name)
{
    if (json_is_object(except))
        return json_object_get(except, name) != NULL;
    size_t i;
    const json_t *v;
    json_array_foreach(except, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), name) == 0)
            return true;
    }
    return false;
}

json_t *sf_metadata_watch_fields(const sf_instance *in, const char *object, const json_t *except)
{
    json_t *out = json_array();
    const json_t *obj = json_object_get(json_object_get(in->metadata, "objects"), object);
    size_t i;
    const json_t *name;
    json_array_foreach(json_object_get(obj, "watchFields"), i, name) {
        if (!listed(except, json_string_value(name)))
            json_array_append(out, (json_t *)name);
    }
    return out;
}

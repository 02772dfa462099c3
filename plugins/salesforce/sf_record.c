/*
 * sf_record.c — reading one record: by id (GET .../sobjects/{object}/{id}?fields=...) or by Name (one SOQL
 * query that returns the fields too), always with LastModifiedDate and SystemModstamp (the version).
 * Only the fields asked for travel: a full record is dozens of fields the run does not need.
 */
#include "sf_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const version_fields[] = {"LastModifiedDate", "SystemModstamp", NULL};

/* "A,B,LastModifiedDate,SystemModstamp": names are checked API names, so they need no escaping. */
static bool join_fields(const char *leading, const json_t *names, char *out, size_t len)
{
    json_t *all = json_array();
    if (leading)
        json_array_append_new(all, json_string(leading));
    json_array_extend(all, (json_t *)names);
    for (int i = 0; version_fields[i]; i++)
        json_array_append_new(all, json_string(version_fields[i]));
    out[0] = '\0';
    size_t used = 0, i;
    json_t *name;
    bool ok = true;
    json_array_foreach(all, i, name) {
        const char *n = json_string_value(name);
        if (!sf_is_api_name(n)) {
            ok = false;
            break;
        }
        /* Skip duplicates: Salesforce refuses a SOQL select list that repeats a field. */
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(json_string_value(json_array_get(all, j)), n) == 0;
        if (seen)
            continue;
        int w = snprintf(out + used, len - used, "%s%s", used ? "," : "", n);
        if (w < 0 || (size_t)w >= len - used) {
            ok = false;
            break;
        }
        used += (size_t)w;
    }
    json_decref(all);
    return ok;
}

char *sf_record_path(const sf_instance *in, const char *object, const char *id, const json_t *names)
{
    char fields[2048];
    if (!join_fields(NULL, names, fields, sizeof fields))
        return NULL;
    return sf_client_data_path(in, "/sobjects/%s/%s?fields=%s", object, id, fields);
}

ap_status sf_record_get(sf_instance *in, const char *object, const char *id, const json_t *names,
                        json_t **record, sf_error *err)
{
    *record = NULL;
    char *path = sf_record_path(in, object, id, names);
    if (!path) {
        sf_error_set(err, AP_INVALID, "invalid_request", "the field list is not a list of Salesforce API names");
        return AP_INVALID;
    }
    char what[96];
    snprintf(what, sizeof what, "GET %s %s", object, id);
    sf_call call = {.method = "GET", .path = path, .auth = true, .what = what};
    sf_reply reply;
    ap_status st = sf_client_call(in, &call, &reply, err);
    free(path);
    if (st != AP_OK)
        return st;
    if (reply.status == 200 && json_is_object(reply.json)) {
        *record = reply.json;
        return AP_OK;
    }
    sf_errors_from_answer(err, reply.status, reply.json, what, false);
    sf_reply_free(&reply);
    return err->status;
}

ap_status sf_record_find_by_name(sf_instance *in, const char *object, const char *name, const json_t *names,
                                 json_t **record, sf_error *err)
{
    *record = NULL;
    char fields[2048];
    if (!join_fields("Id", names, fields, sizeof fields)) {
        sf_error_set(err, AP_INVALID, "invalid_request", "the field list is not a list of Salesforce API names");
        return AP_INVALID;
    }
    char *literal = sf_soql_escape(name);
    size_t soql_len = strlen(fields) + strlen(object) + (literal ? strlen(literal) : 0) + 64;
    char *soql = literal ? malloc(soql_len) : NULL;
    if (soql) /* LIMIT 5: enough to tell one match from several, and to name a few candidates */
        snprintf(soql, soql_len, "SELECT %s FROM %s WHERE Name = '%s' LIMIT 5", fields, object, literal);
    free(literal);
    char *q = soql ? sf_http_escape(&in->http, soql) : NULL;
    free(soql);
    char *path = q ? sf_client_data_path(in, "/query?q=%s", q) : NULL;
    curl_free(q);
    if (!path) {
        sf_error_set(err, AP_ERROR, "connector_error", "out of memory or name too long");
        return AP_ERROR;
    }
    char what[96];
    snprintf(what, sizeof what, "query %s by Name", object);
    sf_call call = {.method = "GET", .path = path, .auth = true, .what = what};
    sf_reply reply;
    ap_status st = sf_client_call(in, &call, &reply, err);
    free(path);
    if (st != AP_OK)
        return st;
    if (reply.status != 200 || !json_is_object(reply.json)) {
        sf_errors_from_answer(err, reply.status, reply.json, what, false);
        sf_reply_free(&reply);
        return err->status;
    }
    json_t *rows = json_object_get(reply.json, "records");
    size_t n = json_array_size(rows);
    if (n == 1) {
        *record = json_incref(json_array_get(rows, 0));
        st = AP_OK;
    } else if (n == 0) {
        sf_error_set(err, AP_NOT_FOUND, "not_found", "no %s is named '%s'", object, name);
        st = AP_NOT_FOUND;
    } else {
        sf_error_set(err, AP_INVALID, "ambiguous_target", "%s%zu %s records are named '%s'; name it by id",
                     n >= 5 ? "at least " : "", n, object, name);
        json_t *ids = json_array();
        size_t i;
        json_t *row;
        json_array_foreach(rows, i, row) {
            json_array_append_new(ids, json_pack("{s:O?, s:O?}", "id", json_object_get(row, "Id"), "name",
                                                 json_object_get(row, "Name")));
        }
        sf_error_detail(err, "matches", ids);
        st = AP_INVALID;
    }
    sf_reply_free(&reply);
    return st;
}

bool sf_values_equal(const json_t *a, const json_t *b)
{
    if (!a)
        a = json_null();
    if (!b)
        b = json_null();
    if (json_is_number(a) && json_is_number(b)) {
        double x = json_number_value(a), y = json_number_value(b);
        return fabs(x - y) <= 1e-9 * fmax(1.0, fabs(x));
    }
    return json_equal((json_t *)a, (json_t *)b);
}

json_t *sf_record_pick(const json_t *record, const json_t *names)
{
    json_t *out = json_object();
    size_t i;
    json_t *name;
    json_array_foreach(names, i, name) {
        const char *n = json_string_value(name);
        json_t *v = n ? json_object_get(record, n) : NULL;
        if (n)
            json_object_set_new(out, n, v ? json_incref(v) : json_null());
    }
    return out;
}

const char *sf_record_version(const json_t *record)
{
    return json_string_value(json_object_get(record, "LastModifiedDate"));
}

/*
 * sf_ops_read.c — the side-effect free operations that are not previews: validate, sync_metadata,
 * read_record. None of them writes to the org.
 */
#include "sf_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add_check(json_t *checks, const char *name, bool ok, const char *detail)
{
    json_array_append_new(checks, json_pack("{s:s, s:b, s:s}", "name", name, "ok", ok, "detail", detail));
}

/* GET /services/data/ (no auth): is the configured version offered? Fills *newest. */
static ap_status check_api_version(sf_instance *in, json_t *checks, char *newest, size_t newest_len, sf_error *err)
{
    sf_call call = {.method = "GET", .path = "/services/data/", .auth = false, .what = "GET /services/data/"};
    sf_reply reply;
    ap_status st = sf_client_call(in, &call, &reply, err);
    if (st != AP_OK) {
        add_check(checks, "apiVersion", false, err->message);
        return st;
    }
    if (reply.status != 200 || !json_is_array(reply.json)) {
        sf_errors_from_answer(err, reply.status, reply.json, call.what, false);
        add_check(checks, "apiVersion", false, err->message);
        sf_reply_free(&reply);
        return err->status;
    }
    bool offered = false;
    size_t i;
    json_t *v;
    json_array_foreach(reply.json, i, v) {
        const char *version = sf_json_str(v, "version");
        if (!version)
            continue;
        offered = offered || strcmp(version, in->settings.api_version) == 0;
        snprintf(newest, newest_len, "%s", version); /* the list is oldest first */
    }
    sf_reply_free(&reply);
    char detail[160];
    snprintf(detail, sizeof detail, "API version %s is %s (newest offered: %s)", in->settings.api_version,
             offered ? "offered" : "NOT offered by this org", *newest ? newest : "none");
    add_check(checks, "apiVersion", offered, detail);
    if (!offered) {
        sf_error_set(err, AP_ERROR, "connector_error", "%s", detail);
        return AP_ERROR;
    }
    return AP_OK;
}

/* The configured isSandbox must agree with the environment the host runs in, when it is set. */
static bool check_environment(const sf_instance *in, const char *environment, json_t *checks, sf_error *err)
{
    if (in->settings.is_sandbox < 0 || !environment)
        return true;
    bool production = strcmp(environment, "production") == 0;
    bool ok = production != (in->settings.is_sandbox == 1);
    char detail[160];
    snprintf(detail, sizeof detail, "isSandbox = %s %s the %s environment", in->settings.is_sandbox ? "true" : "false",
             ok ? "matches" : "does not match", environment);
    add_check(checks, "environment", ok, detail);
    if (!ok)
        sf_error_set(err, AP_ERROR, "connector_error", "%s", detail);
    return ok;
}

ap_status sf_op_validate(void *instance, const char *input, size_t input_len, ap_result *out)
{
    sf_instance *in = instance;
    sf_error err = {0};
    json_t *req = sf_ops_begin(in, input, input_len, &err);
    if (!req)
        return sf_ops_finish(in, out, err.status, NULL, NULL, &err);
    json_t *checks = json_array();
    char detail[256], newest[16] = "";

    sf_auth_forget(in); /* validate proves the credentials work now, not that they once did */
    ap_status st = sf_auth_ensure(in, &err);
    if (st == AP_OK) {
        snprintf(detail, sizeof detail, "%s grant accepted by %s; instance %s", sf_auth_grant_name(in),
                 in->settings.login_url, in->token.instance_url);
        add_check(checks, "auth", true, detail);
        st = check_api_version(in, checks, newest, sizeof newest, &err);
    } else {
        add_check(checks, "auth", false, err.message);
    }
    if (st == AP_OK) {
        bool ok = *in->token.org_id && *in->token.user_id;
        if (ok)
            snprintf(detail, sizeof detail, "org %s, user %s", in->token.org_id, in->token.user_id);
        else
            snprintf(detail, sizeof detail, "the token's id URL names no org and user");
        add_check(checks, "identity", ok, detail);
        if (!ok) {
            sf_error_set(&err, AP_ERROR, "connector_error", "%s", detail);
            st = AP_ERROR;
        }
    }
    if (st == AP_OK && !check_environment(in, sf_json_str(req, "environment"), checks, &err))
        st = AP_ERROR;
    if (st != AP_OK) {
        sf_error_detail(&err, "checks", checks);
        return sf_ops_finish(in, out, st, req, NULL, &err);
    }
    json_t *report = json_pack("{s:b, s:o, s:s, s:s, s:s, s:s, s:s, s:s}", "ok", 1, "checks", checks, "orgId",
                               in->token.org_id, "userId", in->token.user_id, "instanceUrl", in->token.instance_url,
                               "apiVersion", in->settings.api_version, "newestApiVersion", newest, "grant",
                               sf_auth_grant_name(in));
    return sf_ops_finish(in, out, AP_OK, req, report, &err);
}

ap_status sf_op_sync_metadata(void *instance, const char *input, size_t input_len, ap_result *out)
{
    sf_instance *in = instance;
    sf_error err = {0};
    json_t *req = sf_ops_begin(in, input, input_len, &err);
    if (!req)
        return sf_ops_finish(in, out, err.status, NULL, NULL, &err);
    ap_status st = sf_metadata_sync(in, &err);
    json_t *result = st == AP_OK ? json_deep_copy(in->metadata) : NULL;
    return sf_ops_finish(in, out, st, req, result, &err);
}

/* Fields read_record may show: Name, the allowlist, and the standard fields automation changes. */
static bool readable(const sf_instance *in, const char *object, const char *field)
{
    static const char *const always[] = {"Name", "Probability", "ForecastCategoryName", "ExpectedRevenue",
                                         "IsClosed", "IsWon", "LastModifiedDate", "SystemModstamp", NULL};
    for (int i = 0; always[i]; i++)
        if (strcmp(always[i], field) == 0)
            return true;
    return sf_settings_allows(&in->settings, object, field);
}

static json_t *fields_to_read(const sf_instance *in, const char *object, const json_t *asked, sf_error *err)
{
    json_t *names = json_array();
    if (asked) {
        size_t i;
        json_t *v;
        json_array_foreach(asked, i, v) {
            const char *f = json_string_value(v);
            if (!f || !sf_is_api_name(f) || !readable(in, object, f)) {
                sf_error_set(err, AP_INVALID, "field_not_allowed", "%s.%s may not be read through this connector",
                             object, f ? f : "?");
                json_decref(names);
                return NULL;
            }
            json_array_append(names, v);
        }
        return names;
    }
    json_array_append_new(names, json_string("Name"));
    const sf_allowlist *a = sf_settings_allowlist(&in->settings, object);
    for (size_t i = 0; a && i < a->n_fields; i++)
        json_array_append_new(names, json_string(a->fields[i]));
    return names;
}

ap_status sf_op_read_record(void *instance, const char *input, size_t input_len, ap_result *out)
{
    sf_instance *in = instance;
    sf_error err = {0};
    json_t *req = sf_ops_begin(in, input, input_len, &err);
    if (!req)
        return sf_ops_finish(in, out, err.status, NULL, NULL, &err);
    /* read_record names its target at the top level; reuse the target check by shaping it. */
    json_t *shaped = json_pack("{s:{s:O?, s:O?}}", "target", "object", json_object_get(req, "object"), "id",
                               json_object_get(req, "id"));
    const char *object = NULL;
    char id[19];
    ap_status st = sf_ops_target(in, shaped, &object, id, &err);
    json_t *asked = json_object_get(req, "fields");
    json_t *names = st == AP_OK ? fields_to_read(in, SF_OBJECT_OPPORTUNITY, json_is_array(asked) ? asked : NULL, &err)
                                : NULL;
    json_decref(shaped);
    if (st == AP_OK && !names)
        st = AP_INVALID;
    json_t *record = NULL, *result = NULL;
    if (st == AP_OK)
        st = sf_record_get(in, SF_OBJECT_OPPORTUNITY, id, names, &record, &err);
    if (st == AP_OK) {
        result = json_pack("{s:s, s:s, s:o, s:O?}", "object", SF_OBJECT_OPPORTUNITY, "id", id, "fields",
                           sf_record_pick(record, names), "version", json_object_get(record, "LastModifiedDate"));
        json_t *stamp = json_object_get(record, "SystemModstamp");
        if (stamp)
            json_object_set(result, "systemModstamp", stamp);
    }
    json_decref(record);
    json_decref(names);
    return sf_ops_finish(in, out, st, req, result, &err);
}

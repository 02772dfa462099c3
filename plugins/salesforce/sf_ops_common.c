/*
 * sf_ops_common.c — what every operation does the same way: parse the input, reset the counters, check
 * the target and the allowlist, and report exactly once through the host's result sink, with the round
 * trips the call made ("requests", "tokenRequests", "retries", "reauths") and the org's API usage from
 * the last Sforce-Limit-Info header ("apiUsage").
 */
#include "sf_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sf_log(sf_instance *in, ap_log_level level, const char *fmt, ...)
{
    char line[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    in->host->log(in->ctx, level, line);
}

const char *sf_json_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

json_t *sf_ops_begin(sf_instance *in, const char *input, size_t input_len, sf_error *err)
{
    memset(&in->stats, 0, sizeof in->stats);
    json_error_t jerr;
    json_t *req = input ? json_loadb(input, input_len, 0, &jerr) : NULL;
    if (!json_is_object(req)) {
        json_decref(req);
        sf_error_set(err, AP_INVALID, "invalid_request", "the operation input is not a JSON object");
        return NULL;
    }
    return req;
}

/* "api-usage=25/15000" -> {"used": 25, "max": 15000, "header": "..."}; null when no answer carried it. */
static json_t *api_usage(const sf_stats *stats)
{
    if (!stats->limit_info[0])
        return json_null();
    long long used = -1, max = -1;
    const char *p = strstr(stats->limit_info, "api-usage=");
    if (p)
        sscanf(p + strlen("api-usage="), "%lld/%lld", &used, &max);
    return json_pack("{s:s, s:I, s:I}", "header", stats->limit_info, "used", (json_int_t)used, "max",
                     (json_int_t)max);
}

static void add_counters(const sf_instance *in, json_t *obj)
{
    json_object_set_new(obj, "requests", json_integer(in->stats.requests));
    json_object_set_new(obj, "metadataRequests", json_integer(in->stats.metadata_requests));
    json_object_set_new(obj, "tokenRequests", json_integer(in->stats.token_requests));
    json_object_set_new(obj, "retries", json_integer(in->stats.retries));
    json_object_set_new(obj, "reauths", json_integer(in->stats.reauths));
    json_object_set_new(obj, "apiUsage", api_usage(&in->stats));
}

ap_status sf_ops_finish(sf_instance *in, ap_result *out, ap_status status, json_t *input, json_t *result,
                        sf_error *err)
{
    const ap_host_services *host = in->host;
    json_decref(input);
    if (status == AP_OK && !result) {
        /* Every operation builds a result: NULL here means a json_pack failed (memory, a bug). */
        sf_error_set(err, AP_ERROR, "connector_error", "could not build the result");
        status = AP_ERROR;
    }
    if (status == AP_OK) {
        add_counters(in, result);
        char *text = json_dumps(result, JSON_COMPACT);
        json_decref(result);
        if (text && host->result_json(out, text, strlen(text)) == 0) {
            free(text);
            return AP_OK;
        }
        free(text);
        sf_error_set(err, AP_ERROR, "connector_error", "could not hand the result to the host");
        status = AP_ERROR;
    }
    json_decref(result);
    if (err->status == AP_OK) /* a path that failed without saying why: still report something useful */
        sf_error_set(err, status, "connector_error", "the Salesforce connector failed (out of memory?)");
    json_t *details = err->details ? json_incref(err->details) : json_object();
    add_counters(in, details);
    char *text = json_dumps(details, JSON_COMPACT);
    json_decref(details);
    /* No log line here: the host logs every failed call with the plugin's name and version already. */
    host->result_error(out, err->code, err->message, text, text ? strlen(text) : 0);
    free(text);
    ap_status reported = err->status;
    sf_error_clear(err);
    return reported;
}

ap_status sf_ops_target(const sf_instance *in, const json_t *input, const char **object, char id_out[19],
                        sf_error *err)
{
    (void)in;
    const json_t *target = json_object_get(input, "target");
    const char *obj = sf_json_str(target, "object");
    const char *id = sf_json_str(target, "id");
    if (!obj || strcmp(obj, SF_OBJECT_OPPORTUNITY) != 0) {
        sf_error_set(err, AP_INVALID, "invalid_request", "target.object must be %s", SF_OBJECT_OPPORTUNITY);
        sf_error_detail(err, "field", json_string("target.object"));
        return AP_INVALID;
    }
    if (!id || !sf_id_normalise(id, id_out)) {
        sf_error_set(err, AP_INVALID, "invalid_request", "target.id is not a 15- or 18-character Salesforce id");
        sf_error_detail(err, "field", json_string("target.id"));
        return AP_INVALID;
    }
    *object = obj;
    return AP_OK;
}

ap_status sf_ops_check_allowed(const sf_instance *in, const char *object, const json_t *fields, bool allow_empty,
                               sf_error *err)
{
    if (!json_is_object(fields) || (!allow_empty && json_object_size(fields) == 0)) {
        sf_error_set(err, AP_INVALID, "invalid_request", "changes must be a non-empty object of field values");
        sf_error_detail(err, "field", json_string("changes"));
        return AP_INVALID;
    }
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)fields, key, value) {
        if (!sf_is_api_name(key) || !sf_settings_allows(&in->settings, object, key)) {
            sf_error_set(err, AP_INVALID, "field_not_allowed", "%s.%s is not in the connector's allowlist", object,
                         key);
            sf_error_detail(err, "field", json_string(key));
            return AP_INVALID;
        }
    }
    return AP_OK;
}

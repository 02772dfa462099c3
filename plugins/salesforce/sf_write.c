/*
 * sf_write.c — one guarded write: a single Composite call (allOrNone) that PATCHes the record with
 * If-Unmodified-Since and reads it back, so a write costs one round trip and the observed values (what
 * automation did beside our write) come with it.
 *
 * When the answer is lost, late, or a gateway's 502/504, the write's outcome is unknown. It is never re-sent blindly: the record
 * is read once, and if it already holds the written values the write applied; if not, the caller gets the
 * error, with what the read saw (a late write may still land: the error says so).
 */
#include "sf_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sf_write_result_free(sf_write_result *res)
{
    json_decref(res->observed);
    res->observed = NULL;
    res->settled_by_read = false;
}

static const json_t *part(const json_t *answer, const char *reference)
{
    size_t i;
    const json_t *p;
    json_array_foreach(json_object_get(answer, "compositeResponse"), i, p) {
        const char *ref = json_string_value(json_object_get(p, "referenceId"));
        if (ref && strcmp(ref, reference) == 0)
            return p;
    }
    return NULL;
}

static bool holds_values(const json_t *record, const json_t *values)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)values, key, value) {
        if (!sf_values_equal(json_object_get(record, key), value))
            return false;
    }
    return true;
}

/* The answer never came (or made no sense): read once to learn whether the write applied. */
static ap_status settle_by_read(sf_instance *in, const char *object, const char *id, const json_t *values,
                                const json_t *read_names, sf_write_result *res, sf_error *err)
{
    sf_error read_err = {0};
    json_t *record = NULL;
    ap_status st = sf_record_get(in, object, id, read_names, &record, &read_err);
    if (st != AP_OK) {
        sf_error_detail(err, "writeOutcome", json_string("unknown"));
        sf_error_detail(err, "checkRead", json_string(read_err.message));
        sf_error_clear(&read_err);
        return err->status;
    }
    if (holds_values(record, values)) {
        sf_log(in, AP_LOG_WARN, "write %s %s: the answer was lost but a read shows the write applied", object, id);
        res->observed = record;
        res->settled_by_read = true;
        sf_error_clear(err);
        return AP_OK;
    }
    size_t len = strlen(err->message);
    snprintf(err->message + len, sizeof err->message - len,
             "; a read right after shows the change not applied (a late write may still land)");
    sf_error_detail(err, "writeOutcome", json_string("not_applied_when_checked"));
    json_t *names = json_array();
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)values, key, value) {
        json_array_append_new(names, json_string(key));
    }
    sf_error_detail(err, "observedAfter", sf_record_pick(record, names));
    json_decref(names);
    json_decref(record);
    return err->status;
}

static json_t *composite_body(const sf_instance *in, const char *object, const char *id, const json_t *values,
                              const char *since, const json_t *read_names)
{
    char *write_path = sf_client_data_path(in, "/sobjects/%s/%s", object, id);
    char *read_path = sf_record_path(in, object, id, read_names);
    json_t *body = NULL;
    if (write_path && read_path)
        body = json_pack("{s:b, s:[{s:s, s:s, s:s, s:O, s:{s:s}}, {s:s, s:s, s:s}]}",
                         "allOrNone", 1, "compositeRequest",
                         "method", "PATCH", "url", write_path, "referenceId", "write", "body", values,
                         "httpHeaders", "If-Unmodified-Since", since,
                         "method", "GET", "url", read_path, "referenceId", "readBack");
    free(write_path);
    free(read_path);
    return body;
}

/* Interprets the Composite answer: the PATCH part decides, the GET part gives the observed values. */
static ap_status take_answer(sf_instance *in, const sf_reply *reply, const char *object, const char *id,
                             const json_t *read_names, const char *since, const char *what, bool for_rollback,
                             sf_write_result *res, sf_error *err)
{
    const json_t *write = part(reply->json, "write");
    const json_t *read = part(reply->json, "readBack");
    if (reply->status != 200 || !write) {
        sf_errors_from_answer(err, reply->status, reply->json, what, for_rollback);
        return err->status;
    }
    long write_status = (long)json_integer_value(json_object_get(write, "httpStatusCode"));
    const json_t *write_body = json_object_get(write, "body");
    if (write_status == 412) {
        sf_error_set(err, AP_CONFLICT, "conflict",
                     "%s %s changed after it was re-read (412 Precondition Failed for If-Unmodified-Since %s); "
                     "nothing was written", object, id, since);
        sf_error_detail(err, "reason", json_string("precondition_failed"));
        sf_error_detail(err, "ifUnmodifiedSince", json_string(since));
        sf_error_detail(err, "httpStatus", json_integer(412));
        if (write_body && !json_is_null(write_body))
            sf_error_detail(err, "errors", json_deep_copy(write_body));
        return AP_CONFLICT;
    }
    if (write_status < 200 || write_status >= 300) {
        sf_errors_from_answer(err, write_status, write_body, what, for_rollback);
        return err->status;
    }
    if (read && json_integer_value(json_object_get(read, "httpStatusCode")) == 200) {
        res->observed = json_incref(json_object_get(read, "body"));
        return AP_OK;
    }
    /* Written, but the read-back part failed: read separately rather than report no observed values. */
    sf_log(in, AP_LOG_WARN, "%s: the read-back part failed; reading the record separately", what);
    return sf_record_get(in, object, id, read_names, &res->observed, err);
}

ap_status sf_write_guarded(sf_instance *in, const char *object, const char *id, const json_t *values,
                           const char *version, const json_t *read_names, bool for_rollback,
                           sf_write_result *res, sf_error *err)
{
    res->observed = NULL;
    res->settled_by_read = false;
    char since[48];
    if (!sf_http_date(version, since, sizeof since)) {
        sf_error_set(err, AP_ERROR, "connector_error", "the record version '%s' is not a Salesforce datetime",
                     version ? version : "(none)");
        return AP_ERROR;
    }
    json_t *body = composite_body(in, object, id, values, since, read_names);
    if (!body) {
        sf_error_set(err, AP_ERROR, "connector_error", "could not build the Composite request");
        return AP_ERROR;
    }
    char *path = sf_client_data_path(in, "/composite");
    char what[96];
    snprintf(what, sizeof what, "%s %s %s", for_rollback ? "restore" : "write", object, id);
    sf_call call = {.method = "POST", .path = path, .body = body, .writes = true, .auth = true, .what = what};
    sf_reply reply = {0};
    ap_status st;
    if (path) {
        st = sf_client_call(in, &call, &reply, err);
    } else {
        sf_error_set(err, AP_ERROR, "connector_error", "out of memory");
        st = AP_ERROR;
    }
    free(path);
    json_decref(body);
    if (st != AP_OK)
        return err->write_outcome_unknown ? settle_by_read(in, object, id, values, read_names, res, err) : st;
    if (reply.status == 502 || reply.status == 504) {
        /* A gateway answered for Salesforce: the write behind it may or may not have run. */
        sf_errors_from_answer(err, reply.status, reply.json, what, for_rollback);
        sf_reply_free(&reply);
        err->status = AP_ERROR; /* not AP_RETRY: that would promise nothing was written */
        return settle_by_read(in, object, id, values, read_names, res, err);
    }
    st = take_answer(in, &reply, object, id, read_names, since, what, for_rollback, res, err);
    sf_reply_free(&reply);
    return st;
}

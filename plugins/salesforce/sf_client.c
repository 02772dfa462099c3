/*
 * sf_client.c — one authenticated Salesforce REST call: token, re-authentication, retries.
 *
 * Retry rules (docs/salesforce.md): a call is repeated only when repeating cannot apply a change twice —
 * the connection failed before the request left; 503; UNABLE_TO_LOCK_ROW (Salesforce rolled the call
 * back); 429 or the concurrent-request REQUEST_LIMIT_EXCEEDED after a longer wait; and, for reads only,
 * 502/504 and a connection lost mid-answer. A timeout is never retried (it would multiply the wait, and a
 * write may still apply): it becomes AP_TIMEOUT, flagged "outcome unknown" for writes, and the write
 * path settles it with a read (sf_write.c). A 401 INVALID_SESSION_ID gets one new token and one re-send.
 */
#include "sf_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SF_BACKOFF_BASE_MS 250L
#define SF_BACKOFF_CAP_MS 4000L
#define SF_LONG_WAIT_BASE_MS 2000L
#define SF_LONG_WAIT_CAP_MS 20000L

bool sf_client_backoff(sf_instance *in, int attempt, sf_retry_kind kind, long retry_after_s, const char *what,
                       const char *why)
{
    if (attempt >= in->settings.max_retries)
        return false;
    long base = kind == SF_RETRY_LONG ? SF_LONG_WAIT_BASE_MS : SF_BACKOFF_BASE_MS;
    long cap = kind == SF_RETRY_LONG ? SF_LONG_WAIT_CAP_MS : SF_BACKOFF_CAP_MS;
    long delay = base << (attempt < 16 ? attempt : 16);
    if (delay > cap)
        delay = cap;
    /* Equal jitter: half the delay fixed (never hammer), half random (clients that failed together do
     * not come back together). */
    delay = delay / 2 + (long)sf_random_below((uint32_t)(delay / 2 + 1));
    if (retry_after_s >= 0) {
        if (retry_after_s * 1000L > cap)
            return false; /* the server asks for a longer pause than a request should wait */
        if (retry_after_s * 1000L > delay)
            delay = retry_after_s * 1000L;
    }
    sf_log(in, AP_LOG_WARN, "%s failed (%s); retry %d of %d in %ld ms", what, why, attempt + 1,
           in->settings.max_retries, delay);
    in->stats.retries++;
    sf_sleep_ms(delay);
    return true;
}

char *sf_client_data_path(const sf_instance *in, const char *suffix_fmt, ...)
{
    char suffix[2048];
    va_list ap;
    va_start(ap, suffix_fmt);
    int n = vsnprintf(suffix, sizeof suffix, suffix_fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof suffix)
        return NULL;
    size_t len = strlen(in->settings.api_version) + (size_t)n + 32;
    char *path = malloc(len);
    if (path)
        snprintf(path, len, "/services/data/v%s%s", in->settings.api_version, suffix);
    return path;
}

void sf_reply_free(sf_reply *reply)
{
    json_decref(reply->json);
    reply->json = NULL;
    reply->status = 0;
}

static char *call_url(const sf_instance *in, const char *path)
{
    if (strncmp(path, "https://", 8) == 0 || strncmp(path, "http://", 7) == 0)
        return strdup(path);
    const char *base = in->token.instance_url ? in->token.instance_url : in->settings.login_url;
    size_t len = strlen(base) + strlen(path) + 1;
    char *url = malloc(len);
    if (url)
        snprintf(url, len, "%s%s", base, path);
    return url;
}

ap_status sf_client_transport_error(const sf_instance *in, const char *what, bool writes, sf_transport t,
                                    const char *detail, sf_error *err)
{
    static const char *const names[] = {"ok", "not_sent", "timeout", "connection_lost", "tls", "error"};
    switch (t) {
    case SF_TRANSPORT_TIMEOUT:
        sf_error_set(err, AP_TIMEOUT, "connector_timeout", "%s: Salesforce did not answer within %ld ms%s",
                     what, in->settings.timeout_ms, writes ? "; the write may or may not have applied" : "");
        break;
    case SF_TRANSPORT_LOST:
        sf_error_set(err, writes ? AP_ERROR : AP_RETRY, "connector_error",
                     "%s: the connection broke after the request was sent (%s)", what, detail);
        break;
    case SF_TRANSPORT_NOT_SENT:
        sf_error_set(err, AP_RETRY, "connector_error", "%s: could not reach Salesforce (%s)", what, detail);
        break;
    case SF_TRANSPORT_TLS:
        sf_error_set(err, AP_ERROR, "connector_error",
                     "%s: the server's TLS certificate did not verify (%s); check caBundle", what, detail);
        break;
    default:
        sf_error_set(err, AP_ERROR, "connector_error", "%s: %s", what, detail);
        break;
    }
    err->write_outcome_unknown = writes && (t == SF_TRANSPORT_TIMEOUT || t == SF_TRANSPORT_LOST);
    sf_error_detail(err, "stage", json_string("transport"));
    sf_error_detail(err, "transport", json_string(names[t]));
    sf_error_detail(err, "request", json_string(what));
    if (err->write_outcome_unknown)
        sf_error_detail(err, "writeOutcome", json_string("unknown"));
    return err->status;
}

/* A short reason for logs: "HTTP 503 SERVER_UNAVAILABLE", or the locked row inside a Composite answer. */
static void retry_reason(long status, const json_t *json, char *out, size_t len)
{
    const char *code = sf_errors_first_code(json);
    const json_t *parts = json_object_get(json, "compositeResponse");
    size_t i;
    const json_t *part;
    json_array_foreach(parts, i, part) {
        const char *c = sf_errors_first_code(json_object_get(part, "body"));
        if (*c) {
            code = c;
            break;
        }
    }
    snprintf(out, len, "HTTP %ld%s%s", status, *code ? " " : "", code);
}

static bool blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\n' && s[i] != '\r' && s[i] != '\t')
            return false;
    return true;
}

/* One round: send, then classify. Returns 1 to go round again, 0 when done (status in *st). */
static int one_round(sf_instance *in, const sf_call *call, const char *body, int *attempt, bool *reauthed,
                     sf_reply *reply, sf_error *err, ap_status *st)
{
    if (call->auth && (*st = sf_auth_ensure(in, err)) != AP_OK)
        return 0;
    char *url = call_url(in, call->path);
    if (!url) {
        sf_error_set(err, AP_ERROR, "connector_error", "out of memory");
        *st = AP_ERROR;
        return 0;
    }
    sf_http_request req = {.method = call->method, .url = url, .bearer = call->auth ? in->token.access_token : NULL,
                           .content_type = body ? "application/json" : NULL, .body = body,
                           .body_len = body ? strlen(body) : 0, .if_unmodified_since = call->if_unmodified_since,
                           .fresh_connection = call->writes};
    sf_http_response resp;
    sf_transport t = sf_http_perform(&in->http, &req, &resp);
    free(url);
    if (call->metadata)
        in->stats.metadata_requests++;
    else
        in->stats.requests++;
    if (resp.limit_info[0])
        snprintf(in->stats.limit_info, sizeof in->stats.limit_info, "%s", resp.limit_info);

    if (t != SF_TRANSPORT_OK) {
        bool safe = t == SF_TRANSPORT_NOT_SENT || (t == SF_TRANSPORT_LOST && !call->writes);
        int again = safe && sf_client_backoff(in, *attempt, SF_RETRY_BACKOFF, -1, call->what, resp.detail);
        if (again)
            (*attempt)++;
        else
            *st = sf_client_transport_error(in, call->what, call->writes, t, resp.detail, err);
        sf_http_response_free(&resp);
        return again;
    }
    json_t *json = NULL;
    if (!blank(resp.body, resp.body_len) && !(json = json_loadb(resp.body, resp.body_len, 0, NULL))) {
        sf_error_set(err, AP_ERROR, "connector_error", "%s: Salesforce answered HTTP %ld with malformed JSON",
                     call->what, resp.status);
        sf_error_detail(err, "httpStatus", json_integer(resp.status));
        sf_error_detail(err, "request", json_string(call->what));
        sf_error_detail(err, "bodyStart", json_stringn(resp.body, resp.body_len < 120 ? resp.body_len : 120));
        /* We cannot tell what a write whose answer is garbage did. */
        err->write_outcome_unknown = call->writes && resp.status < 300;
        if (err->write_outcome_unknown)
            sf_error_detail(err, "writeOutcome", json_string("unknown"));
        *st = AP_ERROR;
        sf_http_response_free(&resp);
        return 0;
    }
    if (resp.status == 401 && call->auth && !*reauthed &&
        strcmp(sf_errors_first_code(json), "INVALID_SESSION_ID") == 0) {
        /* Tokens carry no expiry: this is how we learn the session ended. A 401 means nothing was
         * processed, so re-sending (even a write) is safe — once. */
        *reauthed = true;
        in->stats.reauths++;
        sf_log(in, AP_LOG_INFO, "%s: session expired (401 INVALID_SESSION_ID); getting a new token", call->what);
        sf_auth_forget(in);
        json_decref(json);
        sf_http_response_free(&resp);
        return 1;
    }
    sf_retry_kind kind = sf_errors_retry_kind(resp.status, json, call->writes);
    if (kind != SF_RETRY_NO) {
        char why[128];
        retry_reason(resp.status, json, why, sizeof why);
        if (sf_client_backoff(in, *attempt, kind, resp.retry_after_s, call->what, why)) {
            (*attempt)++;
            json_decref(json);
            sf_http_response_free(&resp);
            return 1;
        }
        sf_error_set(err, AP_RETRY, "connector_error", "%s: Salesforce still answered %s after %d retries",
                     call->what, why, *attempt);
        sf_error_detail(err, "httpStatus", json_integer(resp.status));
        sf_error_detail(err, "request", json_string(call->what));
        if (json)
            sf_error_detail(err, "errors", json); /* the reference moves into the details */
        *st = AP_RETRY;
        sf_http_response_free(&resp);
        return 0;
    }
    reply->status = resp.status;
    reply->json = json;
    *st = AP_OK;
    sf_http_response_free(&resp);
    return 0;
}

ap_status sf_client_call(sf_instance *in, const sf_call *call, sf_reply *reply, sf_error *err)
{
    reply->status = 0;
    reply->json = NULL;
    char *body = NULL;
    if (call->body && !(body = json_dumps(call->body, JSON_COMPACT))) {
        sf_error_set(err, AP_ERROR, "connector_error", "out of memory");
        return AP_ERROR;
    }
    int attempt = 0;
    bool reauthed = false;
    ap_status st = AP_ERROR;
    while (one_round(in, call, body, &attempt, &reauthed, reply, err, &st))
        ;
    free(body);
    return st;
}

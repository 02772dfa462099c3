/*
 * http_util.c — the pieces every handler uses: error bodies and their
 * statuses, JSON bodies, query and header access, bearer authentication.
 */
#include <stdio.h>
#include <string.h>

#include "http_internal.h"

/* The contract's codes and their statuses (spec/api.md "Errors"). */
static const struct {
    const char *code;
    unsigned status;
} statuses[] = {
    {"invalid_json", 400},         {"invalid_request", 400},
    {"field_not_allowed", 400},    {"invalid_value", 400},
    {"ambiguous_target", 400},     {"unauthenticated", 401},
    {"forbidden", 403},            {"separation_of_duties", 403},
    {"go_live_gate", 403},         {"environment_disabled", 403},
    {"not_found", 404},            {"method_not_allowed", 405},
    {"invalid_state", 409},        {"conflict", 409},
    {"idempotency_mismatch", 409}, {"payload_too_large", 413},
    {"unsupported", 501},          {"connector_error", 502},
    {"rollback_failed", 502},      {"connector_unavailable", 503},
    {"connector_timeout", 504},
};

unsigned ap_http_status_for(const char *code)
{
    for (size_t i = 0; code && i < sizeof statuses / sizeof statuses[0]; i++)
        if (strcmp(statuses[i].code, code) == 0)
            return statuses[i].status;
    return 500;
}

void http_json(http_response *res, unsigned status, json_t *body)
{
    json_decref(res->body);
    res->status = status;
    res->body = body;
}

static void error_body(http_response *res, const char *code, const char *message, json_t *details)
{
    json_t *e = json_pack("{s:s, s:s}", "code", code, "message", message);
    if (details)
        json_object_set_new(e, "details", details);
    http_json(res, ap_http_status_for(code), json_pack("{s:o}", "error", e));
}

void http_error(http_response *res, const char *code, const char *message)
{
    error_body(res, code, message, NULL);
}

void http_error_from(http_response *res, ap_err *err)
{
    if (!ap_err_is_set(err)) {
        error_body(res, "internal_error", "the request failed for an unknown reason", NULL);
        return;
    }
    json_t *details = err->details;
    err->details = NULL;
    error_body(res, err->code, err->message, details);
    ap_err_clear(err);
}

bool http_body_json(http_request *req, http_response *res, bool optional, json_t **out)
{
    *out = NULL;
    bool blank = true;
    for (size_t i = 0; i < req->body_len && blank; i++)
        blank = req->body[i] == ' ' || req->body[i] == '\n' || req->body[i] == '\r' ||
                req->body[i] == '\t';
    if (blank) {
        if (optional)
            return true;
        http_error(res, "invalid_json", "the request body is empty; a JSON object is required");
        return false;
    }
    json_error_t je;
    json_t *v = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
    if (!v) {
        char msg[300];
        snprintf(msg, sizeof msg, "the request body is not valid JSON: %s (line %d, column %d)",
                 je.text, je.line, je.column);
        error_body(res, "invalid_json", msg, NULL);
        return false;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        http_error(res, "invalid_json", "the request body must be a JSON object");
        return false;
    }
    *out = v;
    return true;
}

const char *http_query(http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_header(http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

bool http_authenticate(ap_http *srv, http_request *req, http_response *res)
{
    const char *h = http_header(req, MHD_HTTP_HEADER_AUTHORIZATION);
    res->auth_challenge = true;
    if (!h || strncasecmp(h, "Bearer ", 7) != 0 || !h[7]) {
        http_error(res, "unauthenticated", "send Authorization: Bearer <token>");
        return false;
    }
    const char *token = h + 7;
    while (*token == ' ')
        token++;
    ap_err err = AP_ERR_INIT;
    if (ap_store_token_lookup(srv->store, token, &req->who, &err) != 0) {
        bool unknown = strcmp(err.code, "unauthenticated") == 0;
        ap_err_clear(&err);
        if (unknown) {
            http_error(res, "unauthenticated", "the bearer token is unknown or revoked");
        } else {
            res->auth_challenge = false;
            http_error(res, "internal_error", "the token store could not be read");
        }
        return false;
    }
    res->auth_challenge = false;
    return true;
}

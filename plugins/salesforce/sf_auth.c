/*
 * sf_auth.c — OAuth 2.0 token grants against {loginUrl}/services/oauth2/token, and the in-memory token.
 *
 * Two grants: refresh_token (when a refresh token is configured) and client_credentials (an External
 * Client App or Connected App with a Run As user; it works only on the org's My Domain host). Salesforce
 * returns no expiry: the token is kept until a data call answers 401 INVALID_SESSION_ID (sf_client.c).
 * Token endpoint errors {"error","error_description"} are passed on verbatim; the form body, which holds
 * the secrets, is wiped as soon as it has been sent and never logged.
 */
#include "sf_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *sf_auth_grant_name(const sf_instance *in)
{
    return in->settings.refresh_token ? "refresh_token" : "client_credentials";
}

void sf_auth_forget(sf_instance *in)
{
    const ap_host_services *host = in->host;
    sf_free_secret(host, &in->token.access_token);
    sf_free_str(host, &in->token.instance_url);
    sf_free_str(host, &in->token.identity_url);
    in->token.org_id[0] = in->token.user_id[0] = '\0';
}

/* Appends "&key=escaped(value)" to the form; false when out of room or memory. */
static bool form_add(sf_instance *in, char *form, size_t cap, const char *key, const char *value)
{
    char *esc = sf_http_escape(&in->http, value);
    if (!esc)
        return false;
    size_t used = strlen(form);
    int n = snprintf(form + used, cap - used, "%s%s=%s", used ? "&" : "", key, esc);
    explicit_bzero(esc, strlen(esc));
    curl_free(esc);
    return n > 0 && (size_t)n < cap - used;
}

static bool build_form(sf_instance *in, char *form, size_t cap)
{
    const sf_settings *s = &in->settings;
    form[0] = '\0';
    bool ok = form_add(in, form, cap, "grant_type", sf_auth_grant_name(in));
    if (s->refresh_token)
        ok = ok && form_add(in, form, cap, "refresh_token", s->refresh_token);
    ok = ok && form_add(in, form, cap, "client_id", s->client_id);
    if (s->client_secret)
        ok = ok && form_add(in, form, cap, "client_secret", s->client_secret);
    return ok;
}

/* The org and user ids are the last two segments of the identity URL: .../id/<orgId>/<userId>. */
static void parse_identity(sf_token *t)
{
    const char *p = t->identity_url ? strstr(t->identity_url, "/id/") : NULL;
    if (!p)
        return;
    char org[24] = "", user[24] = "";
    if (sscanf(p + 4, "%23[A-Za-z0-9]/%23[A-Za-z0-9]", org, user) == 2) {
        snprintf(t->org_id, sizeof t->org_id, "%s", org);
        snprintf(t->user_id, sizeof t->user_id, "%s", user);
    }
}

static ap_status token_refused(sf_instance *in, long status, const json_t *body, sf_error *err)
{
    const char *code = json_string_value(json_object_get(body, "error"));
    const char *text = json_string_value(json_object_get(body, "error_description"));
    const char *hint = "";
    if (text && strstr(text, "not supported on this domain"))
        hint = " (client credentials work only on the org's My Domain URL, not login/test.salesforce.com)";
    sf_error_set(err, status >= 500 ? AP_RETRY : AP_ERROR, "connector_error",
                 "Salesforce refused the %s token request: %s%s%s%s", sf_auth_grant_name(in),
                 code ? code : "HTTP error", text ? " — " : "", text ? text : "", hint);
    sf_error_detail(err, "stage", json_string("token"));
    sf_error_detail(err, "httpStatus", json_integer(status));
    sf_error_detail(err, "grant", json_string(sf_auth_grant_name(in)));
    sf_error_detail(err, "loginUrl", json_string(in->settings.login_url));
    /* The endpoint's own error object, verbatim (it never echoes the secret). */
    if (code)
        sf_error_detail(err, "error", json_string(code));
    if (text)
        sf_error_detail(err, "error_description", json_string(text));
    return err->status;
}

static ap_status take_token(sf_instance *in, const json_t *body, sf_error *err)
{
    const char *access = json_string_value(json_object_get(body, "access_token"));
    const char *instance = json_string_value(json_object_get(body, "instance_url"));
    const char *identity = json_string_value(json_object_get(body, "id"));
    if (!access || !instance) {
        sf_error_set(err, AP_ERROR, "connector_error",
                     "the token answer has no access_token or instance_url");
        return AP_ERROR;
    }
    bool https = strncasecmp(instance, "https://", 8) == 0;
    if (!https && !(in->settings.allow_insecure_http && strncasecmp(instance, "http://", 7) == 0)) {
        sf_error_set(err, AP_ERROR, "connector_error", "the token answer names a non-https instance_url (%s)",
                     instance);
        return AP_ERROR;
    }
    sf_auth_forget(in);
    in->token.access_token = sf_strdup(in->host, access);
    in->token.instance_url = sf_strdup(in->host, instance);
    in->token.identity_url = sf_strdup(in->host, identity);
    if (!in->token.access_token || !in->token.instance_url || (identity && !in->token.identity_url)) {
        sf_auth_forget(in);
        sf_error_set(err, AP_ERROR, "connector_error", "out of memory while keeping the token");
        return AP_ERROR;
    }
    for (size_t n = strlen(in->token.instance_url); n > 0 && in->token.instance_url[n - 1] == '/'; n--)
        in->token.instance_url[n - 1] = '\0';
    parse_identity(&in->token);
    return AP_OK;
}

/* One token request; the exchange is retried like a read (issuing a token changes nothing in the org). */
static ap_status request_token(sf_instance *in, const char *form, sf_error *err)
{
    char url[1024];
    snprintf(url, sizeof url, "%s/services/oauth2/token", in->settings.login_url);
    sf_http_request req = {.method = "POST", .url = url, .content_type = "application/x-www-form-urlencoded",
                           .body = form, .body_len = strlen(form)};
    for (int attempt = 0;; attempt++) {
        sf_http_response resp;
        sf_transport t = sf_http_perform(&in->http, &req, &resp);
        in->stats.token_requests++;
        if (t == SF_TRANSPORT_NOT_SENT || t == SF_TRANSPORT_LOST || (t == SF_TRANSPORT_OK && resp.status >= 500)) {
            char why[300];
            if (t == SF_TRANSPORT_OK)
                snprintf(why, sizeof why, "HTTP %ld", resp.status);
            else
                snprintf(why, sizeof why, "%s", resp.detail);
            if (sf_client_backoff(in, attempt, SF_RETRY_BACKOFF, resp.retry_after_s, "token request", why)) {
                sf_http_response_free(&resp);
                continue;
            }
        }
        if (t != SF_TRANSPORT_OK) {
            char what[160];
            snprintf(what, sizeof what, "token request to %s", in->settings.login_url);
            sf_client_transport_error(in, what, false, t, resp.detail, err);
            sf_error_detail(err, "stage", json_string("token"));
            sf_http_response_free(&resp);
            return err->status;
        }
        json_t *body = json_loadb(resp.body, resp.body_len, 0, NULL);
        ap_status st;
        if (resp.status == 200 && json_is_object(body))
            st = take_token(in, body, err);
        else
            st = token_refused(in, resp.status, json_is_object(body) ? body : NULL, err);
        /* The answer holds the access token: wipe the raw bytes too. */
        explicit_bzero(resp.body, resp.body_len);
        json_decref(body);
        sf_http_response_free(&resp);
        return st;
    }
}

ap_status sf_auth_ensure(sf_instance *in, sf_error *err)
{
    if (in->token.access_token)
        return AP_OK;
    char form[4096];
    if (!build_form(in, form, sizeof form)) {
        explicit_bzero(form, sizeof form);
        sf_error_set(err, AP_ERROR, "connector_error", "could not build the token request (credentials too long)");
        return AP_ERROR;
    }
    ap_status st = request_token(in, form, err);
    explicit_bzero(form, sizeof form);
    if (st == AP_OK)
        sf_log(in, AP_LOG_INFO, "got a Salesforce token (%s grant) for org %s", sf_auth_grant_name(in),
               *in->token.org_id ? in->token.org_id : "?");
    return st;
}

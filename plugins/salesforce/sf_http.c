/*
 * sf_http.c — the raw HTTPS exchange, on one curl easy handle per instance.
 *
 * The handle is reused for every request so that curl keeps the TLS connection to the instance alive
 * (a governed run makes several calls in a row). curl_easy_reset() between requests clears the options
 * of the previous one but keeps the connection and TLS session caches.
 */
#include "sf_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Salesforce answers are small; a huge one is a fault, not data to buffer. */
#define SF_MAX_ANSWER_BYTES (8u * 1024u * 1024u)

typedef struct sink {
    char *data;
    size_t len, cap;
    bool too_large;
} sink;

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    sink *s = userdata;
    size_t n = size * nmemb;
    if (s->len + n + 1 > SF_MAX_ANSWER_BYTES) {
        s->too_large = true;
        return 0; /* makes curl stop with CURLE_WRITE_ERROR */
    }
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n + 1)
            cap *= 2;
        char *grown = realloc(s->data, cap);
        if (!grown)
            return 0;
        s->data = grown;
        s->cap = cap;
    }
    memcpy(s->data + s->len, ptr, n);
    s->len += n;
    s->data[s->len] = '\0';
    return n;
}

/* Copies the value of header `name` from a raw header line, trimmed, into out. */
static bool header_value(const char *line, size_t len, const char *name, char *out, size_t out_len)
{
    size_t nlen = strlen(name);
    if (len <= nlen || strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
        return false;
    const char *v = line + nlen + 1;
    const char *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    size_t n = (size_t)(end - v) < out_len - 1 ? (size_t)(end - v) : out_len - 1;
    memcpy(out, v, n);
    out[n] = '\0';
    return true;
}

static size_t on_header(char *buffer, size_t size, size_t nitems, void *userdata)
{
    sf_http_response *resp = userdata;
    size_t len = size * nitems;
    char value[32];
    header_value(buffer, len, "Sforce-Limit-Info", resp->limit_info, sizeof resp->limit_info);
    if (header_value(buffer, len, "Retry-After", value, sizeof value))
        resp->retry_after_s = strtol(value, NULL, 10);
    return len;
}

int sf_http_init(sf_http *h, const sf_settings *settings, sf_error *err)
{
    h->settings = settings;
    h->curl = curl_easy_init();
    if (!h->curl) {
        sf_error_set(err, AP_ERROR, "connector_error", "could not create a curl handle");
        return -1;
    }
    return 0;
}

void sf_http_cleanup(sf_http *h)
{
    if (h->curl)
        curl_easy_cleanup(h->curl);
    h->curl = NULL;
}

void sf_http_response_free(sf_http_response *resp)
{
    free(resp->body);
    memset(resp, 0, sizeof *resp);
    resp->retry_after_s = -1;
}

char *sf_http_escape(sf_http *h, const char *text)
{
    return curl_easy_escape(h->curl, text, 0);
}

static struct curl_slist *request_headers(const sf_http_request *req, char *auth_line, size_t auth_len)
{
    struct curl_slist *list = NULL, *next;
    char line[128];
    /* Expect: 100-continue costs a round trip on larger bodies and buys nothing here. */
    const char *fixed[] = {"Accept: application/json", "Expect:", NULL};
    for (int i = 0; fixed[i]; i++) {
        if (!(next = curl_slist_append(list, fixed[i])))
            goto fail;
        list = next;
    }
    if (req->content_type) {
        snprintf(line, sizeof line, "Content-Type: %s", req->content_type);
        if (!(next = curl_slist_append(list, line)))
            goto fail;
        list = next;
    }
    if (req->if_unmodified_since) {
        snprintf(line, sizeof line, "If-Unmodified-Since: %s", req->if_unmodified_since);
        if (!(next = curl_slist_append(list, line)))
            goto fail;
        list = next;
    }
    if (req->bearer) {
        snprintf(auth_line, auth_len, "Authorization: Bearer %s", req->bearer);
        next = curl_slist_append(list, auth_line);
        explicit_bzero(auth_line, auth_len);
        if (!next)
            goto fail;
        list = next;
    }
    return list;
fail:
    curl_slist_free_all(list);
    return NULL;
}

static sf_transport classify_failure(CURL *curl, CURLcode rc)
{
    long sent = 0;
    curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &sent);
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        return SF_TRANSPORT_TIMEOUT;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        return SF_TRANSPORT_TLS;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
        return SF_TRANSPORT_NOT_SENT;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        /* Whether the server could have acted depends on whether the request left this process. */
        return sent > 0 ? SF_TRANSPORT_LOST : SF_TRANSPORT_NOT_SENT;
    default:
        return SF_TRANSPORT_ERROR;
    }
}

static bool set_options(CURL *c, const sf_settings *s, const sf_http_request *req, sink *body,
                        sf_http_response *resp, char *errbuf, struct curl_slist *headers)
{
    bool ok = true;
    ok &= curl_easy_setopt(c, CURLOPT_URL, req->url) == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, s->allow_insecure_http ? "https,http" : "https") == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK;
    if (s->ca_bundle)
        ok &= curl_easy_setopt(c, CURLOPT_CAINFO, s->ca_bundle) == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, s->connect_timeout_ms) == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, s->timeout_ms) == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK; /* the daemon is threaded */
    ok &= curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L) == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "") == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_USERAGENT, "ActionPlane-salesforce/" SF_PLUGIN_VERSION) == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_WRITEDATA, body) == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header) == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_HEADERDATA, resp) == CURLE_OK;
    ok &= curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers) == CURLE_OK;
    if (req->fresh_connection)
        ok &= curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L) == CURLE_OK;
    if (strcmp(req->method, "GET") == 0) {
        ok &= curl_easy_setopt(c, CURLOPT_HTTPGET, 1L) == CURLE_OK;
    } else {
        ok &= curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len) == CURLE_OK;
        ok &= curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "") == CURLE_OK;
        if (strcmp(req->method, "POST") != 0)
            ok &= curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method) == CURLE_OK;
    }
    return ok;
}

sf_transport sf_http_perform(sf_http *h, const sf_http_request *req, sf_http_response *resp)
{
    memset(resp, 0, sizeof *resp);
    resp->retry_after_s = -1;
    char errbuf[CURL_ERROR_SIZE] = "";
    char auth_line[4096];
    sink body = {0};
    CURL *c = h->curl;

    curl_easy_reset(c);
    struct curl_slist *headers = request_headers(req, auth_line, sizeof auth_line);
    if (!headers || !set_options(c, h->settings, req, &body, resp, errbuf, headers)) {
        snprintf(resp->detail, sizeof resp->detail, "could not prepare the request");
        resp->transport = SF_TRANSPORT_ERROR;
        curl_slist_free_all(headers);
        return resp->transport;
    }
    CURLcode rc = curl_easy_perform(c);
    /* The header list holds the bearer token: wipe it before it goes back to the heap. */
    for (struct curl_slist *l = headers; l; l = l->next)
        explicit_bzero(l->data, strlen(l->data));
    curl_slist_free_all(headers);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);

    if (rc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
        resp->transport = SF_TRANSPORT_OK;
        resp->body = body.data ? body.data : calloc(1, 1);
        resp->body_len = body.len;
        if (!resp->body)
            resp->transport = SF_TRANSPORT_ERROR;
        return resp->transport;
    }
    free(body.data);
    resp->transport = body.too_large ? SF_TRANSPORT_ERROR : classify_failure(c, rc);
    snprintf(resp->detail, sizeof resp->detail, "%s", body.too_large ? "the answer is too large"
                                                      : *errbuf ? errbuf : curl_easy_strerror(rc));
    return resp->transport;
}

/*
 * apctl_client.c — the CLI's HTTP client (libcurl): one request, JSON in,
 * JSON out, and a one-line failure report.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apctl.h"

typedef struct buffer {
    char *data;
    size_t len;
} buffer;

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    buffer *b = userdata;
    size_t n = size * nmemb;
    char *grown = realloc(b->data, b->len + n + 1);
    if (!grown)
        return 0;
    memcpy(grown + b->len, ptr, n);
    b->data = grown;
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

int apctl_request(const apctl_opts *o, const char *token, const char *method, const char *path,
                  const json_t *body, const char *idempotency_key, apctl_reply *out)
{
    memset(out, 0, sizeof *out);
    CURL *curl = curl_easy_init();
    if (!curl) {
        snprintf(out->transport_error, sizeof out->transport_error, "cannot start libcurl");
        return -1;
    }
    char url[2048], auth[512], idem[300];
    snprintf(url, sizeof url, "%s%s", o->url, path);
    struct curl_slist *headers = NULL;
    if (token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        headers = curl_slist_append(headers, auth);
    }
    if (idempotency_key) {
        snprintf(idem, sizeof idem, "Idempotency-Key: %s", idempotency_key);
        headers = curl_slist_append(headers, idem);
    }
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (text || strcmp(method, "POST") == 0) {
        headers = curl_slist_append(headers, "Content-Type: application/json");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, text ? text : "");
    }
    buffer b = {0};
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(curl);
    int result = 0;
    if (rc != CURLE_OK) {
        snprintf(out->transport_error, sizeof out->transport_error, "%s: %s", o->url,
                 curl_easy_strerror(rc));
        result = -1;
    } else {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
        out->body = b.data ? json_loads(b.data, 0, NULL) : NULL;
    }
    free(b.data);
    free(text);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return result;
}

void apctl_reply_free(apctl_reply *r)
{
    json_decref(r->body);
    r->body = NULL;
}

void apctl_print_failure(const char *what, const apctl_reply *r)
{
    if (!r->status) {
        fprintf(stderr, "apctl: %s: cannot reach the daemon: %s\n", what, r->transport_error);
        return;
    }
    const json_t *e = json_object_get(r->body, "error");
    fprintf(stderr, "apctl: %s: %ld %s: %s\n", what, r->status,
            json_string_value(json_object_get(e, "code")) ? json_string_value(json_object_get(e, "code"))
                                                          : "error",
            json_string_value(json_object_get(e, "message"))
                ? json_string_value(json_object_get(e, "message"))
                : "(no error body)");
}

void apctl_print_json(const json_t *v)
{
    char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);
    if (s)
        printf("%s\n", s);
    free(s);
}

const char *apctl_flag(int argc, char **argv, const char *name)
{
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return NULL;
}

bool apctl_has(int argc, char **argv, const char *name)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return true;
    return false;
}

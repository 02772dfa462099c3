/*
 * sf_settings.c — reads and checks the connector settings of one instance (no network I/O).
 *
 * The host has already checked each value against the type in the descriptor's settings table; this file
 * checks what a type cannot say (scheme of the login URL, API version format, ranges, that a credential
 * exists) and fills in defaults.
 */
#include "sf_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SF_DEFAULT_API_VERSION "66.0"
#define SF_DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define SF_DEFAULT_TIMEOUT_MS 30000L
#define SF_DEFAULT_MAX_RETRIES 3

const char *const sf_managed_objects[] = {SF_OBJECT_OPPORTUNITY, NULL};

/* A setting counts as absent when missing or empty: the connect payload uses "" for "none". */
static const char *setting(const ap_host_services *host, ap_host_ctx *ctx, const char *key)
{
    const char *v = host->config_get(ctx, key);
    return v && *v ? v : NULL;
}

static const char *setting_or_env(const ap_host_services *host, ap_host_ctx *ctx, const char *key,
                                  const char *env)
{
    const char *v = setting(host, ctx, key);
    if (!v) {
        v = getenv(env);
        if (v && !*v)
            v = NULL;
    }
    return v;
}

static bool parse_bool(const char *text, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1", NULL};
    static const char *const no[] = {"false", "no", "off", "0", NULL};
    for (int i = 0; yes[i]; i++) {
        if (strcasecmp(text, yes[i]) == 0) {
            *out = true;
            return true;
        }
    }
    for (int i = 0; no[i]; i++) {
        if (strcasecmp(text, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

static bool parse_long(const char *text, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static bool valid_api_version(const char *v)
{
    /* "66.0": two or three digits, a dot, one digit. It lands in every request path. */
    size_t i = 0;
    while (isdigit((unsigned char)v[i]))
        i++;
    return (i == 2 || i == 3) && v[i] == '.' && isdigit((unsigned char)v[i + 1]) && v[i + 2] == '\0';
}

static ap_status load_login_url(const ap_host_services *host, ap_host_ctx *ctx, sf_settings *s, sf_error *err)
{
    const char *url = setting(host, ctx, "loginUrl");
    if (!url) {
        sf_error_set(err, AP_INVALID, "invalid_config",
                     "loginUrl is not set: give the org's My Domain URL, e.g. https://NAME.my.salesforce.com");
        return AP_INVALID;
    }
    bool https = strncasecmp(url, "https://", 8) == 0;
    bool http = strncasecmp(url, "http://", 7) == 0;
    if (!https && !(http && s->allow_insecure_http)) {
        sf_error_set(err, AP_INVALID, "invalid_config",
                     http ? "loginUrl uses http://: Salesforce is reached over https:// only (allowInsecureHttp "
                            "exists for tests)"
                          : "loginUrl must be an https:// URL");
        return AP_INVALID;
    }
    const char *host_part = url + (https ? 8 : 7);
    if (!*host_part || *host_part == '/' || strpbrk(host_part, "?#@ ")) {
        sf_error_set(err, AP_INVALID, "invalid_config", "loginUrl %s is not a plain scheme://host[:port] URL",
                     url);
        return AP_INVALID;
    }
    s->login_url = sf_strdup(host, url);
    if (!s->login_url)
        return AP_ERROR;
    for (size_t n = strlen(s->login_url); n > 0 && s->login_url[n - 1] == '/'; n--)
        s->login_url[n - 1] = '\0';
    return AP_OK;
}

static ap_status load_credentials(const ap_host_services *host, ap_host_ctx *ctx, sf_settings *s, sf_error *err)
{
    const char *client_id = setting(host, ctx, "clientId");
    if (!client_id) {
        sf_error_set(err, AP_INVALID, "invalid_config",
                     "clientId is not set: give the consumer key of the External Client App");
        return AP_INVALID;
    }
    s->client_id = sf_strdup(host, client_id);
    const char *secret = setting_or_env(host, ctx, "clientSecret", "ACTIONPLANE_SALESFORCE_CLIENT_SECRET");
    const char *refresh = setting_or_env(host, ctx, "refreshToken", "ACTIONPLANE_SALESFORCE_REFRESH_TOKEN");
    if (!secret && !refresh) {
        sf_error_set(err, AP_INVALID, "invalid_config",
                     "no credential: set clientSecret (or ACTIONPLANE_SALESFORCE_CLIENT_SECRET) for the client "
                     "credentials flow, or refreshToken (or ACTIONPLANE_SALESFORCE_REFRESH_TOKEN)");
        return AP_INVALID;
    }
    s->client_secret = sf_strdup(host, secret);
    s->refresh_token = sf_strdup(host, refresh);
    if (!s->client_id || (secret && !s->client_secret) || (refresh && !s->refresh_token))
        return AP_ERROR;
    return AP_OK;
}

static ap_status load_allowlists(const ap_host_services *host, ap_host_ctx *ctx, sf_settings *s, sf_error *err)
{
    for (int i = 0; sf_managed_objects[i] && s->n_allowlists < sizeof s->allowlists / sizeof s->allowlists[0];
         i++) {
        char key[96];
        snprintf(key, sizeof key, "allowedFields.%s", sf_managed_objects[i]);
        const char *list = setting(host, ctx, key);
        if (!list)
            continue;
        sf_allowlist *a = &s->allowlists[s->n_allowlists++];
        a->object = sf_strdup(host, sf_managed_objects[i]);
        if (!a->object)
            return AP_ERROR;
        const char *p = list;
        while (*p) {
            while (*p == ',' || isspace((unsigned char)*p))
                p++;
            const char *start = p;
            while (*p && *p != ',' && !isspace((unsigned char)*p))
                p++;
            size_t len = (size_t)(p - start);
            if (len == 0)
                continue;
            char name[96];
            if (len >= sizeof name || a->n_fields == SF_MAX_FIELDS) {
                sf_error_set(err, AP_INVALID, "invalid_config", "%s: too many or too long field names", key);
                return AP_INVALID;
            }
            memcpy(name, start, len);
            name[len] = '\0';
            if (!sf_is_api_name(name)) {
                sf_error_set(err, AP_INVALID, "invalid_config", "%s: '%s' is not a Salesforce field API name", key,
                             name);
                return AP_INVALID;
            }
            a->fields[a->n_fields] = sf_strdup(host, name);
            if (!a->fields[a->n_fields])
                return AP_ERROR;
            a->n_fields++;
        }
    }
    return AP_OK;
}

static ap_status load_numbers(const ap_host_services *host, ap_host_ctx *ctx, sf_settings *s, sf_error *err)
{
    static const struct {
        const char *key;
        long lo, hi, def;
    } spec[] = {
        {"connectTimeoutMs", 100, 300000, SF_DEFAULT_CONNECT_TIMEOUT_MS},
        {"timeoutMs", 100, 600000, SF_DEFAULT_TIMEOUT_MS},
        {"maxRetries", 0, 10, SF_DEFAULT_MAX_RETRIES},
    };
    long values[3];
    for (size_t i = 0; i < 3; i++) {
        const char *text = setting(host, ctx, spec[i].key);
        values[i] = spec[i].def;
        if (text && !parse_long(text, spec[i].lo, spec[i].hi, &values[i])) {
            sf_error_set(err, AP_INVALID, "invalid_config", "%s must be an integer from %ld to %ld, not '%s'",
                         spec[i].key, spec[i].lo, spec[i].hi, text);
            return AP_INVALID;
        }
    }
    s->connect_timeout_ms = values[0];
    s->timeout_ms = values[1];
    s->max_retries = (int)values[2];
    return AP_OK;
}

static ap_status load_flags(const ap_host_services *host, ap_host_ctx *ctx, sf_settings *s, sf_error *err)
{
    const char *insecure = setting(host, ctx, "allowInsecureHttp");
    if (insecure && !parse_bool(insecure, &s->allow_insecure_http)) {
        sf_error_set(err, AP_INVALID, "invalid_config", "allowInsecureHttp must be true or false");
        return AP_INVALID;
    }
    const char *sandbox = setting(host, ctx, "isSandbox");
    s->is_sandbox = -1;
    if (sandbox) {
        bool b;
        if (!parse_bool(sandbox, &b)) {
            sf_error_set(err, AP_INVALID, "invalid_config", "isSandbox must be true or false");
            return AP_INVALID;
        }
        s->is_sandbox = b;
    }
    const char *version = setting(host, ctx, "apiVersion");
    if (!version)
        version = SF_DEFAULT_API_VERSION;
    if (*version == 'v' || *version == 'V')
        version++; /* "v66.0" as written in URLs is fine too */
    if (!valid_api_version(version)) {
        sf_error_set(err, AP_INVALID, "invalid_config", "apiVersion must look like 66.0, not '%s'", version);
        return AP_INVALID;
    }
    snprintf(s->api_version, sizeof s->api_version, "%s", version);
    const char *ca = setting(host, ctx, "caBundle");
    if (ca && !(s->ca_bundle = sf_strdup(host, ca)))
        return AP_ERROR;
    return AP_OK;
}

ap_status sf_settings_load(const ap_host_services *host, ap_host_ctx *ctx, sf_settings *s, sf_error *err)
{
    memset(s, 0, sizeof *s);
    ap_status st = load_flags(host, ctx, s, err);
    if (st == AP_OK)
        st = load_login_url(host, ctx, s, err);
    if (st == AP_OK)
        st = load_credentials(host, ctx, s, err);
    if (st == AP_OK)
        st = load_numbers(host, ctx, s, err);
    if (st == AP_OK)
        st = load_allowlists(host, ctx, s, err);
    if (st == AP_ERROR && err->status == AP_OK)
        sf_error_set(err, AP_ERROR, "connector_error", "out of memory while reading the settings");
    if (st != AP_OK)
        sf_settings_free(host, s);
    return st;
}

void sf_settings_free(const ap_host_services *host, sf_settings *s)
{
    sf_free_str(host, &s->login_url);
    sf_free_str(host, &s->client_id);
    sf_free_secret(host, &s->client_secret);
    sf_free_secret(host, &s->refresh_token);
    sf_free_str(host, &s->ca_bundle);
    for (size_t i = 0; i < s->n_allowlists; i++) {
        sf_free_str(host, &s->allowlists[i].object);
        for (size_t f = 0; f < s->allowlists[i].n_fields; f++)
            sf_free_str(host, &s->allowlists[i].fields[f]);
    }
    memset(s, 0, sizeof *s);
}

const sf_allowlist *sf_settings_allowlist(const sf_settings *s, const char *object)
{
    for (size_t i = 0; i < s->n_allowlists; i++)
        if (strcmp(s->allowlists[i].object, object) == 0)
            return &s->allowlists[i];
    return NULL;
}

bool sf_settings_allows(const sf_settings *s, const char *object, const char *field)
{
    const sf_allowlist *a = sf_settings_allowlist(s, object);
    for (size_t i = 0; a && i < a->n_fields; i++)
        if (strcmp(a->fields[i], field) == 0)
            return true;
    return false;
}

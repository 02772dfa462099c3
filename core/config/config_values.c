/* config_values.c — checks and parsers for config values (config_internal.h)
 * and ap_parse_bool (config.h). */
#include "config_internal.h"

#include "ini_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ini_names.h"

static bool plugin_char(char c)
{
    return ap_ini_is_lower_or_digit(c) || c == '-' || c == '_';
}

static bool api_char(char c)
{
    return ap_ini_is_letter(c) || ap_ini_is_digit(c) || c == '_';
}

static bool setting_char(char c)
{
    return api_char(c) || c == '.' || c == '-';
}

bool config_is_connector_name(const char *s)
{
    return ap_ini_is_connector_name(s);
}

bool config_is_plugin_name(const char *s)
{
    return ap_ini_name_of(s, 64, plugin_char);
}

bool config_is_api_name(const char *s)
{
    return ap_ini_is_api_name(s);
}

bool config_is_setting_key(const char *s)
{
    return ap_ini_is_letter(s[0]) && ap_ini_name_of(s, 80, setting_char);
}

bool ap_parse_bool(const char *text, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; text && i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(text, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcasecmp(text, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

/* A port: 1 to 5 digits, 0..65535. */
static bool parse_port(const char *s, int *port)
{
    long v = 0;
    size_t n = 0;
    for (; s[n]; n++) {
        if (n >= 5 || !ap_ini_is_digit(s[n]))
            return false;
        v = v * 10 + (s[n] - '0');
    }
    if (n == 0 || v > 65535)
        return false;
    *port = (int)v;
    return true;
}

int config_parse_listen(const char *text, char **host, int *port, char *msg,
                        size_t msglen)
{
    const char *host_start = text;
    const char *host_end;
    const char *port_text;
    if (text[0] == '[') {
        host_start = text + 1;
        host_end = strchr(host_start, ']');
        if (!host_end || host_end[1] != ':') {
            snprintf(msg, msglen, "listen: expected HOST:PORT or [IPV6]:PORT, got '%s'", text);
            return -1;
        }
        port_text = host_end + 2;
    } else {
        host_end = strrchr(text, ':');
        if (!host_end) {
            snprintf(msg, msglen, "listen: expected HOST:PORT, got '%s'", text);
            return -1;
        }
        if (memchr(text, ':', (size_t)(host_end - text))) {
            snprintf(msg, msglen,
                     "listen: an IPv6 address needs brackets, e.g. [::1]:8080, got '%s'", text);
            return -1;
        }
        port_text = host_end + 1;
    }
    if (host_end == host_start) {
        snprintf(msg, msglen, "listen: missing host in '%s'", text);
        return -1;
    }
    for (const char *p = host_start; p < host_end; p++) {
        if (*p == ' ' || *p == '\t' || *p == '[' || *p == ']' || *p == '/') {
            snprintf(msg, msglen, "listen: bad host in '%s'", text);
            return -1;
        }
    }
    if (!parse_port(port_text, port)) {
        snprintf(msg, msglen, "listen: bad port '%s' (expected 0..65535)", port_text);
        return -1;
    }
    *host = strndup(host_start, (size_t)(host_end - host_start));
    if (!*host) {
        snprintf(msg, msglen, "out of memory");
        return -1;
    }
    return 0;
}

/* State of config_parse_field_list while it walks the list. */
typedef struct field_list_parse {
    const char *key;
    ap_allowlist *out;
    size_t cap;
    char *msg;
    size_t msglen;
} field_list_parse;

static int take_field(void *user, const char *field)
{
    field_list_parse *p = user;
    if (field[0] == '\0') {
        snprintf(p->msg, p->msglen, "%s: empty field name in the list", p->key);
        return -1;
    }
    if (!config_is_api_name(field)) {
        snprintf(p->msg, p->msglen,
                 "%s: '%s' is not a field API name (a letter, then letters, digits or _)",
                 p->key, field);
        return -1;
    }
    if (ap_allowlist_has(p->out, field)) {
        snprintf(p->msg, p->msglen, "%s: field '%s' is listed twice", p->key, field);
        return -1;
    }
    if (p->out->n_fields == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        char **fields = realloc(p->out->fields, cap * sizeof *fields);
        if (!fields)
            goto oom;
        p->out->fields = fields;
        p->cap = cap;
    }
    p->out->fields[p->out->n_fields] = strdup(field);
    if (!p->out->fields[p->out->n_fields])
        goto oom;
    p->out->n_fields++;
    return 0;
oom:
    snprintf(p->msg, p->msglen, "out of memory");
    return -1;
}

int config_parse_field_list(const char *key, const char *text,
                            ap_allowlist *out, char *msg, size_t msglen)
{
    out->fields = NULL;
    out->n_fields = 0;
    if (msglen > 0)
        msg[0] = '\0';
    if (text[0] == '\0') {
        snprintf(msg, msglen, "%s: the list of fields is empty", key);
        return -1;
    }
    field_list_parse p = {.key = key, .out = out, .msg = msg, .msglen = msglen};
    int rc = ap_ini_split_list(text, take_field, &p);
    if (rc != 0) {
        if (msg[0] == '\0')
            snprintf(msg, msglen, "%s: the list is too long", key);
        for (size_t i = 0; i < out->n_fields; i++)
            free(out->fields[i]);
        free(out->fields);
        out->fields = NULL;
        out->n_fields = 0;
        return -1;
    }
    return 0;
}

char *config_join_path(const char *dir, const char *value)
{
    if (value[0] == '/')
        return strdup(value);
    char *joined = NULL;
    if (asprintf(&joined, "%s/%s", dir, value) < 0)
        return NULL;
    return joined;
}

char *config_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

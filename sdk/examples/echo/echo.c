/*
 * echo.c — the smallest complete ActionPlane connector plugin.
 *
 * It talks to no external system: every operation answers with the input it
 * was given, wrapped in an object that also says which operation ran, how
 * many calls the instance has served and the configured greeting. It shows
 * the mechanics every plugin needs and nothing else:
 *   - one exported symbol, ap_plugin_entry, that checks the host's ABI and
 *     returns a static descriptor (everything else is hidden);
 *   - a settings table (one optional key, "greeting");
 *   - per-instance state made in `open` and freed in `close`, no mutable
 *     globals except the host table the entry point receives;
 *   - results and errors through host->result_json / host->result_error;
 *   - an optional operation left NULL (`reset`: echo has nothing to reset).
 *
 * Build it out of tree with nothing but a C compiler and the SDK header:
 *     cc -std=c11 -shared -fPIC -fvisibility=hidden -I../../include -o echo.so echo.c
 * (or `make` with the Makefile beside this file). See sdk/README.md.
 */
#include <actionplane/plugin.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The host table, kept by ap_plugin_entry: `open` receives only the
 * instance's ctx, so this is how the instance reaches the services. Written
 * once, before any `open`, and copied into each instance. */
static const ap_host_services *entry_host;

typedef struct echo_instance {
    const ap_host_services *host;
    ap_host_ctx *ctx;
    unsigned long calls;  /* safe without a lock: the host serialises calls */
    char greeting[128];
} echo_instance;

/* Writes `text` as a JSON string (quotes and escapes) into buf. Returns the
 * length written, or -1 when buf is too small. */
static int json_quote(const char *text, char *buf, size_t len)
{
    size_t n = 0;
    if (len < 3)
        return -1;
    buf[n++] = '"';
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        char esc[8];
        size_t m;
        if (*p == '"' || *p == '\\')
            m = (size_t)snprintf(esc, sizeof esc, "\\%c", *p);
        else if (*p < 0x20)
            m = (size_t)snprintf(esc, sizeof esc, "\\u%04x", *p);
        else
            m = (size_t)snprintf(esc, sizeof esc, "%c", *p);
        if (n + m + 2 > len)
            return -1;
        memcpy(buf + n, esc, m);
        n += m;
    }
    buf[n++] = '"';
    buf[n] = '\0';
    return (int)n;
}

/* The one thing echo checks: the input must at least look like an object.
 * (A real plugin parses it with a JSON library of its choice.) */
static int looks_like_object(const char *input, size_t len)
{
    size_t i = 0;
    while (i < len && (input[i] == ' ' || input[i] == '\t' || input[i] == '\n' || input[i] == '\r'))
        i++;
    return i < len && input[i] == '{';
}

/* Answers {"operation", "call", "greeting", "at", "input"}. */
static ap_status echo(void *instance, const char *operation, const char *input, size_t len,
                      ap_result *out)
{
    echo_instance *inst = instance;
    const ap_host_services *host = inst->host;
    inst->calls++;
    if (!input || !looks_like_object(input, len)) {
        host->result_error(out, "invalid_request", "The input must be a JSON object.", NULL, 0);
        return AP_INVALID;
    }
    char greeting[300];
    if (json_quote(inst->greeting, greeting, sizeof greeting) < 0) {
        host->result_error(out, "connector_error", "The greeting is too long to quote.", NULL, 0);
        return AP_ERROR;
    }
    char head[512];
    int n = snprintf(head, sizeof head,
                     "{\"operation\":\"%s\",\"call\":%lu,\"greeting\":%s,\"at\":%lld,\"input\":",
                     operation, inst->calls, greeting, (long long)host->now_ms(inst->ctx));
    char *json = n >= 0 && (size_t)n < sizeof head ? malloc((size_t)n + len + 2) : NULL;
    if (!json) {
        host->result_error(out, "connector_error", "Out of memory.", NULL, 0);
        return AP_ERROR;
    }
    size_t head_len = (size_t)n;
    memcpy(json, head, head_len);
    memcpy(json + head_len, input, len);
    json[head_len + len] = '}';
    json[head_len + len + 1] = '\0';
    /* The host copies the bytes, so the buffer is ours to free right after. */
    int rc = host->result_json(out, json, head_len + len + 1);
    free(json);
    if (rc != 0) {
        host->result_error(out, "connector_error", "The host refused the answer.", NULL, 0);
        return AP_ERROR;
    }
    return AP_OK;
}

static ap_status echo_validate(void *instance, const char *input, size_t len, ap_result *out)
{
    return echo(instance, "validate", input, len, out);
}

static ap_status echo_sync_metadata(void *instance, const char *input, size_t len, ap_result *out)
{
    return echo(instance, "sync_metadata", input, len, out);
}

static ap_status echo_preview(void *instance, const char *input, size_t len, ap_result *out)
{
    return echo(instance, "preview", input, len, out);
}

static ap_status echo_execute(void *instance, const char *input, size_t len, ap_result *out)
{
    return echo(instance, "execute", input, len, out);
}

static ap_status echo_rollback(void *instance, const char *input, size_t len, ap_result *out)
{
    return echo(instance, "rollback", input, len, out);
}

static ap_status echo_read_record(void *instance, const char *input, size_t len, ap_result *out)
{
    return echo(instance, "read_record", input, len, out);
}

static ap_status echo_open(ap_host_ctx *ctx, void **instance_out, ap_result *err)
{
    const ap_host_services *host = entry_host;
    echo_instance *inst = host->mem_alloc(sizeof *inst);
    if (!inst) {
        host->result_error(err, "connector_error", "Out of memory.", NULL, 0);
        return AP_ERROR;
    }
    inst->host = host;
    inst->ctx = ctx;
    inst->calls = 0;
    const char *greeting = host->config_get(ctx, "greeting");
    if (greeting && strlen(greeting) >= sizeof inst->greeting) {
        host->result_error(err, "invalid_config", "greeting is longer than 127 bytes.", NULL, 0);
        host->mem_free(inst);
        return AP_INVALID;
    }
    snprintf(inst->greeting, sizeof inst->greeting, "%s", greeting ? greeting : "hello");
    *instance_out = inst;
    return AP_OK;
}

static void echo_close(void *instance)
{
    echo_instance *inst = instance;
    if (inst)
        inst->host->mem_free(inst);
}

static const char *const echo_actions[] = {"echo.say", NULL};
static const char *const echo_capabilities[] = {"preview", "execute", "rollback", NULL};
static const ap_setting_spec echo_settings[] = {
    {"greeting", AP_SETTING_STRING, 0, "text added to every answer (default \"hello\")"},
    {NULL, AP_SETTING_STRING, 0, NULL},
};

static const ap_plugin_descriptor echo_descriptor = {
    .abi = AP_ABI_HEADER_INIT(ap_plugin_descriptor),
    .name = "echo",
    .version = "1.0.0",
    .description = "Example plugin: answers every operation with its input",
    .flags = 0,
    .actions = echo_actions,
    .capabilities = echo_capabilities,
    .settings = echo_settings,
    .open = echo_open,
    .validate = echo_validate,
    .sync_metadata = echo_sync_metadata,
    .preview = echo_preview,
    .execute = echo_execute,
    .rollback = echo_rollback,
    .reset = NULL, /* optional: the host reports AP_UNSUPPORTED */
    .read_record = echo_read_record,
    .close = echo_close,
};

AP_PLUGIN_EXPORT const ap_plugin_descriptor *ap_plugin_entry(const ap_host_services *host);

AP_PLUGIN_EXPORT const ap_plugin_descriptor *ap_plugin_entry(const ap_host_services *host)
{
    /* Refuse a host of another major, or one whose table is too short to
     * hold the last service this plugin calls (data_dir is the last in 1.0). */
    if (!host || host->abi.abi_major != AP_ABI_MAJOR ||
        host->abi.struct_size < offsetof(ap_host_services, data_dir) + sizeof host->data_dir)
        return NULL;
    entry_host = host;
    return &echo_descriptor;
}

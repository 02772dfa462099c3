/*
 * plugin_services.c — the ap_host_services table every plugin receives.
 * Each function reaches its connector through the ap_host_ctx the plugin
 * passes back, so the table itself is immutable and shared.
 */
#include <stdlib.h>
#include <string.h>

#include "common/ap_time.h"
#include "plugin_internal.h"

static void svc_log(ap_host_ctx *ctx, ap_log_level level, const char *message)
{
    if (!ctx || !message)
        return;
    const ap_connector *c = ctx->connector;
    ap_logf(c->log, level, "connector %s (plugin %s %s): %s", c->cfg->name,
            c->plugin ? c->plugin->desc.name : c->plugin_name,
            c->plugin ? c->plugin->desc.version : "?", message);
}

static const char *svc_config_get(ap_host_ctx *ctx, const char *key)
{
    if (!ctx || !key)
        return NULL;
    const ap_connector *c = ctx->connector;
    for (size_t i = 0; i < c->n_settings; i++)
        if (strcmp(c->setting_keys[i], key) == 0)
            return c->setting_values[i];
    return NULL;
}

static int64_t svc_now_ms(ap_host_ctx *ctx)
{
    (void)ctx;
    return ap_now_ms();
}

static const char *svc_data_dir(ap_host_ctx *ctx)
{
    return ctx ? ctx->connector->data_dir : NULL;
}

static int svc_result_json(ap_result *out, const char *json, size_t len)
{
    if (!out || !json)
        return -1;
    json_t *v = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(v)) {
        json_decref(v);
        out->bad_payload = true;
        return -1;
    }
    json_decref(out->payload);
    out->payload = v;
    return 0;
}

static int svc_result_error(ap_result *out, const char *code, const char *message,
                            const char *details_json, size_t details_len)
{
    if (!out || !code || !message)
        return -1;
    out->has_error = true;
    snprintf(out->code, sizeof out->code, "%s", code);
    snprintf(out->message, sizeof out->message, "%s", message);
    json_decref(out->details);
    out->details = NULL;
    if (details_json && details_len) {
        json_t *d = json_loadb(details_json, details_len, 0, NULL);
        if (!json_is_object(d)) {
            json_decref(d);
            return -1;
        }
        out->details = d;
    }
    return 0;
}

static const ap_host_services services = {
    .abi = AP_ABI_HEADER_INIT(ap_host_services),
    .log = svc_log,
    .config_get = svc_config_get,
    .now_ms = svc_now_ms,
    .mem_alloc = malloc,
    .mem_realloc = realloc,
    .mem_free = free,
    .result_json = svc_result_json,
    .result_error = svc_result_error,
    .data_dir = svc_data_dir,
};

const ap_host_services *ap_plugin_services(void)
{
    return &services;
}

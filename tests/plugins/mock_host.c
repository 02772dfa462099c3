/* mock_host.c — see mock_host.h. */
#include "mock_host.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MOCK_MAX_SETTINGS 64

struct ap_result {
    mock_result *res;
};

struct ap_host_ctx {
    mock_host *host;
};

struct mock_host {
    const ap_plugin_descriptor *desc;
    struct ap_host_ctx ctx;
    void *instance;
    char *keys[MOCK_MAX_SETTINGS];
    char *values[MOCK_MAX_SETTINGS];
    size_t n_settings;
    char data_dir[512];
    long long now_ms;
    char last_log[1024];
};

static void mock_log(ap_host_ctx *ctx, ap_log_level level, const char *message)
{
    snprintf(ctx->host->last_log, sizeof ctx->host->last_log, "%s", message);
    if (getenv("MOCK_HOST_VERBOSE"))
        fprintf(stderr, "[plugin %d] %s\n", (int)level, message);
}

static const char *mock_config_get(ap_host_ctx *ctx, const char *key)
{
    mock_host *h = ctx->host;
    for (size_t i = 0; i < h->n_settings; i++)
        if (strcmp(h->keys[i], key) == 0)
            return h->values[i];
    return NULL;
}

static int64_t mock_now_ms(ap_host_ctx *ctx)
{
    if (ctx->host->now_ms)
        return ctx->host->now_ms;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *mock_data_dir(ap_host_ctx *ctx)
{
    return ctx->host->data_dir;
}

static int mock_result_json(ap_result *out, const char *json, size_t len)
{
    if (!out || !json)
        return -1;
    /* The real host accepts only a JSON object: hold plugins to the same. */
    size_t i = 0;
    while (i < len && (json[i] == ' ' || json[i] == '\n' || json[i] == '\t' || json[i] == '\r'))
        i++;
    if (i == len || json[i] != '{')
        return -1;
    free(out->res->json);
    out->res->json = strndup(json, len);
    return out->res->json ? 0 : -1;
}

static int mock_result_error(ap_result *out, const char *code, const char *message,
                             const char *details, size_t details_len)
{
    if (!out || !code || !message)
        return -1;
    snprintf(out->res->code, sizeof out->res->code, "%s", code);
    snprintf(out->res->message, sizeof out->res->message, "%s", message);
    free(out->res->details);
    out->res->details = details ? strndup(details, details_len) : NULL;
    return 0;
}

/* Like the daemon's, the table is immutable and lives as long as the
 * process: plugins may keep the pointer they got from ap_plugin_entry. */
static const ap_host_services mock_services = {
    .abi = AP_ABI_HEADER_INIT(ap_host_services),
    .log = mock_log,
    .config_get = mock_config_get,
    .now_ms = mock_now_ms,
    .mem_alloc = malloc,
    .mem_realloc = realloc,
    .mem_free = free,
    .result_json = mock_result_json,
    .result_error = mock_result_error,
    .data_dir = mock_data_dir,
};

mock_host *mock_host_load(const char *so_path)
{
    void *dl = dlopen(so_path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        fprintf(stderr, "mock_host: %s\n", dlerror());
        return NULL;
    }
    ap_plugin_entry_fn entry;
    *(void **)&entry = dlsym(dl, AP_PLUGIN_ENTRY_SYMBOL);
    if (!entry) {
        fprintf(stderr, "mock_host: %s has no %s\n", so_path, AP_PLUGIN_ENTRY_SYMBOL);
        return NULL;
    }
    mock_host *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->ctx.host = h;
    snprintf(h->data_dir, sizeof h->data_dir, "/tmp");
    h->desc = entry(&mock_services);
    if (!h->desc || h->desc->abi.abi_major != AP_ABI_MAJOR) {
        fprintf(stderr, "mock_host: %s: bad descriptor or ABI\n", so_path);
        free(h);
        return NULL;
    }
    return h;
}

void mock_host_set(mock_host *h, const char *key, const char *value)
{
    for (size_t i = 0; i < h->n_settings; i++) {
        if (strcmp(h->keys[i], key) == 0) {
            free(h->values[i]);
            h->values[i] = strdup(value);
            return;
        }
    }
    if (h->n_settings < MOCK_MAX_SETTINGS) {
        h->keys[h->n_settings] = strdup(key);
        h->values[h->n_settings] = strdup(value);
        h->n_settings++;
    }
}

void mock_host_set_data_dir(mock_host *h, const char *dir)
{
    snprintf(h->data_dir, sizeof h->data_dir, "%s", dir);
}

void mock_host_set_now(mock_host *h, long long now_ms)
{
    h->now_ms = now_ms;
}

const ap_plugin_descriptor *mock_host_descriptor(const mock_host *h)
{
    return h->desc;
}

ap_status mock_host_open(mock_host *h, mock_result *res)
{
    memset(res, 0, sizeof *res);
    struct ap_result sink = {res};
    res->status = h->desc->open(&h->ctx, &h->instance, &sink);
    return res->status;
}

ap_status mock_host_call(mock_host *h, mock_op op, const char *input, mock_result *res)
{
    memset(res, 0, sizeof *res);
    struct ap_result sink = {res};
    const ap_plugin_descriptor *d = h->desc;
    ap_status (*fn)(void *, const char *, size_t, ap_result *) = NULL;
    switch (op) {
    case MOCK_VALIDATE: fn = d->validate; break;
    case MOCK_SYNC_METADATA: fn = d->sync_metadata; break;
    case MOCK_PREVIEW: fn = d->preview; break;
    case MOCK_EXECUTE: fn = d->execute; break;
    case MOCK_ROLLBACK: fn = d->rollback; break;
    case MOCK_RESET: fn = d->reset; break;
    case MOCK_READ_RECORD: fn = d->read_record; break;
    }
    res->status = fn ? fn(h->instance, input, strlen(input), &sink) : AP_UNSUPPORTED;
    return res->status;
}

void mock_result_clear(mock_result *res)
{
    free(res->json);
    free(res->details);
    memset(res, 0, sizeof *res);
}

const char *mock_host_last_log(const mock_host *h)
{
    return h->last_log;
}

void mock_host_free(mock_host *h)
{
    if (!h)
        return;
    if (h->instance && h->desc->close)
        h->desc->close(h->instance);
    for (size_t i = 0; i < h->n_settings; i++) {
        free(h->keys[i]);
        free(h->values[i]);
    }
    free(h);
}

/*
 * plugin_call.c — one operation call: serialise the input, take the
 * instance lock unless the plugin is thread-safe, call, and turn the result
 * sink into a JSON result or an ap_err.
 */
#include <stdlib.h>
#include <string.h>

#include "plugin_internal.h"

static const char *const op_names[] = {"validate", "sync_metadata", "preview", "execute",
                                       "rollback", "reset", "read_record"};

const char *ap_plugin_op_name(ap_plugin_op op)
{
    return (unsigned)op <= AP_OP_READ_RECORD ? op_names[op] : "unknown";
}

typedef ap_status (*op_fn)(void *, const char *, size_t, ap_result *);

static op_fn op_function(const ap_plugin_descriptor *d, ap_plugin_op op)
{
    switch (op) {
    case AP_OP_VALIDATE: return d->validate;
    case AP_OP_SYNC_METADATA: return d->sync_metadata;
    case AP_OP_PREVIEW: return d->preview;
    case AP_OP_EXECUTE: return d->execute;
    case AP_OP_ROLLBACK: return d->rollback;
    case AP_OP_RESET: return d->reset;
    case AP_OP_READ_RECORD: return d->read_record;
    }
    return NULL;
}

bool ap_connector_supports(const ap_connector *c, ap_plugin_op op)
{
    return c->plugin && op_function(&c->plugin->desc, op) != NULL;
}

/* The code a status means when the plugin did not say. */
static const char *default_code(ap_status st)
{
    switch (st) {
    case AP_INVALID: return "invalid_value";
    case AP_NOT_FOUND: return "not_found";
    case AP_CONFLICT: return "conflict";
    case AP_TIMEOUT: return "connector_timeout";
    case AP_UNSUPPORTED: return "unsupported";
    default: return "connector_error";
    }
}

ap_status ap_connector_call(ap_connector *c, ap_plugin_op op, const json_t *input,
                            json_t **output, ap_err *err)
{
    *output = NULL;
    if (!c->plugin) {
        ap_err_set(err, "connector_unavailable", "connector %s is unavailable: %s", c->cfg->name,
                   c->error);
        return AP_ERROR;
    }
    const ap_plugin_descriptor *d = &c->plugin->desc;
    op_fn fn = op_function(d, op);
    if (!fn) {
        ap_err_set(err, "unsupported", "plugin %s does not support %s", d->name,
                   ap_plugin_op_name(op));
        return AP_UNSUPPORTED;
    }
    char *text = json_dumps(input, JSON_COMPACT);
    if (!text) {
        ap_err_set(err, "out_of_memory", "out of memory calling connector %s", c->cfg->name);
        return AP_ERROR;
    }
    struct ap_result res = {0};
    if (c->serialise)
        pthread_mutex_lock(&c->lock);
    ap_status st = fn(c->instance, text, strlen(text), &res);
    if (c->serialise)
        pthread_mutex_unlock(&c->lock);
    free(text);

    if (st == AP_OK && !res.bad_payload) {
        *output = res.payload ? res.payload : json_object();
        json_decref(res.details);
        return AP_OK;
    }
    if (st == AP_OK) /* claimed success but handed back garbage: not trustworthy */
        st = AP_ERROR;
    if (res.has_error) {
        ap_err_set(err, res.code, "%s", res.message);
        ap_err_details(err, res.details);
        res.details = NULL;
    } else {
        ap_err_set(err, default_code(st), "plugin %s %s failed %s without saying why", d->name,
                   d->version, ap_plugin_op_name(op));
    }
    ap_logf(c->log, st == AP_INVALID || st == AP_NOT_FOUND || st == AP_CONFLICT ? AP_LOG_INFO
                                                                                : AP_LOG_WARN,
            "connector %s (plugin %s %s): %s -> %s: %s", c->cfg->name, d->name, d->version,
            ap_plugin_op_name(op), err ? err->code : default_code(st), err ? err->message : "");
    json_decref(res.payload);
    json_decref(res.details);
    return st;
}

/*
 * plugin_host.c — the registry: one ap_connector per configured connector,
 * plugins loaded once each, instances opened, and the read-only accessors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ap_fs.h"
#include "plugin_internal.h"

static int add_setting(ap_connector *c, const char *key, const char *value)
{
    char **k = realloc(c->setting_keys, (c->n_settings + 1) * sizeof *k);
    if (!k)
        return -1;
    c->setting_keys = k;
    char **v = realloc(c->setting_values, (c->n_settings + 1) * sizeof *v);
    if (!v)
        return -1;
    c->setting_values = v;
    k[c->n_settings] = strdup(key);
    v[c->n_settings] = strdup(value);
    if (!k[c->n_settings] || !v[c->n_settings]) {
        free(k[c->n_settings]);
        free(v[c->n_settings]);
        return -1;
    }
    c->n_settings++;
    return 0;
}

/* What config_get answers: the plugin's own settings, plus the allowlists as
 * "allowedFields.OBJECT" = "F1, F2" (the plugin syncs metadata for them). */
static int collect_settings(ap_connector *c)
{
    const ap_connector_config *cfg = c->cfg;
    for (size_t i = 0; i < cfg->n_settings; i++)
        if (add_setting(c, cfg->settings[i].key, cfg->settings[i].value) != 0)
            return -1;
    for (size_t i = 0; i < cfg->n_allowlists; i++) {
        const ap_allowlist *a = &cfg->allowlists[i];
        char key[256], value[4096] = "";
        snprintf(key, sizeof key, "allowedFields.%s", a->object);
        size_t used = 0;
        for (size_t f = 0; f < a->n_fields && used < sizeof value; f++)
            used += (size_t)snprintf(value + used, sizeof value - used, "%s%s", f ? ", " : "",
                                     a->fields[f]);
        if (add_setting(c, key, value) != 0)
            return -1;
    }
    return 0;
}

static ap_loaded_plugin *plugin_for(ap_plugin_host *h, const char *dir, const char *name,
                                    char *why, size_t len)
{
    for (size_t i = 0; i < h->n_plugins; i++)
        if (strcmp(h->plugins[i]->name, name) == 0)
            return h->plugins[i];
    ap_loaded_plugin *p = ap_plugin_load_file(dir, name, why, len);
    if (!p)
        return NULL;
    ap_loaded_plugin **grown = realloc(h->plugins, (h->n_plugins + 1) * sizeof *grown);
    if (!grown) {
        ap_loaded_plugin_free(p);
        snprintf(why, len, "out of memory");
        return NULL;
    }
    h->plugins = grown;
    h->plugins[h->n_plugins++] = p;
    return p;
}

/* Opens the instance; on failure records why and leaves the connector
 * unavailable (the host keeps serving the others). */
static void open_instance(ap_connector *c)
{
    struct ap_result res = {0};
    ap_status st = c->plugin->desc.open(&c->ctx, &c->instance, &res);
    if (st != AP_OK) {
        snprintf(c->error, sizeof c->error, "open failed: %s%s%s",
                 res.has_error ? res.code : "error", res.has_error ? ": " : "",
                 res.has_error ? res.message : "");
        c->instance = NULL;
        c->plugin = NULL;
    }
    json_decref(res.payload);
    json_decref(res.details);
}

int ap_plugin_host_load(const ap_config *cfg, const char *data_root, const ap_logger *log,
                        ap_plugin_host **out, ap_err *err)
{
    *out = NULL;
    ap_plugin_host *h = calloc(1, sizeof *h);
    if (!h || !(h->connectors = calloc(cfg->n_connectors ? cfg->n_connectors : 1,
                                       sizeof *h->connectors))) {
        free(h);
        ap_err_set(err, "out_of_memory", "out of memory loading plugins");
        return -1;
    }
    if (log)
        h->log = *log;
    for (size_t i = 0; i < cfg->n_connectors; i++) {
        ap_connector *c = &h->connectors[h->n_connectors++];
        c->cfg = &cfg->connectors[i];
        c->plugin_name = c->cfg->plugin[cfg->environment];
        c->ctx.connector = c;
        c->log = &h->log;
        pthread_mutex_init(&c->lock, NULL);
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s", data_root, c->cfg->name);
        if (!(c->data_dir = strdup(dir)) || collect_settings(c) != 0) {
            ap_plugin_host_free(h);
            ap_err_set(err, "out_of_memory", "out of memory loading plugins");
            return -1;
        }
        if (!c->plugin_name) {
            snprintf(c->error, sizeof c->error, "no plugin bound for environment %s",
                     ap_env_name(cfg->environment));
            continue;
        }
        char why[768] = "";
        c->plugin = plugin_for(h, cfg->plugin_dir, c->plugin_name, why, sizeof why);
        if (!c->plugin) {
            snprintf(c->error, sizeof c->error, "%s", why);
            ap_logf(&h->log, AP_LOG_ERROR, "connector %s: plugin %s refused: %s", c->cfg->name,
                    c->plugin_name, why);
            continue;
        }
        char msg[1024];
        const char *file = cfg->overlay_path ? cfg->overlay_path : cfg->config_path;
        if (ap_plugin_check_settings(c->cfg, &c->plugin->desc, file, msg, sizeof msg) != 0) {
            ap_err_set(err, "invalid_config", "%s", msg);
            ap_plugin_host_free(h);
            return -1;
        }
        if (ap_mkdir_p(c->data_dir, 0700) != 0) { /* a plugin's private state */
            snprintf(c->error, sizeof c->error, "cannot create data folder %s: %s", c->data_dir,
                     strerror(errno));
            ap_logf(&h->log, AP_LOG_ERROR, "connector %s: %s", c->cfg->name, c->error);
            c->plugin = NULL;
            continue;
        }
        c->serialise = !(c->plugin->desc.flags & AP_PLUGIN_THREAD_SAFE);
        open_instance(c);
        if (!c->plugin) {
            ap_logf(&h->log, AP_LOG_ERROR, "connector %s: plugin %s refused: %s", c->cfg->name,
                    c->plugin_name, c->error);
            continue;
        }
        ap_logf(&h->log, AP_LOG_INFO, "connector %s: plugin %s %s (ABI %u.%u) ready",
                c->cfg->name, c->plugin->desc.name, c->plugin->desc.version,
                (unsigned)c->plugin->desc.abi.abi_major, (unsigned)c->plugin->desc.abi.abi_minor);
    }
    *out = h;
    return 0;
}

void ap_plugin_host_free(ap_plugin_host *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n_connectors; i++) {
        ap_connector *c = &h->connectors[i];
        if (c->plugin && c->instance && c->plugin->desc.close)
            c->plugin->desc.close(c->instance);
        for (size_t s = 0; s < c->n_settings; s++) {
            free(c->setting_keys[s]);
            free(c->setting_values[s]);
        }
        free(c->setting_keys);
        free(c->setting_values);
        free(c->data_dir);
        pthread_mutex_destroy(&c->lock);
    }
    for (size_t i = 0; i < h->n_plugins; i++)
        ap_loaded_plugin_free(h->plugins[i]);
    free(h->plugins);
    free(h->connectors);
    free(h);
}

size_t ap_plugin_host_count(const ap_plugin_host *h)
{
    return h->n_connectors;
}

ap_connector *ap_plugin_host_at(const ap_plugin_host *h, size_t i)
{
    return i < h->n_connectors ? &h->connectors[i] : NULL;
}

ap_connector *ap_plugin_host_find(const ap_plugin_host *h, const char *name)
{
    for (size_t i = 0; name && i < h->n_connectors; i++)
        if (strcmp(h->connectors[i].cfg->name, name) == 0)
            return &h->connectors[i];
    return NULL;
}

const char *ap_connector_name(const ap_connector *c)
{
    return c->cfg->name;
}

const ap_connector_config *ap_connector_config_of(const ap_connector *c)
{
    return c->cfg;
}

const char *ap_connector_plugin_name(const ap_connector *c)
{
    return c->plugin_name ? c->plugin_name : "";
}

const ap_plugin_descriptor *ap_connector_descriptor(const ap_connector *c)
{
    return c->plugin ? &c->plugin->desc : NULL;
}

const char *ap_connector_error(const ap_connector *c)
{
    return c->error;
}

bool ap_connector_has_action(const ap_connector *c, const char *action)
{
    if (!c->plugin || !action)
        return false;
    for (const char *const *a = c->plugin->desc.actions; *a; a++)
        if (strcmp(*a, action) == 0)
            return true;
    return false;
}

static json_t *string_list(const char *const *list)
{
    json_t *arr = json_array();
    for (; list && *list; list++)
        json_array_append_new(arr, json_string(*list));
    return arr;
}

json_t *ap_connector_describe(const ap_connector *c, ap_env env)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(c->cfg->name));
    json_object_set_new(o, "plugin", json_string(ap_connector_plugin_name(c)));
    json_object_set_new(o, "environment", json_string(ap_env_name(env)));
    json_t *objects = json_array();
    for (size_t i = 0; i < c->cfg->n_allowlists; i++) {
        const ap_allowlist *a = &c->cfg->allowlists[i];
        json_t *fields = json_array();
        for (size_t f = 0; f < a->n_fields; f++)
            json_array_append_new(fields, json_string(a->fields[f]));
        json_array_append_new(objects, json_pack("{s:s, s:o}", "object", a->object,
                                                 "allowedFields", fields));
    }
    json_object_set_new(o, "allowlist", objects);
    if (!c->plugin) {
        json_object_set_new(o, "status", json_string("unavailable"));
        json_object_set_new(o, "error", json_string(c->error));
        json_object_set_new(o, "actions", json_array());
        json_object_set_new(o, "capabilities", json_array());
        return o;
    }
    const ap_plugin_descriptor *d = &c->plugin->desc;
    char abi[16];
    snprintf(abi, sizeof abi, "%u.%u", (unsigned)d->abi.abi_major, (unsigned)d->abi.abi_minor);
    json_object_set_new(o, "status", json_string("ready"));
    json_object_set_new(o, "version", json_string(d->version));
    json_object_set_new(o, "abiVersion", json_string(abi));
    json_object_set_new(o, "description", json_string(d->description ? d->description : ""));
    json_object_set_new(o, "threadSafe", json_boolean(d->flags & AP_PLUGIN_THREAD_SAFE));
    json_object_set_new(o, "actions", string_list(d->actions));
    json_object_set_new(o, "capabilities", string_list(d->capabilities));
    return o;
}

/* config_connector.c — the keys of one [connector:NAME] section, in the main
 * file or an environment overlay (config_internal.h). */
#include "config_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLUGIN_PREFIX "plugin"
#define ALLOWLIST_PREFIX "allowedFields"

static int out_of_memory(char *msg, size_t msglen)
{
    snprintf(msg, msglen, "out of memory");
    return -1;
}

/* What follows "prefix." in key; "" when key is the bare prefix. */
static const char *suffix(const char *key, const char *prefix)
{
    size_t n = strlen(prefix);
    return key[n] == '.' ? key + n + 1 : key + n;
}

void config_allowlist_clear(ap_allowlist *a)
{
    free(a->object);
    for (size_t i = 0; i < a->n_fields; i++)
        free(a->fields[i]);
    free(a->fields);
    memset(a, 0, sizeof *a);
}

static void setting_clear(ap_setting *s)
{
    free(s->key);
    free(s->value);
    free(s->file);
    memset(s, 0, sizeof *s);
}

void config_connector_clear(ap_connector_config *c)
{
    free(c->name);
    for (size_t i = 0; i < AP_ENV_COUNT; i++)
        free(c->plugin[i]);
    for (size_t i = 0; i < c->n_settings; i++)
        setting_clear(&c->settings[i]);
    free(c->settings);
    for (size_t i = 0; i < c->n_allowlists; i++)
        config_allowlist_clear(&c->allowlists[i]);
    free(c->allowlists);
    memset(c, 0, sizeof *c);
}

/* plugin.ENV = PLUGIN (main file only). */
static int take_plugin(ap_connector_config *c, bool in_overlay, const char *key,
                       const char *value, char *msg, size_t msglen)
{
    const char *env_name = suffix(key, PLUGIN_PREFIX);
    ap_env env;
    if (!ap_env_parse(env_name, &env)) {
        snprintf(msg, msglen,
                 "unknown key '%s' (plugin bindings are plugin.simulation, "
                 "plugin.sandbox and plugin.production)", key);
        return -1;
    }
    if (in_overlay) {
        snprintf(msg, msglen,
                 "%s cannot be set in an environment overlay (bind plugins in the main config file)",
                 key);
        return -1;
    }
    if (!config_is_plugin_name(value)) {
        snprintf(msg, msglen,
                 "%s: bad plugin name '%s' (the file NAME.so in the plugin folder; "
                 "use a-z, 0-9, - and _)", key, value);
        return -1;
    }
    if (!c)
        return 0;
    char *copy = strdup(value);
    if (!copy)
        return out_of_memory(msg, msglen);
    free(c->plugin[env]);
    c->plugin[env] = copy;
    return 0;
}

/* allowedFields.OBJECT = F1, F2, ... (an overlay replaces the main file's). */
static int take_allowlist(ap_connector_config *c, const char *key,
                          const char *value, char *msg, size_t msglen)
{
    const char *object = suffix(key, ALLOWLIST_PREFIX);
    if (!config_is_api_name(object)) {
        snprintf(msg, msglen,
                 "%s: bad object name '%s' (a letter, then letters, digits or _)", key, object);
        return -1;
    }
    ap_allowlist list = {0};
    if (config_parse_field_list(key, value, &list, msg, msglen) != 0)
        return -1;
    if (!c) {
        config_allowlist_clear(&list);
        return 0;
    }
    list.object = strdup(object);
    if (!list.object) {
        config_allowlist_clear(&list);
        return out_of_memory(msg, msglen);
    }
    for (size_t i = 0; i < c->n_allowlists; i++) {
        if (strcmp(c->allowlists[i].object, object) == 0) {
            config_allowlist_clear(&c->allowlists[i]);
            c->allowlists[i] = list;
            return 0;
        }
    }
    ap_allowlist *grown = realloc(c->allowlists, (c->n_allowlists + 1) * sizeof *grown);
    if (!grown) {
        config_allowlist_clear(&list);
        return out_of_memory(msg, msglen);
    }
    c->allowlists = grown;
    c->allowlists[c->n_allowlists++] = list;
    return 0;
}

/* Any other key: a plugin setting, checked later against the plugin's table
 * (the config cannot know it). An overlay's value replaces the main file's. */
static int take_setting(ap_connector_config *c, const char *file,
                        const char *key, const char *value, int line,
                        char *msg, size_t msglen)
{
    if (!config_is_setting_key(key)) {
        snprintf(msg, msglen,
                 "bad key '%s' (a setting name starts with a letter; letters, digits, _ . -)", key);
        return -1;
    }
    if (!c)
        return 0;
    ap_setting s = {.key = strdup(key), .value = strdup(value), .file = strdup(file), .line = line};
    if (!s.key || !s.value || !s.file) {
        setting_clear(&s);
        return out_of_memory(msg, msglen);
    }
    for (size_t i = 0; i < c->n_settings; i++) {
        if (strcmp(c->settings[i].key, key) == 0) {
            setting_clear(&c->settings[i]);
            c->settings[i] = s;
            return 0;
        }
    }
    ap_setting *grown = realloc(c->settings, (c->n_settings + 1) * sizeof *grown);
    if (!grown) {
        setting_clear(&s);
        return out_of_memory(msg, msglen);
    }
    c->settings = grown;
    c->settings[c->n_settings++] = s;
    return 0;
}

/* True when key is `prefix` alone or "prefix.SOMETHING". */
static bool has_prefix(const char *key, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(key, prefix, n) == 0 && (key[n] == '\0' || key[n] == '.');
}

int config_connector_entry(ap_connector_config *c, bool in_overlay,
                           const char *file, const char *key,
                           const char *value, int line, char *msg,
                           size_t msglen)
{
    if (has_prefix(key, PLUGIN_PREFIX))
        return take_plugin(c, in_overlay, key, value, msg, msglen);
    if (has_prefix(key, ALLOWLIST_PREFIX))
        return take_allowlist(c, key, value, msg, msglen);
    return take_setting(c, file, key, value, line, msg, msglen);
}

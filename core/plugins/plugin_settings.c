/*
 * plugin_settings.c — checks a connector's config section against the
 * settings table its plugin declares, so a typo in an INI key is a
 * "file:line: message" at start-up instead of a silently ignored value.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_internal.h"

static const ap_setting_spec *find_spec(const ap_setting_spec *table, const char *key)
{
    for (const ap_setting_spec *s = table; s && s->name; s++) {
        if (s->flags & AP_SETTING_PREFIX) {
            size_t n = strlen(s->name);
            if (strncmp(key, s->name, n) == 0 && key[n] != '\0')
                return s;
        } else if (strcmp(key, s->name) == 0) {
            return s;
        }
    }
    return NULL;
}

static const char *type_problem(ap_setting_type type, const char *v)
{
    bool b;
    switch (type) {
    case AP_SETTING_STRING:
    case AP_SETTING_PATH:
        return *v ? NULL : "must not be empty";
    case AP_SETTING_BOOL:
        return ap_parse_bool(v, &b) ? NULL : "must be true or false";
    case AP_SETTING_INT: {
        char *end;
        errno = 0;
        long long n = strtoll(v, &end, 10);
        (void)n;
        return (*v && !*end && errno == 0) ? NULL : "must be a whole number";
    }
    case AP_SETTING_URL:
        return (strncmp(v, "https://", 8) == 0 || strncmp(v, "http://", 7) == 0)
                   ? NULL : "must be an http:// or https:// URL";
    case AP_SETTING_LIST:
        return *v ? NULL : "must list at least one value";
    }
    return "has an unknown type";
}

int ap_plugin_check_settings(const ap_connector_config *cfg, const ap_plugin_descriptor *desc,
                             const char *fallback_file, char *msg, size_t len)
{
    for (size_t i = 0; i < cfg->n_settings; i++) {
        const ap_setting *s = &cfg->settings[i];
        const ap_setting_spec *spec = find_spec(desc->settings, s->key);
        if (!spec) {
            snprintf(msg, len, "%s:%d: unknown key '%s' in [connector:%s] (plugin %s does not take it)",
                     s->file, s->line, s->key, cfg->name, desc->name);
            return -1;
        }
        const char *problem = type_problem(spec->type, s->value);
        if (problem) {
            snprintf(msg, len, "%s:%d: [connector:%s] %s %s", s->file, s->line, cfg->name, s->key,
                     problem);
            return -1;
        }
    }
    for (const ap_setting_spec *spec = desc->settings; spec && spec->name; spec++) {
        if (!(spec->flags & AP_SETTING_REQUIRED) || (spec->flags & AP_SETTING_PREFIX))
            continue;
        if (!ap_connector_setting(cfg, spec->name)) {
            snprintf(msg, len, "%s:0: [connector:%s] needs '%s' for plugin %s (%s)", fallback_file,
                     cfg->name, spec->name, desc->name, spec->description ? spec->description : "");
            return -1;
        }
    }
    return 0;
}

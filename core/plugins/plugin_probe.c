/*
 * plugin_probe.c — describes a plugin file without serving it, for
 * `actionplaned --list-plugins` and conformance checks.
 */
#include <stdio.h>

#include "plugin_internal.h"

static const char *type_name(ap_setting_type t)
{
    switch (t) {
    case AP_SETTING_STRING: return "string";
    case AP_SETTING_BOOL: return "bool";
    case AP_SETTING_INT: return "int";
    case AP_SETTING_URL: return "url";
    case AP_SETTING_PATH: return "path";
    case AP_SETTING_LIST: return "list";
    }
    return "unknown";
}

static json_t *strings(const char *const *list)
{
    json_t *a = json_array();
    for (; list && *list; list++)
        json_array_append_new(a, json_string(*list));
    return a;
}

json_t *ap_plugin_probe(const char *dir, const char *name, char *why, size_t why_len)
{
    ap_loaded_plugin *p = ap_plugin_load_file(dir, name, why, why_len);
    if (!p)
        return NULL;
    const ap_plugin_descriptor *d = &p->desc;
    char abi[16];
    snprintf(abi, sizeof abi, "%u.%u", (unsigned)d->abi.abi_major, (unsigned)d->abi.abi_minor);
    json_t *settings = json_array();
    for (const ap_setting_spec *s = d->settings; s && s->name; s++)
        json_array_append_new(
            settings, json_pack("{s:s, s:s, s:b, s:b, s:b, s:s}", "name", s->name, "type",
                                type_name(s->type), "required", (s->flags & AP_SETTING_REQUIRED) != 0,
                                "secret", (s->flags & AP_SETTING_SECRET) != 0, "prefix",
                                (s->flags & AP_SETTING_PREFIX) != 0, "description",
                                s->description ? s->description : ""));
    json_t *out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:o, s:o, s:o}", "name", d->name,
                            "file", p->path, "version", d->version, "abiVersion", abi,
                            "description", d->description ? d->description : "", "threadSafe",
                            (d->flags & AP_PLUGIN_THREAD_SAFE) != 0, "actions",
                            strings(d->actions), "capabilities", strings(d->capabilities),
                            "settings", settings);
    ap_loaded_plugin_free(p);
    return out;
}

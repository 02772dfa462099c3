/* config_overlay.c — reads an environment overlay, environments/ENV.ini next
 * to the main file (config_internal.h). An overlay only refines connectors
 * the main file declares: everything else stays in one place, so switching
 * environments can never change the listen address, the store or which
 * plugin a connector uses. */
#include "config_internal.h"

#include "ini_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONNECTOR_PREFIX "connector:"

typedef struct overlay_read {
    const ap_config *cfg;
    ap_config *apply_to; /* NULL: check only */
    const char *path;
    size_t current; /* index of the current section's connector */
} overlay_read;

static int on_section(void *user, const char *section, int line, char *msg,
                      size_t msglen)
{
    (void)line;
    overlay_read *o = user;
    if (strncmp(section, CONNECTOR_PREFIX, strlen(CONNECTOR_PREFIX)) != 0) {
        snprintf(msg, msglen,
                 "section [%s] is not allowed in an environment overlay "
                 "(only [connector:NAME] sections; the rest belongs in %s)",
                 section, o->cfg->config_path);
        return -1;
    }
    const char *name = section + strlen(CONNECTOR_PREFIX);
    for (size_t i = 0; i < o->cfg->n_connectors; i++) {
        if (strcmp(o->cfg->connectors[i].name, name) == 0) {
            o->current = i;
            return 0;
        }
    }
    snprintf(msg, msglen, "unknown connector '%s' (not declared in %s)", name,
             o->cfg->config_path);
    return -1;
}

static int on_entry(void *user, const char *section, const char *key,
                    const char *value, int line, char *msg, size_t msglen)
{
    (void)section;
    overlay_read *o = user;
    ap_connector_config *target = o->apply_to ? &o->apply_to->connectors[o->current] : NULL;
    return config_connector_entry(target, true, o->path, key, value, line, msg, msglen);
}

char *config_overlay_path(const ap_config *cfg, ap_env env)
{
    char *path = NULL;
    if (asprintf(&path, "%s/environments/%s.ini", cfg->config_dir, ap_env_name(env)) < 0)
        return NULL;
    return path;
}

int config_read_overlay(const ap_config *cfg, ap_config *apply_to,
                        const char *path, char *err, size_t errlen)
{
    overlay_read o = {.cfg = cfg, .apply_to = apply_to, .path = path};
    static const ap_ini_callbacks callbacks = {.section = on_section, .entry = on_entry};
    return ap_ini_parse_file(path, &callbacks, &o, err, errlen);
}

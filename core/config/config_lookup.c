/* config_lookup.c — finding things in a loaded config, and freeing it. */
#include "config.h"

#include "config_internal.h"

#include <stdlib.h>
#include <string.h>

void ap_config_free(ap_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->config_path);
    free(cfg->config_dir);
    free(cfg->listen_host);
    free(cfg->store_path);
    free(cfg->plugin_dir);
    free(cfg->policy_path);
    free(cfg->overlay_path);
    for (size_t i = 0; i < cfg->n_connectors; i++)
        config_connector_clear(&cfg->connectors[i]);
    free(cfg->connectors);
    free(cfg);
}

const ap_connector_config *ap_config_connector(const ap_config *cfg,
                                               const char *name)
{
    for (size_t i = 0; cfg && name && i < cfg->n_connectors; i++)
        if (strcmp(cfg->connectors[i].name, name) == 0)
            return &cfg->connectors[i];
    return NULL;
}

const ap_setting *ap_connector_setting(const ap_connector_config *c,
                                       const char *key)
{
    for (size_t i = 0; c && key && i < c->n_settings; i++)
        if (strcmp(c->settings[i].key, key) == 0)
            return &c->settings[i];
    return NULL;
}

const ap_allowlist *ap_connector_allowlist(const ap_connector_config *c,
                                           const char *object)
{
    for (size_t i = 0; c && object && i < c->n_allowlists; i++)
        if (strcmp(c->allowlists[i].object, object) == 0)
            return &c->allowlists[i];
    return NULL;
}

bool ap_allowlist_has(const ap_allowlist *a, const char *field)
{
    for (size_t i = 0; a && field && i < a->n_fields; i++)
        if (strcmp(a->fields[i], field) == 0)
            return true;
    return false;
}

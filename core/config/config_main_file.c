/* config_main_file.c — reads actionplane.ini itself (config_internal.h). */
#include "config_internal.h"

#include "ini_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum main_section {
    SECTION_SERVER,
    SECTION_STORE,
    SECTION_PLUGINS,
    SECTION_ENVIRONMENT,
    SECTION_POLICY,
    SECTION_CONNECTOR,
    SECTION_COUNT
} main_section;

static const char *const section_names[SECTION_CONNECTOR] = {
    "server", "store", "plugins", "environment", "policy",
};

#define CONNECTOR_PREFIX "connector:"

/* The state of one read of the main file. */
typedef struct main_read {
    ap_config *cfg;
    main_section current;
    int section_line[SECTION_COUNT]; /* header line of each fixed section, 0: absent */
    size_t cap_connectors;
    int *connector_lines; /* parallel to cfg->connectors */
} main_read;

static int out_of_memory(char *msg, size_t msglen)
{
    snprintf(msg, msglen, "out of memory");
    return -1;
}

static int add_connector(main_read *m, const char *name, int line, char *msg,
                         size_t msglen)
{
    ap_config *cfg = m->cfg;
    if (cfg->n_connectors == m->cap_connectors) {
        size_t cap = m->cap_connectors ? m->cap_connectors * 2 : 4;
        ap_connector_config *conns = realloc(cfg->connectors, cap * sizeof *conns);
        if (!conns)
            return out_of_memory(msg, msglen);
        cfg->connectors = conns;
        int *lines = realloc(m->connector_lines, cap * sizeof *lines);
        if (!lines)
            return out_of_memory(msg, msglen);
        m->connector_lines = lines;
        m->cap_connectors = cap;
    }
    ap_connector_config *c = &cfg->connectors[cfg->n_connectors];
    memset(c, 0, sizeof *c);
    c->name = strdup(name);
    if (!c->name)
        return out_of_memory(msg, msglen);
    m->connector_lines[cfg->n_connectors] = line;
    cfg->n_connectors++;
    return 0;
}

static int on_section(void *user, const char *section, int line, char *msg,
                      size_t msglen)
{
    main_read *m = user;
    for (int i = 0; i < SECTION_CONNECTOR; i++) {
        if (strcmp(section, section_names[i]) == 0) {
            m->current = (main_section)i;
            m->section_line[i] = line;
            return 0;
        }
    }
    if (strncmp(section, CONNECTOR_PREFIX, strlen(CONNECTOR_PREFIX)) == 0) {
        const char *name = section + strlen(CONNECTOR_PREFIX);
        if (!config_is_connector_name(name)) {
            snprintf(msg, msglen,
                     "bad connector name '%s' in [%s] (use a-z, 0-9 and -, at most 64)",
                     name, section);
            return -1;
        }
        m->current = SECTION_CONNECTOR;
        return add_connector(m, name, line, msg, msglen);
    }
    snprintf(msg, msglen,
             "unknown section [%s] (expected server, store, plugins, environment, "
             "policy or connector:NAME)", section);
    return -1;
}

static int unknown_key(const char *section, const char *key, const char *expected,
                       char *msg, size_t msglen)
{
    snprintf(msg, msglen, "unknown key '%s' in [%s] (expected: %s)", key, section, expected);
    return -1;
}

/* A path value, resolved against the config folder into *slot. */
static int take_path(main_read *m, const char *section, const char *key,
                     const char *value, char **slot, char *msg, size_t msglen)
{
    if (value[0] == '\0') {
        snprintf(msg, msglen, "[%s] %s is empty", section, key);
        return -1;
    }
    char *path = config_join_path(m->cfg->config_dir, value);
    if (!path)
        return out_of_memory(msg, msglen);
    free(*slot);
    *slot = path;
    return 0;
}

static int take_environment_key(ap_config *cfg, const char *key, const char *value,
                                char *msg, size_t msglen)
{
    if (strcmp(key, "active") == 0) {
        if (!ap_env_parse(value, &cfg->environment)) {
            snprintf(msg, msglen,
                     "[environment] active: unknown environment '%s' "
                     "(expected simulation, sandbox or production)", value);
            return -1;
        }
        return 0;
    }
    if (strcmp(key, "production_enabled") == 0) {
        if (!ap_parse_bool(value, &cfg->production_enabled)) {
            snprintf(msg, msglen,
                     "[environment] production_enabled: '%s' is not a boolean "
                     "(use true/false, yes/no, on/off or 1/0)", value);
            return -1;
        }
        return 0;
    }
    return unknown_key("environment", key, "active, production_enabled", msg, msglen);
}

static int on_entry(void *user, const char *section, const char *key,
                    const char *value, int line, char *msg, size_t msglen)
{
    main_read *m = user;
    ap_config *cfg = m->cfg;
    switch (m->current) {
    case SECTION_SERVER:
        if (strcmp(key, "listen") != 0)
            return unknown_key(section, key, "listen", msg, msglen);
        {
            char *host;
            if (config_parse_listen(value, &host, &cfg->listen_port, msg, msglen) != 0)
                return -1;
            free(cfg->listen_host);
            cfg->listen_host = host;
        }
        return 0;
    case SECTION_STORE:
        if (strcmp(key, "path") != 0)
            return unknown_key(section, key, "path", msg, msglen);
        return take_path(m, section, key, value, &cfg->store_path, msg, msglen);
    case SECTION_PLUGINS:
        if (strcmp(key, "dir") != 0)
            return unknown_key(section, key, "dir", msg, msglen);
        return take_path(m, section, key, value, &cfg->plugin_dir, msg, msglen);
    case SECTION_POLICY:
        if (strcmp(key, "file") != 0)
            return unknown_key(section, key, "file", msg, msglen);
        return take_path(m, section, key, value, &cfg->policy_path, msg, msglen);
    case SECTION_ENVIRONMENT:
        return take_environment_key(cfg, key, value, msg, msglen);
    case SECTION_CONNECTOR:
        return config_connector_entry(&cfg->connectors[cfg->n_connectors - 1], false,
                                      cfg->config_path, key, value, line, msg, msglen);
    case SECTION_COUNT:
        break;
    }
    snprintf(msg, msglen, "internal error: no section");
    return -1;
}

/* A required key the file did not set: reported on its section's header, or
 * on line 0 when the section is missing too. */
static int check_required(const main_read *m, main_section section,
                          const char *key, const char *value, char *err,
                          size_t errlen)
{
    if (value)
        return 0;
    ap_ini_error(err, errlen, m->cfg->config_path, m->section_line[section],
                 "[%s] %s is required", section_names[section], key);
    return -1;
}

int config_read_main(ap_config *cfg, int **connector_lines, char *err,
                     size_t errlen)
{
    main_read m = {.cfg = cfg, .current = SECTION_COUNT};
    static const ap_ini_callbacks callbacks = {.section = on_section, .entry = on_entry};
    *connector_lines = NULL;
    int rc = ap_ini_parse_file(cfg->config_path, &callbacks, &m, err, errlen);
    if (rc == 0) {
        if (check_required(&m, SECTION_STORE, "path", cfg->store_path, err, errlen) != 0 ||
            check_required(&m, SECTION_PLUGINS, "dir", cfg->plugin_dir, err, errlen) != 0 ||
            check_required(&m, SECTION_POLICY, "file", cfg->policy_path, err, errlen) != 0)
            rc = -1;
    }
    if (rc != 0) {
        free(m.connector_lines);
        return -1;
    }
    *connector_lines = m.connector_lines;
    return 0;
}

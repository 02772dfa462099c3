/*
 * config.h — actionplane.ini plus the active environment's overlay, parsed
 * with inih into one validated, immutable struct.
 *
 * Files (paths in them are relative to the folder of the main config file):
 *
 *   [server]      listen = HOST:PORT                 (default 127.0.0.1:8080)
 *   [store]       path = FILE                        (required)
 *   [plugins]     dir = FOLDER                       (required)
 *   [environment] active = simulation|sandbox|production  (default simulation)
 *                 production_enabled = BOOL          (default false)
 *   [policy]      file = FILE                        (required)
 *   [connector:NAME]   (NAME: [a-z0-9-]+, one section per logical connector)
 *                 plugin.simulation = PLUGIN         (plugin file PLUGIN.so)
 *                 plugin.sandbox = PLUGIN
 *                 plugin.production = PLUGIN
 *                 allowedFields.OBJECT = F1, F2, ...  (the write allowlist)
 *                 any other key: a plugin setting, kept with its file:line
 *                 and checked later against the bound plugin's table.
 *
 * The overlay environments/<active>.ini (next to the main file; optional)
 * may contain only [connector:NAME] sections naming connectors of the main
 * file; its keys add to or replace the main file's for that connector
 * (allowedFields.* included, plugin.* not allowed there).
 *
 * Errors: "FILE:LINE: message" (LINE 0 when the problem is not on a line, e.g.
 * a missing required key), for unknown sections and keys, bad values,
 * duplicates within one file, and unreadable files.
 *
 * Details of the implementation (core/config/, docs in config/actionplane.ini):
 *  - The INI dialect is ini_file.h's: `;`/`#` comment lines, inline comments
 *    from a `;` after whitespace (Debian builds inih with them on), no
 *    continuation lines (an indented line is an error), lines of at most 197
 *    characters, each section once per file, each key once per section.
 *  - A required key that is missing is reported on its section's header
 *    line, or line 0 when the section is missing too.
 *  - Every connector must bind a plugin for the active environment (error on
 *    the connector's header line in the main file).
 *  - Override errors read "<override>: message" (they come from no file).
 *  - Paths are joined to the main file's folder as text, not canonicalised
 *    (the store file need not exist yet).
 */
#ifndef AP_CONFIG_H
#define AP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/ap_types.h"

/** One key = value of a connector section, with where it was written. */
typedef struct ap_setting {
    char *key;
    char *value;
    char *file; /**< path as given/resolved, for messages */
    int line;
} ap_setting;

/** A write allowlist for one object type. */
typedef struct ap_allowlist {
    char *object;   /**< e.g. "Opportunity" */
    char **fields;  /**< field API names */
    size_t n_fields;
} ap_allowlist;

/** One logical connector. */
typedef struct ap_connector_config {
    char *name;                   /**< e.g. "salesforce-crm" */
    char *plugin[AP_ENV_COUNT];   /**< plugin name per environment, or NULL */
    ap_setting *settings;         /**< plugin settings, overlay applied */
    size_t n_settings;
    ap_allowlist *allowlists;
    size_t n_allowlists;
} ap_connector_config;

/** The whole validated configuration. Immutable once loaded. */
typedef struct ap_config {
    char *config_path;   /**< the main file as given */
    char *config_dir;    /**< its folder; relative paths resolve here */
    char *listen_host;   /**< e.g. "127.0.0.1"; IPv6 without brackets ("::1") */
    int listen_port;     /**< 0..65535 (0: pick a free port) */
    char *store_path;    /**< resolved */
    char *plugin_dir;    /**< resolved */
    char *policy_path;   /**< resolved */
    char *overlay_path;  /**< resolved overlay path, or NULL if none exists */
    ap_env environment;  /**< the active one, after overrides */
    bool production_enabled;
    ap_connector_config *connectors;
    size_t n_connectors;
} ap_config;

/** Overrides applied after the files are read (NULL: not given). The caller
 *  resolves precedence: --env beats ACTIONPLANE_ENV beats the file. */
typedef struct ap_config_overrides {
    const char *environment; /**< environment name */
    const char *listen;      /**< HOST:PORT */
    const char *store_path;  /**< used as given (relative to the cwd) */
} ap_config_overrides;

/**
 * Loads `path` and the overlay of the active environment. On success returns
 * 0 and *out (free with ap_config_free). On failure returns -1 and writes
 * "FILE:LINE: message" into err (errlen bytes, NUL-terminated).
 */
int ap_config_load(const char *path, const ap_config_overrides *ov,
                   ap_config **out, char *err, size_t errlen);

/**
 * Checks every environment overlay next to the main file (environments/
 * {simulation,sandbox,production}.ini, those that exist) against the overlay
 * rules and the connectors of `cfg`, without applying any: what
 * `--check-config` needs, since ap_config_load reads only the active one.
 * Returns 0, or -1 with "FILE:LINE: message" in err. Plugin settings are
 * not checked here (only the bound plugin knows its table).
 */
int ap_config_check_overlays(const ap_config *cfg, char *err, size_t errlen);

/** Frees a config. NULL is ignored. */
void ap_config_free(ap_config *cfg);

/** The connector named `name`, or NULL. */
const ap_connector_config *ap_config_connector(const ap_config *cfg,
                                               const char *name);

/** The setting `key` of a connector, or NULL. */
const ap_setting *ap_connector_setting(const ap_connector_config *c,
                                       const char *key);

/** The allowlist of `object`, or NULL when the object is not allowlisted. */
const ap_allowlist *ap_connector_allowlist(const ap_connector_config *c,
                                           const char *object);

/** Whether `field` is in the allowlist. */
bool ap_allowlist_has(const ap_allowlist *a, const char *field);

/** Parses a boolean the way config files spell it (true/false, yes/no,
 *  on/off, 1/0). Returns true when `text` is one of them. */
bool ap_parse_bool(const char *text, bool *out);

#endif /* AP_CONFIG_H */

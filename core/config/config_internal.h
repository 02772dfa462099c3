/*
 * config_internal.h — shared by the files of core/config only (not part of
 * the module's interface): value checks, connector-section handling, the two
 * file readers and the destructors.
 *
 * Messages written into `msg` carry no "FILE:LINE: " prefix; the INI layer
 * (ini_file.h) or the caller adds it.
 */
#ifndef AP_CONFIG_INTERNAL_H
#define AP_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* ---- config_values.c: names, values and paths ---------------------------- */

/** Connector names: [a-z0-9-]+, at most 64 characters. */
bool config_is_connector_name(const char *s);

/** Plugin names (the file PLUGIN.so in the plugin folder): [a-z0-9_-]+, at
 *  most 64 characters, so a name can never leave the folder. */
bool config_is_plugin_name(const char *s);

/** Object and field API names: [A-Za-z][A-Za-z0-9_]*, at most 80 characters. */
bool config_is_api_name(const char *s);

/** Plugin setting keys: [A-Za-z][A-Za-z0-9_.-]*, at most 80 characters. */
bool config_is_setting_key(const char *s);

/**
 * Parses HOST:PORT ("127.0.0.1:8080", "localhost:0", "[::1]:8080"; an IPv6
 * host needs the brackets, which are not kept). On success returns 0 with a
 * new string in *host (caller frees) and the port; else -1 and a message.
 */
int config_parse_listen(const char *text, char **host, int *port, char *msg,
                        size_t msglen);

/**
 * Parses the value of `allowedFields.OBJECT` (named `key` in messages): a
 * non-empty comma-separated list of distinct field API names. On success
 * returns 0 and fills out->fields / out->n_fields (out->object untouched;
 * free with config_allowlist_clear); else -1 and a message.
 */
int config_parse_field_list(const char *key, const char *text,
                            ap_allowlist *out, char *msg, size_t msglen);

/** `value` when absolute, else "DIR/value". New string (caller frees), or
 *  NULL when out of memory. */
char *config_join_path(const char *dir, const char *value);

/** The folder part of `path` ("." when it has none). New string or NULL. */
char *config_dirname(const char *path);

/* ---- config_connector.c: one [connector:NAME] section's keys ------------- */

/**
 * Takes one key of a connector section. `c` is the connector to change, or
 * NULL to check the key without keeping it. `in_overlay`: the key comes from
 * an environment overlay (plugin.* refused; settings and allowlists replace
 * the main file's). `file` and `line` are stored with plugin settings.
 * Returns 0, or -1 with a message (or "out of memory").
 */
int config_connector_entry(ap_connector_config *c, bool in_overlay,
                           const char *file, const char *key,
                           const char *value, int line, char *msg,
                           size_t msglen);

/** Frees what `a` owns and zeroes it. */
void config_allowlist_clear(ap_allowlist *a);

/** Frees what `c` owns and zeroes it. */
void config_connector_clear(ap_connector_config *c);

/* ---- config_main_file.c / config_overlay.c ------------------------------ */

/**
 * Reads the main file at cfg->config_path into `cfg` (which holds the
 * defaults and config_dir already). Checks everything the file alone can
 * tell, including required keys. Returns 0, or -1 with "FILE:LINE: message".
 * On success *connector_lines (caller frees) holds the header line of each
 * connector section, for later messages.
 */
int config_read_main(ap_config *cfg, int **connector_lines, char *err,
                     size_t errlen);

/** The overlay file of `env` next to the main file: "DIR/environments/ENV.ini".
 *  New string or NULL when out of memory. */
char *config_overlay_path(const ap_config *cfg, ap_env env);

/**
 * Reads the overlay at `path` against the connectors of `cfg`. `apply_to`
 * is `cfg` itself, to change its connectors, or NULL to only check the
 * file. Returns 0, or -1 with "FILE:LINE: message".
 */
int config_read_overlay(const ap_config *cfg, ap_config *apply_to,
                        const char *path, char *err, size_t errlen);

#endif /* AP_CONFIG_INTERNAL_H */

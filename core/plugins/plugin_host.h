/*
 * plugin_host.h — loads connector plugins and calls them.
 *
 * For each connector of the config, the loader takes the plugin bound to the
 * active environment, checks the file and its folder (regular file, not
 * writable by group or others, nor is the folder), dlopens it with
 * RTLD_NOW | RTLD_LOCAL, resolves ap_plugin_entry, checks the ABI header,
 * checks the connector's settings against the plugin's settings table, and
 * opens one instance. A plugin that fails any step is refused with one log
 * line naming the connector, file and reason; the connector is then listed as
 * unavailable and the host keeps running. Settings errors are config errors:
 * they are returned as "FILE:LINE: message" so the daemon can exit 2.
 *
 * Plugins are never dlclose()d while the process serves (a late call into an
 * unloaded object is a crash with no name on it).
 *
 * Calls are serialised per instance with a mutex unless the plugin declares
 * AP_PLUGIN_THREAD_SAFE. JSON crosses as text; results are parsed here.
 */
#ifndef AP_PLUGIN_HOST_H
#define AP_PLUGIN_HOST_H

#include <actionplane/plugin.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/ap_err.h"
#include "common/ap_log.h"
#include "config/config.h"

typedef struct ap_plugin_host ap_plugin_host;
typedef struct ap_connector ap_connector;

/** The operations a connector can be asked for. */
typedef enum ap_plugin_op {
    AP_OP_VALIDATE = 0,
    AP_OP_SYNC_METADATA,
    AP_OP_PREVIEW,
    AP_OP_EXECUTE,
    AP_OP_ROLLBACK,
    AP_OP_RESET,
    AP_OP_READ_RECORD
} ap_plugin_op;

/** "validate", "preview", ... (static string). */
const char *ap_plugin_op_name(ap_plugin_op op);

/**
 * Loads every connector of `cfg` for its active environment. `data_root` is a
 * folder under which each connector gets a private data folder
 * (`<data_root>/<connector>/`, created 0700). `cfg` must outlive the host.
 * Returns 0 with *out set, even when some plugins were refused (see
 * ap_connector_error). Returns -1 only for config errors in connector
 * settings (err message "FILE:LINE: ...", code "invalid_config") or when out
 * of memory; then *out is NULL.
 */
int ap_plugin_host_load(const ap_config *cfg, const char *data_root,
                        const ap_logger *log, ap_plugin_host **out, ap_err *err);

/** Closes every instance (calls `close`) and frees the host; plugins stay
 *  mapped. NULL is ignored. */
void ap_plugin_host_free(ap_plugin_host *host);

/** Number of configured connectors (loaded or refused). */
size_t ap_plugin_host_count(const ap_plugin_host *host);

/** The i-th connector, in config order. */
ap_connector *ap_plugin_host_at(const ap_plugin_host *host, size_t i);

/** The connector called `name`, or NULL. */
ap_connector *ap_plugin_host_find(const ap_plugin_host *host, const char *name);

/** The connector's logical name (e.g. "salesforce-crm"). */
const char *ap_connector_name(const ap_connector *c);

/** The connector's config section. */
const ap_connector_config *ap_connector_config_of(const ap_connector *c);

/** Name of the plugin bound in the active environment (e.g. "simulation"). */
const char *ap_connector_plugin_name(const ap_connector *c);

/** The plugin's descriptor, or NULL when the plugin was refused. */
const ap_plugin_descriptor *ap_connector_descriptor(const ap_connector *c);

/** Why the plugin was refused ("" when it is ready). */
const char *ap_connector_error(const ap_connector *c);

/** Whether the plugin lists `action`. */
bool ap_connector_has_action(const ap_connector *c, const char *action);

/** Whether the plugin implements `op` (optional ops may be NULL). */
bool ap_connector_supports(const ap_connector *c, ap_plugin_op op);

/** {name, plugin, version, abiVersion, environment, status, error?, actions[],
 *  capabilities[], settings[] (names; secrets never with values)}: a new
 *  reference describing the connector for listings. */
json_t *ap_connector_describe(const ap_connector *c, ap_env env);

/**
 * Calls `op` on the connector with `input` (an object, borrowed). On AP_OK
 * *output is a new reference to the plugin's result object (an empty object
 * if the plugin set none) and err is untouched. On any other status *output
 * is NULL and err carries the plugin's code, message and details (or a
 * generic "connector_error" naming the plugin when it set none); the failure
 * is logged with the connector, plugin name and version. A refused plugin
 * answers AP_ERROR with code "connector_unavailable".
 */
ap_status ap_connector_call(ap_connector *c, ap_plugin_op op, const json_t *input,
                            json_t **output, ap_err *err);

/**
 * Loads `dir/name.so` with the same checks as the loader, without opening an
 * instance, and describes it: {name, file, version, abiVersion, description,
 * threadSafe, actions[], capabilities[], settings[{name, type, required,
 * secret, description}]}. Returns a new reference, or NULL with the reason
 * in `why`. The plugin stays mapped (as everywhere in the host).
 */
json_t *ap_plugin_probe(const char *dir, const char *name, char *why, size_t why_len);

#endif /* AP_PLUGIN_HOST_H */

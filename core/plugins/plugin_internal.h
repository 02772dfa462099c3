/*
 * plugin_internal.h — structures shared by the files of the plugin host.
 * Not for use outside core/plugins/.
 */
#ifndef AP_PLUGIN_INTERNAL_H
#define AP_PLUGIN_INTERNAL_H

#include <pthread.h>

#include "plugin_host.h"

/** One loaded shared object, shared by every connector bound to it. */
typedef struct ap_loaded_plugin {
    char *name;                 /**< e.g. "simulation" */
    char *path;                 /**< resolved file path */
    void *handle;               /**< dlopen handle; never dlclosed */
    ap_plugin_descriptor desc;  /**< copy; bytes past the plugin's size are 0 */
} ap_loaded_plugin;

/** Per-call result sink handed to the plugin as ap_result. */
struct ap_result {
    json_t *payload;   /**< parsed result_json, owned */
    bool has_error;
    char code[64];
    char message[512];
    json_t *details;   /**< parsed error details, owned, may be NULL */
    bool bad_payload;  /**< result_json got something that is not an object */
};

/** The per-instance context handed to the plugin as ap_host_ctx. */
struct ap_host_ctx {
    ap_connector *connector;
};

struct ap_connector {
    const ap_connector_config *cfg;
    const char *plugin_name;       /**< borrowed from cfg */
    ap_loaded_plugin *plugin;      /**< NULL when refused */
    char error[1024];              /**< why refused */
    char *data_dir;                /**< <data_root>/<connector> */
    char **setting_keys;           /**< keys visible through config_get */
    char **setting_values;
    size_t n_settings;
    struct ap_host_ctx ctx;
    void *instance;                /**< from open */
    bool serialise;                /**< !AP_PLUGIN_THREAD_SAFE */
    pthread_mutex_t lock;
    const ap_logger *log;          /**< the host's logger */
};

struct ap_plugin_host {
    ap_logger log;
    ap_connector *connectors;
    size_t n_connectors;
    ap_loaded_plugin **plugins;
    size_t n_plugins;
};

/** The host services table (static, immutable, shared by all plugins). */
const ap_host_services *ap_plugin_services(void);

/**
 * Opens `dir/name.so` after the safety checks, resolves and calls the entry
 * point and checks the ABI. Returns a new ap_loaded_plugin (caller frees with
 * ap_loaded_plugin_free, which does not dlclose) or NULL with `why` filled.
 */
ap_loaded_plugin *ap_plugin_load_file(const char *dir, const char *name,
                                      char *why, size_t why_len);

/** Frees the bookkeeping of a loaded plugin (the mapping stays). */
void ap_loaded_plugin_free(ap_loaded_plugin *p);

/**
 * Checks the connector's settings against the plugin's table: unknown keys,
 * values of the wrong type, missing required settings. Returns 0, or -1 with
 * "FILE:LINE: message" in `msg`.
 */
int ap_plugin_check_settings(const ap_connector_config *cfg,
                             const ap_plugin_descriptor *desc,
                             const char *fallback_file, char *msg, size_t len);

#endif /* AP_PLUGIN_INTERNAL_H */

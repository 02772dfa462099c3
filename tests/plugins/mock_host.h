/*
 * mock_host.h — a fake ActionPlane host for plugin tests (in the spirit of
 * collectd's plugin_mock.c): it dlopens a real plugin .so, hands it a host
 * services table backed by an in-memory settings list, and lets a test call
 * operations and inspect the results, without the daemon.
 *
 * Not thread-safe; one mock_host per test.
 */
#ifndef AP_MOCK_HOST_H
#define AP_MOCK_HOST_H

#include <actionplane/plugin.h>
#include <stddef.h>

typedef struct mock_host mock_host;

/** The outcome of one call: status plus either the JSON payload or the error. */
typedef struct mock_result {
    ap_status status;
    char *json;         /**< success payload (NUL-terminated) or NULL */
    char code[64];      /**< error code, "" on success */
    char message[512];  /**< error message */
    char *details;      /**< error details JSON or NULL */
} mock_result;

/** Loads `so_path` (dlopen RTLD_NOW|RTLD_LOCAL), calls ap_plugin_entry and
 *  checks the ABI header. Returns NULL with a message on stderr on failure. */
mock_host *mock_host_load(const char *so_path);

/** Adds or replaces a setting visible through config_get (copied). */
void mock_host_set(mock_host *h, const char *key, const char *value);

/** Sets the folder returned by data_dir (copied; must exist). */
void mock_host_set_data_dir(mock_host *h, const char *dir);

/** Overrides now_ms (0 restores the real clock). */
void mock_host_set_now(mock_host *h, long long now_ms);

/** The plugin's descriptor. */
const ap_plugin_descriptor *mock_host_descriptor(const mock_host *h);

/** Calls `open`. Returns the status; error text in *res if not AP_OK. */
ap_status mock_host_open(mock_host *h, mock_result *res);

/** Operation selector for mock_host_call. */
typedef enum mock_op {
    MOCK_VALIDATE, MOCK_SYNC_METADATA, MOCK_PREVIEW, MOCK_EXECUTE,
    MOCK_ROLLBACK, MOCK_RESET, MOCK_READ_RECORD
} mock_op;

/** Calls an operation with the NUL-terminated JSON `input` on the opened
 *  instance; fills *res (release with mock_result_clear). */
ap_status mock_host_call(mock_host *h, mock_op op, const char *input, mock_result *res);

/** Frees what a result holds and zeroes it. */
void mock_result_clear(mock_result *res);

/** Last log line the plugin wrote ("" if none), for assertions. */
const char *mock_host_last_log(const mock_host *h);

/** Calls `close` (if opened) and frees the host. Does not dlclose. */
void mock_host_free(mock_host *h);

#endif /* AP_MOCK_HOST_H */

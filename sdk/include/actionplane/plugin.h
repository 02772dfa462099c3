/*
 * actionplane/plugin.h — the ActionPlane connector plugin SDK, ABI version 1.
 *
 * A connector plugin is a shared object (`NAME.so`) that the ActionPlane host
 * (`actionplaned`) loads with dlopen(RTLD_NOW | RTLD_LOCAL) from its configured
 * plugin folder. This header is the whole contract between the two: a third party
 * writes a plugin from this file and sdk/README.md alone.
 *
 * ------------------------------------------------------------------------------
 * How a plugin is found and started
 * ------------------------------------------------------------------------------
 * 1. The plugin exports exactly one symbol, `ap_plugin_entry` (see
 *    AP_PLUGIN_ENTRY_SYMBOL and AP_PLUGIN_EXPORT below). It links no symbol of the
 *    host: everything the host offers reaches it through ap_host_services.
 * 2. The host calls ap_plugin_entry(host) once, right after dlopen. The plugin
 *    returns a pointer to its static, immutable ap_plugin_descriptor.
 * 3. The host checks descriptor->abi (see "Versioning") and refuses the plugin,
 *    with one log line, on a mismatch. A refused plugin is never called again.
 * 4. For each logical connector bound to the plugin (for example
 *    `salesforce-crm` in the sandbox environment) the host calls `open` once to
 *    make an *instance*, then calls operations on that instance, and finally
 *    `close`. The host never dlclose()s a plugin while it is serving.
 *
 * ------------------------------------------------------------------------------
 * Versioning (read before adding anything)
 * ------------------------------------------------------------------------------
 * Both ap_host_services and ap_plugin_descriptor begin with ap_abi_header
 * {abi_major, abi_minor, struct_size}.
 *  - A different abi_major is refused by either side.
 *  - The host refuses a plugin whose abi_minor is newer than its own.
 *  - A plugin must check host->abi.abi_minor (or struct_size) before using a
 *    member that a later minor appended; members are only ever appended at the
 *    end of a struct, never inserted, reordered or removed within a major.
 *  - Each side reads only the first min(own size, other's struct_size) bytes.
 *
 * ABI changelog
 *   1.0  first version: open, validate, sync_metadata, preview, execute,
 *        rollback, reset, read_record, close; settings tables; result sink.
 *
 * ------------------------------------------------------------------------------
 * Memory and ownership rules (they hold for every call in this header)
 * ------------------------------------------------------------------------------
 *  - JSON crosses the boundary as UTF-8 bytes plus a length, never as a parsed
 *    object of some JSON library. Input JSON handed to the plugin is *borrowed*:
 *    valid only for the duration of the call, not NUL-terminated unless stated.
 *  - Results go back through the ap_result sink with host->result_json or
 *    host->result_error: the host copies the bytes before returning, so the
 *    plugin may free or reuse its buffer immediately afterwards.
 *  - Strings the host returns (config values, data_dir) are owned by the host
 *    and stay valid until `close` returns for that instance.
 *  - Everything reached from the descriptor (names, action list, settings
 *    table) is owned by the plugin and must stay valid and unchanged for the
 *    life of the process (use static storage).
 *
 * ------------------------------------------------------------------------------
 * Threading
 * ------------------------------------------------------------------------------
 * The host serialises all calls on one instance (never two operations on the
 * same instance at once) unless the descriptor sets AP_PLUGIN_THREAD_SAFE, in
 * which case operations may run concurrently from several threads. Calls on
 * different instances may always run concurrently, so a plugin keeps its state
 * in the instance, never in mutable globals. `open` and `close` are never called
 * concurrently with any other call on the same instance. ap_host_services
 * functions may be called from any thread.
 *
 * ------------------------------------------------------------------------------
 * Operations and side effects
 * ------------------------------------------------------------------------------
 * validate, sync_metadata, preview and read_record are side-effect free on the
 * external system: they only read. execute, rollback and reset write. The host
 * calls execute and rollback only for a governed run that its policy engine
 * cleared; a plugin must never write on any other path.
 *
 * Every operation returns an ap_status and reports its payload through the
 * `out` sink. On AP_OK the plugin calls host->result_json exactly once (or not
 * at all, meaning an empty object). On any other status it calls
 * host->result_error exactly once; if it forgets, the host reports a generic
 * connector_error naming the plugin.
 */
#ifndef ACTIONPLANE_PLUGIN_H
#define ACTIONPLANE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** ABI major this header describes. Bumped only for incompatible changes. */
#define AP_ABI_MAJOR 1
/** ABI minor this header describes. Bumped when members are appended. */
#define AP_ABI_MINOR 0

/** Name of the one symbol every plugin exports (see ap_plugin_entry_fn). */
#define AP_PLUGIN_ENTRY_SYMBOL "ap_plugin_entry"

/** Marks the entry point as exported even when the plugin is built with
 *  -fvisibility=hidden (recommended: export nothing else). */
#define AP_PLUGIN_EXPORT __attribute__((visibility("default")))

/**
 * Leads both ABI structs. `struct_size` is sizeof() of the whole struct as the
 * side that filled it was compiled; the other side reads no byte beyond it.
 */
typedef struct ap_abi_header {
    uint16_t abi_major;   /**< AP_ABI_MAJOR of the side that filled the struct. */
    uint16_t abi_minor;   /**< AP_ABI_MINOR of the side that filled the struct. */
    uint32_t struct_size; /**< sizeof the filled struct, in bytes. */
} ap_abi_header;

/** Fills an ap_abi_header for a struct of type T with this header's version. */
#define AP_ABI_HEADER_INIT(T) \
    { (uint16_t)AP_ABI_MAJOR, (uint16_t)AP_ABI_MINOR, (uint32_t)sizeof(T) }

/**
 * Outcome of a plugin operation. The host maps each to its HTTP contract:
 * AP_OK success; AP_INVALID the request is wrong (400 invalid_value, no write
 * happened); AP_NOT_FOUND the target does not exist (404); AP_CONFLICT the
 * target changed since preview or since execution (409 conflict, no write
 * happened); AP_RETRY a transient failure where nothing was written and the
 * same call may succeed later (502 connector_error); AP_TIMEOUT the external
 * system did not answer in time (504 connector_timeout; if a write may have
 * been applied, say so in the error details); AP_UNSUPPORTED the plugin does
 * not implement the operation or action; AP_ERROR any other failure (502).
 * Values are stable: new ones are only appended.
 */
typedef enum ap_status {
    AP_OK = 0,
    AP_ERROR = 1,
    AP_INVALID = 2,
    AP_NOT_FOUND = 3,
    AP_CONFLICT = 4,
    AP_RETRY = 5,
    AP_TIMEOUT = 6,
    AP_UNSUPPORTED = 7
} ap_status;

/** Severity for host->log. */
typedef enum ap_log_level {
    AP_LOG_DEBUG = 0,
    AP_LOG_INFO = 1,
    AP_LOG_WARN = 2,
    AP_LOG_ERROR = 3
} ap_log_level;

/** Opaque per-instance handle of the host. The plugin passes it back to the
 *  host services; it must not dereference it. Valid from `open` until `close`
 *  returns. */
typedef struct ap_host_ctx ap_host_ctx;

/** Opaque result sink of one operation call, owned by the host, valid only
 *  during that call. Filled with host->result_json or host->result_error. */
typedef struct ap_result ap_result;

/**
 * The services the host offers a plugin (the plugin's only way to reach the
 * host). The table is owned by the host, immutable, and valid for the life of
 * the process; the plugin may keep the pointer it received in ap_plugin_entry.
 */
typedef struct ap_host_services {
    ap_abi_header abi; /**< The host's ABI version and sizeof this struct. */

    /** Writes one log line attributed to the instance's connector and plugin
     *  (the host adds both names and the plugin version). `message` is a
     *  NUL-terminated string, borrowed for the call. Never log a secret. */
    void (*log)(ap_host_ctx *ctx, ap_log_level level, const char *message);

    /** Looks up one setting of the instance's connector in the active
     *  environment (from the config files, as declared in the plugin's
     *  settings table). Returns a NUL-terminated string owned by the host,
     *  valid until `close` returns, or NULL when the setting is not set. */
    const char *(*config_get)(ap_host_ctx *ctx, const char *key);

    /** Wall-clock time in milliseconds since the Unix epoch. Plugins use it
     *  (not time()) so tests can control the clock. */
    int64_t (*now_ms)(ap_host_ctx *ctx);

    /** Allocation functions the plugin should use for memory it hands back
     *  to itself across calls; they behave as malloc/realloc/free. Memory
     *  from them is never passed to the host (the host copies results). */
    void *(*mem_alloc)(size_t size);
    void *(*mem_realloc)(void *ptr, size_t size);
    void (*mem_free)(void *ptr);

    /** Sets the success payload of an operation: `len` bytes of UTF-8 JSON
     *  (an object) at `json`, copied by the host before it returns. Returns
     *  0, or -1 if the bytes are not a JSON object or memory ran out (the
     *  host then reports connector_error for the call). */
    int (*result_json)(ap_result *out, const char *json, size_t len);

    /** Sets the error of an operation. `code` is a snake_case token (for
     *  example "conflict", "invalid_value", "connector_error"), `message` one
     *  human sentence, both NUL-terminated and copied. `details_json` is an
     *  optional JSON object of `details_len` bytes (NULL/0 for none) that the
     *  host attaches verbatim as error.details (for example the external
     *  system's own error array wrapped in an object). Never include a
     *  secret. Returns 0, or -1 on bad arguments or memory exhaustion. */
    int (*result_error)(ap_result *out, const char *code, const char *message,
                        const char *details_json, size_t details_len);

    /** A folder the instance may keep private files in (for example its own
     *  SQLite file), NUL-terminated, owned by the host, valid until `close`
     *  returns. It exists and is writable only by the daemon's user. */
    const char *(*data_dir)(ap_host_ctx *ctx);
} ap_host_services;

/** Type of one plugin setting, used by the host to validate config values. */
typedef enum ap_setting_type {
    AP_SETTING_STRING = 0,  /**< any text */
    AP_SETTING_BOOL = 1,    /**< true/false/yes/no/on/off/1/0 */
    AP_SETTING_INT = 2,     /**< a base-10 integer */
    AP_SETTING_URL = 3,     /**< an http:// or https:// URL */
    AP_SETTING_PATH = 4,    /**< a file system path */
    AP_SETTING_LIST = 5     /**< a comma-separated list of tokens */
} ap_setting_type;

/** AP_SETTING flag: the value is a secret. The host never logs or returns it
 *  and prints it as "***" wherever it shows settings. */
#define AP_SETTING_SECRET 0x1u
/** AP_SETTING flag: the plugin cannot work without it (checked at load). */
#define AP_SETTING_REQUIRED 0x2u
/** AP_SETTING flag: `name` is a prefix: every key that starts with it and
 *  has at least one more character is accepted. Include the separator in
 *  the name (the entry "allowedFields." accepts "allowedFields.Opportunity"). */
#define AP_SETTING_PREFIX 0x4u

/**
 * One setting the plugin accepts in its connector's config section. The host
 * refuses (file:line: message) any key in `[connector:NAME]` that is neither a
 * host key nor in this table, and any value that does not parse as `type`.
 */
typedef struct ap_setting_spec {
    const char *name;        /**< key as written in the INI file */
    ap_setting_type type;    /**< how the host validates the value */
    uint32_t flags;          /**< AP_SETTING_* bits */
    const char *description; /**< one line, shown by `--list-plugins` */
} ap_setting_spec;

/** Descriptor flag: operations on one instance may run concurrently. */
#define AP_PLUGIN_THREAD_SAFE 0x1u

/**
 * The plugin's self-description and operation table, returned by
 * ap_plugin_entry. Owned by the plugin, static and immutable. Every function
 * pointer must be non-NULL except where it says optional; an optional NULL
 * operation is reported to callers as AP_UNSUPPORTED.
 *
 * All operations except open/close share one shape:
 *     ap_status op(void *instance, const char *input, size_t input_len,
 *                  ap_result *out);
 * `input` is a borrowed JSON object (input_len bytes, not NUL-terminated)
 * whose members are documented per operation below. Every input carries
 * "workspace" (the tenant the call acts for: a plugin that keeps records
 * keeps them per workspace) and "environment" ("simulation", "sandbox" or
 * "production").
 */
typedef struct ap_plugin_descriptor {
    ap_abi_header abi; /**< AP_ABI_HEADER_INIT(ap_plugin_descriptor) */

    const char *name;        /**< plugin name, e.g. "salesforce"; [a-z0-9_-] */
    const char *version;     /**< plugin version, semantic, e.g. "1.2.0" */
    const char *description; /**< one line for operators */
    uint32_t flags;          /**< AP_PLUGIN_* bits */

    /** NULL-terminated list of the actions the plugin performs, e.g.
     *  "salesforce.update-opportunity". The host refuses runs for others. */
    const char *const *actions;

    /** NULL-terminated list of capability tokens for `GET /api/connectors`,
     *  e.g. "preview", "rollback", "reset", "seeded-records". */
    const char *const *capabilities;

    /** Settings table, terminated by an entry whose name is NULL. */
    const ap_setting_spec *settings;

    /**
     * Makes an instance for one connector. `ctx` identifies the instance to
     * the host services (keep it). Reads its settings through
     * host->config_get. On success stores the instance in *instance_out and
     * returns AP_OK; otherwise fills `err` via host->result_error (e.g. code
     * "invalid_config") and returns a non-OK status, and the host refuses the
     * connector. Must not contact the external system (that is `validate`).
     */
    ap_status (*open)(ap_host_ctx *ctx, void **instance_out, ap_result *err);

    /**
     * Side-effect free. Checks that the instance can reach and authenticate
     * to the external system. Input: {workspace, environment}. Output: a short
     * report object, e.g. {"ok": true, "checks": [{"name","ok","detail"}]}.
     */
    ap_status (*validate)(void *instance, const char *input, size_t input_len,
                          ap_result *out);

    /**
     * Side-effect free on the external system. Refreshes the instance's view
     * of object and field metadata for the allowlisted fields. Input:
     * {workspace, environment}. Output: {"objects": {NAME: {"fields": {FIELD:
     * {"type","updateable","nillable","length","picklistValues":[...]}}}},
     * "problems": [ "...", ... ]}.
     */
    ap_status (*sync_metadata)(void *instance, const char *input,
                               size_t input_len, ap_result *out);

    /**
     * Side-effect free. Computes what a change would do.
     * Input: {workspace, environment, action, target: {object, id | name},
     *         changes: {FIELD: value, ...}}
     * Output: {target: {object, id, name}, current: {FIELD: value} (the
     *         present values of the changed fields), diff: [{field, before,
     *         after}] (only fields whose value would change, in the order of
     *         `changes`), version: "<opaque token of the record version seen>",
     *         rollbackPlan: {...} (whatever execute/rollback need later, at
     *         least {strategy, restore: {FIELD: prior value}}), rollbackReady:
     *         true|false, warnings: [...]}
     * Errors: AP_INVALID (code "invalid_value", details name the field) for a
     * value the target would refuse; AP_NOT_FOUND for a missing record or a
     * name matching none; AP_INVALID with code "ambiguous_target" for a name
     * matching several records.
     */
    ap_status (*preview)(void *instance, const char *input, size_t input_len,
                         ap_result *out);

    /**
     * Writes the change. Called only for an approved run.
     * Input: {workspace, environment, runId, action, target: {object, id},
     *         changes: {FIELD: value} (only the fields in the preview diff),
     *         expected: {FIELD: value} (the preview's `current`),
     *         version: "<preview's version>", rollbackPlan: {...}}
     * The plugin must re-check that `expected` still holds and return
     * AP_CONFLICT (code "conflict", details {fields: [{field, expected,
     * actual}]}) without writing if not.
     * Output: {written: {FIELD: value}, observed: {FIELD: value} (read back
     *         after the write, may include fields automation changed),
     *         automationChanges: {FIELD: {before, after}}, version: "...",
     *         rollbackPlan: {...} (final plan, replaces the preview's)}
     */
    ap_status (*execute)(void *instance, const char *input, size_t input_len,
                         ap_result *out);

    /**
     * Compensating write that restores the values before execute.
     * Input: {workspace, environment, runId, target: {object, id},
     *         rollbackPlan: {...} (as returned by execute), written:
     *         {FIELD: value} (what execute wrote), force: false|true,
     *         forceReason: "..." (only when force)}
     * Unless `force` is true, the plugin must check that every field in
     * `written` still holds the written value and otherwise return AP_CONFLICT
     * (code "conflict", details {fields: [{field, before, written, now}]})
     * without writing. A refusal by the external system is AP_ERROR with code
     * "rollback_failed" and the system's own message in details.
     * Output: {restored: {FIELD: value}, observed: {FIELD: value}, version}
     */
    ap_status (*rollback)(void *instance, const char *input, size_t input_len,
                          ap_result *out);

    /**
     * Optional (NULL when the plugin has nothing to reset). Restores the
     * workspace's seeded state; only ever called in the simulation
     * environment. Input: {workspace, environment}. Output: {records: N}.
     */
    ap_status (*reset)(void *instance, const char *input, size_t input_len,
                       ap_result *out);

    /**
     * Side-effect free. Reads one record.
     * Input: {workspace, environment, object, id, fields: [...] (optional:
     *         default all fields the plugin manages)}
     * Output: {object, id, fields: {FIELD: value, ...}, version: "..."}
     */
    ap_status (*read_record)(void *instance, const char *input,
                             size_t input_len, ap_result *out);

    /** Releases the instance and everything it owns. Called once; no other
     *  call on the instance is in flight or follows. May be NULL. */
    void (*close)(void *instance);
} ap_plugin_descriptor;

/**
 * The entry point, exported by every plugin under the name "ap_plugin_entry":
 *
 *     AP_PLUGIN_EXPORT const ap_plugin_descriptor *
 *     ap_plugin_entry(const ap_host_services *host);
 *
 * `host` stays valid for the life of the process; keep it to call services.
 * Return NULL if the host is unusable (for example host->abi.abi_major !=
 * AP_ABI_MAJOR); the host then refuses the plugin. Must not allocate
 * resources or start threads: that belongs in `open`.
 */
typedef const ap_plugin_descriptor *(*ap_plugin_entry_fn)(
    const ap_host_services *host);

#ifdef __cplusplus
}
#endif

#endif /* ACTIONPLANE_PLUGIN_H */

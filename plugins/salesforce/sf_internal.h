/*
 * sf_internal.h — the private interfaces between the files of salesforce.so.
 *
 * Layers, each file one job, calls only go downwards:
 *
 *   sf_plugin.c      descriptor, entry point, open/close          (the ABI face)
 *   sf_ops_*.c       the operations: validate, sync_metadata, preview, execute, rollback, read_record
 *   sf_write.c       one guarded write: Composite PATCH + read-back, and settling an unknown outcome
 *   sf_record.c      reading records (by id, by name through SOQL) and comparing values
 *   sf_metadata.c    describe -> the allowlisted fields' metadata;  sf_validate.c: values against it
 *   sf_client.c      one authenticated REST call: token, re-auth once, retries with backoff
 *   sf_auth.c        the OAuth token grants and the in-memory token
 *   sf_http.c        one reused curl easy handle: TLS, timeouts, the raw exchange
 *   sf_settings.c    the connector settings;  sf_errors.c: errors and Salesforce error mapping
 *   sf_util.c        small helpers (strings with the host allocator, dates, ids)
 *
 * Memory: what the instance keeps across calls (settings, token) is allocated with the host's mem_*
 * functions; jansson trees (the synced metadata, per-call JSON) use jansson's allocator. Secrets (client
 * secret, refresh token, access token) are wiped before they are freed and never reach a result, an
 * error or a log line.
 */
#ifndef SF_INTERNAL_H
#define SF_INTERNAL_H

#include <actionplane/plugin.h>

#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SF_PLUGIN_NAME "salesforce"
#define SF_PLUGIN_VERSION "1.0.0"
#define SF_ACTION_UPDATE_OPPORTUNITY "salesforce.update-opportunity"
#define SF_OBJECT_OPPORTUNITY "Opportunity"

/* ------------------------------------------------------------------------------------------------------ */
/* sf_errors.c: the error an operation reports, and how Salesforce's answers map onto it                  */
/* ------------------------------------------------------------------------------------------------------ */

/** The error of one operation, emitted once through host->result_error. Zero-initialise before use. */
typedef struct sf_error {
    ap_status status;        /**< AP_OK while no error is set */
    char code[48];           /**< snake_case host code, e.g. "conflict" */
    char message[512];       /**< one sentence, never a secret */
    json_t *details;         /**< owned object or NULL */
    bool write_outcome_unknown; /**< a write was sent and its outcome is unknown (timeout, lost answer) */
} sf_error;

/** Sets status, code and a printf-style message; replaces an earlier error and its details. */
void sf_error_set(sf_error *e, ap_status status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** Attaches `details` (an object; the error takes the reference) to the error already set. */
void sf_error_details(sf_error *e, json_t *details);

/** Adds key = value (reference taken) to the details object, creating it if needed. */
void sf_error_detail(sf_error *e, const char *key, json_t *value);

/** Frees the details and empties the error. */
void sf_error_clear(sf_error *e);

/** The first `errorCode` of a Salesforce error array (`[{"message","errorCode","fields"}]`), or "". */
const char *sf_errors_first_code(const json_t *body);

/** The first `message` of a Salesforce error array, or "". */
const char *sf_errors_first_message(const json_t *body);

/**
 * Maps a failed Salesforce answer (HTTP status + parsed body, may be NULL) of the request `what`
 * (e.g. "GET Opportunity 006...") onto `e`: the status/code table is in docs/salesforce.md. The body
 * (an error array, kept whole) goes to details.errors, the status to details.httpStatus.
 * `for_rollback` turns a refusal of the write into AP_ERROR "rollback_failed".
 */
void sf_errors_from_answer(sf_error *e, long http_status, const json_t *body, const char *what,
                           bool for_rollback);

/** How an answer may be retried. */
typedef enum sf_retry_kind {
    SF_RETRY_NO = 0,     /**< final: hand the answer to the caller */
    SF_RETRY_BACKOFF,    /**< transient: 503, UNABLE_TO_LOCK_ROW, connection not made */
    SF_RETRY_LONG        /**< a concurrency limit: 429 or REQUEST_LIMIT_EXCEEDED (concurrent) */
} sf_retry_kind;

/**
 * Whether an answer may be retried. `writes` says the request writes (PATCH, Composite with a PATCH):
 * it is then retried only when Salesforce guarantees nothing was written (503, UNABLE_TO_LOCK_ROW,
 * including inside an allOrNone Composite answer). Pure function.
 */
sf_retry_kind sf_errors_retry_kind(long http_status, const json_t *body, bool writes);

/* ------------------------------------------------------------------------------------------------------ */
/* sf_settings.c                                                                                          */
/* ------------------------------------------------------------------------------------------------------ */

#define SF_MAX_FIELDS 64

/** The write allowlist of one object, from the host's `allowedFields.OBJECT` setting. */
typedef struct sf_allowlist {
    char *object;                /**< e.g. "Opportunity" (host-allocated) */
    char *fields[SF_MAX_FIELDS]; /**< field API names (host-allocated) */
    size_t n_fields;
} sf_allowlist;

/** The objects this plugin knows how to manage, NULL-terminated (only Opportunity today). */
extern const char *const sf_managed_objects[];

/** The validated connector settings of one instance (strings host-allocated, owned here). */
typedef struct sf_settings {
    char *login_url;      /**< scheme://host[:port], no trailing slash */
    char *client_id;
    char *client_secret;  /**< secret; NULL when not set */
    char *refresh_token;  /**< secret; NULL when not set (then client_credentials is used) */
    char api_version[16]; /**< e.g. "66.0" */
    int is_sandbox;       /**< -1 not set, 0 false, 1 true */
    char *ca_bundle;      /**< PEM file of trusted CAs, NULL for the system store */
    bool allow_insecure_http;
    long connect_timeout_ms;
    long timeout_ms;
    int max_retries;      /**< retries after the first attempt, for retry-safe failures */
    sf_allowlist allowlists[4];
    size_t n_allowlists;
} sf_settings;

/**
 * Reads and checks every setting through host->config_get (secrets fall back to the environment
 * variables ACTIONPLANE_SALESFORCE_CLIENT_SECRET / ACTIONPLANE_SALESFORCE_REFRESH_TOKEN). Returns
 * AP_OK, or AP_INVALID with code "invalid_config" in `err` (never quoting a secret). On failure
 * whatever was read is released.
 */
ap_status sf_settings_load(const ap_host_services *host, ap_host_ctx *ctx, sf_settings *s, sf_error *err);

/** Releases the settings (wiping the secrets). Safe on a zeroed struct. */
void sf_settings_free(const ap_host_services *host, sf_settings *s);

/** The allowlist of `object`, or NULL when the object is not allowlisted. */
const sf_allowlist *sf_settings_allowlist(const sf_settings *s, const char *object);

/** Whether `field` is allowlisted for `object`. */
bool sf_settings_allows(const sf_settings *s, const char *object, const char *field);

/* ------------------------------------------------------------------------------------------------------ */
/* sf_http.c: one reused curl easy handle per instance                                                    */
/* ------------------------------------------------------------------------------------------------------ */

/** What happened to one HTTP exchange at the transport level. */
typedef enum sf_transport {
    SF_TRANSPORT_OK = 0,  /**< an HTTP answer arrived (any status) */
    SF_TRANSPORT_NOT_SENT,/**< failed before the request left: retrying cannot duplicate anything */
    SF_TRANSPORT_TIMEOUT, /**< no (complete) answer in time: the request may have been processed */
    SF_TRANSPORT_LOST,    /**< sent, then the connection broke: the outcome is unknown */
    SF_TRANSPORT_TLS,     /**< the server's certificate did not verify: never retried */
    SF_TRANSPORT_ERROR    /**< anything else (refused scheme, bad URL, out of memory, answer too large) */
} sf_transport;

/** One request. Every pointer is borrowed for the call. */
typedef struct sf_http_request {
    const char *method;              /**< "GET", "POST", "PATCH" */
    const char *url;                 /**< absolute URL */
    const char *bearer;              /**< access token for Authorization, or NULL */
    const char *content_type;        /**< for the body, or NULL */
    const char *body;                /**< request body or NULL */
    size_t body_len;
    const char *if_unmodified_since; /**< HTTP date, or NULL */
    bool fresh_connection;           /**< open a new connection: set for writes, because curl silently
                                          re-sends a request whose reused connection died before any
                                          answer byte, which must never happen to a write */
} sf_http_request;

/** One answer. `body` is malloc'd and NUL-terminated (free with sf_http_response_free). */
typedef struct sf_http_response {
    sf_transport transport;
    long status;              /**< HTTP status when transport == SF_TRANSPORT_OK */
    char *body;
    size_t body_len;
    char limit_info[96];      /**< Sforce-Limit-Info value, "" if absent */
    long retry_after_s;       /**< Retry-After in seconds, -1 if absent */
    char detail[256];         /**< transport failure text (curl's), "" on success */
} sf_http_response;

/** The transport of one instance: a curl easy handle reused for every request (keep-alive). */
typedef struct sf_http {
    CURL *curl;
    const sf_settings *settings; /**< borrowed from the instance */
} sf_http;

/** Makes the handle. Returns 0, or -1 with `err` set (out of memory). No network I/O. */
int sf_http_init(sf_http *h, const sf_settings *settings, sf_error *err);

/** Releases the handle (and its connections). Safe on a zeroed struct. */
void sf_http_cleanup(sf_http *h);

/**
 * Performs one exchange with TLS verification always on, the configured CA bundle, connect and total
 * timeouts, and only https:// allowed (http:// too when allowInsecureHttp is set). Never follows
 * redirects. Fills *resp (release with sf_http_response_free) and returns resp->transport.
 */
sf_transport sf_http_perform(sf_http *h, const sf_http_request *req, sf_http_response *resp);

/** Frees the body and zeroes the response. */
void sf_http_response_free(sf_http_response *resp);

/** Percent-encodes `text` for a URL query or a form (curl_free the result); NULL on failure. */
char *sf_http_escape(sf_http *h, const char *text);

/* ------------------------------------------------------------------------------------------------------ */
/* the instance                                                                                           */
/* ------------------------------------------------------------------------------------------------------ */

/** The token of the last successful grant, kept in memory only. */
typedef struct sf_token {
    char *access_token; /**< secret (host-allocated), NULL when no token is held */
    char *instance_url; /**< base of every data call */
    char *identity_url; /**< the token's `id` URL */
    char org_id[24];
    char user_id[24];
} sf_token;

/** Counters of one operation call, reported in its output (reset when the operation starts). */
typedef struct sf_stats {
    unsigned requests;       /**< data API requests, retries and re-sent calls included, describe excluded */
    unsigned metadata_requests; /**< describe calls (a preview syncs metadata on first need) */
    unsigned token_requests; /**< calls to the token endpoint */
    unsigned retries;        /**< requests repeated after a retry-safe failure */
    unsigned reauths;        /**< new tokens fetched after 401 INVALID_SESSION_ID */
    char limit_info[96];     /**< the last Sforce-Limit-Info seen */
} sf_stats;

/** One connector instance. Calls on it are serialised by the host (the descriptor is not THREAD_SAFE). */
typedef struct sf_instance {
    const ap_host_services *host;
    ap_host_ctx *ctx;
    sf_settings settings;
    sf_http http;
    sf_token token;
    json_t *metadata; /**< last sync: the sync_metadata output shape, or NULL before the first sync */
    sf_stats stats;
} sf_instance;

/** Writes one log line through the host (printf-style). Never pass a secret. */
void sf_log(sf_instance *in, ap_log_level level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ------------------------------------------------------------------------------------------------------ */
/* sf_auth.c                                                                                              */
/* ------------------------------------------------------------------------------------------------------ */

/** Gets a token if none is held (refresh_token grant when a refresh token is set, else
 *  client_credentials). Token endpoint errors reach `err` verbatim ({"error","error_description"}). */
ap_status sf_auth_ensure(sf_instance *in, sf_error *err);

/** Drops the held token (wiping it) so the next sf_auth_ensure fetches a new one. */
void sf_auth_forget(sf_instance *in);

/** The grant the instance uses: "refresh_token" or "client_credentials". */
const char *sf_auth_grant_name(const sf_instance *in);

/* ------------------------------------------------------------------------------------------------------ */
/* sf_client.c: one authenticated REST call                                                               */
/* ------------------------------------------------------------------------------------------------------ */

/** A data call. Borrowed pointers. */
typedef struct sf_call {
    const char *method;              /**< "GET", "POST", "PATCH" */
    const char *path;                /**< "/services/data/..." (joined to instance_url) or an absolute URL */
    const json_t *body;              /**< JSON body or NULL */
    bool writes;                     /**< the call may write: retried only where nothing can have applied */
    bool auth;                       /**< send the bearer token (false only for the versions list) */
    bool metadata;                   /**< count in stats.metadata_requests instead of stats.requests */
    const char *if_unmodified_since; /**< HTTP date or NULL */
    const char *what;                /**< short label for messages, e.g. "GET Opportunity 006..." */
} sf_call;

/** A final answer: status and parsed body (NULL when empty). Release with sf_reply_free. */
typedef struct sf_reply {
    long status;
    json_t *json;
} sf_reply;

/**
 * Sends one call: ensures a token, re-authenticates once on 401 INVALID_SESSION_ID and re-sends
 * once, retries retry-safe failures with capped exponential backoff and jitter (sf_errors_retry_kind).
 * Returns AP_OK with any final HTTP answer in *reply (the caller judges its status), or an error:
 * AP_TIMEOUT "connector_timeout", AP_RETRY "connector_error" (transient, retries exhausted),
 * AP_ERROR "connector_error" (TLS, malformed JSON, auth). For a write whose outcome is unknown it
 * sets err->write_outcome_unknown. Counts every request in in->stats.
 */
ap_status sf_client_call(sf_instance *in, const sf_call *call, sf_reply *reply, sf_error *err);

/** Maps a transport failure of the request `what` onto `err` (AP_TIMEOUT "connector_timeout",
 *  AP_RETRY or AP_ERROR "connector_error"; TLS failures name caBundle) and returns its status. For a
 *  write (`writes`) whose request left, sets err->write_outcome_unknown. */
ap_status sf_client_transport_error(const sf_instance *in, const char *what, bool writes, sf_transport t,
                                    const char *detail, sf_error *err);

/** Releases the reply's JSON. */
void sf_reply_free(sf_reply *reply);

/**
 * Decides and waits before retry number attempt+1 of `what` (failed because of `why`). Returns false,
 * without waiting, when settings.max_retries retries are spent or Retry-After asks for longer than the
 * cap; otherwise logs, sleeps a capped exponential backoff with jitter (at least Retry-After) and
 * returns true. SF_RETRY_LONG waits start longer (a concurrency limit clears in seconds, not ms).
 */
bool sf_client_backoff(sf_instance *in, int attempt, sf_retry_kind kind, long retry_after_s, const char *what,
                       const char *why);

/** "/services/data/vXX.X" + suffix, malloc'd (free()). NULL when out of memory. */
char *sf_client_data_path(const sf_instance *in, const char *suffix_fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------------------------------------------------ */
/* sf_metadata.c and sf_validate.c                                                                        */
/* ------------------------------------------------------------------------------------------------------ */

/**
 * Describes every allowlisted object and keeps, for each allowlisted field, its type, updateable,
 * nillable, length, precision, scale and picklist values (active and inactive), replacing
 * in->metadata. Allowlisted fields that do not exist or are not updateable are listed in "problems".
 */
ap_status sf_metadata_sync(sf_instance *in, sf_error *err);

/** Syncs only if nothing is synced yet. `*synced_now` says whether it had to. */
ap_status sf_metadata_ensure(sf_instance *in, bool *synced_now, sf_error *err);

/** The synced metadata of `field` on `object` (borrowed), or NULL when absent in the org. */
const json_t *sf_metadata_field(const sf_instance *in, const char *object, const char *field);

/** The fields Salesforce automation commonly changes beside a write on `object` (Probability, ...),
 *  restricted to those the org describes as readable, minus those in `except` (an object or array).
 *  New array reference. */
json_t *sf_metadata_watch_fields(const sf_instance *in, const char *object, const json_t *except);

/**
 * Checks every value of `changes` against the synced metadata of `object`: the field exists and is
 * updateable, type (number/date/boolean/text), picklist membership (active values), text length,
 * currency precision/scale, nillable. Returns AP_OK, or AP_INVALID "invalid_value" with details
 * {fields: [{field, value, reason[, allowed]}]} naming every refused field.
 */
ap_status sf_validate_changes(const sf_instance *in, const char *object, const json_t *changes, sf_error *err);

/** Whether a prior value can be written back (for rollbackReady); a reason when not. */
bool sf_validate_restorable(const sf_instance *in, const char *object, const char *field, const json_t *value,
                            char *reason, size_t reason_len);

/* ------------------------------------------------------------------------------------------------------ */
/* sf_record.c                                                                                            */
/* ------------------------------------------------------------------------------------------------------ */

/** Reads fields `names` (array of strings) of record `id`, plus LastModifiedDate and SystemModstamp.
 *  404 -> AP_NOT_FOUND. On AP_OK *record is a new reference to the answer object. */
ap_status sf_record_get(sf_instance *in, const char *object, const char *id, const json_t *names,
                        json_t **record, sf_error *err);

/** Finds the one record of `object` whose Name equals `name` (SOQL, case-insensitive, escaped) and
 *  reads `names` with it. 0 matches -> AP_NOT_FOUND; several -> AP_INVALID "ambiguous_target". */
ap_status sf_record_find_by_name(sf_instance *in, const char *object, const char *name, const json_t *names,
                                 json_t **record, sf_error *err);

/** The data path of record `id` with ?fields= `names` plus the version fields (malloc'd), for a GET
 *  inside a Composite call. NULL when a name is not an API name or memory ran out. */
char *sf_record_path(const sf_instance *in, const char *object, const char *id, const json_t *names);

/** Value equality as Salesforce means it: numbers compare numerically (148000 == 148000.0). */
bool sf_values_equal(const json_t *a, const json_t *b);

/** A new object with the members `names` (array) of `record` (missing ones as null). */
json_t *sf_record_pick(const json_t *record, const json_t *names);

/** The record's version token (its LastModifiedDate), borrowed, or NULL. */
const char *sf_record_version(const json_t *record);

/* ------------------------------------------------------------------------------------------------------ */
/* sf_write.c: one guarded write                                                                          */
/* ------------------------------------------------------------------------------------------------------ */

/** The outcome of sf_write_guarded. All references owned; release with sf_write_result_free. */
typedef struct sf_write_result {
    json_t *observed;     /**< the record read back after the write (fields + version) */
    bool settled_by_read; /**< the answer was lost and a separate read showed the write applied */
} sf_write_result;

/**
 * Writes `values` to the record in one Composite call (allOrNone): PATCH with If-Unmodified-Since
 * `version` (a Salesforce datetime), then GET `read_names` back. A 412 is AP_CONFLICT "conflict"
 * (nothing written); a refusal is mapped by sf_errors_from_answer (`for_rollback` as there). When
 * the answer is lost, late, garbled or a gateway's 502/504, the write is never re-sent: the record is
 * read once to settle whether it applied; if it did, the call succeeds with settled_by_read, otherwise
 * the error says the write was not seen (details.writeOutcome, details.observedAfter).
 */
ap_status sf_write_guarded(sf_instance *in, const char *object, const char *id, const json_t *values,
                           const char *version, const json_t *read_names, bool for_rollback,
                           sf_write_result *res, sf_error *err);

void sf_write_result_free(sf_write_result *res);

/* ------------------------------------------------------------------------------------------------------ */
/* sf_ops_*.c: the operations (signatures of ap_plugin_descriptor)                                        */
/* ------------------------------------------------------------------------------------------------------ */

ap_status sf_op_validate(void *instance, const char *input, size_t input_len, ap_result *out);
ap_status sf_op_sync_metadata(void *instance, const char *input, size_t input_len, ap_result *out);
ap_status sf_op_preview(void *instance, const char *input, size_t input_len, ap_result *out);
ap_status sf_op_execute(void *instance, const char *input, size_t input_len, ap_result *out);
ap_status sf_op_rollback(void *instance, const char *input, size_t input_len, ap_result *out);
ap_status sf_op_read_record(void *instance, const char *input, size_t input_len, ap_result *out);

/* sf_ops_common.c: what every operation does at its start and end */

/** Parses the operation input (must be a JSON object) and resets in->stats. NULL with err set. */
json_t *sf_ops_begin(sf_instance *in, const char *input, size_t input_len, sf_error *err);

/**
 * Reports the outcome through the host exactly once: on AP_OK `result` (stolen; NULL is reported as
 * an error: it means building the result failed) gets
 * "requests", "tokenRequests", "apiUsage" added and goes to result_json; otherwise `err` goes to
 * result_error (with the same counters in its details). Frees `input`. Returns the status reported.
 */
ap_status sf_ops_finish(sf_instance *in, ap_result *out, ap_status status, json_t *input, json_t *result,
                        sf_error *err);

/** The string member `key` of `obj`, or NULL (also when not a string). */
const char *sf_json_str(const json_t *obj, const char *key);

/** Checks a target {object, id} for a write: supported object, valid id (normalised to 18 characters
 *  into id_out). AP_INVALID "invalid_request" otherwise. */
ap_status sf_ops_target(const sf_instance *in, const json_t *input, const char **object, char id_out[19],
                        sf_error *err);

/** Checks that `fields` is an object (non-empty unless `allow_empty`) whose every key is a valid API name
 *  allowlisted for `object`. AP_INVALID "invalid_request" / "field_not_allowed" otherwise. */
ap_status sf_ops_check_allowed(const sf_instance *in, const char *object, const json_t *fields, bool allow_empty,
                               sf_error *err);

/* ------------------------------------------------------------------------------------------------------ */
/* sf_util.c                                                                                              */
/* ------------------------------------------------------------------------------------------------------ */

/** strdup with the host allocator (NULL in, NULL out). */
char *sf_strdup(const ap_host_services *host, const char *s);

/** Wipes and frees a host-allocated secret string; sets *s to NULL. */
void sf_free_secret(const ap_host_services *host, char **s);

/** Frees a host-allocated string; sets *s to NULL. */
void sf_free_str(const ap_host_services *host, char **s);

/** Whether `name` is a Salesforce API name ([A-Za-z][A-Za-z0-9_]*, at most 80 characters). */
bool sf_is_api_name(const char *name);

/** Checks a 15- or 18-character record id and writes its 18-character form (the case-safe suffix
 *  computed or verified) into out. Returns false when it is not a valid id. */
bool sf_id_normalise(const char *id, char out[19]);

/** Converts a Salesforce datetime (2026-02-02T14:05:11.000+0000) to an HTTP date
 *  (Mon, 02 Feb 2026 14:05:11 GMT). Returns false when the text does not parse. */
bool sf_http_date(const char *sf_datetime, char *out, size_t out_len);

/** SOQL string literal body for `text`: backslash-escapes ' " \ and control characters. malloc'd. */
char *sf_soql_escape(const char *text);

/** Sleeps `ms` milliseconds (restarting on EINTR). */
void sf_sleep_ms(long ms);

/** A uniformly random number in [0, bound) for backoff jitter (getrandom; no global state). */
uint32_t sf_random_below(uint32_t bound);

#endif /* SF_INTERNAL_H */

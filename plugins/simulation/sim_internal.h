/*
 * sim_internal.h — private interfaces of the simulation connector plugin.
 *
 * The simulation plugin is the deterministic stand-in for Salesforce: it keeps
 * Opportunity records in its own SQLite file (one row per workspace, object and
 * id), validates changes the way the real org does, runs the org's one piece of
 * automation that the Northwind story shows (Probability follows StageName) and
 * restores the canonical Northwind seed on `reset`.
 *
 * Layers, each in its own file (lower layers know nothing of higher ones):
 *   sim_seed.c      the canonical seed records (static data)
 *   sim_schema.c    the Opportunity "describe": fields, stages, probabilities
 *   sim_validate.c  value checks, id normalisation, numeric-aware equality
 *   sim_records.c   the SQLite record store (the only file that speaks SQL)
 *   sim_request.c   input parsing, target resolution, result/error replies
 *   sim_ops_read.c  preview, read_record, validate, sync_metadata
 *   sim_ops_write.c execute, rollback, reset
 *   sim_plugin.c    the descriptor, ap_plugin_entry, open/close, dispatch
 *
 * Nothing here is exported from simulation.so (hidden visibility).
 */
#ifndef SIM_INTERNAL_H
#define SIM_INTERNAL_H

#include <actionplane/plugin.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** The only object type the simulation holds. */
#define SIM_OBJECT "Opportunity"
/** The only action the simulation performs. */
#define SIM_ACTION "salesforce.update-opportunity"
/** Salesforce ids are 15 (case-sensitive) or 18 (case-safe) characters. */
#define SIM_ID_LEN 18
/** Longest workspace name accepted (bytes). */
#define SIM_WORKSPACE_MAX 200

/* ------------------------------------------------------------------------ */
/* sim_seed.c                                                               */
/* ------------------------------------------------------------------------ */

/** One seeded record, as static data. */
typedef struct sim_seed_record {
    const char *id;          /**< 18-character id */
    const char *name;
    const char *stage_name;
    double amount;
    const char *close_date;  /**< YYYY-MM-DD */
    const char *next_step;
} sim_seed_record;

/** The seed of every workspace. Returns a static array and its length in *n. */
const sim_seed_record *sim_seed_records(size_t *n);

/** The fixed LastModifiedDate/SystemModstamp of seeded records, in ms since
 *  the epoch (2026-02-02T14:05:11.000+0000), so that reset is reproducible. */
int64_t sim_seed_modstamp_ms(void);

/* ------------------------------------------------------------------------ */
/* sim_schema.c                                                             */
/* ------------------------------------------------------------------------ */

/** Kind of an Opportunity field, as describe names it. */
typedef enum sim_field_type {
    SIM_FIELD_ID,
    SIM_FIELD_STRING,
    SIM_FIELD_PICKLIST,
    SIM_FIELD_CURRENCY,
    SIM_FIELD_DATE,
    SIM_FIELD_PERCENT,
    SIM_FIELD_DATETIME
} sim_field_type;

/** Describe-like metadata of one field. */
typedef struct sim_field {
    const char *name;       /**< API name, e.g. "StageName" */
    const char *label;      /**< as Salesforce labels it */
    sim_field_type type;
    bool updateable;        /**< the API may write it */
    bool nillable;          /**< null is accepted */
    int length;             /**< max characters for text, 0 otherwise */
    int precision;          /**< total digits for numbers, 0 otherwise */
    int scale;              /**< decimals for numbers, 0 otherwise */
} sim_field;

/** All fields the simulated Opportunity has, in the order records show them.
 *  Returns a static array and its length in *n. */
const sim_field *sim_schema_fields(size_t *n);

/** The field named exactly `name`, or NULL. */
const sim_field *sim_schema_field(const char *name);

/** The describe type token of a field type ("picklist", "currency", ...). */
const char *sim_schema_type_name(sim_field_type type);

/** The standard stages in Salesforce's order, NULL-terminated, static. */
const char *const *sim_schema_stages(void);

/** The default Probability (percent) of stage `stage` (exact string), or -1
 *  when it is not a standard stage. */
int sim_schema_stage_probability(const char *stage);

/* ------------------------------------------------------------------------ */
/* sim_validate.c                                                           */
/* ------------------------------------------------------------------------ */

/**
 * Checks that `value` may be written to field `name` of an Opportunity.
 * On success returns 0 and stores in *normalized a new reference to the value
 * as it would be stored (Amount as a real, "" text as null); the caller
 * releases it. On refusal returns -1 and writes a one-phrase reason (e.g. "is
 * not updateable") into reason (reason_len bytes, NUL-terminated).
 */
int sim_validate_change(const char *name, json_t *value, json_t **normalized,
                        char *reason, size_t reason_len);

/** Whether `text` is a real calendar date written YYYY-MM-DD within
 *  Salesforce's range (1700-01-01 .. 4000-12-31). */
bool sim_validate_date(const char *text);

/**
 * Normalises a Salesforce id: 15 alphanumeric characters get their case-safe
 * 3-character suffix, 18 are kept as they are. Writes the 18-character form
 * plus NUL into out. Returns false for any other length or character.
 */
bool sim_validate_id(const char *id, char out[SIM_ID_LEN + 1]);

/** JSON equality where numbers compare by value (120000 == 120000.0); other
 *  values compare as json_equal does. NULL equals only NULL. */
bool sim_json_same(const json_t *a, const json_t *b);

/* ------------------------------------------------------------------------ */
/* sim_records.c                                                            */
/* ------------------------------------------------------------------------ */

/** The record store of one instance: one SQLite connection and its prepared
 *  statements. Used by one thread at a time (the host serialises calls). */
typedef struct sim_store sim_store;

/** One record as the store holds it. */
typedef struct sim_record {
    char id[SIM_ID_LEN + 1];
    json_t *fields;          /**< owned: every field except the two
                                  timestamps, which derive from modstamp_ms */
    int64_t modstamp_ms;     /**< LastModifiedDate == SystemModstamp, ms */
} sim_record;

/** Releases what a record owns (not the struct itself) and zeroes it. */
void sim_record_clear(sim_record *rec);

/**
 * Opens (creating if needed) the SQLite file at `path` in WAL mode with
 * synchronous=FULL and prepares every statement. Returns 0 and *out (free
 * with sim_store_close), or -1 with a message in err.
 */
int sim_store_open(const char *path, sim_store **out, char *err, size_t errlen);

/** Finalises the statements and closes the file. NULL is ignored. */
void sim_store_close(sim_store *st);

/** The last SQLite error message of the store (owned by the store, valid
 *  until the next store call). */
const char *sim_store_errmsg(sim_store *st);

/** BEGIN IMMEDIATE / COMMIT / ROLLBACK. 0 or -1. Rollback never fails
 *  visibly (it is the error path). */
int sim_store_begin(sim_store *st);
int sim_store_commit(sim_store *st);
void sim_store_rollback(sim_store *st);

/**
 * Seeds `workspace` if the store has never seen it (first touch), in its own
 * transaction. Returns 0 (seeded now or earlier) or -1.
 */
int sim_store_ensure_workspace(sim_store *st, const char *workspace);

/** Replaces every record of `workspace` with the seed, in its own
 *  transaction; other workspaces are untouched. Stores the number of seeded
 *  records in *count. Returns 0 or -1. */
int sim_store_reset_workspace(sim_store *st, const char *workspace,
                              size_t *count);

/** Number of records of `workspace` into *count. Returns 0 or -1. */
int sim_store_count(sim_store *st, const char *workspace, size_t *count);

/**
 * Reads record `id` (18 characters) of `object` in `workspace` into *out
 * (release with sim_record_clear). Returns 1 when found, 0 when there is no
 * such record, -1 on a store error.
 */
int sim_store_get(sim_store *st, const char *workspace, const char *object,
                  const char *id, sim_record *out);

/**
 * Finds the records of `object` in `workspace` whose Name equals `name`
 * case-insensitively (ASCII letters fold, as SQLite's NOCASE does). Stores the
 * number of matches (counting stops at 2) in *matches and, when there is
 * exactly one, its id in id_out. Returns 0 or -1.
 */
int sim_store_find_by_name(sim_store *st, const char *workspace,
                           const char *object, const char *name,
                           size_t *matches, char id_out[SIM_ID_LEN + 1]);

/** Inserts or replaces `rec` (its Name is taken from rec->fields). Runs inside
 *  the caller's transaction. Returns 0 or -1. */
int sim_store_put(sim_store *st, const char *workspace, const char *object,
                  const sim_record *rec);

/* ------------------------------------------------------------------------ */
/* sim_request.c                                                            */
/* ------------------------------------------------------------------------ */

/** One plugin instance (one connector bound to the simulation). */
typedef struct sim_instance {
    const ap_host_services *host; /**< borrowed, valid for the process */
    ap_host_ctx *ctx;             /**< borrowed, valid until close */
    sim_store *store;             /**< owned */
} sim_instance;

/** One operation call: the parsed input and its workspace. */
typedef struct sim_call {
    sim_instance *inst;
    json_t *input;          /**< borrowed: the parsed input object */
    const char *workspace;  /**< borrowed from input */
    ap_result *out;         /**< the host's result sink */
} sim_call;

/**
 * Reports an error through the sink: host->result_error with `code`, the
 * formatted message and `details` (stolen: released here; may be NULL).
 * Returns `status` so callers can `return sim_fail(...)`.
 */
ap_status sim_fail(const sim_call *call, ap_status status, const char *code,
                   json_t *details, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/** sim_fail for a store failure: AP_ERROR "connector_error" naming the
 *  SQLite error, also written to the host log. */
ap_status sim_fail_store(const sim_call *call, const char *what);

/** sim_fail for a refused field value: AP_INVALID "invalid_value" with
 *  details {field, reason}. */
ap_status sim_fail_field(const sim_call *call, const char *field,
                         const char *reason);

/**
 * Sends `payload` (stolen) as the success result. Returns AP_OK, or AP_ERROR
 * (with a connector_error) when it cannot be serialised or the host refuses
 * it.
 */
ap_status sim_reply(const sim_call *call, json_t *payload);

/**
 * Resolves input member `target` ({object, id | name}) to a record of the
 * call's workspace. On AP_OK fills *rec (release with sim_record_clear);
 * otherwise the error is already reported (invalid_request, not_found or
 * ambiguous_target) and the returned status says which.
 */
ap_status sim_resolve_target(const sim_call *call, sim_record *rec);

/**
 * Loads the record of `object` whose id is the JSON value `id` (15 or 18
 * characters). `object_member` and `id_member` name the input members for
 * messages ("object"/"id", "target.object"/"target.id"). On AP_OK fills
 * *rec (release with sim_record_clear); otherwise reports invalid_request
 * (missing object, malformed id) or not_found (unknown object or record).
 */
ap_status sim_load_record(const sim_call *call, const char *object_member,
                          const char *id_member, const json_t *object, const json_t *id,
                          sim_record *rec);

/**
 * Validates every member of the object input member `changes` against the
 * schema, in input order. On AP_OK stores in *normalized a new object of the
 * normalised values (caller releases). Otherwise the error is reported:
 * invalid_request when `changes` is not a non-empty object, invalid_value
 * (with the field) for a refused value.
 */
ap_status sim_parse_changes(const sim_call *call, const char *member,
                            json_t **normalized);

/** Checks that the optional input member `action` names SIM_ACTION. Returns
 *  AP_OK, or AP_UNSUPPORTED after reporting "unsupported_action". */
ap_status sim_check_action(const sim_call *call);

/** Formats ms since the epoch the way Salesforce writes datetimes
 *  ("2026-02-02T14:05:11.000+0000") into buf (at least 29 bytes). */
void sim_format_datetime(int64_t ms, char *buf, size_t len);

/** The record as callers see it: every field in schema order, timestamps
 *  included. Returns a new object or NULL on memory exhaustion. */
json_t *sim_record_view(const sim_record *rec);

/* ------------------------------------------------------------------------ */
/* sim_ops_read.c and sim_ops_write.c: one function per plugin operation.   */
/* Each reports its payload or error through call->out and returns the      */
/* status; the shapes are those of actionplane/plugin.h.                    */
/* ------------------------------------------------------------------------ */

ap_status sim_op_validate(const sim_call *call);
ap_status sim_op_sync_metadata(const sim_call *call);
ap_status sim_op_preview(const sim_call *call);
ap_status sim_op_read_record(const sim_call *call);
ap_status sim_op_execute(const sim_call *call);
ap_status sim_op_rollback(const sim_call *call);
ap_status sim_op_reset(const sim_call *call);

#endif /* SIM_INTERNAL_H */

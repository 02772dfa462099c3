/*
 * run_request.h — the create body (spec/api.md), checked and turned into
 * plain C values. Pure: no I/O.
 */
#ifndef AP_RUN_REQUEST_H
#define AP_RUN_REQUEST_H

#include <jansson.h>
#include <stdbool.h>

#include "common/ap_err.h"

/** A checked create request. Every pointer borrows from the parsed body and
 *  lives as long as it does. */
typedef struct ap_run_request {
    const char *connector;
    const char *action;
    const char *object;      /**< target.object */
    const char *target_id;   /**< target.id, or NULL when named */
    const char *target_name; /**< target.name, or NULL when by id */
    const json_t *changes;   /**< non-empty object of field -> scalar */
    const char *reason;
    bool dry_run;
} ap_run_request;

/** Longest accepted reason or comment, in bytes. */
#define AP_RUN_TEXT_MAX 2000

/**
 * Checks `body` and fills `out`. Errors ("invalid_request", details
 * {"field": NAME}) name the first offending member: not an object, unknown
 * member, missing or mistyped connector/action/target/changes/reason,
 * target with both or neither of id and name, empty changes, a change value
 * that is an object or array, over-long text.
 */
int ap_run_request_parse(const json_t *body, ap_run_request *out, ap_err *err);

#endif /* AP_RUN_REQUEST_H */

/*
 * runs_revise.c — edit-then-approve: an approver answers a pending run with
 * changed values. The answer is a new, linked run that goes through
 * preview and policy again; the original is superseded, never edited.
 */
#include <string.h>

#include "run_request.h"
#include "runs_internal.h"

static int revise_body(const json_t *body, const json_t **changes, const char **reason,
                       const char **comment, ap_err *err)
{
    *changes = NULL;
    *reason = NULL;
    *comment = "";
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)body, key, v) {
        if (strcmp(key, "changes") == 0 && json_is_object(v) && json_object_size(v) > 0) {
            *changes = v;
        } else if (strcmp(key, "reason") == 0 && json_is_string(v) && json_string_length(v) > 0 &&
                   json_string_length(v) <= AP_RUN_TEXT_MAX) {
            *reason = json_string_value(v);
        } else if (strcmp(key, "comment") == 0 && json_is_string(v) &&
                   json_string_length(v) <= AP_RUN_TEXT_MAX) {
            *comment = json_string_value(v);
        } else {
            ap_err_set(err, "invalid_request",
                       "%s is not valid here (changes: non-empty object, reason, comment: strings)",
                       key);
            ap_err_details(err, json_pack("{s:s}", "field", key));
            return -1;
        }
    }
    if (!*changes) {
        ap_err_set(err, "invalid_request", "changes is required: the values the approver proposes");
        ap_err_details(err, json_pack("{s:s}", "field", "changes"));
        return -1;
    }
    return 0;
}

int ap_runs_revise(ap_runs *r, const ap_principal *who, const char *run_id, const json_t *body,
                   json_t **run_out, ap_err *err)
{
    *run_out = NULL;
    const json_t *changes;
    const char *reason, *comment;
    if (revise_body(body, &changes, &reason, &comment, err) != 0)
        return -1;
    json_t *old;
    ap_run_state state;
    if (runs_load(r, who, run_id, &old, &state, err) != 0)
        return -1;
    int rc = -1;
    json_t *fresh = NULL, *request = NULL;
    if (state != AP_RUN_PENDING_APPROVAL) {
        runs_invalid_state(err, run_id, state, "revise", AP_RUN_PENDING_APPROVAL);
        goto out;
    }
    if (strcmp(runs_str(json_object_get(old, "requestedBy")), who->name) == 0) {
        ap_err_set(err, "separation_of_duties",
                   "%s requested run %s; a revision must come from a reviewer", who->name, run_id);
        goto out;
    }
    if (runs_require_role(who, AP_ROLE_APPROVER, "revising a run", err) != 0)
        goto out;

    json_t *merged = json_deep_copy(json_object_get(old, "changes"));
    json_object_update(merged, (json_t *)changes);
    const json_t *t = json_object_get(old, "target");
    request = json_pack("{s:O, s:O, s:{s:O, s:O}, s:o, s:s, s:b}", "connector",
                        json_object_get(old, "connector"), "action",
                        json_object_get(old, "action"), "target", "object",
                        json_object_get(t, "object"), "id", json_object_get(t, "id"), "changes",
                        merged, "reason",
                        reason ? reason : runs_str(json_object_get(old, "reason")), "dryRun", 0);
    if (!request) {
        ap_err_set(err, "internal_error", "out of memory revising run %s", run_id);
        goto out;
    }
    if (runs_create_as(r, who, request, NULL, run_id, &fresh, err) != 0)
        goto out;

    run_tx tx;
    run_tx_begin(&tx, old);
    json_object_set(old, "supersededBy", json_object_get(fresh, "id"));
    run_tx_event(&tx, "run.superseded", who->name,
                 json_pack("{s:s, s:s, s:O, s:s}", "from", "pending_approval", "to", "superseded",
                           "revisedAs", json_object_get(fresh, "id"), "comment", comment));
    rc = run_tx_commit(r, &tx, who->workspace, AP_RUN_SUPERSEDED, "pending_approval", err);
    if (rc != 0)
        ap_logf(&r->log, AP_LOG_WARN, "run %s: revision %s made but the original could not be "
                "superseded: %s", run_id, runs_str(json_object_get(fresh, "id")),
                err ? err->message : "");
out:
    json_decref(request);
    json_decref(old);
    if (rc == 0)
        *run_out = fresh;
    else
        json_decref(fresh);
    return rc;
}

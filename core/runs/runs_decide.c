/*
 * runs_decide.c — approvals and rejections. Nobody decides on a run they
 * requested; an approver counts once; the run becomes approved when the
 * policy's count is reached.
 */
#include <string.h>

#include "run_request.h"
#include "runs_internal.h"

static int comment_of(const json_t *body, const char **out, ap_err *err)
{
    *out = "";
    if (!body)
        return 0;
    if (!json_is_object(body)) {
        ap_err_set(err, "invalid_request", "body must be a JSON object like {\"comment\": \"...\"}");
        return -1;
    }
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)body, key, v) {
        if (strcmp(key, "comment") != 0) {
            ap_err_set(err, "invalid_request", "%s is not a known member (comment)", key);
            ap_err_details(err, json_pack("{s:s}", "field", key));
            return -1;
        }
        if (!json_is_string(v) || json_string_length(v) > AP_RUN_TEXT_MAX) {
            ap_err_set(err, "invalid_request", "comment must be a string of at most %d bytes",
                       AP_RUN_TEXT_MAX);
            ap_err_details(err, json_pack("{s:s}", "field", "comment"));
            return -1;
        }
        *out = json_string_value(v);
    }
    return 0;
}

static bool already_decided(const json_t *doc, const char *who)
{
    size_t i;
    const json_t *a;
    json_array_foreach(json_object_get(doc, "approvals"), i, a)
        if (strcmp(runs_str(json_object_get(a, "by")), who) == 0)
            return true;
    return false;
}

int ap_runs_decide(ap_runs *r, const ap_principal *who, const char *run_id, bool approve,
                   const json_t *body, json_t **run_out, ap_err *err)
{
    *run_out = NULL;
    const char *verb = approve ? "approve" : "reject";
    const char *comment;
    if (comment_of(body, &comment, err) != 0)
        return -1;
    json_t *doc;
    ap_run_state state;
    if (runs_load(r, who, run_id, &doc, &state, err) != 0)
        return -1;

    int rc = -1;
    json_t *policy = json_object_get(doc, "policy");
    json_t *counts = json_object_get(policy, "approvals");
    ap_role needed = AP_ROLE_APPROVER;
    ap_role_parse(json_string_value(json_object_get(policy, "approverRole")), &needed);
    if (state != AP_RUN_PENDING_APPROVAL) {
        runs_invalid_state(err, run_id, state, verb, AP_RUN_PENDING_APPROVAL);
        goto out;
    }
    /* Separation of duties comes before the role check: the requester may
     * hold any role and still never decides on their own request. */
    if (strcmp(runs_str(json_object_get(doc, "requestedBy")), who->name) == 0) {
        ap_err_set(err, "separation_of_duties",
                   "%s requested run %s and cannot %s it; another %s must decide", who->name,
                   run_id, verb, ap_role_name(needed));
        goto out;
    }
    if (runs_require_role(who, needed, approve ? "approving a run" : "rejecting a run", err) != 0)
        goto out;
    if (already_decided(doc, who->name)) {
        ap_err_set(err, "invalid_state", "%s has already decided on run %s", who->name, run_id);
        goto out;
    }

    run_tx tx;
    run_tx_begin(&tx, doc);
    json_t *decision = json_pack("{s:s, s:s, s:s, s:s, s:s}", "by", who->name, "role",
                                 ap_role_name(who->role), "at", tx.at, "decision",
                                 approve ? "approved" : "rejected", "comment", comment);
    json_array_append(json_object_get(doc, "approvals"), decision);
    ap_run_event ev = AP_RUN_EV_REJECT;
    if (approve) {
        json_int_t received = json_integer_value(json_object_get(counts, "received")) + 1;
        json_object_set_new(counts, "received", json_integer(received));
        ev = received >= json_integer_value(json_object_get(counts, "required"))
                 ? AP_RUN_EV_APPROVE
                 : AP_RUN_EV_APPROVE_PARTIAL;
    }
    ap_run_state next;
    ap_run_transition(state, ev, &next);
    run_tx_artifact(&tx, "approval", decision);
    run_tx_event(&tx,
                 ev == AP_RUN_EV_REJECT ? "run.rejected"
                 : ev == AP_RUN_EV_APPROVE ? "run.approved"
                                           : "run.approval_recorded",
                 who->name,
                 json_pack("{s:s, s:s, s:s, s:O}", "from", ap_run_state_name(state), "to",
                           ap_run_state_name(next), "comment", comment, "approvals", counts));
    rc = run_tx_commit(r, &tx, who->workspace, next, ap_run_state_name(state), err);
    if (rc == 0)
        ap_logf(&r->log, AP_LOG_INFO, "run %s %s by %s/%s -> %s", run_id,
                approve ? "approved" : "rejected", who->workspace, who->name,
                ap_run_state_name(next));
out:
    if (rc == 0)
        *run_out = doc;
    else
        json_decref(doc);
    return rc;
}

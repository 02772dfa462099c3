/*
 * runs_create.c — a request becomes a run: check it, ask the plugin for a
 * preview, ask the policy for a decision, commit the run with its evidence.
 * Nothing is written unless every step before the commit succeeded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_request.h"
#include "runs_internal.h"

/* The connector must exist, be loaded, perform the action, and every field
 * must be on the object's allowlist: the allowlist is the host's promise, so
 * it is checked here, before any plugin sees the request. */
static ap_connector *check_target(ap_runs *r, const ap_run_request *req, ap_err *err)
{
    ap_connector *c = ap_plugin_host_find(r->plugins, req->connector);
    if (!c) {
        ap_err_set(err, "invalid_request", "connector '%s' is not configured", req->connector);
        ap_err_details(err, json_pack("{s:s}", "field", "connector"));
        return NULL;
    }
    if (!ap_connector_descriptor(c)) {
        ap_err_set(err, "connector_unavailable", "connector %s is unavailable: %s", req->connector,
                   ap_connector_error(c));
        return NULL;
    }
    if (!ap_connector_has_action(c, req->action)) {
        ap_err_set(err, "invalid_request", "connector %s does not perform action '%s'",
                   req->connector, req->action);
        ap_err_details(err, json_pack("{s:s}", "field", "action"));
        return NULL;
    }
    const ap_allowlist *al = ap_connector_allowlist(ap_connector_config_of(c), req->object);
    if (!al) {
        ap_err_set(err, "field_not_allowed", "object %s is not allowlisted for connector %s",
                   req->object, req->connector);
        ap_err_details(err, json_pack("{s:s}", "object", req->object));
        return NULL;
    }
    const char *field;
    const json_t *v;
    json_object_foreach((json_t *)req->changes, field, v) {
        if (!ap_allowlist_has(al, field)) {
            json_t *allowed = json_array();
            for (size_t i = 0; i < al->n_fields; i++)
                json_array_append_new(allowed, json_string(al->fields[i]));
            ap_err_set(err, "field_not_allowed", "field %s of %s is not on the allowlist", field,
                       req->object);
            ap_err_details(err, json_pack("{s:s, s:s, s:o}", "field", field, "object", req->object,
                                          "allowedFields", allowed));
            return NULL;
        }
    }
    return c;
}

static json_t *preview_input(ap_runs *r, const ap_principal *who, const ap_run_request *req)
{
    json_t *in = runs_plugin_input(r, who->workspace);
    json_t *target = json_pack("{s:s}", "object", req->object);
    json_object_set_new(target, req->target_id ? "id" : "name",
                        json_string(req->target_id ? req->target_id : req->target_name));
    json_object_set_new(in, "action", json_string(req->action));
    json_object_set_new(in, "target", target);
    json_object_set(in, "changes", (json_t *)req->changes);
    return in;
}

/* Checks the preview's shape once, so later steps can rely on it. */
static int check_preview(const json_t *p, const char *plugin, ap_err *err)
{
    const json_t *target = json_object_get(p, "target");
    if (!json_is_array(json_object_get(p, "diff")) || !json_is_object(target) ||
        !json_is_string(json_object_get(target, "id"))) {
        ap_err_set(err, "connector_error",
                   "plugin %s returned a preview without diff or target.id", plugin);
        return -1;
    }
    size_t i;
    const json_t *d;
    json_array_foreach(json_object_get(p, "diff"), i, d) {
        if (!json_is_string(json_object_get(d, "field"))) {
            ap_err_set(err, "connector_error", "plugin %s returned a diff entry without a field",
                       plugin);
            return -1;
        }
    }
    return 0;
}

static char *display_text(const json_t *v)
{
    if (!v || json_is_null(v))
        return strdup("null");
    if (json_is_string(v))
        return strdup(json_string_value(v));
    return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

/* Feeds the diff to the policy engine. */
static int decide(ap_runs *r, const ap_run_request *req, const json_t *diff,
                  ap_policy_result *res, ap_err *err)
{
    size_t n = json_array_size(diff);
    ap_field_change *changes = calloc(n ? n : 1, sizeof *changes);
    char **texts = calloc(2 * (n ? n : 1), sizeof *texts);
    int rc = 0;
    if (!changes || !texts) {
        rc = -1;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *d = json_array_get(diff, i);
        const json_t *before = json_object_get(d, "before"), *after = json_object_get(d, "after");
        texts[2 * i] = display_text(before);
        texts[2 * i + 1] = display_text(after);
        if (!texts[2 * i] || !texts[2 * i + 1]) {
            rc = -1;
            goto out;
        }
        changes[i] = (ap_field_change){
            .field = json_string_value(json_object_get(d, "field")),
            .before_text = texts[2 * i],
            .after_text = texts[2 * i + 1],
            .numeric = json_is_number(before) && json_is_number(after),
            .before = json_number_value(before),
            .after = json_number_value(after),
        };
    }
    ap_policy_input in = {.connector = req->connector, .action = req->action,
                          .object = req->object, .environment = r->env,
                          .changes = changes, .n_changes = n};
    runs_evaluate_policy(r, &in, res);
out:
    for (size_t i = 0; texts && i < 2 * n; i++)
        free(texts[i]);
    free(texts);
    free(changes);
    if (rc != 0)
        ap_err_set(err, "internal_error", "out of memory evaluating policy");
    return rc;
}

static json_t *policy_json(const ap_policy_result *res)
{
    json_t *reasons = json_array();
    for (size_t i = 0; i < res->n_reasons; i++)
        json_array_append_new(reasons, json_string(res->reasons[i]));
    return json_pack("{s:s, s:s, s:o, s:{s:i, s:i}, s:s}", "decision",
                     ap_decision_name(res->decision), "rule", res->rule, "reasons", reasons,
                     "approvals", "required", (int)res->approvals_required, "received", 0,
                     "approverRole", ap_role_name(res->approver_role));
}

static ap_run_state initial_state(const ap_run_request *req, const ap_policy_result *res)
{
    if (req->dry_run)
        return AP_RUN_PREVIEWED;
    switch (res->decision) {
    case AP_DECISION_DENY: return AP_RUN_DENIED;
    case AP_DECISION_REQUIRE_APPROVAL: return AP_RUN_PENDING_APPROVAL;
    case AP_DECISION_ALLOW: break;
    }
    return AP_RUN_APPROVED;
}

static json_t *new_doc(ap_runs *r, const ap_principal *who, const ap_run_request *req,
                       const json_t *preview, const ap_plugin_descriptor *d, const char *at,
                       const char *idempotency_key)
{
    char id[32];
    runs_new_id(id);
    const json_t *pt = json_object_get(preview, "target");
    json_t *target = json_pack("{s:s, s:O}", "object", req->object, "id", json_object_get(pt, "id"));
    if (json_is_string(json_object_get(pt, "name")))
        json_object_set(target, "name", json_object_get(pt, "name"));
    const json_t *ready = json_object_get(preview, "rollbackReady");
    json_t *pv = json_pack("{s:O, s:b}", "diff", json_object_get(preview, "diff"),
                           "rollbackReady", json_is_true(ready));
    static const char *const copied[] = {"current", "version", "warnings", NULL};
    for (const char *const *k = copied; *k; k++)
        if (json_object_get(preview, *k))
            json_object_set(pv, *k, json_object_get(preview, *k));
    json_t *doc = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:s, s:o, s:O, s:o, s:[], s:n, s:n, "
        "s:n, s:[], s:{s:s, s:s}, s:n}",
        "id", id, "workspace", who->workspace, "connector", req->connector, "action", req->action,
        "environment", ap_env_name(r->env), "dryRun", req->dry_run, "requestedBy", who->name,
        "requestedByRole", ap_role_name(who->role), "reason", req->reason, "createdAt", at,
        "updatedAt", at, "target", target, "changes", req->changes, "preview", pv, "approvals",
        "output", "rollback", "error", "artifacts", "plugin", "name", d->name, "version",
        d->version, "revisionOf");
    if (doc) {
        json_object_set(doc, "rollbackPlan", json_object_get(preview, "rollbackPlan"));
        if (idempotency_key)
            json_object_set_new(doc, "idempotencyKey", json_string(idempotency_key));
    }
    return doc;
}

static json_t *request_evidence(ap_runs *r, const ap_principal *who, const json_t *body,
                                const ap_plugin_descriptor *d, const char *at,
                                const char *idempotency_key)
{
    char abi[16];
    snprintf(abi, sizeof abi, "%u.%u", (unsigned)d->abi.abi_major, (unsigned)d->abi.abi_minor);
    return json_pack("{s:{s:s, s:s, s:s}, s:s, s:O, s:s, s:O, s:{s:s, s:s, s:s}, s:s?}",
                     "requestedBy", "principal", who->name, "role", ap_role_name(who->role),
                     "workspace", who->workspace, "requestedAt", at, "reason",
                     json_object_get(body, "reason"), "environment", ap_env_name(r->env),
                     "request", body, "plugin", "name", d->name, "version", d->version,
                     "abiVersion", abi, "idempotencyKey", idempotency_key);
}

int runs_create_as(ap_runs *r, const ap_principal *who, const json_t *body,
                   const char *idempotency_key, const char *revision_of, json_t **run_out,
                   ap_err *err)
{
    *run_out = NULL;
    ap_run_request req;
    if (ap_run_request_parse(body, &req, err) != 0 || runs_require_writable_env(r, err) != 0)
        return -1;
    ap_connector *c = check_target(r, &req, err);
    if (!c)
        return -1;
    const ap_plugin_descriptor *d = ap_connector_descriptor(c);

    json_t *in = preview_input(r, who, &req), *preview = NULL;
    ap_status st = ap_connector_call(c, AP_OP_PREVIEW, in, &preview, err);
    json_decref(in);
    if (st != AP_OK)
        return -1;
    if (check_preview(preview, d->name, err) != 0) {
        json_decref(preview);
        return -1;
    }
    const json_t *diff = json_object_get(preview, "diff");
    if (json_array_size(diff) == 0) {
        json_decref(preview);
        ap_err_set(err, "invalid_request",
                   "the record already holds every requested value; there is nothing to change");
        ap_err_details(err, json_pack("{s:s}", "field", "changes"));
        return -1;
    }
    ap_policy_result decision;
    if (decide(r, &req, diff, &decision, err) != 0) {
        json_decref(preview);
        return -1;
    }

    run_tx tx; /* stamped now: the run's createdAt and its evidence share one time */
    run_tx_begin(&tx, NULL);
    json_t *doc = new_doc(r, who, &req, preview, d, tx.at, idempotency_key);
    if (!doc) {
        json_decref(preview);
        ap_err_set(err, "internal_error", "out of memory building the run");
        return -1;
    }
    json_object_set_new(doc, "policy", policy_json(&decision));
    if (revision_of)
        json_object_set_new(doc, "revisionOf", json_string(revision_of));
    ap_run_state state = initial_state(&req, &decision);

    tx.doc = doc;
    run_tx_artifact(&tx, "request_evidence",
                    request_evidence(r, who, body, d, tx.at, idempotency_key));
    run_tx_artifact(&tx, "preview", json_deep_copy(preview));
    run_tx_artifact(&tx, "policy_decision", json_deep_copy(json_object_get(doc, "policy")));
    if (json_is_object(json_object_get(preview, "rollbackPlan")))
        run_tx_artifact(&tx, "rollback_plan",
                        json_pack("{s:s, s:O}", "stage", "preview", "plan",
                                  json_object_get(preview, "rollbackPlan")));
    run_tx_event(&tx, "run.created", who->name,
                 json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "state",
                           ap_run_state_name(state), "connector", req.connector, "action",
                           req.action, "environment", ap_env_name(r->env), "decision",
                           ap_decision_name(decision.decision), "rule", decision.rule, "dryRun",
                           req.dry_run));
    if (revision_of)
        json_object_set_new(tx.event_data[tx.n_events - 1], "revisionOf", json_string(revision_of));
    json_decref(preview);
    if (run_tx_commit(r, &tx, who->workspace, state, NULL, err) != 0) {
        json_decref(doc);
        return -1;
    }
    ap_logf(&r->log, AP_LOG_INFO, "run %s created by %s/%s: %s (%s, rule %s)",
            json_string_value(json_object_get(doc, "id")), who->workspace, who->name,
            ap_run_state_name(state), ap_decision_name(decision.decision), decision.rule);
    *run_out = doc;
    return 0;
}

int ap_runs_create(ap_runs *r, const ap_principal *who, const json_t *body,
                   const char *idempotency_key, json_t **run_out, ap_err *err)
{
    *run_out = NULL;
    if (runs_require_role(who, AP_ROLE_OPERATOR, "creating a run", err) != 0)
        return -1;
    return runs_create_as(r, who, body, idempotency_key, NULL, run_out, err);
}

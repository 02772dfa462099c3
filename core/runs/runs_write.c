/*
 * runs_write.c — the two operations that write to the external system:
 * execute (approved -> executing -> completed | failed) and rollback
 * (completed -> rolled_back | rollback_failed). "executing" is committed
 * before the plugin is called, so a crash mid-write leaves a run that says
 * so (reconciliation picks it up) instead of one that claims nothing began.
 */
#include <string.h>

#include "runs_internal.h"

/* Shared preconditions: role, environment, state, and that the run was
 * previewed in the environment the daemon now serves (a preview from the
 * simulation must never drive a write to a real org). */
static int load_for_write(ap_runs *r, const ap_principal *who, const char *run_id,
                          ap_run_state needed, const char *verb, json_t **doc,
                          ap_connector **conn, ap_err *err)
{
    if (runs_require_role(who, AP_ROLE_OPERATOR, verb, err) != 0 ||
        runs_require_writable_env(r, err) != 0)
        return -1;
    ap_run_state state;
    if (runs_load(r, who, run_id, doc, &state, err) != 0)
        return -1;
    const char *run_env = runs_str(json_object_get(*doc, "environment"));
    if (state != needed) {
        runs_invalid_state(err, run_id, state, verb, needed);
    } else if (strcmp(run_env, ap_env_name(r->env)) != 0) {
        ap_err_set(err, "invalid_state",
                   "run %s was previewed in the %s environment; this daemon serves %s", run_id,
                   run_env, ap_env_name(r->env));
    } else if (!(*conn = ap_plugin_host_find(r->plugins,
                                             runs_str(json_object_get(*doc, "connector"))))) {
        ap_err_set(err, "connector_unavailable", "connector %s is no longer configured",
                   runs_str(json_object_get(*doc, "connector")));
    } else {
        return 0;
    }
    json_decref(*doc);
    *doc = NULL;
    return -1;
}

static json_t *target_ref(const json_t *doc)
{
    const json_t *t = json_object_get(doc, "target");
    return json_pack("{s:O, s:O}", "object", json_object_get(t, "object"), "id",
                     json_object_get(t, "id"));
}

/* Hands the connector's error to the caller with the run it was recorded
 * on, so a client that only sees the error still finds the evidence. */
static int fail_with_run(ap_err *err, ap_err *call_err, const char *run_id, ap_run_state state)
{
    ap_err_move(err, call_err);
    if (err) {
        if (!err->details)
            err->details = json_object();
        json_object_set_new(err->details, "runId", json_string(run_id));
        json_object_set_new(err->details, "state", json_string(ap_run_state_name(state)));
    }
    return -1;
}

static json_t *execute_input(ap_runs *r, const json_t *doc)
{
    const char *ws = runs_str(json_object_get(doc, "workspace"));
    json_t *in = runs_plugin_input(r, ws);
    const json_t *preview = json_object_get(doc, "preview");
    json_t *changes = json_object(), *expected = json_object();
    const json_t *current = json_object_get(preview, "current");
    size_t i;
    const json_t *d;
    /* Only what the preview showed changing is written: the approval was
     * given for that diff, not for the raw request. */
    json_array_foreach(json_object_get(preview, "diff"), i, d) {
        const char *f = runs_str(json_object_get(d, "field"));
        json_object_set(changes, f, json_object_get(d, "after"));
        const json_t *before = json_object_get(current, f);
        json_object_set(expected, f, before ? (json_t *)before : json_object_get(d, "before"));
    }
    json_object_set(in, "runId", json_object_get(doc, "id"));
    json_object_set(in, "action", json_object_get(doc, "action"));
    json_object_set_new(in, "target", target_ref(doc));
    json_object_set_new(in, "changes", changes);
    json_object_set_new(in, "expected", expected);
    json_object_set(in, "version", runs_or_null(json_object_get(preview, "version")));
    json_object_set(in, "rollbackPlan", runs_or_null(json_object_get(doc, "rollbackPlan")));
    return in;
}

int ap_runs_execute(ap_runs *r, const ap_principal *who, const char *run_id, json_t **run_out,
                    ap_err *err)
{
    *run_out = NULL;
    json_t *doc;
    ap_connector *c;
    if (load_for_write(r, who, run_id, AP_RUN_APPROVED, "execute", &doc, &c, err) != 0)
        return -1;

    run_tx tx;
    run_tx_begin(&tx, doc);
    json_object_set_new(doc, "executedBy", json_string(who->name));
    run_tx_event(&tx, "run.execution_started", who->name,
                 json_pack("{s:s, s:s}", "from", "approved", "to", "executing"));
    if (run_tx_commit(r, &tx, who->workspace, AP_RUN_EXECUTING, "approved", err) != 0) {
        json_decref(doc);
        return -1;
    }

    json_t *in = execute_input(r, doc), *result = NULL;
    ap_err call_err = AP_ERR_INIT;
    ap_status st = ap_connector_call(c, AP_OP_EXECUTE, in, &result, &call_err);
    json_decref(in);

    run_tx_begin(&tx, doc);
    ap_run_state next;
    if (st == AP_OK) {
        next = AP_RUN_COMPLETED;
        json_object_set(doc, "output", result);
        if (json_is_object(json_object_get(result, "rollbackPlan")))
            json_object_set(doc, "rollbackPlan", json_object_get(result, "rollbackPlan"));
        run_tx_artifact(&tx, "completed_output", json_deep_copy(result));
        run_tx_artifact(&tx, "rollback_plan",
                        json_pack("{s:s, s:O}", "stage", "executed", "plan",
                                  runs_or_null(json_object_get(doc, "rollbackPlan"))));
        run_tx_event(&tx, "run.completed", who->name,
                     json_pack("{s:s, s:s, s:O}", "from", "executing", "to", "completed",
                               "written", runs_or_null(json_object_get(result, "written"))));
    } else {
        next = AP_RUN_FAILED;
        json_t *e = runs_error_object(&call_err);
        json_object_set(doc, "error", e);
        run_tx_artifact(&tx, "failure", json_pack("{s:s, s:o}", "operation", "execute", "error", e));
        run_tx_event(&tx, "run.failed", who->name,
                     json_pack("{s:s, s:s, s:s}", "from", "executing", "to", "failed", "code",
                               call_err.code));
    }
    json_decref(result);
    if (run_tx_commit(r, &tx, who->workspace, next, "executing", err) != 0) {
        /* The external write happened (or was refused) but we could not record
         * it: the run stays "executing" for reconciliation. Say so loudly. */
        ap_logf(&r->log, AP_LOG_ERROR, "run %s: outcome of execute could not be recorded: %s",
                run_id, err ? err->message : "");
        ap_err_clear(&call_err);
        json_decref(doc);
        return -1;
    }
    ap_logf(&r->log, AP_LOG_INFO, "run %s executed by %s/%s -> %s", run_id, who->workspace,
            who->name, ap_run_state_name(next));
    *run_out = doc;
    return st == AP_OK ? 0 : fail_with_run(err, &call_err, run_id, next);
}

static int rollback_options(const ap_principal *who, const json_t *body, bool *force,
                            const char **reason, ap_err *err)
{
    *force = false;
    *reason = NULL;
    if (!body)
        return 0;
    const char *key;
    const json_t *v;
    if (!json_is_object(body)) {
        ap_err_set(err, "invalid_request", "body must be a JSON object");
        return -1;
    }
    json_object_foreach((json_t *)body, key, v) {
        if (strcmp(key, "force") == 0 && json_is_boolean(v)) {
            *force = json_is_true(v);
        } else if (strcmp(key, "reason") == 0 && json_is_string(v) && json_string_length(v) > 0) {
            *reason = json_string_value(v);
        } else {
            ap_err_set(err, "invalid_request",
                       "%s is not valid here (force: boolean, reason: non-empty string)", key);
            ap_err_details(err, json_pack("{s:s}", "field", key));
            return -1;
        }
    }
    if (*force && runs_require_role(who, AP_ROLE_ADMIN, "forcing a rollback", err) != 0)
        return -1;
    if (*force && !*reason) {
        ap_err_set(err, "invalid_request", "a forced rollback needs a reason");
        ap_err_details(err, json_pack("{s:s}", "field", "reason"));
        return -1;
    }
    return 0;
}

int ap_runs_rollback(ap_runs *r, const ap_principal *who, const char *run_id, const json_t *body,
                     json_t **run_out, ap_err *err)
{
    *run_out = NULL;
    bool force;
    const char *reason;
    if (rollback_options(who, body, &force, &reason, err) != 0)
        return -1;
    json_t *doc;
    ap_connector *c;
    if (load_for_write(r, who, run_id, AP_RUN_COMPLETED, "roll back", &doc, &c, err) != 0)
        return -1;

    json_t *in = runs_plugin_input(r, who->workspace), *result = NULL;
    json_object_set(in, "runId", json_object_get(doc, "id"));
    json_object_set_new(in, "target", target_ref(doc));
    json_object_set(in, "rollbackPlan", runs_or_null(json_object_get(doc, "rollbackPlan")));
    json_t *written = json_object_get(json_object_get(doc, "output"), "written");
    json_object_set_new(in, "written", written ? json_incref(written) : json_object());
    json_object_set_new(in, "force", json_boolean(force));
    if (reason)
        json_object_set_new(in, "forceReason", json_string(reason));
    ap_err call_err = AP_ERR_INIT;
    ap_status st = ap_connector_call(c, AP_OP_ROLLBACK, in, &result, &call_err);
    json_decref(in);

    /* A conflict or a transient failure wrote nothing: the run stays
     * completed so it can be retried (or forced); only a refusal of the
     * compensating write itself is final. */
    ap_run_state next = AP_RUN_COMPLETED;
    run_tx tx;
    run_tx_begin(&tx, doc);
    if (st == AP_OK) {
        next = AP_RUN_ROLLED_BACK;
        json_object_set(doc, "rollback", result);
        run_tx_artifact(&tx, "rollback_execution",
                        json_pack("{s:s, s:O, s:b, s:s?}", "by", who->name, "result", result,
                                  "forced", force, "forceReason", reason));
        run_tx_event(&tx, "run.rolled_back", who->name,
                     json_pack("{s:s, s:s, s:b}", "from", "completed", "to", "rolled_back",
                               "forced", force));
    } else {
        bool final = st == AP_ERROR || st == AP_INVALID || st == AP_NOT_FOUND;
        if (final && strcmp(call_err.code, "connector_unavailable") == 0)
            final = false;
        json_t *e = runs_error_object(&call_err);
        run_tx_artifact(&tx, "failure", json_pack("{s:s, s:O}", "operation", "rollback", "error", e));
        if (final) {
            next = AP_RUN_ROLLBACK_FAILED;
            json_object_set(doc, "error", e);
        }
        run_tx_event(&tx, final ? "run.rollback_failed" : "run.rollback_refused", who->name,
                     json_pack("{s:s, s:s, s:s}", "from", "completed", "to",
                               ap_run_state_name(next), "code", call_err.code));
        json_decref(e);
    }
    json_decref(result);
    if (run_tx_commit(r, &tx, who->workspace, next, "completed", err) != 0) {
        ap_logf(&r->log, AP_LOG_ERROR, "run %s: outcome of rollback could not be recorded: %s",
                run_id, err ? err->message : "");
        ap_err_clear(&call_err);
        json_decref(doc);
        return -1;
    }
    ap_logf(&r->log, AP_LOG_INFO, "run %s rollback by %s/%s -> %s", run_id, who->workspace,
            who->name, ap_run_state_name(next));
    *run_out = doc;
    return st == AP_OK ? 0 : fail_with_run(err, &call_err, run_id, next);
}

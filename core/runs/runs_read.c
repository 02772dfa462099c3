/*
 * runs_read.c — read-only views: runs, artifacts, audit, connectors and
 * records. Every one needs at least the viewer role and stays inside the
 * caller's workspace (the store filters by workspace, so another
 * workspace's run reads as not_found).
 */
#include <stdlib.h>
#include <string.h>

#include "runs_internal.h"

int ap_runs_get(ap_runs *r, const ap_principal *who, const char *run_id, json_t **run_out,
                ap_err *err)
{
    *run_out = NULL;
    if (runs_require_role(who, AP_ROLE_VIEWER, "reading runs", err) != 0)
        return -1;
    return ap_store_run_get(r->store, who->workspace, run_id, run_out, err);
}

int ap_runs_list(ap_runs *r, const ap_principal *who, const char *state, bool archived,
                 int limit, const char *cursor, json_t **out, ap_err *err)
{
    *out = NULL;
    if (runs_require_role(who, AP_ROLE_VIEWER, "listing runs", err) != 0)
        return -1;
    ap_run_state parsed;
    if (state && !ap_run_state_parse(state, &parsed)) {
        ap_err_set(err, "invalid_request", "state '%s' is not a run state", state);
        ap_err_details(err, json_pack("{s:s}", "field", "state"));
        return -1;
    }
    if (limit < 1 || limit > 200) {
        ap_err_set(err, "invalid_request", "limit must be between 1 and 200");
        ap_err_details(err, json_pack("{s:s}", "field", "limit"));
        return -1;
    }
    ap_run_query q = {.workspace = who->workspace, .state = state, .archived = archived,
                      .limit = limit, .cursor = cursor};
    json_t *runs;
    char *next = NULL;
    if (ap_store_run_list(r->store, &q, &runs, &next, err) != 0)
        return -1;
    *out = json_pack("{s:o, s:s?}", "runs", runs, "nextCursor", next); /* s? : null when NULL */
    free(next);
    return 0;
}

int ap_runs_artifacts(ap_runs *r, const ap_principal *who, const char *run_id, const char *kind,
                      json_t **out, ap_err *err)
{
    *out = NULL;
    json_t *list;
    if (runs_require_role(who, AP_ROLE_VIEWER, "reading artifacts", err) != 0)
        return -1;
    /* The store answers not_found for a run outside the workspace. */
    if (ap_store_artifacts(r->store, who->workspace, run_id, kind, &list, err) != 0)
        return -1;
    if (!kind) {
        *out = json_pack("{s:s, s:o}", "runId", run_id, "artifacts", list);
        return 0;
    }
    size_t n = json_array_size(list);
    if (n == 0) {
        json_decref(list);
        ap_err_set(err, "not_found", "run %s has no %s artifact", run_id, kind);
        return -1;
    }
    /* Several artifacts of one kind (e.g. the rollback plan at preview and
     * after execute): the latest is the one in force; all stay listed. */
    *out = json_incref(json_array_get(list, n - 1));
    json_decref(list);
    return 0;
}

int ap_runs_audit(ap_runs *r, const ap_principal *who, const char *run_id, json_t **out,
                  ap_err *err)
{
    *out = NULL;
    json_t *events;
    if (runs_require_role(who, AP_ROLE_VIEWER, "reading the audit trail", err) != 0)
        return -1;
    if (ap_store_run_audit(r->store, who->workspace, run_id, &events, err) != 0)
        return -1;
    *out = json_pack("{s:s, s:o}", "runId", run_id, "events", events);
    return 0;
}

int ap_runs_audit_verify(ap_runs *r, const ap_principal *who, json_t **out, ap_err *err)
{
    *out = NULL;
    if (runs_require_role(who, AP_ROLE_VIEWER, "verifying the audit log", err) != 0)
        return -1;
    ap_audit_report rep;
    if (ap_store_audit_verify(r->store, &rep, err) != 0)
        return -1;
    *out = json_pack("{s:b, s:I, s:s}", "ok", rep.ok, "events", (json_int_t)rep.events, "head",
                     rep.head);
    json_object_set_new(*out, "brokenAt",
                        rep.broken_at >= 0 ? json_integer(rep.broken_at) : json_null());
    return 0;
}

int ap_runs_connectors(ap_runs *r, const ap_principal *who, json_t **out, ap_err *err)
{
    *out = NULL;
    if (runs_require_role(who, AP_ROLE_VIEWER, "listing connectors", err) != 0)
        return -1;
    json_t *list = json_array();
    for (size_t i = 0; i < ap_plugin_host_count(r->plugins); i++)
        json_array_append_new(list,
                              ap_connector_describe(ap_plugin_host_at(r->plugins, i), r->env));
    *out = json_pack("{s:s, s:o}", "environment", ap_env_name(r->env), "connectors", list);
    return 0;
}

int ap_runs_read_record(ap_runs *r, const ap_principal *who, const char *connector,
                        const char *object, const char *id, json_t **out, ap_err *err)
{
    *out = NULL;
    if (runs_require_role(who, AP_ROLE_VIEWER, "reading records", err) != 0)
        return -1;
    ap_connector *c = ap_plugin_host_find(r->plugins, connector);
    if (!c) {
        ap_err_set(err, "not_found", "connector %s is not configured", connector);
        return -1;
    }
    if (!ap_connector_allowlist(ap_connector_config_of(c), object)) {
        ap_err_set(err, "not_found", "object %s is not managed by connector %s", object, connector);
        return -1;
    }
    json_t *in = runs_plugin_input(r, who->workspace), *rec = NULL;
    json_object_set_new(in, "object", json_string(object));
    json_object_set_new(in, "id", json_string(id));
    ap_status st = ap_connector_call(c, AP_OP_READ_RECORD, in, &rec, err);
    json_decref(in);
    if (st != AP_OK)
        return -1;
    json_object_set_new(rec, "connector", json_string(connector));
    json_object_set_new(rec, "environment", json_string(ap_env_name(r->env)));
    *out = rec;
    return 0;
}

/*
 * runs_reset.c — the simulation workspace: seeded records plus the sample
 * evidence baseline of the Northwind story (spec/northwind.json):
 *   run B: the requested change, approved, executed and rolled back;
 *   run A: the same change waiting in the approval lane.
 * The baseline is made by driving the real engine (preview, policy,
 * approval, plugin writes, audit), not by inserting rows, so the evidence it
 * shows is exactly what a person would produce. Reset archives earlier runs
 * and appends; it never erases.
 */
#include <stdio.h>
#include <string.h>

#include "runs_internal.h"

#define SAMPLE_ACTION "salesforce.update-opportunity"
#define SAMPLE_OBJECT "Opportunity"

static json_t *northwind_request(const char *connector)
{
    return json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:i, s:s, s:s}, s:s, s:b}", "connector",
                     connector, "action", SAMPLE_ACTION, "target", "object", SAMPLE_OBJECT, "id",
                     "006Hs00001NWRNWIA5", "changes", "StageName", "Proposal/Price Quote",
                     "Amount", 148000, "CloseDate", "2026-05-27", "NextStep",
                     "Send revised proposal to Northwind procurement", "reason",
                     "Pricing committee approved the FY26 uplift", "dryRun", 0);
}

static bool has_sample_story(const ap_connector *c)
{
    return ap_connector_supports(c, AP_OP_RESET) && ap_connector_has_action(c, SAMPLE_ACTION) &&
           ap_connector_allowlist(ap_connector_config_of(c), SAMPLE_OBJECT);
}

static const char *state_of(const json_t *run)
{
    return runs_str(json_object_get(run, "state"));
}

/* Restores the connector's seed (exact, timestamps included). */
static int reset_connector(ap_runs *r, const char *workspace, ap_connector *c, json_t **res,
                           ap_err *err)
{
    json_t *input = runs_plugin_input(r, workspace);
    ap_status st = ap_connector_call(c, AP_OP_RESET, input, res, err);
    json_decref(input);
    return st == AP_OK ? 0 : -1;
}

/* Run B then run A, so the approval lane is the newest run in the listing.
 * Between them the seed is restored once more: run B's execute and rollback
 * leave the seeded values but new modification stamps, and reset promises
 * the exact seeded record, which run A's preview then reflects. */
static int make_baseline(ap_runs *r, const char *workspace, ap_connector *c, json_t *made,
                         ap_err *err)
{
    ap_principal requester = {.role = AP_ROLE_OPERATOR}, approver = {.role = AP_ROLE_APPROVER};
    snprintf(requester.workspace, sizeof requester.workspace, "%s", workspace);
    snprintf(approver.workspace, sizeof approver.workspace, "%s", workspace);
    snprintf(requester.name, sizeof requester.name, "sample.requester");
    snprintf(approver.name, sizeof approver.name, "sample.approver");

    json_t *req = northwind_request(ap_connector_name(c)), *run = NULL, *next = NULL;
    int rc = runs_create_as(r, &requester, req, NULL, NULL, &run, err);
    char id[64] = "";
    if (rc == 0) {
        snprintf(id, sizeof id, "%s", runs_str(json_object_get(run, "id")));
        if (strcmp(state_of(run), "pending_approval") == 0) {
            json_t *comment = json_pack("{s:s}", "comment", "Sample baseline: RevOps lead approves");
            rc = ap_runs_decide(r, &approver, id, true, comment, &next, err);
            json_decref(comment);
            json_decref(run);
            run = next;
        }
    }
    if (rc == 0 && strcmp(state_of(run), "approved") == 0) {
        json_decref(run);
        rc = ap_runs_execute(r, &requester, id, &run, err);
        if (rc == 0) {
            json_decref(run);
            rc = ap_runs_rollback(r, &requester, id, NULL, &run, err);
        }
    }
    if (rc == 0) {
        json_array_append_new(made, json_pack("{s:s, s:s, s:s}", "run", "B", "id", id, "state",
                                              state_of(run)));
        json_decref(run);
        run = NULL;
        json_t *ignored = NULL;
        rc = reset_connector(r, workspace, c, &ignored, err);
        json_decref(ignored);
    }
    if (rc == 0) {
        rc = runs_create_as(r, &requester, req, NULL, NULL, &run, err);
    }
    if (rc == 0)
        json_array_append_new(made, json_pack("{s:s, s:O, s:s}", "run", "A", "id",
                                              json_object_get(run, "id"), "state", state_of(run)));
    json_decref(run);
    json_decref(req);
    return rc;
}

static int reset_workspace(ap_runs *r, const char *workspace, const char *actor, json_t **out,
                           ap_err *err)
{
    /* A seed with a connector missing would be marked done and never made:
     * refuse until every connector is loaded. */
    for (size_t i = 0; i < ap_plugin_host_count(r->plugins); i++) {
        ap_connector *c = ap_plugin_host_at(r->plugins, i);
        if (!ap_connector_descriptor(c)) {
            ap_err_set(err, "connector_unavailable", "connector %s is unavailable: %s",
                       ap_connector_name(c), ap_connector_error(c));
            return -1;
        }
    }
    json_t *connectors = json_array();
    int rc = ap_store_workspace_ensure(r->store, workspace, NULL, err);
    for (size_t i = 0; rc == 0 && i < ap_plugin_host_count(r->plugins); i++) {
        ap_connector *c = ap_plugin_host_at(r->plugins, i);
        json_t *res = NULL;
        if (!ap_connector_supports(c, AP_OP_RESET))
            continue;
        rc = reset_connector(r, workspace, c, &res, err);
        if (rc == 0)
            json_array_append_new(connectors, json_pack("{s:s, s:o}", "connector",
                                                        ap_connector_name(c), "result", res));
    }
    if (rc == 0) {
        json_t *data = json_pack("{s:s, s:O}", "workspace", workspace, "connectors", connectors);
        char at[AP_TIME_LEN];
        ap_format_time(ap_now_ms(), at, sizeof at);
        ap_store_event ev = {.type = "simulation.reset", .actor = actor, .at = at, .data = data};
        ap_store_change ch = {.workspace = workspace, .events = &ev, .n_events = 1,
                              .archive_runs = true, .mark_seeded = true};
        rc = ap_store_commit(r->store, &ch, err);
        json_decref(data);
    }
    json_t *baseline = json_array();
    for (size_t i = 0; rc == 0 && i < ap_plugin_host_count(r->plugins); i++) {
        ap_connector *c = ap_plugin_host_at(r->plugins, i);
        if (has_sample_story(c))
            rc = make_baseline(r, workspace, c, baseline, err);
    }
    if (rc == 0) {
        *out = json_pack("{s:s, s:O, s:O}", "workspace", workspace, "connectors", connectors,
                         "baseline", baseline);
        ap_logf(&r->log, AP_LOG_INFO, "simulation workspace %s reset by %s (%zu baseline runs)",
                workspace, actor, json_array_size(baseline));
    }
    json_decref(baseline);
    json_decref(connectors);
    return rc;
}

int ap_runs_prepare_workspace(ap_runs *r, const char *workspace, ap_err *err)
{
    if (r->env != AP_ENV_SIMULATION)
        return 0;
    bool seeded;
    if (ap_store_workspace_seeded(r->store, workspace, &seeded, err) != 0)
        return -1;
    if (seeded)
        return 0;
    pthread_mutex_lock(&r->seed_lock);
    int rc = ap_store_workspace_seeded(r->store, workspace, &seeded, err);
    if (rc == 0 && !seeded) {
        json_t *out = NULL;
        rc = reset_workspace(r, workspace, "system:seed", &out, err);
        json_decref(out);
        /* Reads and refusals still work while a plugin is down; the seed is
         * made on the first request after it loads. */
        if (rc != 0 && err && strcmp(err->code, "connector_unavailable") == 0) {
            ap_err_clear(err);
            rc = 0;
        }
    }
    pthread_mutex_unlock(&r->seed_lock);
    return rc;
}

int ap_runs_simulation_reset(ap_runs *r, const ap_principal *who, json_t **out, ap_err *err)
{
    *out = NULL;
    if (runs_require_role(who, AP_ROLE_ADMIN, "resetting the simulation", err) != 0)
        return -1;
    if (r->env != AP_ENV_SIMULATION) {
        ap_err_set(err, "forbidden", "reset exists only in the simulation environment (this is %s)",
                   ap_env_name(r->env));
        return -1;
    }
    pthread_mutex_lock(&r->seed_lock);
    int rc = reset_workspace(r, who->workspace, who->name, out, err);
    pthread_mutex_unlock(&r->seed_lock);
    return rc;
}

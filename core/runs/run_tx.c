/*
 * run_tx.c — one state change of a run: the new document, its artifacts and
 * audit events, committed together or not at all.
 */
#include <stdlib.h>
#include <string.h>

#include "runs_internal.h"

void run_tx_begin(run_tx *tx, json_t *doc)
{
    memset(tx, 0, sizeof *tx);
    tx->doc = doc;
    ap_format_time(ap_now_ms(), tx->at, sizeof tx->at);
}

void run_tx_artifact(run_tx *tx, const char *kind, json_t *body)
{
    if (tx->n_artifacts >= RUN_TX_MAX || !body) {
        json_decref(body);
        tx->failed = true;
        return;
    }
    char *canon = ap_canonical_json(body);
    if (!canon) {
        json_decref(body);
        tx->failed = true;
        return;
    }
    size_t i = tx->n_artifacts++;
    ap_sha256_hex(canon, strlen(canon), tx->artifact_sha[i]);
    free(canon);
    tx->artifact_bodies[i] = body;
    tx->artifacts[i] = (ap_store_artifact){
        .kind = kind, .created_at = tx->at, .sha256 = tx->artifact_sha[i], .body = body};
    json_t *list = json_object_get(tx->doc, "artifacts");
    if (!json_is_array(list)) {
        list = json_array();
        json_object_set_new(tx->doc, "artifacts", list);
    }
    json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "kind", kind, "createdAt", tx->at,
                                          "sha256", tx->artifact_sha[i]));
}

void run_tx_event(run_tx *tx, const char *type, const char *actor, json_t *data)
{
    if (tx->n_events >= RUN_TX_MAX) {
        json_decref(data);
        tx->failed = true;
        return;
    }
    size_t i = tx->n_events++;
    tx->event_data[i] = data ? data : json_object();
    tx->events[i] = (ap_store_event){
        .type = type, .actor = actor, .at = tx->at, .data = tx->event_data[i]};
}

void run_tx_abort(run_tx *tx)
{
    for (size_t i = 0; i < tx->n_artifacts; i++)
        json_decref(tx->artifact_bodies[i]);
    for (size_t i = 0; i < tx->n_events; i++)
        json_decref(tx->event_data[i]);
    tx->n_artifacts = tx->n_events = 0;
}

int run_tx_commit(ap_runs *r, run_tx *tx, const char *workspace, ap_run_state new_state,
                  const char *expect, ap_err *err)
{
    if (tx->failed) {
        run_tx_abort(tx);
        ap_err_set(err, "internal_error", "out of memory preparing a run change");
        return -1;
    }
    json_object_set_new(tx->doc, "state", json_string(ap_run_state_name(new_state)));
    json_object_set_new(tx->doc, "updatedAt", json_string(tx->at));
    /* The store keeps an event's workspace in a column the chain does not
     * hash; repeating it in the hashed data makes moving an event between
     * workspaces detectable. */
    for (size_t i = 0; i < tx->n_events; i++)
        json_object_set_new(tx->event_data[i], "workspace", json_string(workspace));
    /* "archived" is a column the store adds on read, not part of the doc. */
    json_object_del(tx->doc, "archived");
    ap_store_change change = {
        .workspace = workspace,
        .run_id = json_string_value(json_object_get(tx->doc, "id")),
        .run_doc = tx->doc,
        .expect_state = expect,
        .artifacts = tx->artifacts,
        .n_artifacts = tx->n_artifacts,
        .events = tx->events,
        .n_events = tx->n_events,
    };
    int rc = ap_store_commit(r->store, &change, err);
    run_tx_abort(tx);
    if (rc == 0)
        json_object_set_new(tx->doc, "archived", json_false());
    return rc;
}

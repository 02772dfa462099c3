/*
 * sf_ops_preview.c — preview: what an update-opportunity run would do, without writing.
 *
 * Round trips (after the token): one request — GET the record by id with only the changed fields (+ Name
 * and the version fields), or, for a target named by Name, one SOQL query that returns the same fields.
 * The first preview of an instance also describes the object once (metadataRequests), so that every
 * value is checked against the org's metadata before anything else is sent: a refused value costs no
 * record read and never reaches a write.
 */
#include "sf_internal.h"

#include <stdio.h>
#include <string.h>

static json_t *field_names(const json_t *changes)
{
    json_t *names = json_array();
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)changes, key, value) {
        json_array_append_new(names, json_string(key));
    }
    return names;
}

/* Reads the target by id or by name. Sets *id_out to the record's 18-character id. */
static ap_status read_target(sf_instance *in, const json_t *target, const json_t *names, json_t **record,
                             char id_out[19], sf_error *err)
{
    const char *id = sf_json_str(target, "id");
    const char *name = sf_json_str(target, "name");
    json_t *with_name = json_array();
    json_array_append_new(with_name, json_string("Name"));
    json_array_extend(with_name, (json_t *)names);
    ap_status st;
    if (id) {
        if (!sf_id_normalise(id, id_out)) {
            sf_error_set(err, AP_INVALID, "invalid_request", "target.id is not a 15- or 18-character Salesforce id");
            sf_error_detail(err, "field", json_string("target.id"));
            st = AP_INVALID;
        } else {
            st = sf_record_get(in, SF_OBJECT_OPPORTUNITY, id_out, with_name, record, err);
        }
    } else if (name && *name) {
        st = sf_record_find_by_name(in, SF_OBJECT_OPPORTUNITY, name, with_name, record, err);
        if (st == AP_OK && !sf_id_normalise(sf_json_str(*record, "Id"), id_out)) {
            sf_error_set(err, AP_ERROR, "connector_error", "the query answer has no valid Id");
            json_decref(*record);
            *record = NULL;
            st = AP_ERROR;
        }
    } else {
        sf_error_set(err, AP_INVALID, "invalid_request", "target needs an id or a name");
        sf_error_detail(err, "field", json_string("target"));
        st = AP_INVALID;
    }
    json_decref(with_name);
    return st;
}

/* diff (fields that would change, in the order of changes), restore (their prior values), warnings. */
static void compare(const sf_instance *in, const json_t *changes, const json_t *record, json_t *diff,
                    json_t *restore, json_t *warnings, bool *rollback_ready)
{
    const char *key;
    json_t *after;
    *rollback_ready = true;
    json_object_foreach((json_t *)changes, key, after) {
        json_t *before = json_object_get(record, key);
        if (!before)
            before = json_null();
        if (sf_values_equal(before, after))
            continue;
        json_array_append_new(diff, json_pack("{s:s, s:O, s:O}", "field", key, "before", before, "after", after));
        json_object_set(restore, key, before);
        char reason[320];
        if (!sf_validate_restorable(in, SF_OBJECT_OPPORTUNITY, key, before, reason, sizeof reason)) {
            *rollback_ready = false;
            json_array_append_new(warnings, json_string(reason));
        }
    }
    if (json_array_size(diff) == 0)
        json_array_append_new(warnings, json_string("nothing would change: every field already holds its new value"));
    if (json_object_get(restore, "StageName"))
        json_array_append_new(warnings, json_string("changing StageName makes Salesforce recompute Probability and "
                                                    "ForecastCategoryName; execute records what automation changed"));
}

static json_t *build_preview(const sf_instance *in, const json_t *changes, const json_t *names, const json_t *record,
                             const char *id)
{
    json_t *diff = json_array(), *restore = json_object(), *warnings = json_array();
    bool ready;
    compare(in, changes, record, diff, restore, warnings, &ready);
    const char *version = sf_record_version(record);
    json_t *plan = json_pack("{s:s, s:s, s:s, s:o, s:s?, s:O?}", "strategy", "compensating_patch", "object",
                             SF_OBJECT_OPPORTUNITY, "id", id, "restore", restore, "version", version,
                             "systemModstamp", json_object_get(record, "SystemModstamp"));
    return json_pack("{s:{s:s, s:s, s:O?}, s:o, s:o, s:s?, s:o, s:b, s:o}",
                     "target", "object", SF_OBJECT_OPPORTUNITY, "id", id, "name", json_object_get(record, "Name"),
                     "current", sf_record_pick(record, names), "diff", diff, "version", version,
                     "rollbackPlan", plan, "rollbackReady", ready, "warnings", warnings);
}

ap_status sf_op_preview(void *instance, const char *input, size_t input_len, ap_result *out)
{
    sf_instance *in = instance;
    sf_error err = {0};
    json_t *req = sf_ops_begin(in, input, input_len, &err);
    if (!req)
        return sf_ops_finish(in, out, err.status, NULL, NULL, &err);
    const char *action = sf_json_str(req, "action");
    const json_t *target = json_object_get(req, "target");
    const json_t *changes = json_object_get(req, "changes");
    const char *object = sf_json_str(target, "object");
    ap_status st = AP_OK;
    if (action && strcmp(action, SF_ACTION_UPDATE_OPPORTUNITY) != 0) {
        sf_error_set(&err, AP_UNSUPPORTED, "unsupported_action", "the salesforce plugin does not perform %s", action);
        st = AP_UNSUPPORTED;
    } else if (!object || strcmp(object, SF_OBJECT_OPPORTUNITY) != 0) {
        sf_error_set(&err, AP_INVALID, "invalid_request", "target.object must be %s", SF_OBJECT_OPPORTUNITY);
        sf_error_detail(&err, "field", json_string("target.object"));
        st = AP_INVALID;
    }
    if (st == AP_OK)
        st = sf_ops_check_allowed(in, SF_OBJECT_OPPORTUNITY, changes, false, &err);
    bool synced_now = false;
    if (st == AP_OK)
        st = sf_metadata_ensure(in, &synced_now, &err);
    if (st == AP_OK)
        st = sf_validate_changes(in, SF_OBJECT_OPPORTUNITY, changes, &err);
    json_t *names = field_names(changes), *record = NULL, *result = NULL;
    char id[19];
    if (st == AP_OK)
        st = read_target(in, target, names, &record, id, &err);
    if (st == AP_OK) {
        result = build_preview(in, changes, names, record, id);
        json_object_set_new(result, "metadataSynced", json_boolean(synced_now));
    }
    json_decref(record);
    json_decref(names);
    return sf_ops_finish(in, out, st, req, result, &err);
}

/*
 * sf_ops_write.c — execute and rollback: the only paths that write to the org.
 *
 * Both follow the same two round trips:
 *   1. GET the record (the fields we touch, the fields automation changes, the version) and compare with
 *      what the run expects: a difference is a field-level conflict and nothing is sent;
 *   2. one Composite call (sf_write.c): PATCH with If-Unmodified-Since = the version just read, and GET
 *      back, so the observed values, automation included, are recorded with the write.
 * The re-read catches changes to our fields since preview/execution; If-Unmodified-Since catches any
 * change in the short window between the two calls (at the header's one-second resolution).
 */
#include "sf_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *keys_of(const json_t *a, const json_t *b)
{
    json_t *names = json_array();
    const json_t *objs[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        const char *key;
        json_t *value;
        json_object_foreach((json_t *)objs[i], key, value) {
            bool seen = false;
            size_t j;
            json_t *n;
            json_array_foreach(names, j, n) {
                seen = seen || strcmp(json_string_value(n), key) == 0;
            }
            if (!seen)
                json_array_append_new(names, json_string(key));
        }
    }
    return names;
}

static void value_text(const json_t *v, char *out, size_t len)
{
    char *text = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    snprintf(out, len, "%s", text ? text : "null");
    free(text);
}

/* What automation changed beside the write: watched fields whose value moved. */
static json_t *automation_changes(const json_t *watch, const json_t *before, const json_t *after)
{
    json_t *changes = json_object();
    size_t i;
    json_t *name;
    json_array_foreach(watch, i, name) {
        const char *n = json_string_value(name);
        json_t *b = json_object_get(before, n), *a = json_object_get(after, n);
        if (!sf_values_equal(b, a))
            json_object_set_new(changes, n, json_pack("{s:O?, s:O?}", "before", b, "after", a));
    }
    return changes;
}

/* Written fields whose read-back differs from what we wrote (a trigger rewrote them). */
static void note_overrides(const json_t *written, const json_t *observed, json_t *warnings)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)written, key, value) {
        json_t *seen = json_object_get(observed, key);
        if (!sf_values_equal(seen, value)) {
            char w[128], o[128], line[400];
            value_text(value, w, sizeof w);
            value_text(seen, o, sizeof o);
            snprintf(line, sizeof line, "%s reads back as %s although %s was written (org automation)", key, o, w);
            json_array_append_new(warnings, json_string(line));
        }
    }
}

/* Reads the record with `names` plus the watched fields; *watch_out gets those watched fields. */
static ap_status reread(sf_instance *in, const char *id, const json_t *names, const json_t *written,
                        json_t **record, json_t **read_names, json_t **watch_out, sf_error *err)
{
    bool synced_now;
    ap_status st = sf_metadata_ensure(in, &synced_now, err);
    if (st != AP_OK)
        return st;
    *watch_out = sf_metadata_watch_fields(in, SF_OBJECT_OPPORTUNITY, written);
    *read_names = json_deep_copy(names);
    json_array_extend(*read_names, *watch_out);
    return sf_record_get(in, SF_OBJECT_OPPORTUNITY, id, *read_names, record, err);
}

/* ---- execute ------------------------------------------------------------------------------------------ */

static ap_status execute_conflicts(const char *id, const json_t *expected, const json_t *now, const char *preview_version,
                                   sf_error *err)
{
    json_t *fields = json_array();
    const char *key;
    json_t *want;
    char first[400] = "";
    json_object_foreach((json_t *)expected, key, want) {
        json_t *actual = json_object_get(now, key);
        if (sf_values_equal(actual, want))
            continue;
        if (!*first) {
            char a[128], e[128];
            value_text(actual, a, sizeof a);
            value_text(want, e, sizeof e);
            snprintf(first, sizeof first, "%s is %s (expected %s)", key, a, e);
        }
        json_array_append_new(fields, json_pack("{s:s, s:O, s:O?}", "field", key, "expected", want, "actual", actual));
    }
    if (json_array_size(fields) == 0) {
        json_decref(fields);
        return AP_OK;
    }
    sf_error_set(err, AP_CONFLICT, "conflict", "Opportunity %s changed since preview: %s; nothing was written", id, first);
    sf_error_detail(err, "fields", fields);
    sf_error_detail(err, "version", json_pack("{s:s?, s:s?}", "preview", preview_version, "now",
                                              sf_record_version(now)));
    return AP_CONFLICT;
}

static json_t *execute_result(const char *id, const json_t *changes, const json_t *before, const json_t *watch,
                              const json_t *read_names, const sf_write_result *wr, const char *preview_version)
{
    json_t *observed = sf_record_pick(wr->observed, read_names);
    json_t *automation = automation_changes(watch, before, wr->observed);
    json_t *warnings = json_array();
    note_overrides(changes, wr->observed, warnings);
    const char *seen_version = sf_record_version(before);
    if (preview_version && seen_version && strcmp(preview_version, seen_version) != 0)
        json_array_append_new(warnings, json_string("the record was saved since preview (other fields changed); the "
                                                    "fields of this change still held their previewed values"));
    json_t *restore = json_object();
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)changes, key, value) {
        json_t *prior = json_object_get(before, key);
        json_object_set_new(restore, key, prior ? json_incref(prior) : json_null());
    }
    const char *version = sf_record_version(wr->observed);
    json_t *plan = json_pack("{s:s, s:s, s:s, s:o, s:O, s:s?, s:O, s:s}", "strategy", "compensating_patch", "object",
                             SF_OBJECT_OPPORTUNITY, "id", id, "restore", restore, "written", changes, "version",
                             version, "automationChanges", automation, "note",
                             "a rollback writes back only the fields written; the org's automation recomputes the "
                             "fields it derives from them");
    return json_pack("{s:O, s:o, s:o, s:s?, s:o, s:o, s:b}", "written", changes, "observed", observed,
                     "automationChanges", automation, "version", version, "rollbackPlan", plan, "warnings", warnings,
                     "settledByRead", wr->settled_by_read);
}

ap_status sf_op_execute(void *instance, const char *input, size_t input_len, ap_result *out)
{
    sf_instance *in = instance;
    sf_error err = {0};
    json_t *req = sf_ops_begin(in, input, input_len, &err);
    if (!req)
        return sf_ops_finish(in, out, err.status, NULL, NULL, &err);
    const char *object;
    char id[19];
    const json_t *changes = json_object_get(req, "changes");
    const json_t *expected = json_object_get(req, "expected");
    ap_status st = sf_ops_target(in, req, &object, id, &err);
    if (st == AP_OK)
        st = sf_ops_check_allowed(in, object, changes, true, &err); /* {}: a preview without diff */
    if (st == AP_OK && !json_is_object(expected)) {
        sf_error_set(&err, AP_INVALID, "invalid_request", "expected must be the preview's current values");
        sf_error_detail(&err, "field", json_string("expected"));
        st = AP_INVALID;
    }
    json_t *names = NULL, *read_names = NULL, *watch = NULL, *before = NULL, *result = NULL;
    sf_write_result wr = {0};
    if (st == AP_OK) {
        names = keys_of(changes, expected);
        st = reread(in, id, names, changes, &before, &read_names, &watch, &err);
    }
    if (st == AP_OK)
        st = execute_conflicts(id, expected, before, sf_json_str(req, "version"), &err);
    if (st == AP_OK && json_object_size(changes) > 0)
        st = sf_write_guarded(in, object, id, changes, sf_record_version(before), read_names, false, &wr, &err);
    else if (st == AP_OK)
        wr.observed = json_incref(before); /* nothing would change: nothing is written */
    if (st == AP_OK)
        result = execute_result(id, changes, before, watch, read_names, &wr, sf_json_str(req, "version"));
    sf_write_result_free(&wr);
    json_decref(before);
    json_decref(watch);
    json_decref(read_names);
    json_decref(names);
    return sf_ops_finish(in, out, st, req, result, &err);
}

/* ---- rollback ----------------------------------------------------------------------------------------- */

static ap_status rollback_conflicts(const char *id, const json_t *restore, const json_t *written, const json_t *now,
                                    json_t **overridden, sf_error *err)
{
    json_t *fields = json_array();
    const char *key;
    json_t *wrote;
    char first[400] = "";
    json_object_foreach((json_t *)written, key, wrote) {
        json_t *current = json_object_get(now, key);
        if (sf_values_equal(current, wrote))
            continue;
        if (!*first) {
            char c[128], w[128];
            value_text(current, c, sizeof c);
            value_text(wrote, w, sizeof w);
            snprintf(first, sizeof first, "%s is now %s (the run wrote %s)", key, c, w);
        }
        json_array_append_new(fields, json_pack("{s:s, s:O?, s:O, s:O?}", "field", key, "before",
                                                json_object_get(restore, key), "written", wrote, "now", current));
    }
    if (json_array_size(fields) == 0) {
        json_decref(fields);
        return AP_OK;
    }
    sf_error_set(err, AP_CONFLICT, "conflict",
                 "Opportunity %s changed since execution: %s; nothing was restored (an admin may force it)", id, first);
    sf_error_detail(err, "fields", json_incref(fields));
    *overridden = fields;
    return AP_CONFLICT;
}

/* The fields whose current value differs from the one to restore: only those are written. */
static json_t *still_to_restore(const json_t *restore, const json_t *now)
{
    json_t *values = json_object();
    const char *key;
    json_t *prior;
    json_object_foreach((json_t *)restore, key, prior) {
        if (!sf_values_equal(json_object_get(now, key), prior))
            json_object_set(values, key, prior);
    }
    return values;
}

static ap_status rollback_input(const sf_instance *in, const json_t *req, const json_t **restore,
                                const json_t **written, sf_error *err)
{
    const json_t *plan = json_object_get(req, "rollbackPlan");
    *restore = json_object_get(plan, "restore");
    *written = json_object_get(req, "written");
    if (!json_is_object(*written))
        *written = json_object_get(plan, "written");
    if (!json_is_object(*restore)) {
        sf_error_set(err, AP_INVALID, "invalid_request", "rollbackPlan.restore must name the prior values");
        sf_error_detail(err, "field", json_string("rollbackPlan.restore"));
        return AP_INVALID;
    }
    if (!json_is_object(*written)) {
        sf_error_set(err, AP_INVALID, "invalid_request", "written must be the values execute wrote");
        sf_error_detail(err, "field", json_string("written"));
        return AP_INVALID;
    }
    return sf_ops_check_allowed(in, SF_OBJECT_OPPORTUNITY, *restore, true, err);
}

ap_status sf_op_rollback(void *instance, const char *input, size_t input_len, ap_result *out)
{
    sf_instance *in = instance;
    sf_error err = {0};
    json_t *req = sf_ops_begin(in, input, input_len, &err);
    if (!req)
        return sf_ops_finish(in, out, err.status, NULL, NULL, &err);
    const char *object;
    char id[19];
    const json_t *restore = NULL, *written = NULL;
    bool force = json_is_true(json_object_get(req, "force"));
    ap_status st = sf_ops_target(in, req, &object, id, &err);
    if (st == AP_OK)
        st = rollback_input(in, req, &restore, &written, &err);
    json_t *names = NULL, *read_names = NULL, *watch = NULL, *now = NULL, *values = NULL, *overridden = NULL;
    json_t *result = NULL;
    sf_write_result wr = {0};
    if (st == AP_OK) {
        names = keys_of(restore, written);
        st = reread(in, id, names, restore, &now, &read_names, &watch, &err);
    }
    if (st == AP_OK) {
        st = rollback_conflicts(id, restore, written, now, &overridden, &err);
        if (st == AP_CONFLICT && force) {
            sf_log(in, AP_LOG_WARN, "rollback of %s forced over a conflict: %s", id, err.message);
            sf_error_clear(&err);
            st = AP_OK;
        }
    }
    if (st == AP_OK) {
        values = still_to_restore(restore, now);
        if (json_object_size(values) > 0)
            st = sf_write_guarded(in, object, id, values, sf_record_version(now), read_names, true, &wr, &err);
        else
            wr.observed = json_incref(now); /* already at the prior values: nothing to write */
    }
    if (st == AP_OK) {
        json_t *automation = automation_changes(watch, now, wr.observed);
        result = json_pack("{s:O, s:o, s:o, s:s?, s:b, s:O?, s:b}", "restored", values, "observed",
                           sf_record_pick(wr.observed, read_names), "automationChanges", automation, "version",
                           sf_record_version(wr.observed), "forced", force, "forceReason",
                           json_object_get(req, "forceReason"), "settledByRead", wr.settled_by_read);
        if (result && overridden)
            json_object_set(result, "forcedOver", overridden);
    }
    sf_write_result_free(&wr);
    json_decref(overridden);
    json_decref(values);
    json_decref(now);
    json_decref(watch);
    json_decref(read_names);
    json_decref(names);
    return sf_ops_finish(in, out, st, req, result, &err);
}

/*
 * sim_ops_write.c — the operations that write: execute, rollback and reset.
 *
 * execute and rollback each run in one SQLite transaction (BEGIN IMMEDIATE):
 * the re-read that guards against a concurrent change, the write and the
 * org's automation commit together or not at all. The record is read back
 * after the write, as a connector to the real org reads it back; the read
 * happens before the commit so that any failure leaves nothing written.
 */
#include "sim_internal.h"

#include <stdio.h>
#include <string.h>

/* Reports AP_CONFLICT with details {fields: [...]}, naming the fields. */
static ap_status fail_conflict(const sim_call *call, json_t *fields, const char *what)
{
    char names[256] = "";
    size_t i, used = 0;
    json_t *entry;
    json_array_foreach(fields, i, entry) {
        int n = snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
                         json_string_value(json_object_get(entry, "field")));
        if (n < 0 || (size_t)n >= sizeof names - used)
            break;
        used += (size_t)n;
    }
    return sim_fail(call, AP_CONFLICT, "conflict", json_pack("{s:o}", "fields", fields),
                    "The record changed %s (%s); nothing was written.", what, names);
}

/*
 * Writes `changes` (validated, normalised) into `rec` and stores it, inside
 * the caller's transaction, running the org's automation: a stage change sets
 * Probability to the stage's default. Every write moves the timestamps
 * forward, strictly, even when the host clock stands still or goes back.
 * Stores {FIELD: {before, after}} of automation-changed fields in *automation.
 */
static int write_record(const sim_call *call, sim_record *rec, json_t *changes,
                        json_t **automation)
{
    *automation = json_object();
    json_t *old_stage = json_incref(json_object_get(rec->fields, "StageName"));
    const char *field;
    json_t *value;
    json_object_foreach(changes, field, value)
        json_object_set(rec->fields, field, value);

    json_t *new_stage = json_object_get(rec->fields, "StageName");
    if (json_is_string(new_stage) && !sim_json_same(old_stage, new_stage)) {
        json_t *before = json_incref(json_object_get(rec->fields, "Probability"));
        json_t *after =
            json_real((double)sim_schema_stage_probability(json_string_value(new_stage)));
        if (!sim_json_same(before, after))
            json_object_set_new(*automation, "Probability",
                                json_pack("{s:O, s:O}", "before", before ? before : json_null(),
                                          "after", after));
        json_object_set_new(rec->fields, "Probability", after);
        json_decref(before);
    }
    json_decref(old_stage);

    int64_t now = call->inst->host->now_ms(call->inst->ctx);
    rec->modstamp_ms = now > rec->modstamp_ms ? now : rec->modstamp_ms + 1;
    return sim_store_put(call->inst->store, call->workspace, SIM_OBJECT, rec);
}

/* Reads the record back inside the write's transaction: the observed values
 * (new reference in *observed) and the version. */
static ap_status read_back(const sim_call *call, const char *id, json_t **observed,
                           char version[40])
{
    sim_record rec;
    int found = sim_store_get(call->inst->store, call->workspace, SIM_OBJECT, id, &rec);
    if (found <= 0)
        return sim_fail_store(call, "reading the record back");
    *observed = sim_record_view(&rec);
    sim_format_datetime(rec.modstamp_ms, version, 40);
    sim_record_clear(&rec);
    if (!*observed)
        return sim_fail(call, AP_ERROR, "connector_error", NULL, "Out of memory.");
    return AP_OK;
}

/* The `expected` fields whose present value differs, as [{field, expected,
 * actual}]. An unknown field name is a conflict too: its expected value can
 * never hold. */
static json_t *expected_mismatches(const sim_record *rec, const json_t *expected)
{
    json_t *view = sim_record_view(rec);
    json_t *mismatches = json_array();
    const char *field;
    json_t *value;
    json_object_foreach((json_t *)expected, field, value) {
        json_t *actual = json_object_get(view, field);
        if (!sim_json_same(actual, value))
            json_array_append_new(mismatches,
                                  json_pack("{s:s, s:O, s:O}", "field", field, "expected", value,
                                            "actual", actual ? actual : json_null()));
    }
    json_decref(view);
    return mismatches;
}

/* Commits the open transaction and answers with `payload` (taken; NULL
 * means it could not be built). On any failure nothing is committed: the
 * caller's rollback undoes the write, and the host hears an error. */
static ap_status commit_and_reply(const sim_call *call, json_t *payload, const char *what)
{
    if (!payload)
        return sim_fail(call, AP_ERROR, "connector_error", NULL, "Out of memory.");
    if (sim_store_commit(call->inst->store) != 0) {
        json_decref(payload);
        return sim_fail_store(call, what);
    }
    return sim_reply(call, payload);
}

ap_status sim_op_execute(const sim_call *call)
{
    ap_status status = sim_check_action(call);
    if (status != AP_OK)
        return status;
    const json_t *expected = json_object_get(call->input, "expected");
    if (!json_is_object(expected))
        return sim_fail(call, AP_INVALID, "invalid_request", json_pack("{s:s}", "field", "expected"),
                        "expected must be an object (the preview's current values).");
    json_t *changes;
    status = sim_parse_changes(call, "changes", &changes);
    if (status != AP_OK)
        return status;
    if (sim_store_begin(call->inst->store) != 0) {
        json_decref(changes);
        return sim_fail_store(call, "starting the write");
    }

    sim_record rec;
    json_t *prior = NULL, *automation = NULL, *observed = NULL;
    status = sim_resolve_target(call, &rec);
    if (status != AP_OK)
        goto done;
    json_t *mismatches = expected_mismatches(&rec, expected);
    if (json_array_size(mismatches) > 0) {
        status = fail_conflict(call, mismatches, "since preview");
        goto done;
    }
    json_decref(mismatches);

    prior = json_object();
    const char *field;
    json_t *value;
    json_object_foreach(changes, field, value) {
        json_t *before = json_object_get(rec.fields, field);
        json_object_set(prior, field, before ? before : json_null());
    }
    if (write_record(call, &rec, changes, &automation) != 0) {
        status = sim_fail_store(call, "writing the record");
        goto done;
    }
    /* Read back before the commit: if anything fails, nothing was written. */
    char version[40];
    status = read_back(call, rec.id, &observed, version);
    if (status != AP_OK)
        goto done;
    /* The answer is built before the commit so that running out of memory
     * cannot leave a write the host was never told about. */
    json_t *payload = json_pack("{s:O, s:o, s:O, s:s, s:{s:s, s:O, s:s, s:O}}", "written",
                                changes, "observed", observed, "automationChanges", automation,
                                "version", version, "rollbackPlan", "strategy",
                                "compensating_write", "restore", prior, "version", version,
                                "automationChanges", automation);
    observed = NULL; /* json_pack took this reference ("o") */
    status = commit_and_reply(call, payload, "committing the write");
done:
    sim_store_rollback(call->inst->store); /* a no-op after a commit */
    sim_record_clear(&rec);
    json_decref(changes);
    json_decref(prior);
    json_decref(automation);
    json_decref(observed);
    return status;
}

/* Checks the restore values as the org would check the compensating write;
 * a refusal is rollback_failed (the org refused), not a bad request. */
static ap_status parse_restore(const sim_call *call, const json_t *plan, json_t **restore)
{
    *restore = NULL;
    const json_t *given = json_object_get(plan, "restore");
    if (!json_is_object(given))
        return sim_fail(call, AP_INVALID, "invalid_request",
                        json_pack("{s:s}", "field", "rollbackPlan.restore"),
                        "rollbackPlan.restore must be an object of prior values.");
    json_t *result = json_object();
    const char *field;
    json_t *value;
    json_object_foreach((json_t *)given, field, value) {
        char reason[128];
        json_t *norm;
        if (sim_validate_change(field, value, &norm, reason, sizeof reason) != 0) {
            json_decref(result);
            return sim_fail(call, AP_ERROR, "rollback_failed",
                            json_pack("{s:s, s:s, s:O}", "field", field, "reason", reason,
                                      "value", value),
                            "The simulated org refused to restore %s: it %s.", field, reason);
        }
        json_object_set_new(result, field, norm);
    }
    *restore = result;
    return AP_OK;
}

/* The written fields that no longer hold the written value, as [{field,
 * before, written, now}]. */
static json_t *written_mismatches(const sim_record *rec, const json_t *written,
                                  const json_t *restore)
{
    json_t *view = sim_record_view(rec);
    json_t *mismatches = json_array();
    const char *field;
    json_t *value;
    json_object_foreach((json_t *)written, field, value) {
        json_t *now = json_object_get(view, field);
        if (!sim_json_same(now, value)) {
            json_t *before = json_object_get(restore, field);
            json_array_append_new(mismatches,
                                  json_pack("{s:s, s:O, s:O, s:O}", "field", field, "before",
                                            before ? before : json_null(), "written", value,
                                            "now", now ? now : json_null()));
        }
    }
    json_decref(view);
    return mismatches;
}

/* Reads force/forceReason/written: a forced rollback needs a reason, an
 * unforced one needs what execute wrote. */
static ap_status parse_rollback_guard(const sim_call *call, bool *force, const json_t **written)
{
    const json_t *f = json_object_get(call->input, "force");
    if (f && !json_is_boolean(f))
        return sim_fail(call, AP_INVALID, "invalid_request", json_pack("{s:s}", "field", "force"),
                        "force must be true or false.");
    *force = json_is_true(f);
    const json_t *reason = json_object_get(call->input, "forceReason");
    if (*force && (!json_is_string(reason) || json_string_length(reason) == 0))
        return sim_fail(call, AP_INVALID, "invalid_request",
                        json_pack("{s:s}", "field", "forceReason"),
                        "A forced rollback needs a forceReason.");
    *written = json_object_get(call->input, "written");
    if (*written && !json_is_object(*written))
        return sim_fail(call, AP_INVALID, "invalid_request", json_pack("{s:s}", "field", "written"),
                        "written must be an object (what execute wrote).");
    if (!*force && !*written)
        return sim_fail(call, AP_INVALID, "invalid_request", json_pack("{s:s}", "field", "written"),
                        "written is required unless the rollback is forced.");
    return AP_OK;
}

ap_status sim_op_rollback(const sim_call *call)
{
    bool force = false;
    const json_t *written = NULL;
    ap_status status = parse_rollback_guard(call, &force, &written);
    if (status != AP_OK)
        return status;
    const json_t *plan = json_object_get(call->input, "rollbackPlan");
    if (!json_is_object(plan))
        return sim_fail(call, AP_INVALID, "invalid_request",
                        json_pack("{s:s}", "field", "rollbackPlan"),
                        "rollbackPlan must be the object execute returned.");
    json_t *restore;
    status = parse_restore(call, plan, &restore);
    if (status != AP_OK)
        return status;
    if (sim_store_begin(call->inst->store) != 0) {
        json_decref(restore);
        return sim_fail_store(call, "starting the rollback");
    }

    sim_record rec;
    json_t *automation = NULL, *observed = NULL;
    status = sim_resolve_target(call, &rec);
    if (status != AP_OK)
        goto done;
    if (!force && written) {
        json_t *mismatches = written_mismatches(&rec, written, restore);
        if (json_array_size(mismatches) > 0) {
            status = fail_conflict(call, mismatches, "since execution");
            goto done;
        }
        json_decref(mismatches);
    }
    if (force) {
        char line[512];
        const json_t *run = json_object_get(call->input, "runId");
        snprintf(line, sizeof line, "forced rollback of %s %s (run %s): %s", SIM_OBJECT, rec.id,
                 json_is_string(run) ? json_string_value(run) : "?",
                 json_string_value(json_object_get(call->input, "forceReason")));
        call->inst->host->log(call->inst->ctx, AP_LOG_WARN, line);
    }
    if (write_record(call, &rec, restore, &automation) != 0) {
        status = sim_fail_store(call, "writing the rollback");
        goto done;
    }
    char version[40];
    status = read_back(call, rec.id, &observed, version);
    if (status != AP_OK)
        goto done;
    json_t *payload = json_pack("{s:O, s:o, s:O, s:s, s:b}", "restored", restore, "observed",
                                observed, "automationChanges", automation, "version", version,
                                "forced", force);
    observed = NULL; /* json_pack took this reference ("o") */
    status = commit_and_reply(call, payload, "committing the rollback");
done:
    sim_store_rollback(call->inst->store); /* a no-op after a commit */
    sim_record_clear(&rec);
    json_decref(restore);
    json_decref(automation);
    json_decref(observed);
    return status;
}

ap_status sim_op_reset(const sim_call *call)
{
    size_t count;
    if (sim_store_reset_workspace(call->inst->store, call->workspace, &count) != 0)
        return sim_fail_store(call, "resetting the workspace");
    return sim_reply(call, json_pack("{s:I}", "records", (json_int_t)count));
}

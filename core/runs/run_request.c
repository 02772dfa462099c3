/* run_request.c — see run_request.h. */
#include "run_request.h"

#include <string.h>

static int bad(ap_err *err, const char *field, const char *msg)
{
    ap_err_set(err, "invalid_request", "%s %s", field, msg);
    ap_err_details(err, json_pack("{s:s}", "field", field));
    return -1;
}

/* A required non-empty string of at most `max` bytes. */
static int need_string(const json_t *obj, const char *key, const char *field, size_t max,
                       const char **out, ap_err *err)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return bad(err, field, "is required");
    if (!json_is_string(v) || json_string_length(v) == 0)
        return bad(err, field, "must be a non-empty string");
    if (json_string_length(v) > max || strlen(json_string_value(v)) != json_string_length(v))
        return bad(err, field, "is too long or contains a NUL character");
    *out = json_string_value(v);
    return 0;
}

static bool only_known_members(const json_t *obj, const char *const *known, const char **unknown)
{
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        bool ok = false;
        for (const char *const *k = known; *k; k++)
            ok = ok || strcmp(*k, key) == 0;
        if (!ok) {
            *unknown = key;
            return false;
        }
    }
    return true;
}

static int parse_target(const json_t *target, ap_run_request *out, ap_err *err)
{
    static const char *const known[] = {"object", "id", "name", NULL};
    const char *unknown;
    if (!json_is_object(target))
        return bad(err, "target", "must be an object with object and id (or name)");
    if (!only_known_members(target, known, &unknown)) {
        ap_err_set(err, "invalid_request", "target.%s is not a known member (object, id, name)",
                   unknown);
        ap_err_details(err, json_pack("{s:s}", "field", "target"));
        return -1;
    }
    if (need_string(target, "object", "target.object", 80, &out->object, err) != 0)
        return -1;
    bool has_id = json_object_get(target, "id") != NULL;
    bool has_name = json_object_get(target, "name") != NULL;
    if (has_id == has_name)
        return bad(err, "target", "must name the record by exactly one of id and name");
    if (has_id)
        return need_string(target, "id", "target.id", 64, &out->target_id, err);
    return need_string(target, "name", "target.name", 255, &out->target_name, err);
}

int ap_run_request_parse(const json_t *body, ap_run_request *out, ap_err *err)
{
    static const char *const known[] = {"connector", "action", "target", "changes",
                                        "reason",    "dryRun", NULL};
    memset(out, 0, sizeof *out);
    if (!json_is_object(body))
        return bad(err, "body", "must be a JSON object");
    const char *unknown;
    if (!only_known_members(body, known, &unknown)) {
        ap_err_set(err, "invalid_request",
                   "%s is not a known member (connector, action, target, changes, reason, dryRun)",
                   unknown);
        ap_err_details(err, json_pack("{s:s}", "field", unknown));
        return -1;
    }
    if (need_string(body, "connector", "connector", 64, &out->connector, err) != 0 ||
        need_string(body, "action", "action", 128, &out->action, err) != 0 ||
        parse_target(json_object_get(body, "target"), out, err) != 0)
        return -1;

    const json_t *changes = json_object_get(body, "changes");
    if (!changes)
        return bad(err, "changes", "is required");
    if (!json_is_object(changes) || json_object_size(changes) == 0)
        return bad(err, "changes", "must be a non-empty object of field to new value");
    const char *field;
    const json_t *value;
    json_object_foreach((json_t *)changes, field, value) {
        if (json_is_object(value) || json_is_array(value)) {
            ap_err_set(err, "invalid_request", "changes.%s must be a string, number, boolean or null",
                       field);
            ap_err_details(err, json_pack("{s:s}", "field", field));
            return -1;
        }
    }
    out->changes = changes;

    if (need_string(body, "reason", "reason", AP_RUN_TEXT_MAX, &out->reason, err) != 0)
        return -1;
    const json_t *dry = json_object_get(body, "dryRun");
    if (dry && !json_is_boolean(dry))
        return bad(err, "dryRun", "must be true or false");
    out->dry_run = dry && json_is_true(dry);
    return 0;
}

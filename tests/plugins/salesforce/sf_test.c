/* sf_test.c — see sf_test.h. */
#include "sf_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *sf_test_plugin_path(void)
{
    const char *p = getenv("AP_SF_PLUGIN");
    return p && *p ? p : AP_SF_PLUGIN_DEFAULT;
}

mock_host *sf_test_host(const fake_sf *f)
{
    mock_host *h = mock_host_load(sf_test_plugin_path());
    assert_non_null(h);
    mock_host_set(h, "loginUrl", f->url);
    mock_host_set(h, "clientId", f->client_id);
    mock_host_set(h, "clientSecret", FAKE_SF_CLIENT_SECRET);
    mock_host_set(h, "apiVersion", "66.0");
    mock_host_set(h, "isSandbox", "true");
    if (!f->plain_http)
        mock_host_set(h, "caBundle", f->ca_bundle);
    else
        mock_host_set(h, "allowInsecureHttp", "true");
    mock_host_set(h, "allowedFields.Opportunity", "StageName, CloseDate, Amount, NextStep");
    mock_host_set(h, "maxRetries", "3");
    mock_host_set(h, "timeoutMs", "10000");
    return h;
}

mock_host *sf_test_open(const fake_sf *f)
{
    mock_host *h = sf_test_host(f);
    mock_result res;
    ap_status st = mock_host_open(h, &res);
    if (st != AP_OK)
        fprintf(stderr, "open failed: %s: %s\n", res.code, res.message);
    assert_int_equal(st, AP_OK);
    mock_result_clear(&res);
    return h;
}

int sf_group_setup(void **state)
{
    sf_fixture *fx = calloc(1, sizeof *fx);
    if (!fx || fake_sf_start(&fx->fake, false) != 0) {
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

int sf_group_teardown(void **state)
{
    sf_fixture *fx = *state;
    if (fx) {
        mock_host_free(fx->h);
        fake_sf_stop(&fx->fake);
        free(fx);
    }
    return 0;
}

int sf_test_setup(void **state)
{
    sf_fixture *fx = *state;
    if (fake_sf_reset(&fx->fake) != 0)
        return -1;
    fx->h = sf_test_open(&fx->fake);
    return 0;
}

int sf_test_teardown(void **state)
{
    sf_fixture *fx = *state;
    mock_host_free(fx->h);
    fx->h = NULL;
    return 0;
}

mock_host *sf_fixture_reopen(sf_fixture *fx, const char *const *pairs)
{
    mock_host_free(fx->h);
    fx->h = sf_test_host(&fx->fake);
    for (size_t i = 0; pairs && pairs[i] && pairs[i + 1]; i += 2)
        mock_host_set(fx->h, pairs[i], pairs[i + 1]);
    mock_result res;
    ap_status st = mock_host_open(fx->h, &res);
    if (st != AP_OK)
        fprintf(stderr, "open failed: %s: %s\n", res.code, res.message);
    assert_int_equal(st, AP_OK);
    mock_result_clear(&res);
    return fx->h;
}

ap_status sf_test_call(mock_host *h, mock_op op, const json_t *input, mock_result *res)
{
    char *text = json_dumps(input, JSON_COMPACT);
    assert_non_null(text);
    ap_status st = mock_host_call(h, op, text, res);
    free(text);
    /* Whatever the outcome, nothing the plugin hands back may carry a credential. */
    sf_test_no_secret(res->json);
    sf_test_no_secret(res->message);
    sf_test_no_secret(res->details);
    sf_test_no_secret(mock_host_last_log(h));
    return st;
}

json_t *sf_test_ok(mock_host *h, mock_op op, const json_t *input)
{
    mock_result res;
    ap_status st = sf_test_call(h, op, input, &res);
    if (st != AP_OK)
        fprintf(stderr, "operation %d failed: %d %s: %s\n  details: %s\n", (int)op, (int)st, res.code, res.message,
                res.details ? res.details : "-");
    assert_int_equal(st, AP_OK);
    assert_non_null(res.json);
    json_t *out = sf_test_parse(res.json);
    mock_result_clear(&res);
    return out;
}

json_t *sf_test_parse(const char *text)
{
    assert_non_null(text);
    json_error_t jerr;
    json_t *v = json_loads(text, 0, &jerr);
    if (!v)
        fprintf(stderr, "bad JSON (%s): %s\n", jerr.text, text);
    assert_non_null(v);
    return v;
}

json_t *sf_test_details(const mock_result *res)
{
    assert_non_null(res->details);
    return sf_test_parse(res->details);
}

static json_t *base_input(void)
{
    return json_pack("{s:s, s:s}", "workspace", "acme", "environment", "sandbox");
}

json_t *sf_test_preview_input(const char *id, const char *changes_json)
{
    json_t *in = base_input();
    json_object_set_new(in, "action", json_string("salesforce.update-opportunity"));
    json_object_set_new(in, "target", json_pack("{s:s, s:s}", "object", "Opportunity", "id", id));
    json_object_set_new(in, "changes", sf_test_parse(changes_json));
    return in;
}

json_t *sf_test_preview_by_name(const char *name, const char *changes_json)
{
    json_t *in = base_input();
    json_object_set_new(in, "action", json_string("salesforce.update-opportunity"));
    json_object_set_new(in, "target", json_pack("{s:s, s:s}", "object", "Opportunity", "name", name));
    json_object_set_new(in, "changes", sf_test_parse(changes_json));
    return in;
}

json_t *sf_test_execute_input(const json_t *preview)
{
    json_t *changes = json_object();
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(preview, "diff"), i, d) {
        json_object_set(changes, json_string_value(json_object_get(d, "field")), json_object_get(d, "after"));
    }
    json_t *in = base_input();
    json_object_set_new(in, "runId", json_string("run-test-1"));
    json_object_set_new(in, "action", json_string("salesforce.update-opportunity"));
    json_object_set_new(in, "target", json_pack("{s:s, s:O}", "object", "Opportunity", "id",
                                                json_object_get(json_object_get(preview, "target"), "id")));
    json_object_set_new(in, "changes", changes);
    json_object_set(in, "expected", json_object_get(preview, "current"));
    json_object_set(in, "version", json_object_get(preview, "version"));
    json_object_set(in, "rollbackPlan", json_object_get(preview, "rollbackPlan"));
    return in;
}

json_t *sf_test_rollback_input(const json_t *executed, bool force, const char *reason)
{
    const json_t *plan = json_object_get(executed, "rollbackPlan");
    json_t *in = base_input();
    json_object_set_new(in, "runId", json_string("run-test-1"));
    json_object_set_new(in, "target", json_pack("{s:s, s:O}", "object", "Opportunity", "id", json_object_get(plan, "id")));
    json_object_set(in, "rollbackPlan", (json_t *)plan);
    json_object_set(in, "written", json_object_get(executed, "written"));
    json_object_set_new(in, "force", json_boolean(force));
    if (reason)
        json_object_set_new(in, "forceReason", json_string(reason));
    return in;
}

const char *sf_test_sf_code(const json_t *details)
{
    const char *code =
        json_string_value(json_object_get(json_array_get(json_object_get(details, "errors"), 0), "errorCode"));
    return code ? code : "";
}

long long sf_test_int(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v))
        fprintf(stderr, "%s is not an integer\n", key);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

void sf_test_no_secret(const char *text)
{
    if (!text)
        return;
    if (strstr(text, FAKE_SF_CLIENT_SECRET) || strstr(text, FAKE_SF_REFRESH_TOKEN) || strstr(text, "00D!") ||
        strstr(text, "Bearer "))
        fprintf(stderr, "a secret leaked into: %s\n", text);
    assert_null(strstr(text, FAKE_SF_CLIENT_SECRET));
    assert_null(strstr(text, FAKE_SF_REFRESH_TOKEN));
    assert_null(strstr(text, "00D!")); /* the prefix of every access token the fake issues */
    assert_null(strstr(text, "Bearer "));
}

void sf_test_assert_field(const fake_sf *f, const char *id, const char *field, const char *want_json)
{
    json_t *rec = fake_sf_record(f, id);
    assert_non_null(rec);
    json_t *want = json_loads(want_json, JSON_DECODE_ANY, NULL);
    assert_non_null(want);
    json_t *have = json_object_get(rec, field);
    bool same = json_is_number(want) && json_is_number(have)
                    ? fabs(json_number_value(want) - json_number_value(have)) < 1e-9
                    : json_equal(want, have);
    if (!same) {
        char *h = have ? json_dumps(have, JSON_ENCODE_ANY) : NULL;
        fprintf(stderr, "%s.%s is %s, want %s\n", id, field, h ? h : "(missing)", want_json);
        free(h);
    }
    json_decref(want);
    json_decref(rec);
    assert_true(same);
}

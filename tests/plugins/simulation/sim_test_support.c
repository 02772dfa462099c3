/* sim_test_support.c — see sim_test_support.h. */
#include "sim_test_support.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

const char *sim_plugin_path(void)
{
    return SIM_PLUGIN_PATH;
}

mock_host *sim_fixture_open(sim_fixture *f)
{
    mock_host *h = mock_host_load(sim_plugin_path());
    assert_non_null(h);
    mock_host_set_data_dir(h, f->dir);
    mock_result res;
    ap_status st = mock_host_open(h, &res);
    if (st != AP_OK)
        fail_msg("open failed: %s %s", res.code, res.message);
    mock_result_clear(&res);
    f->host = h;
    return h;
}

int sim_fixture_setup(void **state)
{
    sim_fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/sim-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    sim_fixture_open(f);
    *state = f;
    return 0;
}

int sim_fixture_teardown(void **state)
{
    sim_fixture *f = *state;
    mock_host_free(f->host);
    static const char *const files[] = {"simulation.sqlite", "simulation.sqlite-wal",
                                        "simulation.sqlite-shm"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", f->dir, files[i]);
        unlink(path);
    }
    int rc = rmdir(f->dir);
    free(f);
    return rc;
}

static char *vformat(const char *fmt, va_list ap)
{
    char *text = NULL;
    if (vasprintf(&text, fmt, ap) < 0)
        fail_msg("out of memory");
    return text;
}

static json_t *parse(const char *text, const char *what)
{
    json_error_t err;
    json_t *v = json_loads(text, 0, &err);
    if (!v)
        fail_msg("%s is not JSON (%s): %s", what, err.text, text);
    return v;
}

json_t *sim_call_ok(mock_host *h, mock_op op, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *input = vformat(fmt, ap);
    va_end(ap);
    mock_result res;
    ap_status st = mock_host_call(h, op, input, &res);
    if (st != AP_OK)
        fail_msg("op %d failed with %d %s: %s %s\ninput: %s", (int)op, (int)st, res.code,
                 res.message, res.details ? res.details : "", input);
    assert_non_null(res.json);
    json_t *v = parse(res.json, "the payload");
    assert_true(json_is_object(v));
    mock_result_clear(&res);
    free(input);
    return v;
}

json_t *sim_call_err(mock_host *h, mock_op op, ap_status status, const char *code,
                     char *message, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *input = vformat(fmt, ap);
    va_end(ap);
    mock_result res;
    ap_status st = mock_host_call(h, op, input, &res);
    if (st != status || strcmp(res.code, code) != 0)
        fail_msg("op %d: expected %d %s, got %d %s (%s)\ninput: %s", (int)op, (int)status, code,
                 (int)st, res.code, res.json ? res.json : res.message, input);
    assert_null(res.json);
    assert_true(strlen(res.message) > 0);
    if (message)
        snprintf(message, 512, "%s", res.message);
    json_t *details = res.details ? parse(res.details, "the error details") : json_object();
    assert_true(json_is_object(details));
    mock_result_clear(&res);
    free(input);
    return details;
}

json_t *sim_read_nw(mock_host *h, const char *workspace)
{
    return sim_call_ok(h, MOCK_READ_RECORD,
                       "{\"workspace\": \"%s\", \"environment\": \"simulation\","
                       " \"object\": \"Opportunity\", \"id\": \"" NW_ID "\"}",
                       workspace);
}

static int same(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b);
    if (json_is_object(a) && json_is_object(b)) {
        if (json_object_size(a) != json_object_size(b))
            return 0;
        const char *key;
        json_t *value;
        json_object_foreach((json_t *)a, key, value)
            if (!same(value, json_object_get(b, key)))
                return 0;
        return 1;
    }
    if (json_is_array(a) && json_is_array(b)) {
        if (json_array_size(a) != json_array_size(b))
            return 0;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!same(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    }
    return a && b && json_equal(a, b);
}

void sim_assert_json_same(const json_t *actual, const json_t *expected)
{
    if (!same(actual, expected)) {
        char *a = actual ? json_dumps(actual, JSON_ENCODE_ANY) : NULL;
        char *e = expected ? json_dumps(expected, JSON_ENCODE_ANY) : NULL;
        fail_msg("JSON differs:\n  actual:   %s\n  expected: %s", a ? a : "(null)",
                 e ? e : "(null)");
    }
}

void sim_assert_str(const json_t *obj, const char *key, const char *expected)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_string(v))
        fail_msg("member %s is not a string", key);
    assert_string_equal(json_string_value(v), expected);
}

void sim_assert_num(const json_t *obj, const char *key, double expected)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_number(v))
        fail_msg("member %s is not a number", key);
    if (json_number_value(v) != expected)
        fail_msg("member %s is %.17g, expected %.17g", key, json_number_value(v), expected);
}

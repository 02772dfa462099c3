/*
 * sf_test.h — shared helpers of the salesforce.so tests: a mock host configured against the fake,
 * calling operations with jansson values, and the Northwind inputs.
 *
 * Helpers that check something use cmocka assertions, so a failure points at the test that called them.
 */
#ifndef SF_TEST_H
#define SF_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>

#include "../mock_host.h"
#include "fake_sf.h"

#ifndef AP_SF_PLUGIN_DEFAULT
#define AP_SF_PLUGIN_DEFAULT "salesforce.so"
#endif

/** The requested change of the Northwind story (northwind.json). */
#define NW_CHANGES                                                                                           \
    "{\"StageName\": \"Proposal/Price Quote\", \"Amount\": 148000, \"CloseDate\": \"2026-05-27\", "        \
    "\"NextStep\": \"Send revised proposal to Northwind procurement\"}"

/** What each test gets: the program's fake (started once per program) and a host opened against it. */
typedef struct sf_fixture {
    fake_sf fake;
    mock_host *h;
} sf_fixture;

/** cmocka group setup/teardown: start/stop the fake (HTTPS with its test CA). */
int sf_group_setup(void **state);
int sf_group_teardown(void **state);

/** cmocka per-test setup/teardown: reset the fake and open a host with the default settings / free it. */
int sf_test_setup(void **state);
int sf_test_teardown(void **state);

/** Replaces the fixture's host with one opened with the default settings overridden by `pairs`
 *  (key, value, key, value, ..., NULL; "" counts as unset). Returns it. */
mock_host *sf_fixture_reopen(sf_fixture *fx, const char *const *pairs);

/** Path of the plugin under test (env AP_SF_PLUGIN or the build's). */
const char *sf_test_plugin_path(void);

/** Loads the plugin into a new mock host with settings pointing at `f` (login URL, client id and
 *  secret, CA bundle, the Northwind allowlist, maxRetries 3); not opened yet. */
mock_host *sf_test_host(const fake_sf *f);

/** sf_test_host + open, asserting the open succeeds. */
mock_host *sf_test_open(const fake_sf *f);

/** Calls `op` with `input` (borrowed), fills *res (clear with mock_result_clear) and returns the status. */
ap_status sf_test_call(mock_host *h, mock_op op, const json_t *input, mock_result *res);

/** Calls `op`, asserts AP_OK, returns the parsed result (caller decrefs). */
json_t *sf_test_ok(mock_host *h, mock_op op, const json_t *input);

/** Parses JSON text, asserting it parses (caller decrefs). */
json_t *sf_test_parse(const char *text);

/** The error details of a result, parsed (caller decrefs), asserting they exist. */
json_t *sf_test_details(const mock_result *res);

/** {workspace, environment, action, target: {object, id}, changes} for a preview by id. */
json_t *sf_test_preview_input(const char *id, const char *changes_json);

/** The same, naming the target by Name. */
json_t *sf_test_preview_by_name(const char *name, const char *changes_json);

/** The execute input the host builds from a preview result (changes = the diff's after values). */
json_t *sf_test_execute_input(const json_t *preview);

/** The rollback input the host builds from an execute result. */
json_t *sf_test_rollback_input(const json_t *executed, bool force, const char *reason);

/** The errorCode of the first Salesforce error kept in error details (details.errors[0]), or "". */
const char *sf_test_sf_code(const json_t *details);

/** Integer member of an object (asserting it is an integer). */
long long sf_test_int(const json_t *obj, const char *key);

/** Asserts that no secret of the fake's credentials (nor "Bearer") occurs in `text` (NULL is fine). */
void sf_test_no_secret(const char *text);

/** Asserts the value of record field `field` in the fake equals the JSON text `want`. */
void sf_test_assert_field(const fake_sf *f, const char *id, const char *field, const char *want_json);

#endif /* SF_TEST_H */

/*
 * test_sim_validation.c — what simulation.so refuses and how: field values
 * (each field's rules), target lookup by id and by name, malformed input, and
 * the read-only operations' shapes (read_record selection, validate,
 * sync_metadata).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim_test_support.h"

#define WS "validation-ws"
#define PREVIEW_PREFIX                                                           \
    "{\"workspace\": \"" WS "\", \"environment\": \"simulation\","               \
    " \"action\": \"salesforce.update-opportunity\","                            \
    " \"target\": {\"object\": \"Opportunity\", \"id\": \"" NW_ID "\"}, \"changes\": "

/* Asserts that previewing {field: value_json} is refused as invalid_value
 * naming `field`, with a reason containing `reason_part`. */
static void assert_refused(mock_host *h, const char *field, const char *value_json,
                           const char *reason_part)
{
    char message[512];
    json_t *d = sim_call_err(h, MOCK_PREVIEW, AP_INVALID, "invalid_value", message,
                             PREVIEW_PREFIX "{\"%s\": %s}}", field, value_json);
    sim_assert_str(d, "field", field);
    const char *reason = json_string_value(json_object_get(d, "reason"));
    assert_non_null(reason);
    if (!strstr(reason, reason_part))
        fail_msg("%s=%s: reason \"%s\" lacks \"%s\"", field, value_json, reason, reason_part);
    assert_non_null(strstr(message, field));
    json_decref(d);
}

/* Asserts that previewing {field: value_json} is accepted; returns the diff's
 * `after` of the field (borrowed from *preview, which the caller releases). */
static json_t *assert_accepted(mock_host *h, const char *field, const char *value_json,
                               json_t **preview)
{
    *preview = sim_call_ok(h, MOCK_PREVIEW, PREVIEW_PREFIX "{\"%s\": %s}}", field, value_json);
    json_t *diff = json_object_get(*preview, "diff");
    return json_array_size(diff) ? json_object_get(json_array_get(diff, 0), "after") : NULL;
}

static void test_stage_name(void **state)
{
    sim_fixture *f = *state;
    /* The connector guide's "Proposal / Price Quote" is not the picklist value. */
    assert_refused(f->host, "StageName", "\"Proposal / Price Quote\"", "standard stages");
    json_t *d = sim_call_err(f->host, MOCK_PREVIEW, AP_INVALID, "invalid_value", NULL,
                             PREVIEW_PREFIX "{\"StageName\": \"Won\"}}");
    json_t *allowed = json_object_get(d, "allowedValues");
    assert_int_equal(json_array_size(allowed), 10);
    assert_string_equal(json_string_value(json_array_get(allowed, 9)), "Closed Lost");
    json_decref(d);
    assert_refused(f->host, "StageName", "\"proposal/price quote\"", "standard stages");
    assert_refused(f->host, "StageName", "null", "required");
    assert_refused(f->host, "StageName", "75", "string");
    json_t *p;
    json_t *after = assert_accepted(f->host, "StageName", "\"Id. Decision Makers\"", &p);
    assert_string_equal(json_string_value(after), "Id. Decision Makers");
    sim_assert_num(json_object_get(json_object_get(p, "automationChanges"), "Probability"),
                   "after", 60);
    json_decref(p);
}

static void test_close_date(void **state)
{
    sim_fixture *f = *state;
    assert_refused(f->host, "CloseDate", "\"2026-02-30\"", "calendar date");
    assert_refused(f->host, "CloseDate", "\"2025-02-29\"", "calendar date");
    assert_refused(f->host, "CloseDate", "\"2026-5-27\"", "calendar date");
    assert_refused(f->host, "CloseDate", "\"2026-05-27T00:00:00Z\"", "calendar date");
    assert_refused(f->host, "CloseDate", "\"2026-13-01\"", "calendar date");
    assert_refused(f->host, "CloseDate", "\"1699-12-31\"", "calendar date");
    assert_refused(f->host, "CloseDate", "null", "required");
    assert_refused(f->host, "CloseDate", "20260527", "date");
    json_t *p;
    json_t *after = assert_accepted(f->host, "CloseDate", "\"2028-02-29\"", &p);
    assert_string_equal(json_string_value(after), "2028-02-29");
    json_decref(p);
}

static void test_amount(void **state)
{
    sim_fixture *f = *state;
    assert_refused(f->host, "Amount", "\"148000\"", "number");
    assert_refused(f->host, "Amount", "true", "number");
    assert_refused(f->host, "Amount", "1.234", "2 decimal");
    assert_refused(f->host, "Amount", "12345678901234567", "16 digits");
    assert_refused(f->host, "Amount", "1e16", "16 digits");
    json_t *p;
    json_t *after = assert_accepted(f->host, "Amount", "null", &p);
    assert_true(json_is_null(after));
    json_decref(p);
    after = assert_accepted(f->host, "Amount", "1234.56", &p);
    assert_true(json_is_number(after));
    assert_true(json_number_value(after) == 1234.56);
    json_decref(p);
    after = assert_accepted(f->host, "Amount", "-9999999999999.99", &p);
    assert_true(json_number_value(after) == -9999999999999.99);
    json_decref(p);
    after = assert_accepted(f->host, "Amount", "-9999999999999999", &p);
    assert_true(json_is_number(after));
    json_decref(p);
}

static void test_next_step(void **state)
{
    sim_fixture *f = *state;
    char ascii[300], accented[600];
    /* 256 ASCII characters: one too many. */
    memset(ascii, 'x', 256);
    ascii[256] = '\0';
    char quoted[700];
    snprintf(quoted, sizeof quoted, "\"%s\"", ascii);
    assert_refused(f->host, "NextStep", quoted, "255 characters");
    assert_refused(f->host, "NextStep", "42", "string");

    /* 255 two-byte characters (510 bytes) fit: length counts characters. */
    accented[0] = '\0';
    for (int i = 0; i < 255; i++)
        strcat(accented, "\xc3\xa9");
    snprintf(quoted, sizeof quoted, "\"%s\"", accented);
    json_t *p;
    json_t *after = assert_accepted(f->host, "NextStep", quoted, &p);
    assert_int_equal(json_string_length(after), 510);
    json_decref(p);
    /* ... and 256 do not. */
    strcat(accented, "\xc3\xa9");
    snprintf(quoted, sizeof quoted, "\"%s\"", accented);
    assert_refused(f->host, "NextStep", quoted, "255 characters");

    /* Null clears it; so does "" (Salesforce stores empty text as null). */
    after = assert_accepted(f->host, "NextStep", "null", &p);
    assert_true(json_is_null(after));
    json_decref(p);
    after = assert_accepted(f->host, "NextStep", "\"\"", &p);
    assert_true(json_is_null(after));
    json_decref(p);
}

static void test_read_only_and_unknown_fields(void **state)
{
    sim_fixture *f = *state;
    assert_refused(f->host, "Id", "\"006Hs00001NWRNWIA6\"", "not updateable");
    assert_refused(f->host, "Name", "\"Northwind renewal FY27\"", "not updateable");
    assert_refused(f->host, "Probability", "75", "not updateable");
    assert_refused(f->host, "LastModifiedDate", "\"" NW_SEED_STAMP "\"", "not updateable");
    assert_refused(f->host, "SystemModstamp", "\"" NW_SEED_STAMP "\"", "not updateable");
    assert_refused(f->host, "Description", "\"hello\"", "not a field");
    assert_refused(f->host, "stagename", "\"Closed Won\"", "not a field");
}

static void test_lookup_by_name_and_short_id(void **state)
{
    sim_fixture *f = *state;
    mock_host *h = f->host;
    json_t *p = sim_call_ok(h, MOCK_PREVIEW,
                            "{\"workspace\": \"" WS "\", \"target\": {\"object\": \"Opportunity\","
                            " \"name\": \"northwind RENEWAL fy26\"}, \"changes\": %s}",
                            NW_CHANGES);
    sim_assert_str(json_object_get(p, "target"), "id", NW_ID);
    sim_assert_str(json_object_get(p, "target"), "name", NW_NAME);
    assert_int_equal(json_array_size(json_object_get(p, "diff")), 4);
    json_decref(p);

    /* A 15-character id resolves to the 18-character form. */
    p = sim_call_ok(h, MOCK_PREVIEW,
                    "{\"workspace\": \"" WS "\", \"target\": {\"object\": \"Opportunity\","
                    " \"id\": \"" NW_ID15 "\"}, \"changes\": {\"Amount\": 1}}");
    sim_assert_str(json_object_get(p, "target"), "id", NW_ID);
    json_decref(p);

    json_t *d = sim_call_err(h, MOCK_PREVIEW, AP_NOT_FOUND, "not_found", NULL,
                             "{\"workspace\": \"" WS "\", \"target\": {\"object\": \"Opportunity\","
                             " \"name\": \"Northwind renewal FY25\"}, \"changes\": {\"Amount\": 1}}");
    sim_assert_str(d, "name", "Northwind renewal FY25");
    json_decref(d);
    d = sim_call_err(h, MOCK_PREVIEW, AP_NOT_FOUND, "not_found", NULL,
                     "{\"workspace\": \"" WS "\", \"target\": {\"object\": \"Opportunity\","
                     " \"id\": \"006Hs00001NWRNWXXX\"}, \"changes\": {\"Amount\": 1}}");
    json_decref(d);
    d = sim_call_err(h, MOCK_PREVIEW, AP_INVALID, "invalid_request", NULL,
                     "{\"workspace\": \"" WS "\", \"target\": {\"object\": \"Opportunity\","
                     " \"id\": \"006-bad\"}, \"changes\": {\"Amount\": 1}}");
    sim_assert_str(d, "reason", "malformed_id");
    json_decref(d);
    d = sim_call_err(h, MOCK_PREVIEW, AP_NOT_FOUND, "not_found", NULL,
                     "{\"workspace\": \"" WS "\", \"target\": {\"object\": \"Account\","
                     " \"id\": \"" NW_ID "\"}, \"changes\": {\"Amount\": 1}}");
    json_decref(d);
}

static void test_malformed_input(void **state)
{
    sim_fixture *f = *state;
    mock_host *h = f->host;
    static const mock_op ops[] = {MOCK_VALIDATE, MOCK_SYNC_METADATA, MOCK_PREVIEW, MOCK_EXECUTE,
                                  MOCK_ROLLBACK, MOCK_RESET, MOCK_READ_RECORD};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        json_decref(sim_call_err(h, ops[i], AP_INVALID, "invalid_request", NULL, "{not json"));
        json_decref(sim_call_err(h, ops[i], AP_INVALID, "invalid_request", NULL, "[1, 2]"));
        json_t *d = sim_call_err(h, ops[i], AP_INVALID, "invalid_request", NULL,
                                 "{\"environment\": \"simulation\"}");
        sim_assert_str(d, "field", "workspace");
        json_decref(d);
    }
    /* Duplicate keys would make "which value?" ambiguous: refused. */
    json_decref(sim_call_err(h, MOCK_PREVIEW, AP_INVALID, "invalid_request", NULL,
                             PREVIEW_PREFIX "{\"Amount\": 1, \"Amount\": 2}}"));
    json_decref(sim_call_err(h, MOCK_PREVIEW, AP_INVALID, "invalid_request", NULL,
                             PREVIEW_PREFIX "{}}"));
    json_decref(sim_call_err(h, MOCK_PREVIEW, AP_INVALID, "invalid_request", NULL,
                             "{\"workspace\": \"" WS "\", \"changes\": {\"Amount\": 1}}"));
    json_t *d = sim_call_err(h, MOCK_PREVIEW, AP_UNSUPPORTED, "unsupported_action", NULL,
                             "{\"workspace\": \"" WS "\", \"action\": \"salesforce.delete\","
                             " \"target\": {\"object\": \"Opportunity\", \"id\": \"" NW_ID "\"},"
                             " \"changes\": {\"Amount\": 1}}");
    sim_assert_str(d, "action", "salesforce.delete");
    json_decref(d);
    d = sim_call_err(h, MOCK_EXECUTE, AP_INVALID, "invalid_request", NULL,
                     "{\"workspace\": \"" WS "\", \"target\": {\"object\": \"Opportunity\","
                     " \"id\": \"" NW_ID "\"}, \"changes\": {\"Amount\": 1}}");
    sim_assert_str(d, "field", "expected");
    json_decref(d);
}

static void test_read_record(void **state)
{
    sim_fixture *f = *state;
    mock_host *h = f->host;
    json_t *r = sim_call_ok(h, MOCK_READ_RECORD,
                            "{\"workspace\": \"" WS "\", \"object\": \"Opportunity\","
                            " \"id\": \"" NW_ID15 "\", \"fields\": [\"StageName\", \"Amount\"]}");
    json_t *want = json_pack("{s:s, s:s, s:i}", "Id", NW_ID, "StageName", "Qualification",
                             "Amount", 120000);
    sim_assert_json_same(json_object_get(r, "fields"), want);
    sim_assert_str(r, "id", NW_ID);
    sim_assert_str(r, "version", NW_SEED_STAMP);
    json_decref(want);
    json_decref(r);

    json_t *d = sim_call_err(h, MOCK_READ_RECORD, AP_INVALID, "invalid_value", NULL,
                             "{\"workspace\": \"" WS "\", \"object\": \"Opportunity\","
                             " \"id\": \"" NW_ID "\", \"fields\": [\"Bogus__c\"]}");
    sim_assert_str(d, "field", "Bogus__c");
    json_decref(d);
    d = sim_call_err(h, MOCK_READ_RECORD, AP_NOT_FOUND, "not_found", NULL,
                     "{\"workspace\": \"" WS "\", \"object\": \"Opportunity\","
                     " \"id\": \"006000000000000AAA\"}");
    sim_assert_str(d, "id", "006000000000000AAA");
    json_decref(d);
    d = sim_call_err(h, MOCK_READ_RECORD, AP_INVALID, "invalid_request", NULL,
                     "{\"workspace\": \"" WS "\", \"id\": \"" NW_ID "\"}");
    sim_assert_str(d, "field", "object");
    json_decref(d);
    d = sim_call_err(h, MOCK_READ_RECORD, AP_INVALID, "invalid_request", NULL,
                     "{\"workspace\": \"" WS "\", \"object\": \"Opportunity\"}");
    sim_assert_str(d, "field", "id");
    sim_assert_str(d, "reason", "malformed_id");
    json_decref(d);
}

static void test_validate_report(void **state)
{
    sim_fixture *f = *state;
    json_t *v = sim_call_ok(f->host, MOCK_VALIDATE,
                            "{\"workspace\": \"" WS "\", \"environment\": \"simulation\"}");
    assert_true(json_is_true(json_object_get(v, "ok")));
    json_t *checks = json_object_get(v, "checks");
    assert_int_equal(json_array_size(checks), 3);
    size_t i;
    json_t *check;
    json_array_foreach(checks, i, check) {
        assert_true(json_is_string(json_object_get(check, "name")));
        assert_true(json_is_true(json_object_get(check, "ok")));
        assert_true(json_is_string(json_object_get(check, "detail")));
    }
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(checks, 2), "detail")),
                           "1 seeded record"));
    json_decref(v);
}

static void test_sync_metadata(void **state)
{
    sim_fixture *f = *state;
    mock_host *h = f->host;
    /* Default allowlist: the four Northwind fields. */
    json_t *m = sim_call_ok(h, MOCK_SYNC_METADATA, "{\"workspace\": \"" WS "\"}");
    json_t *fields = json_object_get(json_object_get(json_object_get(m, "objects"), "Opportunity"),
                                     "fields");
    assert_int_equal(json_object_size(fields), 4);
    assert_int_equal(json_array_size(json_object_get(m, "problems")), 0);
    json_t *stage = json_object_get(fields, "StageName");
    sim_assert_str(stage, "type", "picklist");
    assert_true(json_is_true(json_object_get(stage, "updateable")));
    assert_true(json_is_false(json_object_get(stage, "nillable")));
    json_t *values = json_object_get(stage, "picklistValues");
    assert_int_equal(json_array_size(values), 10);
    assert_string_equal(json_string_value(json_array_get(values, 6)), "Proposal/Price Quote");
    json_t *amount = json_object_get(fields, "Amount");
    sim_assert_str(amount, "type", "currency");
    assert_true(json_is_true(json_object_get(amount, "nillable")));
    sim_assert_num(amount, "precision", 18);
    sim_assert_num(amount, "scale", 2);
    sim_assert_str(json_object_get(fields, "CloseDate"), "type", "date");
    sim_assert_num(json_object_get(fields, "NextStep"), "length", 255);
    json_decref(m);

    /* The configured allowlist, with one read-only and one unknown field. */
    mock_host_set(h, "allowedFields.Opportunity", " NextStep,Probability , Discount__c");
    m = sim_call_ok(h, MOCK_SYNC_METADATA, "{\"workspace\": \"" WS "\"}");
    fields = json_object_get(json_object_get(json_object_get(m, "objects"), "Opportunity"),
                             "fields");
    assert_int_equal(json_object_size(fields), 2);
    assert_true(json_is_false(json_object_get(json_object_get(fields, "Probability"), "updateable")));
    json_t *problems = json_object_get(m, "problems");
    assert_int_equal(json_array_size(problems), 2);
    assert_string_equal(json_string_value(json_array_get(problems, 0)),
                        "Opportunity.Probability is not updateable");
    assert_string_equal(json_string_value(json_array_get(problems, 1)),
                        "Opportunity.Discount__c does not exist");
    json_decref(m);
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, sim_fixture_setup, sim_fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_stage_name),
        TEST(test_close_date),
        TEST(test_amount),
        TEST(test_next_step),
        TEST(test_read_only_and_unknown_fields),
        TEST(test_lookup_by_name_and_short_id),
        TEST(test_malformed_input),
        TEST(test_read_record),
        TEST(test_validate_report),
        TEST(test_sync_metadata),
    };
    return cmocka_run_group_tests_name("simulation validation", tests, NULL, NULL);
}

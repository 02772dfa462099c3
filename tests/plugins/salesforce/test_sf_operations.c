/*
 * test_sf_operations.c — salesforce.so against the fake Salesforce over HTTPS: validate, sync_metadata,
 * preview (by id, by name, refusals), execute, rollback, read_record, and the round trips each makes,
 * counted from the fake's request log.
 */
#include "sf_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FX(state) ((sf_fixture *)*(state))

static json_t *base(void)
{
    return json_pack("{s:s, s:s}", "workspace", "acme", "environment", "sandbox");
}

static bool array_has_string(const json_t *arr, const char *needle, bool substring)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        const char *s = json_string_value(v);
        if (s && (substring ? strstr(s, needle) != NULL : strcmp(s, needle) == 0))
            return true;
    }
    return false;
}

/* ---- validate ----------------------------------------------------------------------------------------- */

static void validate_reports_auth_version_and_identity(void **state)
{
    sf_fixture *fx = FX(state);
    json_t *in = base();
    json_t *out = sf_test_ok(fx->h, MOCK_VALIDATE, in);
    assert_true(json_is_true(json_object_get(out, "ok")));
    json_t *checks = json_object_get(out, "checks");
    assert_true(json_array_size(checks) >= 3);
    size_t i;
    json_t *c;
    json_array_foreach(checks, i, c) {
        assert_true(json_is_true(json_object_get(c, "ok")));
    }
    assert_string_equal(json_string_value(json_object_get(out, "orgId")), "00DHs000000NWRNMA4");
    assert_string_equal(json_string_value(json_object_get(out, "userId")), "005Hs00000INTGRIA1");
    assert_string_equal(json_string_value(json_object_get(out, "grant")), "client_credentials");
    assert_string_equal(json_string_value(json_object_get(out, "instanceUrl")), fx->fake.instance_url);
    assert_string_equal(json_string_value(json_object_get(out, "newestApiVersion")), "66.0");
    assert_int_equal(sf_test_int(out, "tokenRequests"), 1);
    assert_int_equal(sf_test_int(out, "requests"), 1);

    json_t *log = fake_sf_log(&fx->fake);
    assert_int_equal(fake_sf_count(log, "token", "POST", "/services/oauth2/token"), 1);
    assert_int_equal(fake_sf_count(log, "versions", "GET", "/services/data/"), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(log, 0), "grant")), "client_credentials");
    json_decref(log);
    json_decref(out);
    json_decref(in);
}

static void validate_refuses_a_version_the_org_does_not_offer(void **state)
{
    sf_fixture *fx = FX(state);
    const char *pairs[] = {"apiVersion", "71.0", NULL};
    mock_host *h = sf_fixture_reopen(fx, pairs);
    json_t *in = base();
    mock_result res;
    assert_int_equal(sf_test_call(h, MOCK_VALIDATE, in, &res), AP_ERROR);
    assert_non_null(strstr(res.message, "71.0"));
    assert_non_null(strstr(res.message, "NOT offered"));
    json_t *details = sf_test_details(&res);
    json_t *checks = json_object_get(details, "checks");
    assert_true(json_is_true(json_object_get(json_array_get(checks, 0), "ok")));   /* auth worked */
    assert_true(json_is_false(json_object_get(json_array_get(checks, 1), "ok")));  /* the version did not */
    json_decref(details);
    mock_result_clear(&res);
    json_decref(in);
}

static void validate_uses_the_refresh_token_grant_when_configured(void **state)
{
    sf_fixture *fx = FX(state);
    const char *pairs[] = {"refreshToken", FAKE_SF_REFRESH_TOKEN, "clientSecret", "", NULL};
    mock_host *h = sf_fixture_reopen(fx, pairs);
    json_t *in = base();
    json_t *out = sf_test_ok(h, MOCK_VALIDATE, in);
    assert_string_equal(json_string_value(json_object_get(out, "grant")), "refresh_token");
    json_t *log = fake_sf_log(&fx->fake);
    assert_string_equal(json_string_value(json_object_get(json_array_get(log, 0), "grant")), "refresh_token");
    json_decref(log);
    json_decref(out);
    json_decref(in);
}

static void validate_takes_the_secret_from_the_environment(void **state)
{
    sf_fixture *fx = FX(state);
    setenv("ACTIONPLANE_SALESFORCE_CLIENT_SECRET", FAKE_SF_CLIENT_SECRET, 1);
    const char *pairs[] = {"clientSecret", "", NULL};
    mock_host *h = sf_fixture_reopen(fx, pairs);
    json_t *in = base();
    json_t *out = sf_test_ok(h, MOCK_VALIDATE, in);
    assert_true(json_is_true(json_object_get(out, "ok")));
    unsetenv("ACTIONPLANE_SALESFORCE_CLIENT_SECRET");
    json_decref(out);
    json_decref(in);
}

static void validate_checks_is_sandbox_against_the_environment(void **state)
{
    sf_fixture *fx = FX(state);
    json_t *in = json_pack("{s:s, s:s}", "workspace", "acme", "environment", "production");
    mock_result res;
    assert_int_equal(sf_test_call(fx->h, MOCK_VALIDATE, in, &res), AP_ERROR);
    assert_non_null(strstr(res.message, "isSandbox"));
    mock_result_clear(&res);
    json_decref(in);
}

/* ---- sync_metadata ------------------------------------------------------------------------------------ */

static const json_t *field_meta(const json_t *out, const char *field)
{
    return json_object_get(
        json_object_get(json_object_get(json_object_get(out, "objects"), "Opportunity"), "fields"), field);
}

static void sync_metadata_keeps_the_allowlisted_fields(void **state)
{
    sf_fixture *fx = FX(state);
    json_t *in = base();
    json_t *out = sf_test_ok(fx->h, MOCK_SYNC_METADATA, in);
    assert_int_equal(sf_test_int(out, "metadataRequests"), 1);
    assert_int_equal(json_array_size(json_object_get(out, "problems")), 0);
    const json_t *stage = field_meta(out, "StageName");
    assert_string_equal(json_string_value(json_object_get(stage, "type")), "picklist");
    assert_true(json_is_true(json_object_get(stage, "updateable")));
    assert_true(array_has_string(json_object_get(stage, "picklistValues"), "Proposal/Price Quote", false));
    assert_false(array_has_string(json_object_get(stage, "picklistValues"), "Discovery (retired)", false));
    const json_t *amount = field_meta(out, "Amount");
    assert_string_equal(json_string_value(json_object_get(amount, "type")), "currency");
    assert_int_equal(sf_test_int(amount, "scale"), 2);
    assert_true(json_is_true(json_object_get(amount, "nillable")));
    assert_int_equal(sf_test_int(field_meta(out, "NextStep"), "length"), 255);
    assert_string_equal(json_string_value(json_object_get(field_meta(out, "CloseDate"), "type")), "date");
    assert_null(field_meta(out, "Probability")); /* not allowlisted: not kept */
    json_decref(out);
    json_decref(in);
}

static void sync_metadata_reports_missing_and_read_only_fields(void **state)
{
    sf_fixture *fx = FX(state);
    const char *pairs[] = {"allowedFields.Opportunity", "StageName, Bogus__c, IsWon", NULL};
    mock_host *h = sf_fixture_reopen(fx, pairs);
    json_t *in = base();
    json_t *out = sf_test_ok(h, MOCK_SYNC_METADATA, in);
    json_t *problems = json_object_get(out, "problems");
    assert_int_equal(json_array_size(problems), 2);
    assert_true(array_has_string(problems, "Opportunity.Bogus__c does not exist", true));
    assert_true(array_has_string(problems, "Opportunity.IsWon is not updateable", true));
    assert_non_null(field_meta(out, "IsWon")); /* reported, not silently dropped */
    json_decref(out);
    json_decref(in);
}

/* ---- preview ------------------------------------------------------------------------------------------ */

static void preview_by_id_reads_once_and_builds_diff_and_plan(void **state)
{
    sf_fixture *fx = FX(state);
    json_t *in = sf_test_preview_input(NW_ID, NW_CHANGES);
    json_t *out = sf_test_ok(fx->h, MOCK_PREVIEW, in);

    json_t *target = json_object_get(out, "target");
    assert_string_equal(json_string_value(json_object_get(target, "id")), NW_ID);
    assert_string_equal(json_string_value(json_object_get(target, "name")), NW_NAME);
    json_t *diff = json_object_get(out, "diff");
    assert_int_equal(json_array_size(diff), 4);
    const char *order[] = {"StageName", "Amount", "CloseDate", "NextStep"};
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(json_string_value(json_object_get(json_array_get(diff, i), "field")), order[i]);
    assert_string_equal(json_string_value(json_object_get(json_array_get(diff, 0), "before")), "Qualification");
    assert_true(json_number_value(json_object_get(json_array_get(diff, 1), "before")) == 120000.0);
    json_t *current = json_object_get(out, "current");
    assert_string_equal(json_string_value(json_object_get(current, "CloseDate")), "2026-05-20");
    assert_non_null(json_string_value(json_object_get(out, "version")));
    json_t *plan = json_object_get(out, "rollbackPlan");
    assert_string_equal(json_string_value(json_object_get(plan, "strategy")), "compensating_patch");
    assert_string_equal(json_string_value(json_object_get(json_object_get(plan, "restore"), "NextStep")),
                        "Confirm pricing committee review");
    assert_true(json_is_true(json_object_get(out, "rollbackReady")));
    /* one GET after the token; the first preview also describes Opportunity once */
    assert_int_equal(sf_test_int(out, "requests"), 1);
    assert_int_equal(sf_test_int(out, "metadataRequests"), 1);
    assert_int_equal(sf_test_int(out, "tokenRequests"), 1);

    json_t *log = fake_sf_log(&fx->fake);
    assert_int_equal(fake_sf_count(log, "data", "GET", "/sobjects/Opportunity/" NW_ID), 1);
    assert_int_equal(fake_sf_count(log, "data", "GET", "/describe"), 1);
    assert_int_equal(fake_sf_count(log, "data", NULL, NULL), 2);
    assert_int_equal(fake_sf_count_patches(log), 0);
    const json_t *get = json_array_get(log, 2);
    const char *query = json_string_value(json_object_get(get, "query"));
    assert_non_null(strstr(query, "StageName"));
    assert_non_null(strstr(query, "LastModifiedDate"));
    assert_null(strstr(query, "Probability")); /* only the needed fields travel */
    /* data calls go to the token's instance_url, not the login URL */
    assert_non_null(strstr(fx->fake.instance_url, json_string_value(json_object_get(get, "host"))));
    json_decref(log);
    json_decref(out);

    /* a second preview: token and metadata are cached, one request */
    assert_int_equal(fake_sf_clear_log(&fx->fake), 0);
    out = sf_test_ok(fx->h, MOCK_PREVIEW, in);
    assert_int_equal(sf_test_int(out, "requests"), 1);
    assert_int_equal(sf_test_int(out, "metadataRequests"), 0);
    assert_int_equal(sf_test_int(out, "tokenRequests"), 0);
    log = fake_sf_log(&fx->fake);
    assert_int_equal(json_array_size(log), 1);
    json_decref(log);
    json_decref(out);
    json_decref(in);
}

static void preview_by_name_is_one_query(void **state)
{
    sf_fixture *fx = FX(state);
    json_t *in = sf_test_preview_by_name(NW_NAME, NW_CHANGES);
    json_t *out = sf_test_ok(fx->h, MOCK_PREVIEW, in);
    assert_string_equal(json_string_value(json_object_get(json_object_get(out, "target"), "id")), NW_ID);
    assert_int_equal(json_array_size(json_object_get(out, "diff")), 4);
    assert_int_equal(sf_test_int(out, "requests"), 1);
    json_t *log = fake_sf_log(&fx->fake);
    assert_int_equal(fake_sf_count(log, "data", "GET", "/query"), 1);
    assert_int_equal(fake_sf_count(log, "data", "GET", "/sobjects/Opportunity/006"), 0);
    json_decref(log);
    json_decref(out);
    json_decref(in);
}

static void preview_by_name_escapes_quotes_and_backslashes(void **state)
{
    sf_fixture *fx = FX(state);
    json_t *in = sf_test_preview_by_name("O'Brien \\ Partners deal", "{\"NextStep\": \"Send contract\"}");
    json_t *out = sf_test_ok(fx->h, MOCK_PREVIEW, in);
    assert_string_equal(json_string_value(json_object_get(json_object_get(out, "target"), "id")), "006Hs00001OBRNQIA5");
    json_t *log = fake_sf_log(&fx->fake);
    json_t *q = json_array_get(log, json_array_size(log) - 1);
    assert_int_equal(sf_test_int(q, "status"), 200);
    assert_non_null(strstr(json_string_value(json_object_get(q, "query")), "O\\'Brien \\\\ Partners"));
    json_decref(log);
    json_decref(out);
    json_decref(in);
}

static void preview_refuses_an_ambiguous_or_unknown_name(void **state)
{
    sf_fixture *fx = FX(state);
    json_t *in = sf_test_preview_by_name("contoso EXPANSION", NW_CHANGES);
    mock_result res;
    assert_int_equal(sf_test_call(fx->h, MOCK_PREVIEW, in, &res), AP_INVALID);
    assert_string_equal(res.code, "ambiguous_target");
    json_t *details = sf_test_details(&res);
    assert_int_equal(json_array_size(json_object_get(details, "matches")), 2);
    json_decref(details);
    mock_result_clear(&res);
    json_decref(in);

    in = sf_test_preview_by_name("No such deal", NW_CHANGES);
    assert_int_equal(sf_test_call(fx->h, MOCK_PREVIEW, in, &res), AP_NOT_FOUND);
    assert_string_equal(res.code, "not_found");
    mock_result_clear(&res);
    json_decref(in);
}

static void preview_of_a_missing_record_is_not_found(void **state)
{
    sf_fixture *fx = FX(state);
    json_t *in = sf_test_preview_input("006Hs00001ZZZZZ", NW_CHANGES); /* a 15-character id: normalised */
    mock_result res;
    assert_int_equal(sf_test_call(fx->h, MOCK_PREVIEW, in, &res), AP_NOT_FOUND);
    assert_string_equal(res.code, "not_found");
    json_t *details = sf_test_details(&res);
    assert_string_equal(sf_test_sf_code(details), "NOT_FOUND");
    json_decref(details);
    mock_result_clear(&res);
    json_decref(in);

    in = sf_test_preview_input("not-an-id", NW_CHANGES);
    assert_int_equal(sf_test_call(fx->h, MOCK_PREVIEW, in, &res), AP_INVALID);
    assert_string_equal(res.code, "invalid_request");
    mock_result_clear(&res);
    json_decref(in);
}

static void preview_refuses_a_bad_picklist_value_before_any_read_or_write(void **state)
{
    sf_fixture *fx = FX(state);
    json_t *in = sf_test_preview_input(NW_ID, "{\"StageName\": \"Proposal / Price Quote\", \"Amount\": 148000}");
    mock_result res;
    assert_int_equal(sf_test_call(fx->h, MOCK_PREVIEW, in, &res), AP_INVALID);
    assert_string_equal(res.code, "invalid_value");
    assert_non_null(strstr(res.message, "did you mean 'Proposal/Price Quote'"));
    json_t *details = sf_test_details(&res);
    json_t *fields = json_object_get(details, "fields");
    assert_int_equal(json_array_size(fields), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(fields, 0), "field")), "StageName");
    assert_true(array_has_string(json_object_get(json_array_get(fields, 0), "allowed"), "Closed Won", false));
    json_decref(details);
    mock_result_clear(&res);
    json_t *log = fake_sf_log(&fx->fake);
    assert_int_equal(fake_sf_count(log, "data", NULL, NULL), 1); /* the describe, nothing else */
    assert_int_equal(fake_sf_count(log, "data", "GET", "/describe"), 1);
    assert_int_equal(fake_sf_count_patches(log), 0);
    json_decref(log);
    json_decref(in);
}

static void preview_checks_dates_numbers_and_lengths(void **state)
{
    sf_fixture *fx = FX(state);
    char changes[1024];
    char long_text[300];
    memset(long_text, 'x', 260);
    long_text[260] = '\0';
    snprintf(changes, sizeof changes,
             "{\"CloseDate\": \"2026-02-30\", \"Amount\": \"lots\", \"NextStep\": \"%s\", \"StageName\": null}",
             long_text);
    json_t *in = sf_test_preview_input(NW_ID, changes);
    mock_result res;
    assert_int_equal(sf_test_call(fx->h, MOCK_PREVIEW, in, &res), AP_INVALID);
    json_t *details = sf_test_details(&res);
    json_t *fields = json_object_get(details, "fields");
    assert_int_equal(json_array_size(fields), 4);
    const char *reasons[] = {"YYYY-MM-DD", "must be a number", "at most 255", "required"};
    for (size_t i = 0; i < 4; i++) {
        const char *r = json_string_value(json_object_get(json_array_get(fields, i), "reason"));
        if (!strstr(r, reasons[i]))
            fprintf(stderr, "reason %zu: %s\n", i, r);
        assert_non_null(strstr(r, reasons[i]));
    }
    json_decref(details);
    mock_result_clear(&res);
    json_decref(in);

    in = sf_test_preview_input(NW_ID, "{\"Amount\": 148000.125}");
    assert_int_equal(sf_test_call(fx->h, MOCK_PREVIEW, in, &res), AP_INVALID);
    assert_non_null(strstr(res.message, "decimal places"));
    mock_result_clear(&res);
    json_decref(in);

    in = sf_test_preview_input(NW_ID, "{\"Amount\": null, \"CloseDate\": \"2026-02-28\"}");
    json_t *out = sf_test_ok(fx->h, MOCK_PREVIEW, in); /* Amount is nillable; 28 February exists */
    assert_int_equal(json_array_size(json_object_get(out, "diff")), 2);
    json_decref(out);
    json_decref(in);
}

static void preview_refuses_fields_outside_the_allowlist_without_any_request(void **state)
{
    sf_fixture *fx = FX(state);
    json_t *in = sf_test_preview_input(NW_ID, "{\"Probability\": 90}");
    mock_result res;
    assert_int_equal(sf_test_call(fx->h, MOCK_PREVIEW, in, &res), AP_INVALID);
    assert_string_equal(res.code, "field_not_allowed");
    mock_result_clear(&res);
    json_t *log = fake_sf_log(&fx->fake);
    assert_int_equal(json_array_size(log), 0);
    json_decref(log);
    json_decref(in);

    in = sf_test_preview_input(NW_ID, NW_CHANGES);
    json_object_set_new(in, "action", json_string("salesforce.delete-account"));
    assert_int_equal(sf_test_call(fx->h, MOCK_PREVIEW, in, &res), AP_UNSUPPORTED);
    mock_result_clear(&res);
    json_decref(in);
}

static void preview_of_a_retired_stage_is_not_rollback_ready(void **state)
{
    sf_fixture *fx = FX(state);
    json_t *in = sf_test_preview_input("006Hs00001LGCYAIA5", "{\"StageName\": \"Closed Lost\"}");
    json_t *out = sf_test_ok(fx->h, MOCK_PREVIEW, in);
    assert_true(json_is_false(json_object_get(out, "rollbackReady")));
    assert_true(array_has_string(json_object_get(out, "warnings"), "inactive picklist value", true));
    json_decref(out);
    json_decref(in);
}

/* ---- execute, rollback, read_record ------------------------------------------------------------------- */

static void northwind_story_with_round_trip_counts(void **state)
{
    sf_fixture *fx = FX(state);
    json_t *in = sf_test_preview_input(NW_ID, NW_CHANGES);
    json_t *preview = sf_test_ok(fx->h, MOCK_PREVIEW, in);
    json_decref(in);

    assert_int_equal(fake_sf_clear_log(&fx->fake), 0);
    in = sf_test_execute_input(preview);
    json_t *executed = sf_test_ok(fx->h, MOCK_EXECUTE, in);
    json_decref(in);
    /* execute = 1 GET (re-check) + 1 Composite (PATCH + GET back) */
    assert_int_equal(sf_test_int(executed, "requests"), 2);
    assert_int_equal(sf_test_int(executed, "tokenRequests"), 0);
    json_t *log = fake_sf_log(&fx->fake);
    assert_int_equal(json_array_size(log), 2);
    assert_int_equal(fake_sf_count(log, "data", "GET", "/sobjects/Opportunity/" NW_ID), 1);
    assert_int_equal(fake_sf_count(log, "data", "POST", "/composite"), 1);
    const json_t *sub = json_array_get(json_object_get(json_array_get(log, 1), "subrequests"), 0);
    assert_string_equal(json_string_value(json_object_get(sub, "method")), "PATCH");
    assert_non_null(strstr(json_string_value(json_object_get(sub, "ifUnmodifiedSince")), " GMT"));
    json_t *patched = json_object_get(sub, "body");
    assert_int_equal(json_object_size(patched), 4); /* only the changed fields */
    json_decref(log);

    json_t *written = json_object_get(executed, "written");
    assert_string_equal(json_string_value(json_object_get(written, "StageName")), "Proposal/Price Quote");
    json_t *observed = json_object_get(executed, "observed");
    assert_string_equal(json_string_value(json_object_get(observed, "StageName")), "Proposal/Price Quote");
    assert_true(json_number_value(json_object_get(observed, "Probability")) == 75.0);
    json_t *automation = json_object_get(executed, "automationChanges");
    json_t *prob = json_object_get(automation, "Probability");
    assert_non_null(prob);
    assert_true(json_number_value(json_object_get(prob, "before")) == 10.0);
    assert_true(json_number_value(json_object_get(prob, "after")) == 75.0);
    assert_null(json_object_get(automation, "ForecastCategoryName")); /* unchanged: Pipeline both */
    assert_string_not_equal(json_string_value(json_object_get(executed, "version")),
                            json_string_value(json_object_get(preview, "version")));
    json_t *plan = json_object_get(executed, "rollbackPlan");
    assert_string_equal(json_string_value(json_object_get(json_object_get(plan, "restore"), "StageName")),
                        "Qualification");
    assert_non_null(json_object_get(json_object_get(plan, "automationChanges"), "Probability"));
    sf_test_assert_field(&fx->fake, NW_ID, "StageName", "\"Proposal/Price Quote\"");
    sf_test_assert_field(&fx->fake, NW_ID, "Amount", "148000");

    assert_int_equal(fake_sf_clear_log(&fx->fake), 0);
    in = sf_test_rollback_input(executed, false, NULL);
    json_t *rolled = sf_test_ok(fx->h, MOCK_ROLLBACK, in);
    json_decref(in);
    assert_int_equal(sf_test_int(rolled, "requests"), 2);
    log = fake_sf_log(&fx->fake);
    assert_int_equal(fake_sf_count(log, "data", "GET", NULL), 1);
    assert_int_equal(fake_sf_count(log, "data", "POST", "/composite"), 1);
    json_decref(log);
    assert_string_equal(json_string_value(json_object_get(json_object_get(rolled, "restored"), "StageName")),
                        "Qualification");
    assert_true(json_number_value(json_object_get(json_object_get(rolled, "observed"), "Probability")) == 10.0);
    assert_true(json_is_false(json_object_get(rolled, "forced")));
    sf_test_assert_field(&fx->fake, NW_ID, "StageName", "\"Qualification\"");
    sf_test_assert_field(&fx->fake, NW_ID, "Amount", "120000");
    sf_test_assert_field(&fx->fake, NW_ID, "CloseDate", "\"2026-05-20\"");
    sf_test_assert_field(&fx->fake, NW_ID, "NextStep", "\"Confirm pricing committee review\"");
    sf_test_assert_field(&fx->fake, NW_ID, "Probability", "10");
    json_decref(rolled);
    json_decref(executed);
    json_decref(preview);
}

static void a_preview_without_diff_executes_and_rolls_back_without_writing(void **state)
{
    sf_fixture *fx = FX(state);
    json_t *in = sf_test_preview_input(NW_ID, "{\"NextStep\": \"Confirm pricing committee review\"}");
    json_t *preview = sf_test_ok(fx->h, MOCK_PREVIEW, in);
    json_decref(in);
    assert_int_equal(json_array_size(json_object_get(preview, "diff")), 0);
    assert_int_equal(fake_sf_clear_log(&fx->fake), 0);
    in = sf_test_execute_input(preview);
    json_t *executed = sf_test_ok(fx->h, MOCK_EXECUTE, in);
    json_decref(in);
    assert_int_equal(json_object_size(json_object_get(executed, "written")), 0);
    assert_int_equal(sf_test_int(executed, "requests"), 1); /* the re-check only */
    in = sf_test_rollback_input(executed, false, NULL);
    json_t *rolled = sf_test_ok(fx->h, MOCK_ROLLBACK, in);
    json_decref(in);
    assert_int_equal(json_object_size(json_object_get(rolled, "restored")), 0);
    json_t *log = fake_sf_log(&fx->fake);
    assert_int_equal(fake_sf_count_patches(log), 0);
    assert_int_equal(fake_sf_count(log, "data", "POST", "/composite"), 0);
    json_decref(log);
    json_decref(rolled);
    json_decref(executed);
    json_decref(preview);
}

static void read_record_returns_the_allowlisted_fields_and_version(void **state)
{
    sf_fixture *fx = FX(state);
    json_t *in = base();
    json_object_set_new(in, "object", json_string("Opportunity"));
    json_object_set_new(in, "id", json_string(NW_ID));
    json_t *out = sf_test_ok(fx->h, MOCK_READ_RECORD, in);
    json_t *fields = json_object_get(out, "fields");
    assert_string_equal(json_string_value(json_object_get(fields, "StageName")), "Qualification");
    assert_string_equal(json_string_value(json_object_get(fields, "Name")), NW_NAME);
    assert_true(json_number_value(json_object_get(fields, "Amount")) == 120000.0);
    assert_non_null(json_string_value(json_object_get(out, "version")));
    assert_int_equal(sf_test_int(out, "requests"), 1);
    json_decref(out);

    json_object_set_new(in, "fields", json_pack("[s]", "Description"));
    mock_result res;
    assert_int_equal(sf_test_call(fx->h, MOCK_READ_RECORD, in, &res), AP_INVALID);
    assert_string_equal(res.code, "field_not_allowed");
    mock_result_clear(&res);
    json_decref(in);
}

static void api_usage_comes_from_sforce_limit_info(void **state)
{
    sf_fixture *fx = FX(state);
    json_t *in = sf_test_preview_input(NW_ID, NW_CHANGES);
    json_t *out = sf_test_ok(fx->h, MOCK_PREVIEW, in);
    json_t *usage = json_object_get(out, "apiUsage");
    assert_true(json_is_object(usage));
    assert_true(sf_test_int(usage, "used") >= 1);
    assert_int_equal(sf_test_int(usage, "max"), 15000);
    assert_non_null(strstr(json_string_value(json_object_get(usage, "header")), "api-usage="));
    json_decref(out);
    json_decref(in);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, sf_test_setup, sf_test_teardown)
    const struct CMUnitTest tests[] = {
        T(validate_reports_auth_version_and_identity),
        T(validate_refuses_a_version_the_org_does_not_offer),
        T(validate_uses_the_refresh_token_grant_when_configured),
        T(validate_takes_the_secret_from_the_environment),
        T(validate_checks_is_sandbox_against_the_environment),
        T(sync_metadata_keeps_the_allowlisted_fields),
        T(sync_metadata_reports_missing_and_read_only_fields),
        T(preview_by_id_reads_once_and_builds_diff_and_plan),
        T(preview_by_name_is_one_query),
        T(preview_by_name_escapes_quotes_and_backslashes),
        T(preview_refuses_an_ambiguous_or_unknown_name),
        T(preview_of_a_missing_record_is_not_found),
        T(preview_refuses_a_bad_picklist_value_before_any_read_or_write),
        T(preview_checks_dates_numbers_and_lengths),
        T(preview_refuses_fields_outside_the_allowlist_without_any_request),
        T(preview_of_a_retired_stage_is_not_rollback_ready),
        T(northwind_story_with_round_trip_counts),
        T(a_preview_without_diff_executes_and_rolls_back_without_writing),
        T(read_record_returns_the_allowlisted_fields_and_version),
        T(api_usage_comes_from_sforce_limit_info),
    };
    return cmocka_run_group_tests(tests, sf_group_setup, sf_group_teardown);
}

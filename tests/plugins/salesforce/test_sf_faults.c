/*
 * test_sf_faults.c — salesforce.so when things go wrong, with faults injected into the fake: expired
 * sessions, token endpoint errors, 503/429/locked rows (retried), daily limits (not retried), timeouts
 * (never retried; a write's outcome settled by a read), malformed JSON, connection resets, TLS failures.
 */
#include "sf_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FX(state) ((sf_fixture *)*(state))

static json_t *base(void)
{
    return json_pack("{s:s, s:s}", "workspace", "acme", "environment", "sandbox");
}

static json_t *preview_northwind(mock_host *h)
{
    json_t *in = sf_test_preview_input(NW_ID, NW_CHANGES);
    json_t *out = sf_test_ok(h, MOCK_PREVIEW, in);
    json_decref(in);
    return out;
}

static size_t history_length(const fake_sf *f)
{
    json_t *answer = fake_sf_control(f, "GET", "/__fake/history", NULL);
    assert_non_null(answer);
    size_t n = json_array_size(json_object_get(answer, "history"));
    json_decref(answer);
    return n;
}

static const char *str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

/* ---- sessions and tokens ------------------------------------------------------------------------------ */

static void expired_session_mid_run_gets_one_new_token(void **state)
{
    sf_fixture *fx = FX(state);
    json_t *preview = preview_northwind(fx->h);
    assert_int_equal(fake_sf_expire_tokens(&fx->fake), 0);
    assert_int_equal(fake_sf_clear_log(&fx->fake), 0);

    json_t *in = sf_test_execute_input(preview);
    json_t *out = sf_test_ok(fx->h, MOCK_EXECUTE, in);
    assert_int_equal(sf_test_int(out, "reauths"), 1);
    assert_int_equal(sf_test_int(out, "tokenRequests"), 1);
    json_t *log = fake_sf_log(&fx->fake);
    assert_int_equal(json_array_size(log), 4);
    assert_int_equal(sf_test_int(json_array_get(log, 0), "status"), 401);
    assert_string_equal(str(json_array_get(log, 1), "kind"), "token");
    assert_int_equal(sf_test_int(json_array_get(log, 2), "status"), 200);
    assert_string_equal(str(json_array_get(log, 3), "path"), "/services/data/v66.0/composite");
    json_decref(log);
    sf_test_assert_field(&fx->fake, NW_ID, "StageName", "\"Proposal/Price Quote\"");
    json_decref(out);
    json_decref(in);
    json_decref(preview);
}

static void a_second_401_is_not_retried_again(void **state)
{
    sf_fixture *fx = FX(state);
    assert_int_equal(fake_sf_fault(&fx->fake, "{\"action\": \"status\", \"status\": 401, \"count\": 5, \"path\": "
                                               "\"/sobjects/Opportunity/006\", \"body\": [{\"message\": \"Session "
                                               "expired or invalid\", \"errorCode\": \"INVALID_SESSION_ID\"}]}"), 0);
    json_t *in = sf_test_preview_input(NW_ID, NW_CHANGES);
    mock_result res;
    assert_int_equal(sf_test_call(fx->h, MOCK_PREVIEW, in, &res), AP_ERROR);
    assert_string_equal(res.code, "connector_error");
    json_t *details = sf_test_details(&res);
    assert_int_equal(sf_test_int(details, "reauths"), 1);
    assert_int_equal(sf_test_int(details, "requests"), 2);
    assert_string_equal(sf_test_sf_code(details), "INVALID_SESSION_ID");
    json_decref(details);
    mock_result_clear(&res);
    json_decref(in);
}

static void token_endpoint_errors_reach_the_user_verbatim(void **state)
{
    sf_fixture *fx = FX(state);
    const char *pairs[] = {"clientSecret", "wrong-secret-do-not-show", NULL};
    mock_host *h = sf_fixture_reopen(fx, pairs);
    json_t *in = base();
    mock_result res;
    assert_int_equal(sf_test_call(h, MOCK_VALIDATE, in, &res), AP_ERROR);
    assert_string_equal(res.code, "connector_error");
    assert_non_null(strstr(res.message, "invalid_client"));
    assert_null(strstr(res.message, "wrong-secret-do-not-show"));
    json_t *details = sf_test_details(&res);
    assert_string_equal(str(details, "error"), "invalid_client");
    assert_string_equal(str(details, "error_description"), "invalid client credentials");
    assert_string_equal(str(details, "stage"), "token");
    assert_null(strstr(res.details, "wrong-secret-do-not-show"));
    json_decref(details);
    mock_result_clear(&res);
    json_decref(in);

    const char *refresh[] = {"refreshToken", "revoked-refresh-token", NULL};
    h = sf_fixture_reopen(fx, refresh);
    in = sf_test_preview_input(NW_ID, NW_CHANGES);
    assert_int_equal(sf_test_call(h, MOCK_PREVIEW, in, &res), AP_ERROR);
    details = sf_test_details(&res);
    assert_string_equal(str(details, "error"), "invalid_grant");
    assert_string_equal(str(details, "error_description"), "expired access/refresh token");
    assert_string_equal(str(details, "grant"), "refresh_token");
    assert_null(strstr(res.details, "revoked-refresh-token"));
    json_decref(details);
    mock_result_clear(&res);
    json_decref(in);
}

/* ---- retries ------------------------------------------------------------------------------------------ */

static void a_503_is_retried_then_succeeds(void **state)
{
    sf_fixture *fx = FX(state);
    assert_int_equal(fake_sf_fault(&fx->fake, "{\"action\": \"status\", \"status\": 503, \"method\": \"GET\", "
                                               "\"path\": \"/sobjects/Opportunity/006\", \"body\": [{\"message\": "
                                               "\"Server unavailable\", \"errorCode\": \"SERVER_UNAVAILABLE\"}]}"), 0);
    json_t *out = preview_northwind(fx->h);
    assert_int_equal(sf_test_int(out, "retries"), 1);
    assert_int_equal(sf_test_int(out, "requests"), 2);
    assert_int_equal(json_array_size(json_object_get(out, "diff")), 4);
    json_decref(out);
}

static void a_lasting_503_ends_as_a_retryable_error(void **state)
{
    sf_fixture *fx = FX(state);
    const char *pairs[] = {"maxRetries", "2", NULL};
    mock_host *h = sf_fixture_reopen(fx, pairs);
    assert_int_equal(fake_sf_fault(&fx->fake, "{\"action\": \"status\", \"status\": 503, \"count\": 10, \"path\": "
                                               "\"/sobjects/Opportunity/006\", \"body\": [{\"message\": \"Server "
                                               "unavailable\", \"errorCode\": \"SERVER_UNAVAILABLE\"}]}"), 0);
    json_t *in = sf_test_preview_input(NW_ID, NW_CHANGES);
    mock_result res;
    assert_int_equal(sf_test_call(h, MOCK_PREVIEW, in, &res), AP_RETRY);
    assert_string_equal(res.code, "connector_error");
    json_t *details = sf_test_details(&res);
    assert_int_equal(sf_test_int(details, "requests"), 3);
    assert_int_equal(sf_test_int(details, "retries"), 2);
    assert_string_equal(sf_test_sf_code(details), "SERVER_UNAVAILABLE");
    json_decref(details);
    mock_result_clear(&res);
    json_decref(in);
}

static void a_locked_row_is_retried_and_written_once(void **state)
{
    sf_fixture *fx = FX(state);
    json_t *preview = preview_northwind(fx->h);
    assert_int_equal(fake_sf_fault(&fx->fake, "{\"action\": \"status\", \"status\": 400, \"method\": \"PATCH\", "
                                               "\"sub\": true, \"body\": [{\"message\": \"unable to obtain exclusive "
                                               "access to this record\", \"errorCode\": \"UNABLE_TO_LOCK_ROW\"}]}"), 0);
    assert_int_equal(fake_sf_clear_log(&fx->fake), 0);
    json_t *in = sf_test_execute_input(preview);
    json_t *out = sf_test_ok(fx->h, MOCK_EXECUTE, in);
    assert_int_equal(sf_test_int(out, "retries"), 1);
    json_t *log = fake_sf_log(&fx->fake);
    assert_int_equal(fake_sf_count(log, "data", "POST", "/composite"), 2);
    json_decref(log);
    assert_int_equal(history_length(&fx->fake), 1);
    sf_test_assert_field(&fx->fake, NW_ID, "StageName", "\"Proposal/Price Quote\"");
    json_decref(out);
    json_decref(in);
    json_decref(preview);
}

static void a_429_waits_for_retry_after(void **state)
{
    sf_fixture *fx = FX(state);
    assert_int_equal(fake_sf_fault(&fx->fake, "{\"action\": \"status\", \"status\": 429, \"path\": "
                                               "\"/sobjects/Opportunity/006\", \"headers\": {\"Retry-After\": \"1\"}, "
                                               "\"body\": [{\"message\": \"ConcurrentPerOrgLongTxn Limit exceeded.\", "
                                               "\"errorCode\": \"REQUEST_LIMIT_EXCEEDED\"}]}"), 0);
    json_t *out = preview_northwind(fx->h);
    assert_int_equal(sf_test_int(out, "retries"), 1);
    json_decref(out);
}

static void the_daily_limit_is_not_retried(void **state)
{
    sf_fixture *fx = FX(state);
    assert_int_equal(fake_sf_fault(&fx->fake, "{\"action\": \"status\", \"status\": 403, \"path\": "
                                               "\"/sobjects/Opportunity/006\", \"body\": [{\"message\": "
                                               "\"TotalRequests Limit exceeded.\", \"errorCode\": "
                                               "\"REQUEST_LIMIT_EXCEEDED\"}]}"), 0);
    json_t *in = sf_test_preview_input(NW_ID, NW_CHANGES);
    mock_result res;
    assert_int_equal(sf_test_call(fx->h, MOCK_PREVIEW, in, &res), AP_RETRY);
    json_t *details = sf_test_details(&res);
    assert_int_equal(sf_test_int(details, "retries"), 0);
    assert_int_equal(sf_test_int(details, "requests"), 1);
    assert_string_equal(sf_test_sf_code(details), "REQUEST_LIMIT_EXCEEDED");
    json_decref(details);
    mock_result_clear(&res);
    json_decref(in);
}

/* ---- timeouts, garbage, resets ------------------------------------------------------------------------ */

static void a_slow_read_is_a_timeout_and_not_retried(void **state)
{
    sf_fixture *fx = FX(state);
    const char *pairs[] = {"timeoutMs", "1000", NULL};
    mock_host *h = sf_fixture_reopen(fx, pairs);
    assert_int_equal(fake_sf_fault(&fx->fake, "{\"action\": \"delay\", \"seconds\": 2.5, \"method\": \"GET\", "
                                               "\"path\": \"/sobjects/Opportunity/006\"}"), 0);
    json_t *in = sf_test_preview_input(NW_ID, NW_CHANGES);
    mock_result res;
    assert_int_equal(sf_test_call(h, MOCK_PREVIEW, in, &res), AP_TIMEOUT);
    assert_string_equal(res.code, "connector_timeout");
    json_t *details = sf_test_details(&res);
    assert_string_equal(str(details, "transport"), "timeout");
    assert_int_equal(sf_test_int(details, "requests"), 1);
    assert_int_equal(sf_test_int(details, "retries"), 0);
    json_decref(details);
    mock_result_clear(&res);
    json_decref(in);
}

static void wait_for_history(const fake_sf *f, size_t n)
{
    for (int i = 0; i < 200 && history_length(f) < n; i++) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(history_length(f), n);
}

static void a_slow_write_is_a_timeout_settled_by_one_read(void **state)
{
    sf_fixture *fx = FX(state);
    const char *pairs[] = {"timeoutMs", "1000", NULL};
    mock_host *h = sf_fixture_reopen(fx, pairs);
    json_t *preview = preview_northwind(h);
    assert_int_equal(fake_sf_fault(&fx->fake, "{\"action\": \"delay\", \"seconds\": 2.5, \"method\": \"POST\", "
                                               "\"path\": \"/composite\"}"), 0);
    assert_int_equal(fake_sf_clear_log(&fx->fake), 0);
    json_t *in = sf_test_execute_input(preview);
    mock_result res;
    assert_int_equal(sf_test_call(h, MOCK_EXECUTE, in, &res), AP_TIMEOUT);
    assert_string_equal(res.code, "connector_timeout");
    assert_non_null(strstr(res.message, "may still land"));
    json_t *details = sf_test_details(&res);
    assert_string_equal(str(details, "writeOutcome"), "not_applied_when_checked");
    assert_string_equal(str(json_object_get(details, "observedAfter"), "StageName"), "Qualification");
    json_decref(details);
    mock_result_clear(&res);
    /* the write was sent once and never re-sent; the late write does land, as the message warns */
    wait_for_history(&fx->fake, 1);
    json_t *log = fake_sf_log(&fx->fake);
    assert_int_equal(fake_sf_count(log, "data", "POST", "/composite"), 1);
    json_decref(log);
    json_decref(in);
    json_decref(preview);
}

static void malformed_json_is_a_connector_error(void **state)
{
    sf_fixture *fx = FX(state);
    assert_int_equal(fake_sf_fault(&fx->fake, "{\"action\": \"malformed\", \"method\": \"GET\", \"path\": "
                                               "\"/sobjects/Opportunity/006\"}"), 0);
    json_t *in = sf_test_preview_input(NW_ID, NW_CHANGES);
    mock_result res;
    assert_int_equal(sf_test_call(fx->h, MOCK_PREVIEW, in, &res), AP_ERROR);
    assert_string_equal(res.code, "connector_error");
    assert_non_null(strstr(res.message, "malformed JSON"));
    json_t *details = sf_test_details(&res);
    assert_int_equal(sf_test_int(details, "requests"), 1);
    json_decref(details);
    mock_result_clear(&res);
    json_decref(in);
}

static void a_garbled_answer_to_a_write_is_settled_by_a_read(void **state)
{
    sf_fixture *fx = FX(state);
    json_t *preview = preview_northwind(fx->h);
    /* the fake applies the Composite call, then answers 200 with a body that is not JSON */
    assert_int_equal(fake_sf_fault(&fx->fake, "{\"action\": \"malformed\", \"method\": \"POST\", \"path\": "
                                               "\"/composite\"}"), 0);
    json_t *in = sf_test_execute_input(preview);
    json_t *out = sf_test_ok(fx->h, MOCK_EXECUTE, in);
    assert_true(json_is_true(json_object_get(out, "settledByRead")));
    assert_int_equal(history_length(&fx->fake), 1);
    json_decref(out);
    json_decref(in);
    json_decref(preview);
}

static void a_reset_read_is_retried(void **state)
{
    sf_fixture *fx = FX(state);
    /* Two resets: curl itself re-sends a request once when a *reused* connection dies before any answer
     * byte, so the first reset alone may never reach the plugin; the second (on a fresh connection) does. */
    assert_int_equal(fake_sf_fault(&fx->fake, "{\"action\": \"reset\", \"count\": 2, \"method\": \"GET\", "
                                               "\"path\": \"/sobjects/Opportunity/006\"}"), 0);
    json_t *out = preview_northwind(fx->h);
    assert_true(sf_test_int(out, "retries") >= 1);
    assert_int_equal(json_array_size(json_object_get(out, "diff")), 4);
    json_t *log = fake_sf_log(&fx->fake);
    assert_int_equal(fake_sf_count(log, NULL, "GET", "/sobjects/Opportunity/" NW_ID), 3);
    json_decref(log);
    json_decref(out);
}

static void a_reset_after_the_write_applied_is_settled_by_a_read(void **state)
{
    sf_fixture *fx = FX(state);
    json_t *preview = preview_northwind(fx->h);
    assert_int_equal(fake_sf_fault(&fx->fake, "{\"action\": \"reset\", \"apply\": true, \"method\": \"POST\", "
                                               "\"path\": \"/composite\"}"), 0);
    assert_int_equal(fake_sf_clear_log(&fx->fake), 0);
    json_t *in = sf_test_execute_input(preview);
    json_t *out = sf_test_ok(fx->h, MOCK_EXECUTE, in);
    assert_true(json_is_true(json_object_get(out, "settledByRead")));
    assert_string_equal(str(json_object_get(out, "observed"), "StageName"), "Proposal/Price Quote");
    json_t *log = fake_sf_log(&fx->fake);
    assert_int_equal(fake_sf_count(log, "data", "POST", "/composite"), 1); /* never re-sent */
    assert_int_equal(fake_sf_count(log, "data", "GET", "/sobjects/Opportunity/" NW_ID), 2);
    json_decref(log);
    assert_int_equal(history_length(&fx->fake), 1);
    json_decref(out);
    json_decref(in);
    json_decref(preview);
}

static void a_reset_before_the_write_applied_is_not_resent(void **state)
{
    sf_fixture *fx = FX(state);
    json_t *preview = preview_northwind(fx->h);
    assert_int_equal(fake_sf_fault(&fx->fake, "{\"action\": \"reset\", \"method\": \"POST\", \"path\": "
                                               "\"/composite\"}"), 0);
    assert_int_equal(fake_sf_clear_log(&fx->fake), 0);
    json_t *in = sf_test_execute_input(preview);
    mock_result res;
    assert_int_equal(sf_test_call(fx->h, MOCK_EXECUTE, in, &res), AP_ERROR);
    assert_string_equal(res.code, "connector_error");
    json_t *details = sf_test_details(&res);
    assert_string_equal(str(details, "writeOutcome"), "not_applied_when_checked");
    json_decref(details);
    mock_result_clear(&res);
    json_t *log = fake_sf_log(&fx->fake);
    assert_int_equal(fake_sf_count(log, NULL, "POST", "/composite"), 1); /* logged as kind "fault" */
    json_decref(log);
    assert_int_equal(history_length(&fx->fake), 0);
    json_decref(in);
    json_decref(preview);
}

static void a_gateway_error_on_a_write_is_settled_not_retried(void **state)
{
    sf_fixture *fx = FX(state);
    json_t *preview = preview_northwind(fx->h);
    assert_int_equal(fake_sf_fault(&fx->fake, "{\"action\": \"status\", \"status\": 502, \"method\": \"POST\", "
                                               "\"path\": \"/composite\", \"body\": null}"), 0);
    assert_int_equal(fake_sf_clear_log(&fx->fake), 0);
    json_t *in = sf_test_execute_input(preview);
    mock_result res;
    assert_int_equal(sf_test_call(fx->h, MOCK_EXECUTE, in, &res), AP_ERROR);
    json_t *details = sf_test_details(&res);
    assert_string_equal(str(details, "writeOutcome"), "not_applied_when_checked");
    json_decref(details);
    mock_result_clear(&res);
    json_t *log = fake_sf_log(&fx->fake);
    assert_int_equal(fake_sf_count(log, NULL, "POST", "/composite"), 1);
    json_decref(log);
    json_decref(in);
    json_decref(preview);
}

/* ---- transport security and reachability -------------------------------------------------------------- */

static void an_untrusted_certificate_is_refused(void **state)
{
    sf_fixture *fx = FX(state);
    const char *cas[] = {fx->fake.other_ca, "" /* the system store */};
    for (int i = 0; i < 2; i++) {
        const char *pairs[] = {"caBundle", cas[i], NULL};
        mock_host *h = sf_fixture_reopen(fx, pairs);
        json_t *in = base();
        mock_result res;
        assert_int_equal(sf_test_call(h, MOCK_VALIDATE, in, &res), AP_ERROR);
        if (!strstr(res.message, "did not verify"))
            fprintf(stderr, "message: %s\n", res.message);
        assert_non_null(strstr(res.message, "did not verify"));
        mock_result_clear(&res);
        json_decref(in);
        json_t *log = fake_sf_log(&fx->fake);
        assert_int_equal(json_array_size(log), 0); /* no HTTP request got through the handshake */
        json_decref(log);
    }
}

static void an_unreachable_org_is_retried_then_reported(void **state)
{
    sf_fixture *fx = FX(state);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s, (struct sockaddr *)&addr, sizeof addr), 0);
    socklen_t len = sizeof addr;
    getsockname(s, (struct sockaddr *)&addr, &len);
    close(s); /* the port is now closed: connections are refused */
    char url[64];
    snprintf(url, sizeof url, "https://127.0.0.1:%d", ntohs(addr.sin_port));
    const char *pairs[] = {"loginUrl", url, "maxRetries", "1", NULL};
    mock_host *h = sf_fixture_reopen(fx, pairs);
    json_t *in = base();
    mock_result res;
    assert_int_equal(sf_test_call(h, MOCK_VALIDATE, in, &res), AP_RETRY);
    json_t *details = sf_test_details(&res);
    assert_int_equal(sf_test_int(details, "tokenRequests"), 2);
    json_decref(details);
    mock_result_clear(&res);
    json_decref(in);
}

static void plain_http_works_when_explicitly_allowed(void **state)
{
    (void)state;
    fake_sf plain;
    assert_int_equal(fake_sf_start(&plain, true), 0);
    mock_host *h = sf_test_open(&plain);
    json_t *in = base();
    json_t *out = sf_test_ok(h, MOCK_VALIDATE, in);
    assert_true(json_is_true(json_object_get(out, "ok")));
    assert_non_null(strstr(str(out, "instanceUrl"), "http://"));
    json_decref(out);
    json_decref(in);
    mock_host_free(h);
    fake_sf_stop(&plain);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, sf_test_setup, sf_test_teardown)
    const struct CMUnitTest tests[] = {
        T(expired_session_mid_run_gets_one_new_token),
        T(a_second_401_is_not_retried_again),
        T(token_endpoint_errors_reach_the_user_verbatim),
        T(a_503_is_retried_then_succeeds),
        T(a_lasting_503_ends_as_a_retryable_error),
        T(a_locked_row_is_retried_and_written_once),
        T(a_429_waits_for_retry_after),
        T(the_daily_limit_is_not_retried),
        T(a_slow_read_is_a_timeout_and_not_retried),
        T(a_slow_write_is_a_timeout_settled_by_one_read),
        T(malformed_json_is_a_connector_error),
        T(a_garbled_answer_to_a_write_is_settled_by_a_read),
        T(a_reset_read_is_retried),
        T(a_reset_after_the_write_applied_is_settled_by_a_read),
        T(a_reset_before_the_write_applied_is_not_resent),
        T(a_gateway_error_on_a_write_is_settled_not_retried),
        T(an_untrusted_certificate_is_refused),
        T(an_unreachable_org_is_retried_then_reported),
        T(plain_http_works_when_explicitly_allowed),
    };
    return cmocka_run_group_tests(tests, sf_group_setup, sf_group_teardown);
}

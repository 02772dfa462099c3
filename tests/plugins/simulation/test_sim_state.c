/*
 * test_sim_state.c — the simulation's state over time: reset restores the
 * exact seed (twice), workspaces are isolated, records survive closing and
 * reopening the instance, and a name shared by two records is ambiguous.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "sim_test_support.h"

/* Previews and executes `changes` on the Northwind record of `ws`. */
static void change_nw(mock_host *h, const char *ws, const char *changes)
{
    json_t *p = sim_call_ok(h, MOCK_PREVIEW,
                            "{\"workspace\": \"%s\", \"target\": {\"object\": \"Opportunity\","
                            " \"id\": \"" NW_ID "\"}, \"changes\": %s}",
                            ws, changes);
    char *expected = json_dumps(json_object_get(p, "current"), JSON_COMPACT);
    json_t *e = sim_call_ok(h, MOCK_EXECUTE,
                            "{\"workspace\": \"%s\", \"runId\": \"r\", \"target\":"
                            " {\"object\": \"Opportunity\", \"id\": \"" NW_ID "\"},"
                            " \"changes\": %s, \"expected\": %s}",
                            ws, changes, expected);
    free(expected);
    json_decref(e);
    json_decref(p);
}

/* The read_record payload as text, for byte-exact comparison. */
static char *read_text(mock_host *h, const char *ws)
{
    json_t *r = sim_read_nw(h, ws);
    char *text = json_dumps(r, JSON_COMPACT);
    json_decref(r);
    return text;
}

static void test_reset_restores_exactly_twice(void **state)
{
    sim_fixture *f = *state;
    mock_host *h = f->host;
    char *seeded = read_text(h, "acme");
    for (int round = 0; round < 2; round++) {
        mock_host_set_now(h, INT64_C(1780000000000) + round);
        change_nw(h, "acme", NW_CHANGES);
        char *changed = read_text(h, "acme");
        assert_string_not_equal(changed, seeded);
        free(changed);
        json_t *out = sim_call_ok(h, MOCK_RESET,
                                  "{\"workspace\": \"acme\", \"environment\": \"simulation\"}");
        sim_assert_num(out, "records", 1);
        json_decref(out);
        char *after = read_text(h, "acme");
        assert_string_equal(after, seeded);
        free(after);
    }
    free(seeded);
}

static void test_workspaces_are_isolated(void **state)
{
    sim_fixture *f = *state;
    mock_host *h = f->host;
    change_nw(h, "acme", "{\"StageName\": \"Closed Won\"}");
    json_t *other = sim_read_nw(h, "globex");
    sim_assert_str(json_object_get(other, "fields"), "StageName", "Qualification");
    sim_assert_str(other, "version", NW_SEED_STAMP);
    json_decref(other);

    /* Resetting one workspace leaves the other's change alone... */
    change_nw(h, "globex", "{\"Amount\": 99}");
    json_decref(sim_call_ok(h, MOCK_RESET, "{\"workspace\": \"globex\"}"));
    json_t *acme = sim_read_nw(h, "acme");
    sim_assert_str(json_object_get(acme, "fields"), "StageName", "Closed Won");
    sim_assert_num(json_object_get(acme, "fields"), "Probability", 100);
    json_decref(acme);
    json_t *globex = sim_read_nw(h, "globex");
    sim_assert_num(json_object_get(globex, "fields"), "Amount", 120000);
    json_decref(globex);

    /* ... and a name lookup never finds another workspace's record. */
    json_t *d = sim_call_err(h, MOCK_READ_RECORD, AP_NOT_FOUND, "not_found", NULL,
                             "{\"workspace\": \"acme\", \"object\": \"Lead\", \"id\": \"" NW_ID "\"}");
    json_decref(d);
}

static void test_records_survive_reopen(void **state)
{
    sim_fixture *f = *state;
    mock_host_set_now(f->host, INT64_C(1780000000000));
    change_nw(f->host, "acme", NW_CHANGES);
    char *before = read_text(f->host, "acme");
    mock_host_free(f->host);
    f->host = NULL;

    mock_host *h = sim_fixture_open(f);
    char *after = read_text(h, "acme");
    assert_string_equal(after, before);
    json_t *r = sim_read_nw(h, "acme");
    sim_assert_str(json_object_get(r, "fields"), "StageName", "Proposal/Price Quote");
    sim_assert_num(json_object_get(r, "fields"), "Probability", 75);
    json_decref(r);
    free(after);
    free(before);
}

/* Adds a second record named like Northwind (other case) behind the
 * plugin's back: no operation creates records, but a real org may hold
 * duplicates. */
static void add_namesake(const char *dir, const char *ws)
{
    char path[512];
    snprintf(path, sizeof path, "%s/simulation.sqlite", dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *sql = sqlite3_mprintf(
        "INSERT INTO records (workspace, object, id, name, fields, modstamp_ms) VALUES"
        " (%Q, 'Opportunity', '006Hs00001NWDUPIA5', 'NORTHWIND RENEWAL FY26',"
        " '{\"Id\":\"006Hs00001NWDUPIA5\",\"Name\":\"NORTHWIND RENEWAL FY26\","
        "\"StageName\":\"Prospecting\",\"Amount\":1.0,\"CloseDate\":\"2026-01-01\","
        "\"NextStep\":null,\"Probability\":10.0}', 1)",
        ws);
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("insert: %s", err);
    sqlite3_free(sql);
    sqlite3_close(db);
}

static void test_ambiguous_name(void **state)
{
    sim_fixture *f = *state;
    json_decref(sim_read_nw(f->host, "acme")); /* seed */
    add_namesake(f->dir, "acme");
    char message[512];
    json_t *d = sim_call_err(f->host, MOCK_PREVIEW, AP_INVALID, "ambiguous_target", message,
                             "{\"workspace\": \"acme\", \"target\": {\"object\": \"Opportunity\","
                             " \"name\": \"Northwind renewal FY26\"}, \"changes\": {\"Amount\": 1}}");
    sim_assert_str(d, "name", NW_NAME);
    assert_non_null(strstr(message, "by id"));
    json_decref(d);
    /* The other workspace has one Northwind only. */
    json_t *p = sim_call_ok(f->host, MOCK_PREVIEW,
                            "{\"workspace\": \"globex\", \"target\": {\"object\": \"Opportunity\","
                            " \"name\": \"Northwind renewal FY26\"}, \"changes\": {\"Amount\": 1}}");
    sim_assert_str(json_object_get(p, "target"), "id", NW_ID);
    json_decref(p);
    /* Reset removes the namesake. */
    json_t *out = sim_call_ok(f->host, MOCK_RESET, "{\"workspace\": \"acme\"}");
    sim_assert_num(out, "records", 1);
    json_decref(out);
    p = sim_call_ok(f->host, MOCK_PREVIEW,
                    "{\"workspace\": \"acme\", \"target\": {\"object\": \"Opportunity\","
                    " \"name\": \"Northwind renewal FY26\"}, \"changes\": {\"Amount\": 1}}");
    json_decref(p);
}

static void test_open_fails_cleanly_without_folder(void **state)
{
    (void)state;
    mock_host *h = mock_host_load(sim_plugin_path());
    assert_non_null(h);
    mock_host_set_data_dir(h, "/nonexistent/simulation-data");
    mock_result res;
    assert_int_not_equal(mock_host_open(h, &res), AP_OK);
    assert_string_equal(res.code, "connector_error");
    assert_non_null(strstr(res.message, "simulation.sqlite"));
    mock_result_clear(&res);
    mock_host_free(h);
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, sim_fixture_setup, sim_fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_reset_restores_exactly_twice),
        TEST(test_workspaces_are_isolated),
        TEST(test_records_survive_reopen),
        TEST(test_ambiguous_name),
        cmocka_unit_test(test_open_fails_cleanly_without_folder),
    };
    return cmocka_run_group_tests_name("simulation state", tests, NULL, NULL);
}

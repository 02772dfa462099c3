/* test_store_open.c — opening, connection settings, schema and migrations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_store_fixture.h"

/* White-box: the settings are per connection, so they are read on the
 * store's own connection. */
#include "store/store_internal.h"

static int64_t store_pragma(ap_store *store, const char *sql)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(store->db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void test_open_creates_private_file(void **state)
{
    fixture *f = *state;
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
}

static void test_connection_settings(void **state)
{
    fixture *f = *state;
    assert_int_equal(store_pragma(f->store, "PRAGMA foreign_keys"), 1);
    assert_int_equal(store_pragma(f->store, "PRAGMA synchronous"), 2); /* FULL */
    assert_int_equal(store_pragma(f->store, "PRAGMA busy_timeout"), 5000);
    assert_int_equal(store_pragma(f->store, "PRAGMA user_version"), ap_store_schema_version());

    sqlite3 *db = raw_open(f);
    char *mode = raw_text(db, "PRAGMA journal_mode");
    assert_string_equal(mode, "wal"); /* WAL is a property of the file */
    free(mode);
    sqlite3_close(db);
}

static void test_schema_has_tables_and_triggers(void **state)
{
    fixture *f = *state;
    static const char *const tables[] = {"workspaces", "principals", "tokens", "connectors",
                                         "runs", "artifacts", "audit_events"};
    static const char *const triggers[] = {"artifacts_no_update", "artifacts_no_delete",
                                           "audit_events_no_update", "audit_events_no_delete"};
    sqlite3 *db = raw_open(f);
    char sql[160];
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='%s'", tables[i]);
        assert_int_equal(raw_int(db, sql), 1);
    }
    for (size_t i = 0; i < sizeof triggers / sizeof triggers[0]; i++) {
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM sqlite_master WHERE type='trigger' AND name='%s'",
                 triggers[i]);
        assert_int_equal(raw_int(db, sql), 1);
    }
    sqlite3_close(db);
}

static void test_reopen_keeps_data_and_version(void **state)
{
    fixture *f = *state;
    ap_err err = AP_ERR_INIT;
    char token[AP_TOKEN_LEN];
    assert_ok(ap_store_token_create(f->store, "northwind", "ana", AP_ROLE_ADMIN, token, &err), err);
    assert_ok(insert_run(f->store, "northwind", "run_keep", "approved", &err), err);
    ap_store_close(f->store);
    f->store = NULL;

    assert_ok(ap_store_open(f->path, &f->store, &err), err);
    ap_principal who;
    assert_ok(ap_store_token_lookup(f->store, token, &who, &err), err);
    assert_string_equal(who.name, "ana");
    json_t *doc = NULL;
    assert_ok(ap_store_run_get(f->store, "northwind", "run_keep", &doc, &err), err);
    assert_string_equal(json_string_value(json_object_get(doc, "state")), "approved");
    json_decref(doc);
    assert_int_equal(store_pragma(f->store, "PRAGMA user_version"), ap_store_schema_version());
    ap_audit_report rep;
    assert_ok(ap_store_audit_verify(f->store, &rep, &err), err);
    assert_true(rep.ok);
    assert_int_equal(rep.events, 2);
}

static void test_newer_store_is_refused(void **state)
{
    fixture *f = *state;
    ap_store_close(f->store);
    f->store = NULL;
    sqlite3 *db = raw_open(f);
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", ap_store_schema_version() + 1);
    assert_int_equal(raw_exec(db, sql, NULL), SQLITE_OK);
    sqlite3_close(db);

    ap_err err = AP_ERR_INIT;
    ap_store *s = (ap_store *)0x1;
    assert_int_equal(ap_store_open(f->path, &s, &err), -1);
    assert_null(s);
    assert_string_equal(err.code, "store_error");
    /* The message names the version found so the operator knows why. */
    char want[16];
    snprintf(want, sizeof want, "%d", ap_store_schema_version() + 1);
    assert_non_null(strstr(err.message, want));
    assert_non_null(strstr(err.message, "newer"));
    ap_err_clear(&err);
}

static void test_foreign_database_is_refused(void **state)
{
    fixture *f = *state;
    char other[PATH_MAX + 16];
    snprintf(other, sizeof other, "%s/other.db", f->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(other, &db), SQLITE_OK);
    assert_int_equal(raw_exec(db, "CREATE TABLE notes(x TEXT)", NULL), SQLITE_OK);
    sqlite3_close(db);

    ap_err err = AP_ERR_INIT;
    ap_store *s = NULL;
    assert_err(ap_store_open(other, &s, &err), err, "store_error");
    assert_null(s);
    /* Refused before anything was changed: still in its own journal mode,
     * none of our tables added. */
    assert_int_equal(sqlite3_open(other, &db), SQLITE_OK);
    char *mode = raw_text(db, "PRAGMA journal_mode");
    assert_string_equal(mode, "delete");
    free(mode);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_master"), 1);
    sqlite3_close(db);

    /* Not an SQLite file at all. */
    FILE *fp = fopen(other, "w");
    assert_non_null(fp);
    fputs("this is not a database, just some text long enough to have a header......\n"
          "more text more text more text more text more text more text more text.....\n",
          fp);
    fclose(fp);
    assert_err(ap_store_open(other, &s, &err), err, "store_error");
    assert_null(s);
    unlink(other);
}

static void test_missing_folder_is_an_error(void **state)
{
    fixture *f = *state;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/no-such-folder/store.db", f->dir);
    ap_err err = AP_ERR_INIT;
    ap_store *s = NULL;
    assert_err(ap_store_open(path, &s, &err), err, "store_error");
    assert_null(s);
    assert_err(ap_store_open(NULL, &s, &err), err, "store_error");
    ap_store_close(NULL); /* ignored */
}

static void test_two_handles_open_the_same_file(void **state)
{
    fixture *f = *state;
    ap_err err = AP_ERR_INIT;
    ap_store *second = NULL;
    assert_ok(ap_store_open(f->path, &second, &err), err);
    assert_ok(insert_run(f->store, "w1", "run_a", "approved", &err), err);
    json_t *doc = NULL;
    assert_ok(ap_store_run_get(second, "w1", "run_a", &doc, &err), err);
    json_decref(doc);
    ap_store_close(second);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_creates_private_file, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_connection_settings, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_schema_has_tables_and_triggers, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_reopen_keeps_data_and_version, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_newer_store_is_refused, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_foreign_database_is_refused, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_missing_folder_is_an_error, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_two_handles_open_the_same_file, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

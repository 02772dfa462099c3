/* test_store_tokens.c — workspaces, principals, tokens and connectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_store_fixture.h"

static bool is_base64url(const char *s)
{
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

static void test_token_create_and_lookup(void **state)
{
    fixture *f = *state;
    ap_err err = AP_ERR_INIT;
    char op[AP_TOKEN_LEN], ap[AP_TOKEN_LEN];
    assert_ok(ap_store_token_create(f->store, "northwind", "ana@northwind.example", AP_ROLE_OPERATOR, op, &err), err);
    assert_ok(ap_store_token_create(f->store, "northwind", "bo", AP_ROLE_APPROVER, ap, &err), err);

    assert_int_equal(strlen(op), 3 + 43);
    assert_memory_equal(op, "ap_", 3);
    assert_true(is_base64url(op + 3));
    assert_string_not_equal(op, ap);

    ap_principal who;
    assert_ok(ap_store_token_lookup(f->store, op, &who, &err), err);
    assert_string_equal(who.workspace, "northwind");
    assert_string_equal(who.name, "ana@northwind.example");
    assert_int_equal(who.role, AP_ROLE_OPERATOR);
    assert_ok(ap_store_token_lookup(f->store, ap, &who, &err), err);
    assert_string_equal(who.name, "bo");
    assert_int_equal(who.role, AP_ROLE_APPROVER);

    /* Two tokens for one principal both work. */
    char op2[AP_TOKEN_LEN];
    assert_ok(ap_store_token_create(f->store, "northwind", "ana@northwind.example", AP_ROLE_ADMIN, op2, &err), err);
    assert_ok(ap_store_token_lookup(f->store, op2, &who, &err), err);
    assert_int_equal(who.role, AP_ROLE_ADMIN);
    assert_int_equal(raw_count(f, "principals"), 2);
    assert_int_equal(raw_count(f, "workspaces"), 1);
}

static void test_unknown_and_revoked_tokens(void **state)
{
    fixture *f = *state;
    ap_err err = AP_ERR_INIT;
    ap_principal who;
    assert_err(ap_store_token_lookup(f->store, "ap_nope", &who, &err), err, "unauthenticated");
    assert_string_equal(who.name, "");
    assert_err(ap_store_token_lookup(f->store, "", &who, &err), err, "unauthenticated");
    assert_err(ap_store_token_lookup(f->store, NULL, &who, &err), err, "unauthenticated");
    char longer[200];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    assert_err(ap_store_token_lookup(f->store, longer, &who, &err), err, "unauthenticated");

    char tok[AP_TOKEN_LEN];
    assert_ok(ap_store_token_create(f->store, "w", "p", AP_ROLE_VIEWER, tok, &err), err);
    /* One character off is another token. */
    char off[AP_TOKEN_LEN];
    memcpy(off, tok, AP_TOKEN_LEN);
    off[10] = off[10] == 'A' ? 'B' : 'A';
    assert_err(ap_store_token_lookup(f->store, off, &who, &err), err, "unauthenticated");

    sqlite3 *db = raw_open(f);
    assert_int_equal(raw_exec(db, "UPDATE tokens SET revoked_at = '2026-03-02T00:00:00.000Z'", NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_err(ap_store_token_lookup(f->store, tok, &who, &err), err, "unauthenticated");
}

static void test_only_the_hash_is_stored(void **state)
{
    fixture *f = *state;
    ap_err err = AP_ERR_INIT;
    char tok[AP_TOKEN_LEN];
    assert_ok(ap_store_token_create(f->store, "northwind", "ana", AP_ROLE_OPERATOR, tok, &err), err);
    char want[AP_SHA256_HEX_LEN];
    ap_sha256_hex(tok, strlen(tok), want);

    sqlite3 *db = raw_open(f);
    char *hash = raw_text(db, "SELECT hash FROM tokens");
    assert_string_equal(hash, want);
    free(hash);
    /* The token text appears nowhere in the file's tables. */
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT (SELECT count(*) FROM tokens WHERE instr(hash||workspace||principal, '%s') > 0)"
             " + (SELECT count(*) FROM audit_events WHERE instr(data, '%s') > 0 OR instr(data, '%s') > 0)",
             tok + 3, tok + 3, want);
    assert_int_equal(raw_int(db, sql), 0);
    sqlite3_close(db);
}

static void test_token_created_event(void **state)
{
    fixture *f = *state;
    ap_err err = AP_ERR_INIT;
    char tok[AP_TOKEN_LEN];
    assert_ok(ap_store_token_create(f->store, "northwind", "bo", AP_ROLE_APPROVER, tok, &err), err);
    sqlite3 *db = raw_open(f);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM audit_events"), 1);
    char *type = raw_text(db, "SELECT type FROM audit_events WHERE seq = 1");
    char *data = raw_text(db, "SELECT data FROM audit_events WHERE seq = 1");
    char *ws = raw_text(db, "SELECT workspace FROM audit_events WHERE seq = 1");
    assert_int_equal(raw_int(db, "SELECT run_id IS NULL FROM audit_events WHERE seq = 1"), 1);
    assert_string_equal(type, "token.created");
    assert_string_equal(data, "{\"principal\":\"bo\",\"role\":\"approver\",\"workspace\":\"northwind\"}");
    assert_string_equal(ws, "northwind");
    free(type);
    free(data);
    free(ws);
    sqlite3_close(db);

    ap_audit_report rep;
    assert_ok(ap_store_audit_verify(f->store, &rep, &err), err);
    assert_true(rep.ok);
    assert_int_equal(rep.events, 1);
}

static void test_invalid_names_write_nothing(void **state)
{
    fixture *f = *state;
    ap_err err = AP_ERR_INIT;
    char tok[AP_TOKEN_LEN];
    char long_name[102];
    memset(long_name, 'x', 101);
    long_name[101] = '\0';
    const char *bad[] = {"", "has space", "slash/no", "semi;colon", "quote'", "\xc3\xa9", long_name, NULL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_err(ap_store_token_create(f->store, bad[i], "p", AP_ROLE_ADMIN, tok, &err), err,
                   "invalid_request");
        assert_string_equal(tok, "");
        assert_err(ap_store_token_create(f->store, "w", bad[i], AP_ROLE_ADMIN, tok, &err), err,
                   "invalid_request");
        assert_err(ap_store_workspace_ensure(f->store, bad[i], NULL, &err), err, "invalid_request");
    }
    assert_err(ap_store_token_create(f->store, "w", "p", (ap_role)9, tok, &err), err, "invalid_request");
    assert_int_equal(raw_count(f, "workspaces"), 0);
    assert_int_equal(raw_count(f, "tokens"), 0);
    assert_int_equal(raw_count(f, "audit_events"), 0);

    /* The edges of the rule are accepted: 100 characters, every allowed sign. */
    long_name[100] = '\0';
    assert_ok(ap_store_token_create(f->store, long_name, "A.z_0@9-x", AP_ROLE_ADMIN, tok, &err), err);
}

static void test_workspace_ensure_and_seeded(void **state)
{
    fixture *f = *state;
    ap_err err = AP_ERR_INIT;
    bool created = false, seeded = true;
    assert_ok(ap_store_workspace_seeded(f->store, "w1", &seeded, &err), err);
    assert_false(seeded);
    assert_ok(ap_store_workspace_ensure(f->store, "w1", &created, &err), err);
    assert_true(created);
    assert_ok(ap_store_workspace_ensure(f->store, "w1", &created, &err), err);
    assert_false(created);
    assert_ok(ap_store_workspace_ensure(f->store, "w1", NULL, &err), err);
    assert_ok(ap_store_workspace_seeded(f->store, "w1", &seeded, &err), err);
    assert_false(seeded);

    ap_store_change c = {.workspace = "w1", .mark_seeded = true};
    assert_ok(ap_store_commit(f->store, &c, &err), err);
    assert_ok(ap_store_workspace_seeded(f->store, "w1", &seeded, &err), err);
    assert_true(seeded);
    assert_ok(ap_store_workspace_seeded(f->store, "w2", &seeded, &err), err);
    assert_false(seeded);
}

static void test_connector_record_upserts(void **state)
{
    fixture *f = *state;
    ap_err err = AP_ERR_INIT;
    assert_ok(ap_store_connector_record(f->store, "salesforce-crm", AP_ENV_SIMULATION, "simulation.so", "1.0.0", &err), err);
    assert_ok(ap_store_connector_record(f->store, "salesforce-crm", AP_ENV_SANDBOX, "salesforce.so", "0.9.0", &err), err);
    assert_ok(ap_store_connector_record(f->store, "salesforce-crm", AP_ENV_SIMULATION, "simulation.so", "1.1.0", &err), err);
    assert_err(ap_store_connector_record(f->store, NULL, AP_ENV_SANDBOX, "x.so", "1", &err), err, "store_error");
    assert_err(ap_store_connector_record(f->store, "c", (ap_env)7, "x.so", "1", &err), err, "store_error");

    sqlite3 *db = raw_open(f);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM connectors"), 2);
    char *v = raw_text(db, "SELECT version FROM connectors WHERE environment = 'simulation'");
    assert_string_equal(v, "1.1.0");
    free(v);
    v = raw_text(db, "SELECT plugin FROM connectors WHERE environment = 'sandbox'");
    assert_string_equal(v, "salesforce.so");
    free(v);
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_token_create_and_lookup, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_and_revoked_tokens, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_only_the_hash_is_stored, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_token_created_event, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_invalid_names_write_nothing, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_workspace_ensure_and_seeded, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_connector_record_upserts, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_store_audit.c — verifying the stored chain, tampering through raw
 * SQL, and chaining under concurrent writers (threads, and two handles on
 * one file as the daemon and apctl would have). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>

#include "test_store_fixture.h"

/* Appends `n` workspace-level events in one commit, numbered from `first`. */
static void append_events(ap_store *store, int first, int n)
{
    ap_store_event *evs = calloc((size_t)n, sizeof *evs);
    json_t **data = calloc((size_t)n, sizeof *data);
    assert_non_null(evs);
    assert_non_null(data);
    for (int i = 0; i < n; i++) {
        data[i] = json_pack("{s:i, s:s, s:f}", "n", first + i, "note", "caf\xc3\xa9", "x", 0.1);
        evs[i] = (ap_store_event){.type = "test.event", .actor = "system:test",
                                  .at = "2026-03-01T12:00:00.000Z", .data = data[i]};
    }
    ap_err err = AP_ERR_INIT;
    ap_store_change c = {.workspace = "northwind", .events = evs, .n_events = (size_t)n};
    assert_ok(ap_store_commit(store, &c, &err), err);
    for (int i = 0; i < n; i++)
        json_decref(data[i]);
    free(data);
    free(evs);
}

static ap_audit_report verify(ap_store *store)
{
    ap_err err = AP_ERR_INIT;
    ap_audit_report rep;
    memset(&rep, 0xab, sizeof rep);
    assert_ok(ap_store_audit_verify(store, &rep, &err), err);
    return rep;
}

/* Drops the append-only triggers as a tamperer with the file could, runs
 * `sql`, and closes. */
static void tamper(const fixture *f, const char *sql)
{
    sqlite3 *db = raw_open(f);
    assert_int_equal(raw_exec(db, "DROP TRIGGER IF EXISTS audit_events_no_update;"
                                  "DROP TRIGGER IF EXISTS audit_events_no_delete;", NULL), SQLITE_OK);
    char *msg = NULL;
    if (raw_exec(db, sql, &msg) != SQLITE_OK)
        fail_msg("tamper SQL failed: %s", msg);
    sqlite3_close(db);
}

static char *stored_hash(const fixture *f, int64_t seq)
{
    sqlite3 *db = raw_open(f);
    char sql[80];
    snprintf(sql, sizeof sql, "SELECT hash FROM audit_events WHERE seq = %lld", (long long)seq);
    char *h = raw_text(db, sql);
    sqlite3_close(db);
    return h;
}

static void test_verify_empty_and_intact(void **state)
{
    fixture *f = *state;
    ap_audit_report rep = verify(f->store);
    assert_true(rep.ok);
    assert_int_equal(rep.events, 0);
    assert_string_equal(rep.head, AP_AUDIT_GENESIS_HASH);
    assert_int_equal(rep.broken_at, -1);

    append_events(f->store, 1, 3);
    append_events(f->store, 4, 2);
    rep = verify(f->store);
    assert_true(rep.ok);
    assert_int_equal(rep.events, 5);
    assert_int_equal(rep.broken_at, -1);
    char *h = stored_hash(f, 5);
    assert_string_equal(rep.head, h);
    free(h);
}

static void test_verify_detects_changed_data(void **state)
{
    fixture *f = *state;
    append_events(f->store, 1, 6);
    assert_true(verify(f->store).ok);
    char *head_before = stored_hash(f, 3);
    sqlite3 *db = raw_open(f);
    /* With the trigger in place the tamperer is stopped... */
    assert_int_not_equal(raw_exec(db, "UPDATE audit_events SET data = '{}' WHERE seq = 4", NULL), SQLITE_OK);
    sqlite3_close(db);
    /* ...so they drop it first. */
    tamper(f, "UPDATE audit_events SET data = replace(data, '\"n\":4', '\"n\":40') WHERE seq = 4");
    ap_audit_report rep = verify(f->store);
    assert_false(rep.ok);
    assert_int_equal(rep.broken_at, 4);
    assert_int_equal(rep.events, 4);
    assert_string_equal(rep.head, head_before); /* last good event: seq 3 */
    free(head_before);
}

static void test_verify_detects_each_member(void **state)
{
    fixture *f = *state;
    static const char *const edits[] = {
        "UPDATE audit_events SET type = 'run.approved' WHERE seq = 3",
        "UPDATE audit_events SET actor = 'mallory' WHERE seq = 3",
        "UPDATE audit_events SET at = '2026-03-01T12:00:01.000Z' WHERE seq = 3",
        "UPDATE audit_events SET prev_hash = '" AP_AUDIT_GENESIS_HASH "' WHERE seq = 3",
        "UPDATE audit_events SET hash = replace(hash, substr(hash, 1, 1), 'z') WHERE seq = 3",
        /* Same value, another spelling: the hash would still match the
         * parsed value, so the store insists on the canonical text. */
        "UPDATE audit_events SET data = replace(data, ',', ', ') WHERE seq = 3",
        "UPDATE audit_events SET data = 'not json' WHERE seq = 3",
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        /* A fresh file for each edit. */
        ap_store_close(f->store);
        fixture_remove_files(f);
        fixture_make_dir(f);
        ap_err err = AP_ERR_INIT;
        assert_ok(ap_store_open(f->path, &f->store, &err), err);
        append_events(f->store, 1, 5);
        assert_true(verify(f->store).ok);
        tamper(f, edits[i]);
        ap_audit_report rep = verify(f->store);
        if (rep.ok || rep.broken_at != 3)
            fail_msg("edit not caught at seq 3 (ok=%d broken_at=%lld): %s", rep.ok,
                     (long long)rep.broken_at, edits[i]);
    }
}

static void test_verify_detects_removed_and_moved_events(void **state)
{
    fixture *f = *state;
    append_events(f->store, 1, 6);
    tamper(f, "DELETE FROM audit_events WHERE seq = 3");
    ap_audit_report rep = verify(f->store);
    assert_false(rep.ok);
    assert_int_equal(rep.broken_at, 4);

    /* Closing the gap by renumbering still breaks the prevHash link. */
    tamper(f, "UPDATE audit_events SET seq = seq - 1 WHERE seq > 3");
    rep = verify(f->store);
    assert_false(rep.ok);
    assert_int_equal(rep.broken_at, 3);
}

static void test_verify_detects_swapped_events(void **state)
{
    fixture *f = *state;
    append_events(f->store, 1, 5);
    tamper(f, "UPDATE audit_events SET seq = 100 WHERE seq = 2;"
              "UPDATE audit_events SET seq = 2 WHERE seq = 3;"
              "UPDATE audit_events SET seq = 3 WHERE seq = 100;");
    ap_audit_report rep = verify(f->store);
    assert_false(rep.ok);
    assert_int_equal(rep.broken_at, 2);
}

static void test_truncation_needs_a_kept_head(void **state)
{
    fixture *f = *state;
    append_events(f->store, 1, 5);
    ap_audit_report before = verify(f->store);
    tamper(f, "DELETE FROM audit_events WHERE seq > 3");
    ap_audit_report after = verify(f->store);
    /* Still a valid chain, but a holder of the old head sees it moved back. */
    assert_true(after.ok);
    assert_int_equal(after.events, 3);
    assert_string_not_equal(after.head, before.head);
    assert_true(after.events < before.events);
}

static void test_verify_pages_through_long_chains(void **state)
{
    fixture *f = *state;
    /* More than two verification pages (256 events each). */
    for (int i = 0; i < 6; i++)
        append_events(f->store, 1 + i * 100, 100);
    ap_audit_report rep = verify(f->store);
    assert_true(rep.ok);
    assert_int_equal(rep.events, 600);
    char *h = stored_hash(f, 600);
    assert_string_equal(rep.head, h);
    free(h);

    /* A gap exactly at a page boundary and an edit past it. */
    tamper(f, "DELETE FROM audit_events WHERE seq = 257");
    rep = verify(f->store);
    assert_int_equal(rep.broken_at, 258);
    assert_int_equal(rep.events, 257);
}

/* ---- concurrency -------------------------------------------------------- */

#define THREADS 4
#define COMMITS_PER_THREAD 25

typedef struct worker {
    ap_store *store;
    int index;
    int failures;
} worker;

static void *commit_runs(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < COMMITS_PER_THREAD; i++) {
        char id[32];
        snprintf(id, sizeof id, "run_%d_%d", w->index, i);
        json_t *doc = run_doc(id, "pending_approval", "2026-03-01T12:00:00.000Z");
        json_t *data = json_pack("{s:i, s:i}", "thread", w->index, "i", i);
        ap_store_event evs[2] = {
            {.type = "run.created", .actor = "ana", .at = "2026-03-01T12:00:00.000Z", .data = data},
            {.type = "run.policy", .actor = "system:policy", .at = "2026-03-01T12:00:00.000Z"}};
        ap_store_change c = {.workspace = "northwind", .run_doc = doc, .events = evs, .n_events = 2};
        ap_err err = AP_ERR_INIT;
        if (ap_store_commit(w->store, &c, &err) != 0) {
            w->failures++;
            ap_err_clear(&err);
        }
        json_decref(data);
        json_decref(doc);
    }
    return NULL;
}

static void *create_tokens(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < COMMITS_PER_THREAD; i++) {
        char tok[AP_TOKEN_LEN];
        ap_err err = AP_ERR_INIT;
        if (ap_store_token_create(w->store, "northwind", "apctl-user", AP_ROLE_VIEWER, tok, &err) != 0) {
            w->failures++;
            ap_err_clear(&err);
        }
    }
    return NULL;
}

static void run_workers(ap_store *stores[THREADS], void *(*fns[THREADS])(void *))
{
    pthread_t th[THREADS];
    worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){.store = stores[i], .index = i};
        assert_int_equal(pthread_create(&th[i], NULL, fns[i], &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(w[i].failures, 0);
    }
}

static void assert_contiguous_chain(const fixture *f, ap_store *store, int64_t events)
{
    ap_audit_report rep = verify(store);
    assert_true(rep.ok);
    assert_int_equal(rep.events, events);
    sqlite3 *db = raw_open(f);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM audit_events"), events);
    assert_int_equal(raw_int(db, "SELECT min(seq) FROM audit_events"), 1);
    assert_int_equal(raw_int(db, "SELECT max(seq) FROM audit_events"), events);
    sqlite3_close(db);
}

static void test_concurrent_commits_from_threads(void **state)
{
    fixture *f = *state;
    ap_store *stores[THREADS] = {f->store, f->store, f->store, f->store};
    void *(*fns[THREADS])(void *) = {commit_runs, commit_runs, commit_runs, commit_runs};
    run_workers(stores, fns);
    assert_contiguous_chain(f, f->store, THREADS * COMMITS_PER_THREAD * 2);
    assert_int_equal(raw_count(f, "runs"), THREADS * COMMITS_PER_THREAD);
}

static void test_two_handles_chain_correctly(void **state)
{
    /* The daemon's handle commits runs while "apctl" (another connection,
     * as another process has) creates tokens: both chain on the real head
     * because the head is read under the write lock. */
    fixture *f = *state;
    ap_err err = AP_ERR_INIT;
    ap_store *apctl = NULL;
    assert_ok(ap_store_open(f->path, &apctl, &err), err);
    ap_store *stores[THREADS] = {f->store, f->store, apctl, apctl};
    void *(*fns[THREADS])(void *) = {commit_runs, commit_runs, create_tokens, create_tokens};
    run_workers(stores, fns);
    int64_t expected = 2 * COMMITS_PER_THREAD * 2 + 2 * COMMITS_PER_THREAD;
    assert_contiguous_chain(f, f->store, expected);
    assert_contiguous_chain(f, apctl, expected);
    ap_store_close(apctl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_verify_empty_and_intact, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_verify_detects_changed_data, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_verify_detects_each_member, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_verify_detects_removed_and_moved_events, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_verify_detects_swapped_events, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_truncation_needs_a_kept_head, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_verify_pages_through_long_chains, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_commits_from_threads, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_two_handles_chain_correctly, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

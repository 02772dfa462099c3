/*
 * test_store_fixture.h — helpers shared by the test_store_*.c programs: a
 * fresh store in its own temporary folder, run documents, and raw SQL on the
 * store file through a second SQLite connection (as a tamperer or another
 * process would). Header-only: each test program is one translation unit.
 */
#ifndef TEST_STORE_FIXTURE_H
#define TEST_STORE_FIXTURE_H

#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"
#include "store/store.h"

/** A store in a fresh folder. */
typedef struct fixture {
    char dir[PATH_MAX - 64];
    char path[PATH_MAX];
    ap_store *store;
} fixture;

/** Makes a fresh folder under $AP_TEST_TMP (created if missing) or /tmp. */
static inline void fixture_make_dir(fixture *f)
{
    const char *base = getenv("AP_TEST_TMP");
    if (!base || !*base)
        base = "/tmp";
    if (mkdir(base, 0700) != 0 && errno != EEXIST)
        fail_msg("cannot create %s", base);
    snprintf(f->dir, sizeof f->dir, "%s/store-XXXXXX", base);
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/actionplane.db", f->dir);
}

/** cmocka setup: a fresh open store in *state. */
static inline int fixture_setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    fixture_make_dir(f);
    ap_err err = AP_ERR_INIT;
    if (ap_store_open(f->path, &f->store, &err) != 0)
        fail_msg("open: %s %s", err.code, err.message);
    *state = f;
    return 0;
}

/** Removes the store files and the folder. */
static inline void fixture_remove_files(fixture *f)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char p[PATH_MAX + 16];
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(p, sizeof p, "%s%s", f->path, suffixes[i]);
        unlink(p);
    }
    rmdir(f->dir);
}

/** cmocka teardown for fixture_setup. */
static inline int fixture_teardown(void **state)
{
    fixture *f = *state;
    ap_store_close(f->store);
    fixture_remove_files(f);
    free(f);
    return 0;
}

/** Fails the test with the error when rc is not 0. */
#define assert_ok(rc, err)                                                           \
    do {                                                                             \
        if ((rc) != 0)                                                               \
            fail_msg("expected success, got %s: %s", (err).code, (err).message);     \
    } while (0)

/** Asserts rc == -1 with error code `code`, then clears err. */
#define assert_err(rc, err, want)                                                    \
    do {                                                                             \
        assert_int_equal((rc), -1);                                                  \
        assert_string_equal((err).code, (want));                                     \
        ap_err_clear(&(err));                                                        \
    } while (0)

/** A run document as the runs module would write it (new reference). */
static inline json_t *run_doc(const char *id, const char *state, const char *when)
{
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}}",
                            "id", id, "state", state, "createdAt", when, "updatedAt", when,
                            "connector", "salesforce-crm", "requestedBy", "ana",
                            "target", "object", "Opportunity", "id", "006Hs00001NWRNWIA5");
    assert_non_null(doc);
    return doc;
}

/** Commits a new run with one "run.created" event. Returns the rc. */
static inline int insert_run(ap_store *store, const char *ws, const char *id,
                             const char *state, ap_err *err)
{
    json_t *doc = run_doc(id, state, "2026-03-01T12:00:00.000Z");
    json_t *data = json_pack("{s:s}", "state", state);
    ap_store_event ev = {.type = "run.created", .actor = "ana", .at = "2026-03-01T12:00:00.000Z",
                         .data = data};
    ap_store_change c = {.workspace = ws, .run_id = id, .run_doc = doc, .events = &ev, .n_events = 1};
    int rc = ap_store_commit(store, &c, err);
    json_decref(data);
    json_decref(doc);
    return rc;
}

/** Opens the store file with a plain SQLite connection (no triggers
 *  dropped, no foreign keys). */
static inline sqlite3 *raw_open(const fixture *f)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

/** Runs SQL on a raw connection; returns the SQLite code. When errmsg_out is
 *  non-NULL it receives the message (sqlite3_free it). */
static inline int raw_exec(sqlite3 *db, const char *sql, char **errmsg_out)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (errmsg_out)
        *errmsg_out = msg;
    else
        sqlite3_free(msg);
    return rc;
}

/** The first column of the first row of `sql` as an integer (-1 if none). */
static inline int64_t raw_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
}

/** The first column of the first row of `sql` as a malloc'd string (NULL if
 *  none). */
static inline char *raw_text(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    char *v = NULL;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        v = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return v;
}

/** Number of rows in `table`, read through a raw connection. */
static inline int64_t raw_count(const fixture *f, const char *table)
{
    sqlite3 *db = raw_open(f);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    int64_t n = raw_int(db, sql);
    sqlite3_close(db);
    return n;
}

#endif /* TEST_STORE_FIXTURE_H */

/*
 * sim_records.c — the simulation's record store: one SQLite file per instance
 * (data_dir/simulation.sqlite), WAL with synchronous=FULL so that an answered
 * write survives a crash, records keyed by (workspace, object, id). The only
 * file of the plugin that speaks SQL.
 *
 * A record row keeps its fields as compact JSON (every managed field except
 * the timestamps) plus `modstamp_ms`, from which LastModifiedDate and
 * SystemModstamp derive; `name` duplicates fields.Name so that lookups by name
 * use an index.
 */
#include "sim_internal.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM_SCHEMA_VERSION 1
/* How long a writer waits for another connection's lock (two daemons or a
 * tool holding the file) before the call fails as a store error. */
#define SIM_BUSY_TIMEOUT_MS 5000
/* Reals in stored JSON keep every bit: 17 significant digits round-trip. */
#define SIM_STORE_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(17))

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS workspaces ("
    "  workspace TEXT PRIMARY KEY"
    ") WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS records ("
    "  workspace TEXT NOT NULL,"
    "  object TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  fields TEXT NOT NULL,"
    "  modstamp_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (workspace, object, id)"
    ") WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS records_by_name"
    "  ON records (workspace, object, name COLLATE NOCASE);";

/* Every statement the plugin runs, prepared once per connection. */
enum {
    STMT_BEGIN,
    STMT_COMMIT,
    STMT_ROLLBACK,
    STMT_HAS_WORKSPACE,
    STMT_ADD_WORKSPACE,
    STMT_DELETE_RECORDS,
    STMT_COUNT,
    STMT_GET,
    STMT_FIND_BY_NAME,
    STMT_PUT,
    STMT_COUNT_ALL
};

static const char *const statement_sql[STMT_COUNT_ALL] = {
    [STMT_BEGIN] = "BEGIN IMMEDIATE",
    [STMT_COMMIT] = "COMMIT",
    [STMT_ROLLBACK] = "ROLLBACK",
    [STMT_HAS_WORKSPACE] = "SELECT 1 FROM workspaces WHERE workspace = ?1",
    [STMT_ADD_WORKSPACE] = "INSERT OR IGNORE INTO workspaces (workspace) VALUES (?1)",
    [STMT_DELETE_RECORDS] = "DELETE FROM records WHERE workspace = ?1",
    [STMT_COUNT] = "SELECT count(*) FROM records WHERE workspace = ?1",
    [STMT_GET] = "SELECT fields, modstamp_ms FROM records"
                 " WHERE workspace = ?1 AND object = ?2 AND id = ?3",
    [STMT_FIND_BY_NAME] = "SELECT id FROM records WHERE workspace = ?1 AND object = ?2"
                          " AND name = ?3 COLLATE NOCASE LIMIT 2",
    [STMT_PUT] = "INSERT INTO records (workspace, object, id, name, fields, modstamp_ms)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                 " ON CONFLICT (workspace, object, id) DO UPDATE SET"
                 " name = excluded.name, fields = excluded.fields,"
                 " modstamp_ms = excluded.modstamp_ms",
};

struct sim_store {
    sqlite3 *db;
    sqlite3_stmt *stmt[STMT_COUNT_ALL];
    char error[256];
};

void sim_record_clear(sim_record *rec)
{
    json_decref(rec->fields);
    memset(rec, 0, sizeof *rec);
}

/* Remembers the connection's error, prefixed with what was being done. */
static int fail(sim_store *st, const char *what)
{
    snprintf(st->error, sizeof st->error, "%s: %s", what,
             st->db ? sqlite3_errmsg(st->db) : "no database");
    return -1;
}

const char *sim_store_errmsg(sim_store *st)
{
    return st->error;
}

/* Resets a statement for reuse and returns it, bindings cleared. */
static sqlite3_stmt *stmt(sim_store *st, int which)
{
    sqlite3_stmt *s = st->stmt[which];
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return s;
}

/* Runs a statement that returns no rows. */
static int run(sim_store *st, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE)
        fail(st, what); /* before the reset, while the message is current */
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int bind_text(sqlite3_stmt *s, int index, const char *text)
{
    return sqlite3_bind_text(s, index, text, -1, SQLITE_TRANSIENT) == SQLITE_OK ? 0 : -1;
}

static int migrate(sim_store *st)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
        return fail(st, "reading the schema version");
    int version = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
    sqlite3_finalize(s);
    if (version < 0)
        return fail(st, "reading the schema version");
    if (version > SIM_SCHEMA_VERSION) {
        snprintf(st->error, sizeof st->error,
                 "schema version %d is newer than this plugin's %d", version,
                 SIM_SCHEMA_VERSION);
        return -1;
    }
    if (version == SIM_SCHEMA_VERSION)
        return 0;
    char set_version[64];
    snprintf(set_version, sizeof set_version, "PRAGMA user_version = %d", SIM_SCHEMA_VERSION);
    if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return fail(st, "creating the schema");
    if (sqlite3_exec(st->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(st->db, set_version, NULL, NULL, NULL) != SQLITE_OK) {
        fail(st, "creating the schema");
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return fail(st, "creating the schema");
    return 0;
}

/* WAL lets readers (a tool inspecting the file) run beside the writer;
 * synchronous=FULL makes every commit durable before the call returns. */
static int configure(sim_store *st)
{
    sqlite3_busy_timeout(st->db, SIM_BUSY_TIMEOUT_MS);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL) != SQLITE_OK)
        return fail(st, "enabling WAL");
    const unsigned char *mode = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_text(s, 0) : NULL;
    int wal = mode && strcmp((const char *)mode, "wal") == 0;
    sqlite3_finalize(s);
    if (!wal) {
        snprintf(st->error, sizeof st->error, "the file system refused WAL mode");
        return -1;
    }
    if (sqlite3_exec(st->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK)
        return fail(st, "setting synchronous=FULL");
    return 0;
}

int sim_store_open(const char *path, sim_store **out, char *err, size_t errlen)
{
    *out = NULL;
    sim_store *st = calloc(1, sizeof *st);
    if (!st) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        fail(st, "opening the file");
        goto failed;
    }
    if (configure(st) != 0 || migrate(st) != 0)
        goto failed;
    for (int i = 0; i < STMT_COUNT_ALL; i++) {
        if (sqlite3_prepare_v3(st->db, statement_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                               &st->stmt[i], NULL) != SQLITE_OK) {
            fail(st, "preparing statements");
            goto failed;
        }
    }
    *out = st;
    return 0;
failed:
    snprintf(err, errlen, "%s: %s", path, st->error);
    sim_store_close(st);
    return -1;
}

void sim_store_close(sim_store *st)
{
    if (!st)
        return;
    for (int i = 0; i < STMT_COUNT_ALL; i++)
        sqlite3_finalize(st->stmt[i]);
    sqlite3_close(st->db);
    free(st);
}

int sim_store_begin(sim_store *st)
{
    return run(st, stmt(st, STMT_BEGIN), "beginning a transaction");
}

int sim_store_commit(sim_store *st)
{
    return run(st, stmt(st, STMT_COMMIT), "committing");
}

void sim_store_rollback(sim_store *st)
{
    /* Keep the error that led here: the rollback's own outcome adds nothing. */
    if (!sqlite3_get_autocommit(st->db)) {
        sqlite3_stmt *s = stmt(st, STMT_ROLLBACK);
        sqlite3_step(s);
        sqlite3_reset(s);
    }
}

/* The stored form of a seed record: Probability from the stage automation. */
static json_t *seed_fields(const sim_seed_record *seed)
{
    return json_pack("{s:s, s:s, s:s, s:f, s:s, s:s, s:f}",
                     "Id", seed->id, "Name", seed->name, "StageName", seed->stage_name,
                     "Amount", seed->amount, "CloseDate", seed->close_date,
                     "NextStep", seed->next_step, "Probability",
                     (double)sim_schema_stage_probability(seed->stage_name));
}

/* Inserts every seed record of `workspace`; runs inside a transaction. */
static int insert_seed(sim_store *st, const char *workspace, size_t *count)
{
    size_t n;
    const sim_seed_record *seeds = sim_seed_records(&n);
    for (size_t i = 0; i < n; i++) {
        sim_record rec = {.fields = seed_fields(&seeds[i]),
                          .modstamp_ms = sim_seed_modstamp_ms()};
        if (!rec.fields) {
            snprintf(st->error, sizeof st->error, "seeding: out of memory");
            return -1;
        }
        snprintf(rec.id, sizeof rec.id, "%s", seeds[i].id);
        int rc = sim_store_put(st, workspace, SIM_OBJECT, &rec);
        sim_record_clear(&rec);
        if (rc != 0)
            return -1;
    }
    if (count)
        *count = n;
    return 0;
}

static int add_workspace(sim_store *st, const char *workspace, int *added)
{
    sqlite3_stmt *s = stmt(st, STMT_ADD_WORKSPACE);
    if (bind_text(s, 1, workspace) != 0)
        return fail(st, "adding the workspace");
    if (run(st, s, "adding the workspace") != 0)
        return -1;
    *added = sqlite3_changes(st->db) > 0;
    return 0;
}

int sim_store_ensure_workspace(sim_store *st, const char *workspace)
{
    /* The common case (a known workspace) costs one indexed read, no lock. */
    sqlite3_stmt *s = stmt(st, STMT_HAS_WORKSPACE);
    if (bind_text(s, 1, workspace) != 0)
        return fail(st, "looking up the workspace");
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        fail(st, "looking up the workspace");
    sqlite3_reset(s);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc != SQLITE_DONE)
        return -1;

    int added = 0;
    if (sim_store_begin(st) != 0)
        return -1;
    if (add_workspace(st, workspace, &added) != 0 ||
        (added && insert_seed(st, workspace, NULL) != 0) || sim_store_commit(st) != 0) {
        sim_store_rollback(st);
        return -1;
    }
    return 0;
}

int sim_store_reset_workspace(sim_store *st, const char *workspace, size_t *count)
{
    int added;
    if (sim_store_begin(st) != 0)
        return -1;
    sqlite3_stmt *s = stmt(st, STMT_DELETE_RECORDS);
    if (add_workspace(st, workspace, &added) != 0 || bind_text(s, 1, workspace) != 0 ||
        run(st, s, "deleting the workspace's records") != 0 ||
        insert_seed(st, workspace, count) != 0 || sim_store_commit(st) != 0) {
        sim_store_rollback(st);
        return -1;
    }
    return 0;
}

int sim_store_count(sim_store *st, const char *workspace, size_t *count)
{
    sqlite3_stmt *s = stmt(st, STMT_COUNT);
    if (bind_text(s, 1, workspace) != 0 || sqlite3_step(s) != SQLITE_ROW) {
        fail(st, "counting records");
        sqlite3_reset(s);
        return -1;
    }
    *count = (size_t)sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return 0;
}

int sim_store_get(sim_store *st, const char *workspace, const char *object,
                  const char *id, sim_record *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = stmt(st, STMT_GET);
    if (bind_text(s, 1, workspace) != 0 || bind_text(s, 2, object) != 0 ||
        bind_text(s, 3, id) != 0)
        return fail(st, "reading a record");
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(s);
        return 0;
    }
    if (rc != SQLITE_ROW) {
        fail(st, "reading a record");
        sqlite3_reset(s);
        return -1;
    }
    const char *text = (const char *)sqlite3_column_text(s, 0);
    json_error_t jerr;
    out->fields = text ? json_loads(text, 0, &jerr) : NULL;
    out->modstamp_ms = sqlite3_column_int64(s, 1);
    sqlite3_reset(s);
    if (!json_is_object(out->fields)) {
        snprintf(st->error, sizeof st->error, "record %s has unreadable fields", id);
        sim_record_clear(out);
        return -1;
    }
    snprintf(out->id, sizeof out->id, "%s", id);
    return 1;
}

int sim_store_find_by_name(sim_store *st, const char *workspace, const char *object,
                           const char *name, size_t *matches, char id_out[SIM_ID_LEN + 1])
{
    *matches = 0;
    id_out[0] = '\0';
    sqlite3_stmt *s = stmt(st, STMT_FIND_BY_NAME);
    if (bind_text(s, 1, workspace) != 0 || bind_text(s, 2, object) != 0 ||
        bind_text(s, 3, name) != 0)
        return fail(st, "finding a record by name");
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (++*matches == 1)
            snprintf(id_out, SIM_ID_LEN + 1, "%s", (const char *)sqlite3_column_text(s, 0));
    }
    if (rc != SQLITE_DONE)
        fail(st, "finding a record by name");
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return -1;
    if (*matches != 1)
        id_out[0] = '\0';
    return 0;
}

int sim_store_put(sim_store *st, const char *workspace, const char *object,
                  const sim_record *rec)
{
    const char *name = json_string_value(json_object_get(rec->fields, "Name"));
    char *fields = json_dumps(rec->fields, SIM_STORE_JSON_FLAGS);
    if (!fields || !name) {
        free(fields);
        snprintf(st->error, sizeof st->error, "record %s cannot be stored (no Name or no memory)",
                 rec->id);
        return -1;
    }
    sqlite3_stmt *s = stmt(st, STMT_PUT);
    int rc = -1;
    if (bind_text(s, 1, workspace) == 0 && bind_text(s, 2, object) == 0 &&
        bind_text(s, 3, rec->id) == 0 && bind_text(s, 4, name) == 0 &&
        bind_text(s, 5, fields) == 0 &&
        sqlite3_bind_int64(s, 6, rec->modstamp_ms) == SQLITE_OK)
        rc = run(st, s, "writing a record");
    else
        fail(st, "writing a record");
    free(fields);
    return rc;
}

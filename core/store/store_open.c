/*
 * store_open.c — opening and closing a store: the file (mode 0600), the
 * connection settings, and the forward-only schema migrations.
 */
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* 'APH1': set by migration 1, checked at every open. */
#define STORE_APPLICATION_ID 1095780401

/* How long a writer waits for another (thread of another process, or the
 * daemon vs apctl) before giving up with "busy". */
#define STORE_BUSY_TIMEOUT_MS 5000

/* Creates the file with mode 0600 when it does not exist, so the store (and
 * the -wal/-shm files SQLite gives the same mode) never exists readable by
 * others even for an instant. An existing file is left as it is. */
static int create_private_file(const char *path, ap_err *err)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        ap_err_set(err, "store_error", "Cannot open the store file %s: %s.", path,
                   strerror(errno));
        return -1;
    }
    close(fd);
    return 0;
}

/* Runs one PRAGMA (or any statement) that returns at most one value and
 * reads it as an integer into *value (may be NULL). */
static int pragma_int(ap_store *store, const char *sql, int *value, ap_err *err)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return store_fail(store, err, "reading the store settings");
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW && value)
        *value = sqlite3_column_int(stmt, 0);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        sqlite3_finalize(stmt);
        return store_fail(store, err, "reading the store settings");
    }
    sqlite3_finalize(stmt);
    return 0;
}

static int configure_connection(ap_store *store, ap_err *err)
{
    sqlite3_extended_result_codes(store->db, 1);
    sqlite3_busy_timeout(store->db, STORE_BUSY_TIMEOUT_MS);
    /* synchronous=FULL makes every COMMIT durable on power loss, which the
     * audit log promises. Both settings belong to the connection. */
    if (sqlite3_exec(store->db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
                     NULL, NULL, NULL) != SQLITE_OK)
        return store_fail(store, err, "configuring the connection");
    return 0;
}

/* WAL lets readers (apctl audit verify, GETs) run beside the writer. It is
 * a property of the file, so it is set only once the file is known to be
 * ours: a foreign database is left untouched. */
static int enable_wal(ap_store *store, ap_err *err)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(store->db, "PRAGMA journal_mode = WAL", -1, &stmt, NULL) != SQLITE_OK)
        return store_fail(store, err, "enabling WAL");
    int rc = sqlite3_step(stmt);
    const unsigned char *mode = rc == SQLITE_ROW ? sqlite3_column_text(stmt, 0) : NULL;
    bool wal = mode && strcmp((const char *)mode, "wal") == 0;
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW)
        return store_fail(store, err, "enabling WAL");
    if (!wal) {
        ap_err_set(err, "store_error", "The store could not switch to WAL mode.");
        return -1;
    }
    return 0;
}

/* Refuses a file that is some other program's SQLite database, and a store
 * written by a newer build (whose schema this build cannot know). */
static int check_identity(ap_store *store, int version, ap_err *err)
{
    int app_id = 0;
    if (pragma_int(store, "PRAGMA application_id", &app_id, err) != 0)
        return -1;
    if (app_id != 0 && app_id != STORE_APPLICATION_ID) {
        ap_err_set(err, "store_error", "The file is an SQLite database of another application.");
        return -1;
    }
    if (version == 0) {
        /* Version 0 is a new file, unless it already holds tables: then it
         * is somebody else's database and migrating it would mix schemas. */
        int objects = 0;
        if (pragma_int(store, "SELECT count(*) FROM sqlite_master", &objects, err) != 0)
            return -1;
        if (objects > 0) {
            ap_err_set(err, "store_error",
                       "The file is an SQLite database that is not an actionplane store.");
            return -1;
        }
    }
    if (version > ap_store_schema_version()) {
        ap_err_set(err, "store_error",
                   "The store has schema version %d but this build knows only up to %d; "
                   "use a newer actionplane build.",
                   version, ap_store_schema_version());
        return -1;
    }
    return 0;
}

/* Checks the file is ours (or new), switches it to WAL, and applies the
 * missing migrations in one transaction. The version is read again under
 * the write lock: another process opening the same new file at
 * the same moment may have migrated it first. */
static int migrate(ap_store *store, ap_err *err)
{
    int version = 0;
    if (pragma_int(store, "PRAGMA user_version", &version, err) != 0 ||
        check_identity(store, version, err) != 0 || enable_wal(store, err) != 0)
        return -1;
    if (version == ap_store_schema_version())
        return 0;

    if (sqlite3_exec(store->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return store_fail(store, err, "starting the migration");
    if (pragma_int(store, "PRAGMA user_version", &version, err) != 0 ||
        check_identity(store, version, err) != 0)
        goto fail;
    for (int v = version + 1; v <= ap_store_schema_version(); v++) {
        if (sqlite3_exec(store->db, store_migration_sql(v), NULL, NULL, NULL) != SQLITE_OK) {
            char what[64];
            snprintf(what, sizeof what, "migrating to schema version %d", v);
            store_fail(store, err, what);
            goto fail;
        }
    }
    char set_version[64];
    snprintf(set_version, sizeof set_version, "PRAGMA user_version = %d", ap_store_schema_version());
    if (sqlite3_exec(store->db, set_version, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(store->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        store_fail(store, err, "finishing the migration");
        goto fail;
    }
    return 0;
fail:
    if (!sqlite3_get_autocommit(store->db))
        sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

int ap_store_open(const char *path, ap_store **out, ap_err *err)
{
    if (out)
        *out = NULL;
    if (!path || !*path || !out) {
        ap_err_set(err, "store_error", "No store path given.");
        return -1;
    }
    if (create_private_file(path, err) != 0)
        return -1;

    ap_store *store = calloc(1, sizeof *store);
    if (!store) {
        ap_err_set(err, "store_error", "Out of memory opening the store.");
        return -1;
    }
    if (pthread_mutex_init(&store->lock, NULL) != 0) {
        free(store);
        ap_err_set(err, "store_error", "Cannot create the store lock.");
        return -1;
    }
    /* NOMUTEX: store->lock already serialises every use of the connection. */
    int rc = sqlite3_open_v2(path, &store->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        if (store->db)
            store_fail(store, err, "opening the store");
        else
            ap_err_set(err, "store_error", "Out of memory opening the store.");
        ap_store_close(store);
        return -1;
    }
    if (configure_connection(store, err) != 0 || migrate(store, err) != 0 ||
        store_prepare_all(store, err) != 0) {
        ap_store_close(store);
        return -1;
    }
    *out = store;
    return 0;
}

void ap_store_close(ap_store *store)
{
    if (!store)
        return;
    store_lock(store);
    store_finalize_all(store);
    if (store->db) {
        /* PASSIVE never waits on readers in other processes; the last
         * connection to close also checkpoints and removes the WAL. */
        sqlite3_wal_checkpoint_v2(store->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        sqlite3_close(store->db);
        store->db = NULL;
    }
    store_unlock(store);
    pthread_mutex_destroy(&store->lock);
    free(store);
}

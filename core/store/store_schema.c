/*
 * store_schema.c — the schema, as an append-only list of migrations.
 *
 * Migration N takes a store from user_version N-1 to N. A shipped migration
 * is never edited: a change to the schema is a new entry at the end, so every
 * existing store walks the same path. The runner (store_open.c) applies the
 * missing ones in one transaction and sets user_version.
 */
#include "store_internal.h"

/* Version 1. STRICT tables so a column holds only its declared type.
 * Timestamps are RFC 3339 text (they sort as text). application_id marks the
 * file as ours ('APH1') so that opening some other SQLite file fails loudly. */
static const char migration_1[] =
    "PRAGMA application_id = 1095780401;\n"

    "CREATE TABLE workspaces (\n"
    "  id            TEXT PRIMARY KEY NOT NULL,\n"
    "  created_at    TEXT NOT NULL,\n"
    "  sim_seeded_at TEXT\n"
    ") STRICT;\n"

    "CREATE TABLE principals (\n"
    "  workspace  TEXT NOT NULL REFERENCES workspaces(id),\n"
    "  name       TEXT NOT NULL,\n"
    "  created_at TEXT NOT NULL,\n"
    "  PRIMARY KEY (workspace, name)\n"
    ") STRICT;\n"

    /* Only the SHA-256 of a token is kept: the text exists once, on the
     * screen of whoever created it. */
    "CREATE TABLE tokens (\n"
    "  hash       TEXT PRIMARY KEY NOT NULL CHECK (length(hash) = 64),\n"
    "  workspace  TEXT NOT NULL,\n"
    "  principal  TEXT NOT NULL,\n"
    "  role       TEXT NOT NULL CHECK (role IN ('viewer','operator','approver','admin')),\n"
    "  created_at TEXT NOT NULL,\n"
    "  revoked_at TEXT,\n"
    "  FOREIGN KEY (workspace, principal) REFERENCES principals(workspace, name)\n"
    ") STRICT;\n"
    "CREATE INDEX tokens_by_principal ON tokens(workspace, principal);\n"

    "CREATE TABLE connectors (\n"
    "  name           TEXT NOT NULL,\n"
    "  environment    TEXT NOT NULL CHECK (environment IN ('simulation','sandbox','production')),\n"
    "  plugin         TEXT NOT NULL,\n"
    "  version        TEXT NOT NULL,\n"
    "  last_loaded_at TEXT NOT NULL,\n"
    "  PRIMARY KEY (name, environment)\n"
    ") STRICT;\n"

    /* seq orders the listing (newest first) and is the paging cursor;
     * AUTOINCREMENT so a seq is never reused. state is a copy of the doc's
     * "state" so the conditional update and the state filter need no JSON. */
    "CREATE TABLE runs (\n"
    "  seq        INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  id         TEXT NOT NULL UNIQUE,\n"
    "  workspace  TEXT NOT NULL REFERENCES workspaces(id),\n"
    "  state      TEXT NOT NULL,\n"
    "  archived   INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),\n"
    "  created_at TEXT NOT NULL,\n"
    "  updated_at TEXT NOT NULL,\n"
    "  doc        TEXT NOT NULL\n"
    ") STRICT;\n"
    "CREATE INDEX runs_listing ON runs(workspace, archived, seq);\n"
    "CREATE INDEX runs_listing_by_state ON runs(workspace, archived, state, seq);\n"

    "CREATE TABLE artifacts (\n"
    "  id         INTEGER PRIMARY KEY,\n"
    "  run_id     TEXT NOT NULL REFERENCES runs(id),\n"
    "  workspace  TEXT NOT NULL REFERENCES workspaces(id),\n"
    "  kind       TEXT NOT NULL,\n"
    "  created_at TEXT NOT NULL,\n"
    "  sha256     TEXT NOT NULL CHECK (length(sha256) = 64),\n"
    "  body       TEXT NOT NULL\n"
    ") STRICT;\n"
    "CREATE INDEX artifacts_by_run ON artifacts(run_id, id);\n"

    /* seq is assigned by the store (head + 1) inside the write transaction,
     * never by AUTOINCREMENT, so it is exactly the chain position. */
    "CREATE TABLE audit_events (\n"
    "  seq       INTEGER PRIMARY KEY,\n"
    "  at        TEXT NOT NULL,\n"
    "  type      TEXT NOT NULL,\n"
    "  actor     TEXT NOT NULL,\n"
    "  workspace TEXT NOT NULL REFERENCES workspaces(id),\n"
    "  run_id    TEXT REFERENCES runs(id),\n"
    "  data      TEXT NOT NULL,\n"
    "  prev_hash TEXT NOT NULL,\n"
    "  hash      TEXT NOT NULL\n"
    ") STRICT;\n"
    "CREATE INDEX audit_events_by_run ON audit_events(run_id, seq);\n"

    /* Evidence is append-only. A tamperer with the file can drop these;
     * they stop mistakes, the hash chain (ap_store_audit_verify) catches the
     * rest. */
    "CREATE TRIGGER artifacts_no_update BEFORE UPDATE ON artifacts\n"
    "  BEGIN SELECT RAISE(ABORT, 'append-only'); END;\n"
    "CREATE TRIGGER artifacts_no_delete BEFORE DELETE ON artifacts\n"
    "  BEGIN SELECT RAISE(ABORT, 'append-only'); END;\n"
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events\n"
    "  BEGIN SELECT RAISE(ABORT, 'append-only'); END;\n"
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events\n"
    "  BEGIN SELECT RAISE(ABORT, 'append-only'); END;\n";

/* Index i holds the migration to version i + 1. Append only. */
static const char *const migrations[] = {
    migration_1,
};

int ap_store_schema_version(void)
{
    return (int)(sizeof migrations / sizeof migrations[0]);
}

const char *store_migration_sql(int version)
{
    if (version < 1 || version > ap_store_schema_version())
        return NULL;
    return migrations[version - 1];
}

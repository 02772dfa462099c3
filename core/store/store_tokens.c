/*
 * store_tokens.c — bearer tokens: made from 32 random bytes, handed out
 * once, and stored only as the SHA-256 of their text.
 */
#include "store_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define TOKEN_PREFIX "ap_"
#define TOKEN_RANDOM_BYTES 32

/* "ap_" + base64url(32 random bytes), no padding: 3 + 43 characters. */
static int make_token(char token_out[AP_TOKEN_LEN], ap_err *err)
{
    if (sodium_init() < 0) {
        ap_err_set(err, "store_error", "The random number generator is unavailable.");
        return -1;
    }
    unsigned char random[TOKEN_RANDOM_BYTES];
    randombytes_buf(random, sizeof random);
    memcpy(token_out, TOKEN_PREFIX, sizeof TOKEN_PREFIX - 1);
    sodium_bin2base64(token_out + sizeof TOKEN_PREFIX - 1,
                      AP_TOKEN_LEN - (sizeof TOKEN_PREFIX - 1), random, sizeof random,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(random, sizeof random);
    return 0;
}

/* Inside the transaction: principal, token row and the audit event. */
static int insert_token_locked(ap_store *store, const char *workspace,
                               const char *principal, ap_role role,
                               const char *hash, const char *now, ap_err *err)
{
    if (store_workspace_insert(store, workspace, now, NULL, err) != 0)
        return -1;

    sqlite3_stmt *stmt = store_stmt(store, STMT_PRINCIPAL_INSERT);
    store_bind_text(stmt, 1, workspace);
    store_bind_text(stmt, 2, principal);
    store_bind_text(stmt, 3, now);
    if (store_exec_stmt(stmt) != SQLITE_DONE)
        return store_fail(store, err, "creating the principal");

    stmt = store_stmt(store, STMT_TOKEN_INSERT);
    store_bind_text(stmt, 1, hash);
    store_bind_text(stmt, 2, workspace);
    store_bind_text(stmt, 3, principal);
    store_bind_text(stmt, 4, ap_role_name(role));
    store_bind_text(stmt, 5, now);
    if (store_exec_stmt(stmt) != SQLITE_DONE)
        return store_fail(store, err, "storing the token");

    /* The event names who got which rights; never the token or its hash. */
    json_t *data = json_pack("{s:s, s:s, s:s}", "workspace", workspace,
                             "principal", principal, "role", ap_role_name(role));
    if (!data) {
        ap_err_set(err, "store_error", "Out of memory recording the token.");
        return -1;
    }
    ap_store_event ev = {.type = "token.created", .actor = "system:local",
                         .at = now, .data = data};
    int rc = store_audit_append(store, workspace, NULL, &ev, 1, err);
    json_decref(data);
    return rc;
}

int ap_store_token_create(ap_store *store, const char *workspace,
                          const char *principal, ap_role role,
                          char token_out[AP_TOKEN_LEN], ap_err *err)
{
    memset(token_out, 0, AP_TOKEN_LEN);
    if (!store_valid_name(workspace) || !store_valid_name(principal)) {
        ap_err_set(err, "invalid_request", "%s must be 1 to 100 characters of A-Z a-z 0-9 . _ @ -",
                   store_valid_name(workspace) ? "principal" : "workspace");
        return -1;
    }
    if ((unsigned)role > AP_ROLE_ADMIN) {
        ap_err_set(err, "invalid_request", "role is not one of viewer, operator, approver, admin");
        return -1;
    }
    if (make_token(token_out, err) != 0)
        return -1;
    char hash[AP_SHA256_HEX_LEN];
    ap_sha256_hex(token_out, strlen(token_out), hash);
    char now[AP_TIME_LEN];
    store_now(now);

    store_lock(store);
    int rc = store_begin(store, err);
    if (rc == 0)
        rc = insert_token_locked(store, workspace, principal, role, hash, now, err);
    if (rc == 0)
        rc = store_commit_tx(store, err);
    if (rc != 0)
        store_rollback(store);
    store_unlock(store);

    if (rc != 0)
        sodium_memzero(token_out, AP_TOKEN_LEN); /* a token that was not stored must not be used */
    return rc;
}

int ap_store_token_lookup(ap_store *store, const char *token,
                          ap_principal *out, ap_err *err)
{
    memset(out, 0, sizeof *out);
    /* Anything that cannot be one of our tokens is refused without a query;
     * the message never echoes what was presented. */
    if (!token || strnlen(token, AP_TOKEN_LEN) >= AP_TOKEN_LEN) {
        ap_err_set(err, "unauthenticated", "The bearer token is not valid.");
        return -1;
    }
    char hash[AP_SHA256_HEX_LEN];
    ap_sha256_hex(token, strlen(token), hash);

    store_lock(store);
    sqlite3_stmt *stmt = store_stmt(store, STMT_TOKEN_LOOKUP);
    store_bind_text(stmt, 1, hash);
    int rc = sqlite3_step(stmt);
    int result = -1;
    if (rc == SQLITE_ROW) {
        const char *ws = (const char *)sqlite3_column_text(stmt, 0);
        const char *name = (const char *)sqlite3_column_text(stmt, 1);
        const char *role = (const char *)sqlite3_column_text(stmt, 2);
        if (ws && name && role && ap_role_parse(role, &out->role)) {
            snprintf(out->workspace, sizeof out->workspace, "%s", ws);
            snprintf(out->name, sizeof out->name, "%s", name);
            result = 0;
        } else {
            ap_err_set(err, "store_error", "A stored token row is malformed.");
        }
    } else if (rc == SQLITE_DONE) {
        ap_err_set(err, "unauthenticated", "The bearer token is not valid.");
    } else {
        store_fail(store, err, "looking up the token");
    }
    store_stmt_done(stmt);
    store_unlock(store);
    if (result != 0)
        memset(out, 0, sizeof *out);
    return result;
}

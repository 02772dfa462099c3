/* audit.c — canonical JSON, SHA-256 and the audit hash chain (see audit.h). */
#include "audit.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* JSON_ENCODE_ANY only lets scalars through (json_dumps refuses them
 * otherwise); for objects and arrays the bytes are exactly those of
 * COMPACT | SORT_KEYS | ENSURE_ASCII. Reals use jansson's default precision
 * (17 significant digits), which round-trips every double, so a value read
 * back from its canonical text re-encodes to the same bytes. */
#define CANONICAL_FLAGS (JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII | JSON_ENCODE_ANY)

char *ap_canonical_json(const json_t *value)
{
    if (!value)
        return NULL;
    return json_dumps(value, CANONICAL_FLAGS);
}

/* sodium_init is idempotent and thread-safe. SHA-256 is portable C in
 * libsodium that does not depend on the init outcome, so a failure here
 * cannot change a digest and is deliberately not reported. */
static void sodium_ready(void)
{
    int rc = sodium_init();
    (void)rc;
}

void ap_sha256_hex(const void *data, size_t len, char out[AP_SHA256_HEX_LEN])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    sodium_ready();
    crypto_hash_sha256(digest, data, len);
    sodium_bin2hex(out, AP_SHA256_HEX_LEN, digest, sizeof digest);
}

/* json_object_set_new that also accepts a NULL value (out of memory, invalid
 * UTF-8) and reports it, so the builder below stays one line per member. */
static int set_member(json_t *obj, const char *key, json_t *value)
{
    return value ? json_object_set_new(obj, key, value) : -1;
}

json_t *ap_audit_event_object(const ap_audit_event *ev)
{
    if (!ev || !ev->at || !ev->type || !ev->actor || !ev->data || !ev->prev_hash ||
        !json_is_object(ev->data))
        return NULL;
    json_t *obj = json_object();
    if (!obj)
        return NULL;
    /* The event does not own `data`; the extra reference keeps the caller's
     * value alive inside the temporary object without copying it. The
     * refcount is the only thing touched, never the value. */
    int rc = 0;
    rc |= set_member(obj, "seq", json_integer(ev->seq));
    rc |= set_member(obj, "at", json_string(ev->at));
    rc |= set_member(obj, "type", json_string(ev->type));
    rc |= set_member(obj, "actor", json_string(ev->actor));
    rc |= set_member(obj, "runId", ev->run_id ? json_string(ev->run_id) : json_null());
    rc |= set_member(obj, "data", json_incref((json_t *)ev->data));
    rc |= set_member(obj, "prevHash", json_string(ev->prev_hash));
    if (rc != 0) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

int ap_audit_event_hash(const ap_audit_event *ev, char out[AP_SHA256_HEX_LEN])
{
    json_t *obj = ap_audit_event_object(ev);
    if (!obj)
        return -1;
    char *canon = ap_canonical_json(obj);
    json_decref(obj);
    if (!canon)
        return -1;

    /* prevHash || canonical(event), hashed incrementally so the two parts
     * need not be copied into one buffer. */
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_state st;
    sodium_ready();
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)ev->prev_hash, strlen(ev->prev_hash));
    crypto_hash_sha256_update(&st, (const unsigned char *)canon, strlen(canon));
    crypto_hash_sha256_final(&st, digest);
    free(canon);
    sodium_bin2hex(out, AP_SHA256_HEX_LEN, digest, sizeof digest);
    return 0;
}

void ap_audit_verifier_init(ap_audit_verifier *v)
{
    memset(v, 0, sizeof *v);
    memcpy(v->head, AP_AUDIT_GENESIS_HASH, AP_SHA256_HEX_LEN);
    v->events = 0;
    v->broken_at = -1;
    v->last_seq = 0;
}

void ap_audit_verifier_mark_broken(ap_audit_verifier *v, int64_t seq)
{
    if (v->broken_at != -1)
        return;
    v->broken_at = seq;
    v->events++;
}

int ap_audit_verifier_feed(ap_audit_verifier *v, const ap_audit_event *ev,
                           const char *stored_hash)
{
    if (v->broken_at != -1)
        return -1;
    /* Seqs start at 1 and step by exactly 1: a gap is a removed event, a
     * step back is a reordering. The prevHash link catches the same from the
     * content side, so neither check alone has to be trusted. */
    char computed[AP_SHA256_HEX_LEN];
    bool good = ev && stored_hash && ev->prev_hash &&
                ev->seq == v->last_seq + 1 &&
                strcmp(ev->prev_hash, v->head) == 0 &&
                ap_audit_event_hash(ev, computed) == 0 &&
                strcmp(computed, stored_hash) == 0;
    if (!good) {
        ap_audit_verifier_mark_broken(v, ev ? ev->seq : v->last_seq + 1);
        return -1;
    }
    memcpy(v->head, computed, AP_SHA256_HEX_LEN);
    v->last_seq = ev->seq;
    v->events++;
    return 0;
}

/*
 * audit.h — canonical JSON, SHA-256 and the audit hash chain. Pure: no I/O, no
 * SQL. The store calls it to chain events as it appends them, and verify
 * walks a sequence of stored events.
 *
 * Canonical JSON: jansson's JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII
 * encoding (keys sorted bytewise, no spaces, non-ASCII escaped as \uXXXX), so
 * the same value always yields the same bytes.
 *
 * Chain: every event is the object
 *   {seq, at, type, actor, runId, data, prevHash}
 * and its hash is hex(SHA-256(prevHash || canonical(event))), where prevHash
 * is the 64-hex-digit hash of the event before (64 '0's for the first) and
 * `||` is byte concatenation of the hex text and the canonical bytes.
 */
#ifndef AP_AUDIT_H
#define AP_AUDIT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/** Length of a hex SHA-256 digest plus its NUL. */
#define AP_SHA256_HEX_LEN 65

/** The prevHash of the first event of a chain. */
#define AP_AUDIT_GENESIS_HASH \
    "0000000000000000000000000000000000000000000000000000000000000000"

/** Canonical encoding of `value` (see above). Returns a malloc'd string the
 *  caller frees with free(), or NULL when out of memory. */
char *ap_canonical_json(const json_t *value);

/** hex(SHA-256(data[0..len))) into out (AP_SHA256_HEX_LEN bytes). */
void ap_sha256_hex(const void *data, size_t len, char out[AP_SHA256_HEX_LEN]);

/** One audit event as stored. Strings are borrowed; `data` is borrowed (an
 *  object, never NULL: use an empty object). `run_id` may be NULL. */
typedef struct ap_audit_event {
    int64_t seq;
    const char *at;
    const char *type;
    const char *actor;
    const char *run_id;
    const json_t *data;
    const char *prev_hash;
} ap_audit_event;

/** Builds the hashed object {seq, at, type, actor, runId, data, prevHash}
 *  (runId null when run_id is NULL). Returns a new reference or NULL. */
json_t *ap_audit_event_object(const ap_audit_event *ev);

/** Computes the event's hash into out. Returns 0, or -1 when out of memory. */
int ap_audit_event_hash(const ap_audit_event *ev, char out[AP_SHA256_HEX_LEN]);

/** Running verification over a chain fed event by event, in seq order. */
typedef struct ap_audit_verifier {
    char head[AP_SHA256_HEX_LEN]; /**< hash of the last good event */
    int64_t events;               /**< events checked */
    int64_t broken_at;            /**< seq of the first bad event, or -1 */
    int64_t last_seq;             /**< seq of the last event seen */
} ap_audit_verifier;

/** Starts a verifier at the genesis hash. */
void ap_audit_verifier_init(ap_audit_verifier *v);

/** Checks one stored event whose stored hash is `stored_hash`: prev_hash must
 *  equal the head, seq must follow the last, the hash must recompute. Once a
 *  break is found the verifier keeps broken_at and ignores later events.
 *  Returns 0 while the chain holds, -1 once broken. */
int ap_audit_verifier_feed(ap_audit_verifier *v, const ap_audit_event *ev,
                           const char *stored_hash);

/** Marks the chain broken at `seq` for a reason the verifier cannot see by
 *  itself (an event whose stored data does not parse, or is not stored in its
 *  canonical form). Counts the event as checked, like a failing feed. Has no
 *  effect once the chain is already broken.
 *
 *  What verification proves: every event fed recomputes to its stored hash,
 *  links to the one before by prevHash, and seqs run 1, 2, 3, ... without a
 *  gap. So a changed seq/at/type/actor/runId/data/prevHash, an event removed
 *  or moved in the middle, or a forged first event, breaks the chain. Events
 *  removed at the END leave a shorter chain that is still valid: only someone
 *  who kept an earlier head (hash and seq) can detect that, by checking that
 *  the event at that seq still has that hash. Keep heads outside the store
 *  (e.g. signed checkpoints) for that guarantee.
 *
 *  Counting: `events` counts the events checked, including the first bad one;
 *  `head` stays the hash of the last good event. */
void ap_audit_verifier_mark_broken(ap_audit_verifier *v, int64_t seq);

#endif /* AP_AUDIT_H */

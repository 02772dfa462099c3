/* test_audit.c — canonical JSON, SHA-256 and the audit chain verifier. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "audit/audit.h"

#define GENESIS AP_AUDIT_GENESIS_HASH

/* Canonical bytes and hash of the golden event, computed outside this code
 * (python3: hashlib.sha256((prevHash + canonical).encode()).hexdigest(), the
 * canonical text written by hand and checked against json.dumps(sort_keys,
 * compact separators, ensure_ascii) up to the case of \u escapes). */
static const char golden_canonical[] =
    "{\"actor\":\"ana@northwind\",\"at\":\"2026-03-01T12:00:00.000Z\","
    "\"data\":{\"amount\":148000,\"flags\":[true,null],\"note\":\"Zo\\u00EB \\u2713\","
    "\"ratio\":0.5,\"stage\":\"Proposal/Price Quote\"},"
    "\"prevHash\":\"" GENESIS "\",\"runId\":\"run_01\",\"seq\":1,\"type\":\"run.created\"}";
static const char golden_hash_1[] =
    "511df6bdee58003d840d9570712e182c29d1dc9c58bcfc5dcab5e60a2c36099b";
static const char golden_hash_2[] =
    "bb6ed406d71c1612a9c95934cd7687560dc3eccd4b67009c7e7344673b2c927d";

static char *canon_of(const char *json_text)
{
    json_t *v = json_loads(json_text, JSON_DECODE_ANY, NULL);
    assert_non_null(v);
    char *s = ap_canonical_json(v);
    json_decref(v);
    assert_non_null(s);
    return s;
}

static void assert_canon(const char *input, const char *expected)
{
    char *s = canon_of(input);
    assert_string_equal(s, expected);
    free(s);
}

static void test_sha256_known_vectors(void **state)
{
    (void)state;
    char out[AP_SHA256_HEX_LEN];
    ap_sha256_hex("abc", 3, out);
    assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ap_sha256_hex("", 0, out);
    assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_canonical_sorts_keys_at_every_level(void **state)
{
    (void)state;
    assert_canon("{\"b\": 1, \"a\": {\"z\": [ {\"y\":1, \"x\":2} ], \"c\": null}, \"B\": true}",
                 "{\"B\":true,\"a\":{\"c\":null,\"z\":[{\"x\":2,\"y\":1}]},\"b\":1}");
}

static void test_canonical_same_value_same_bytes(void **state)
{
    (void)state;
    /* Built in two different insertion orders: one encoding. */
    json_t *a = json_object();
    json_object_set_new(a, "zeta", json_integer(1));
    json_object_set_new(a, "alpha", json_string("x"));
    json_object_set_new(a, "mid", json_pack("{s:b, s:f}", "q", 1, "p", 2.25));
    json_t *b = json_object();
    json_object_set_new(b, "mid", json_pack("{s:f, s:b}", "p", 2.25, "q", 1));
    json_object_set_new(b, "alpha", json_string("x"));
    json_object_set_new(b, "zeta", json_integer(1));
    char *sa = ap_canonical_json(a);
    char *sb = ap_canonical_json(b);
    assert_string_equal(sa, sb);
    assert_string_equal(sa, "{\"alpha\":\"x\",\"mid\":{\"p\":2.25,\"q\":true},\"zeta\":1}");
    /* And re-reading the canonical text gives the same bytes again. */
    char *again = canon_of(sa);
    assert_string_equal(again, sa);
    free(again);
    free(sa);
    free(sb);
    json_decref(a);
    json_decref(b);
}

static void test_canonical_escapes_unicode(void **state)
{
    (void)state;
    /* é (2 bytes), ✓ (3 bytes), 😀 (4 bytes: a surrogate pair), a control
     * character and the two characters JSON always escapes. */
    assert_canon("{\"s\":\"\xc3\xa9\xe2\x9c\x93\xf0\x9f\x98\x80\\u0001\\t\\\"\\\\/\"}",
                 "{\"s\":\"\\u00E9\\u2713\\uD83D\\uDE00\\u0001\\t\\\"\\\\/\"}");
    /* Keys are escaped the same way and sorted by their UTF-8 bytes. */
    assert_canon("{\"\xc3\xa9\":1,\"z\":2}", "{\"z\":2,\"\\u00E9\":1}");
}

static void test_canonical_numbers(void **state)
{
    (void)state;
    assert_canon("[1.5, 3.0, 0.1, 1e100, -0.0, 1e-7, 123456789.125]",
                 "[1.5,3.0,0.10000000000000001,1e100,-0.0,9.9999999999999995e-8,123456789.125]");
    assert_canon("[0, -1, 9007199254740993, 148000]", "[0,-1,9007199254740993,148000]");
    /* Every real survives a round trip through its canonical text. */
    const char *text = "[0.1,0.30000000000000004,1e-300,2.5e+300]";
    char *once = canon_of(text);
    char *twice = canon_of(once);
    assert_string_equal(once, twice);
    free(once);
    free(twice);
}

static void test_canonical_scalars_and_null(void **state)
{
    (void)state;
    assert_null(ap_canonical_json(NULL));
    assert_canon("\"x\"", "\"x\"");
    assert_canon("{}", "{}");
    assert_canon("[ ]", "[]");
}

static ap_audit_event golden_event(const json_t *data)
{
    ap_audit_event ev = {.seq = 1,
                         .at = "2026-03-01T12:00:00.000Z",
                         .type = "run.created",
                         .actor = "ana@northwind",
                         .run_id = "run_01",
                         .data = data,
                         .prev_hash = GENESIS};
    return ev;
}

static json_t *golden_data(void)
{
    /* Same value as golden_canonical's data, keys deliberately unsorted. */
    return json_pack("{s:s, s:f, s:s, s:[b,n], s:i}", "stage", "Proposal/Price Quote",
                     "ratio", 0.5, "note", "Zo\xc3\xab \xe2\x9c\x93", "flags", 1, "amount", 148000);
}

static void test_event_object_and_golden_hash(void **state)
{
    (void)state;
    json_t *data = golden_data();
    ap_audit_event ev = golden_event(data);

    json_t *obj = ap_audit_event_object(&ev);
    assert_non_null(obj);
    char *canon = ap_canonical_json(obj);
    assert_string_equal(canon, golden_canonical);
    free(canon);
    json_decref(obj);

    char hash[AP_SHA256_HEX_LEN];
    assert_int_equal(ap_audit_event_hash(&ev, hash), 0);
    assert_string_equal(hash, golden_hash_1);

    /* The next event chains on it; a NULL run_id is encoded as null. */
    json_t *empty = json_object();
    ap_audit_event ev2 = {.seq = 2, .at = "2026-03-01T12:00:01.000Z", .type = "token.created",
                          .actor = "system:local", .run_id = NULL, .data = empty,
                          .prev_hash = hash};
    json_t *obj2 = ap_audit_event_object(&ev2);
    assert_true(json_is_null(json_object_get(obj2, "runId")));
    json_decref(obj2);
    char hash2[AP_SHA256_HEX_LEN];
    assert_int_equal(ap_audit_event_hash(&ev2, hash2), 0);
    assert_string_equal(hash2, golden_hash_2);

    /* data is borrowed: still ours, refcount back where it was. */
    assert_int_equal(data->refcount, 1);
    json_decref(empty);
    json_decref(data);
}

static void test_event_hash_rejects_incomplete_event(void **state)
{
    (void)state;
    json_t *data = json_object();
    char hash[AP_SHA256_HEX_LEN];
    ap_audit_event ev = golden_event(data);
    ev.type = NULL;
    assert_int_equal(ap_audit_event_hash(&ev, hash), -1);
    ev = golden_event(NULL);
    assert_int_equal(ap_audit_event_hash(&ev, hash), -1);
    json_t *arr = json_array();
    ev = golden_event(arr);
    assert_int_equal(ap_audit_event_hash(&ev, hash), -1);
    json_decref(arr);
    json_decref(data);
}

/* ---- a small stored chain, and the ways to tamper with it --------------- */

#define CHAIN_LEN 5

typedef struct stored_event {
    int64_t seq;
    char at[32];
    char type[32];
    char actor[32];
    char run_id[16];
    json_t *data;
    char prev_hash[AP_SHA256_HEX_LEN];
    char hash[AP_SHA256_HEX_LEN];
} stored_event;

typedef struct chain {
    stored_event ev[CHAIN_LEN];
} chain;

static ap_audit_event view(const stored_event *s)
{
    ap_audit_event ev = {.seq = s->seq, .at = s->at, .type = s->type, .actor = s->actor,
                         .run_id = s->run_id[0] ? s->run_id : NULL, .data = s->data,
                         .prev_hash = s->prev_hash};
    return ev;
}

/* Hashes events[from..] as an honest writer would, chaining on the one before. */
static void rechain(chain *c, int from)
{
    for (int i = from; i < CHAIN_LEN; i++) {
        stored_event *s = &c->ev[i];
        strcpy(s->prev_hash, i == 0 ? GENESIS : c->ev[i - 1].hash);
        ap_audit_event ev = view(s);
        assert_int_equal(ap_audit_event_hash(&ev, s->hash), 0);
    }
}

static chain *chain_new(void)
{
    chain *c = calloc(1, sizeof *c);
    assert_non_null(c);
    for (int i = 0; i < CHAIN_LEN; i++) {
        stored_event *s = &c->ev[i];
        s->seq = i + 1;
        snprintf(s->at, sizeof s->at, "2026-03-01T12:00:0%d.000Z", i);
        snprintf(s->type, sizeof s->type, "run.step%d", i);
        strcpy(s->actor, i % 2 ? "bo@northwind" : "ana@northwind");
        if (i != 2)
            snprintf(s->run_id, sizeof s->run_id, "run_%d", i / 2);
        s->data = json_pack("{s:i, s:s}", "step", i, "note", "ok");
    }
    rechain(c, 0);
    return c;
}

static void chain_free(chain *c)
{
    for (int i = 0; i < CHAIN_LEN; i++)
        json_decref(c->ev[i].data);
    free(c);
}

/* Feeds events in the given order (indexes into c; -1 ends). Returns the
 * verifier's final state. */
static ap_audit_verifier feed_order(const chain *c, const int *order)
{
    ap_audit_verifier v;
    ap_audit_verifier_init(&v);
    for (int i = 0; order[i] >= 0; i++) {
        ap_audit_event ev = view(&c->ev[order[i]]);
        ap_audit_verifier_feed(&v, &ev, c->ev[order[i]].hash);
    }
    return v;
}

static const int in_order[] = {0, 1, 2, 3, 4, -1};

static void test_verifier_accepts_intact_chain(void **state)
{
    (void)state;
    chain *c = chain_new();
    ap_audit_verifier v = feed_order(c, in_order);
    assert_int_equal(v.broken_at, -1);
    assert_int_equal(v.events, CHAIN_LEN);
    assert_int_equal(v.last_seq, CHAIN_LEN);
    assert_string_equal(v.head, c->ev[CHAIN_LEN - 1].hash);

    ap_audit_verifier empty;
    ap_audit_verifier_init(&empty);
    assert_string_equal(empty.head, GENESIS);
    assert_int_equal(empty.broken_at, -1);
    assert_int_equal(empty.events, 0);
    chain_free(c);
}

/* Changes one member of event 3 (seq 3, index 2) after hashing, feeds the
 * chain, and checks the break is reported there with head at event 2. */
static void expect_break_at_3(chain *c)
{
    ap_audit_verifier v = feed_order(c, in_order);
    assert_int_equal(v.broken_at, 3);
    assert_int_equal(v.events, 3);
    assert_int_equal(v.last_seq, 2);
    assert_string_equal(v.head, c->ev[1].hash);
}

static void test_verifier_catches_changed_members(void **state)
{
    (void)state;
    chain *c = chain_new();
    json_object_set_new(c->ev[2].data, "step", json_integer(99));
    expect_break_at_3(c);
    chain_free(c);

    c = chain_new();
    strcpy(c->ev[2].type, "run.approved");
    expect_break_at_3(c);
    chain_free(c);

    c = chain_new();
    strcpy(c->ev[2].actor, "mallory");
    expect_break_at_3(c);
    chain_free(c);

    c = chain_new();
    c->ev[2].at[18] = '9';
    expect_break_at_3(c);
    chain_free(c);

    c = chain_new();
    strcpy(c->ev[2].run_id, "run_9"); /* was NULL: moved onto a run */
    expect_break_at_3(c);
    chain_free(c);

    c = chain_new();
    c->ev[2].hash[0] = c->ev[2].hash[0] == 'a' ? 'b' : 'a'; /* stored hash forged */
    expect_break_at_3(c);
    chain_free(c);
}

static void test_verifier_catches_rehashed_edit(void **state)
{
    (void)state;
    /* A tamperer edits event 3 and recomputes its hash (and the rest of the
     * chain after it): the edit is consistent locally, so only a kept head
     * can reveal it; but rehashing only event 3 breaks the link of event 4. */
    chain *c = chain_new();
    json_object_set_new(c->ev[2].data, "step", json_integer(99));
    ap_audit_event ev = view(&c->ev[2]);
    assert_int_equal(ap_audit_event_hash(&ev, c->ev[2].hash), 0);
    ap_audit_verifier v = feed_order(c, in_order);
    assert_int_equal(v.broken_at, 4);

    /* Rehashing everything after it yields a valid but different chain: the
     * head differs from the one a holder kept. */
    char old_head[AP_SHA256_HEX_LEN];
    chain *orig = chain_new();
    strcpy(old_head, orig->ev[CHAIN_LEN - 1].hash);
    chain_free(orig);
    rechain(c, 3);
    v = feed_order(c, in_order);
    assert_int_equal(v.broken_at, -1);
    assert_string_not_equal(v.head, old_head);
    chain_free(c);
}

static void test_verifier_catches_broken_link(void **state)
{
    (void)state;
    /* prevHash of event 3 points elsewhere, and its hash is recomputed so
     * the event is self-consistent: the link to event 2 is what fails. */
    chain *c = chain_new();
    strcpy(c->ev[2].prev_hash, GENESIS);
    ap_audit_event ev = view(&c->ev[2]);
    assert_int_equal(ap_audit_event_hash(&ev, c->ev[2].hash), 0);
    expect_break_at_3(c);
    chain_free(c);
}

static void test_verifier_catches_removed_event(void **state)
{
    (void)state;
    chain *c = chain_new();
    static const int without_3[] = {0, 1, 3, 4, -1};
    ap_audit_verifier v = feed_order(c, without_3);
    assert_int_equal(v.broken_at, 4);
    assert_int_equal(v.last_seq, 2);

    /* Renumbering after the removal does not help: the link still breaks. */
    c->ev[3].seq = 3;
    c->ev[4].seq = 4;
    v = feed_order(c, without_3);
    assert_int_equal(v.broken_at, 3);

    /* Removing the first event breaks at once (seq 2 does not start a chain). */
    chain_free(c);
    c = chain_new();
    static const int without_1[] = {1, 2, 3, 4, -1};
    v = feed_order(c, without_1);
    assert_int_equal(v.broken_at, 2);
    assert_int_equal(v.events, 1);
    assert_string_equal(v.head, GENESIS);
    chain_free(c);
}

static void test_verifier_catches_reordering(void **state)
{
    (void)state;
    chain *c = chain_new();
    static const int swapped[] = {0, 1, 3, 2, 4, -1};
    ap_audit_verifier v = feed_order(c, swapped);
    assert_int_equal(v.broken_at, 4);

    /* Swapping the seq numbers too leaves the prevHash links broken. */
    c->ev[2].seq = 4;
    c->ev[3].seq = 3;
    v = feed_order(c, swapped);
    assert_int_equal(v.broken_at, 3);
    chain_free(c);
}

static void test_verifier_truncation_needs_a_kept_head(void **state)
{
    (void)state;
    /* Cutting the tail leaves a valid chain: verification alone cannot see
     * it. A holder of the old head (seq 5, hash) sees the chain no longer
     * reaches seq 5 with that hash. */
    chain *c = chain_new();
    static const int first_three[] = {0, 1, 2, -1};
    ap_audit_verifier v = feed_order(c, first_three);
    assert_int_equal(v.broken_at, -1);
    assert_int_equal(v.last_seq, 3);
    assert_true(v.last_seq < c->ev[4].seq);
    assert_string_not_equal(v.head, c->ev[4].hash);
    chain_free(c);
}

static void test_verifier_stays_broken(void **state)
{
    (void)state;
    chain *c = chain_new();
    strcpy(c->ev[1].type, "forged");
    ap_audit_verifier v;
    ap_audit_verifier_init(&v);
    ap_audit_event ev = view(&c->ev[0]);
    assert_int_equal(ap_audit_verifier_feed(&v, &ev, c->ev[0].hash), 0);
    ev = view(&c->ev[1]);
    assert_int_equal(ap_audit_verifier_feed(&v, &ev, c->ev[1].hash), -1);
    /* Later good-looking events are ignored; the first break is kept. */
    ev = view(&c->ev[2]);
    assert_int_equal(ap_audit_verifier_feed(&v, &ev, c->ev[2].hash), -1);
    assert_int_equal(v.broken_at, 2);
    assert_int_equal(v.events, 2);
    /* NULL stored hash or event is a break, not a crash. */
    ap_audit_verifier w;
    ap_audit_verifier_init(&w);
    ev = view(&c->ev[0]);
    assert_int_equal(ap_audit_verifier_feed(&w, &ev, NULL), -1);
    assert_int_equal(w.broken_at, 1);
    chain_free(c);
}

static void test_verifier_mark_broken(void **state)
{
    (void)state;
    ap_audit_verifier v;
    ap_audit_verifier_init(&v);
    ap_audit_verifier_mark_broken(&v, 7);
    assert_int_equal(v.broken_at, 7);
    assert_int_equal(v.events, 1);
    ap_audit_verifier_mark_broken(&v, 9); /* first break wins */
    assert_int_equal(v.broken_at, 7);
    assert_int_equal(v.events, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_known_vectors),
        cmocka_unit_test(test_canonical_sorts_keys_at_every_level),
        cmocka_unit_test(test_canonical_same_value_same_bytes),
        cmocka_unit_test(test_canonical_escapes_unicode),
        cmocka_unit_test(test_canonical_numbers),
        cmocka_unit_test(test_canonical_scalars_and_null),
        cmocka_unit_test(test_event_object_and_golden_hash),
        cmocka_unit_test(test_event_hash_rejects_incomplete_event),
        cmocka_unit_test(test_verifier_accepts_intact_chain),
        cmocka_unit_test(test_verifier_catches_changed_members),
        cmocka_unit_test(test_verifier_catches_rehashed_edit),
        cmocka_unit_test(test_verifier_catches_broken_link),
        cmocka_unit_test(test_verifier_catches_removed_event),
        cmocka_unit_test(test_verifier_catches_reordering),
        cmocka_unit_test(test_verifier_truncation_needs_a_kept_head),
        cmocka_unit_test(test_verifier_stays_broken),
        cmocka_unit_test(test_verifier_mark_broken),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

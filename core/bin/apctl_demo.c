/*
 * apctl_demo.c — `apctl demo`: walks the canonical Northwind story
 * (spec/northwind.json) against a running daemon, printing each step the way
 * a person would narrate it, and fails at the first step that does not hold.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apctl.h"
#include "store/store.h"

#define RECORD_ID "006Hs00001NWRNWIA5"
#define RECORD_PATH "/api/connectors/salesforce-crm/records/Opportunity/" RECORD_ID

static const char *const fields[] = {"StageName", "Amount", "CloseDate", "NextStep", NULL};

typedef struct demo {
    const apctl_opts *o;
    const char *operator_token;
    const char *approver_token;
    int step;
} demo;

static void print_value(const json_t *v)
{
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    printf("%s", s ? s : "?");
    free(s);
}

static int step(demo *d, const char *title)
{
    printf("\n%2d. %s\n", ++d->step, title);
    return 0;
}

static int fail(const char *what, const apctl_reply *r)
{
    apctl_print_failure(what, r);
    return 1;
}

static const json_t *record_fields(const json_t *body)
{
    const json_t *f = json_object_get(body, "fields");
    return f ? f : body;
}

static int show_record(demo *d, const char *label)
{
    apctl_reply r;
    apctl_request(d->o, d->operator_token, "GET", RECORD_PATH, NULL, NULL, &r);
    if (r.status != 200) {
        int rc = fail("read record", &r);
        apctl_reply_free(&r);
        return rc;
    }
    const json_t *f = record_fields(r.body);
    printf("    %s: \"%s\"\n", label, json_string_value(json_object_get(f, "Name")) ? json_string_value(json_object_get(f, "Name")) : RECORD_ID);
    for (const char *const *k = fields; *k; k++) {
        printf("      %-10s ", *k);
        print_value(json_object_get(f, *k));
        printf("\n");
    }
    apctl_reply_free(&r);
    return 0;
}

static int make_tokens(demo *d, char *op, char *ap)
{
    ap_store *store;
    ap_err err = AP_ERR_INIT;
    char ws[64];
    snprintf(ws, sizeof ws, "demo-%ld", (long)time(NULL));
    if (apctl_open_store(d->o, &store) != 0) {
        fprintf(stderr, "apctl: demo needs --token and --approver-token, or a store "
                        "(--config/--store) to make a demo workspace in\n");
        return -1;
    }
    if (ap_store_token_create(store, ws, "demo.operator", AP_ROLE_OPERATOR, op, &err) != 0 ||
        ap_store_token_create(store, ws, "demo.approver", AP_ROLE_APPROVER, ap, &err) != 0) {
        fprintf(stderr, "apctl: demo: cannot make demo tokens: %s\n", err.message);
        ap_err_clear(&err);
        ap_store_close(store);
        return -1;
    }
    ap_store_close(store);
    printf("Made workspace %s with an operator (demo.operator) and an approver (demo.approver).\n",
           ws);
    return 0;
}

static int walk(demo *d)
{
    apctl_reply r;
    step(d, "The seeded Opportunity, before anything happens");
    if (show_record(d, "record") != 0)
        return 1;

    step(d, "The operator requests the Northwind change");
    json_t *req = json_pack(
        "{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:i, s:s, s:s}, s:s, s:b}", "connector",
        "salesforce-crm", "action", "salesforce.update-opportunity", "target", "object",
        "Opportunity", "id", RECORD_ID, "changes", "StageName", "Proposal/Price Quote", "Amount",
        148000, "CloseDate", "2026-05-27", "NextStep",
        "Send revised proposal to Northwind procurement", "reason",
        "Pricing committee approved the FY26 uplift", "dryRun", 0);
    apctl_request(d->o, d->operator_token, "POST", "/api/runs", req, NULL, &r);
    json_decref(req);
    if (r.status != 201) {
        int rc = fail("create run", &r);
        apctl_reply_free(&r);
        return rc;
    }
    char id[64];
    snprintf(id, sizeof id, "%s", json_string_value(json_object_get(r.body, "id")));
    const json_t *pv = json_object_get(r.body, "preview"), *pol = json_object_get(r.body, "policy");
    printf("    run %s is %s (environment %s)\n", id,
           json_string_value(json_object_get(r.body, "state")),
           json_string_value(json_object_get(r.body, "environment")));
    printf("    preview diff:\n");
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(pv, "diff"), i, e) {
        printf("      %-10s ", json_string_value(json_object_get(e, "field")));
        print_value(json_object_get(e, "before"));
        printf(" -> ");
        print_value(json_object_get(e, "after"));
        printf("\n");
    }
    printf("    rollback ready: %s\n", json_is_true(json_object_get(pv, "rollbackReady")) ? "yes" : "no");
    printf("    policy: %s (rule %s)\n", json_string_value(json_object_get(pol, "decision")),
           json_string_value(json_object_get(pol, "rule")));
    json_array_foreach(json_object_get(pol, "reasons"), i, e)
        printf("      - %s\n", json_string_value(e));
    bool pending = strcmp(json_string_value(json_object_get(r.body, "state")), "pending_approval") == 0;
    apctl_reply_free(&r);
    if (!pending) {
        fprintf(stderr, "apctl: demo: expected the run to wait for approval\n");
        return 1;
    }

    char path[256];
    step(d, "The operator tries to approve their own request");
    snprintf(path, sizeof path, "/api/runs/%s/approve", id);
    json_t *mine = json_pack("{s:s}", "comment", "looks fine to me");
    apctl_request(d->o, d->operator_token, "POST", path, mine, NULL, &r);
    json_decref(mine);
    const json_t *err = json_object_get(r.body, "error");
    printf("    refused: %ld %s: %s\n", r.status, json_string_value(json_object_get(err, "code")),
           json_string_value(json_object_get(err, "message")));
    bool refused = r.status == 403;
    apctl_reply_free(&r);
    if (!refused) {
        fprintf(stderr, "apctl: demo: self-approval was not refused\n");
        return 1;
    }

    struct {
        const char *title, *verb, *token, *want;
    } moves[] = {
        {"The approver approves", "approve", d->approver_token, "approved"},
        {"The operator executes the approved run", "execute", d->operator_token, "completed"},
        {"The operator rolls the change back", "rollback", d->operator_token, "rolled_back"},
    };
    for (size_t m = 0; m < 3; m++) {
        step(d, moves[m].title);
        snprintf(path, sizeof path, "/api/runs/%s/%s", id, moves[m].verb);
        json_t *body = m == 0 ? json_pack("{s:s}", "comment", "RevOps lead approves") : NULL;
        apctl_request(d->o, moves[m].token, "POST", path, body, NULL, &r);
        json_decref(body);
        if (r.status != 200) {
            int rc = fail(moves[m].verb, &r);
            apctl_reply_free(&r);
            return rc;
        }
        printf("    run %s is %s\n", id, json_string_value(json_object_get(r.body, "state")));
        apctl_reply_free(&r);
        if (m > 0 && show_record(d, m == 1 ? "record after execute" : "record after rollback") != 0)
            return 1;
    }

    step(d, "The evidence attached to the run, and the audit chain");
    snprintf(path, sizeof path, "/api/runs/%s", id);
    apctl_request(d->o, d->operator_token, "GET", path, NULL, NULL, &r);
    printf("    artifacts:");
    json_array_foreach(json_object_get(r.body, "artifacts"), i, e)
        printf(" %s", json_string_value(json_object_get(e, "kind")));
    printf("\n");
    apctl_reply_free(&r);
    snprintf(path, sizeof path, "/api/runs/%s/audit", id);
    apctl_request(d->o, d->operator_token, "GET", path, NULL, NULL, &r);
    json_array_foreach(json_object_get(r.body, "events"), i, e)
        printf("    #%-4lld %-24s by %s\n",
               (long long)json_integer_value(json_object_get(e, "seq")),
               json_string_value(json_object_get(e, "type")),
               json_string_value(json_object_get(e, "actor")));
    apctl_reply_free(&r);
    apctl_request(d->o, d->operator_token, "GET", "/api/audit/verify", NULL, NULL, &r);
    bool ok = json_is_true(json_object_get(r.body, "ok"));
    printf("    audit chain: %s, %lld events, head %s\n", ok ? "verified" : "BROKEN",
           (long long)json_integer_value(json_object_get(r.body, "events")),
           json_string_value(json_object_get(r.body, "head")));
    apctl_reply_free(&r);
    if (!ok)
        return 1;
    printf("\nThe Northwind story holds: previewed, governed, executed, rolled back, on one run.\n");
    return 0;
}

int apctl_demo(const apctl_opts *o, int argc, char **argv)
{
    demo d = {.o = o, .operator_token = o->token};
    d.approver_token = apctl_flag(argc, argv, "--approver-token");
    if (!d.approver_token)
        d.approver_token = getenv("ACTIONPLANE_APPROVER_TOKEN");
    char op[AP_TOKEN_LEN], ap[AP_TOKEN_LEN];
    if (!d.operator_token || !d.approver_token) {
        if (make_tokens(&d, op, ap) != 0)
            return 1;
        d.operator_token = op;
        d.approver_token = ap;
    }
    printf("ActionPlane demo: the Northwind renewal story against %s\n", o->url);
    return walk(&d);
}

/*
 * runs_core.c — the engine's lifetime, policy swapping, and the checks every
 * operation shares (role, environment, loading a run in its state).
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "runs_internal.h"

int ap_runs_new(const ap_runs_options *o, ap_runs **out, ap_err *err)
{
    *out = NULL;
    ap_runs *r = calloc(1, sizeof *r);
    if (!r || sodium_init() < 0) {
        free(r);
        ap_policy_free(o->policy);
        ap_err_set(err, "internal_error", "cannot start the runs engine");
        return -1;
    }
    r->store = o->store;
    r->plugins = o->plugins;
    r->config = o->config;
    r->env = o->config->environment;
    r->log = o->log;
    r->policy = o->policy;
    pthread_rwlock_init(&r->policy_lock, NULL);
    pthread_mutex_init(&r->seed_lock, NULL);
    *out = r;
    return 0;
}

void ap_runs_free(ap_runs *r)
{
    if (!r)
        return;
    ap_policy_free(r->policy);
    pthread_rwlock_destroy(&r->policy_lock);
    pthread_mutex_destroy(&r->seed_lock);
    free(r);
}

void ap_runs_swap_policy(ap_runs *r, ap_policy *policy)
{
    pthread_rwlock_wrlock(&r->policy_lock);
    ap_policy *old = r->policy;
    r->policy = policy;
    pthread_rwlock_unlock(&r->policy_lock);
    ap_policy_free(old);
}

ap_env ap_runs_environment(const ap_runs *r)
{
    return r->env;
}

void runs_evaluate_policy(ap_runs *r, const ap_policy_input *in, ap_policy_result *out)
{
    pthread_rwlock_rdlock(&r->policy_lock);
    ap_policy_evaluate(r->policy, in, out);
    pthread_rwlock_unlock(&r->policy_lock);
}

int runs_require_role(const ap_principal *who, ap_role role, const char *what, ap_err *err)
{
    if (who->role >= role)
        return 0;
    ap_err_set(err, "forbidden", "%s needs the %s role; %s has %s", what, ap_role_name(role),
               who->name, ap_role_name(who->role));
    return -1;
}

int runs_require_writable_env(const ap_runs *r, ap_err *err)
{
    if (r->env == AP_ENV_PRODUCTION && !r->config->production_enabled) {
        ap_err_set(err, "environment_disabled",
                   "the production environment is disabled by configuration; "
                   "set production_enabled = true in [environment] once the sandbox proof exists");
        return -1;
    }
    return 0;
}

int runs_load(ap_runs *r, const ap_principal *who, const char *run_id, json_t **doc,
              ap_run_state *state, ap_err *err)
{
    if (ap_store_run_get(r->store, who->workspace, run_id, doc, err) != 0)
        return -1;
    if (!ap_run_state_parse(json_string_value(json_object_get(*doc, "state")), state)) {
        json_decref(*doc);
        *doc = NULL;
        ap_err_set(err, "internal_error", "run %s has an unreadable state", run_id);
        return -1;
    }
    return 0;
}

void runs_invalid_state(ap_err *err, const char *run_id, ap_run_state state, const char *what,
                        ap_run_state needed)
{
    ap_err_set(err, "invalid_state", "cannot %s run %s: it is %s, and only a %s run can be", what,
               run_id, ap_run_state_name(state), ap_run_state_name(needed));
    ap_err_details(err, json_pack("{s:s, s:s, s:s}", "runId", run_id, "state",
                                  ap_run_state_name(state), "requiredState",
                                  ap_run_state_name(needed)));
}

void runs_new_id(char out[32])
{
    static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    unsigned char bytes[16];
    uint64_t ms = (uint64_t)ap_now_ms();
    for (int i = 0; i < 6; i++)
        bytes[i] = (unsigned char)(ms >> (8 * (5 - i)));
    randombytes_buf(bytes + 6, 10);
    /* 128 bits as 26 base32 digits, most significant first (the top digit
     * carries the 3 spare bits, as in the ULID spec). */
    memcpy(out, "run_", 4);
    for (int i = 0; i < 26; i++) {
        int bit = 128 - 5 * (26 - i); /* position of this digit's lowest bit from the top */
        unsigned v = 0;
        for (int b = 0; b < 5; b++) {
            int pos = bit + b; /* bit index from the top, may be negative for the first digit */
            if (pos >= 0)
                v = (v << 1) | ((bytes[pos / 8] >> (7 - pos % 8)) & 1u);
            else
                v <<= 1;
        }
        out[4 + i] = alphabet[v & 31];
    }
    out[30] = '\0';
}

json_t *runs_plugin_input(const ap_runs *r, const char *workspace)
{
    return json_pack("{s:s, s:s}", "workspace", workspace, "environment", ap_env_name(r->env));
}

json_t *runs_error_object(const ap_err *err)
{
    json_t *o = json_pack("{s:s, s:s}", "code", err->code, "message", err->message);
    json_object_set_new(o, "details", err->details ? json_deep_copy(err->details) : json_object());
    return o;
}

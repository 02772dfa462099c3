/* run_state.c — see run_state.h. */
#include "run_state.h"

#include <string.h>

static const char *const names[AP_RUN_STATE_COUNT] = {
    "previewed", "denied",    "pending_approval", "approved",    "rejected",       "superseded",
    "executing", "completed", "failed",           "rolled_back", "rollback_failed"};

/* One row per event: the only state it may start from and where it leads. */
static const struct {
    ap_run_state from;
    ap_run_state to;
} transitions[] = {
    [AP_RUN_EV_APPROVE_PARTIAL] = {AP_RUN_PENDING_APPROVAL, AP_RUN_PENDING_APPROVAL},
    [AP_RUN_EV_APPROVE] = {AP_RUN_PENDING_APPROVAL, AP_RUN_APPROVED},
    [AP_RUN_EV_REJECT] = {AP_RUN_PENDING_APPROVAL, AP_RUN_REJECTED},
    [AP_RUN_EV_REVISE] = {AP_RUN_PENDING_APPROVAL, AP_RUN_SUPERSEDED},
    [AP_RUN_EV_EXECUTE_START] = {AP_RUN_APPROVED, AP_RUN_EXECUTING},
    [AP_RUN_EV_EXECUTE_OK] = {AP_RUN_EXECUTING, AP_RUN_COMPLETED},
    [AP_RUN_EV_EXECUTE_FAIL] = {AP_RUN_EXECUTING, AP_RUN_FAILED},
    [AP_RUN_EV_ROLLBACK_OK] = {AP_RUN_COMPLETED, AP_RUN_ROLLED_BACK},
    [AP_RUN_EV_ROLLBACK_FAIL] = {AP_RUN_COMPLETED, AP_RUN_ROLLBACK_FAILED},
};

const char *ap_run_state_name(ap_run_state s)
{
    return (unsigned)s < AP_RUN_STATE_COUNT ? names[s] : "unknown";
}

bool ap_run_state_parse(const char *name, ap_run_state *out)
{
    for (unsigned i = 0; name && i < AP_RUN_STATE_COUNT; i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (ap_run_state)i;
            return true;
        }
    }
    return false;
}

bool ap_run_transition(ap_run_state from, ap_run_event ev, ap_run_state *to)
{
    if ((unsigned)ev >= sizeof transitions / sizeof transitions[0] || transitions[ev].from != from)
        return false;
    *to = transitions[ev].to;
    return true;
}

ap_run_state ap_run_event_source(ap_run_event ev)
{
    return transitions[ev].from;
}

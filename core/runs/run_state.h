/*
 * run_state.h — the governed-run state machine, as a table. Pure: no I/O.
 *
 *   create:   dry run -> previewed; policy deny -> denied;
 *             require_approval -> pending_approval; allow -> approved
 *   approve:  pending_approval -> pending_approval (more approvals needed)
 *                              -> approved (enough)
 *   reject:   pending_approval -> rejected
 *   revise:   pending_approval -> superseded
 *   execute:  approved -> executing -> completed | failed
 *   rollback: completed -> rolled_back | rollback_failed
 * Anything else is refused (HTTP 409 invalid_state).
 */
#ifndef AP_RUN_STATE_H
#define AP_RUN_STATE_H

#include <stdbool.h>

typedef enum ap_run_state {
    AP_RUN_PREVIEWED = 0,
    AP_RUN_DENIED,
    AP_RUN_PENDING_APPROVAL,
    AP_RUN_APPROVED,
    AP_RUN_REJECTED,
    AP_RUN_SUPERSEDED,
    AP_RUN_EXECUTING,
    AP_RUN_COMPLETED,
    AP_RUN_FAILED,
    AP_RUN_ROLLED_BACK,
    AP_RUN_ROLLBACK_FAILED,
    AP_RUN_STATE_COUNT
} ap_run_state;

/** What happens to a run. */
typedef enum ap_run_event {
    AP_RUN_EV_APPROVE_PARTIAL = 0, /**< an approval that is not yet enough */
    AP_RUN_EV_APPROVE,             /**< the approval that completes the count */
    AP_RUN_EV_REJECT,
    AP_RUN_EV_REVISE,
    AP_RUN_EV_EXECUTE_START,
    AP_RUN_EV_EXECUTE_OK,
    AP_RUN_EV_EXECUTE_FAIL,
    AP_RUN_EV_ROLLBACK_OK,
    AP_RUN_EV_ROLLBACK_FAIL
} ap_run_event;

/** The state's API name ("pending_approval", ...); a static string. */
const char *ap_run_state_name(ap_run_state s);

/** Parses an API state name. Returns true on success. */
bool ap_run_state_parse(const char *name, ap_run_state *out);

/** The state `ev` leads to from `from`; false when the transition is not
 *  allowed. */
bool ap_run_transition(ap_run_state from, ap_run_event ev, ap_run_state *to);

/** The state a run must be in for `ev` (for error messages). */
ap_run_state ap_run_event_source(ap_run_event ev);

#endif /* AP_RUN_STATE_H */

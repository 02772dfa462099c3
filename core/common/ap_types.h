/*
 * ap_types.h — small vocabulary shared by every core module: environments and
 * roles, with their fixed spellings from the HTTP contract.
 */
#ifndef AP_TYPES_H
#define AP_TYPES_H

#include <stdbool.h>

/** The environment a daemon runs in (spec/api.md "Environments"). */
typedef enum ap_env {
    AP_ENV_SIMULATION = 0,
    AP_ENV_SANDBOX = 1,
    AP_ENV_PRODUCTION = 2
} ap_env;

#define AP_ENV_COUNT 3

/** "simulation", "sandbox" or "production"; a static string. */
const char *ap_env_name(ap_env env);

/** Parses an environment name (exact, lower case). Returns true on success. */
bool ap_env_parse(const char *name, ap_env *out);

/** Roles, each including the rights of the ones before it. */
typedef enum ap_role {
    AP_ROLE_VIEWER = 0,
    AP_ROLE_OPERATOR = 1,
    AP_ROLE_APPROVER = 2,
    AP_ROLE_ADMIN = 3
} ap_role;

/** "viewer", "operator", "approver" or "admin"; a static string. */
const char *ap_role_name(ap_role role);

/** Parses a role name (exact, lower case). Returns true on success. */
bool ap_role_parse(const char *name, ap_role *out);

#endif /* AP_TYPES_H */

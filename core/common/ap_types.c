/* ap_types.c — see ap_types.h. */
#include "ap_types.h"

#include <string.h>

static const char *const env_names[AP_ENV_COUNT] = {"simulation", "sandbox", "production"};
static const char *const role_names[] = {"viewer", "operator", "approver", "admin"};

const char *ap_env_name(ap_env env)
{
    return (unsigned)env < AP_ENV_COUNT ? env_names[env] : "unknown";
}

bool ap_env_parse(const char *name, ap_env *out)
{
    for (unsigned i = 0; name && i < AP_ENV_COUNT; i++) {
        if (strcmp(name, env_names[i]) == 0) {
            *out = (ap_env)i;
            return true;
        }
    }
    return false;
}

const char *ap_role_name(ap_role role)
{
    return (unsigned)role <= AP_ROLE_ADMIN ? role_names[role] : "unknown";
}

bool ap_role_parse(const char *name, ap_role *out)
{
    for (unsigned i = 0; name && i <= AP_ROLE_ADMIN; i++) {
        if (strcmp(name, role_names[i]) == 0) {
            *out = (ap_role)i;
            return true;
        }
    }
    return false;
}

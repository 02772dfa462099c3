/*
 * sf_plugin.c — salesforce.so's face to the host: the descriptor, the entry point, open and close.
 *
 * The plugin performs "salesforce.update-opportunity" against a real Salesforce org through the REST API
 * (see docs/salesforce.md). `open` reads and checks the settings and makes the curl handle; it never
 * touches the network (that is `validate`).
 */
#include "sf_internal.h"

#include <stddef.h>
#include <string.h>

/* The host's services table, kept from ap_plugin_entry: `open` receives only a context, and the table is
 * immutable and valid for the life of the process, so this write-once pointer is the one piece of
 * process-wide state. */
static const ap_host_services *sf_host;

static const char *const sf_actions[] = {SF_ACTION_UPDATE_OPPORTUNITY, NULL};

static const char *const sf_capabilities[] = {"preview", "rollback", "conflict-detection", "metadata-sync",
                                              "validate", "read-record", NULL};

static const ap_setting_spec sf_settings_table[] = {
    {"loginUrl", AP_SETTING_URL, AP_SETTING_REQUIRED,
     "the org's My Domain URL, e.g. https://NAME.my.salesforce.com (token requests go there)"},
    {"clientId", AP_SETTING_STRING, AP_SETTING_REQUIRED, "consumer key of the External Client App / Connected App"},
    {"clientSecret", AP_SETTING_STRING, AP_SETTING_SECRET,
     "consumer secret (or env ACTIONPLANE_SALESFORCE_CLIENT_SECRET)"},
    {"refreshToken", AP_SETTING_STRING, AP_SETTING_SECRET,
     "refresh token; when set the refresh_token grant is used (or env ACTIONPLANE_SALESFORCE_REFRESH_TOKEN)"},
    {"apiVersion", AP_SETTING_STRING, 0, "REST API version, e.g. 66.0 (default 66.0)"},
    {"isSandbox", AP_SETTING_BOOL, 0, "whether the org is a sandbox/developer org; validate checks it against the environment"},
    {"caBundle", AP_SETTING_PATH, 0, "PEM file of CA certificates to trust instead of the system store"},
    {"allowInsecureHttp", AP_SETTING_BOOL, 0, "tests only: allow http:// URLs (default false)"},
    {"connectTimeoutMs", AP_SETTING_INT, 0, "TCP+TLS connect timeout in ms (default 10000)"},
    {"timeoutMs", AP_SETTING_INT, 0, "total time per request in ms (default 30000)"},
    {"maxRetries", AP_SETTING_INT, 0, "retries of a retry-safe failure (503, locked row, ...) (default 3)"},
    {"allowedFields.", AP_SETTING_LIST, AP_SETTING_PREFIX,
     "allowedFields.OBJECT = F1, F2: the fields runs may write (Opportunity only)"},
    {NULL, AP_SETTING_STRING, 0, NULL},
};

static ap_status sf_open(ap_host_ctx *ctx, void **instance_out, ap_result *err_out)
{
    sf_error err = {0};
    *instance_out = NULL;
    sf_instance *in = sf_host->mem_alloc(sizeof *in);
    if (!in) {
        sf_host->result_error(err_out, "connector_error", "out of memory", NULL, 0);
        return AP_ERROR;
    }
    memset(in, 0, sizeof *in);
    in->host = sf_host;
    in->ctx = ctx;
    ap_status st = sf_settings_load(sf_host, ctx, &in->settings, &err);
    if (st == AP_OK && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        sf_error_set(&err, AP_ERROR, "connector_error", "curl could not initialise");
        st = AP_ERROR;
    }
    if (st == AP_OK && sf_http_init(&in->http, &in->settings, &err) != 0) {
        curl_global_cleanup();
        st = AP_ERROR;
    }
    if (st != AP_OK) {
        sf_host->result_error(err_out, err.code, err.message, NULL, 0);
        sf_error_clear(&err);
        sf_settings_free(sf_host, &in->settings);
        sf_host->mem_free(in);
        return st;
    }
    *instance_out = in;
    return AP_OK;
}

static void sf_close(void *instance)
{
    sf_instance *in = instance;
    if (!in)
        return;
    sf_auth_forget(in);
    json_decref(in->metadata);
    sf_http_cleanup(&in->http);
    curl_global_cleanup(); /* reference counted: balances the init in sf_open */
    sf_settings_free(in->host, &in->settings);
    in->host->mem_free(in);
}

static const ap_plugin_descriptor sf_descriptor = {
    .abi = AP_ABI_HEADER_INIT(ap_plugin_descriptor),
    .name = SF_PLUGIN_NAME,
    .version = SF_PLUGIN_VERSION,
    .description = "Salesforce CRM over the REST API: governed Opportunity updates with preview, conflict "
                   "detection and rollback",
    .flags = 0, /* one curl handle per instance: the host serialises calls on an instance */
    .actions = sf_actions,
    .capabilities = sf_capabilities,
    .settings = sf_settings_table,
    .open = sf_open,
    .validate = sf_op_validate,
    .sync_metadata = sf_op_sync_metadata,
    .preview = sf_op_preview,
    .execute = sf_op_execute,
    .rollback = sf_op_rollback,
    .reset = NULL, /* a real org has no seeded state to restore */
    .read_record = sf_op_read_record,
    .close = sf_close,
};

AP_PLUGIN_EXPORT const ap_plugin_descriptor *ap_plugin_entry(const ap_host_services *host)
{
    /* Every service used here exists since ABI 1.0, so any 1.x host will do. */
    if (!host || host->abi.abi_major != AP_ABI_MAJOR ||
        host->abi.struct_size < offsetof(ap_host_services, data_dir) + sizeof host->data_dir)
        return NULL;
    sf_host = host;
    return &sf_descriptor;
}

/*
 * sim_plugin.c — the simulation plugin's face to the host: its descriptor,
 * the exported ap_plugin_entry, open/close of an instance, and the one
 * dispatcher every operation goes through (parse the input, check the
 * workspace, seed it on first touch, run the operation).
 */
#include "sim_internal.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

AP_PLUGIN_EXPORT const ap_plugin_descriptor *ap_plugin_entry(const ap_host_services *host);

/* The host's services table, set once by ap_plugin_entry before any `open`.
 * ABI 1.0 hands the table only to the entry point, so it must be kept here;
 * each instance copies it at `open` and never reads this variable again, so
 * two hosts in one process (as in tests) each keep their own table. */
static const ap_host_services *entry_host;

typedef ap_status (*sim_op_fn)(const sim_call *call);

/* Parses the input, seeds an unseen workspace, runs `op`. */
static ap_status dispatch(void *instance, const char *input, size_t input_len, ap_result *out,
                          sim_op_fn op)
{
    sim_call call = {.inst = instance, .out = out};
    json_error_t jerr;
    json_t *root = input ? json_loadb(input, input_len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    if (!json_is_object(root)) {
        json_decref(root);
        return sim_fail(&call, AP_INVALID, "invalid_request", NULL,
                        "The input is not a JSON object%s%s.", input ? ": " : "",
                        input ? jerr.text : "");
    }
    call.input = root;
    const json_t *ws = json_object_get(root, "workspace");
    ap_status status;
    if (!json_is_string(ws) || json_string_length(ws) == 0 ||
        json_string_length(ws) > SIM_WORKSPACE_MAX) {
        status = sim_fail(&call, AP_INVALID, "invalid_request",
                          json_pack("{s:s}", "field", "workspace"),
                          "workspace must be a non-empty string of at most %d bytes.",
                          SIM_WORKSPACE_MAX);
    } else {
        call.workspace = json_string_value(ws);
        if (sim_store_ensure_workspace(call.inst->store, call.workspace) != 0)
            status = sim_fail_store(&call, "seeding the workspace");
        else
            status = op(&call);
    }
    json_decref(root);
    return status;
}

static ap_status sim_validate(void *instance, const char *input, size_t len, ap_result *out)
{
    return dispatch(instance, input, len, out, sim_op_validate);
}

static ap_status sim_sync_metadata(void *instance, const char *input, size_t len, ap_result *out)
{
    return dispatch(instance, input, len, out, sim_op_sync_metadata);
}

static ap_status sim_preview(void *instance, const char *input, size_t len, ap_result *out)
{
    return dispatch(instance, input, len, out, sim_op_preview);
}

static ap_status sim_execute(void *instance, const char *input, size_t len, ap_result *out)
{
    return dispatch(instance, input, len, out, sim_op_execute);
}

static ap_status sim_rollback(void *instance, const char *input, size_t len, ap_result *out)
{
    return dispatch(instance, input, len, out, sim_op_rollback);
}

static ap_status sim_reset(void *instance, const char *input, size_t len, ap_result *out)
{
    return dispatch(instance, input, len, out, sim_op_reset);
}

static ap_status sim_read_record(void *instance, const char *input, size_t len, ap_result *out)
{
    return dispatch(instance, input, len, out, sim_op_read_record);
}

static ap_status sim_open(ap_host_ctx *ctx, void **instance_out, ap_result *err)
{
    const ap_host_services *host = entry_host;
    *instance_out = NULL;
    const char *dir = host->data_dir(ctx);
    if (!dir || !*dir) {
        host->result_error(err, "invalid_config", "The host gave the simulation no data folder.",
                           NULL, 0);
        return AP_ERROR;
    }
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/simulation.sqlite", dir) >= sizeof path) {
        host->result_error(err, "invalid_config", "The simulation's data folder path is too long.",
                           NULL, 0);
        return AP_ERROR;
    }
    sim_instance *inst = host->mem_alloc(sizeof *inst);
    if (!inst) {
        host->result_error(err, "connector_error", "Out of memory.", NULL, 0);
        return AP_ERROR;
    }
    *inst = (sim_instance){.host = host, .ctx = ctx};
    char why[512], message[600];
    if (sim_store_open(path, &inst->store, why, sizeof why) != 0) {
        snprintf(message, sizeof message, "The simulation cannot open its store: %s.", why);
        host->result_error(err, "connector_error", message, NULL, 0);
        host->mem_free(inst);
        return AP_ERROR;
    }
    *instance_out = inst;
    return AP_OK;
}

static void sim_close(void *instance)
{
    sim_instance *inst = instance;
    if (!inst)
        return;
    sim_store_close(inst->store);
    inst->host->mem_free(inst);
}

static const char *const sim_actions[] = {SIM_ACTION, NULL};

static const char *const sim_capabilities[] = {
    "validate", "sync_metadata", "preview", "execute", "rollback",
    "reset", "read_record", "seeded-records", NULL,
};

/* The simulation needs no setting of its own; it reads the host key
 * allowedFields.Opportunity, which the host passes through config_get. */
static const ap_setting_spec sim_settings[] = {
    {NULL, AP_SETTING_STRING, 0, NULL},
};

static const ap_plugin_descriptor sim_descriptor = {
    .abi = AP_ABI_HEADER_INIT(ap_plugin_descriptor),
    .name = "simulation",
    .version = "1.0.0",
    .description = "Deterministic Salesforce Opportunity simulation seeded with the Northwind "
                   "renewal; no credentials needed",
    .flags = 0, /* the host serialises calls per instance: one connection each */
    .actions = sim_actions,
    .capabilities = sim_capabilities,
    .settings = sim_settings,
    .open = sim_open,
    .validate = sim_validate,
    .sync_metadata = sim_sync_metadata,
    .preview = sim_preview,
    .execute = sim_execute,
    .rollback = sim_rollback,
    .reset = sim_reset,
    .read_record = sim_read_record,
    .close = sim_close,
};

AP_PLUGIN_EXPORT const ap_plugin_descriptor *ap_plugin_entry(const ap_host_services *host)
{
    /* The plugin uses every 1.0 service up to data_dir: refuse a table that
     * is of another major or too short to hold them. */
    if (!host || host->abi.abi_major != AP_ABI_MAJOR ||
        host->abi.struct_size < offsetof(ap_host_services, data_dir) + sizeof host->data_dir)
        return NULL;
    entry_host = host;
    return &sim_descriptor;
}

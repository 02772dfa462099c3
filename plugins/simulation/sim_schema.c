/*
 * sim_schema.c — the simulated Opportunity's "describe": which fields exist,
 * which the API may write, and the standard sales stages with the default
 * Probability Salesforce assigns to each.
 *
 * The simulation manages nine fields. Name and Probability are read-only here
 * (the Northwind story never writes them; Probability is owned by the stage
 * automation), Id and the two timestamps are read-only in Salesforce too.
 */
#include "sim_internal.h"

#include <string.h>

static const sim_field opportunity_fields[] = {
    /* name, label, type, updateable, nillable, length, precision, scale */
    {"Id", "Opportunity ID", SIM_FIELD_ID, false, false, 18, 0, 0},
    {"Name", "Name", SIM_FIELD_STRING, false, false, 120, 0, 0},
    {"StageName", "Stage", SIM_FIELD_PICKLIST, true, false, 40, 0, 0},
    {"Amount", "Amount", SIM_FIELD_CURRENCY, true, true, 0, 18, 2},
    {"CloseDate", "Close Date", SIM_FIELD_DATE, true, false, 0, 0, 0},
    {"NextStep", "Next Step", SIM_FIELD_STRING, true, true, 255, 0, 0},
    {"Probability", "Probability (%)", SIM_FIELD_PERCENT, false, true, 0, 3, 0},
    {"LastModifiedDate", "Last Modified Date", SIM_FIELD_DATETIME, false, false, 0, 0, 0},
    {"SystemModstamp", "System Modstamp", SIM_FIELD_DATETIME, false, false, 0, 0, 0},
};

/* Salesforce's standard stages, in sales-process order, with their default
 * probabilities (exact strings: no spaces around the slashes). */
static const char *const stage_names[] = {
    "Prospecting", "Qualification", "Needs Analysis", "Value Proposition",
    "Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote",
    "Negotiation/Review", "Closed Won", "Closed Lost", NULL,
};
static const int stage_probabilities[] = {10, 10, 20, 50, 60, 70, 75, 90, 100, 0};

const sim_field *sim_schema_fields(size_t *n)
{
    *n = sizeof opportunity_fields / sizeof opportunity_fields[0];
    return opportunity_fields;
}

const sim_field *sim_schema_field(const char *name)
{
    size_t n;
    const sim_field *fields = sim_schema_fields(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(fields[i].name, name) == 0)
            return &fields[i];
    return NULL;
}

const char *sim_schema_type_name(sim_field_type type)
{
    switch (type) {
    case SIM_FIELD_ID: return "id";
    case SIM_FIELD_STRING: return "string";
    case SIM_FIELD_PICKLIST: return "picklist";
    case SIM_FIELD_CURRENCY: return "currency";
    case SIM_FIELD_DATE: return "date";
    case SIM_FIELD_PERCENT: return "percent";
    case SIM_FIELD_DATETIME: return "datetime";
    }
    return "string";
}

const char *const *sim_schema_stages(void)
{
    return stage_names;
}

int sim_schema_stage_probability(const char *stage)
{
    for (size_t i = 0; stage_names[i]; i++)
        if (strcmp(stage_names[i], stage) == 0)
            return stage_probabilities[i];
    return -1;
}

/*
 * sim_seed.c — the canonical records every simulation workspace starts with
 * (shared/spec/northwind.json: the Northwind renewal), as static data.
 *
 * Probability is not listed: it is derived from StageName by the same stage
 * automation that runs on every write, so the seed cannot disagree with it.
 */
#include "sim_internal.h"

/* 2026-02-02T14:05:11.000+0000: fixed so that a reset is exactly
 * reproducible (a clock reading here would change on every reset). */
#define SIM_SEED_MODSTAMP_MS INT64_C(1770041111000)

static const sim_seed_record seed_records[] = {
    {
        .id = "006Hs00001NWRNWIA5",
        .name = "Northwind renewal FY26",
        .stage_name = "Qualification",
        .amount = 120000.0,
        .close_date = "2026-05-20",
        .next_step = "Confirm pricing committee review",
    },
};

const sim_seed_record *sim_seed_records(size_t *n)
{
    *n = sizeof seed_records / sizeof seed_records[0];
    return seed_records;
}

int64_t sim_seed_modstamp_ms(void)
{
    return SIM_SEED_MODSTAMP_MS;
}

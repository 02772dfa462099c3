/*
 * sim_test_support.h — shared fixture for the simulation plugin's tests: a
 * fresh data folder per test, simulation.so loaded through the mock host, and
 * helpers that call an operation with a formatted JSON input and hand back
 * the parsed answer.
 */
#ifndef SIM_TEST_SUPPORT_H
#define SIM_TEST_SUPPORT_H

#include <jansson.h>

#include "mock_host.h"

/* The canonical Northwind record (shared/spec/northwind.json). */
#define NW_ID "006Hs00001NWRNWIA5"
#define NW_ID15 "006Hs00001NWRNW"
#define NW_NAME "Northwind renewal FY26"
#define NW_SEED_STAMP "2026-02-02T14:05:11.000+0000"
#define NW_CHANGES                                                                 \
    "{\"StageName\": \"Proposal/Price Quote\", \"Amount\": 148000,"                \
    " \"CloseDate\": \"2026-05-27\","                                              \
    " \"NextStep\": \"Send revised proposal to Northwind procurement\"}"

/** One test's world: a temporary data folder and an opened plugin instance. */
typedef struct sim_fixture {
    char dir[256];     /**< the instance's data folder (removed at teardown) */
    mock_host *host;   /**< loaded and opened */
} sim_fixture;

/** cmocka setup/teardown: make the folder, load and open the plugin / close
 *  it and remove the folder. */
int sim_fixture_setup(void **state);
int sim_fixture_teardown(void **state);

/** Loads simulation.so again on the fixture's folder and opens it (after
 *  sim_fixture_reopen's caller freed the previous host). Returns the host. */
mock_host *sim_fixture_open(sim_fixture *f);

/** Calls `op` with the formatted input, asserts AP_OK and returns the parsed
 *  payload (caller json_decref's it). */
json_t *sim_call_ok(mock_host *h, mock_op op, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Calls `op` with the formatted input, asserts that it fails with `status`
 *  and error `code`, and returns the parsed error details (an empty object
 *  when there are none; caller json_decref's it). The message is copied to
 *  message (if non-NULL, 512 bytes). */
json_t *sim_call_err(mock_host *h, mock_op op, ap_status status, const char *code,
                     char *message, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/** Reads the Northwind record of `workspace` and returns the read_record
 *  payload. */
json_t *sim_read_nw(mock_host *h, const char *workspace);

/** Asserts that two JSON values are equal (numbers by value), printing both
 *  on failure. */
void sim_assert_json_same(const json_t *actual, const json_t *expected);

/** Asserts that member `key` of object `obj` is the string `expected`. */
void sim_assert_str(const json_t *obj, const char *key, const char *expected);

/** Asserts that member `key` of object `obj` is a number equal to `expected`. */
void sim_assert_num(const json_t *obj, const char *key, double expected);

/** Path of simulation.so (from SIM_PLUGIN_PATH). */
const char *sim_plugin_path(void);

#endif /* SIM_TEST_SUPPORT_H */

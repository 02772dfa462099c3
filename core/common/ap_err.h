/*
 * ap_err.h — the error value every core function fills instead of printing.
 *
 * A core call that can fail takes an `ap_err *` and, on failure, sets a
 * snake_case code from the HTTP contract (spec/api.md: "invalid_state",
 * "not_found", "conflict", ...) and one human sentence. Layers above decide
 * what to do with it: the HTTP layer maps the code to a status, the daemon
 * logs it. Nothing below the top level prints.
 */
#ifndef AP_ERR_H
#define AP_ERR_H

#include <jansson.h>
#include <stdbool.h>

/** One error. Zero-initialise (AP_ERR_INIT) before use; ap_err_clear frees. */
typedef struct ap_err {
    char code[48];     /**< snake_case code; "" means no error */
    char message[512]; /**< one sentence for humans; never holds a secret */
    json_t *details;   /**< optional details object, owned by the ap_err */
} ap_err;

#define AP_ERR_INIT {{0}, {0}, NULL}

/** Sets code and a printf-style message; replaces (and frees) any earlier
 *  error, including its details. `e` may be NULL (the error is dropped). */
void ap_err_set(ap_err *e, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Attaches `details` (an object; the ap_err takes ownership of the
 *  reference) to an error already set. `e` may be NULL (details is freed). */
void ap_err_details(ap_err *e, json_t *details);

/** True when an error is set. */
bool ap_err_is_set(const ap_err *e);

/** Frees details and empties the error; the struct can be reused. */
void ap_err_clear(ap_err *e);

/** Moves `src` into `dst` (clearing dst first); src is left empty. */
void ap_err_move(ap_err *dst, ap_err *src);

#endif /* AP_ERR_H */

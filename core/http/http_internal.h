/*
 * http_internal.h — what the files of core/http/ share. Not for use outside.
 */
#ifndef AP_HTTP_INTERNAL_H
#define AP_HTTP_INTERNAL_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "http.h"

#define HTTP_MAX_PARAMS 4

/** One request, from MHD's first call to its completion callback. */
typedef struct http_request {
    struct MHD_Connection *conn;
    const char *method;
    char *path;               /**< copy of the URL path */
    char *body;               /**< request body (NUL-terminated), may be NULL */
    size_t body_len;
    bool too_large;           /**< body over AP_HTTP_MAX_BODY: discarded */
    bool counted;             /**< counted in ap_http.in_flight */
    const char *params[HTTP_MAX_PARAMS]; /**< ":name" path segments, in order */
    ap_principal who;         /**< filled for authenticated routes */
} http_request;

/** What a handler produces. */
typedef struct http_response {
    unsigned status;
    json_t *body;             /**< owned; NULL for no body */
    const char *allow;        /**< Allow header for 405, else NULL */
    bool auth_challenge;      /**< add WWW-Authenticate: Bearer */
} http_response;

struct ap_http {
    struct MHD_Daemon *daemon;
    atomic_int in_flight;     /* requests being handled right now */
    ap_runs *runs;
    ap_store *store;
    ap_logger log;
    int port;
};

/** A route handler. Fills `res` (status + body). */
typedef void (*http_handler)(ap_http *srv, http_request *req, http_response *res);

/** Dispatches one complete request to its route (auth, params, 404/405). */
void http_dispatch(ap_http *srv, http_request *req, http_response *res);

/** Sets an error response from an ap_err (status from its code). Clears
 *  the error. */
void http_error_from(http_response *res, ap_err *err);

/** Sets an error response from a code and message. */
void http_error(http_response *res, const char *code, const char *message);

/** Sets a JSON response (takes the reference). */
void http_json(http_response *res, unsigned status, json_t *body);

/** Parses the request body as a JSON object. `optional`: an empty body
 *  gives *out = NULL and success. Errors become the response (invalid_json)
 *  and false is returned. */
bool http_body_json(http_request *req, http_response *res, bool optional, json_t **out);

/** A query argument or NULL. */
const char *http_query(http_request *req, const char *name);

/** A request header or NULL. */
const char *http_header(http_request *req, const char *name);

/** Authenticates the bearer token into req->who. On failure fills the 401
 *  response and returns false. */
bool http_authenticate(ap_http *srv, http_request *req, http_response *res);

#endif /* AP_HTTP_INTERNAL_H */

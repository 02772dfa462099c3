/*
 * http.h — the HTTP API of spec/api.md, served by libmicrohttpd.
 *
 * One thread per connection: plugin calls wait on the network, and a
 * blocked pool thread would stall unrelated requests. Every response is
 * JSON; every error has the body {"error": {code, message, details?}} with
 * the status the code calls for. Request bodies over the limit (1 MiB) are
 * answered 413 payload_too_large without being parsed.
 *
 * The HTTP layer only parses, authenticates, routes and maps errors: every
 * decision about runs is made by core/runs.
 */
#ifndef AP_HTTP_H
#define AP_HTTP_H

#include <stddef.h>

#include "common/ap_err.h"
#include "common/ap_log.h"
#include "runs/runs.h"
#include "store/store.h"

/** Largest request body accepted, in bytes. */
#define AP_HTTP_MAX_BODY (1024u * 1024u)

typedef struct ap_http ap_http;

/** What the server needs. Borrowed pointers must outlive the server. */
typedef struct ap_http_options {
    const char *host;  /**< IPv4/IPv6 literal or host name to bind */
    int port;          /**< 0 picks a free port (see ap_http_port) */
    ap_runs *runs;     /**< borrowed */
    ap_store *store;   /**< borrowed; token lookups */
    ap_logger log;
} ap_http_options;

/** Binds and starts serving. Returns 0 with *out, or -1 with err set. */
int ap_http_start(const ap_http_options *opts, ap_http **out, ap_err *err);

/** The port actually bound. */
int ap_http_port(const ap_http *srv);

/** Stops accepting, lets requests in flight finish, frees the server. */
void ap_http_stop(ap_http *srv);

/** The HTTP status for an error code of the contract (500 if unknown). */
unsigned ap_http_status_for(const char *code);

#endif /* AP_HTTP_H */

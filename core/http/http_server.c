/*
 * http_server.c — libmicrohttpd set-up and the per-request life cycle:
 * collect the body (bounded), dispatch once the body is complete, queue the
 * JSON response, free the request.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "http_internal.h"

static void free_request(http_request *req)
{
    if (!req)
        return;
    free(req->path);
    free(req->body);
    free(req);
}

static enum MHD_Result send_response(struct MHD_Connection *conn, http_response *res)
{
    char *text = res->body ? json_dumps(res->body, JSON_COMPACT) : NULL;
    struct MHD_Response *r =
        text ? MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE)
             : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    if (res->body)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json; charset=utf-8");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (res->allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, res->allow);
    if (res->auth_challenge)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    enum MHD_Result ok = MHD_queue_response(conn, res->status, r);
    MHD_destroy_response(r);
    return ok;
}

static bool declared_too_large(struct MHD_Connection *conn)
{
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!cl)
        return false;
    char *end;
    unsigned long long n = strtoull(cl, &end, 10);
    return *end != '\0' || n > AP_HTTP_MAX_BODY;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    ap_http *srv = cls;
    http_request *req = *con_cls;
    if (!req) {
        /* First call: headers only. Answering now would force
         * "Connection: close"; the response goes out on a later call. */
        req = calloc(1, sizeof *req);
        if (!req)
            return MHD_NO;
        req->conn = conn;
        req->method = method;
        req->path = strdup(url);
        req->too_large = declared_too_large(conn);
        *con_cls = req;
        return req->path ? MHD_YES : MHD_NO;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (req->too_large || req->body_len + n > AP_HTTP_MAX_BODY) {
            req->too_large = true; /* keep reading, keep nothing */
            free(req->body);
            req->body = NULL;
            req->body_len = 0;
            return MHD_YES;
        }
        char *grown = realloc(req->body, req->body_len + n + 1);
        if (!grown)
            return MHD_NO;
        memcpy(grown + req->body_len, upload_data, n);
        req->body = grown;
        req->body_len += n;
        req->body[req->body_len] = '\0';
        return MHD_YES;
    }
    http_response res = {0};
    if (req->too_large) {
        char msg[128];
        snprintf(msg, sizeof msg, "request bodies are limited to %u bytes", AP_HTTP_MAX_BODY);
        http_error(&res, "payload_too_large", msg);
    } else {
        /* Counted until the completion callback: the answer must be on the
         * wire before a stop may close the connection. */
        atomic_fetch_add(&srv->in_flight, 1);
        req->counted = true;
        http_dispatch(srv, req, &res);
    }
    enum MHD_Result ok = send_response(conn, &res);
    json_decref(res.body);
    return ok;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
    (void)conn;
    (void)code;
    ap_http *srv = cls;
    http_request *req = *con_cls;
    if (req && req->counted)
        atomic_fetch_sub(&srv->in_flight, 1);
    free_request(req);
    *con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    ap_http *srv = cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    ap_logf(&srv->log, AP_LOG_WARN, "http: %s", line);
}

int ap_http_start(const ap_http_options *o, ap_http **out, ap_err *err)
{
    *out = NULL;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    char port[16];
    snprintf(port, sizeof port, "%d", o->port);
    int gai = getaddrinfo(o->host, port, &hints, &ai);
    if (gai != 0) {
        ap_err_set(err, "invalid_config", "cannot resolve listen address %s: %s", o->host,
                   gai_strerror(gai));
        return -1;
    }
    ap_http *srv = calloc(1, sizeof *srv);
    if (!srv) {
        freeaddrinfo(ai);
        ap_err_set(err, "internal_error", "out of memory");
        return -1;
    }
    srv->runs = o->runs;
    srv->store = o->store;
    srv->log = o->log;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_ERROR_LOG | MHD_USE_POLL | MHD_USE_ITC;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    srv->daemon = MHD_start_daemon(flags, (uint16_t)o->port, NULL, NULL, on_request, srv,
                                   MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv,
                                   MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                                   MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
                                   MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
                                   MHD_OPTION_CONNECTION_LIMIT, (unsigned)512,
                                   MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!srv->daemon) {
        free(srv);
        ap_err_set(err, "listen_failed", "cannot listen on %s:%d (address in use or not permitted)",
                   o->host, o->port);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : o->port;
    *out = srv;
    return 0;
}

int ap_http_port(const ap_http *srv)
{
    return srv->port;
}

void ap_http_stop(ap_http *srv)
{
    if (!srv)
        return;
    /* Stop accepting, then give requests already inside a handler (a plugin
     * write may be on the wire) time to finish before connections close. */
    MHD_quiesce_daemon(srv->daemon);
    for (int waited_ms = 0; atomic_load(&srv->in_flight) > 0 && waited_ms < 30000; waited_ms += 10)
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    MHD_stop_daemon(srv->daemon);
    free(srv);
}

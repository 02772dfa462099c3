/*
 * http_routes.c — the route table of spec/api.md and one small handler per
 * route. Each handler: read parameters, call core/runs, map the outcome.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_internal.h"

/* Answers a runs call that produces a run (or another object). On failure
 * with a run document (execute/rollback that recorded a failure), the error
 * body is what the client gets: the run is one GET away. */
static void answer(http_response *res, int rc, unsigned ok_status, json_t *value, ap_err *err)
{
    if (rc == 0) {
        http_json(res, ok_status, value);
        return;
    }
    json_decref(value);
    http_error_from(res, err);
}

static void h_healthz(ap_http *srv, http_request *req, http_response *res)
{
    (void)req;
    http_json(res, 200, json_pack("{s:s, s:s}", "status", "ok", "environment",
                                  ap_env_name(ap_runs_environment(srv->runs))));
}

static void h_runs_create(ap_http *srv, http_request *req, http_response *res)
{
    json_t *body, *run = NULL;
    if (!http_body_json(req, res, false, &body))
        return;
    ap_err err = AP_ERR_INIT;
    int rc = ap_runs_create(srv->runs, &req->who, body, http_header(req, "Idempotency-Key"), &run,
                            &err);
    json_decref(body);
    answer(res, rc, 201, run, &err);
}

static bool parse_bool_arg(const char *v, bool *out)
{
    if (!v || strcmp(v, "false") == 0 || strcmp(v, "0") == 0) {
        *out = false;
        return true;
    }
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0) {
        *out = true;
        return true;
    }
    return false;
}

static void h_runs_list(ap_http *srv, http_request *req, http_response *res)
{
    const char *limit_text = http_query(req, "limit");
    int limit = 50;
    if (limit_text) {
        char *end;
        long n = strtol(limit_text, &end, 10);
        limit = (*limit_text && !*end && n >= 1 && n <= 200) ? (int)n : -1;
    }
    bool archived;
    if (!parse_bool_arg(http_query(req, "archived"), &archived)) {
        http_error(res, "invalid_request", "archived must be true or false");
        return;
    }
    const char *state = http_query(req, "state");
    ap_err err = AP_ERR_INIT;
    json_t *out = NULL;
    int rc = ap_runs_list(srv->runs, &req->who, state && *state ? state : NULL, archived, limit,
                          http_query(req, "cursor"), &out, &err);
    answer(res, rc, 200, out, &err);
}

static void h_runs_get(ap_http *srv, http_request *req, http_response *res)
{
    ap_err err = AP_ERR_INIT;
    json_t *run = NULL;
    int rc = ap_runs_get(srv->runs, &req->who, req->params[0], &run, &err);
    answer(res, rc, 200, run, &err);
}

static void decide(ap_http *srv, http_request *req, http_response *res, bool approve)
{
    json_t *body, *run = NULL;
    if (!http_body_json(req, res, true, &body))
        return;
    ap_err err = AP_ERR_INIT;
    int rc = ap_runs_decide(srv->runs, &req->who, req->params[0], approve, body, &run, &err);
    json_decref(body);
    answer(res, rc, 200, run, &err);
}

static void h_runs_approve(ap_http *srv, http_request *req, http_response *res)
{
    decide(srv, req, res, true);
}

static void h_runs_reject(ap_http *srv, http_request *req, http_response *res)
{
    decide(srv, req, res, false);
}

static void h_runs_revise(ap_http *srv, http_request *req, http_response *res)
{
    json_t *body, *run = NULL;
    if (!http_body_json(req, res, false, &body))
        return;
    ap_err err = AP_ERR_INIT;
    int rc = ap_runs_revise(srv->runs, &req->who, req->params[0], body, &run, &err);
    json_decref(body);
    answer(res, rc, 201, run, &err);
}

static void h_runs_execute(ap_http *srv, http_request *req, http_response *res)
{
    json_t *body, *run = NULL;
    if (!http_body_json(req, res, true, &body))
        return;
    if (body && json_object_size(body) != 0) {
        json_decref(body);
        http_error(res, "invalid_request", "execute takes no parameters");
        return;
    }
    json_decref(body);
    ap_err err = AP_ERR_INIT;
    int rc = ap_runs_execute(srv->runs, &req->who, req->params[0], &run, &err);
    answer(res, rc, 200, run, &err);
}

static void h_runs_rollback(ap_http *srv, http_request *req, http_response *res)
{
    json_t *body, *run = NULL;
    if (!http_body_json(req, res, true, &body))
        return;
    ap_err err = AP_ERR_INIT;
    int rc = ap_runs_rollback(srv->runs, &req->who, req->params[0], body, &run, &err);
    json_decref(body);
    answer(res, rc, 200, run, &err);
}

static void h_artifacts(ap_http *srv, http_request *req, http_response *res)
{
    ap_err err = AP_ERR_INIT;
    json_t *out = NULL;
    int rc = ap_runs_artifacts(srv->runs, &req->who, req->params[0], req->params[1], &out, &err);
    answer(res, rc, 200, out, &err);
}

static void h_run_audit(ap_http *srv, http_request *req, http_response *res)
{
    ap_err err = AP_ERR_INIT;
    json_t *out = NULL;
    int rc = ap_runs_audit(srv->runs, &req->who, req->params[0], &out, &err);
    answer(res, rc, 200, out, &err);
}

static void h_audit_verify(ap_http *srv, http_request *req, http_response *res)
{
    ap_err err = AP_ERR_INIT;
    json_t *out = NULL;
    int rc = ap_runs_audit_verify(srv->runs, &req->who, &out, &err);
    answer(res, rc, 200, out, &err);
}

static void h_simulation_reset(ap_http *srv, http_request *req, http_response *res)
{
    json_t *body;
    if (!http_body_json(req, res, true, &body))
        return;
    json_decref(body);
    ap_err err = AP_ERR_INIT;
    json_t *out = NULL;
    int rc = ap_runs_simulation_reset(srv->runs, &req->who, &out, &err);
    answer(res, rc, 200, out, &err);
}

static void h_connectors(ap_http *srv, http_request *req, http_response *res)
{
    ap_err err = AP_ERR_INIT;
    json_t *out = NULL;
    int rc = ap_runs_connectors(srv->runs, &req->who, &out, &err);
    answer(res, rc, 200, out, &err);
}

static void h_record(ap_http *srv, http_request *req, http_response *res)
{
    ap_err err = AP_ERR_INIT;
    json_t *out = NULL;
    int rc = ap_runs_read_record(srv->runs, &req->who, req->params[0], req->params[1],
                                 req->params[2], &out, &err);
    answer(res, rc, 200, out, &err);
}

typedef struct route {
    const char *method;
    const char *pattern; /* segments; ":x" captures one segment */
    http_handler handler;
    bool auth;
} route;

static const route routes[] = {
    {"GET", "/healthz", h_healthz, false},
    {"POST", "/api/runs", h_runs_create, true},
    {"GET", "/api/runs", h_runs_list, true},
    {"GET", "/api/runs/:id", h_runs_get, true},
    {"POST", "/api/runs/:id/approve", h_runs_approve, true},
    {"POST", "/api/runs/:id/reject", h_runs_reject, true},
    {"POST", "/api/runs/:id/revise", h_runs_revise, true},
    {"POST", "/api/runs/:id/execute", h_runs_execute, true},
    {"POST", "/api/runs/:id/rollback", h_runs_rollback, true},
    {"GET", "/api/runs/:id/artifacts", h_artifacts, true},
    {"GET", "/api/runs/:id/artifacts/:kind", h_artifacts, true},
    {"GET", "/api/runs/:id/audit", h_run_audit, true},
    {"GET", "/api/audit/verify", h_audit_verify, true},
    {"POST", "/api/simulation/reset", h_simulation_reset, true},
    {"GET", "/api/connectors", h_connectors, true},
    {"GET", "/api/connectors/:connector/records/:object/:id", h_record, true},
};

/* Matches `path` against `pattern` without touching it: each ":x" segment
 * is captured as a start in params and a length in lens. */
static bool match(const char *pattern, const char *path, const char **params, size_t *lens)
{
    size_t n_params = 0;
    const char *p = pattern, *s = path;
    while (*p && *s) {
        if (*p != '/' || *s != '/')
            return false;
        p++, s++;
        size_t plen = strcspn(p, "/"), slen = strcspn(s, "/");
        if (slen == 0)
            return false;
        if (*p == ':') {
            if (n_params == HTTP_MAX_PARAMS)
                return false;
            params[n_params] = s;
            lens[n_params++] = slen;
        } else if (plen != slen || strncmp(p, s, plen) != 0) {
            return false;
        }
        p += plen;
        s += slen;
    }
    return !*p && !*s;
}

void http_dispatch(ap_http *srv, http_request *req, http_response *res)
{
    bool get = false, post = false; /* methods the path does accept */
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const route *rt = &routes[i];
        const char *params[HTTP_MAX_PARAMS] = {0};
        size_t lens[HTTP_MAX_PARAMS] = {0};
        if (!match(rt->pattern, req->path, params, lens))
            continue;
        if (strcmp(rt->method, req->method) != 0) {
            get = get || strcmp(rt->method, "GET") == 0;
            post = post || strcmp(rt->method, "POST") == 0;
            continue;
        }
        /* The route is chosen: cut the request's own copy of the path into
         * its parameters (nothing reads the whole path after this). */
        for (size_t k = 0; k < HTTP_MAX_PARAMS && params[k]; k++) {
            req->params[k] = params[k];
            req->path[params[k] - req->path + lens[k]] = '\0';
        }
        if (rt->auth) {
            if (!http_authenticate(srv, req, res))
                return;
            ap_err err = AP_ERR_INIT;
            if (ap_runs_prepare_workspace(srv->runs, req->who.workspace, &err) != 0) {
                http_error_from(res, &err);
                return;
            }
        }
        rt->handler(srv, req, res);
        return;
    }
    if (get || post) {
        res->allow = get && post ? "GET, POST" : get ? "GET" : "POST";
        http_error(res, "method_not_allowed", "this path does not accept that method");
        return;
    }
    http_error(res, "not_found", "no such endpoint");
}

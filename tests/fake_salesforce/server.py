"""server.py — the HTTP(S) side of the fake Salesforce: routing, OAuth token endpoint, faults, request log.

Speaks the shapes of shared/spec/salesforce-rest.md over HTTP/1.1 with keep-alive (the plugin reuses one
connection). Data calls need a Bearer token the token endpoint issued; every data answer carries
`Sforce-Limit-Info: api-usage=N/15000`.

Test control (no auth, never logged, never counted):
    GET  /__fake/log                 {"requests": [entry, ...]} every request since start or the last clear
    POST /__fake/log/clear
    POST /__fake/reset               seeded records, no faults, no rules, fresh log, all tokens revoked
    POST /__fake/faults              one fault (see Fault below); GET lists the pending ones
    POST /__fake/expire-tokens       every issued token now answers 401 INVALID_SESSION_ID
    POST /__fake/validation-rules    {"field", "value", "message"[, "errorCode"]}: refuse writes of that value
    GET  /__fake/records/{id}        the whole record as stored
    POST /__fake/records/{id}        {"fields": {...}}: an out-of-band edit by a person (automation runs)
    GET  /__fake/history             every applied write, oldest first

A log entry: {seq, method, path, query, status, host, kind ("token" | "versions" | "data" | "identity"),
grant (token calls), ifUnmodifiedSince, body (JSON bodies of PATCH/POST data calls), subrequests (Composite:
[{method, url, status, ifUnmodifiedSince, body}]), fault (the fault applied, if any)}. Secrets and tokens are
never logged.
"""
import base64
import http.server
import json
import secrets
import socket
import ssl
import struct
import threading
import time
import urllib.parse

import org as org_model

API_VERSIONS = ["62.0", "63.0", "64.0", "65.0", "66.0"]
LABELS = {"62.0": "Winter '25", "63.0": "Spring '25", "64.0": "Summer '25", "65.0": "Winter '26",
          "66.0": "Spring '26"}
API_MAX = 15000
ORG_ID = "00DHs000000NWRNMA4"
USER_ID = "005Hs00000INTGRIA1"


class Fault:
    """One injected fault, consumed by the next `count` requests that match it.

    action  "status"    answer `status` with `body` (JSON, may be null) and `headers`, without processing;
                        with "sub": true it also hits matching Composite subrequests
            "delay"     sleep `seconds`, then process normally (the write applies late: outcome unknown)
            "malformed" process, then answer 200 with a body that is not JSON
            "reset"     read the request, optionally process it ("apply": true), then reset the TCP connection
    method / path       optional filters: HTTP method, and a substring of the path (query excluded)
    """

    def __init__(self, spec):
        self.action = spec.get("action", "status")
        if self.action not in ("status", "delay", "malformed", "reset"):
            raise ValueError("unknown fault action %r" % self.action)
        self.method = spec.get("method")
        self.path = spec.get("path")
        self.count = int(spec.get("count", 1))
        self.status = int(spec.get("status", 503))
        self.body = spec.get("body")
        self.headers = spec.get("headers") or {}
        self.seconds = float(spec.get("seconds", 0))
        self.apply = bool(spec.get("apply", False))
        self.sub = bool(spec.get("sub", False))

    def matches(self, method, path, sub=False):
        if sub and not self.sub:
            return False
        if self.method and self.method.upper() != method.upper():
            return False
        return not self.path or self.path in path

    def describe(self):
        return {"action": self.action, "method": self.method, "path": self.path, "count": self.count,
                "status": self.status if self.action == "status" else None}


class FakeState:
    """Everything the fake remembers, behind one lock (requests run on several threads)."""

    def __init__(self, client_id, client_secret, refresh_token, instance_host):
        self.lock = threading.Lock()
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.instance_host = instance_host
        self.org = org_model.Org(time.time)
        self.tokens = set()
        self.faults = []
        self.log = []
        self.seq = 0
        self.api_used = 0
        self.base_url = None  # set once the port is known

    def reset(self):
        with self.lock:
            self.org.reset()
            self.tokens.clear()
            self.faults = []
            self.log = []

    def take_fault(self, method, path, sub=False):
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, path, sub):
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def record(self, entry):
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.log.append(entry)

    def count_api_call(self):
        with self.lock:
            self.api_used += 1
            return "api-usage=%d/%d" % (self.api_used, API_MAX)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Salesforce does
    server_version = "FakeSalesforce/1.0"

    def log_message(self, fmt, *args):  # quiet: the JSON request log is the record
        pass

    def finish(self):
        # After a deliberate reset or a client that gave up (timeout tests) the socket is gone: not an error.
        try:
            super().finish()
        except (OSError, ValueError):
            pass

    @property
    def state(self):
        return self.server.state

    # ---- plumbing ----------------------------------------------------------------------------------------------

    def _read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status, body=None, headers=None, raw=None):
        payload = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        self.send_response(status)
        if payload:
            self.send_header("Content-Type", "application/json;charset=UTF-8")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    def _reset_connection(self):
        # SO_LINGER 0 makes close() send a TCP RST: the client sees "connection reset", not a clean EOF.
        raw = self.connection
        try:
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_connection = True
        try:
            raw.close()
        except OSError:
            pass

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PATCH(self):
        self._handle("PATCH")

    def do_DELETE(self):
        self._handle("DELETE")

    # ---- dispatch ----------------------------------------------------------------------------------------------

    def _handle(self, method):
        parsed = urllib.parse.urlsplit(self.path)
        path, query = parsed.path, parsed.query
        body = self._read_body()
        if path.startswith("/__fake/"):
            return self._control(method, path, body)
        entry = {"method": method, "path": path, "query": urllib.parse.unquote_plus(query),
                 "host": self.headers.get("Host"), "ifUnmodifiedSince": self.headers.get("If-Unmodified-Since")}
        fault = self.state.take_fault(method, path)
        if fault:
            entry["fault"] = fault.action
        if fault and fault.action == "delay":
            time.sleep(fault.seconds)
        if fault and fault.action == "status":
            entry.update(kind="fault", status=fault.status)
            self.state.record(entry)
            headers = dict(fault.headers)
            if path.startswith("/services/data/v"):
                headers.setdefault("Sforce-Limit-Info", self.state.count_api_call())
            return self._send(fault.status, fault.body, headers)
        if fault and fault.action == "reset" and not fault.apply:
            entry.update(kind="fault", status=0)
            self.state.record(entry)
            return self._reset_connection()
        status, answer, headers = self._route(method, path, query, body, entry)
        entry["status"] = status
        self.state.record(entry)
        if fault and fault.action == "reset":
            return self._reset_connection()
        if fault and fault.action == "malformed":
            return self._send(200, raw=b'{"totalSize": 1, "records": [{"Id": "006', headers=headers)
        return self._send(status, answer, headers)

    def _route(self, method, path, query, body, entry):
        if path == "/services/oauth2/token" and method == "POST":
            entry["kind"] = "token"
            return self._token(body, entry)
        if path in ("/services/data", "/services/data/") and method == "GET":
            entry["kind"] = "versions"
            return 200, [{"label": LABELS[v], "url": "/services/data/v" + v, "version": v} for v in API_VERSIONS], {}
        entry["kind"] = "identity" if path.startswith("/id/") else "data"
        if not self._authorised():
            return 401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}], {}
        if path.startswith("/id/"):
            return 200, {"organization_id": ORG_ID, "user_id": USER_ID, "username": "integration@northwind.test",
                         "display_name": "ActionPlane Integration"}, {}
        limit = {"Sforce-Limit-Info": self.state.count_api_call()}
        try:
            data = json.loads(body) if body else None
        except ValueError:
            return 400, [{"message": "Unexpected character in JSON body", "errorCode": "JSON_PARSER_ERROR"}], limit
        if method == "POST" and path.endswith("/composite"):
            entry["body"] = data
            status, answer = self._composite(path, data, entry)
            return status, answer, limit
        if method == "PATCH":
            entry["body"] = data
        status, answer = self._data(method, path, query, data, self.headers.get("If-Unmodified-Since"))
        return status, answer, limit

    def _authorised(self):
        auth = self.headers.get("Authorization") or ""
        if not auth.startswith("Bearer "):
            return False
        with self.state.lock:
            return auth[len("Bearer "):] in self.state.tokens

    # ---- OAuth -------------------------------------------------------------------------------------------------

    def _token(self, body, entry):
        form = dict(urllib.parse.parse_qsl(body.decode(errors="replace"), keep_blank_values=True))
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        auth = self.headers.get("Authorization") or ""
        if auth.startswith("Basic "):
            try:
                client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                pass
        grant = form.get("grant_type")
        entry["grant"] = grant
        st = self.state

        def oauth_error(code, text):
            return 400, {"error": code, "error_description": text}, {}

        if grant not in ("client_credentials", "refresh_token"):
            return oauth_error("unsupported_grant_type", "grant type not supported")
        if client_id != st.client_id:
            return oauth_error("invalid_client_id", "client identifier invalid")
        if grant == "client_credentials":
            if client_secret != st.client_secret:
                return oauth_error("invalid_client", "invalid client credentials")
        else:
            if client_secret is not None and client_secret != st.client_secret:
                return oauth_error("invalid_client", "invalid client credentials")
            if form.get("refresh_token") != st.refresh_token:
                return oauth_error("invalid_grant", "expired access/refresh token")
        token = "00D!" + secrets.token_urlsafe(24)
        with st.lock:
            st.tokens.add(token)
        instance = st.base_url.replace("127.0.0.1", st.instance_host)
        return 200, {"access_token": token, "signature": secrets.token_urlsafe(16), "scope": "api",
                     "instance_url": instance, "id": "%s/id/%s/%s" % (st.base_url, ORG_ID, USER_ID),
                     "token_type": "Bearer", "issued_at": str(int(time.time() * 1000)),
                     "api_instance_url": instance}, {}

    # ---- data --------------------------------------------------------------------------------------------------

    def _data(self, method, path, query, data, if_unmodified_since):
        """One data call (top level or a Composite subrequest) -> (status, body)."""
        parts = path.rstrip("/").split("/")
        # ['', 'services', 'data', 'v66.0', ...]
        if len(parts) < 4 or parts[1:3] != ["services", "data"] or not parts[3].startswith("v"):
            return org_model.err(404, "NOT_FOUND", "The requested resource does not exist")
        version = parts[3][1:]
        if version not in API_VERSIONS:
            return org_model.err(404, "NOT_FOUND", "The requested resource does not exist")
        rest = parts[4:]
        params = urllib.parse.parse_qs(query)
        base = "/services/data/v" + version
        o = self.state.org
        with self.state.lock:
            if not rest and method == "GET":
                return 200, {"sobjects": base + "/sobjects", "query": base + "/query",
                             "composite": base + "/composite", "limits": base + "/limits",
                             "identity": self.state.base_url + "/id/%s/%s" % (ORG_ID, USER_ID)}
            if rest == ["limits"] and method == "GET":
                return 200, {"DailyApiRequests": {"Max": API_MAX, "Remaining": API_MAX - self.state.api_used}}
            if rest == ["query"] and method == "GET":
                return o.query((params.get("q") or [""])[0], base)
            if rest[:2] == ["sobjects", "Opportunity"]:
                if rest[2:] == ["describe"] and method == "GET":
                    return o.describe()
                if len(rest) == 3 and method == "GET":
                    fields = [f for f in (params.get("fields") or [""])[0].split(",") if f]
                    return o.get(rest[2], fields, base)
                if len(rest) == 3 and method == "PATCH":
                    return o.patch(rest[2], data, if_unmodified_since)
            if rest[:1] == ["sobjects"] and len(rest) >= 2 and rest[1] != "Opportunity":
                return org_model.err(404, "NOT_FOUND", "The requested resource does not exist")
        return org_model.err(404, "NOT_FOUND", "The requested resource does not exist")

    def _composite(self, path, data, entry):
        if not isinstance(data, dict) or not isinstance(data.get("compositeRequest"), list):
            return org_model.err(400, "JSON_PARSER_ERROR", "compositeRequest is required")
        all_or_none = bool(data.get("allOrNone"))
        with self.state.lock:
            snapshot = self.state.org.snapshot()
        results, subs, failed_at = [], [], None
        for sub in data["compositeRequest"]:
            method, url = sub.get("method", "GET").upper(), sub.get("url", "")
            headers = sub.get("httpHeaders") or {}
            ius = headers.get("If-Unmodified-Since")
            sub_path, _, sub_query = url.partition("?")
            fault = None
            if failed_at is not None and all_or_none:
                status, body = _halted()
            else:
                fault = self.state.take_fault(method, sub_path, sub=True)
                if fault and fault.action == "status":
                    status, body = fault.status, fault.body
                else:
                    status, body = self._data(method, sub_path, sub_query, sub.get("body"), ius)
            if status >= 400 and failed_at is None:
                failed_at = len(results)
            results.append({"body": body, "httpHeaders": {}, "httpStatusCode": status,
                            "referenceId": sub.get("referenceId")})
            subs.append({"method": method, "url": url, "status": status, "ifUnmodifiedSince": ius,
                         "body": sub.get("body"), "fault": fault.action if fault else None})
        if failed_at is not None and all_or_none:
            with self.state.lock:
                self.state.org.restore(snapshot)
            for i, res in enumerate(results):
                if i != failed_at:
                    res["httpStatusCode"], res["body"] = _halted()
                    subs[i]["status"] = res["httpStatusCode"]
        entry["subrequests"] = subs
        return 200, {"compositeResponse": results}

    # ---- control -----------------------------------------------------------------------------------------------

    def _control(self, method, path, body):
        st = self.state
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            return self._send(400, {"error": "bad json"})
        if path == "/__fake/log" and method == "GET":
            with st.lock:
                return self._send(200, {"requests": list(st.log)})
        if path == "/__fake/log/clear" and method == "POST":
            with st.lock:
                st.log = []
            return self._send(200, {"ok": True})
        if path == "/__fake/reset" and method == "POST":
            st.reset()
            return self._send(200, {"ok": True})
        if path == "/__fake/faults":
            if method == "POST":
                try:
                    fault = Fault(data)
                except (ValueError, TypeError) as e:
                    return self._send(400, {"error": str(e)})
                with st.lock:
                    st.faults.append(fault)
                return self._send(200, {"ok": True})
            with st.lock:
                return self._send(200, {"faults": [f.describe() for f in st.faults]})
        if path == "/__fake/expire-tokens" and method == "POST":
            with st.lock:
                st.tokens.clear()
            return self._send(200, {"ok": True})
        if path == "/__fake/validation-rules" and method == "POST":
            with st.lock:
                st.org.validation_rules.append(data)
            return self._send(200, {"ok": True})
        if path == "/__fake/history" and method == "GET":
            with st.lock:
                return self._send(200, {"history": list(st.org.history)})
        if path.startswith("/__fake/records/"):
            rid = path[len("/__fake/records/"):]
            with st.lock:
                rec, problem = st.org.find(rid)
                if problem:
                    return self._send(problem[0], problem[1])
                if method == "POST":
                    st.org.apply(rec, data.get("fields") or {}, actor="person")
                return self._send(200, {k: v for k, v in rec.items() if not k.startswith("_")})
        return self._send(404, {"error": "no such control endpoint"})


def _halted():
    return 400, [{"message": "The transaction was rolled back since another operation in the same transaction "
                             "failed.", "errorCode": "PROCESSING_HALTED"}]


class FakeServer(http.server.ThreadingHTTPServer):
    """A threading HTTP server whose connections are wrapped in TLS on their own thread (a stuck client
    cannot hold the accept loop), or served in plain HTTP when `tls_context` is None."""
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, state, tls_context):
        super().__init__(address, Handler)
        self.state = state
        self.tls_context = tls_context

    def handle_error(self, request, client_address):
        pass  # clients that vanish mid-answer are part of the tests (timeouts, resets)

    def finish_request(self, request, client_address):
        if self.tls_context is None:
            self.RequestHandlerClass(request, client_address, self)
            return
        try:
            conn = self.tls_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # a client that refused our certificate: nothing to serve
        try:
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            conn.close()  # the wrapper owns the descriptor now


def make_tls_context(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    return ctx

#!/usr/bin/env python3
"""fake_salesforce.py — a stateful fake of the Salesforce REST API, served over HTTPS with a test CA.

Test code, not a product part. Two ways to use it:

As a program (the C plugin tests start it this way):
    python3 fake_salesforce.py --dir DIR [--port 0] [--ready-file FILE] [--plain-http]
                               [--client-id ID] [--client-secret S] [--refresh-token T] [--max-lifetime SEC]
  It makes the test PKI in DIR (see certs.py), binds 127.0.0.1:PORT (0: a free port), then writes one JSON line
  to stdout and, atomically, to --ready-file:
    {"port", "url" (the login URL), "instanceUrl", "caBundle", "otherCa", "clientId"}
  It exits on SIGTERM/SIGINT, when its parent process dies, or after --max-lifetime seconds (a safety net so a
  crashed test run never leaves it behind).

In-process (the Python integration tests):
    with FakeSalesforce(folder) as fake:
        fake.url, fake.ca_bundle, fake.control("POST", "/__fake/faults", {...}), fake.log()

See server.py for the control endpoints and fault kinds, org.py for the seeded records.
"""
import argparse
import json
import os
import signal
import ssl
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import certs  # noqa: E402
import server  # noqa: E402

DEFAULT_CLIENT_ID = "3MVG9fake.actionplane.client"
DEFAULT_CLIENT_SECRET = "fake-client-secret-0123456789"
DEFAULT_REFRESH_TOKEN = "5Aep861fake.refresh.token"


class FakeSalesforce:
    """The fake, running on a background thread of the calling process."""

    def __init__(self, folder, port=0, plain_http=False, client_id=DEFAULT_CLIENT_ID,
                 client_secret=DEFAULT_CLIENT_SECRET, refresh_token=DEFAULT_REFRESH_TOKEN, instance_host="localhost"):
        self.pki = certs.make_test_pki(folder)
        self.client_id, self.client_secret, self.refresh_token = client_id, client_secret, refresh_token
        self.state = server.FakeState(client_id, client_secret, refresh_token, instance_host)
        tls = None if plain_http else server.make_tls_context(self.pki["server.pem"], self.pki["server.key"])
        self.httpd = server.FakeServer(("127.0.0.1", port), self.state, tls)
        self.port = self.httpd.server_address[1]
        scheme = "http" if plain_http else "https"
        self.url = "%s://127.0.0.1:%d" % (scheme, self.port)
        self.state.base_url = self.url
        self.instance_url = self.url.replace("127.0.0.1", instance_host)
        self.ca_bundle = self.pki["ca.pem"]
        self.other_ca = self.pki["other-ca.pem"]
        self._thread = None
        self._ssl = ssl.create_default_context(cafile=self.ca_bundle)

    def start(self):
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="fake-salesforce", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def info(self):
        return {"port": self.port, "url": self.url, "instanceUrl": self.instance_url, "caBundle": self.ca_bundle,
                "otherCa": self.other_ca, "clientId": self.client_id}

    # ---- test helpers (talk to the control endpoints over the same TLS path) -----------------------------------

    def control(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        ctx = self._ssl if self.url.startswith("https") else None
        with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
            return json.loads(resp.read() or b"{}")

    def log(self):
        return self.control("GET", "/__fake/log")["requests"]

    def clear_log(self):
        self.control("POST", "/__fake/log/clear")

    def reset(self):
        self.control("POST", "/__fake/reset")

    def fault(self, **spec):
        self.control("POST", "/__fake/faults", spec)

    def record(self, rid):
        return self.control("GET", "/__fake/records/" + rid)

    def edit(self, rid, fields):
        return self.control("POST", "/__fake/records/" + rid, {"fields": fields})

    def expire_tokens(self):
        self.control("POST", "/__fake/expire-tokens")

    def validation_rule(self, field, value, message):
        self.control("POST", "/__fake/validation-rules", {"field": field, "value": value, "message": message})


def _watch_parent(parent_pid, deadline):
    # Belt and braces with the C tests' PR_SET_PDEATHSIG: never outlive the test that started us.
    while True:
        if os.getppid() != parent_pid or time.time() > deadline:
            os.kill(os.getpid(), signal.SIGTERM)
            return
        time.sleep(0.5)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--dir", required=True, help="folder for the test CA and certificates")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--ready-file")
    ap.add_argument("--plain-http", action="store_true")
    ap.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    ap.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
    ap.add_argument("--refresh-token", default=DEFAULT_REFRESH_TOKEN)
    ap.add_argument("--max-lifetime", type=float, default=900.0)
    args = ap.parse_args()

    fake = FakeSalesforce(args.dir, args.port, args.plain_http, args.client_id, args.client_secret,
                          args.refresh_token)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    fake.start()
    line = json.dumps(fake.info())
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(line + "\n")
        os.rename(tmp, args.ready_file)
    print(line, flush=True)
    threading.Thread(target=_watch_parent, args=(os.getppid(), time.time() + args.max_lifetime),
                     daemon=True).start()
    while not stop.wait(0.5):
        pass
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Integration-test harness: runs the real actionplaned on a free loopback port
with a throw-away config, store and tokens, and talks to it over HTTP.

    from harness import Daemon
    with Daemon(env="simulation") as d:
        op = d.token("acme", "olivia", "operator")
        status, body = d.call("POST", "/api/runs", op, {...})

Paths come from the environment ctest sets: AP_BUILD_DIR (the CMake build
folder) and AP_SOURCE_DIR (the repository). Every daemon is stopped with
SIGTERM at the end and must exit 0 (a crash fails the test).
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

SOURCE_DIR = os.path.abspath(os.environ.get("AP_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD_DIR = os.path.abspath(os.environ.get("AP_BUILD_DIR", os.path.join(SOURCE_DIR, "build")))
DAEMON = os.path.join(BUILD_DIR, "core", "bin", "actionplaned")
APCTL = os.path.join(BUILD_DIR, "core", "bin", "apctl")
PLUGIN_DIR = os.path.join(BUILD_DIR, "plugins")

ALLOWLIST = "StageName, CloseDate, Amount, NextStep"


def write_config(folder, env, overlay=None, policy_text=None, plugin_dir=None, extra_main=""):
    """Writes actionplane.ini (+ environments/<env>.ini, + policy.ini) into folder."""
    os.makedirs(os.path.join(folder, "environments"), exist_ok=True)
    policy = os.path.join(folder, "policy.ini")
    if policy_text is None:
        shutil.copyfile(os.path.join(SOURCE_DIR, "config", "policy.ini"), policy)
    else:
        with open(policy, "w") as f:
            f.write(policy_text)
    with open(os.path.join(folder, "actionplane.ini"), "w") as f:
        f.write(f"""[server]
listen = 127.0.0.1:0
[store]
path = var/actionplane.db
[plugins]
dir = {plugin_dir or PLUGIN_DIR}
[environment]
active = {env}
production_enabled = false
[policy]
file = policy.ini
{extra_main}
[connector:salesforce-crm]
plugin.simulation = simulation
plugin.sandbox = salesforce
plugin.production = salesforce
allowedFields.Opportunity = {ALLOWLIST}
""")
    if overlay is not None:
        with open(os.path.join(folder, "environments", f"{env}.ini"), "w") as f:
            f.write("[connector:salesforce-crm]\n")
            for k, v in overlay.items():
                f.write(f"{k} = {v}\n")
    return os.path.join(folder, "actionplane.ini")


class Daemon:
    """One actionplaned process with its own temporary config and store."""

    def __init__(self, env="simulation", overlay=None, extra_env=None, policy_text=None,
                 folder=None, args=()):
        self.env = env
        self.own_folder = folder is None
        self.folder = folder or tempfile.mkdtemp(prefix="ap-it-")
        self.config = os.path.join(self.folder, "actionplane.ini")
        if not os.path.exists(self.config):
            write_config(self.folder, env, overlay, policy_text)
        self.extra_env = dict(extra_env or {})
        self.args = list(args)
        self.proc = None
        self.url = None
        self.stderr_path = os.path.join(self.folder, "daemon.log")

    # -- life cycle -------------------------------------------------------
    def start(self):
        env = dict(os.environ)
        env.pop("ACTIONPLANE_ENV", None)
        env.pop("ACTIONPLANE_STORE", None)
        env.update(self.extra_env)
        self._err = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen([DAEMON, "--config", self.config, *self.args],
                                     stdout=subprocess.PIPE, stderr=self._err, env=env, text=True)
        line = self.proc.stdout.readline()
        if "listening on " not in line:
            self.proc.wait(timeout=10)
            raise RuntimeError(f"daemon did not start (exit {self.proc.returncode}): {line!r}\n{self.log()}")
        self.url = line.split("listening on ")[1].split()[0]
        return self

    def stop(self, expect_code=0):
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.proc.stdout.close()
        self._err.close()
        self.proc = None
        if expect_code is not None and code != expect_code:
            raise AssertionError(f"daemon exited {code}, expected {expect_code}\n{self.log()}")
        return code

    def restart(self):
        self.stop()
        return self.start()

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        try:
            self.stop(expect_code=None if exc_type else 0)
        finally:
            if self.own_folder and not exc_type and not os.environ.get("AP_KEEP_TMP"):
                shutil.rmtree(self.folder, ignore_errors=True)

    def log(self):
        try:
            with open(self.stderr_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    # -- helpers ----------------------------------------------------------
    def apctl(self, *args, token=None, check=True, extra_env=None):
        env = dict(os.environ)
        env.pop("ACTIONPLANE_TOKEN", None)
        env.update(extra_env or {})
        cmd = [APCTL, "--config", self.config]
        if self.url:
            cmd += ["--url", self.url]
        if token:
            cmd += ["--token", token]
        res = subprocess.run(cmd + list(args), capture_output=True, text=True, env=env, timeout=120)
        if check and res.returncode != 0:
            raise AssertionError(f"apctl {' '.join(args)} exited {res.returncode}: {res.stderr}")
        return res

    def token(self, workspace, principal, role):
        out = self.apctl("token", "create", "--workspace", workspace, "--principal", principal,
                         "--role", role).stdout.strip()
        assert out.startswith("ap_") and "\n" not in out, out
        return out

    def call(self, method, path, token=None, body=None, raw=None, headers=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if token:
            req.add_header("Authorization", "Bearer " + token)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                txt = r.read().decode()
                return r.status, (json.loads(txt) if txt.strip() else None)
        except urllib.error.HTTPError as e:
            txt = e.read().decode(errors="replace")
            try:
                return e.code, json.loads(txt)
            except ValueError:
                return e.code, {"_raw": txt}


NORTHWIND_ID = "006Hs00001NWRNWIA5"
SEED = {"StageName": "Qualification", "Amount": 120000, "CloseDate": "2026-05-20",
        "NextStep": "Confirm pricing committee review"}
CHANGE = {"StageName": "Proposal/Price Quote", "Amount": 148000, "CloseDate": "2026-05-27",
          "NextStep": "Send revised proposal to Northwind procurement"}


def northwind_request(changes=None, record_id=NORTHWIND_ID, dry_run=False):
    return {"connector": "salesforce-crm", "action": "salesforce.update-opportunity",
            "target": {"object": "Opportunity", "id": record_id},
            "changes": dict(CHANGE if changes is None else changes),
            "reason": "Pricing committee approved the FY26 uplift", "dryRun": dry_run}


def err_code(body):
    return (body or {}).get("error", {}).get("code") if isinstance(body, dict) else None

"""The Northwind story and every refusal, against the real daemon in the
simulation environment (real HTTP server, real SQLite, real dlopen)."""
import json
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (APCTL, BUILD_DIR, CHANGE, DAEMON, NORTHWIND_ID, PLUGIN_DIR, SEED, Daemon,  # noqa: E402
                     err_code, northwind_request, write_config)

RECORD = f"/api/connectors/salesforce-crm/records/Opportunity/{NORTHWIND_ID}"
FIXTURES = os.path.join(BUILD_DIR, "tests", "integration", "fixtures")


def same(a, b):
    return float(a) == float(b) if isinstance(b, (int, float)) else a == b


class SimulationStory(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(env="simulation").start()
        cls.op = cls.d.token("acme", "olivia", "operator")
        cls.ap = cls.d.token("acme", "arjun", "approver")
        cls.admin = cls.d.token("acme", "ada", "admin")
        cls.viewer = cls.d.token("acme", "vic", "viewer")
        cls.other = cls.d.token("globex", "gus", "admin")

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        shutil.rmtree(cls.d.folder, ignore_errors=True)

    def reset(self):
        st, body = self.d.call("POST", "/api/simulation/reset", self.admin)
        self.assertEqual(st, 200, body)
        return body

    def record(self, token=None):
        st, body = self.d.call("GET", RECORD, token or self.op)
        self.assertEqual(st, 200, body)
        return body["fields"]

    def counts(self):
        st, runs = self.d.call("GET", "/api/runs?limit=200", self.op)
        st2, ver = self.d.call("GET", "/api/audit/verify", self.op)
        return len(runs["runs"]), ver["events"]

    def test_contract_story_passes(self):
        self.reset()
        res = subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "contract_story.py"),
                              self.d.url, self.op, self.ap, "--env", "simulation"],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        self.assertIn("story ok in simulation", res.stdout)

    def test_refusals_write_nothing(self):
        self.reset()
        before = self.counts()
        cases = [
            ("no token", None, "POST", "/api/runs", northwind_request(), None, 401, "unauthenticated"),
            ("bad token", "ap_nope", "POST", "/api/runs", northwind_request(), None, 401, "unauthenticated"),
            ("viewer creates", self.viewer, "POST", "/api/runs", northwind_request(), None, 403, "forbidden"),
            ("malformed", self.op, "POST", "/api/runs", None, b'{"connector": ', 400, "invalid_json"),
            ("empty body", self.op, "POST", "/api/runs", None, b"", 400, "invalid_json"),
            ("array body", self.op, "POST", "/api/runs", [1], None, 400, "invalid_json"),
            ("duplicate key", self.op, "POST", "/api/runs", None, b'{"reason":"a","reason":"b"}', 400, "invalid_json"),
            ("unknown member", self.op, "POST", "/api/runs", dict(northwind_request(), dryrun=True), None, 400, "invalid_request"),
            ("no reason", self.op, "POST", "/api/runs", {k: v for k, v in northwind_request().items() if k != "reason"}, None, 400, "invalid_request"),
            ("not allowlisted", self.op, "POST", "/api/runs", northwind_request({"Probability": 90}), None, 400, "field_not_allowed"),
            ("allowlisted + not", self.op, "POST", "/api/runs", northwind_request({"NextStep": "x", "OwnerId": "005"}), None, 400, "field_not_allowed"),
            ("object not allowlisted", self.op, "POST", "/api/runs", dict(northwind_request(), target={"object": "Account", "id": "001"}), None, 400, "field_not_allowed"),
            ("bad picklist", self.op, "POST", "/api/runs", northwind_request({"StageName": "Proposal / Price Quote"}), None, 400, "invalid_value"),
            ("bad date", self.op, "POST", "/api/runs", northwind_request({"CloseDate": "2026-02-30"}), None, 400, "invalid_value"),
            ("unknown record", self.op, "POST", "/api/runs", northwind_request(record_id="006Hs00001ZZZZZZZZ"), None, 404, "not_found"),
            ("unknown connector", self.op, "POST", "/api/runs", dict(northwind_request(), connector="hubspot"), None, 400, "invalid_request"),
            ("unknown action", self.op, "POST", "/api/runs", dict(northwind_request(), action="salesforce.delete"), None, 400, "invalid_request"),
            ("no change", self.op, "POST", "/api/runs", northwind_request(SEED), None, 400, "invalid_request"),
            ("too large", self.op, "POST", "/api/runs", None, b"{" + b" " * (1024 * 1024) + b"}", 413, "payload_too_large"),
            ("no route", self.op, "GET", "/api/nothing", None, None, 404, "not_found"),
            ("wrong method", self.op, "DELETE", "/api/runs", None, None, 405, "method_not_allowed"),
            ("reset as operator", self.op, "POST", "/api/simulation/reset", None, None, 403, "forbidden"),
        ]
        for name, token, method, path, body, raw, status, code in cases:
            with self.subTest(name):
                st, resp = self.d.call(method, path, token, body=body, raw=raw)
                self.assertEqual((st, err_code(resp)), (status, code), resp)
                self.assertIsInstance(resp["error"]["message"], str)
        self.assertEqual(self.counts(), before, "a refused request wrote a run or an audit event")
        st, body = self.d.call("POST", "/api/runs", self.op, northwind_request({"Probability": 90}))
        self.assertEqual(body["error"]["details"]["field"], "Probability")

    def test_roles_separation_and_states(self):
        self.reset()
        st, run = self.d.call("POST", "/api/runs", self.op, northwind_request())
        self.assertEqual((st, run["state"]), (201, "pending_approval"))
        rid = run["id"]
        self.assertEqual(run["policy"]["approvals"], {"required": 1, "received": 0})
        reasons = " ".join(run["policy"]["reasons"])
        self.assertIn("StageName", reasons)
        self.assertIn("23.3%", reasons)
        st, body = self.d.call("POST", f"/api/runs/{rid}/rollback", self.op)
        self.assertEqual((st, err_code(body)), (409, "invalid_state"))
        st, body = self.d.call("POST", f"/api/runs/{rid}/approve", self.viewer, {"comment": "x"})
        self.assertEqual((st, err_code(body)), (403, "forbidden"))
        st, body = self.d.call("POST", f"/api/runs/{rid}/approve", self.op, {"comment": "mine"})
        self.assertEqual((st, err_code(body)), (403, "separation_of_duties"))
        st, body = self.d.call("POST", f"/api/runs/{rid}/approve", self.ap, {"comment": 5})
        self.assertEqual((st, err_code(body)), (400, "invalid_request"))
        st, body = self.d.call("GET", f"/api/runs/{rid}", self.other)
        self.assertEqual((st, err_code(body)), (404, "not_found"), "another workspace sees the run")
        st, body = self.d.call("POST", f"/api/runs/{rid}/approve", self.other, {})
        self.assertEqual((st, err_code(body)), (404, "not_found"))
        st, run = self.d.call("POST", f"/api/runs/{rid}/reject", self.ap, {"comment": "not this quarter"})
        self.assertEqual((st, run["state"]), (200, "rejected"))
        st, body = self.d.call("POST", f"/api/runs/{rid}/approve", self.admin, {})
        self.assertEqual((st, err_code(body)), (409, "invalid_state"))
        st, body = self.d.call("POST", f"/api/runs/{rid}/execute", self.op)
        self.assertEqual((st, err_code(body)), (409, "invalid_state"))
        st, arts = self.d.call("GET", f"/api/runs/{rid}/artifacts/approval", self.viewer)
        self.assertEqual(st, 200)
        self.assertEqual(arts["body"]["decision"], "rejected")
        st, body = self.d.call("GET", f"/api/runs/{rid}/artifacts/completed_output", self.viewer)
        self.assertEqual((st, err_code(body)), (404, "not_found"))
        for k, v in SEED.items():
            self.assertTrue(same(self.record()[k], v))

    def test_next_step_only_is_allowed_without_approval(self):
        self.reset()
        st, run = self.d.call("POST", "/api/runs", self.op, northwind_request({"NextStep": "Call procurement"}))
        self.assertEqual((st, run["state"], run["policy"]["decision"]), (201, "approved", "allow"))
        st, run = self.d.call("POST", f"/api/runs/{run['id']}/execute", self.op)
        self.assertEqual((st, run["state"]), (200, "completed"))
        self.assertEqual(self.record()["NextStep"], "Call procurement")

    def test_dry_run_previews_only(self):
        self.reset()
        st, run = self.d.call("POST", "/api/runs", self.op, northwind_request(dry_run=True))
        self.assertEqual((st, run["state"], run["dryRun"]), (201, "previewed", True))
        self.assertEqual(len(run["preview"]["diff"]), 4)
        st, body = self.d.call("POST", f"/api/runs/{run['id']}/execute", self.op)
        self.assertEqual((st, err_code(body)), (409, "invalid_state"))

    def test_execute_races_have_one_winner(self):
        self.reset()
        st, run = self.d.call("POST", "/api/runs", self.op, northwind_request())
        rid = run["id"]
        self.d.call("POST", f"/api/runs/{rid}/approve", self.ap, {})
        results = []
        def go():
            results.append(self.d.call("POST", f"/api/runs/{rid}/execute", self.op))
        threads = [threading.Thread(target=go) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = sorted(st for st, _ in results)
        self.assertEqual(statuses, [200] + [409] * 5, results)
        st, audit = self.d.call("GET", f"/api/runs/{rid}/audit", self.op)
        types = [e["type"] for e in audit["events"]]
        self.assertEqual(types.count("run.execution_started"), 1, types)

    def test_conflict_when_record_changed_since_preview(self):
        self.reset()
        st, first = self.d.call("POST", "/api/runs", self.op, northwind_request())
        st, second = self.d.call("POST", "/api/runs", self.op, northwind_request({"Amount": 125000}))
        for r in (first, second):
            self.d.call("POST", f"/api/runs/{r['id']}/approve", self.ap, {})
        st, run = self.d.call("POST", f"/api/runs/{second['id']}/execute", self.op)
        self.assertEqual((st, run["state"]), (200, "completed"))
        st, body = self.d.call("POST", f"/api/runs/{first['id']}/execute", self.op)
        self.assertEqual((st, err_code(body)), (409, "conflict"), body)
        self.assertEqual(body["error"]["details"]["state"], "failed")
        st, run = self.d.call("GET", f"/api/runs/{first['id']}", self.op)
        self.assertEqual(run["state"], "failed")
        self.assertEqual(run["error"]["code"], "conflict")
        self.assertIn("failure", [a["kind"] for a in run["artifacts"]])
        self.assertTrue(same(self.record()["Amount"], 125000))

    def test_rollback_conflict_then_forced_by_admin(self):
        self.reset()
        st, run = self.d.call("POST", "/api/runs", self.op, northwind_request())
        rid = run["id"]
        self.d.call("POST", f"/api/runs/{rid}/approve", self.ap, {})
        self.d.call("POST", f"/api/runs/{rid}/execute", self.op)
        st, other = self.d.call("POST", "/api/runs", self.op, northwind_request({"NextStep": "Someone else's edit"}))
        st, _ = self.d.call("POST", f"/api/runs/{other['id']}/execute", self.op)
        self.assertEqual(st, 200)
        st, body = self.d.call("POST", f"/api/runs/{rid}/rollback", self.op)
        self.assertEqual((st, err_code(body)), (409, "conflict"), body)
        fields = {f["field"]: f for f in body["error"]["details"]["fields"]}
        self.assertEqual(fields["NextStep"]["now"], "Someone else's edit")
        self.assertEqual(fields["NextStep"]["written"], CHANGE["NextStep"])
        st, run = self.d.call("GET", f"/api/runs/{rid}", self.op)
        self.assertEqual(run["state"], "completed", "a refused rollback must leave the run retryable")
        st, body = self.d.call("POST", f"/api/runs/{rid}/rollback", self.op, {"force": True, "reason": "x"})
        self.assertEqual((st, err_code(body)), (403, "forbidden"))
        st, body = self.d.call("POST", f"/api/runs/{rid}/rollback", self.admin, {"force": True})
        self.assertEqual((st, err_code(body)), (400, "invalid_request"))
        st, run = self.d.call("POST", f"/api/runs/{rid}/rollback", self.admin,
                              {"force": True, "reason": "Restore the seeded record for the demo"})
        self.assertEqual((st, run["state"]), (200, "rolled_back"), run)
        for k, v in SEED.items():
            self.assertTrue(same(self.record()[k], v))

    def test_revise_makes_a_linked_run(self):
        self.reset()
        st, run = self.d.call("POST", "/api/runs", self.op, northwind_request())
        st, body = self.d.call("POST", f"/api/runs/{run['id']}/revise", self.op, {"changes": {"Amount": 140000}})
        self.assertEqual((st, err_code(body)), (403, "separation_of_duties"))
        st, new = self.d.call("POST", f"/api/runs/{run['id']}/revise", self.ap,
                              {"changes": {"Amount": 140000}, "comment": "cap the uplift"})
        self.assertEqual(st, 201, new)
        self.assertEqual(new["revisionOf"], run["id"])
        self.assertEqual(new["changes"]["Amount"], 140000)
        self.assertEqual(new["changes"]["StageName"], CHANGE["StageName"])
        self.assertEqual(new["requestedBy"], "arjun")
        st, old = self.d.call("GET", f"/api/runs/{run['id']}", self.op)
        self.assertEqual(old["state"], "superseded")
        st, body = self.d.call("POST", f"/api/runs/{new['id']}/approve", self.ap, {})
        self.assertEqual((st, err_code(body)), (403, "separation_of_duties"))
        st, body = self.d.call("POST", f"/api/runs/{new['id']}/approve", self.admin, {})
        self.assertEqual((st, body["state"]), (200, "approved"))

    def test_reset_restores_seed_and_baseline_twice(self):
        st, run = self.d.call("POST", "/api/runs", self.op, northwind_request({"NextStep": "temp"}))
        self.d.call("POST", f"/api/runs/{run['id']}/execute", self.op)
        _, events_before = self.counts()
        shapes = []
        for _ in range(2):
            out = self.reset()
            self.assertEqual([b["run"] for b in out["baseline"]], ["B", "A"])
            rec = self.record()
            for k, v in SEED.items():
                self.assertTrue(same(rec[k], v), rec)
            st, listing = self.d.call("GET", "/api/runs", self.op)
            runs = listing["runs"]
            self.assertEqual([r["state"] for r in runs], ["pending_approval", "rolled_back"])
            a, b = runs
            self.assertEqual({x["kind"] for x in a["artifacts"]} >= {"request_evidence", "preview", "rollback_plan"}, True)
            kinds_b = {x["kind"] for x in b["artifacts"]}
            self.assertTrue({"request_evidence", "preview", "rollback_plan", "completed_output", "rollback_execution"} <= kinds_b)
            st, audit = self.d.call("GET", f"/api/runs/{b['id']}/audit", self.op)
            self.assertEqual([e["type"] for e in audit["events"]],
                             ["run.created", "run.approved", "run.execution_started", "run.completed", "run.rolled_back"])
            shapes.append((rec, [(r["state"], sorted(x["kind"] for x in r["artifacts"])) for r in runs]))
        rec0, rec1 = shapes[0][0], shapes[1][0]
        self.assertEqual(rec0, rec1, "two resets must give the exact same record, stamps included")
        self.assertEqual(rec0["Probability"], 10)
        self.assertEqual(shapes[0][1], shapes[1][1])
        st, archived = self.d.call("GET", "/api/runs?archived=true&limit=200", self.op)
        self.assertIn(run["id"], [r["id"] for r in archived["runs"]], "reset must archive, not erase")
        st, old = self.d.call("GET", f"/api/runs/{run['id']}", self.op)
        self.assertEqual((st, old["archived"]), (200, True))
        _, events_after = self.counts()
        self.assertGreater(events_after, events_before)
        st, ver = self.d.call("GET", "/api/audit/verify", self.op)
        self.assertTrue(ver["ok"])

    def test_workspaces_are_isolated(self):
        self.reset()
        st, run = self.d.call("POST", "/api/runs", self.op, northwind_request({"NextStep": "acme only"}))
        self.d.call("POST", f"/api/runs/{run['id']}/execute", self.op)
        st, rec = self.d.call("GET", RECORD, self.other)
        self.assertEqual(rec["fields"]["NextStep"], SEED["NextStep"], "globex saw acme's write")
        st, listing = self.d.call("GET", "/api/runs?limit=200", self.other)
        self.assertNotIn(run["id"], [r["id"] for r in listing["runs"]])

    def test_listing_pages_and_filters(self):
        self.reset()
        for i in range(3):
            self.d.call("POST", "/api/runs", self.op, northwind_request({"NextStep": f"step {i}"}, dry_run=True))
        st, page1 = self.d.call("GET", "/api/runs?limit=2", self.viewer)
        self.assertEqual(len(page1["runs"]), 2)
        self.assertIsNotNone(page1["nextCursor"])
        st, page2 = self.d.call("GET", f"/api/runs?limit=2&cursor={page1['nextCursor']}", self.viewer)
        ids = [r["id"] for r in page1["runs"] + page2["runs"]]
        self.assertEqual(len(ids), len(set(ids)))
        self.assertEqual(len(ids), 4)
        st, prev = self.d.call("GET", "/api/runs?state=previewed", self.viewer)
        self.assertEqual({r["state"] for r in prev["runs"]}, {"previewed"})
        self.assertEqual(len(prev["runs"]), 3)
        for bad in ("state=bogus", "limit=0", "limit=500", "limit=x", "cursor=%%%"):
            st, body = self.d.call("GET", f"/api/runs?{bad}", self.viewer)
            self.assertEqual((st, err_code(body)), (400, "invalid_request"), bad)

    def test_connectors_listing(self):
        st, body = self.d.call("GET", "/api/connectors", self.viewer)
        self.assertEqual(st, 200)
        c = body["connectors"][0]
        self.assertEqual((c["name"], c["plugin"], c["status"], c["environment"]),
                         ("salesforce-crm", "simulation", "ready", "simulation"))
        self.assertIn("salesforce.update-opportunity", c["actions"])

    def test_apctl_verbs_and_demo(self):
        self.reset()
        res = self.d.apctl("demo", extra_env={})
        self.assertIn("rolled_back", res.stdout)
        self.assertIn("separation_of_duties", res.stdout)
        res = self.d.apctl("runs", "create", "--id", NORTHWIND_ID, "--set", "Amount=130000",
                           "--set", "CloseDate=2026-05-27", "--reason", "cli test", token=self.op)
        run = json.loads(res.stdout)
        self.assertEqual(run["changes"], {"Amount": 130000, "CloseDate": "2026-05-27"})
        res = self.d.apctl("runs", "approve", run["id"], "--comment", "ok", token=self.op, check=False)
        self.assertNotEqual(res.returncode, 0)
        self.assertIn("separation_of_duties", res.stderr)
        self.assertEqual(len(res.stderr.strip().splitlines()), 1)
        self.d.apctl("runs", "approve", run["id"], token=self.ap)
        out = json.loads(self.d.apctl("runs", "execute", run["id"], token=self.op).stdout)
        self.assertEqual(out["state"], "completed")
        out = json.loads(self.d.apctl("runs", "rollback", run["id"], token=self.op).stdout)
        self.assertEqual(out["state"], "rolled_back")
        listing = json.loads(self.d.apctl("runs", "list", "--state", "rolled_back", token=self.viewer).stdout)
        self.assertIn(run["id"], [r["id"] for r in listing["runs"]])
        res = self.d.apctl("audit", "verify")
        self.assertTrue(json.loads(res.stdout)["ok"])
        res = self.d.apctl("runs", "show", "run_nope", token=self.op, check=False)
        self.assertEqual(res.returncode, 1)
        self.assertIn("404 not_found", res.stderr)


class DaemonLifecycle(unittest.TestCase):
    def test_state_survives_restart_and_sigterm_exits_0(self):
        d = Daemon(env="simulation").start()
        try:
            op = d.token("acme", "olivia", "operator")
            st, run = d.call("POST", "/api/runs", op, northwind_request({"NextStep": "persist me"}))
            d.call("POST", f"/api/runs/{run['id']}/execute", op)
            d.restart()
            st, again = d.call("GET", f"/api/runs/{run['id']}", op)
            self.assertEqual((st, again["state"]), (200, "completed"))
            st, rec = d.call("GET", RECORD, op)
            self.assertEqual(rec["fields"]["NextStep"], "persist me")
        finally:
            self.assertEqual(d.stop(), 0)
        shutil.rmtree(d.folder, ignore_errors=True)

    def test_sighup_reloads_policy_and_keeps_old_on_error(self):
        d = Daemon(env="simulation").start()
        try:
            op = d.token("acme", "olivia", "operator")
            policy = os.path.join(d.folder, "policy.ini")
            with open(policy, "w") as f:
                f.write("[defaults]\ndecision = deny\nreason = frozen for the audit\n")
            d.proc.send_signal(signal.SIGHUP)
            for _ in range(100):
                if "policy reloaded" in d.log():
                    break
                time.sleep(0.05)
            st, run = d.call("POST", "/api/runs", op, northwind_request({"NextStep": "x"}))
            self.assertEqual((st, run["state"], run["policy"]["rule"]), (201, "denied", "defaults"))
            with open(policy, "w") as f:
                f.write("[rule:broken]\ndecision = maybe\n")
            d.proc.send_signal(signal.SIGHUP)
            for _ in range(100):
                if "keeping the old one" in d.log():
                    break
                time.sleep(0.05)
            self.assertIn("policy.ini:2:", d.log())
            st, run = d.call("POST", "/api/runs", op, northwind_request({"NextStep": "y"}))
            self.assertEqual(run["state"], "denied")
        finally:
            d.stop()
        shutil.rmtree(d.folder, ignore_errors=True)

    def test_audit_tampering_is_detected(self):
        d = Daemon(env="simulation").start()
        op = d.token("acme", "olivia", "operator")
        d.call("POST", "/api/runs", op, northwind_request({"NextStep": "x"}))
        d.stop()
        db = sqlite3.connect(os.path.join(d.folder, "var", "actionplane.db"))
        with self.assertRaises(sqlite3.DatabaseError):
            db.execute("UPDATE audit_events SET actor = 'mallory' WHERE seq = 3")
        triggers = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit_events'")]
        for t in triggers:
            db.execute(f"DROP TRIGGER {t}")
        db.execute("UPDATE audit_events SET actor = 'mallory' WHERE seq = 3")
        db.commit()
        db.close()
        res = subprocess.run([APCTL, "--config", d.config, "audit", "verify"], capture_output=True, text=True)
        self.assertEqual(res.returncode, 1, res.stdout)
        self.assertEqual(json.loads(res.stdout)["brokenAt"], 3)
        shutil.rmtree(d.folder, ignore_errors=True)

    def test_production_is_disabled_by_default(self):
        folder = tempfile.mkdtemp(prefix="ap-it-")
        cfg = write_config(folder, "simulation")
        with open(cfg) as f:
            text = f.read().replace("plugin.production = salesforce", "plugin.production = simulation")
        with open(cfg, "w") as f:
            f.write(text)
        d = Daemon(folder=folder, args=["--env", "production"]).start()
        try:
            op = d.token("acme", "olivia", "operator")
            st, body = d.call("POST", "/api/runs", op, northwind_request())
            self.assertEqual((st, err_code(body)), (403, "environment_disabled"))
            st, body = d.call("GET", "/healthz")
            self.assertEqual(body["environment"], "production")
            self.assertIn("production is disabled", d.log())
        finally:
            d.stop()
        shutil.rmtree(folder, ignore_errors=True)


class ConfigAndPlugins(unittest.TestCase):
    def run_daemon(self, *args, env=None):
        return subprocess.run([DAEMON, *args], capture_output=True, text=True, timeout=30,
                              env=dict(os.environ, **(env or {})))

    def test_check_config_reports_file_and_line(self):
        folder = tempfile.mkdtemp(prefix="ap-it-")
        cfg = write_config(folder, "simulation")
        res = self.run_daemon("--config", cfg, "--check-config")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("configuration ok", res.stdout)
        with open(cfg, "a") as f:
            f.write("latencyTypo = 5\n")
        res = self.run_daemon("--config", cfg, "--check-config")
        self.assertEqual(res.returncode, 2)
        lines = open(cfg).read().splitlines()
        self.assertIn(f"{cfg}:{len(lines)}: unknown key 'latencyTypo'", res.stderr)
        res = self.run_daemon("--config", cfg, "--env", "staging", "--check-config")
        self.assertEqual(res.returncode, 2)
        self.assertIn("staging", res.stderr)
        res = self.run_daemon("--config", os.path.join(folder, "missing.ini"))
        self.assertEqual(res.returncode, 2)
        self.assertIn("missing.ini", res.stderr)
        shutil.rmtree(folder, ignore_errors=True)

    def test_list_plugins(self):
        folder = tempfile.mkdtemp(prefix="ap-it-")
        cfg = write_config(folder, "simulation")
        res = self.run_daemon("--config", cfg, "--list-plugins")
        self.assertIn("simulation 1.0.0 (ABI 1.0)", res.stdout)
        self.assertIn("salesforce.update-opportunity", res.stdout)
        shutil.rmtree(folder, ignore_errors=True)

    def plugin_folder(self, files):
        folder = tempfile.mkdtemp(prefix="ap-plugins-")
        os.chmod(folder, 0o755)
        for name, src in files.items():
            shutil.copyfile(src, os.path.join(folder, name))
            os.chmod(os.path.join(folder, name), 0o755)
        return folder

    def refused(self, plugins, bind, expect):
        """Daemon with salesforce-crm bound to `bind` in a custom plugin folder:
        it must keep serving, list the connector unavailable and log why once."""
        folder = tempfile.mkdtemp(prefix="ap-it-")
        cfg = write_config(folder, "simulation")
        with open(cfg) as f:
            text = f.read().replace(f"dir = {PLUGIN_DIR}", f"dir = {plugins}")
            text = text.replace("plugin.simulation = simulation", f"plugin.simulation = {bind}")
        with open(cfg, "w") as f:
            f.write(text)
        d = Daemon(folder=folder).start()
        try:
            op = d.token("acme", "olivia", "operator")
            st, body = d.call("GET", "/api/connectors", op)
            c = body["connectors"][0]
            self.assertEqual(c["status"], "unavailable")
            self.assertIn(expect, c["error"])
            st, body = d.call("POST", "/api/runs", op, northwind_request())
            self.assertEqual((st, err_code(body)), (503, "connector_unavailable"))
            refusals = [l for l in d.log().splitlines() if "refused" in l]
            self.assertEqual(len(refusals), 1, d.log())
            self.assertIn("salesforce-crm", refusals[0])
            # Once the plugin loads, the workspace gets the seed it could not get before.
            d.stop()
            with open(cfg, "w") as f:
                f.write(text.replace(f"dir = {plugins}", f"dir = {PLUGIN_DIR}")
                        .replace(f"plugin.simulation = {bind}", "plugin.simulation = simulation"))
            d.start()
            st, listing = d.call("GET", "/api/runs", op)
            self.assertEqual([r["state"] for r in listing["runs"]], ["pending_approval", "rolled_back"])
        finally:
            d.stop()
        shutil.rmtree(folder, ignore_errors=True)

    def test_refuses_bad_abi_missing_symbol_missing_file_and_shared_folder(self):
        sim = os.path.join(PLUGIN_DIR, "simulation.so")
        good = self.plugin_folder({"simulation.so": sim,
                                   "bad_abi.so": os.path.join(FIXTURES, "bad_abi.so"),
                                   "no_entry.so": os.path.join(FIXTURES, "no_entry.so")})
        self.refused(good, "bad_abi", "ABI major 2")
        self.refused(good, "no_entry", "no exported symbol ap_plugin_entry")
        self.refused(good, "absent", "cannot be read")
        os.chmod(os.path.join(good, "simulation.so"), 0o777)
        self.refused(good, "simulation", "writable by group or others")
        os.chmod(os.path.join(good, "simulation.so"), 0o755)
        os.chmod(good, 0o777)
        self.refused(good, "simulation", "writable by group or others")
        shutil.rmtree(good, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)

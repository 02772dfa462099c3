"""The Northwind story and the live-path guarantees through the real daemon in the sandbox environment, with
salesforce.so talking HTTPS to the fake Salesforce (tests/fake_salesforce) and its test CA.

Covers issue 3's integration list: the contract story unchanged; conflict on execute; conflict on rollback; token
refresh mid-run; retry after 503; timeout -> 504 connector_timeout; a bad picklist value refused at preview with
no PATCH sent; the round trips of each step counted from the fake's request log.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "fake_salesforce"))
from harness import CHANGE, NORTHWIND_ID, SEED, Daemon, err_code, northwind_request  # noqa: E402
from fake_salesforce import FakeSalesforce  # noqa: E402

RECORD = f"/api/connectors/salesforce-crm/records/Opportunity/{NORTHWIND_ID}"
TIMEOUT_MS = 1500


def same(a, b):
    return float(a) == float(b) if isinstance(b, (int, float)) else a == b


def data_calls(log):
    """(method, what) of every data request in a fake log slice, Composite parts spelled out."""
    out = []
    for e in log:
        if e.get("kind") not in ("data", "fault"):
            continue
        what = "composite" if e["path"].endswith("/composite") else \
            "describe" if e["path"].endswith("/describe") else \
            "query" if e["path"].endswith("/query") else "record"
        out.append((e["method"], what))
    return out


def patches(log):
    n = 0
    for e in log:
        n += e.get("method") == "PATCH"
        n += sum(1 for s in e.get("subrequests") or [] if s.get("method") == "PATCH")
    return n


class SandboxAgainstFakeSalesforce(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ap-it-sf-")
        cls.fake = FakeSalesforce(os.path.join(cls.tmp, "pki")).start()
        overlay = {"loginUrl": cls.fake.url, "clientId": cls.fake.client_id, "caBundle": cls.fake.ca_bundle,
                   "apiVersion": "66.0", "isSandbox": "true", "timeoutMs": TIMEOUT_MS, "connectTimeoutMs": 1000,
                   "maxRetries": 3}
        # The secret comes from the environment, as the shipped sandbox.ini recommends.
        cls.d = Daemon(env="sandbox", overlay=overlay,
                       extra_env={"ACTIONPLANE_SALESFORCE_CLIENT_SECRET": cls.fake.client_secret})
        cls.d.start()
        cls.op = cls.d.token("acme", "olivia", "operator")
        cls.ap = cls.d.token("acme", "arjun", "approver")
        cls.admin = cls.d.token("acme", "ada", "admin")

    @classmethod
    def tearDownClass(cls):
        try:
            cls.d.stop()
        finally:
            cls.fake.stop()
            shutil.rmtree(cls.tmp, ignore_errors=True)
            shutil.rmtree(cls.d.folder, ignore_errors=True)

    def setUp(self):
        self.fake.reset()  # seeded records, no faults; also revokes the daemon's token
        # Warm up (new token, metadata synced on first need) so each test counts only its own round trips.
        st, body = self.d.call("POST", "/api/runs", self.op, northwind_request(dry_run=True))
        self.assertEqual(st, 201, body)
        self.fake.clear_log()

    # -- helpers ----------------------------------------------------------------------------------------------
    def create(self, changes=None):
        st, run = self.d.call("POST", "/api/runs", self.op, northwind_request(changes))
        self.assertEqual(st, 201, run)
        return run

    def approve(self, run):
        st, body = self.d.call("POST", f"/api/runs/{run['id']}/approve", self.ap, {"comment": "RevOps lead approves"})
        self.assertEqual(st, 200, body)
        self.assertEqual(body["state"], "approved")
        return body

    def execute(self, run):
        st, body = self.d.call("POST", f"/api/runs/{run['id']}/execute", self.op)
        self.assertEqual(st, 200, body)
        self.assertEqual(body["state"], "completed")
        return body

    def state(self, run):
        st, body = self.d.call("GET", f"/api/runs/{run['id']}", self.op)
        self.assertEqual(st, 200, body)
        return body["state"]

    def assert_seeded(self):
        rec = self.fake.record(NORTHWIND_ID)
        for k, v in SEED.items():
            self.assertTrue(same(rec[k], v), f"{k}: {rec[k]!r} != {v!r}")

    # -- the story -------------------------------------------------------------------------------------------
    def test_contract_story_passes_unchanged(self):
        res = subprocess.run([sys.executable, os.path.join(HERE, "contract_story.py"), self.d.url, self.op, self.ap,
                              "--env", "sandbox"], capture_output=True, text=True, timeout=300)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        self.assertIn("story ok in sandbox", res.stdout)
        self.assert_seeded()

    def test_round_trips_of_each_step_from_the_fake_log(self):
        run = self.create()
        self.assertEqual(data_calls(self.fake.log()), [("GET", "record")])  # preview = 1 GET
        self.fake.clear_log()
        self.approve(run)
        self.assertEqual(self.fake.log(), [])  # approval never touches Salesforce
        done = self.execute(run)
        log = self.fake.log()
        self.assertEqual(data_calls(log), [("GET", "record"), ("POST", "composite")])  # re-check + PATCH/GET back
        self.assertEqual([s["method"] for s in log[1]["subrequests"]], ["PATCH", "GET"])
        self.assertTrue(log[1]["subrequests"][0]["ifUnmodifiedSince"].endswith(" GMT"))
        self.assertEqual(done["output"]["requests"], 2)
        self.assertEqual(done["output"]["apiUsage"]["max"], 15000)
        self.assertEqual(done["output"]["automationChanges"]["Probability"], {"before": 10.0, "after": 75.0})
        self.fake.clear_log()
        st, body = self.d.call("POST", f"/api/runs/{run['id']}/rollback", self.op)
        self.assertEqual(st, 200, body)
        self.assertEqual(body["state"], "rolled_back")
        self.assertEqual(data_calls(self.fake.log()), [("GET", "record"), ("POST", "composite")])
        self.assert_seeded()

    # -- conflicts ---------------------------------------------------------------------------------------------
    def test_conflict_on_execute_writes_nothing(self):
        run = self.create()
        self.approve(run)
        self.fake.edit(NORTHWIND_ID, {"StageName": "Negotiation/Review"})  # someone else, meanwhile
        self.fake.clear_log()
        st, body = self.d.call("POST", f"/api/runs/{run['id']}/execute", self.op)
        self.assertEqual(st, 409, body)
        self.assertEqual(err_code(body), "conflict")
        fields = body["error"]["details"]["fields"]
        self.assertEqual(fields, [{"field": "StageName", "expected": "Qualification", "actual": "Negotiation/Review"}])
        self.assertEqual(patches(self.fake.log()), 0)
        self.assertEqual(self.state(run), "failed")
        self.assertEqual(self.fake.record(NORTHWIND_ID)["StageName"], "Negotiation/Review")
        self.assertTrue(same(self.fake.record(NORTHWIND_ID)["Amount"], 120000))

    def test_conflict_on_rollback_shows_three_values_and_restores_nothing(self):
        run = self.create()
        self.approve(run)
        self.execute(run)
        self.fake.edit(NORTHWIND_ID, {"NextStep": "Call procurement on Monday"})
        self.fake.clear_log()
        st, body = self.d.call("POST", f"/api/runs/{run['id']}/rollback", self.op)
        self.assertEqual(st, 409, body)
        self.assertEqual(err_code(body), "conflict")
        self.assertEqual(body["error"]["details"]["fields"], [{
            "field": "NextStep", "before": SEED["NextStep"], "written": CHANGE["NextStep"],
            "now": "Call procurement on Monday"}])
        self.assertEqual(patches(self.fake.log()), 0)
        self.assertEqual(self.state(run), "completed")  # still completed: a later, forced rollback stays possible
        rec = self.fake.record(NORTHWIND_ID)
        self.assertEqual(rec["StageName"], CHANGE["StageName"])
        self.assertEqual(rec["NextStep"], "Call procurement on Monday")

    def test_rollback_refused_by_a_validation_rule_is_rollback_failed(self):
        run = self.create()
        self.approve(run)
        self.execute(run)
        self.fake.validation_rule("StageName", "Qualification", "An opportunity past proposal cannot go back.")
        st, body = self.d.call("POST", f"/api/runs/{run['id']}/rollback", self.op)
        self.assertEqual(err_code(body), "rollback_failed", body)
        self.assertEqual(body["error"]["details"]["errors"][0]["errorCode"], "FIELD_CUSTOM_VALIDATION_EXCEPTION")
        self.assertIn("cannot go back", body["error"]["message"])
        self.assertEqual(self.state(run), "rollback_failed")

    # -- transport -------------------------------------------------------------------------------------------
    def test_token_refresh_mid_run(self):
        run = self.create()
        self.approve(run)
        self.fake.expire_tokens()
        self.fake.clear_log()
        done = self.execute(run)
        log = self.fake.log()
        self.assertEqual([(e["kind"], e["status"]) for e in log][:3], [("data", 401), ("token", 200), ("data", 200)])
        self.assertEqual(done["output"]["reauths"], 1)
        self.assertEqual(patches(log), 1)
        self.assertEqual(self.fake.record(NORTHWIND_ID)["StageName"], CHANGE["StageName"])

    def test_retry_after_503(self):
        self.fake.fault(action="status", status=503, method="GET", path="/sobjects/Opportunity/006",
                        body=[{"message": "Server unavailable", "errorCode": "SERVER_UNAVAILABLE"}])
        run = self.create()
        self.assertEqual(run["state"], "pending_approval")
        self.assertEqual([e["status"] for e in self.fake.log()], [503, 200])

    def test_timeout_is_504_connector_timeout(self):
        self.fake.fault(action="delay", seconds=TIMEOUT_MS / 1000 + 1.5, method="GET",
                        path="/sobjects/Opportunity/006")
        st, body = self.d.call("POST", "/api/runs", self.op, northwind_request())
        self.assertEqual(st, 504, body)
        self.assertEqual(err_code(body), "connector_timeout")
        self.assertEqual(body["error"]["details"]["transport"], "timeout")
        time.sleep(2)  # let the fake finish the late answer before the next test resets it

    def test_bad_picklist_value_refused_at_preview_without_any_write(self):
        st, body = self.d.call("POST", "/api/runs", self.op,
                               northwind_request(changes={"StageName": "Proposal / Price Quote"}))
        self.assertEqual(st, 400, body)
        self.assertEqual(err_code(body), "invalid_value")
        self.assertIn("Proposal/Price Quote", body["error"]["message"])  # the suggestion
        self.assertEqual(body["error"]["details"]["fields"][0]["field"], "StageName")
        log = self.fake.log()
        self.assertEqual(patches(log), 0)
        self.assertEqual(data_calls(log), [])  # checked against synced metadata: not even a read
        self.assert_seeded()


if __name__ == "__main__":
    unittest.main()

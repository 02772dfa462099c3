#!/usr/bin/env python3
"""test_fake.py — checks that the fake Salesforce speaks the documented shapes (shared/spec/salesforce-rest.md).

Tests that trust a broken fake prove nothing, so the fake gets its own checks: token grants and the OAuth error
object, the versions list, describe, SOQL with escapes, record GET with ?fields=, PATCH with If-Unmodified-Since
and 412, Composite allOrNone, error arrays, Sforce-Limit-Info, and the fault and control endpoints.
"""
import email.utils
import json
import os
import ssl
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fake_salesforce import FakeSalesforce  # noqa: E402

NW = "006Hs00001NWRNWIA5"


class FakeSalesforceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.fake = FakeSalesforce(cls.tmp.name).start()
        cls.ctx = ssl.create_default_context(cafile=cls.fake.ca_bundle)

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()
        cls.tmp.cleanup()

    def setUp(self):
        self.fake.reset()

    def http(self, method, path, body=None, headers=None, form=None, base=None):
        data = None
        hdrs = dict(headers or {})
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        req = urllib.request.Request((base or self.fake.url) + path, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=10) as r:
                raw = r.read()
                return r.status, (json.loads(raw) if raw else None), dict(r.headers)
        except urllib.error.HTTPError as e:
            raw = e.read()
            return e.code, (json.loads(raw) if raw else None), dict(e.headers)

    def token(self):
        st, body, _ = self.http("POST", "/services/oauth2/token", form={
            "grant_type": "client_credentials", "client_id": self.fake.client_id,
            "client_secret": self.fake.client_secret})
        self.assertEqual(st, 200)
        return body

    def data(self, method, path, body=None, headers=None):
        tok = self.token()
        h = {"Authorization": "Bearer " + tok["access_token"]}
        h.update(headers or {})
        return self.http(method, "/services/data/v66.0" + path, body=body, headers=h, base=tok["instance_url"])

    def test_token_grants_and_error_object(self):
        tok = self.token()
        for key in ("access_token", "instance_url", "id", "token_type", "issued_at", "signature"):
            self.assertIn(key, tok)
        self.assertTrue(tok["id"].endswith("/id/00DHs000000NWRNMA4/005Hs00000INTGRIA1"))
        st, body, _ = self.http("POST", "/services/oauth2/token", form={
            "grant_type": "refresh_token", "client_id": self.fake.client_id,
            "refresh_token": self.fake.refresh_token})
        self.assertEqual(st, 200)
        st, body, _ = self.http("POST", "/services/oauth2/token", form={
            "grant_type": "client_credentials", "client_id": self.fake.client_id, "client_secret": "nope"})
        self.assertEqual((st, body), (400, {"error": "invalid_client", "error_description": "invalid client credentials"}))
        st, body, _ = self.http("POST", "/services/oauth2/token", form={"grant_type": "password"})
        self.assertEqual(body["error"], "unsupported_grant_type")

    def test_versions_list_needs_no_auth_and_has_no_limit_header(self):
        st, body, headers = self.http("GET", "/services/data/")
        self.assertEqual(st, 200)
        self.assertEqual(body[-1], {"label": "Spring '26", "url": "/services/data/v66.0", "version": "66.0"})
        self.assertNotIn("Sforce-Limit-Info", headers)

    def test_data_calls_need_a_valid_token(self):
        st, body, _ = self.http("GET", "/services/data/v66.0/sobjects/Opportunity/" + NW,
                                headers={"Authorization": "Bearer forged"})
        self.assertEqual(st, 401)
        self.assertEqual(body[0]["errorCode"], "INVALID_SESSION_ID")

    def test_record_get_with_fields_and_limit_header(self):
        st, body, headers = self.data("GET", "/sobjects/Opportunity/%s?fields=StageName,Amount" % NW)
        self.assertEqual(st, 200)
        self.assertEqual(set(body), {"attributes", "StageName", "Amount", "Id"})
        self.assertEqual(body["Amount"], 120000.0)
        self.assertRegex(headers["Sforce-Limit-Info"], r"^api-usage=\d+/15000$")
        st, body, _ = self.data("GET", "/sobjects/Opportunity/%s?fields=Nope" % NW)
        self.assertEqual((st, body[0]["errorCode"]), (400, "INVALID_FIELD"))
        st, body, _ = self.data("GET", "/sobjects/Opportunity/006Hs00001ZZZZZ")
        self.assertEqual((st, body[0]["errorCode"]), (404, "NOT_FOUND"))
        st, body, _ = self.data("GET", "/sobjects/Opportunity/bad")
        self.assertEqual((st, body[0]["errorCode"]), (400, "MALFORMED_ID"))

    def test_describe_has_the_four_fields(self):
        st, body, _ = self.data("GET", "/sobjects/Opportunity/describe")
        fields = {f["name"]: f for f in body["fields"]}
        self.assertEqual(fields["StageName"]["type"], "picklist")
        self.assertIn("Proposal/Price Quote", [p["value"] for p in fields["StageName"]["picklistValues"]])
        self.assertEqual((fields["Amount"]["precision"], fields["Amount"]["scale"]), (18, 2))
        self.assertEqual(fields["NextStep"]["length"], 255)
        self.assertEqual(fields["CloseDate"]["type"], "date")

    def test_soql_by_name_with_escapes(self):
        q = urllib.parse.quote("SELECT Id, Name FROM Opportunity WHERE Name = 'O\\'Brien \\\\ Partners deal'")
        st, body, _ = self.data("GET", "/query?q=" + q)
        self.assertEqual((st, body["totalSize"]), (200, 1))
        q = urllib.parse.quote("SELECT Id FROM Opportunity WHERE Name = 'CONTOSO expansion'")
        st, body, _ = self.data("GET", "/query?q=" + q)
        self.assertEqual(body["totalSize"], 2)

    def test_patch_with_if_unmodified_since_and_412(self):
        rec = self.fake.record(NW)
        lmd = time.mktime(time.strptime(rec["LastModifiedDate"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
        ok_since = email.utils.formatdate(lmd + 1, usegmt=True)
        st, body, _ = self.data("PATCH", "/sobjects/Opportunity/" + NW, {"StageName": "Closed Won"},
                                {"If-Unmodified-Since": ok_since})
        self.assertEqual((st, body), (204, None))
        self.assertEqual(self.fake.record(NW)["Probability"], 100.0)  # the org's automation
        st, body, _ = self.data("PATCH", "/sobjects/Opportunity/" + NW, {"StageName": "Closed Lost"},
                                {"If-Unmodified-Since": ok_since})
        self.assertEqual(st, 412)
        self.assertEqual(self.fake.record(NW)["StageName"], "Closed Won")
        st, body, _ = self.data("PATCH", "/sobjects/Opportunity/" + NW, {"StageName": "Nope"})
        self.assertEqual(body[0]["errorCode"], "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST")

    def test_composite_all_or_none_rolls_back(self):
        self.fake.validation_rule("NextStep", "forbidden", "Not that.")
        base = "/services/data/v66.0/sobjects/Opportunity/" + NW
        st, body, _ = self.data("POST", "/composite", {"allOrNone": True, "compositeRequest": [
            {"method": "PATCH", "url": base, "referenceId": "a", "body": {"Amount": 1}},
            {"method": "PATCH", "url": base, "referenceId": "b", "body": {"NextStep": "forbidden"}},
            {"method": "GET", "url": base + "?fields=Amount", "referenceId": "c"}]})
        self.assertEqual(st, 200)
        codes = [r["httpStatusCode"] for r in body["compositeResponse"]]
        self.assertEqual(codes, [400, 400, 400])
        self.assertEqual(body["compositeResponse"][1]["body"][0]["errorCode"], "FIELD_CUSTOM_VALIDATION_EXCEPTION")
        self.assertEqual(body["compositeResponse"][0]["body"][0]["errorCode"], "PROCESSING_HALTED")
        self.assertEqual(self.fake.record(NW)["Amount"], 120000.0)

    def test_faults_and_log(self):
        self.fake.fault(action="status", status=503, path="/sobjects/Opportunity/", count=1,
                        body=[{"errorCode": "SERVER_UNAVAILABLE", "message": "x"}])
        st, _, _ = self.data("GET", "/sobjects/Opportunity/" + NW)
        self.assertEqual(st, 503)
        st, _, _ = self.data("GET", "/sobjects/Opportunity/" + NW)
        self.assertEqual(st, 200)
        self.fake.expire_tokens()
        log = self.fake.log()
        self.assertEqual([e["kind"] for e in log], ["token", "fault", "token", "data"])
        self.assertNotIn(self.fake.client_secret, json.dumps(log))
        self.fake.edit(NW, {"StageName": "Negotiation/Review"})
        self.assertEqual(self.fake.record(NW)["Probability"], 90.0)
        self.assertEqual(self.fake.control("GET", "/__fake/history")["history"][-1]["actor"], "person")


if __name__ == "__main__":
    unittest.main()

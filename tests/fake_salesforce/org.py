"""org.py — the state of the fake Salesforce org: Opportunity metadata, records, automation, SOQL.

Pure data and rules, no HTTP: server.py turns requests into calls here and answers into HTTP. Every function
returns (status, body) the way Salesforce would answer the corresponding REST call, with Salesforce's error array
`[{"message", "errorCode", "fields"}]` on failures. Not thread-safe: the server holds its lock around each call.
"""
import copy
import datetime
import email.utils
import re

# Stage -> (default probability, forecast category); the org's automation sets both when StageName changes.
STAGES = [
    ("Prospecting", 10, "Pipeline"), ("Qualification", 10, "Pipeline"), ("Needs Analysis", 20, "Pipeline"),
    ("Value Proposition", 50, "Pipeline"), ("Id. Decision Makers", 60, "Pipeline"),
    ("Perception Analysis", 70, "Pipeline"), ("Proposal/Price Quote", 75, "Pipeline"),
    ("Negotiation/Review", 90, "Pipeline"), ("Closed Won", 100, "Closed"), ("Closed Lost", 0, "Omitted"),
]
RETIRED_STAGE = "Discovery (retired)"  # an inactive picklist value some old records still hold


def _field(name, ftype, updateable=True, nillable=True, length=0, precision=0, scale=0, picklist=None,
           restricted=False, label=None):
    return {"name": name, "label": label or name, "type": ftype, "updateable": updateable,
            "createable": updateable, "nillable": nillable, "length": length, "precision": precision,
            "scale": scale, "custom": name.endswith("__c"), "restrictedPicklist": restricted,
            "calculated": False, "defaultValue": None, "picklistValues": picklist or []}


def _picklist(values, inactive=()):
    out = [{"active": True, "defaultValue": False, "label": v, "validFor": None, "value": v} for v in values]
    out += [{"active": False, "defaultValue": False, "label": v, "validFor": None, "value": v} for v in inactive]
    return out


OPPORTUNITY_FIELDS = [
    _field("Id", "id", updateable=False, nillable=False, length=18),
    _field("Name", "string", nillable=False, length=120),
    _field("StageName", "picklist", nillable=False, length=255, restricted=True,
           picklist=_picklist([s[0] for s in STAGES], inactive=[RETIRED_STAGE])),
    _field("Amount", "currency", precision=18, scale=2),
    _field("CloseDate", "date", nillable=False),
    _field("NextStep", "string", length=255),
    _field("Description", "textarea", length=32000),
    _field("Probability", "percent", precision=3, scale=0),
    _field("ForecastCategoryName", "picklist", length=40,
           picklist=_picklist(["Omitted", "Pipeline", "Best Case", "Commit", "Closed"])),
    _field("ExpectedRevenue", "currency", updateable=False, precision=18, scale=2),
    _field("IsClosed", "boolean", updateable=False, nillable=False),
    _field("IsWon", "boolean", updateable=False, nillable=False),
    _field("LastModifiedDate", "datetime", updateable=False, nillable=False),
    _field("SystemModstamp", "datetime", updateable=False, nillable=False),
]
FIELDS_BY_NAME = {f["name"]: f for f in OPPORTUNITY_FIELDS}
KEY_PREFIX = "006"

SEED = [
    {"Id": "006Hs00001NWRNWIA5", "Name": "Northwind renewal FY26", "StageName": "Qualification",
     "Amount": 120000.0, "CloseDate": "2026-05-20", "NextStep": "Confirm pricing committee review"},
    {"Id": "006Hs00001CNTS1IAP", "Name": "Contoso expansion", "StageName": "Prospecting",
     "Amount": 50000.0, "CloseDate": "2026-07-01", "NextStep": None},
    {"Id": "006Hs00001CNTS2IAP", "Name": "Contoso Expansion", "StageName": "Needs Analysis",
     "Amount": 65000.0, "CloseDate": "2026-08-01", "NextStep": "Demo"},
    {"Id": "006Hs00001OBRNQIA5", "Name": "O'Brien \\ Partners deal", "StageName": "Value Proposition",
     "Amount": 30000.0, "CloseDate": "2026-06-15", "NextStep": "Call Siobhan"},
    {"Id": "006Hs00001LGCYAIA5", "Name": "Legacy deal", "StageName": RETIRED_STAGE,
     "Amount": 10000.0, "CloseDate": "2026-04-01", "NextStep": None},
]


def checksum_suffix(id15):
    """The 3-character case-safe suffix Salesforce appends to a 15-character id."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
    out = ""
    for chunk in range(3):
        bits = 0
        for i, ch in enumerate(id15[chunk * 5:chunk * 5 + 5]):
            if "A" <= ch <= "Z":
                bits |= 1 << i
        out += alphabet[bits]
    return out


def sf_datetime(ts):
    """Salesforce's datetime spelling: 2026-02-02T14:05:11.000+0000 (UTC, milliseconds)."""
    dt = datetime.datetime.fromtimestamp(ts, tz=datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03d+0000" % (dt.microsecond // 1000)


def err(status, code, message, fields=None):
    return status, [{"message": message, "errorCode": code, "fields": fields or []}]


def _valid_date(text):
    if not isinstance(text, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        datetime.date.fromisoformat(text)
        return True
    except ValueError:
        return False


class Org:
    """One org with Opportunity records. `clock` returns epoch seconds (float)."""

    def __init__(self, clock):
        self.clock = clock
        self.records = {}
        self.validation_rules = []
        self.history = []
        self.reset()

    def reset(self):
        """Back to the seeded records, with LastModifiedDate a day ago and no validation rules."""
        past = self.clock() - 86400
        self.records = {}
        for seed in SEED:
            rec = dict(seed)
            rec["LastModifiedDate"] = rec["SystemModstamp"] = sf_datetime(past)
            rec["_modified_ts"] = past
            rec["Description"] = None
            self._automation(rec, stage_changed=True)
            self.records[rec["Id"]] = rec
        self.validation_rules = []
        self.history = []

    def snapshot(self):
        return copy.deepcopy((self.records, self.history))

    def restore(self, snap):
        self.records, self.history = snap

    # ---- reading -------------------------------------------------------------------------------------------

    def find(self, rid):
        """(record, None) or (None, (status, errors)) for an id as a client would send it."""
        if not re.fullmatch(r"[A-Za-z0-9]{15}([A-Za-z0-9]{3})?", rid or ""):
            return None, err(400, "MALFORMED_ID", "Opportunity ID: id value of incorrect type: %s" % rid)
        if len(rid) == 18 and checksum_suffix(rid[:15]) != rid[15:]:
            return None, err(400, "MALFORMED_ID", "Opportunity ID: id value of incorrect type: %s" % rid)
        if not rid.startswith(KEY_PREFIX):
            return None, err(400, "MALFORMED_ID", "Provided external ID field does not exist or is not accessible: "
                             + rid)
        for key, rec in self.records.items():
            if key[:15] == rid[:15]:
                return rec, None
        return None, err(404, "NOT_FOUND", "The requested resource does not exist")

    def check_fields(self, names):
        for name in names:
            if name not in FIELDS_BY_NAME:
                return err(400, "INVALID_FIELD", "No such column '%s' on sobject of type Opportunity" % name)
        return None

    def view(self, rec, names, base_url):
        """The JSON Salesforce returns for a record: attributes, the asked fields, and Id."""
        out = {"attributes": {"type": "Opportunity",
                              "url": "%s/sobjects/Opportunity/%s" % (base_url, rec["Id"])}}
        for name in names:
            out[name] = rec.get(name)
        out["Id"] = rec["Id"]
        return out

    def get(self, rid, fields, base_url):
        rec, problem = self.find(rid)
        if problem:
            return problem
        names = fields if fields else [f["name"] for f in OPPORTUNITY_FIELDS]
        problem = self.check_fields(names)
        if problem:
            return problem
        return 200, self.view(rec, names, base_url)

    def describe(self):
        return 200, {"name": "Opportunity", "label": "Opportunity", "keyPrefix": KEY_PREFIX, "updateable": True,
                     "createable": True, "custom": False, "fields": copy.deepcopy(OPPORTUNITY_FIELDS),
                     "recordTypeInfos": [], "urls": {}}

    def query(self, soql, base_url):
        """A small SOQL subset: SELECT f, ... FROM Opportunity [WHERE Name|Id = 'literal'] [LIMIT n]."""
        m = re.fullmatch(r"\s*SELECT\s+(.+?)\s+FROM\s+(\w+)"
                         r"(?:\s+WHERE\s+(\w+)\s*=\s*'((?:[^'\\]|\\.)*)')?"
                         r"(?:\s+LIMIT\s+(\d+))?\s*", soql or "", re.IGNORECASE | re.DOTALL)
        if not m:
            return err(400, "MALFORMED_QUERY", "unexpected token in query: %s" % (soql or "")[:80])
        names = [n.strip() for n in m.group(1).split(",")]
        if m.group(2).lower() != "opportunity":
            return err(400, "INVALID_TYPE", "sObject type '%s' is not supported." % m.group(2))
        problem = self.check_fields(names + ([m.group(3)] if m.group(3) else []))
        if problem:
            return problem
        rows = list(self.records.values())
        if m.group(3):
            literal = _soql_unescape(m.group(4))
            if literal is None:
                return err(400, "MALFORMED_QUERY", "Invalid string literal escape in query")
            field = m.group(3)
            if field == "Id":
                rows = [r for r in rows if r["Id"][:15] == literal[:15]]
            else:  # '=' on text is case-insensitive in SOQL
                rows = [r for r in rows if isinstance(r.get(field), str) and r[field].lower() == literal.lower()]
        if m.group(5):
            rows = rows[:int(m.group(5))]
        return 200, {"totalSize": len(rows), "done": True, "records": [self.view(r, names, base_url) for r in rows]}

    # ---- writing -------------------------------------------------------------------------------------------

    def patch(self, rid, values, if_unmodified_since):
        """A PATCH of field values, with the optional If-Unmodified-Since precondition (HTTP date text)."""
        rec, problem = self.find(rid)
        if problem:
            return problem
        if not isinstance(values, dict):
            return err(400, "JSON_PARSER_ERROR", "The request body must be a JSON object")
        if if_unmodified_since is not None:
            try:
                limit = email.utils.parsedate_to_datetime(if_unmodified_since).timestamp()
            except (TypeError, ValueError):
                return err(400, "INVALID_HEADER_VALUE", "If-Unmodified-Since is not a valid HTTP date")
            # HTTP dates have whole seconds: a change later in the same second does not count as "after".
            if int(rec["_modified_ts"]) > int(limit):
                return 412, None
        problem = self.check_values(values)
        if problem:
            return problem
        self.apply(rec, values, actor="api")
        return 204, None

    def check_values(self, values):
        for name, value in values.items():
            meta = FIELDS_BY_NAME.get(name)
            if meta is None:
                return err(400, "INVALID_FIELD", "No such column '%s' on sobject of type Opportunity" % name)
            if not meta["updateable"]:
                return err(400, "INVALID_FIELD_FOR_INSERT_UPDATE",
                           "Unable to create/update fields: %s. Please check the security settings of this field "
                           "and verify that it is read/write for your profile or permission set." % name, [name])
            if value is None:
                if not meta["nillable"]:
                    return err(400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [%s]" % name, [name])
                continue
            ftype = meta["type"]
            if ftype in ("currency", "double", "percent", "int"):
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    return err(400, "JSON_PARSER_ERROR", "Cannot deserialize instance of %s from VALUE_STRING value"
                               " %s" % (ftype, value))
            elif ftype == "date":
                if not _valid_date(value):
                    return err(400, "JSON_PARSER_ERROR", "Cannot deserialize instance of date from VALUE_STRING "
                               "value %s or request may be missing a required field" % value)
            elif ftype in ("string", "textarea", "picklist"):
                if not isinstance(value, str):
                    return err(400, "JSON_PARSER_ERROR", "Cannot deserialize instance of string")
                if len(value) > meta["length"]:
                    return err(400, "STRING_TOO_LONG", "%s: data value too large: %s (max length=%d)"
                               % (name, value[:40], meta["length"]), [name])
                if ftype == "picklist" and meta["restrictedPicklist"]:
                    active = [p["value"] for p in meta["picklistValues"] if p["active"]]
                    if value not in active:
                        return err(400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                                   "%s: bad value for restricted picklist field: %s" % (meta["label"], value), [name])
        for rule in self.validation_rules:
            if rule["field"] in values and values[rule["field"]] == rule["value"]:
                return err(400, rule.get("errorCode", "FIELD_CUSTOM_VALIDATION_EXCEPTION"), rule["message"],
                           [rule["field"]])
        return None

    def apply(self, rec, values, actor):
        """Writes the values, runs the org's automation, stamps the record (an API or UI save alike)."""
        stage_changed = "StageName" in values and values["StageName"] != rec.get("StageName")
        before = {k: rec.get(k) for k in values}
        for name, value in values.items():
            rec[name] = float(value) if isinstance(value, int) and not isinstance(value, bool) and \
                FIELDS_BY_NAME[name]["type"] in ("currency", "percent", "double") else value
        self._automation(rec, stage_changed)
        now = self.clock()
        rec["_modified_ts"] = now
        rec["LastModifiedDate"] = rec["SystemModstamp"] = sf_datetime(now)
        self.history.append({"id": rec["Id"], "actor": actor, "before": before, "after": dict(values),
                             "at": rec["LastModifiedDate"]})

    @staticmethod
    def _automation(rec, stage_changed):
        # The standard behaviour every org runs: the stage sets probability and forecast category.
        if stage_changed:
            for name, prob, forecast in STAGES:
                if name == rec.get("StageName"):
                    rec["Probability"] = float(prob)
                    rec["ForecastCategoryName"] = forecast
                    rec["IsClosed"] = name.startswith("Closed")
                    rec["IsWon"] = name == "Closed Won"
            rec.setdefault("Probability", 0.0)
            rec.setdefault("ForecastCategoryName", "Pipeline")
            rec.setdefault("IsClosed", False)
            rec.setdefault("IsWon", False)
        amount, prob = rec.get("Amount"), rec.get("Probability")
        rec["ExpectedRevenue"] = round(amount * prob / 100.0, 2) if amount is not None and prob is not None else None


def _soql_unescape(text):
    out, i = [], 0
    escapes = {"'": "'", "\\": "\\", '"': '"', "n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            if i + 1 >= len(text) or text[i + 1] not in escapes:
                return None
            out.append(escapes[text[i + 1]])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)

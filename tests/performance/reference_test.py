#!/usr/bin/env python3
"""The performance views against an independent reference.

Drives thousands of generated requests, contacts and lifecycle commands
through the HTTP API of a real `ledger serve` (late times, out of order
across requests, some before their own submission), reads back every
request's history and every contact the API acknowledged, and computes
each figure again here from DESIGN.md's definitions, sharing no code with
the ledger. Every count, backlog, share, mean and sample size must agree
exactly, percentiles within the histogram's 1%. Then `ledger replay`
rebuilds the views and `ledger verify` checks them: the answers after the
replay must be the same bytes.

Standard library only. Usage: reference_test.py SOURCE_DIR LEDGER_BINARY
"""

import collections
import concurrent.futures
import datetime
import http.client
import json
import math
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import zoneinfo

REQUESTS = 2400
CONTACTS_ONLY = 900
WINDOW_DAYS = 60
SEED = 311
MIN_SAMPLE = 30
INTAKE_KEY = "reference-intake-key-0001"
DEPT_KEY = "reference-department-key-01"
CHANNELS = ["phone", "web", "mobile", "email", "walk_in", "letter"]
LANGUAGES = ["en", "en", "en", "es", "es", "zh", "vi", "ko"]
MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def iso(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


def parse_time(text):
    return int(datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


class Api:
    """One keep-alive connection per thread."""

    def __init__(self, port):
        self.port = port
        self.local = threading.local()

    def call(self, method, target, key, body=None):
        for attempt in range(3):
            conn = getattr(self.local, "conn", None)
            if conn is None:
                conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                headers = {"Authorization": "Bearer " + key}
                data = None
                if body is not None:
                    data = json.dumps(body).encode()
                    headers["Content-Type"] = "application/json"
                conn.request(method, target, body=data, headers=headers)
                response = conn.getresponse()
                text = response.read().decode()
                return response.status, text
            except (ConnectionError, http.client.HTTPException):
                conn.close()
                self.local.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def json(self, method, target, key=DEPT_KEY, body=None, expect=(200,)):
        status, text = self.call(method, target, key, body)
        if status not in expect:
            fail("%s %s answered %d: %s" % (method, target, status, text[:400]))
        return status, (json.loads(text) if text else None)


def write_settings(directory, source_dir, port, sla_interval_ms, name="ledger.toml"):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(
            '[server]\nhost = "127.0.0.1"\nport = %d\nthreads = 4\n'
            '[storage]\ndata_dir = "%s"\n'
            '[catalog]\npath = "%s"\n'
            '[sla]\ncheck_interval_ms = %d\n'
            '[performance]\nmin_sample = %d\n'
            '[[api_keys]]\nkey = "%s"\nname = "intake"\nrole = "intake"\n'
            '[[api_keys]]\nkey = "%s"\nname = "department"\nrole = "department"\n'
            % (port, os.path.join(directory, "data"), os.path.join(source_dir, "config", "catalog.toml"),
               sla_interval_ms, MIN_SAMPLE, INTAKE_KEY, DEPT_KEY))
    return path


def start_server(ledger, settings, port):
    process = subprocess.Popen([ledger, "serve", "--config", settings], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        if process.poll() is not None:
            fail("ledger serve exited: " + process.stderr.read().decode()[-2000:])
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.1)
    fail("ledger serve did not listen within 60 s")


def stop_server(process):
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        fail("ledger serve did not stop on SIGTERM")


def attributes_for(service):
    values = {}
    for a in service["attributes"]:
        if not a["required"]:
            continue
        kind = a["type"]
        values[a["code"]] = {"string": "x", "text": "x", "number": 1, "integer": 1, "boolean": True,
                             "date": "2026-01-05", "singlevaluelist": (a["values"] or ["x"])[0],
                             "multivaluelist": (a["values"] or ["x"])[:1]}.get(kind, "x")
    return values


# --- traffic -------------------------------------------------------------------------------------

class Traffic:
    def __init__(self, api, catalog, now_ms):
        self.api = api
        self.rng = random.Random(SEED)
        self.now_ms = now_ms
        self.services = [s for s in catalog["services"]]
        self.internal = [d["code"] for d in catalog["departments"] if not d["external"]]
        self.external = [d["code"] for d in catalog["departments"] if d["external"]]
        self.submitted = []  # request ids, for duplicates and linked contacts
        self.lock = threading.Lock()
        self.contacts = []  # contact.received events as acknowledged
        self.refused = collections.Counter()

    def clip(self, ms):
        return min(ms, self.now_ms - MINUTE)

    def plan(self, i):
        """The commands of request i, as (key, body) after the submission."""
        rng = random.Random(SEED * 100_003 + i)
        t0 = self.now_ms - rng.randrange(WINDOW_DAYS * DAY)
        service = rng.choice(self.services)
        body = {"service_code": service["code"], "description": "generated %d" % i,
                "location": {"address": "%d Main St" % i}, "attributes": attributes_for(service),
                "occurred_at": iso(t0)}
        if rng.random() < 0.85:
            body["location"]["zip"] = rng.choice(["20850", "20851", "20852", "20853", "20901", "20902"])
        steps = []
        t = t0

        def later(lo_ms, hi_ms):
            nonlocal t
            t = self.clip(t + rng.randrange(lo_ms, hi_ms))
            # Some events carry a time before the one before them (late entry).
            return self.clip(t - rng.randrange(0, 6 * HOUR)) if rng.random() < 0.05 else t

        def key():
            return INTAKE_KEY if rng.random() < 0.15 else DEPT_KEY

        if rng.random() < 0.6:
            steps.append((key(), {"command": "assign", "assignee": "crew %d" % rng.randrange(9)}, later(MINUTE, 2 * DAY)))
        if rng.random() < 0.5:
            steps.append((key(), {"command": "change_status", "status": rng.choice(["acknowledged", "in_progress"])},
                          later(MINUTE, DAY)))
        if rng.random() < 0.3:
            steps.append((key(), {"command": "add_note", "visibility": rng.choice(["public", "internal"]),
                                  "text": "looked at it"}, later(MINUTE, DAY)))
        for _ in range(rng.choice([0, 0, 0, 1, 1, 2])):
            steps.append((DEPT_KEY, {"command": "route", "to_department": rng.choice(self.internal),
                                     "reason": "wrong department"}, later(MINUTE, 3 * DAY)))
        if rng.random() < 0.1:  # reclassified, sometimes to another department than the service's
            route = {"command": "route", "to_service": rng.choice(self.services)["code"], "reason": "reclassified"}
            if rng.random() < 0.3:
                route["to_department"] = rng.choice(self.internal)
            steps.append((DEPT_KEY, route, later(MINUTE, 3 * DAY)))
        if rng.random() < 0.05:
            steps.append((DEPT_KEY, {"command": "mark_duplicate", "parent_id": None}, later(MINUTE, DAY)))
        end = rng.random()
        if end < 0.05:
            steps.append((DEPT_KEY, {"command": "transfer_external", "agency": rng.choice(self.external),
                                     "reason": "state road"}, later(HOUR, 3 * DAY)))
        elif end < 0.35:
            steps.append((DEPT_KEY, {"command": "resolve", "resolution_code": "fixed"}, later(HOUR, 5 * DAY)))
            if rng.random() < 0.6:
                steps.append((DEPT_KEY, {"command": "close", "resolution_code": "fixed"}, later(MINUTE, 2 * DAY)))
        elif end < 0.9:
            close_at = later(HOUR, 9 * DAY)
            if rng.random() < 0.03:
                close_at = t0 - rng.randrange(HOUR, 3 * DAY)  # a dirty record: closed before submitted
            steps.append((DEPT_KEY, {"command": "close", "resolution_code": "fixed"}, close_at))
        if steps and steps[-1][1]["command"] in ("close", "transfer_external") and rng.random() < 0.15:
            steps.append((DEPT_KEY, {"command": "reopen", "reason": "still there"}, later(HOUR, 3 * DAY)))
            if rng.random() < 0.7:
                steps.append((DEPT_KEY, {"command": "close", "resolution_code": "fixed"}, later(HOUR, 4 * DAY)))
        if any(s[1]["command"] == "close" for s in steps) and rng.random() < 0.3:
            steps.append((INTAKE_KEY, {"command": "record_survey", "score": rng.randint(1, 5)}, later(HOUR, 2 * DAY)))
        via_contact = rng.random() < 0.4
        return body, steps, via_contact, rng

    def run_request(self, i):
        body, steps, via_contact, rng = self.plan(i)
        if via_contact:
            contact = self.contact_body(rng, parse_time(body["occurred_at"]))
            contact["outcome"] = "created_request"
            contact["abandoned"] = False
            contact["request"] = {k: v for k, v in body.items() if k != "occurred_at"}
            _, answer = self.api.json("POST", "/v1/contacts", INTAKE_KEY, contact, expect=(201,))
            self.keep_contact(answer)
        else:
            body["channel"] = rng.choice(CHANNELS)
            _, answer = self.api.json("POST", "/v1/requests", INTAKE_KEY, body, expect=(201,))
        request_id = answer["request"]["id"]
        with self.lock:
            self.submitted.append(request_id)
        for key, command, at in steps:
            command = dict(command)
            if command["command"] == "mark_duplicate":
                with self.lock:
                    others = [r for r in self.submitted if r != request_id]
                if not others:
                    continue
                command["parent_id"] = rng.choice(others)
            command["occurred_at"] = iso(at)
            status, text = self.api.call("POST", "/v1/requests/%s/events" % request_id, key, command)
            if status == 200:
                continue
            if status == 409 or (status in (400, 404) and command["command"] == "mark_duplicate"):
                with self.lock:
                    self.refused[command["command"]] += 1
                continue
            fail("command %s on %s answered %d: %s" % (command, request_id, status, text[:300]))
        return request_id

    def contact_body(self, rng, at_ms):
        body = {"channel": rng.choice(CHANNELS), "language": rng.choice(LANGUAGES), "agent": "ana",
                "occurred_at": iso(at_ms)}
        if rng.random() < 0.8:
            body["wait_seconds"] = rng.randrange(0, 600)
        if rng.random() < 0.9:
            body["handle_seconds"] = rng.randrange(10, 1200)
        return body

    def run_contact(self, i):
        rng = random.Random(SEED * 7_000_003 + i)
        body = self.contact_body(rng, self.now_ms - rng.randrange(WINDOW_DAYS * DAY))
        kind = rng.random()
        if kind < 0.2:
            body["abandoned"] = True
            body["outcome"] = "abandoned"
            body.pop("handle_seconds", None)
        elif kind < 0.45:
            with self.lock:
                linked = rng.choice(self.submitted) if self.submitted else None
            if linked is None:
                body["outcome"] = "information"
            else:
                body["outcome"] = "linked_to_request"
                body["request_id"] = linked
        else:
            body["outcome"] = rng.choice(["information", "referred", "transferred_agency"])
            if body["outcome"] == "referred":
                body["referred_to"] = "state DMV"
        _, answer = self.api.json("POST", "/v1/contacts", INTAKE_KEY, body, expect=(201,))
        self.keep_contact(answer)

    def keep_contact(self, answer):
        for item in answer["events"]:
            if item["event"]["type"] == "gov311.contact.received.v1":
                with self.lock:
                    self.contacts.append(item["event"])


# --- the reference -------------------------------------------------------------------------------

def new_figures():
    return {"opened": 0, "closed": 0, "closed_duplicate": 0, "reopened": 0, "transferred_in": 0,
            "transferred_out": 0, "backlog_change": 0, "sla_met": 0, "sla_counted": 0,
            "sla_without_deadline": 0, "breached": 0, "surveys": 0, "score_sum": 0, "score_4_or_5": 0,
            "handoffs": 0, "closed_after_handoff": 0, "time_to_close": [], "first_response": []}


def merge(into, other):
    for k, v in other.items():
        into[k] = into[k] + v


class Reference:
    """DESIGN.md's "Department performance", folded from the histories."""

    def __init__(self, zone):
        self.zone = zoneinfo.ZoneInfo(zone)
        self.rows = {d: collections.defaultdict(new_figures) for d in ("department", "service", "area")}
        self.channels = collections.defaultdict(lambda: {
            "contacts": 0, "waited": 0, "wait_ms": 0, "answered": 0, "handled": 0, "handle_ms": 0,
            "abandoned": 0, "information_only": 0, "requests_created": 0, "languages": collections.Counter()})

    def day(self, ms):
        return datetime.datetime.fromtimestamp(ms / 1000, self.zone).date().isoformat()

    def add(self, request, department, day, dimensions=("department", "service", "area"), **changes):
        names = {"department": department, "service": request["service"], "area": request["area"]}
        for dimension, name in ((d, names[d]) for d in dimensions):
            row = self.rows[dimension][(name, day)]
            for k, v in changes.items():
                row[k] = row[k] + v

    def fold_request(self, history):
        r = None
        for e in history:
            t = parse_time(e["time"])
            data = e.get("data", {})
            kind = e["type"].split(".")[-2]  # gov311.request.closed.v1 -> closed
            day = self.day(t)
            if kind == "submitted":
                location = data.get("location") or {}
                r = {"department": data["department"], "submitter": e.get("actor"), "submitted": t,
                     "deadline": parse_time(data["sla_deadline"]) if data.get("sla_deadline") else None,
                     "held": True, "responded": False, "duplicate": False, "routes": 0,
                     "service": data["service_code"], "area": location.get("zip") or "unknown"}
                self.add(r, r["department"], day, opened=1, backlog_change=1)
                self.channels[(e.get("channel") or "unknown", day)]["requests_created"] += 1
                continue
            held = 1 if r["held"] else 0
            if kind == "routed":
                # Between departments: every view. To another service inside one: the service views.
                to, to_service = data["to_department"], data.get("to_service", r["service"])
                if to == r["department"] and to_service == r["service"]:
                    continue
                views = ("department", "service", "area") if to != r["department"] else ("service",)
                self.add(r, r["department"], day, views, transferred_out=1, backlog_change=-held)
                if to != r["department"]:
                    r["department"] = to
                    r["routes"] += 1
                if to_service != r["service"]:
                    r["service"] = to_service
                    r["deadline"] = parse_time(data["sla_deadline"])
                self.add(r, r["department"], day, views, transferred_in=1, backlog_change=held)
            elif kind == "transferred_external":
                self.add(r, r["department"], day, transferred_out=1, backlog_change=-held)
                r["held"] = False
            elif kind == "closed":
                changes = {"closed": 1, "closed_duplicate": 1 if r["duplicate"] else 0,
                           "handoffs": r["routes"], "closed_after_handoff": 1 if r["routes"] else 0,
                           "backlog_change": -held}
                if t >= r["submitted"]:
                    changes["time_to_close"] = [t - r["submitted"]]
                if r["deadline"] is None:
                    changes["sla_without_deadline"] = 1
                else:
                    changes["sla_counted"] = 1
                    changes["sla_met"] = 1 if t <= r["deadline"] else 0
                self.add(r, r["department"], day, **changes)
                r["held"] = False
            elif kind == "reopened":
                self.add(r, r["department"], day, reopened=1, backlog_change=1 - held)
                r["held"] = True
            elif kind == "answered":  # survey.answered
                score = data["score"]
                self.add(r, r["department"], day, surveys=1, score_sum=score, score_4_or_5=1 if score >= 4 else 0)
            elif kind == "duplicate_marked":
                r["duplicate"] = True
            elif kind == "breached":  # sla.breached
                self.add(r, r["department"], day, breached=1)
            response = kind in ("status_changed", "assigned") or (kind == "note_added" and data.get("visibility") == "public")
            if response and not r["responded"] and e.get("actor") != r["submitter"]:
                r["responded"] = True
                if t >= r["submitted"]:
                    self.add(r, r["department"], day, first_response=[t - r["submitted"]])

    def fold_contact(self, e):
        data = e["data"]
        c = self.channels[(data.get("channel") or "unknown", self.day(parse_time(e["time"])))]
        c["contacts"] += 1
        if "wait_seconds" in data:
            c["waited"] += 1
            c["wait_ms"] += round(data["wait_seconds"] * 1000)
        if data.get("abandoned") is True:
            c["abandoned"] += 1
        else:
            c["answered"] += 1
            if "handle_seconds" in data:
                c["handled"] += 1
                c["handle_ms"] += round(data["handle_seconds"] * 1000)
            if data.get("outcome") not in ("created_request", "linked_to_request"):
                c["information_only"] += 1
        c["languages"][data.get("language") or "unknown"] += 1


def nearest_rank(values, q):
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def expected_cells(f, backlog):
    def share(a, b):
        return None if b == 0 else a / b

    low = []

    def sample(name, n):
        if n < MIN_SAMPLE:
            low.append(name)
        return n

    cells = {"opened": f["opened"], "closed": f["closed"], "closed_duplicate": f["closed_duplicate"],
             "backlog": backlog, "reopened": f["reopened"], "reopen_rate": share(f["reopened"], f["closed"]),
             "reopen_rate_sample": sample("reopen_rate", f["closed"]),
             "transferred_in": f["transferred_in"], "transferred_out": f["transferred_out"]}
    for name in ("time_to_close", "first_response"):
        values = f[name]
        cells[name + "_p50_seconds"] = nearest_rank(values, 0.5) / 1000 if values else None
        cells[name + "_p90_seconds"] = nearest_rank(values, 0.9) / 1000 if values else None
        cells[name + "_sample"] = sample(name, len(values))
    cells.update({"sla_met": f["sla_met"], "sla_met_share": share(f["sla_met"], f["sla_counted"]),
                  "sla_met_share_sample": sample("sla_met_share", f["sla_counted"]),
                  "sla_without_deadline": f["sla_without_deadline"], "breached": f["breached"],
                  "satisfaction_mean": share(f["score_sum"], f["surveys"]),
                  "satisfaction_share_4_or_5": share(f["score_4_or_5"], f["surveys"]),
                  "satisfaction_sample": sample("satisfaction", f["surveys"]),
                  "handoffs_per_close": share(f["handoffs"], f["closed"]),
                  "closed_after_handoff_share": share(f["closed_after_handoff"], f["closed"]),
                  "handoffs_sample": sample("handoffs", f["closed"])})
    cells["low_sample"] = low
    return cells


def expected_channel(c, all_created):
    low = []

    def sample(name, n):
        if n < MIN_SAMPLE:
            low.append(name)
        return n

    cells = {"contacts": c["contacts"],
             "wait_average_seconds": c["wait_ms"] / c["waited"] / 1000 if c["waited"] else None,
             "wait_sample": sample("wait", c["waited"]),
             "handle_average_seconds": c["handle_ms"] / c["handled"] / 1000 if c["handled"] else None,
             "handle_sample": sample("handle", c["handled"]),
             "abandoned": c["abandoned"],
             "abandoned_share": c["abandoned"] / c["contacts"] if c["contacts"] else None,
             "abandoned_share_sample": sample("abandoned_share", c["contacts"]),
             "information_only_share": c["information_only"] / c["answered"] if c["answered"] else None,
             "information_only_share_sample": sample("information_only_share", c["answered"]),
             "requests_created": c["requests_created"],
             "requests_created_share": c["requests_created"] / all_created if all_created else None,
             "requests_created_share_sample": sample("requests_created_share", all_created),
             "languages": dict(c["languages"])}
    cells["low_sample"] = low
    return cells


class Comparison:
    def __init__(self):
        self.compared = 0
        self.mismatches = []

    def check(self, where, expected, actual):
        for name, want in expected.items():
            got = actual.get(name, "<missing>")
            self.compared += 1
            if name.endswith(("_p50_seconds", "_p90_seconds")) and want is not None and isinstance(got, (int, float)):
                ok = abs(got - want) <= 0.01 * want + 1e-9
            elif isinstance(want, float) and isinstance(got, (int, float)):
                ok = abs(got - want) <= 1e-9 * max(1.0, abs(want))
            else:
                ok = got == want
            if not ok:
                self.mismatches.append("%s %s: expected %r, the ledger says %r" % (where, name, want, got))


def wait_for_timer(api):
    """Until the SLA timer's pass at start is done and projected."""
    last, steady = None, 0
    deadline = time.time() + 120
    while time.time() < deadline:
        _, health = api.json("GET", "/healthz")
        now = (health["sla_timer"]["breaches_recorded"], health["projections"]["lag_events"])
        steady = steady + 1 if now == last and now[1] == 0 else 0
        if steady >= 3:
            return now[0]
        last = now
        time.sleep(0.3)
    fail("the SLA timer did not settle within 120 s")


def canonical(text):
    """An answer without overdue_now, which moves with the clock."""
    body = json.loads(text)
    body.pop("overdue_now", None)
    for row in body.get("rows", []):
        row.pop("overdue_now", None)
    return json.dumps(body, sort_keys=True)


def total(rows):
    merged = collections.defaultdict(new_figures)
    for (name, day), f in rows.items():
        merge(merged[name], f)
    return merged


def main():
    if len(sys.argv) != 3:
        fail("usage: reference_test.py SOURCE_DIR LEDGER_BINARY")
    source_dir, ledger = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="ledger-reference-") as directory:
        port = free_port()
        # The timer looks once at start, then not for an hour: the deadlines
        # of the traffic are recorded at a restart, and none while comparing.
        settings = write_settings(directory, source_dir, port, 3_600_000)
        quiet = write_settings(directory, source_dir, port, 0, "quiet.toml")
        server = start_server(ledger, settings, port)
        api = Api(port)
        try:
            _, catalog = api.json("GET", "/v1/catalog")
            now_ms = int(time.time() * 1000)
            traffic = Traffic(api, catalog, now_ms)
            started = time.time()
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                ids = list(pool.map(traffic.run_request, range(REQUESTS)))
                list(pool.map(traffic.run_contact, range(CONTACTS_ONLY)))
            print("traffic: %d requests, %d contacts in %.1f s; refused as conflicts: %s" % (
                len(ids), len(traffic.contacts), time.time() - started, dict(traffic.refused)))
            stop_server(server)
            server = start_server(ledger, settings, port)
            breaches = wait_for_timer(api)
            if breaches < REQUESTS // 10:
                fail("the SLA timer recorded only %d breaches" % breaches)

            reference = Reference(catalog["center"]["time_zone"])
            events = reclassified = 0
            for request_id in ids:
                _, history = api.json("GET", "/v1/requests/%s/history" % request_id)
                events += len(history["events"])
                reclassified += sum(1 for e in history["events"] if "to_service" in e.get("data", {}))
                reference.fold_request(history["events"])
            for contact in traffic.contacts:
                reference.fold_contact(contact)
            if reclassified < REQUESTS // 20:
                fail("only %d requests were routed to another service" % reclassified)
            print("reference: folded %d request events (%d breaches, %d routes to another service) and %d contacts" % (
                events, breaches, reclassified, len(traffic.contacts)))

            days = sorted({day for (name, day) in reference.rows["department"]} |
                          {day for (name, day) in reference.channels})
            first, last = days[0], days[-1]
            answers = {}
            comparison = Comparison()

            # Each department, day by day, with its backlog at the end of each day.
            departments = sorted({name for (name, day) in reference.rows["department"]})
            for department in departments:
                target = "/v1/departments/%s/performance?from=%s&to=%s&granularity=day" % (department, first, last)
                status, text = api.call("GET", target, DEPT_KEY)
                if status != 200:
                    fail("%s answered %d: %s" % (target, status, text[:300]))
                answers[target] = canonical(text)
                backlog = 0
                for period in json.loads(text)["periods"]:
                    f = reference.rows["department"].get((department, period["start"]), new_figures())
                    backlog += f["backlog_change"]
                    comparison.check("%s %s" % (department, period["start"]), expected_cells(f, backlog), period)

            # The side-by-side tables over the whole range, by department, service and area.
            for dimension, key in (("department", "department"), ("service", "service_code"), ("area", "area")):
                target = "/v1/performance?by=%s&from=%s&to=%s" % (dimension, first, last)
                status, text = api.call("GET", target, DEPT_KEY)
                if status != 200:
                    fail("%s answered %d: %s" % (target, status, text[:300]))
                table = json.loads(text)
                answers[target] = canonical(text)
                merged = total(reference.rows[dimension])
                backlogs = collections.Counter()
                for (name, day), f in reference.rows[dimension].items():
                    backlogs[name] += f["backlog_change"]
                seen = set()
                for row in table["rows"]:
                    name = row[key]
                    seen.add(name)
                    comparison.check("by %s %s" % (dimension, name),
                                     expected_cells(merged.get(name, new_figures()), backlogs[name]), row)
                missing = set(merged) - seen
                if missing:
                    comparison.mismatches.append("by %s: rows missing for %s" % (dimension, sorted(missing)))

            # The channels over the whole range, and one day of them.
            for lo, hi in ((first, last), (days[len(days) // 2], days[len(days) // 2])):
                target = "/v1/channels/stats?from=%s&to=%s" % (lo, hi)
                status, text = api.call("GET", target, DEPT_KEY)
                if status != 200:
                    fail("%s answered %d: %s" % (target, status, text[:300]))
                stats = json.loads(text)
                answers[target] = canonical(text)
                merged = {}
                for (channel, day), c in reference.channels.items():
                    if lo <= day <= hi:
                        m = merged.setdefault(channel, {k: (collections.Counter() if k == "languages" else 0) for k in c})
                        for k, v in c.items():
                            m[k] = m[k] + v
                all_created = sum(c["requests_created"] for c in merged.values())
                got = {row["channel"]: row for row in stats["channels"]}
                if set(got) != set(merged):
                    comparison.mismatches.append("channels %s..%s: %s vs %s" % (lo, hi, sorted(got), sorted(merged)))
                for channel, c in merged.items():
                    comparison.check("channel %s %s..%s" % (channel, lo, hi), expected_channel(c, all_created),
                                     got.get(channel, {}))

            print("compared %d figures over %d days (%s to %s)" % (comparison.compared, len(days), first, last))
            if comparison.mismatches:
                for line in comparison.mismatches[:40]:
                    print("  " + line, file=sys.stderr)
                fail("%d figures differ from the reference" % len(comparison.mismatches))
        finally:
            stop_server(server)

        # The views rebuilt from the log answer the same bytes; verify agrees.
        verify = subprocess.run([ledger, "verify", "--config", settings], capture_output=True, text=True)
        if verify.returncode != 0:
            fail("ledger verify: %s %s" % (verify.stdout, verify.stderr))
        replay = subprocess.run([ledger, "replay", "--config", settings], capture_output=True, text=True)
        if replay.returncode != 0:
            fail("ledger replay: %s %s" % (replay.stdout, replay.stderr))
        server = start_server(ledger, quiet, port)
        api = Api(port)
        try:
            for target, before in answers.items():
                status, text = api.call("GET", target, DEPT_KEY)
                if status != 200 or canonical(text) != before:
                    fail("%s answers differently after `ledger replay`" % target)
        finally:
            stop_server(server)
        print("ok: every figure agrees with the reference; replay answers the same, verify agrees")


if __name__ == "__main__":
    main()

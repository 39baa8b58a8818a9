#!/usr/bin/env python3
"""Stream freshness: how long after a request is appended an SSE client of
GET /v1/performance/stream receives the change of its department-day.

Every INTERVAL seconds it submits one pothole (DOT) dated on a day nothing
else touches (2000-01-01, then 30 days later, ...: its SLA breach, 72
business hours later, lands between two probes' days), so the first record of
subject DOT/<that day> on the stream is that request's change; the time
from sending the POST to receiving that record is one sample (an upper
bound of append -> receive: it includes the append). Run it beside a load
(bench/run paces wrk at 5,000 POST/s) to see freshness under traffic.

  bench/freshness.py URL API_KEY [--probes 200] [--interval 0.1]

Prints: freshness n=N p50 X ms p99 Y ms max Z ms missing M
Standard library only.
"""
import argparse
import datetime
import http.client
import json
import math
import sys
import threading
import time
import urllib.parse


def stream_reader(url, key, received, ready, stop):
    """Reads the performance stream from its end; notes when each subject first arrives."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    conn.request("GET", "/v1/performance/stream", headers={"Authorization": "Bearer " + key})
    response = conn.getresponse()
    if response.status != 200:
        print("freshness: the stream answered %d: %s" % (response.status, response.read()[:300]), file=sys.stderr)
        ready.set()
        return
    ready.set()
    while not stop.is_set():
        line = response.readline()
        if not line:
            return
        if line.startswith(b"data: "):
            at = time.monotonic()
            subject = json.loads(line[6:]).get("subject", "")
            received.setdefault(subject, at)


def nearest_rank(values, q):
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("key")
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--interval", type=float, default=0.1)
    args = parser.parse_args()

    received, ready, stop = {}, threading.Event(), threading.Event()
    reader = threading.Thread(target=stream_reader, args=(args.url, args.key, received, ready, stop), daemon=True)
    reader.start()
    ready.wait(10)
    time.sleep(0.5)  # the stream's reader is at the topic's end

    u = urllib.parse.urlsplit(args.url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    sent = {}
    first_day = datetime.date(2000, 1, 1)
    for i in range(args.probes):
        day = first_day + datetime.timedelta(days=30 * i)
        body = {"service_code": "pothole", "description": "freshness probe %d" % i,
                "location": {"address": "%d Probe St" % i}, "occurred_at": "%sT17:00:00Z" % day.isoformat()}
        started = time.monotonic()
        conn.request("POST", "/v1/requests", body=json.dumps(body),
                     headers={"Authorization": "Bearer " + args.key, "Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        if response.status != 201:
            print("freshness: POST answered %d" % response.status, file=sys.stderr)
            return 1
        sent["DOT/" + day.isoformat()] = started
        time.sleep(max(0.0, args.interval - (time.monotonic() - started)))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(s not in received for s in sent):
        time.sleep(0.05)
    stop.set()
    latencies = [(received[s] - t) * 1000 for s, t in sent.items() if s in received]
    missing = len(sent) - len(latencies)
    if not latencies:
        print("freshness: no change arrived on the stream (missing %d)" % missing, file=sys.stderr)
        return 1
    print("freshness n=%d p50 %.1f ms p99 %.1f ms max %.1f ms missing %d" % (
        len(latencies), nearest_rank(latencies, 0.5), nearest_rank(latencies, 0.99), max(latencies), missing))
    return 0 if missing == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Runs the README's "Five minutes with curl" walk-through as written.

The server is started the way a user starts it, with scripts/run (extra
arguments: a free port and a temporary data directory). Every command of
the section's sh blocks is run in order by bash, with two adaptations a
reader makes too: B names the test's port, ID is the id the first response
gave, and `build/ledger` commands read the temporary data directory. Each
command must succeed; every `# {...}` line after a command is the answer it
must print (the README's example id replaced by the real one); the history's
`# N type hash ... prevhash ...` lines must match the stored chain. Finally
every build/ path the README or the scripts name must exist.

Usage: walkthrough_test.py SOURCE_DIR BUILD_DIR BUILD_TYPE
"""
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

SOURCE, BUILD, BUILD_TYPE = sys.argv[1], sys.argv[2], sys.argv[3]
README = os.path.join(SOURCE, "README.md")
README_ID = "SR-0CNACZGB3TTH8"
failures = []


def fail(message):
    failures.append(message)
    print("FAIL: " + message, flush=True)


def section(text, heading):
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start:] if end < 0 else text[start:end]


def commands_with_expectations(markdown):
    """[(command, [expected comment lines])] from the sh blocks, in order."""
    steps = []
    for block in re.findall(r"```sh\n(.*?)```", markdown, re.S):
        pending = ""
        for line in block.splitlines():
            if not pending and (not line.strip() or line.lstrip().startswith("#")):
                if steps and line.lstrip().startswith("#"):
                    steps[-1][1].append(line.lstrip()[1:].strip())
                continue
            pending += line + "\n"
            # A command ends where its single quotes are balanced.
            if pending.count("'") % 2 == 0 and not line.endswith("\\"):
                steps.append((pending.rstrip("\n"), []))
                pending = ""
        if pending:
            fail("unterminated command in README: " + pending)
    return steps


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(port, process, deadline_s=600):
    # scripts/run installs and builds first; on an up-to-date tree that is quick.
    deadline = time.time() + deadline_s
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit("scripts/run exited with %d before serving" % process.returncode)
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("scripts/run did not serve within %d s" % deadline_s)


def strip_comment(command):
    # "ID=SR-...        # the id from your response" -> "ID=SR-..."
    return re.sub(r"\s+#[^'\"]*$", "", command)


def check_history(output, expectations, step):
    rows = [re.match(r"(\d+) (\S+)\s+hash (\w+)…(?:\s+prevhash (\w+)…)?", e) for e in expectations]
    if not all(rows):
        return False
    events = json.loads(output)["events"]
    if len(events) != len(rows):
        fail("%s: history has %d events, the README shows %d" % (step, len(events), len(rows)))
        return True
    for event, row in zip(events, rows):
        if event["sequence"] != int(row[1]) or event["type"] != row[2]:
            fail("%s: event %s is %s, the README shows %s %s" % (step, event["sequence"], event["type"], row[1], row[2]))
        if row[4] is not None and event.get("prevhash") != events[event["sequence"] - 2]["hash"]:
            fail("%s: event %s does not chain to the one before it" % (step, event["sequence"]))
    return True


def main():
    text = open(README, encoding="utf-8").read()
    walk = section(text, "## Five minutes with curl")
    steps = commands_with_expectations(walk)
    if len(steps) < 10:
        fail("found only %d commands in the walk-through" % len(steps))

    port = free_port()
    data = tempfile.mkdtemp(prefix="readme-walk-")
    env = dict(os.environ, BUILD_DIR=BUILD, BUILD_TYPE=BUILD_TYPE)
    server = subprocess.Popen(
        [os.path.join(SOURCE, "scripts/run"), "--port", str(port), "--data-dir", data],
        cwd=SOURCE, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    try:
        wait_healthy(port, server)
        shell_env = dict(os.environ)
        real_id = None
        for number, (command, expected) in enumerate(steps, 1):
            step = "command %d (%s)" % (number, command.splitlines()[0][:60])
            assignment = re.match(r"^(\w+)=(.*)$", strip_comment(command), re.S)
            if assignment:
                name, value = assignment[1], assignment[2]
                if name == "B":
                    value = "http://127.0.0.1:%d" % port
                elif name == "ID":
                    if real_id is None:
                        fail("%s: no request id from an earlier answer" % step)
                    value = real_id or ""
                else:
                    value = shlex.split(value)[0]
                shell_env[name] = value
                continue
            if command.startswith("build/ledger "):
                command = os.path.join(BUILD, "ledger") + command[len("build/ledger"):]
                command = strip_comment(command) + " --data-dir " + shlex.quote(data)
            result = subprocess.run(["bash", "-c", command], cwd=SOURCE, env=shell_env,
                                    capture_output=True, text=True, timeout=60)
            if result.returncode != 0:
                fail("%s: exit %d: %s" % (step, result.returncode, result.stderr.strip()))
                continue
            output = result.stdout.strip()
            if command.startswith("curl"):
                try:
                    answer = json.loads(output)
                except ValueError:
                    fail("%s: answer is not JSON: %r" % (step, output[:200]))
                    continue
                if real_id is None and "request" in answer:
                    real_id = answer["request"]["id"]
                    request = answer["request"]
                    for key, want in (("status", "open"), ("department", "DOT"), ("version", 1)):
                        if request.get(key) != want:
                            fail("%s: request %s is %r, the README says %r" % (step, key, request.get(key), want))
                    if not request.get("sla_deadline") or not answer.get("contact_id"):
                        fail("%s: no sla_deadline or contact_id in %s" % (step, output[:300]))
                    if answer.get("position", {}).get("topic") != "311.requests":
                        fail("%s: position is %r" % (step, answer.get("position")))
            if expected and not check_history(output, expected, step):
                for line in expected:
                    if not line.startswith("{"):
                        continue
                    want = json.loads(line.replace(README_ID, real_id or README_ID))
                    if json.loads(output) != want:
                        fail("%s: answered %s, the README shows %s" % (step, output, json.dumps(want)))
            if "tail --topic" in command and not output:
                fail("%s: printed nothing" % step)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            fail("scripts/run's server did not stop on SIGTERM")
        subprocess.run(["rm", "-rf", data])

    # Every build/ path that README and scripts name is made by a build.
    named = set()
    for path in [README] + [os.path.join(SOURCE, "scripts", f) for f in os.listdir(os.path.join(SOURCE, "scripts"))]:
        if os.path.isfile(path):
            named |= set(re.findall(r"(?:^|[\s`(])build/([A-Za-z0-9_./-]*[A-Za-z0-9_])", open(path, encoding="utf-8").read()))
    for rel in sorted(named):
        if not os.path.exists(os.path.join(BUILD, rel)):
            fail("README or scripts name build/%s, which a build does not make" % rel)

    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("walk-through: %d commands as the README shows them" % len(steps))
    return 0


sys.exit(main())

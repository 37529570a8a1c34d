#!/usr/bin/env python3
"""The end of scripts/test: the time of each stage, each ctest test and each
label (a test counts under every label it has), the assertions each test
program counted ("assertions: N", printed by harness.py and
tracker_fixture.h), and one line per skipped test with its reason (a line
"SKIPPED: ..." the test printed, or ctest's own word).

Usage: summary.py --stages FILE [--total SECONDS] [--junit STAGE:JUNIT.xml ...]
  FILE     lines "stage<TAB>seconds<TAB>exit code" (or "stage<TAB>-<TAB>why skipped")
  JUNIT    ctest --output-junit of one build folder (labels from ctest --show-only there)
Exits 1 when a junit file is missing or unreadable (a stage that did not run its tests).
"""
import argparse
import collections
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET


def labels_of(build):
    """test name -> labels, from `ctest --show-only=json-v1` in the build folder."""
    try:
        out = subprocess.run(["ctest", "--show-only=json-v1"], cwd=build, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, timeout=120).stdout
        data = json.loads(out)
    except (OSError, ValueError, subprocess.SubprocessError):
        return {}
    labels = {}
    for t in data.get("tests", []):
        for p in t.get("properties", []):
            if p.get("name") == "LABELS":
                labels[t["name"]] = list(p.get("value") or [])
        labels.setdefault(t["name"], [])
    return labels


def read_junit(path):
    """[(name, seconds, status, output)] from ctest's JUnit file."""
    root = ET.parse(path).getroot()
    tests = []
    for tc in root.iter("testcase"):
        out = "".join((e.text or "") for e in tc.iter("system-out"))
        status = tc.get("status") or "run"
        if tc.find("failure") is not None or tc.find("error") is not None:
            status = "failed"
        elif tc.find("skipped") is not None or status in ("notrun", "disabled"):
            status = "skipped"
        else:
            status = "passed" if status == "run" else status
        skipped_msg = ""
        sk = tc.find("skipped")
        if sk is not None:
            skipped_msg = sk.get("message") or ""
        tests.append((tc.get("name"), float(tc.get("time") or 0), status, out, skipped_msg))
    return tests


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stages", required=True)
    ap.add_argument("--total", type=int)
    ap.add_argument("--junit", action="append", default=[])
    a = ap.parse_args()
    status = 0
    print()
    print("== dnsmon test summary")
    print("%-16s %8s  %s" % ("stage", "seconds", "result"))
    skipped = []
    with open(a.stages) as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3:
                continue
            name, secs, rc = parts[:3]
            if secs == "-":
                skipped.append((name, "stage", rc))
                print("%-16s %8s  skipped" % (name, "-"))
            else:
                print("%-16s %8s  %s" % (name, secs, "ok" if rc == "0" else "FAILED (%s)" % rc))
    if a.total is not None:
        print("%-16s %8d" % ("total", a.total))

    rows = []
    for spec in a.junit:
        stage, _, path = spec.partition(":")
        if not os.path.exists(path):
            print("summary: no %s (stage %s ran no test)" % (path, stage))
            status = 1
            continue
        try:
            tests = read_junit(path)
        except ET.ParseError as e:
            print("summary: %s: %s" % (path, e))
            status = 1
            continue
        labels = labels_of(os.path.dirname(path))
        for name, secs, st, out, msg in tests:
            m = re.findall(r"(?m)^assertions: (\d+)$", out)
            n = sum(int(x) for x in m) if m else None
            reasons = re.findall(r"(?m)^SKIPPED: (.*)$", out)
            if st == "skipped":
                skipped.append((name, stage, "; ".join(reasons) or msg or "no reason printed"))
            rows.append((stage, name, labels.get(name, []), secs, st, n))

    if rows:
        print()
        print("%-6s %-20s %-34s %9s %-8s %11s" % ("stage", "test", "labels", "seconds", "result",
                                                 "assertions"))
        for stage, name, labels, secs, st, n in rows:
            print("%-6s %-20s %-34s %9.1f %-8s %11s" % (stage, name, ",".join(labels)[:34], secs,
                                                        st, "-" if n is None else n))
        per = collections.OrderedDict()
        for stage, name, labels, secs, st, n in rows:
            for lab in labels or ["(none)"]:
                k = (stage, lab)
                s = per.setdefault(k, [0.0, 0, 0])
                s[0] += secs
                s[1] += n or 0
                s[2] += 1
        print()
        print("%-6s %-20s %9s %7s %11s" % ("stage", "label", "seconds", "tests", "assertions"))
        for (stage, lab), (secs, n, count) in sorted(per.items()):
            print("%-6s %-20s %9.1f %7d %11d" % (stage, lab, secs, count, n))
    print()
    if skipped:
        for name, stage, why in skipped:
            print("skipped: %s (%s): %s" % (name, stage, why))
    else:
        print("skipped: none")
    failed = [r for r in rows if r[4] == "failed"]
    print("%d passed, %d failed, %d skipped" % (sum(1 for r in rows if r[4] == "passed"),
                                                len(failed),
                                                sum(1 for r in rows if r[4] == "skipped")))
    return status


if __name__ == "__main__":
    sys.exit(main())

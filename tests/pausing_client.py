#!/usr/bin/env python3
"""clickhouse-client for the fault tests: passes everything to the real
clickhouse-client, but counts INSERT queries and stops at chosen ones so that
a test can break something at a known point of a load.

DNSMON_PAUSE_DIR  folder for the count of INSERTs and the markers
DNSMON_PAUSE      comma-separated before:N / after:N (the N-th INSERT, from 1)

At a pause it writes DIR/paused-N (two lines: its parent's pid, that is
dnsmon-load's, and its own) and waits until DIR/go-N exists. "before:N"
then runs the INSERT; "after:N" has already run it and exits with its status.
Without DNSMON_PAUSE_DIR, or for other queries, it is clickhouse-client.
"""
import fcntl
import os
import subprocess
import sys
import time

CLIENT = "clickhouse-client"


def main():
    args = sys.argv[1:]
    query = args[args.index("--query") + 1] if "--query" in args else ""
    folder = os.environ.get("DNSMON_PAUSE_DIR")
    if not folder or not query.startswith("INSERT"):
        os.execvp(CLIENT, [CLIENT] + args)
    with open(os.path.join(folder, "count"), "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.seek(0)
        n = int(fh.read().strip() or 0) + 1
        fh.seek(0)
        fh.truncate()
        fh.write(str(n))
    pauses = set()
    for item in os.environ.get("DNSMON_PAUSE", "").split(","):
        when, _, num = item.partition(":")
        if num.strip().isdigit():
            pauses.add((when.strip(), int(num)))

    def pause():
        marker = os.path.join(folder, "paused-%d" % n)
        with open(marker + ".tmp", "w") as fh:
            fh.write("%d\n%d\n" % (os.getppid(), os.getpid()))
        os.rename(marker + ".tmp", marker)
        while not os.path.exists(os.path.join(folder, "go-%d" % n)):
            time.sleep(0.05)

    if ("after", n) in pauses:
        data = sys.stdin.buffer.read()
        status = subprocess.run([CLIENT] + args, input=data).returncode
        pause()
        sys.exit(status)
    if ("before", n) in pauses:
        pause()
    os.execvp(CLIENT, [CLIENT] + args)


if __name__ == "__main__":
    main()

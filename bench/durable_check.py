#!/usr/bin/env python3
"""bench/durable_check.py TRACE: check from an strace of porterd that no answer
left before the write-ahead log frames its thread wrote were made durable
(bench/durability.sh makes the trace).

The trace is `strace -f -ttt -T -y -e trace=pwrite64,fdatasync,fsync,sendmsg`:
every line names the thread, the start time, the file behind each descriptor
(-y) and the time spent in the call (-T). For each thread, the pwrite64 calls
to a file whose name ends in "-wal" since its last answer (sendmsg: libmicro-
httpd writes each answer with one) are pending; an answer is good if, since
they are all written, an fdatasync or fsync of the WAL (by any thread, on any
descriptor of it) started after the last of them ended and returned before the
answer started. A request that wrote nothing has nothing pending. A sync that
returned an error covers nothing.

Attributing every WAL write since the thread's last answer to its next answer
is strict (a thread that turns to another connection between its commit and
its answer makes it wait for that one's writes too), never lenient.

Prints "answers=N with-writes=N bad=N syncs=N wal-writes=N" and exits 1 if
any answer is bad (the first few are named).
"""
import bisect
import re
import sys

LINE = re.compile(r"^(?:\[pid\s+)?(\d+)\]?\s+(\d+\.\d+)\s+(.*)$")
CALL = re.compile(r"^(\w+)\((.*)$")
RESUMED = re.compile(r"^<\.\.\. (\w+) resumed>(.*)$")
DUR = re.compile(r"<(\d+\.\d+)>\s*$")
RET = re.compile(r"\)\s+=\s+(-?\d+)")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: durable_check.py TRACE")
    started = {}      # pid -> (name, start, args) of an unfinished call
    events = []       # (start, end, pid, name, is_wal, ok)
    with open(sys.argv[1], errors="replace") as f:
        for raw in f:
            m = LINE.match(raw.rstrip("\n"))
            if not m:
                continue
            pid, ts, rest = int(m.group(1)), float(m.group(2)), m.group(3)
            r = RESUMED.match(rest)
            if r:
                if pid not in started:
                    continue
                name, start, args = started.pop(pid)
                if name != r.group(1):
                    continue
                text = args + r.group(2)
            else:
                c = CALL.match(rest)
                if not c:
                    continue
                name, text, start = c.group(1), c.group(2), ts
                if rest.endswith("<unfinished ...>"):
                    started[pid] = (name, ts, text.replace("<unfinished ...>", ""))
                    continue
            d = DUR.search(text)
            ret = RET.search(text)
            if d is None or ret is None:
                continue
            end = start + float(d.group(1))
            wal = re.search(r"^\d+<[^>]*-wal>", text) is not None
            events.append((start, end, pid, name, wal, int(ret.group(1)) >= 0))
    events.sort()
    syncs = [(s, e) for s, e, _, n, wal, ok in events if n in ("fdatasync", "fsync") and wal and ok]
    starts = [s for s, _ in syncs]

    def covered(last, answer):
        # a sync that starts at or after last and ends by answer; one that
        # starts after the answer cannot end before it
        i = bisect.bisect_left(starts, last)
        while i < len(syncs) and syncs[i][0] <= answer:
            if syncs[i][1] <= answer:
                return True
            i += 1
        return False

    pending = {}      # pid -> end of its last WAL write since its last answer
    answers = with_writes = bad = writes = 0
    shown = 0
    for s, e, pid, name, wal, ok in events:
        if name == "pwrite64" and wal:
            writes += 1
            pending[pid] = max(pending.get(pid, 0.0), e)
        elif name == "sendmsg" and ok:
            answers += 1
            last = pending.pop(pid, None)
            if last is None:
                continue
            with_writes += 1
            if not covered(last, s):
                bad += 1
                if shown < 5:
                    print("bad: thread %d answered at %.6f; its WAL writes ended at %.6f, "
                          "no sync of the WAL ran between" % (pid, s, last))
                    shown += 1
    print("answers=%d with-writes=%d bad=%d syncs=%d wal-writes=%d"
          % (answers, with_writes, bad, len(syncs), writes))
    sys.exit(1 if bad or with_writes == 0 else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""bench/group_commit.py [DIR] [SECONDS]: what group commit could buy on this
disk, without porterd or SQLite (docs/performance.md, "Durable writes").

Writer threads append commits the size of porterd's (a POST /v1/deliveries
writes 12 WAL frames of 24 + 4096 bytes: strace counts 25 pwrite64 calls per
request) to one file in DIR (default: the current directory, so run it on the
disk the database lives on), each commit under one lock as SQLite's writer
lock serialises them, then makes it durable either

  full    with fdatasync inside the lock (porterd today: synchronous=FULL)
  group   after the lock, one fdatasync at a time for every commit written
          before it began; the others wait for it (a commit is acknowledged
          only once a sync that started after its write has returned)

for 1, 2, 8 and 32 threads. Prints commits per second and fdatasync calls per
commit. The writes are not SQLite's and the file is overwritten in a 4 MiB
ring, so the figures bound what the storage allows; they are not porterd's.
"""
import os
import sys
import tempfile
import threading
import time

FRAMES = 12
FRAME = b"w" * (24 + 4096)
RING = 4 * 1024 * 1024


def run(path, mode, nthreads, secs):
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    mu = threading.Lock()
    cv = threading.Condition()
    st = {"off": 0, "written": 0, "durable": 0, "syncing": False, "n": 0, "syncs": 0}
    stop = time.monotonic() + secs

    def commit():
        with mu:
            off = st["off"]
            for _ in range(FRAMES):
                os.pwrite(fd, FRAME, off)
                off += len(FRAME)
            st["off"] = off if off < RING else 0
            if mode == "full":
                os.fdatasync(fd)
                st["syncs"] += 1
                return
            st["written"] += 1
            seen = st["written"]
        with cv:
            while st["durable"] < seen:
                if st["syncing"]:
                    cv.wait()
                    continue
                st["syncing"] = True
                target = st["written"]
                cv.release()
                try:
                    os.fdatasync(fd)
                finally:
                    cv.acquire()
                st["syncs"] += 1
                st["syncing"] = False
                st["durable"] = max(st["durable"], target)
                cv.notify_all()

    def worker():
        while time.monotonic() < stop:
            commit()
            with cv:
                st["n"] += 1

    threads = [threading.Thread(target=worker) for _ in range(nthreads)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    os.close(fd)
    os.unlink(path)
    return st["n"] / elapsed, st["syncs"] / max(st["n"], 1)


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else "."
    secs = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    path = os.path.join(tempfile.mkdtemp(dir=d), "wal")
    print("| threads | full: commits/s | syncs/commit | group: commits/s | syncs/commit |")
    print("|---:|---:|---:|---:|---:|")
    for n in (1, 2, 8, 32):
        f = run(path, "full", n, secs)
        g = run(path, "group", n, secs)
        print("| %d | %.0f | %.2f | %.0f | %.2f |" % (n, f[0], f[1], g[0], g[1]))
    os.rmdir(os.path.dirname(path))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Count test results across meson test logs and extra result files.

Every TAP check counts ("ok" / "not ok" lines); a test that failed without
reporting a failing check (a crash, a sanitizer abort, a timeout) counts as
one more failure. Extra result files hold lines "PASS name" / "FAIL name".
Prints "N passed, N failed" and exits 1 if anything failed; before it, a
line "skipped: ..." for each test that skipped as a whole (its 0 checks
count nowhere, so the line is what shows it was not run), and for each
failed test its failing checks (or, if none failed, the last lines it
printed), so that the end of a long log still says what broke.
"""
import json
import re
import sys

passed = failed = 0
failures = []
skipped = []
WHY_MAX = 6  # lines of evidence per failed test


def why(t, out):
    """The failing checks of test t, else the last lines it printed (of
    its standard output and of its standard error, 3 each)."""
    lines = [x for x in out.splitlines() if x.startswith(("not ok ", "Bail out!"))]
    more = len(lines) - WHY_MAX
    if lines:
        lines = lines[:WHY_MAX]
    else:
        half = WHY_MAX // 2
        lines = out.strip().splitlines()[-half:] + \
            (t.get("stderr") or "").strip().splitlines()[-half:]
    lines = [f"    {x[:300]}" for x in lines]
    if more > 0:
        lines.append(f"    (and {more} more failing checks)")
    return lines


for path in sys.argv[1:]:
    try:
        f = open(path, encoding="utf-8", errors="replace")
    except OSError as e:
        print(f"count: cannot read {path}: {e}", file=sys.stderr)
        failed += 1
        continue
    with f:
        if path.endswith(".json"):
            for line in f:
                if not line.strip():
                    continue
                t = json.loads(line)
                out = t.get("stdout") or ""
                ok = len(re.findall(r"^ok \d+", out, re.M))
                bad = len(re.findall(r"^not ok \d+", out, re.M))
                if t.get("result") == "SKIP":
                    skipped.append(f"{path}: {t.get('name')}")
                if t.get("result") not in ("OK", "EXPECTEDFAIL", "SKIP") and bad == 0:
                    bad = 1
                if ok + bad == 0:
                    ok = 1 if t.get("result") == "OK" else 0
                passed += ok
                failed += bad
                if bad:
                    failures.append(f"failed: {path}: {t.get('name')} ({t.get('result')})")
                    failures.extend(why(t, out))
        else:
            for line in f:
                word, _, name = line.strip().partition(" ")
                if word == "PASS":
                    passed += 1
                elif word == "FAIL":
                    failed += 1
                    failures.append(f"failed: {path}: {name}")
for x in skipped:
    print(f"skipped: {x}")
for x in failures:
    print(x)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)

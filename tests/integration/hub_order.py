#!/usr/bin/env python3
"""The order of porter-hub's system calls, for tests/integration/test_hub_order.sh.

  hub_order.py STRACE_OUT STATE_DIR

STRACE_OUT was made by

  strace -f -yy -xx -s 65536 -e trace=read,sendto,sendmsg,write,writev,
         pwrite64,fdatasync,fsync -o STRACE_OUT porter-hub ...

(-yy: every fd with its path or socket; -xx: every string in hex, so the
frames are read back byte for byte). For every answer the hub sends on a
link connection (a socket on STATE_DIR/link.sock), the request it answers
is the last frame that connection completed before it (the frames are
re-assembled from the reads: the length prefix, docs/link-protocol.md; a
frame that announces more than the cap arrives with its header, as the
hub answers it then).
Classified by the answer's type and code:

  grant     a DECISION "ok" to a PROOF: the entry's charge must be durable
            before the DECISION is sent and before the lock is told to
            unlock (the hub's `event=lock_command command=unlock` log line,
            written right after the driver call);
  counted   a DECISION or ERROR whose reason counts towards the lockout
            (docs/hub.md, "What counts"): its lockout row and events must
            be durable before the answer;
  other     nothing required (a CHALLENGE, a pairing, ERROR locked-out...).

Durable means: between the request's last byte read and the answer, a
pwrite64 to STATE_DIR/hub.db-wal, then an fdatasync of it that returned 0
(synchronous = FULL: that fdatasync is the commit), and for a grant that
fdatasync before the unlock line. One line per answer on stdout, then
`grants=G counted=C other=O bad=B`; exit 1 if B > 0.
"""
import re
import sys

HEX = re.compile(r'\\x([0-9a-f]{2})')
# pid syscall(fd<decoration>, ...
CALL = re.compile(r'^(\d+) +(?:<\.\.\. )?([a-z0-9_]+)(?: resumed>)?\((\d+)<([A-Z-]+:\[[^\]]*\]|[^>]*)>(.*)$')
RET = re.compile(r'= (-?\d+)(?: [A-Z].*)?$')
STR = re.compile(r'^, "((?:\\x[0-9a-f]{2})*)"')
DECISION, ERROR = 4, 5
FRAME_MAX = 2187	# PT_LINK_FRAME_MAX: version, type and body
NAMES = {1: 'HELLO', 2: 'CHALLENGE', 3: 'PROOF', 4: 'DECISION', 5: 'ERROR', 6: 'PAIR', 7: 'PANIC'}
# docs/hub.md, "What counts" (hub.c reason_counts): ERROR unsupported (a
# frame of another version) and locked-out do not count.
COUNTED_DECISION = {
    'malformed', 'bad-signature', 'broken-chain', 'widened-link', 'chain-too-long',
    'untrusted-root', 'not-yet-valid', 'expired', 'outside-schedule', 'wrong-home-or-lock',
    'no-entries-left', 'revoked', 'proof-too-late', 'nonce-reused', 'unsupported', 'too-large',
    'untrusted-signer', 'stale', 'replayed'}
COUNTED_ERROR = {'malformed', 'too-large'}


def unhex(s):
    return bytes(int(h, 16) for h in HEX.findall(s))


def cbor_code(body):
    """The text under key 2 of a CBOR map (DECISION and ERROR bodies), or None."""
    try:
        i = 0
        if body[i] >> 5 != 5:
            return None
        n = body[i] & 31
        i += 1
        for _ in range(n):
            k, i = item(body, i)
            v, i = item(body, i)
            if k == 2:
                return v
    except (IndexError, ValueError):
        return None
    return None


def item(b, i):
    ib = b[i]
    mt, ai = ib >> 5, ib & 31
    i += 1
    if ai < 24:
        v = ai
    elif ai in (24, 25, 26, 27):
        n = 1 << (ai - 24)
        v = int.from_bytes(b[i:i + n], 'big')
        i += n
    else:
        raise ValueError('unsupported')
    if mt in (0, 1):
        return (v if mt == 0 else -1 - v), i
    if mt in (2, 3):
        s = b[i:i + v]
        return (s.decode() if mt == 3 else s), i + v
    if mt == 4:
        for _ in range(v):
            _, i = item(b, i)
        return None, i
    if mt == 5:
        for _ in range(2 * v):
            _, i = item(b, i)
        return None, i
    raise ValueError('unsupported')


def main():
    path, state = sys.argv[1], sys.argv[2].rstrip('/')
    link, wal = state + '/link.sock', state + '/hub.db-wal'
    ev = []			# (index, kind, conn, data)
    buf = {}		# conn -> bytes read and not yet a whole frame
    with open(path, encoding='ascii', errors='replace') as f:
        for idx, line in enumerate(f):
            if 'unfinished ...>' in line:
                continue	# counted where it completes (the resumed line)
            m = CALL.match(line)
            if m is None:
                continue
            _, call, fd, deco, rest = m.groups()
            r = RET.search(rest)
            ret = int(r.group(1)) if r else -1
            where = HEX.sub(lambda h: chr(int(h.group(1), 16)), deco)
            if where.startswith('UNIX-STREAM:[') and where.endswith('"' + link + '"]'):
                conn = deco.split(',')[0]	# the socket's inodes: one connection
                s = STR.match(rest)
                data = unhex(s.group(1)) if s else b''
                if call == 'read' and ret > 0:
                    b = buf.get(conn, b'') + data[:ret]
                    while len(b) >= 2:
                        n = 2 + int.from_bytes(b[:2], 'big')
                        if n > 2 + FRAME_MAX:
                            # answered too-large from its length: the
                            # hub reads no more of it
                            ev.append((idx, 'in', conn, b[:2]))
                            b = b''
                            break
                        if len(b) < n:
                            break
                        ev.append((idx, 'in', conn, b[:n]))
                        b = b[n:]
                    buf[conn] = b
                elif call in ('sendto', 'write', 'sendmsg', 'writev') and ret > 0:
                    ev.append((idx, 'out', conn, data))
            elif where == wal and call == 'pwrite64' and ret > 0:
                ev.append((idx, 'walw', None, None))
            elif where == wal and call in ('fdatasync', 'fsync') and ret == 0:
                ev.append((idx, 'sync', None, None))
            elif fd == '2' and call == 'write':
                s = STR.match(rest)
                if s and b'event=lock_command command=unlock' in unhex(s.group(1)):
                    ev.append((idx, 'unlock', None, None))
    count = {'grant': 0, 'counted': 0, 'other': 0}
    bad = 0
    last_in = {}	# conn -> (position in ev, the frame)
    for k, (idx, kind, conn, data) in enumerate(ev):
        if kind == 'in':
            last_in[conn] = (k, data)
            continue
        if kind != 'out':
            continue
        if len(data) < 4 or conn not in last_in:
            print(f'line {idx + 1}: an answer with no request before it: {data.hex()}')
            bad += 1
            continue
        k0, req = last_in[conn]
        rtype, atype = (req[3] if len(req) > 3 else 'oversized'), data[3]
        code = cbor_code(data[4:]) if atype in (DECISION, ERROR) else None
        if atype == DECISION and code == 'ok' and rtype == 3:
            what = 'grant'
        elif (atype == DECISION and code in COUNTED_DECISION) or \
                (atype == ERROR and code in COUNTED_ERROR):
            what = 'counted'
        else:
            what = 'other'
        count[what] += 1
        desc = (f'{NAMES.get(rtype, rtype)} -> {NAMES.get(atype, atype)} {code or ""}'
                f' (lines {ev[k0][0] + 1}..{idx + 1})')
        if what == 'other':
            print(f'other   {desc}: nothing required')
            continue
        between = ev[k0 + 1:k]
        syncs = [j for j, e in enumerate(between) if e[1] == 'sync' and
                 any(x[1] == 'walw' for x in between[:j])]
        if not syncs:
            print(f'BAD     {desc}: no write and fdatasync of {wal} between the request and the answer')
            bad += 1
            continue
        first = between[syncs[0]][0] + 1
        if what == 'grant':
            unl = [e for e in ev[k0 + 1:] if e[1] == 'unlock']
            if not unl:
                print(f'BAD     {desc}: no unlock command after the request')
                bad += 1
                continue
            if unl[0][0] < between[syncs[0]][0]:
                print(f'BAD     {desc}: the unlock command (line {unl[0][0] + 1}) before the '
                      f'fdatasync (line {first})')
                bad += 1
                continue
            print(f'grant   {desc}: WAL fdatasync at line {first}, before the unlock '
                  f'(line {unl[0][0] + 1}) and the DECISION')
        else:
            print(f'counted {desc}: WAL fdatasync at line {first}, before the answer')
    print(f"grants={count['grant']} counted={count['counted']} other={count['other']} bad={bad}")
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())

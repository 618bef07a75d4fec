#!/usr/bin/env python3
"""A man in the middle on porter's local link, for tests/integration/test_e2e.sh.

It sits between the real `porter courier unlock` and real porter-hub
processes and does what an attacker with a radio relay could do with the
frames (docs/link-protocol.md); it never makes a signature itself.

  e2e_link.py replay LISTEN HUB
      forward one exchange in lock-step, keep the device's PROOF, then send
      it again: on the same connection, and on a new connection after a
      fresh HELLO (a recording replayed later). Prints one line per answer.
  e2e_link.py otherhub LISTEN HUB_A HUB_B
      the device believes it is at hub B: it gets B's real CHALLENGE (B's
      id), but carrying the nonce of a challenge hub A issued, as a relay
      between two doors would need; its PROOF goes to A. Prints A's answer.

LISTEN is a Unix socket path to create; HUB is unix:PATH or HOST:PORT.
"""
import os
import socket
import sys


def cbor_item(b, i):
    """(value, next index) of the CBOR item at b[i]: ints, bytes, text, arrays, maps."""
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
    if mt == 0:
        return v, i
    if mt == 1:
        return -1 - v, i
    if mt == 2:
        return b[i:i + v], i + v
    if mt == 3:
        return b[i:i + v].decode(), i + v
    if mt == 4:
        out = []
        for _ in range(v):
            x, i = cbor_item(b, i)
            out.append(x)
        return out, i
    if mt == 5:
        out = {}
        for _ in range(v):
            k, i = cbor_item(b, i)
            x, i = cbor_item(b, i)
            out[k] = x
        return out, i
    raise ValueError('unsupported')


def cbor_head(mt, v):
    if v < 24:
        return bytes([mt << 5 | v])
    for ai, n in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if v < 1 << (8 * n):
            return bytes([mt << 5 | ai]) + v.to_bytes(n, 'big')
    raise ValueError('too large')


def cbor_enc(x):
    """Deterministic CBOR of ints >= 0, bytes, text and maps with int keys."""
    if isinstance(x, int):
        return cbor_head(0, x)
    if isinstance(x, bytes):
        return cbor_head(2, len(x)) + x
    if isinstance(x, str):
        b = x.encode()
        return cbor_head(3, len(b)) + b
    if isinstance(x, dict):
        return cbor_head(5, len(x)) + b''.join(cbor_enc(k) + cbor_enc(x[k]) for k in sorted(x))
    raise ValueError('unsupported')


def frame(t, body):
    b = cbor_enc(body)
    return (len(b) + 2).to_bytes(2, 'big') + bytes([1, t]) + b


def recv_exact(s, n):
    b = b''
    while len(b) < n:
        x = s.recv(n - len(b))
        if not x:
            raise EOFError
        b += x
    return b


def read_frame(s):
    h = recv_exact(s, 2)
    return h + recv_exact(s, int.from_bytes(h, 'big'))


def describe(f):
    """'decision:<code>', 'error:<code>', 'challenge', ..."""
    t = f[3]
    body, _ = cbor_item(f, 4)
    if t == 4:
        return 'decision:' + body[2]
    if t == 5:
        return 'error:' + body[2]
    return {2: 'challenge'}.get(t, 'type%d' % t)


def connect(addr):
    if addr.startswith('unix:'):
        s = socket.socket(socket.AF_UNIX)
        s.connect(addr[5:])
    else:
        h, p = addr.rsplit(':', 1)
        s = socket.create_connection((h, int(p)))
    s.settimeout(10)
    return s


HELLO = bytes.fromhex('000301' '01' 'a0')


def serve_one(path):
    if os.path.exists(path):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(path)
    listener.listen(1)
    c, _ = listener.accept()
    c.settimeout(10)
    listener.close()
    return c


def replay(listen, hub):
    c = serve_one(listen)
    h = connect(hub)
    proof = None
    while True:
        try:
            f = read_frame(c)
        except EOFError:
            break
        h.sendall(f)
        r = read_frame(h)
        c.sendall(r)
        if f[3] == 3:
            proof = f
            print('first:', describe(r))
            break
    c.close()
    if proof is None:
        print('no-proof')
        return
    h.sendall(proof)
    print('same-connection:', describe(read_frame(h)))
    h2 = connect(hub)
    h2.sendall(HELLO)
    print('new-hello:', describe(read_frame(h2)))
    h2.sendall(proof)
    print('new-connection:', describe(read_frame(h2)))


def otherhub(listen, hub_a, hub_b):
    c = serve_one(listen)
    a = connect(hub_a)
    b = connect(hub_b)
    hello = read_frame(c)
    a.sendall(hello)
    ch_a = read_frame(a)
    b.sendall(hello)
    ch_b = read_frame(b)
    body_a, _ = cbor_item(ch_a, 4)
    body_b, _ = cbor_item(ch_b, 4)
    print('hub-a:', body_a[1], 'hub-b:', body_b[1])
    body_b[2] = body_a[2]
    c.sendall(frame(2, body_b))
    proof = read_frame(c)
    a.sendall(proof)
    r = read_frame(a)
    c.sendall(r)
    print('hub-a-answer:', describe(r))


def main():
    mode = sys.argv[1]
    if mode == 'replay' and len(sys.argv) == 4:
        replay(sys.argv[2], sys.argv[3])
    elif mode == 'otherhub' and len(sys.argv) == 5:
        otherhub(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.stderr.write(__doc__)
        sys.exit(1)
    sys.stdout.flush()


if __name__ == '__main__':
    main()

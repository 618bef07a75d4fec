#!/usr/bin/env python3
"""Edit an evidence bundle's top-level map (porter/evidence.h) for tests.

    evbundle.py keys IN                    print the top-level keys
    evbundle.py drop IN OUT KEY...         remove those keys (the map count fixed)
    evbundle.py flip IN OUT KEY            flip a bit in the last byte of KEY's bstr
    evbundle.py set IN OUT KEY FILE        KEY's bstr replaced by FILE's bytes
    evbundle.py empty IN OUT KEY           KEY's value replaced by an empty array

Only what a bundle holds: definite lengths, maps of fewer than 24 pairs.
"""
import sys


def head(b, i):
    """(major, value, position after the head)"""
    mt, ai = b[i] >> 5, b[i] & 31
    if ai < 24:
        return mt, ai, i + 1
    n = {24: 1, 25: 2, 26: 4, 27: 8}[ai]
    return mt, int.from_bytes(b[i + 1:i + 1 + n], "big"), i + 1 + n


def skip(b, i):
    mt, v, j = head(b, i)
    if mt in (2, 3):
        return j + v
    if mt == 4:
        for _ in range(v):
            j = skip(b, j)
        return j
    if mt == 5:
        for _ in range(2 * v):
            j = skip(b, j)
        return j
    return j


def pairs(b):
    mt, n, i = head(b, 0)
    assert mt == 5 and n < 24 and i == 1
    out = []
    for _ in range(n):
        _, k, j = head(b, i)
        end = skip(b, j)
        out.append((k, i, j, end))  # key, start of key, start of value, end
        i = end
    return out


def bstr(data):
    n = len(data)
    if n < 24:
        h = bytes([0x40 | n])
    elif n < 256:
        h = bytes([0x58, n])
    else:
        h = bytes([0x59]) + n.to_bytes(2, "big")
    return h + data


def main():
    cmd, src = sys.argv[1], sys.argv[2]
    b = bytearray(open(src, "rb").read())
    ps = pairs(b)
    if cmd == "keys":
        print(" ".join(str(k) for k, *_ in ps))
        return
    dst, key = sys.argv[3], int(sys.argv[4])
    if cmd == "drop":
        drop = {int(k) for k in sys.argv[4:]}
        out = bytearray([0xa0 | (len(ps) - len([p for p in ps if p[0] in drop]))])
        for k, s, _, e in ps:
            if k not in drop:
                out += b[s:e]
        b = out
    else:
        (k, s, v, e), = [p for p in ps if p[0] == key]
        if cmd == "flip":
            b[e - 1] ^= 0x01
        elif cmd == "empty":
            b = b[:v] + b"\x80" + b[e:]
        elif cmd == "set":
            b = b[:v] + bstr(open(sys.argv[5], "rb").read()) + b[e:]
        else:
            sys.exit("unknown command " + cmd)
    open(dst, "wb").write(bytes(b))


main()

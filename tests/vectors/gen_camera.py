#!/usr/bin/env python3
"""Known answer for the porter camera enrolment statement (docs/cam.md,
"Enrolling a camera"; include/porter/camera_stmt.h), made outside porter:
CBOR by hand, Ed25519 by Python's cryptography. Writes
porter-camera-01.json beside this file; tests/unit/test_camera_stmt.c
checks porter signs exactly these bytes and verifies them.

    python3 tests/vectors/gen_camera.py
"""
import hashlib
import json
import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519


def head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | ai]) + n.to_bytes(size, 'big')
    raise ValueError(n)


def uint(v):
    return head(0, v)


def bstr(b):
    return head(2, len(b)) + b


def tstr(s):
    b = s.encode()
    return head(3, len(b)) + b


def pub(k):
    return k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


# RFC 8032 TEST 1 (the owner of tests/vectors) and TEST 2 (here: the camera).
owner = ed25519.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(
    '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'))
camera = ed25519.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(
    '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb'))
opk, cpk = pub(owner), pub(camera)
kid = hashlib.sha256(opk).digest()[:8]
HOME, CAM, NAME, IAT = 'home-7f3a', 'cam-front', 'Front door', 1796119200
payload = (head(5, 6) + uint(1) + uint(1) + uint(2) + tstr(HOME) + uint(3) + tstr(CAM) +
           uint(4) + bstr(cpk) + uint(5) + tstr(NAME) + uint(6) + uint(IAT))
prot = bytes([0xa2, 0x01, 0x27, 0x04, 0x48]) + kid
aad = b'porter/camera/v1'
tbs = head(4, 4) + tstr('Signature1') + bstr(prot) + bstr(aad) + bstr(payload)
sig = owner.sign(tbs)
msg = bytes([0xd2]) + head(4, 4) + bstr(prot) + bytes([0xa0]) + bstr(payload) + bstr(sig)
out = {
    'title': 'porter camera enrolment statement',
    'description': 'The owner key (RFC 8032 TEST 1) says camera cam-front of home home-7f3a, '
                   'named "Front door", has the key of RFC 8032 TEST 2; issued at '
                   '2026-12-01T10:00:00Z. External AAD porter/camera/v1.',
    'generator': 'tests/vectors/gen_camera.py (independent of porter: hand CBOR, '
                 'Python cryptography Ed25519)',
    'spec': 'docs/cam.md',
    'owner_public_key': opk.hex(),
    'owner_kid': kid.hex(),
    'camera_public_key': cpk.hex(),
    'payload_diag': '{1: 1, 2: "%s", 3: "%s", 4: h\'%s\', 5: "%s", 6: %d}' % (
        HOME, CAM, cpk.hex(), NAME, IAT),
    'payload': payload.hex(),
    'protected': prot.hex(),
    'external_aad': aad.decode(),
    'sig_structure': tbs.hex(),
    'signature': sig.hex(),
    'cose_sign1': msg.hex(),
    'cose_sign1_len': len(msg),
}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'porter-camera-01.json'), 'w') as f:
    json.dump(out, f, indent=2)
    f.write('\n')

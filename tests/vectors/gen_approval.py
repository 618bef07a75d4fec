#!/usr/bin/env python3
"""Known answer for the owner's approval (PT_ENV_APPROVAL, docs/alarm.md
"Ask the owner"; include/porter/envelope.h), made outside porter: CBOR by
hand, Ed25519 by Python's cryptography. Writes porter-approval-01.json
beside this file; tests/unit/test_approval_kat.c checks that porter signs
exactly these bytes and verifies them as each row of "verify" says.

    python3 tests/vectors/gen_approval.py
"""
import base64
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


def nint(v):
    return head(1, -1 - v)


def bstr(b):
    return head(2, len(b)) + b


def tstr(s):
    b = s.encode()
    return head(3, len(b)) + b


def pub(k):
    return k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_entry(role, seed, k):
    pk = pub(k)
    return {
        'role': role,
        'seed': seed,
        'public_key': pk.hex(),
        'public_key_b64url': base64.urlsafe_b64encode(pk).rstrip(b'=').decode(),
        'kid': hashlib.sha256(pk).digest()[:8].hex(),
    }


# RFC 8032 TEST 1 (the owner of tests/vectors) and TEST 2 (here: a key the
# hub does not trust).
SEED_OWNER = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'
SEED_OTHER = '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb'
owner = ed25519.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(SEED_OWNER))
other = ed25519.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(SEED_OTHER))
opk = pub(owner)
kid = hashlib.sha256(opk).digest()[:8]

HOME, IAT = 'home-7f3a', 1796119200	# 2026-12-01T10:00:00Z
REQUEST = bytes(range(16))		# the request id the hub chose: the nonce
# The session: the token id of the credential's last link, here the
# courier link of porter-chain-02.json.
SESSION = bytes(range(0x11, 0x21))
OP = 1					# PT_APPROVE
CWT_AUD, CWT_IAT, CWT_CTI, CWT_PORTER = 3, 6, 7, -65537
SKEW = 60

porter = head(5, 2) + uint(1) + uint(OP) + uint(2) + bstr(SESSION)
claims = (head(5, 4) + uint(CWT_AUD) + tstr(HOME) + uint(CWT_IAT) + uint(IAT) +
          uint(CWT_CTI) + bstr(REQUEST) + nint(CWT_PORTER) + porter)
prot = bytes([0xa2, 0x01, 0x27, 0x04, 0x48]) + kid
aad = b'porter/approval/v1'
tbs = head(4, 4) + tstr('Signature1') + bstr(prot) + bstr(aad) + bstr(claims)
sig = owner.sign(tbs)
owner.public_key().verify(sig, tbs)
msg = bytes([0xd2]) + head(4, 4) + bstr(prot) + bytes([0xa0]) + bstr(claims) + bstr(sig)
assert len(msg) <= 512


def row(kind, now, reason, signers=('owner',), home=HOME):
    return {'kind': kind, 'signers': list(signers), 'home_id': home, 'now': now,
            'skew': SKEW, 'reason': reason}


verify = [row('approval', IAT + 2, 'ok'),
          row('approval', IAT + SKEW, 'ok')]
# The AAD keeps the kinds apart: the same bytes are no other kind.
verify += [row(k, IAT + 2, 'bad-signature')
           for k in ('command', 'revocation', 'pairing', 'attestation', 'owner', 'live')]
verify += [row('approval', IAT + SKEW + 1, 'stale'),
           row('approval', IAT - SKEW - 1, 'stale'),
           row('approval', IAT + 2, 'wrong-home-or-lock', home='home-0000'),
           row('approval', IAT + 2, 'untrusted-signer', signers=('other',))]

out = {
    'title': 'porter approval: an owner lets one credential in',
    'description': 'An approval (PT_ENV_APPROVAL) by the owner key (RFC 8032 TEST 1) for home '
                   'home-7f3a, issued at 2026-12-01T10:00:00Z: it answers the hub\'s request '
                   '000102...0f (the nonce) with 1 (approve) for the session 1112...20 (the token '
                   'id of the courier link of porter-chain-02.json). External AAD '
                   'porter/approval/v1. The hub lets that one credential in once, the panel as '
                   'it is (docs/alarm.md, "Ask the owner").',
    'generator': 'tests/vectors/gen_approval.py (independent of porter: hand CBOR, '
                 'Python cryptography Ed25519)',
    'spec': 'docs/credentials.md',
    'keys': {
        'owner': key_entry('owner key enrolled at the hub; signs the envelope', SEED_OWNER,
                           owner),
        'other': key_entry('a key the hub does not trust (RFC 8032 TEST 2); not a signer',
                           SEED_OTHER, other),
    },
    'kind': 'approval',
    'home_id': HOME,
    'iat': IAT,
    'iat_utc': '2026-12-01T10:00:00Z',
    'request': REQUEST.hex(),
    'session': SESSION.hex(),
    'op': OP,
    'answer': 'approve',
    'claims_diag': '{\n  3: "%s",\n  6: %d,\n  7: h\'%s\',\n  -65537: {1: %d, 2: h\'%s\'}\n}' % (
        HOME, IAT, REQUEST.hex(), OP, SESSION.hex()),
    'claims': claims.hex(),
    'claims_len': len(claims),
    'protected': prot.hex(),
    'unprotected': 'a0',
    'external_aad': aad.decode(),
    'sig_structure': tbs.hex(),
    'signature': sig.hex(),
    'cose_sign1': msg.hex(),
    'cose_sign1_len': len(msg),
    'verify': '@VERIFY@',
}
# One verify row a line, as in the other porter-*.json.
text = json.dumps(out, indent=2)
rows = ',\n'.join('    ' + json.dumps(r) for r in verify)
text = text.replace('"@VERIFY@"', '[\n' + rows + '\n  ]')
json.loads(text)
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'porter-approval-01.json'),
          'w') as f:
    f.write(text + '\n')

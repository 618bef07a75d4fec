#!/usr/bin/env python3
"""bench/setup_issue.py BASE_URL PORTER TMPDIR: what the credential-issue bench
(bench/issue.sh) needs, made through porterd's real API (docs/api.md), with the
Python standard library and the `porter` client for the keys and the owner's
signature:

  - an owner with a home (a location, in-home delivery accepted from one
    carrier, standing approval, any hour) and one owner key;
  - a carrier admin with a hosted carrier (porterd holds its key);
  - the owner's delegation to the carrier's key (purpose delivery, depth 1,
    one entry, the camera and alarm-bypass conditions the home's default
    policy requires, from 10 minutes ago for 12 hours), signed here with the
    owner key and uploaded as a grant of the home;
  - a courier enrolled with the carrier, with one device key.

Prints shell assignments (KEY=value, one a line) for issue.sh. Exits non-zero
with a message on the first answer that is not what docs/api.md says.
"""
import base64
import http.client
import json
import subprocess
import sys
import urllib.parse

PASSWORD = "bench passphrase 1"


def die(msg):
    print("setup_issue: " + msg, file=sys.stderr)
    sys.exit(1)


class Api:
    def __init__(self, base):
        u = urllib.parse.urlsplit(base)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)

    def call(self, method, path, body=None, token=None, expect=(200, 201)):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        data = json.dumps(body).encode() if body is not None else None
        self.conn.request(method, path, body=data, headers=headers)
        r = self.conn.getresponse()
        text = r.read()
        if r.status not in expect:
            die("%s %s -> %d %s" % (method, path, r.status, text[:300].decode(errors="replace")))
        return json.loads(text) if text else None

    def account(self, email, name, role):
        self.call("POST", "/v1/accounts",
                  {"email": email, "password": PASSWORD, "name": name, "role": role})
        s = self.call("POST", "/v1/sessions", {"email": email, "password": PASSWORD})
        return s["token"], s["account"]["id"]


def porter(exe, *args):
    r = subprocess.run([exe] + list(args), capture_output=True, text=True)
    if r.returncode != 0:
        die("porter %s: %s" % (" ".join(args), r.stderr.strip()))
    return r.stdout.strip()


def main():
    if len(sys.argv) != 4:
        die("usage: setup_issue.py BASE_URL PORTER TMPDIR")
    base, exe, tmp = sys.argv[1:]
    api = Api(base)

    owner, _ = api.account("owner@bench.example", "Bench Owner", "owner")
    admin, _ = api.account("admin@bench.example", "Bench Admin", "carrier-admin")
    courier, courier_id = api.account("courier@bench.example", "Bench Courier", "courier")

    carrier = api.call("POST", "/v1/carriers", {"name": "Bench Parcel", "hosted": True},
                       token=admin)
    home = api.call("POST", "/v1/homes", {
        "name": "Bench", "tz": "Europe/Berlin",
        "location": {"lat": 52.52, "lon": 13.405},
        "policy": {"in_home_delivery": True, "carriers": [carrier["id"]],
                   "approval": "standing"},
    }, token=owner)

    porter(exe, "keygen", "-o", tmp + "/owner.key")
    api.call("POST", "/v1/homes/%s/owner-keys" % home["id"],
             {"public_key": porter(exe, "pubkey", tmp + "/owner.key"), "label": "bench"},
             token=owner)
    porter(exe, "grant", "--key", tmp + "/owner.key", "--holder", carrier["public_key"],
           "--home", home["id"], "--purpose", "delivery", "--depth", "1", "--entries", "1",
           "--camera", "--alarm-bypass",
           "--not-before", "-10m", "--expires", "+12h", "-o", tmp + "/delegation.cbor")
    with open(tmp + "/delegation.cbor", "rb") as f:
        chain = base64.urlsafe_b64encode(f.read()).rstrip(b"=").decode()
    api.call("POST", "/v1/homes/%s/grants" % home["id"],
             {"chain": chain, "label": "bench delegation"}, token=owner)

    api.call("POST", "/v1/carriers/%s/couriers" % carrier["id"],
             {"email": "courier@bench.example", "name": "Bench Courier", "level": "basic"},
             token=admin)
    porter(exe, "keygen", "-o", tmp + "/device.key")
    device = porter(exe, "pubkey", tmp + "/device.key")
    api.call("POST", "/v1/me/devices", {"public_key": device, "label": "bench"}, token=courier)

    for k, v in (("OWNER_TOKEN", owner), ("ADMIN_TOKEN", admin), ("COURIER_TOKEN", courier),
                 ("COURIER_ID", courier_id), ("HOME_ID", home["id"]),
                 ("CARRIER", carrier["id"]), ("DEVICE", device)):
        print("%s=%s" % (k, v))


if __name__ == "__main__":
    main()

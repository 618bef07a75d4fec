#!/usr/bin/env python3
"""cam_clip_sink.py DIR PORTFILE [FAIL_FIRST]: an HTTP server on a free
loopback port that takes porter-cam's clip uploads for test_cam_clip.sh
while porterd's clip routes (daemons/porterd/api_clip.c) do not answer.
It stores each PUT body under DIR as it came (DIR/<clip>/<n>.seg,
DIR/<clip>/manifest, DIR/<clip>/keyrec), the Porter-Signature header decoded as
DIR/<clip>/<n>.sig (so cam_clip_open checks what was sent), the headers
beside it (.hdr), logs one line per
request to DIR/requests.log, and answers 503 to the first FAIL_FIRST
requests (to exercise the uploader's retry), 201 after that, with the
body porterd's api_clip.c answers ({"clip","index","size","sha256"} for a
segment, {"clip",...,"size","sha256"} for the manifest and the key
record). DIR/control, read at each
request, changes that: a line "CLIP CODE" answers CODE (no body) to every
PUT for that clip, a line "lie" answers 201 with another SHA-256 for
segments (and stores nothing), a line "lie-manifest" the same for manifests,
a line "lie-keyrec" the same for key records. Nothing is checked here: the test checks
what arrived."""
import base64
import hashlib
import http.server
import json
import os
import re
import sys

root, portfile = sys.argv[1], sys.argv[2]
fail_first = int(sys.argv[3]) if len(sys.argv) > 3 else 0
count = 0
route = re.compile(r"^/v1/clips/([0-9a-f]{32})/(segments/(\d+)|manifest|key)$")


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, code, body=b""):
        self.send_response(code)
        if body:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def control(self):
        forced, lie, lie_manifest, lie_keyrec = {}, False, False, False
        try:
            with open(os.path.join(root, "control")) as f:
                for line in f:
                    w = line.split()
                    if w == ["lie"]:
                        lie = True
                    elif w == ["lie-manifest"]:
                        lie_manifest = True
                    elif w == ["lie-keyrec"]:
                        lie_keyrec = True
                    elif len(w) == 2:
                        forced[w[0]] = int(w[1])
        except OSError:
            pass
        return forced, lie, lie_manifest, lie_keyrec

    def do_PUT(self):
        global count
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        count += 1
        m = route.match(self.path)
        forced, lie, lie_manifest, lie_keyrec = self.control()
        code = 404 if m is None else 503 if count <= fail_first else 201
        if m is not None and m.group(1) in forced:
            code = forced[m.group(1)]
        lie = (lie and m is not None and m.group(3) is not None and code == 201 or
               lie_manifest and m is not None and m.group(2) == "manifest" and code == 201 or
               lie_keyrec and m is not None and m.group(2) == "key" and code == 201)
        with open(os.path.join(root, "requests.log"), "a") as log:
            log.write("%d PUT %s %d -> %d%s\n" % (count, self.path, n, code,
                                                 " lie" if lie else ""))
        if code != 201:
            return self.answer(code)
        sha = hashlib.sha256(body).hexdigest()
        if m.group(3):
            ans = {"clip": m.group(1), "index": int(m.group(3)), "size": n,
                   "sha256": hashlib.sha256(sha.encode()).hexdigest() if lie else sha}
        else:
            ans = {"clip": m.group(1), "camera": self.headers.get("Porter-Camera", ""),
                   "segments": 0, "stored": 0, "missing": []}
            if m.group(2) in ("manifest", "key"):
                ans["size"] = n
                ans["sha256"] = hashlib.sha256(sha.encode()).hexdigest() if lie else sha
        if lie:
            return self.answer(201, json.dumps(ans).encode())
        d = os.path.join(root, m.group(1))
        os.makedirs(d, exist_ok=True)
        name = ("%06d.seg" % int(m.group(3)) if m.group(3) else
                "keyrec" if m.group(2) == "key" else "manifest")
        with open(os.path.join(d, name), "wb") as f:
            f.write(body)
        sig = self.headers.get("Porter-Signature")
        if m.group(3) and sig:
            with open(os.path.join(d, "%06d.sig" % int(m.group(3))), "wb") as f:
                f.write(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)))
        with open(os.path.join(d, name + ".hdr"), "w") as f:
            for k in ("Porter-Camera", "Porter-Signature", "Content-Type"):
                f.write("%s: %s\n" % (k, self.headers.get(k, "")))
        self.answer(201, json.dumps(ans).encode())


srv = http.server.HTTPServer(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()

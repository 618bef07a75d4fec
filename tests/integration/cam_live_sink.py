#!/usr/bin/env python3
"""cam_live_sink.py DIR PORTFILE: an HTTP server on a free loopback port
standing in for porterd's live routes (docs/live.md, "porterd API") for
test_cam_live.sh. It stores each PUT as it came:
  PUT /v1/live/<session>/key            -> DIR/<session>/keyrec
  PUT /v1/live/<session>/fragments/<n>  -> DIR/<session>/<n, 6 digits>.frag,
      the Porter-Signature header decoded as .sig, the headers as .hdr
and logs one line per request to DIR/requests.log: "<wall ms> PUT <path>
<bytes> -> <code>". It answers 201, except what DIR/control says (read at
each request): a line "<session> <code>" answers <code> (no body, nothing
stored) to every PUT of that session; "<session> delay <ms>" answers it
only after <ms> (a slow link: the camera must drop, not queue). Nothing is checked here: the test
checks what arrived."""
import base64
import http.server
import os
import re
import sys
import time

root, portfile = sys.argv[1], sys.argv[2]
route = re.compile(r"^/v1/live/([0-9a-f]{32})/(key|fragments/(\d+))$")


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, code):
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def forced(self):
        f, d = {}, {}
        try:
            with open(os.path.join(root, "control")) as c:
                for line in c:
                    w = line.split()
                    if len(w) == 2:
                        f[w[0]] = int(w[1])
                    elif len(w) == 3 and w[1] == "delay":
                        d[w[0]] = int(w[2])
        except OSError:
            pass
        return f, d

    def do_PUT(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        m = route.match(self.path)
        forced, delay = self.forced()
        code = 404 if m is None else forced.get(m.group(1), 201)
        with open(os.path.join(root, "requests.log"), "a") as log:
            log.write("%d PUT %s %d -> %d\n" % (int(time.time() * 1000), self.path, n, code))
        if code != 201:
            return self.answer(code)
        if m.group(1) in delay:
            time.sleep(delay[m.group(1)] / 1000.0)
        d = os.path.join(root, m.group(1))
        os.makedirs(d, exist_ok=True)
        name = "keyrec" if m.group(2) == "key" else "%06d.frag" % int(m.group(3))
        with open(os.path.join(d, name), "wb") as f:
            f.write(body)
        sig = self.headers.get("Porter-Signature")
        if m.group(3) and sig:
            with open(os.path.join(d, "%06d.sig" % int(m.group(3))), "wb") as f:
                f.write(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)))
        with open(os.path.join(d, name + ".hdr"), "w") as f:
            for k in ("Porter-Camera", "Porter-Signature", "Content-Type"):
                f.write("%s: %s\n" % (k, self.headers.get(k, "")))
        self.answer(201)


class S(http.server.ThreadingHTTPServer):
    daemon_threads = True


srv = S(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()

#!/usr/bin/env python3
"""A proxy in front of porterd for test_cam_revoke.sh: every request is
passed on to porterd as it came (method, path, Authorization, Content-Type,
body) and its answer back, except GET .../revocations, answered 503: a
viewer that cannot read a home's revocations must refuse (docs/cam.md,
"Who a viewer believes"). Each request is logged on stderr.

Usage: cam_revoke_proxy.py PORT UPSTREAM_URL
"""
import http.server
import sys
import urllib.error
import urllib.request

PORT = int(sys.argv[1])
UPSTREAM = sys.argv[2].rstrip("/")


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.command, self.path))
        sys.stderr.flush()

    def answer(self, status, ctype, body):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def forward(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n > 0 else None
        if self.command == "GET" and self.path.split("?")[0].endswith("/revocations"):
            self.answer(503, "application/json",
                        b'{"error":{"code":"unavailable","message":"test proxy"}}')
            return
        req = urllib.request.Request(UPSTREAM + self.path, data=body, method=self.command)
        for h in ("Authorization", "Content-Type", "Accept"):
            if self.headers.get(h) is not None:
                req.add_header(h, self.headers.get(h))
        try:
            with urllib.request.urlopen(req, timeout=20) as r:
                self.answer(r.status, r.headers.get("Content-Type", "application/json"), r.read())
        except urllib.error.HTTPError as e:
            self.answer(e.code, e.headers.get("Content-Type", "application/json"), e.read())

    do_GET = do_POST = do_PUT = do_DELETE = forward


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Proxy).serve_forever()

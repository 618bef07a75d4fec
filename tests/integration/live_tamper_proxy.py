#!/usr/bin/env python3
"""An HTTP proxy in front of porterd for test_live_cli.sh: it relays every
request as it is, except one live fragment, which it alters on the way to
the viewer (what porterd, or anyone between it and the viewer, could do).

Usage: live_tamper_proxy.py UPSTREAM_PORT PORT_FILE MODE INDEX
  MODE  seal     flip the last byte of fragment INDEX (its sealed part)
        capture  add 1 ms to the capture time in fragment INDEX's header
                 (the sealed copy stays as the camera made it)
Writes the port it listens on (127.0.0.1) to PORT_FILE once it listens,
and one line per altered fragment to stderr.
"""
import http.client
import http.server
import re
import sys

UPSTREAM = int(sys.argv[1])
PORT_FILE, MODE, INDEX = sys.argv[2], sys.argv[3], int(sys.argv[4])
FRAGMENT = re.compile(r'^/v1/live/[0-9a-f]{32}/fragments/([0-9]+)$')
HOP = {'connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade',
       'proxy-authorization', 'proxy-authenticate', 'host', 'content-length'}
HDR_CAPTURE = 6 + 16 + 4  # magic, session, index: then capture (u64 BE)


def alter(body):
    b = bytearray(body)
    if MODE == 'seal':
        b[-1] ^= 0x01
    elif MODE == 'capture':
        c = int.from_bytes(b[HDR_CAPTURE:HDR_CAPTURE + 8], 'big') + 1
        b[HDR_CAPTURE:HDR_CAPTURE + 8] = c.to_bytes(8, 'big')
    else:
        raise SystemExit('unknown mode ' + MODE)
    return bytes(b)


class Relay(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, fmt, *args):
        pass

    def relay(self):
        n = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(n) if n > 0 else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        up = http.client.HTTPConnection('127.0.0.1', UPSTREAM, timeout=60)
        up.request(self.command, self.path, body=body, headers=headers)
        r = up.getresponse()
        data = r.read()
        m = FRAGMENT.match(self.path)
        if self.command == 'GET' and r.status == 200 and m and int(m.group(1)) == INDEX:
            data = alter(data)
            print(f'altered fragment {INDEX} ({MODE})', file=sys.stderr, flush=True)
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in HOP:
                self.send_header(k, v)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)
        up.close()

    do_GET = do_POST = do_PUT = do_DELETE = relay


srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Relay)
srv.daemon_threads = True
with open(PORT_FILE + '.tmp', 'w') as f:
    f.write(str(srv.server_address[1]))
__import__('os').rename(PORT_FILE + '.tmp', PORT_FILE)
srv.serve_forever()

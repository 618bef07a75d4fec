#!/usr/bin/env python3
"""tpi_panel.py: a DSC PowerSeries panel behind an EnvisaLink, at the level of
the EnvisaLink TPI (the "EnvisaLink TPI Programmer's Document", DSC version),
for porter-hub's envisalink driver's tests. Python 3 standard library only.

The TPI side (one TCP client at a time, as the EnvisaLink): on connect 505 3,
the password (005) within --login-timeout or 505 2 and close, 505 1 or 505 0
and close; lines "CCC data CK CR LF" with the checksum checked (501 on a bad
one, 505 0 during the login). Commands: 000 poll, 001 status report, 030/031
arm away/stay, 033 arm with code, 040 disarm with code, 060 panic, 071
keystrokes, 200 code send. Each accepted command is acknowledged (500 CCC)
before what it causes; errors are 502 NNN (020 syntax, 021 partition, 022 not
supported, 023 not armed, 024 not ready to arm, 026 code not required).

The panel (one partition): zones 1..--zones; open zones make it not ready
(651) unless bypassed; arm: 656 exit delay for --exit-delay ms, then 652 1M;
an open, not bypassed zone while armed: a --delay-zones zone starts the
entry delay (657) for --entry-delay ms, any other zone is instant; then
654 alarm and 601 zone alarm. Disarm with the code: 655, 750, bypasses
cleared (as DSC does at every disarm). Keystrokes: [*][1] enters bypass
mode only while disarmed (armed: 671 function not available); with
--bypass-code it asks for the code first (900 1 4, answered with 200);
two digits toggle a zone (--no-bypass zones refuse), [#] leaves and sends
the bitfield (616). 060 3: 625 then 626 at once (a DSC panel restores the
panic key at once).

Control: a second port takes one line per connection and answers one line:
  open Z | close Z | arm away|stay | disarm | drop | mute | unmute | refuse S |
  status | quit
(arm, disarm: a user at the keypad; drop: close the TPI client; mute: stop answering, as a dead panel;
refuse S: refuse connections for S seconds; status: JSON of the state).

Usage: tpi_panel.py --ports-file F --password P --code C [--zones N]
       [--delay-zones 1,2] [--no-bypass 7] [--exit-delay MS] [--entry-delay MS]
       [--bypass-code] [--arm-code] [--login-timeout MS] [--log FILE]
The ports file gets "TPI_PORT CONTROL_PORT" once both listen.
"""
import argparse
import json
import os
import selectors
import socket
import sys
import time


def checksum(s):
    return "%02X" % (sum(s.encode()) & 0xFF)


def now_ms():
    return int(time.monotonic() * 1000)


class Panel:
    def __init__(self, a):
        self.a = a
        self.zones = a.zones
        self.open = set()
        self.bypassed = set()
        self.delay_zones = set(int(z) for z in a.delay_zones.split(",") if z)
        self.no_bypass = set(int(z) for z in a.no_bypass.split(",") if z)
        self.state = "disarmed"  # disarmed, exit, armed, entry, alarm
        self.mode = 0
        self.timer = None  # (deadline ms, what)
        self.keypad = "idle"  # idle, star, bypass, bypass-code, arm-code
        self.digits = ""
        self.pending_arm = None
        self.client = None
        self.rx = b""
        self.logged_in = False
        self.login_by = 0
        self.muted = False
        self.refuse_until = 0
        self.log = open(a.log, "a") if a.log else None

    # ---- output ----
    def say(self, code, data=""):
        s = "%03d%s" % (code, data)
        line = s + checksum(s) + "\r\n"
        if self.log:
            self.log.write("tx %s\n" % line.strip())
            self.log.flush()
        if self.client is not None and not self.muted:
            try:
                self.client.sendall(line.encode())
            except OSError:
                self.drop()

    def drop(self):
        if self.client is not None:
            try:
                self.sel.unregister(self.client)
            except (KeyError, ValueError):
                pass
            try:
                self.client.close()
            except OSError:
                pass
        self.client = None
        self.rx = b""
        self.logged_in = False
        self.keypad = "idle"

    # ---- partition ----
    def ready(self):
        return not (self.open - self.bypassed)

    def ready_msg(self):
        if self.state == "disarmed":
            self.say(650 if self.ready() else 651, "1")

    def bitfield(self):
        out = ""
        for byte in range(8):
            v = 0
            for bit in range(8):
                if byte * 8 + bit + 1 in self.bypassed:
                    v |= 1 << bit
            out += "%02X" % v
        return out

    def arm(self, mode):
        if self.state != "disarmed":
            self.say(502, "023")
            return
        if not self.ready():
            self.say(502, "024")
            return
        self.mode = mode
        self.state = "exit"
        self.say(656, "1")
        self.timer = (now_ms() + self.a.exit_delay, "armed")

    def disarm(self):
        was = self.state
        self.state = "disarmed"
        self.timer = None
        self.bypassed.clear()  # DSC: every disarm clears the bypasses
        self.say(655, "1")
        self.say(750, "10001")
        self.ready_msg()
        return was

    def alarm(self, zone):
        self.state = "alarm"
        self.timer = None
        self.say(654, "1")
        self.say(601, "1%03d" % zone)

    def zone_change(self, z, is_open):
        if is_open:
            self.open.add(z)
            self.say(609, "%03d" % z)
        else:
            self.open.discard(z)
            self.say(610, "%03d" % z)
        if self.state == "disarmed":
            self.ready_msg()
            return
        if not is_open or z in self.bypassed:
            return
        if self.state == "armed":
            if z in self.delay_zones:
                self.state = "entry"
                self.say(657, "1")
                self.timer = (now_ms() + self.a.entry_delay, "alarm %d" % z)
            else:
                self.alarm(z)
        elif self.state == "exit" and z not in self.delay_zones:
            self.alarm(z)
        elif self.state == "entry" and z not in self.delay_zones:
            self.alarm(z)

    def tick(self):
        if self.timer is None or now_ms() < self.timer[0]:
            return
        what = self.timer[1]
        self.timer = None
        if what == "armed":
            self.state = "armed"
            self.say(652, "1%d" % self.mode)
            self.say(700, "10040")
            # A zone still open and not bypassed at the end of the exit delay
            for z in sorted(self.open - self.bypassed):
                if z in self.delay_zones:
                    self.state = "entry"
                    self.say(657, "1")
                    self.timer = (now_ms() + self.a.entry_delay, "alarm %d" % z)
                else:
                    self.alarm(z)
                break
        elif what.startswith("alarm"):
            self.alarm(int(what.split()[1]))

    def status(self):
        if self.state == "disarmed":
            self.ready_msg()
        elif self.state == "exit":
            self.say(656, "1")
        elif self.state == "armed":
            self.say(652, "1%d" % self.mode)
        elif self.state == "entry":
            self.say(657, "1")
        elif self.state == "alarm":
            self.say(654, "1")
        for z in sorted(self.open):
            self.say(609, "%03d" % z)

    # ---- keystrokes ----
    def keys(self, ks):
        for k in ks:
            if self.keypad == "idle":
                self.keypad = "star" if k == "*" else "idle"
            elif self.keypad == "star":
                if k == "1":
                    if self.state != "disarmed":
                        self.say(671, "1")  # zones cannot be bypassed while armed
                        self.keypad = "idle"
                    elif self.a.bypass_code:
                        self.say(900, "14")
                        self.keypad = "bypass-code"
                    else:
                        self.keypad = "bypass"
                        self.digits = ""
                else:
                    self.keypad = "idle"
            elif self.keypad == "bypass":
                if k == "#":
                    self.keypad = "idle"
                    self.say(616, self.bitfield())
                    self.ready_msg()
                elif k.isdigit():
                    self.digits += k
                    if len(self.digits) == 2:
                        z = int(self.digits)
                        self.digits = ""
                        if 1 <= z <= self.zones and z not in self.no_bypass:
                            self.bypassed ^= {z}
                else:
                    self.keypad = "idle"
            elif self.keypad == "bypass-code":
                self.keypad = "idle"  # keys while waiting for 200: bypass mode is left

    # ---- commands ----
    def command(self, line):
        if len(line) < 5:
            self.say(502, "020")
            return
        body, ck = line[:-2], line[-2:]
        if not body[:3].isdigit() or ck.upper() != checksum(body) or ck != ck.upper():
            if not self.logged_in:
                self.say(505, "0")
                self.drop()
            else:
                self.say(501)
            return
        cmd, data = int(body[:3]), body[3:]
        if not self.logged_in:
            if cmd != 5:
                return
            self.say(500, "005")
            if data == self.a.password:
                self.logged_in = True
                self.say(505, "1")
            else:
                self.say(505, "0")
                self.drop()
            return
        if cmd == 0:
            self.say(500, "000")
        elif cmd == 1:
            self.say(500, "001")
            self.status()
        elif cmd in (30, 31):
            if data != "1":
                self.say(502, "021")
                return
            self.say(500, "%03d" % cmd)
            if self.a.arm_code and self.state == "disarmed":
                self.pending_arm = 0 if cmd == 30 else 1
                self.keypad = "arm-code"
                self.say(900, "14")
                return
            self.arm(0 if cmd == 30 else 1)
        elif cmd == 33:
            if data[:1] != "1":
                self.say(502, "021")
                return
            self.say(500, "033")
            if data[1:] != self.a.code:
                self.say(670, "1")
                return
            self.arm(0)
        elif cmd == 40:
            if data[:1] != "1" or len(data) not in (5, 7):
                self.say(502, "020" if data[:1] == "1" else "021")
                return
            self.say(500, "040")
            if data[1:] != self.a.code:
                self.say(670, "1")
            elif self.state == "disarmed":
                self.say(502, "023")
            else:
                self.disarm()
        elif cmd == 60:
            if data not in ("1", "2", "3"):
                self.say(502, "020")
                return
            self.say(500, "060")
            k = {"1": 621, "2": 623, "3": 625}[data]
            self.say(k)
            self.say(k + 1)
        elif cmd == 71:
            if data[:1] != "1" or not 2 <= len(data) <= 7:
                self.say(502, "020")
                return
            self.say(500, "071")
            self.keys(data[1:])
        elif cmd == 200:
            if self.keypad not in ("bypass-code", "arm-code"):
                self.say(502, "026")
                return
            if data != self.a.code:
                self.keypad = "idle"
                self.say(670, "1")
                return
            self.say(500, "200")
            if self.keypad == "bypass-code":
                self.keypad = "bypass"
                self.digits = ""
            else:
                self.keypad = "idle"
                self.arm(self.pending_arm)
        else:
            self.say(502, "022")

    def on_data(self, b):
        self.rx += b
        while b"\n" in self.rx:
            line, self.rx = self.rx.split(b"\n", 1)
            line = line.rstrip(b"\r").decode("ascii", "replace")
            if self.log:
                self.log.write("rx %s\n" % (line[:3] + "(secret)" if line[:3] in ("005", "200")
                                            else line))
                self.log.flush()
            if not self.muted:
                self.command(line)
            if self.client is None:
                return
        if len(self.rx) > 300:
            self.drop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ports-file", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--code", required=True)
    ap.add_argument("--zones", type=int, default=8)
    ap.add_argument("--delay-zones", default="1")
    ap.add_argument("--no-bypass", default="")
    ap.add_argument("--exit-delay", type=int, default=300)
    ap.add_argument("--entry-delay", type=int, default=300)
    ap.add_argument("--login-timeout", type=int, default=10000)
    ap.add_argument("--bypass-code", action="store_true")
    ap.add_argument("--arm-code", action="store_true")
    ap.add_argument("--log", default="")
    a = ap.parse_args()
    p = Panel(a)

    sel = selectors.DefaultSelector()
    p.sel = sel
    tpi = socket.socket()
    tpi.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tpi.bind(("127.0.0.1", 0))
    tpi.listen(4)
    ctl = socket.socket()
    ctl.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ctl.bind(("127.0.0.1", 0))
    ctl.listen(4)
    sel.register(tpi, selectors.EVENT_READ, "tpi")
    sel.register(ctl, selectors.EVENT_READ, "ctl")
    tmp = a.ports_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d %d\n" % (tpi.getsockname()[1], ctl.getsockname()[1]))
    os.rename(tmp, a.ports_file)

    running = True
    while running:
        for key, _ in sel.select(0.02):
            if key.data == "tpi":
                c, _ = tpi.accept()
                if p.client is not None or now_ms() < p.refuse_until:
                    c.close()  # the EnvisaLink takes one client
                    continue
                p.client = c
                p.logged_in = False
                p.login_by = now_ms() + a.login_timeout
                sel.register(c, selectors.EVENT_READ, "client")
                p.say(505, "3")
            elif key.data == "client":
                try:
                    b = key.fileobj.recv(4096)
                except OSError:
                    b = b""
                if key.fileobj is p.client and b:
                    p.on_data(b)
                if not b and p.client is key.fileobj:
                    p.drop()
            elif key.data == "ctl":
                c, _ = ctl.accept()
                c.settimeout(2)
                buf = b""
                try:
                    while b"\n" not in buf:
                        d = c.recv(256)
                        if not d:
                            break
                        buf += d
                except OSError:
                    pass
                words = buf.decode().split()
                reply = "ok"
                if not words:
                    reply = "error empty"
                elif words[0] in ("open", "close") and len(words) == 2:
                    p.zone_change(int(words[1]), words[0] == "open")
                elif words[0] == "arm" and len(words) == 2:  # a user at the keypad
                    p.arm(0 if words[1] == "away" else 1)
                elif words[0] == "disarm":
                    if p.state != "disarmed":
                        p.disarm()
                elif words[0] == "drop":
                    p.drop()
                elif words[0] == "mute":
                    p.muted = True
                elif words[0] == "unmute":
                    p.muted = False
                elif words[0] == "refuse" and len(words) == 2:
                    p.refuse_until = now_ms() + int(float(words[1]) * 1000)
                elif words[0] == "status":
                    reply = json.dumps({"state": p.state, "mode": p.mode,
                                        "open": sorted(p.open),
                                        "bypassed": sorted(p.bypassed),
                                        "connected": p.client is not None,
                                        "logged_in": p.logged_in})
                elif words[0] == "quit":
                    running = False
                else:
                    reply = "error unknown"
                try:
                    c.sendall((reply + "\n").encode())
                except OSError:
                    pass
                c.close()
        p.tick()
        if p.client is not None and not p.logged_in and now_ms() >= p.login_by:
            p.say(505, "2")
            p.drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

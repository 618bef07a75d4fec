#!/usr/bin/env python3
"""An address that never answers, for the MQTT clients' connect deadline
(porter/net.h, PT_NET_CONNECT_WAIT_MS; test_hub_mqtt.sh, test_porterd_mqtt.sh).

  blackhole6.py hold PORT READY_FILE   listen on [::1]:PORT with listen(0) and
      fill the one place of its accept queue with a connection it never
      accepts: Linux then drops every further SYN to [::1]:PORT (a
      black-holed route, a firewall that drops). Writes READY_FILE, then
      holds until killed.
  blackhole6.py probe PORT             exit 0 when a connect to [::1]:PORT
      times out (1.5 s), 1 when it is answered (accepted or refused).
"""
import socket
import sys
import time


def hold(port, ready):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.bind(("::1", port))
    s.listen(0)
    held = socket.create_connection(("::1", port), 2)
    with open(ready, "w") as f:
        f.write("ready\n")
    time.sleep(3600)
    held.close()


def probe(port):
    c = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    c.settimeout(1.5)
    try:
        c.connect(("::1", port))
    except socket.timeout:
        return 0
    except OSError:
        return 1
    return 1


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "hold":
        hold(int(sys.argv[2]), sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "probe":
        sys.exit(probe(int(sys.argv[2])))
    else:
        sys.exit("usage: blackhole6.py hold PORT READY_FILE | probe PORT")

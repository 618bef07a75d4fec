#!/usr/bin/env python3
"""systemd's notify socket, played for the tests: binds SOCKET (a Unix
datagram socket, mode 0666 so a daemon that dropped to another user can
still write to it) and appends each message received to OUT, one line
each (newlines inside a message become spaces).

    notify_listen.py SOCKET OUT
"""
import os
import socket
import sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
with open(sys.argv[2], 'a') as out:
    while True:
        out.write(s.recv(4096).decode(errors='replace').replace('\n', ' ') + '\n')
        out.flush()

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Connects to every uroce query endpoint in /proc/net/unix, as uroce
does, and prints "NAME BYTES" with the length of each one's reply."""
import socket

LISTENING = 0x10000

with open("/proc/net/unix") as f:
    next(f)
    for line in f:
        fields = line.split()
        if len(fields) < 8 or not fields[7].startswith("@uroce-ep/"):
            continue
        if not int(fields[3], 16) & LISTENING:
            continue
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(2)
        got = 0
        try:
            s.connect("\0" + fields[7][1:])
            while True:
                b = s.recv(65536)
                if not b:
                    break
                got += len(b)
        except OSError:
            pass
        s.close()
        print(fields[7], got)

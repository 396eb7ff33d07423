#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""A fake query endpoint (util/endpoint.h) for testing uroce's client.

fake_ep.py MODE [REPLY_FILE]: listens on @uroce-ep/<random hex> and
answers every connection as MODE says, until killed:
  reply    the file's bytes, then close
  close    close without a byte (as for a caller the endpoint refuses)
  hang     accept and never answer
  dribble  the file's bytes one every 50 ms (slower than uroce waits)
Prints "pid PID", then "ready NAME" once listening.
"""
import os
import socket
import sys
import threading
import time


def serve(conn, mode, data):
    try:
        if mode == "reply":
            conn.sendall(data)
        elif mode == "hang":
            time.sleep(3600)
        elif mode == "dribble":
            for i in range(len(data)):
                conn.sendall(data[i:i + 1])
                time.sleep(0.05)
    except OSError:
        pass
    finally:
        conn.close()


def main():
    mode = sys.argv[1]
    data = b""
    if len(sys.argv) > 2:
        with open(sys.argv[2], "rb") as f:
            data = f.read()
    name = "uroce-ep/" + os.urandom(8).hex()
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind("\0" + name)
    srv.listen(16)
    print("pid", os.getpid())
    print("ready", name, flush=True)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, mode, data),
                         daemon=True).start()


main()

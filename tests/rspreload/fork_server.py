# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""fork_server.py ADDR PORT OUT: accepts one connection, forks, and the
child (not the parent, which only closes its copy) reads the connection
to its end into OUT; exit 0 when the child did. Run under the rsockets
shim with RDMAV_FORK_SAFE=1, the child's first read moves the connection
onto an rsocket."""
import os
import socket
import sys

addr, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as ls:
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(1)
    conn, _ = ls.accept()
    pid = os.fork()
    if pid == 0:
        with open(out, "wb") as f:
            while True:
                data = conn.recv(1 << 16)
                if not data:
                    break
                f.write(data)
        conn.close()
        os._exit(0)
    conn.close()
    _, status = os.waitpid(pid, 0)
    sys.exit(0 if os.waitstatus_to_exitcode(status) == 0 else 1)

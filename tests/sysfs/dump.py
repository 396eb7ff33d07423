# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Prints the kernel's RDMA files as a program sees them, one node a line:
PATH<TAB>KIND<TAB>VALUE, KIND one of dir, file, chr, link. A file's VALUE
is its content without the newline, or ERR:<errno name> when a read fails;
a link's its target; a character device's MAJOR:MINOR:MODE. Links are not
followed. Uses os.listdir, os.lstat, open/read and os.readlink, as
rdma-core's tests and other Python programs do."""
import errno
import os
import stat
import sys

ROOTS = ['/sys/class/infiniband', '/sys/class/infiniband_verbs',
         '/dev/infiniband']


def show(path):
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        print(f'{path}\tlink\t{os.readlink(path)}')
    elif stat.S_ISDIR(st.st_mode):
        print(f'{path}\tdir\t{oct(st.st_mode & 0o7777)}')
        for name in sorted(os.listdir(path)):
            show(os.path.join(path, name))
    elif stat.S_ISCHR(st.st_mode):
        print(f'{path}\tchr\t{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}'
              f':{oct(st.st_mode & 0o7777)}')
    else:
        try:
            with open(path) as f:
                value = f.read().rstrip('\n')
        except OSError as e:
            value = 'ERR:' + errno.errorcode[e.errno]
        print(f'{path}\tfile\t{value}')


for root in sys.argv[1:] or ROOTS:
    if os.path.exists(root):
        show(root)
    else:
        print(f'{root}\tabsent\t')

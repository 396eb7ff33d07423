#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# icrc.py PCAP: checks the ICRC of every RoCE v2 packet (UDP port 4791) of
# PCAP against the one Scapy's RoCE layer computes (Debian's python3-scapy;
# tshark shows the ICRC but does not check it). Prints one line a packet:
# number, BTH opcode, ICRC on the wire, ICRC computed, ok or BAD. Exits 1
# if any is BAD, 2 if there is no RoCE v2 packet.
import sys

from scapy.all import raw, rdpcap
from scapy.contrib.roce import BTH


def main():
    seen = bad = 0
    for num, pkt in enumerate(rdpcap(sys.argv[1]), 1):
        if BTH not in pkt:
            continue
        seen += 1
        copy = pkt.copy()
        copy[BTH].icrc = None  # Scapy computes it when it builds the packet
        wire = raw(pkt[BTH])[-4:]
        want = raw(copy[BTH])[-4:]
        ok = wire == want
        bad += not ok
        print(num, pkt[BTH].opcode, wire.hex(), want.hex(),
              "ok" if ok else "BAD")
    if not seen:
        return 2
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

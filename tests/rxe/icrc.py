#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# icrc.py PCAP: checks the ICRC of every RoCE v2 packet (UDP port 4791) of
# PCAP against the one Scapy's RoCE layer computes (Debian's python3-scapy;
# tshark shows the ICRC but does not check it). Prints one line a packet:
# number, BTH opcode, ICRC on the wire, ICRC computed, ok or BAD. Exits 1
# if any is BAD, 2 if there is no RoCE v2 packet.
import struct
import sys
import zlib

from scapy.all import IP, UDP, raw, rdpcap
from scapy.contrib.roce import BTH


def seg_right(ip, udp, seg, ip_id):
    """Whether @seg (BTH through ICRC) is right as a datagram of its own
    with the IPv4 header @ip and UDP header @udp (bytes) and ID @ip_id:
    the ICRC computed here as RoCE v2 defines it, for speed."""
    h = bytearray(ip)
    h[1] = 0xff  # TOS
    h[2:4] = struct.pack("!H", len(h) + 8 + len(seg))
    h[4:6] = struct.pack("!H", ip_id)
    h[8] = 0xff  # TTL
    h[10:12] = b"\xff\xff"  # checksum
    u = bytearray(udp) + bytearray(seg)
    u[4:6] = struct.pack("!H", 8 + len(seg))
    u[6:8] = b"\xff\xff"  # checksum
    u[12] = 0xff  # BTH byte 4: FECN, BECN, reserved
    icrc = zlib.crc32(b"\xff" * 8 + bytes(h) + bytes(u[:-4]))
    return struct.pack("<I", icrc) == bytes(u[-4:])


def gso_whole(pkt):
    """A UDP GSO send that reached the capture unsegmented (a veth whose
    peer segments nothing): the segment size and count if the datagram
    splits into RoCE packets each right as a datagram of its own with the
    IPv4 IDs the kernel's segmentation gives (0, 1, 2...), else None."""
    if IP not in pkt or UDP not in pkt:
        return None
    ip = raw(pkt[IP])[:pkt[IP].ihl * 4]
    udp = raw(pkt[UDP])[:pkt[UDP].len]
    pay = udp[8:]
    for size in range(16, len(pay), 4):  # a last segment may be shorter
        segs = [pay[i:i + size] for i in range(0, len(pay), size)]
        if all(seg_right(ip, udp[:8], seg, k) for k, seg in enumerate(segs)):
            return size, len(segs)
    return None


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
        why = ""
        whole = None if ok else gso_whole(pkt)
        if whole:
            why = (" (one UDP GSO send captured unsegmented: %d packets "
                   "of %d bytes, each right with IPv4 IDs 0..%d)" %
                   (whole[1], whole[0], whole[1] - 1))
        print(num, pkt[BTH].opcode, wire.hex(), want.hex(),
              ("ok" if ok else "BAD") + why)
    if not seen:
        return 2
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# check.py DIR CM_PORT ADDR_A ADDR_B [MODE]: checks the capture DIR/wire.pcap that
# capture.sh made, with the tools' output DIR/<run>.server (in A) and
# DIR/<run>.client (in B). tshark decodes every packet; each header field
# is compared with what the tools printed and with the IBTA rules; Scapy
# checks every ICRC. Prints the tshark command lines and one line per
# failed check; exits 1 if any failed. MODE "roce" (the wire roce mode,
# uroce(7)): every packet between UDP ports 4791, ECT(0), and its ICRC
# right over the IP header as captured, whatever its IPv4 ID.
import os
import re
import struct
import subprocess
import sys

from scapy.all import IP, UDP, Ether, bind_layers, raw, rdpcap, wrpcap
from scapy.contrib.roce import BTH

PMTU = 1024
DIR, CM_PORT, ADDR_A, ADDR_B = sys.argv[1], int(sys.argv[2]), *sys.argv[3:5]
ROCE = len(sys.argv) > 5 and sys.argv[5] == "roce"
ROCE_PORT = 4791
# In the roce mode both ends number their QPs from tag 1 of their own
# namespace's group, and every run starts a new group: a QP is known by
# the address it is at as well (B's get this bit), and a run's packets by
# when they were sent (DIR/<run>.time).
B_BIT = 1 << 24 if ROCE else 0
PCAP = os.path.join(DIR, "wire.pcap")

# opcode: (name, bytes of extended headers, request, ends a message)
OPS = {
    0x00: ("SEND_FIRST", 0, 1, 0), 0x01: ("SEND_MIDDLE", 0, 1, 0),
    0x02: ("SEND_LAST", 0, 1, 1), 0x03: ("SEND_LAST_IMM", 4, 1, 1),
    0x04: ("SEND_ONLY", 0, 1, 1), 0x05: ("SEND_ONLY_IMM", 4, 1, 1),
    0x06: ("WRITE_FIRST", 16, 1, 0), 0x07: ("WRITE_MIDDLE", 0, 1, 0),
    0x08: ("WRITE_LAST", 0, 1, 1), 0x09: ("WRITE_LAST_IMM", 4, 1, 1),
    0x0a: ("WRITE_ONLY", 16, 1, 1), 0x0b: ("WRITE_ONLY_IMM", 20, 1, 1),
    0x0c: ("READ_REQ", 16, 1, 1), 0x0d: ("READ_RESP_FIRST", 4, 0, 0),
    0x0e: ("READ_RESP_MIDDLE", 0, 0, 0), 0x0f: ("READ_RESP_LAST", 4, 0, 0),
    0x10: ("READ_RESP_ONLY", 4, 0, 0), 0x11: ("ACK", 4, 0, 0),
    0x12: ("ATOMIC_ACK", 12, 0, 0), 0x13: ("CMP_SWAP", 28, 1, 1),
    0x14: ("FETCH_ADD", 28, 1, 1), 0x64: ("UD_SEND_ONLY", 8, 1, 1),
    0x65: ("UD_SEND_ONLY_IMM", 12, 1, 1),
}
FIELDS = """frame.number ip.src ip.dst ip.dsfield.ecn udp.srcport
udp.dstport udp.length
infiniband.bth.opcode infiniband.bth.se infiniband.bth.m
infiniband.bth.padcnt infiniband.bth.tver infiniband.bth.p_key
infiniband.bth.destqp infiniband.bth.a infiniband.bth.psn
infiniband.reth.va infiniband.reth.r_key infiniband.reth.dmalen
infiniband.aeth.syndrome infiniband.aeth.msn infiniband.atomiceth.swapdt
infiniband.atomiceth.cmpdt infiniband.atomicacketh.origremdt
infiniband.deth.q_key infiniband.deth.srcqp infiniband.immdt
infiniband.invariant.crc frame.time_epoch""".split()
CM_FIELDS = """frame.number infiniband.mad.baseversion infiniband.mad.mgmtclass
infiniband.mad.classversion infiniband.mad.method infiniband.mad.status
infiniband.mad.transactionid infiniband.mad.attributeid
infiniband.cm.req infiniband.cm.req.serviceid
infiniband.cm.req.serviceid.protocol infiniband.cm.req.serviceid.dport
infiniband.cm.req.localqkey infiniband.cm.req.localqpn
infiniband.cm.req.transpsvctype infiniband.cm.req.startpsn
infiniband.cm.req.pkey infiniband.cm.req.ip_cm.majv
infiniband.cm.req.ip_cm.ipv infiniband.cm.req.ip_cm.sip4
infiniband.cm.req.ip_cm.dip4 infiniband.cm.rep
infiniband.cm.rep.remotecommid infiniband.cm.rep.localqpn
infiniband.cm.rep.startpsn infiniband.cm.rtu.localcommid
infiniband.cm.rtu.remotecommid infiniband.cm.dreq.localcommid
infiniband.cm.dreq.remotecommid infiniband.cm.drsp.localcommid
infiniband.cm.drsp.remotecommid""".split()

errors = []


def check(ok, what):
    if not ok:
        errors.append(what)
    return ok


def num(v):
    if v == "":
        return None
    if v in ("True", "False"):
        return int(v == "True")
    return int(v, 0)


def tshark(pcap, decode, fields):
    cmd = ["tshark", "-r", pcap, "-n"]
    for port in decode:
        cmd += ["-d", "udp.port==%d,infiniband" % port]
    cmd += ["-T", "fields", "-E", "occurrence=f"]
    for f in fields:
        cmd += ["-e", f]
    print("$", " ".join(cmd))
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        sys.exit("tshark failed: " + out.stderr)
    rows = []
    for line in out.stdout.splitlines():
        vals = line.split("\t")
        rows.append({f.split(".", 1)[1] if f.startswith("infiniband.")
                     else f: v for f, v in zip(fields, vals)})
    return rows


def tool_qps(name):
    """The (local, remote) QP each end printed: dicts of qpn, psn, rkey,
    va; the server runs in A, the client in B."""
    qps = {}
    for side, addr in (("server", ADDR_A), ("client", ADDR_B)):
        with open(os.path.join(DIR, "%s.%s" % (name, side))) as f:
            text = f.read()
        m = re.search(r"local address:.*?QPN (0x[0-9a-f]+),? PSN "
                      r"(0x[0-9a-f]+)(?:.*?RKey (0x[0-9a-f]+) VAddr "
                      r"(0x[0-9a-f]+))?", text)
        if not check(m, "%s %s: no local address line" % (name, side)):
            continue
        qps[addr] = {k: int(v, 0) if v else None for k, v in
                     zip(("qpn", "psn", "rkey", "va"), m.groups())}
        if addr == ADDR_B:
            qps[addr]["qpn"] |= B_BIT
    return qps


def rel(psn, base):
    return (psn - base) & 0xffffff


def check_packet(p):
    """Fields every RoCE v2 packet must carry."""
    n = "frame %s" % p["frame.number"]
    op = num(p["bth.opcode"])
    if not check(op in OPS, "%s: opcode %s unexpected" % (n, op)):
        return
    name, ext, _, _ = OPS[op]
    qpn = num(p["bth.destqp"])
    check(num(p["bth.p_key"]) == 0xffff, "%s: P_Key %s" % (n, p["bth.p_key"]))
    check(num(p["bth.tver"]) == 0, "%s: TVer %s" % (n, p["bth.tver"]))
    if ROCE:
        # The source port: check_sports, which knows the sender's QP.
        check(num(p["udp.dstport"]) == ROCE_PORT,
              "%s: UDP ports %s -> %s, not to 4791" %
              (n, p["udp.srcport"], p["udp.dstport"]))
        check(num(p["ip.dsfield.ecn"]) == 2,
              "%s: ECN %s, not ECT(0)" % (n, p["ip.dsfield.ecn"]))
        check(qpn >> 10 and (qpn & 0x3ff) < 256,
              "%s: QPN 0x%x not of a steering tag" % (n, qpn))
    else:
        check(num(p["udp.dstport"]) == qpn >> 8,
              "%s: UDP port %s is not QPN 0x%x >> 8" %
              (n, p["udp.dstport"], qpn))
    body = num(p["udp.length"]) - 8 - 12 - ext - 4
    pad = num(p["bth.padcnt"])
    check(body >= 0 and body % 4 == 0 and pad <= 3 and pad <= body,
          "%s %s: payload and pad %d, pad %d" % (n, name, body, pad))
    if name.endswith(("FIRST", "MIDDLE")) or ext >= 12 or body == 0:
        check(pad == 0, "%s %s: pad %d" % (n, name, pad))
    if p["ip.dst"] == ADDR_B:
        qpn |= B_BIT
    p.update(op=op, name=name, qpn=qpn, len=body - pad,
             psn=num(p["bth.psn"]), time=float(p["frame.time_epoch"]))


def rxe_flow_sport(lqpn, rqpn):
    """The kernel's rxe's UDP source port for an RC or UC QP once its
    path is set without a flow label (rdma_get_udp_sport): the label the
    two QPNs make, its 20 bits folded into the 14 above 0xC000. The same
    both ways."""
    v = lqpn * rqpn
    v ^= v >> 20
    v ^= v >> 40
    fl = v & 0xfffff
    return 0xc000 | ((fl & 0x3fff) ^ (fl >> 14))


def rxe_qp_sport(qpn):
    """rxe's source port for a UD QP: 0xC000 + hash_32(qpn, 14)."""
    return 0xc000 + (((qpn * 0x61c88647) & 0xffffffff) >> 18)


def check_sports(name, pkts, a, b):
    """roce: the packets between QPs @a and @b (either way) leave from
    rxe's port for their flow."""
    want = rxe_flow_sport(a & 0xffffff, b & 0xffffff)
    for p in pkts:
        if p["qpn"] in (a, b):
            check(num(p["udp.srcport"]) == want,
                  "%s frame %s: source port %s, rxe's is %d (QPs 0x%x, 0x%x)"
                  % (name, p["frame.number"], p["udp.srcport"], want,
                     a & 0xffffff, b & 0xffffff))


def requests_of(pkts, qpn):
    return [p for p in pkts if p["qpn"] == qpn and OPS[p["op"]][2]]


def check_rc(name, pkts, qps, want):
    """One RC connection: the requests to each side in PSN order from the
    sender's PSN, the responses' PSN and MSN, the RETH and AtomicETH
    against the responder's buffer."""
    for dst, src in ((ADDR_A, ADDR_B), (ADDR_B, ADDR_A)):
        if dst not in qps or src not in qps:
            return
        resp, req = qps[dst], qps[src]
        reqs = requests_of(pkts, resp["qpn"])
        back = [p for p in pkts if p["qpn"] == req["qpn"] and
                not OPS[p["op"]][2]]
        if not reqs:
            continue
        for p in reqs + back:
            check(p["ip.dst"] == (dst if p in reqs else src),
                  "%s frame %s: to %s" % (name, p["frame.number"],
                                          p["ip.dst"]))
        # PSNs: consecutive from the sender's, a READ taking one a
        # response packet; message ends counted for the MSN.
        expect, ends, reads = req["psn"], [], {}
        for p in reqs:
            n = "%s frame %s %s" % (name, p["frame.number"], p["name"])
            check(p["psn"] == expect, "%s: PSN 0x%x, expected 0x%x" %
                  (n, p["psn"], expect))
            expect = p["psn"]
            span = 1
            if p["name"] == "READ_REQ":
                span = max(1, -(-num(p["reth.dmalen"]) // PMTU))
                reads[p["psn"]] = num(p["reth.dmalen"])
            if OPS[p["op"]][3]:
                ends.append(rel(expect + span - 1, req["psn"]))
            expect = (expect + span) & 0xffffff
            # rping sends its buffers' keys in its messages: not known.
            if resp.get("rkey") is None:
                pass
            elif p["name"].startswith(("WRITE_FIRST", "WRITE_ONLY",
                                       "READ_REQ")):
                check(num(p["reth.r_key"]) == resp["rkey"],
                      "%s: rkey %s, the responder's is 0x%x" %
                      (n, p["reth.r_key"], resp["rkey"]))
                va = num(p["reth.va"])
                check(resp["va"] <= va < resp["va"] + (1 << 20),
                      "%s: va 0x%x outside the buffer at 0x%x" %
                      (n, va, resp["va"]))
                check(num(p["reth.dmalen"]) == want.get("len"),
                      "%s: DMA length %s, expected %s" %
                      (n, p["reth.dmalen"], want.get("len")))
            elif p["name"] in ("CMP_SWAP", "FETCH_ADD"):
                # tshark names the AtomicETH's address and key as the
                # RETH's.
                check(num(p["reth.r_key"]) == resp["rkey"],
                      "%s: rkey %s, the responder's is 0x%x" %
                      (n, p["reth.r_key"], resp["rkey"]))
                va = num(p["reth.va"])
                check(va % 8 == 0 and resp["va"] <= va < resp["va"] +
                      (1 << 20), "%s: atomic va 0x%x" % (n, va))
                for f, v in want.get("atomic", {}).items():
                    check(num(p["atomiceth." + f]) == v,
                          "%s: %s %s, expected %s" %
                          (n, f, p["atomiceth." + f], v))
        check(num(reqs[-1]["bth.a"]) == 1,
              "%s: last request (frame %s) without AckReq" %
              (name, reqs[-1]["frame.number"]))
        # Responses: PSN of a request's, MSN the messages ended by then.
        sent = {rel(p["psn"], req["psn"]) for p in reqs}
        for r0, length in reads.items():
            sent.update(rel(r0 + i, req["psn"])
                        for i in range(-(-length // PMTU)))
        got = {}
        for p in back:
            n = "%s frame %s %s" % (name, p["frame.number"], p["name"])
            off = rel(p["psn"], req["psn"])
            check(off in sent, "%s: PSN 0x%x answers no request" %
                  (n, p["psn"]))
            check(num(p["bth.a"]) == 0, "%s: AckReq in a response" % n)
            if p["aeth.syndrome"]:
                syn = num(p["aeth.syndrome"])
                check(syn >> 5 == 0, "%s: syndrome 0x%x is not an ACK" %
                      (n, syn))
                msn = sum(1 for e in ends if e <= off)
                # The first response of a READ may count it already.
                ok = {msn, msn + 1} if p["name"] == "READ_RESP_FIRST" \
                    else {msn}
                check(num(p["aeth.msn"]) in ok, "%s: MSN %s, expected %s"
                      % (n, p["aeth.msn"], sorted(ok)))
            if p["name"].startswith("READ_RESP"):
                base = max((r for r in reads if rel(r, req["psn"]) <= off),
                           key=lambda r: rel(r, req["psn"]))
                got.setdefault(base, []).append(p)
            if p["name"] == "ATOMIC_ACK":
                check(p["atomicacketh.origremdt"] != "",
                      "%s: no AtomicAckETH" % n)
        # READ responses: FIRST, MIDDLE..., LAST (or ONLY), full MTUs.
        for base, length in reads.items():
            rs = got.get(base, [])
            k = -(-length // PMTU)
            names = [p["name"][10:] for p in rs]
            exp = ["ONLY"] if k == 1 else \
                ["FIRST"] + ["MIDDLE"] * (k - 2) + ["LAST"]
            check(names == exp, "%s READ at PSN 0x%x: responses %s" %
                  (name, base, names))
            check([p["psn"] for p in rs] ==
                  [(base + i) & 0xffffff for i in range(len(rs))],
                  "%s READ at PSN 0x%x: response PSNs" % (name, base))
            check([p["len"] for p in rs] ==
                  [min(PMTU, length - i * PMTU) for i in range(len(rs))],
                  "%s READ at PSN 0x%x: response lengths %s" %
                  (name, base, [p["len"] for p in rs]))
        want.setdefault("seen", set()).update(p["name"] for p in reqs + back)


def check_ud(pkts, qps):
    for dst, src in ((ADDR_A, ADDR_B), (ADDR_B, ADDR_A)):
        reqs = requests_of(pkts, qps[dst]["qpn"])
        check(len(reqs) == 5, "ud: %d SENDs to %s" % (len(reqs), dst))
        for i, p in enumerate(reqs):
            n = "ud frame %s" % p["frame.number"]
            check(p["name"] == "UD_SEND_ONLY", "%s: %s" % (n, p["name"]))
            check(p["psn"] == (qps[src]["psn"] + i) & 0xffffff,
                  "%s: PSN 0x%x" % (n, p["psn"]))
            check(num(p["deth.q_key"]) == 0x11111111,
                  "%s: Q_Key %s" % (n, p["deth.q_key"]))
            if ROCE:
                want = rxe_qp_sport(num(p["deth.srcqp"]))
                check(num(p["udp.srcport"]) == want,
                      "%s: source port %s, rxe's is %d" %
                      (n, p["udp.srcport"], want))
            check(num(p["deth.srcqp"]) == qps[src]["qpn"] & 0xffffff,
                  "%s: source QP %s, the sender's is 0x%x" %
                  (n, p["deth.srcqp"], qps[src]["qpn"]))
            check(p["len"] == 64, "%s: %d bytes" % (n, p["len"]))


def ops_qps():
    """wire_ops's connections: {name: (A's QP, B's QP)}."""
    out = {}
    with open(os.path.join(DIR, "ops")) as f:
        for line in f:
            m = re.match(r"(\w+) A QPN (\S+) PSN (\S+) B QPN (\S+) PSN (\S+) "
                         r"RKey (\S+) VAddr (\S+)", line)
            if m:
                v = [int(x, 0) for x in m.groups()[1:]]
                out[m.group(1)] = ({"qpn": v[0], "psn": v[1]},
                                   {"qpn": v[2] | B_BIT, "psn": v[3],
                                    "rkey": v[4],
                                    "va": v[5]})
    check(set(out) == {"imm", "rnr", "access"}, "wire_ops printed %s" % out)
    return out


def check_ops(pkts, ops):
    """One request from A and its answer from B for each: the WRITE with
    immediate its RETH and ImmDt, and an ACK with MSN 1; the RNR NAK
    carries B's RNR timer (1), the access NAK syndrome 0x62, both MSN 0
    (no message done); every answer has the request's PSN."""
    for k, (name, (a, b)) in enumerate(ops.items()):
        reqs = [p for p in pkts if p["qpn"] == b["qpn"]]
        answers = [p for p in pkts if p["qpn"] == a["qpn"]]
        # roce: each connection is made in a new group, all with the same
        # QPNs, one after the other: the k-th exchange is the k-th's.
        if ROCE and len(reqs) == len(answers) == len(ops):
            reqs, answers = [reqs[k]], [answers[k]]
        op, syn, msn = {"imm": ("WRITE_ONLY_IMM", 0x1f, 1),
                        "rnr": ("SEND_ONLY", 0x21, 0),
                        "access": ("WRITE_ONLY", 0x62, 0)}[name]
        if not check(len(reqs) == 1 and len(answers) == 1,
                     "%s: %d requests, %d answers" %
                     (name, len(reqs), len(answers))):
            continue
        q, r = reqs[0], answers[0]
        check(q["name"] == op and q["psn"] == a["psn"] and
              q["ip.dst"] == ADDR_B and num(q["bth.a"]) == 1,
              "%s: request %s PSN 0x%x to %s" %
              (name, q["name"], q["psn"], q["ip.dst"]))
        if name == "imm":
            check(q["immdt"].replace(":", "") == "12345678" and
                  num(q["reth.r_key"]) == b["rkey"] and
                  num(q["reth.va"]) == b["va"] and
                  num(q["reth.dmalen"]) == 64 and q["len"] == 64,
                  "imm: ImmDt %s, RETH %s %s %s" %
                  (q["immdt"], q["reth.va"], q["reth.r_key"],
                   q["reth.dmalen"]))
        if name == "access":
            check(num(q["reth.r_key"]) == b["rkey"] ^ 0x5a5a and
                  num(q["reth.va"]) == b["va"] and
                  num(q["reth.dmalen"]) == 64,
                  "access: RETH %s %s %s" % (q["reth.va"], q["reth.r_key"],
                                             q["reth.dmalen"]))
        check(r["name"] == "ACK" and r["psn"] == a["psn"] and
              r["ip.dst"] == ADDR_A and num(r["aeth.syndrome"]) == syn and
              num(r["aeth.msn"]) == msn and num(r["bth.a"]) == 0,
              "%s: answer %s PSN 0x%x syndrome %s MSN %s, expected ACK "
              "PSN 0x%x syndrome 0x%x MSN %d" %
              (name, r["name"], r["psn"], r["aeth.syndrome"],
               r["aeth.msn"], a["psn"], syn, msn))
        r["name"] += {0x21: " RNR_NAK", 0x62: " ACCESS_NAK", 0x1f: ""}[syn]


def check_icrc(pcap, ports):
    """Scapy's ICRC of each RoCE packet, over the IP header as sent (the
    RoCE v2 definition) and over one with IP ID 0 and DF, the header uroce
    assumes (providers/uroce/path.c): (packets, [mismatches], [mismatches
    with uroce's header])."""
    for port in ports:
        bind_layers(UDP, BTH, dport=port)
    roce, assumed, seen = [], [], 0
    for i, pkt in enumerate(rdpcap(pcap), 1):
        if BTH not in pkt:
            continue
        seen += 1
        wire = raw(pkt[BTH])[-4:]
        copy = pkt.copy()
        copy[BTH].icrc = None
        want = raw(copy[BTH])[-4:]
        if wire != want:
            roce.append("frame %d opcode %d IP ID 0x%04x DF %d: ICRC %s, "
                        "RoCE v2's %s" % (i, pkt[BTH].opcode, pkt[IP].id,
                                          pkt[IP].flags.DF, wire.hex(),
                                          want.hex()))
        copy[IP].id, copy[IP].flags = 0, "DF"
        if raw(copy[BTH])[-4:] != wire:
            assumed.append("frame %d opcode %d: ICRC %s, not %s" %
                           (i, pkt[BTH].opcode, wire.hex(),
                            raw(copy[BTH])[-4:].hex()))
    return seen, roce, assumed


def check_cm(pcap, cm_frames, rping):
    """uroce's CM datagrams are bare 256-byte MADs, which tshark decodes
    only after a BTH: each is wrapped in the RoCE v2 GSI frame
    (UD SEND to QP1, DETH Q_Key 0x80010000 from QP1) it would be."""
    # A CM retry (a REQ or REP sent again while the answer was late, as
    # on a loaded machine) repeats its MAD byte for byte: keep the first.
    seen_mads, unique = set(), []
    for pkt in cm_frames:
        mad = raw(pkt[UDP].payload)[-260:-4] if ROCE else \
            raw(pkt[UDP].payload)
        if mad not in seen_mads:
            seen_mads.add(mad)
            unique.append(pkt)
    cm_frames = unique
    out = []
    for pkt in cm_frames:
        if ROCE:
            out.append(pkt)
            continue
        mad = raw(pkt[UDP].payload)
        check(len(mad) == 256, "CM datagram of %d bytes" % len(mad))
        bth = struct.pack("!BBHII", 0x64, 0, 0xffff, 1, 0)
        deth = struct.pack("!II", 0x80010000, 1)
        p = (Ether() / IP(src=pkt[IP].src, dst=pkt[IP].dst) /
             UDP(sport=pkt[UDP].sport, dport=4791) /
             BTH(bth + deth + mad + b"\0\0\0\0"))
        p[BTH].icrc = None
        out.append(Ether(raw(p)))
    wrapped = os.path.join(DIR, "cm.pcap")
    wrpcap(wrapped, out)
    rows = tshark(wrapped, [], CM_FIELDS)
    attrs = [num(r["mad.attributeid"]) for r in rows]
    check(attrs[:3] == [0x10, 0x13, 0x14] and
          sorted(attrs[3:]) == [0x15, 0x16],
          "CM: messages %s, not REQ REP RTU DREQ DREP" %
          [hex(a) for a in attrs if a is not None])
    for r, pkt in zip(rows, cm_frames):
        n = "CM frame %s attribute %s" % (r["frame.number"],
                                          r["mad.attributeid"])
        for f, v in (("baseversion", 1), ("mgmtclass", 7),
                     ("classversion", 2), ("method", 3), ("status", 0)):
            check(num(r["mad." + f]) == v,
                  "%s: MAD %s %s, expected %d" % (n, f, r["mad." + f], v))
    if len(rows) < 3:
        return
    req, rep, rtu = rows[:3]
    check(cm_frames[0][IP].src == ADDR_B, "CM: REQ not from the client")
    check(num(req["cm.req.serviceid.protocol"]) == 6 and
          num(req["cm.req.serviceid.dport"]) == CM_PORT,
          "CM REQ: service ID %s" % req["cm.req.serviceid"])
    check(num(req["cm.req.pkey"]) == 0xffff, "CM REQ: P_Key")
    check(num(req["cm.req.transpsvctype"]) == 0, "CM REQ: not RC")
    check(req["cm.req.ip_cm.sip4"] == ADDR_B and
          req["cm.req.ip_cm.dip4"] == ADDR_A,
          "CM REQ: IP addresses %s -> %s" %
          (req["cm.req.ip_cm.sip4"], req["cm.req.ip_cm.dip4"]))
    check(rep["cm.rep.remotecommid"] == req["cm.req"],
          "CM REP: remote ID is not the REQ's")
    check(rtu["cm.rtu.localcommid"] == req["cm.req"] and
          rtu["cm.rtu.remotecommid"] == rep["cm.rep"],
          "CM RTU: communication IDs")
    for r in rows[3:]:
        kind = "dreq" if num(r["mad.attributeid"]) == 0x15 else "drsp"
        ids = {r["cm.%s.localcommid" % kind],
               r["cm.%s.remotecommid" % kind]}
        check(ids == {req["cm.req"], rep["cm.rep"]},
              "CM %s: communication IDs" % kind.upper())
    # The connection's QPs and first PSNs, for its data packets.
    rping[ADDR_B] = {"qpn": num(req["cm.req.localqpn"]) | B_BIT,
                     "psn": num(req["cm.req.startpsn"])}
    rping[ADDR_A] = {"qpn": num(rep["cm.rep.localqpn"]),
                     "psn": num(rep["cm.rep.startpsn"])}
    # IBTA 12.7: a REQ's or REP's Starting PSN is what its sender's QP
    # expects to receive, so each end sends from its peer's.
    rping[ADDR_B]["psn"], rping[ADDR_A]["psn"] = (rping[ADDR_A]["psn"],
                                                  rping[ADDR_B]["psn"])


def without_retries(pkts):
    """A retransmitted request, or the ACK a duplicate gets, repeats an
    earlier datagram of its flow byte for byte up to the ICRC (which
    covers an IPv4 ID that may differ): a loaded machine makes them, and
    the sequence checks below want each packet once."""
    global PCAP
    seen, kept = set(), []
    for p in pkts:
        key = None
        if UDP in p:
            net = p[UDP].underlayer
            key = (net.src, net.dst, p[UDP].sport, p[UDP].dport,
                   raw(p[UDP].payload)[:-4])
        if key is None or key not in seen:
            seen.add(key)
            kept.append(p)
    if len(kept) < len(pkts):
        print("%d retransmitted datagrams left out" % (len(pkts) - len(kept)))
        PCAP = os.path.join(DIR, "no-retries.pcap")
        wrpcap(PCAP, kept)
    return kept


def main():
    pkts = without_retries(rdpcap(PCAP))
    # The CM's datagrams: to and from the listener's port, and between
    # the sockets that exchanged them (a passive side answers from its
    # namespace's shared socket).
    cm_ports, more = set(), {CM_PORT}
    while more - cm_ports:
        cm_ports |= more
        more = {port for p in pkts if UDP in p and
                cm_ports & {p[UDP].sport, p[UDP].dport}
                for port in (p[UDP].sport, p[UDP].dport)}
    cm_frames = [p for p in pkts if UDP in p and p[UDP].dport in cm_ports]
    if ROCE:
        # The CM's MADs go to QP 1 (the GSI) on port 4791 (uroce-cm(7)).
        cm_frames = [p for p in pkts if BTH in p and p[BTH].dqpn == 1]
    ports = sorted({p[UDP].dport for p in pkts if UDP in p} - cm_ports)
    rows = [r for r in tshark(PCAP, ports, FIELDS)
            if num(r["udp.dstport"]) in ports and
            not (ROCE and num(r["bth.destqp"]) == 1)]
    roce = []
    for r in rows:
        if check(r["bth.opcode"] != "", "frame %s: no BTH decoded" %
                 r["frame.number"]):
            check_packet(r)
            if "op" in r:
                roce.append(r)

    runs = {n: tool_qps(n) for n in ("rc", "ud", "rdma_write", "rdma_read",
                                     "faa", "cas")}
    rping = {}
    check_cm(PCAP, cm_frames, rping)
    runs["rping"] = rping
    ops = ops_qps()
    known = {q["qpn"] for qps in runs.values() for q in qps.values()}
    known |= {q["qpn"] for pair in ops.values() for q in pair}
    for p in roce:
        check(p["qpn"] in known, "frame %s: QP 0x%x is no tool's" %
              (p["frame.number"], p["qpn"]))

    def during(name, pkts):
        if not ROCE:
            return pkts
        with open(os.path.join(DIR, name + ".time")) as f:
            t0, t1 = (float(x) for x in f.read().split())
        return [p for p in pkts if t0 <= p["time"] <= t1]

    def of(name):
        qs = {q["qpn"] for q in runs[name].values()}
        return [p for p in during(name, roce) if p["qpn"] in qs]

    wants = {"rc": {}, "rdma_write": {"len": 64},
             "rdma_read": {"len": 3000}, "faa": {"atomic": {"swapdt": 1}},
             "cas": {}, "rping": {}}
    for name, want in wants.items():
        check_rc(name, of(name), runs[name], want)
        if ROCE and len(runs[name]) == 2:
            check_sports(name, of(name), *(q["qpn"] for q in
                                           runs[name].values()))
    check_ud(of("ud"), runs["ud"])
    ops_pkts = [p for p in during("ops", roce) if p["qpn"] in
                {q["qpn"] for pair in ops.values() for q in pair}]
    check_ops(ops_pkts, ops)
    if ROCE:
        # Each in a group of its own, they all have the same QPNs.
        for k, (a, b) in ops.items():
            check_sports(k, ops_pkts, a["qpn"], b["qpn"])
    seen = set().union(*(w.get("seen", set()) for w in wants.values()))
    seen |= {p["name"] for p in of("ud") + ops_pkts}
    for need in ("SEND_ONLY", "WRITE_ONLY", "READ_REQ", "READ_RESP_FIRST",
                 "READ_RESP_MIDDLE", "READ_RESP_LAST", "READ_RESP_ONLY",
                 "CMP_SWAP", "FETCH_ADD", "ATOMIC_ACK", "ACK",
                 "UD_SEND_ONLY", "WRITE_ONLY_IMM", "ACK RNR_NAK",
                 "ACK ACCESS_NAK"):
        check(need in seen, "no %s packet checked" % need)
    print("checked %d RoCE packets (%s), %d CM messages" %
          (len(roce), " ".join(sorted(seen)), len(cm_frames)))

    nicrc, roce_bad, bad = check_icrc(PCAP, ports)
    # roce: the CM's MADs (QP 1) are RoCE packets too, their ICRCs checked.
    if ROCE:
        nicrc -= len(cm_frames)
    check(nicrc == len(roce), "Scapy found %d RoCE packets, tshark %d" %
          (nicrc, len(roce)))
    if ROCE:
        # RoCE v2's ICRC, over the header as captured: no assumption.
        errors.extend(roce_bad)
        ids = {p[IP].id for p in rdpcap(PCAP) if BTH in p}
        print("ICRC over the IP header as captured (RoCE v2): %d of %d "
              "packets match; IPv4 IDs seen: %s" %
              (nicrc - len(roce_bad), nicrc,
               " ".join("0x%04x" % i for i in sorted(ids))))
        status = 0
        if errors:
            print("FAIL:\n  " + "\n  ".join(errors))
            status = 1
        return status
    errors.extend(bad)
    print("ICRC with IP ID 0 and DF: %d of %d packets match" %
          (nicrc - len(bad), nicrc))
    status = 0
    if errors:
        print("FAIL:\n  " + "\n  ".join(errors))
        status = 1
    # Known failure, not counted: the kernel chooses the IPv4 ID (and
    # clears DF on a GSO send larger than the MTU), which uroce's ICRC
    # does not cover as sent.
    print("KNOWN FAILURE (not counted): ICRC over the IP header as sent "
          "(RoCE v2): %d of %d packets differ" % (len(roce_bad), nicrc))
    for line in roce_bad[:5]:
        print("  " + line)
    return status


if __name__ == "__main__":
    sys.exit(main())

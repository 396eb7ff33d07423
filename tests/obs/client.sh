#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# uroce's endpoint client against fake endpoints (fake_ep.py) in a
# namespace of their own: replies parsed with escapes, unknown kinds and
# keys ignored, filters, sums; truncated replies, other versions, junk,
# silent refusals and endpoints that hang are skipped, in bounded time.
source "$(dirname "$0")/lib.sh"

obs_setup

cat >"$TMP/good" <<'REPLY'
uroce-ep version=1 pid=77 comm=my\x20prog\x22q\x5c uid=0 future=yes
ctx id=1 dev=uroce_eth0 netdev=eth0 later=1
pd ctx=1 handle=3 users=4
mr ctx=1 pd=3 addr=0x7f0000001000 len=4096 lkey=0x1234abcd rkey=0x5678ef01 access=0x7
cq ctx=1 handle=1 cqe=255 used=2 overflows=0
cq ctx=1 handle=2 cqe=511 used=0 overflows=1
srq ctx=1 handle=5 pd=3 max_wr=128 used=3 limit=0
qp ctx=1 qpn=4325633 type=RC state=RTS pd=3 scq=1 rcq=2 srq=0 sq_psn=100 rq_psn=200 mtu=1024 dgid=::ffff:10.0.0.2 dqpn=4325889 dport=16897 member=eth0 tx_pkts=10 tx_bytes=1000 rx_pkts=5 rx_bytes=500 retrans=1 retrans_pkts=2 timeouts=1 seq_naks_sent=0 seq_naks_rcvd=3 rnr_naks_sent=0 rnr_naks_rcvd=0 err_naks_sent=0 err_naks_rcvd=0 dup_reqs=0 drops=1 drop_bad_psn=1 drop_short=0 unknown_counter=9
qp ctx=1 qpn=4325634 type=UD state=RTS pd=3 scq=1 rcq=1 srq=5 sq_psn=0 rq_psn=0 mtu=1024 member=eth0 tx_pkts=1 tx_bytes=100 rx_pkts=0 rx_bytes=0 drops=0 drop_bad_psn=0 drop_short=0
newkind a=1 b=2
stat ctx=1 dev=uroce_eth0 tx_pkts=11 tx_bytes=1100 rx_pkts=5 rx_bytes=500 retrans=1 retrans_pkts=2 drops=1 drop_bad_psn=1 drop_short=0 tx_errors=0 cq_overflows=1 fault_drop=0 fault_dup=0 fault_reorder=0
end
REPLY
head -c 400 "$TMP/good" >"$TMP/truncated"
sed 's/version=1/version=2/' "$TMP/good" >"$TMP/v2"
head -c 3000 /dev/urandom >"$TMP/junk"
printf 'uroce-ep version=1 comm=x\nend\n' >"$TMP/empty"

# name MODE [FILE]: a fake endpoint in A; its PID in $TMP/name.pid.
fake() {
	in_ns "$NS_A" "$PYTHON" "$OBS_DIR/fake_ep.py" "${@:2}" \
		>"$TMP/$1.out" 2>&1 &
	BG_PIDS+=("$!")
}
fake good1 reply "$TMP/good"
fake good2 reply "$TMP/good"
fake truncated reply "$TMP/truncated"
fake v2 reply "$TMP/v2"
fake junk reply "$TMP/junk"
fake empty reply "$TMP/empty"
fake close close
fake hang hang
fake dribble dribble "$TMP/good"
for f in good1 good2 truncated v2 junk empty close hang dribble; do
	wait_ready "$f"
done
in_ns "$NS_A" cat /proc/net/unix | grep -c "@uroce-ep/" |
	grep -qx 9 || fail "not 9 endpoints"

# The fakes' PIDs as uroce sees them (SO_PEERCRED): the same namespace.
start=$SECONDS
uroce_in "$NS_A" -j res >"$TMP/sum.json" 2>"$TMP/err" || fail "res failed"
# Each hanging endpoint costs the tool its 1 s timeout: a generous bound.
((SECONDS - start < $(scaled 8))) ||
	fail "two hanging endpoints took $((SECONDS - start)) s"
cat "$TMP/err"
for why in "truncated reply" "protocol version 2" "no reply in time"; do
	grep -q "$why" "$TMP/err" || fail "no warning \"$why\""
done
(($(grep -c "no reply in time" "$TMP/err") == 2)) || fail "hang, dribble"
(($(grep -c skipping "$TMP/err") == 5)) || fail "5 skipped (junk too)"
# Each costs a second per run from here on.
kill "$(field hang pid)" "$(field dribble pid)" 2>/dev/null || true
# "empty" has no ctx line: it is in no summary line.
jcheck "$TMP/sum.json" 'len(d) == 2'
jcheck "$TMP/sum.json" 'all(e["ifname"] == "uroce_eth0" and e["comm"] == "my prog\"q\\" for e in d)'
jcheck "$TMP/sum.json" '[(e["pd"], e["cq"], e["qp"], e["mr"], e["ctx"], e["srq"]) for e in d] == [(1, 2, 2, 1, 1, 1)] * 2'

uroce_in "$NS_A" res qp >"$TMP/qp.txt" 2>/dev/null
cat "$TMP/qp.txt"
grep -q '^dev uroce_eth0 lqpn 4325633 type RC state RTS rqpn 4325889 dgid ::ffff:10.0.0.2 pid [0-9]* comm my prog"q\\$' \
	"$TMP/qp.txt" || fail "res qp text"
uroce_in "$NS_A" -j -d res qp >"$TMP/qp.json" 2>/dev/null
jcheck "$TMP/qp.json" 'len(d) == 4'
jcheck "$TMP/qp.json" '"unknown_counter" not in d[0] and d[0]["seq_naks_rcvd"] == 3 and d[0]["sq-psn"] == 100 and d[0]["drop_bad_psn"] == 1'
jcheck "$TMP/qp.json" '"rqpn" not in d[1] and d[1]["srqn"] == 5'
uroce_in "$NS_A" -j -d res mr >"$TMP/mr.json" 2>/dev/null
jcheck "$TMP/mr.json" 'd[0]["lkey"] == "0x1234abcd" and d[0]["mrlen"] == 4096 and d[0]["access"] == ["LOCAL_WRITE", "REMOTE_WRITE", "REMOTE_READ"]'

# Filters
pid=$("$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)[0]["pid"])' \
	<"$TMP/qp.json")
uroce_in "$NS_A" -j res qp pid "$pid" qpn 4325634 >"$TMP/f.json" 2>/dev/null
jcheck "$TMP/f.json" 'len(d) == 1 and d[0]["pid"] == pid and d[0]["lqpn"] == 4325634' pid="$pid"
uroce_in "$NS_A" -j res cq dev nosuch >"$TMP/f.json" 2>/dev/null
jcheck "$TMP/f.json" 'd == []'
uroce_in "$NS_A" res cq qpn 1 2>/dev/null && fail "qpn accepted for cq"
uroce_in "$NS_A" res qp pid x 2>/dev/null && fail "pid x accepted"

# stat dev sums the two good fakes' contexts; stat qp lists 4 QPs.
uroce_in "$NS_A" -j stat >"$TMP/dev.json" 2>/dev/null
jcheck "$TMP/dev.json" 'len(d) == 1 and d[0]["tx_pkts"] == 22 and d[0]["cq_overflows"] == 2 and d[0]["contexts"] == 2 and d[0]["processes"] == 2'
uroce_in "$NS_A" -j stat qp qpn 4325633 >"$TMP/sqp.json" 2>/dev/null
jcheck "$TMP/sqp.json" 'len(d) == 2 and all(e["retrans_pkts"] == 2 for e in d)'
for args in "res" "res qp" "-d res qp" "res cq" "res mr" "res pd" \
	"res ctx" "res srq" "stat" "stat qp" "-d res mr"; do
	# shellcheck disable=SC2086
	uroce_in "$NS_A" -j $args 2>/dev/null | "$PYTHON" -m json.tool \
		>/dev/null || fail "uroce -j $args: not JSON"
done

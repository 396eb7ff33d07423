#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# uroce res with live QPs: two holders in A, each connected to one in B.
# Each namespace's listing shows exactly its own two processes, with RTS
# QPs whose peers are the other side's holders, and their CQs, MRs, PDs
# and contexts as the holders report them; the filters narrow it.
source "$(dirname "$0")/lib.sh"

obs_setup
start_pair a1 b1 10 1000
start_pair a2 b2 10 1000
wait_ready a1 b1 a2 b2

# check_qps NS NAME1 NAME2: NS lists exactly the QPs of holders NAME1 and
# NAME2, connected to their peers.
check_qps() {
	local ns=$1 h1=$2 h2=$3 f args=() h p

	f="$TMP/$ns.qp.json"
	uroce_in "$ns" -j res qp >"$f" || fail "uroce res qp in $ns"
	for h in "$h1" "$h2"; do
		case $h in
		a*) p=b${h#a} ;;
		b*) p=a${h#b} ;;
		esac
		args+=("pid_$h=$(field "$h" pid)" "qpn_$h=$(field "$h" qpn)"
			"dqpn_$h=$(field "$p" qpn)" "dgid_$h=$(field "$p" gid)")
	done
	jcheck "$f" 'len(d) == 2' "${args[@]}"
	jcheck "$f" "sorted(q['pid'] for q in d) == sorted([pid_$h1, pid_$h2])" \
		"${args[@]}"
	for h in "$h1" "$h2"; do
		jcheck "$f" "[(q['lqpn'], q['type'], q['state'], q['rqpn'], q['dgid'], q['comm']) for q in d if q['pid'] == pid_$h] == [(qpn_$h, 'RC', 'RTS', dqpn_$h, dgid_$h, 'obs_holder')]" \
			"${args[@]}"
	done
}
check_qps "$NS_A" a1 a2
check_qps "$NS_B" b1 b2

# Text, as rdma res show qp prints it.
uroce_in "$NS_A" res qp >"$TMP/qp.txt"
cat "$TMP/qp.txt"
grep -qx "dev $DEV_A lqpn $(field a1 qpn) type RC state RTS rqpn $(field b1 qpn) dgid $(field b1 gid) pid $(field a1 pid) comm obs_holder" \
	"$TMP/qp.txt" || fail "res qp text"

# Summary: one line per process, with the holder's resources.
uroce_in "$NS_A" -j res >"$TMP/sum.json"
uroce_in "$NS_A" res
jcheck "$TMP/sum.json" 'sorted(e["pid"] for e in d) == sorted([p1, p2])' \
	p1="$(field a1 pid)" p2="$(field a2 pid)"
jcheck "$TMP/sum.json" 'all((e["ifname"], e["comm"], e["pd"], e["cq"], e["qp"], e["mr"], e["ctx"], e["srq"]) == (dev, "obs_holder", 1, 2, 1, 1, 1, 0) for e in d)' \
	dev="$DEV_A"

for h in a1 a2; do
	pid=$(field "$h" pid)
	# MRs: what ibv_reg_mr returned to the holder.
	uroce_in "$NS_A" -j -d res mr pid "$pid" >"$TMP/mr.json"
	jcheck "$TMP/mr.json" 'len(d) == 1 and d[0]["lkey"] == lkey and d[0]["rkey"] == rkey and d[0]["mrlen"] == mrlen and int(d[0]["addr"], 16) == int(addr, 16) and d[0]["access"] == ["LOCAL_WRITE", "REMOTE_WRITE", "REMOTE_READ"]' \
		lkey="$(field "$h" mr lkey)" rkey="$(field "$h" mr rkey)" \
		mrlen="$(field "$h" mr len)" addr="$(field "$h" mr addr)"
	# CQs: a send CQ of 64 and a receive CQ of 4096 (or more), empty.
	uroce_in "$NS_A" -j res cq pid "$pid" >"$TMP/cq.json"
	jcheck "$TMP/cq.json" 'sorted(c["cqn"] for c in d) == sorted([scq, rcq]) and all(c["used"] == 0 for c in d) and [c["cqe"] >= 64 for c in d] == [True, True]' \
		scq="$(field "$h" scq)" rcq="$(field "$h" rcq)"
	uroce_in "$NS_A" -j res pd pid "$pid" >"$TMP/pd.json"
	jcheck "$TMP/pd.json" 'len(d) == 1 and d[0]["pdn"] == pdn and d[0]["ifname"] == dev' \
		pdn="$(field "$h" pd)" dev="$DEV_A"
	uroce_in "$NS_A" -j res ctx pid "$pid" >"$TMP/ctx.json"
	jcheck "$TMP/ctx.json" 'len(d) == 1 and d[0]["netdev"] == netdev' \
		netdev="dpa$$"
done
uroce_in "$NS_A" res mr
uroce_in "$NS_A" -d res cq

# Filters: qpn, dev, and pid together.
uroce_in "$NS_A" -j res qp qpn "$(field a2 qpn)" >"$TMP/f.json"
jcheck "$TMP/f.json" 'len(d) == 1 and d[0]["pid"] == pid' pid="$(field a2 pid)"
uroce_in "$NS_A" -j res qp dev "$DEV_A" pid "$(field a1 pid)" >"$TMP/f.json"
jcheck "$TMP/f.json" 'len(d) == 1 and d[0]["lqpn"] == qpn' qpn="$(field a1 qpn)"
uroce_in "$NS_A" -j res qp dev uroce_lo >"$TMP/f.json"
jcheck "$TMP/f.json" 'd == []'
# B's processes are invisible from A even by PID.
uroce_in "$NS_A" -j res pid "$(field b1 pid)" >"$TMP/f.json"
jcheck "$TMP/f.json" 'd == []'

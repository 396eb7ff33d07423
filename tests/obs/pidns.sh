#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# PID namespaces: a shell started with unshare --pid --fork in namespace A
# runs a holder as its child and sees only that holder, numbered as its
# own PID namespace numbers it, although another holder shares the
# network namespace; from outside, both show, with their outer PIDs.

# The part that runs inside the new PID namespace: pidns.sh inner TMP
# HOLDER UROCE DEV. Its holder's peer is "q" in B.
if [[ ${1:-} == inner ]]; then
	set -eu
	tmp=$2
	# A sanitizer build's LeakSanitizer lists its threads in /proc/<its
	# PID>/task, and this /proc is the outer PID namespace's.
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	"$3" -d "$5" -o "$tmp/p.qp" -i "$tmp/q.qp" -r send -n 10 -s 1000 \
		<"$tmp/hold" >"$tmp/p.out" 2>&1 &
	for ((i = 0; i < 600; i++)); do
		grep -q "^ready" "$tmp/p.out" && break
		sleep 0.1
	done
	echo "shell $$" >"$tmp/inner.out"
	"$4" -j res qp >"$tmp/inner.json"
	"$4" -j res >"$tmp/inner_sum.json"
	"$4" res qp >>"$tmp/inner.out"
	echo finished >>"$tmp/inner.out"
	wait
	exit 0
fi

source "$(dirname "$0")/lib.sh"

command -v unshare >/dev/null || skip "no unshare"
obs_setup
start_pair a1 b1 10 1000
start_holder q "$NS_B" "$DEV_B" p -r recv -n 10 -s 1000
CMD_TIMEOUT=$HOLD_TIMEOUT in_ns "$NS_A" unshare --pid --fork \
	bash "$0" inner "$TMP" "$HOLDER" "$UROCE" "$DEV_A" \
	>"$TMP/unshare.out" 2>&1 &
BG_PIDS+=("$!")
wait_ready a1 b1 p q
for ((i = 0; i < 600; i++)); do
	grep -qx finished "$TMP/inner.out" 2>/dev/null && break
	sleep 0.1
done
grep -qx finished "$TMP/inner.out" ||
	fail "inner shell: $(cat "$TMP/unshare.out" "$TMP/inner.out")"
cat "$TMP/inner.out"

# The shell is PID 1 of its namespace; its holder a small PID of it.
grep -qx "shell 1" "$TMP/inner.out" || fail "not in a new PID namespace"
inner=$(field p pid)
((inner > 1 && inner < 100)) || fail "holder's PID $inner is not the inner one"
jcheck "$TMP/inner.json" 'len(d) == 1 and d[0]["pid"] == pid and d[0]["lqpn"] == qpn and d[0]["state"] == "RTS"' \
	pid="$inner" qpn="$(field p qpn)"
jcheck "$TMP/inner_sum.json" '[e["pid"] for e in d] == [pid]' pid="$inner"

# Outside, in A's PID namespace: both holders, the inner one by the PID
# that namespace gives it (the first of its NSpid).
outer=
for pid in $(ip netns pids "$NS_A"); do
	read -r -a nspid < <(awk '/^NSpid:/ { $1 = ""; print }' \
		"/proc/$pid/status" 2>/dev/null)
	if ((${#nspid[@]} == 2)) && [[ ${nspid[1]} == "$inner" ]] &&
		[[ $(cat "/proc/$pid/comm") == obs_holder ]]; then
		outer=${nspid[0]}
	fi
done
[[ -n $outer ]] || fail "no outer PID for the inner holder"
uroce_in "$NS_A" -j res qp >"$TMP/outer.json"
uroce_in "$NS_A" res qp
jcheck "$TMP/outer.json" 'sorted((q["pid"], q["lqpn"]) for q in d) == sorted([(outer, pqpn), (a1, a1qpn)])' \
	outer="$outer" pqpn="$(field p qpn)" a1="$(field a1 pid)" \
	a1qpn="$(field a1 qpn)"

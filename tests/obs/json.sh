#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Every -j output of uroce res and uroce stat parses as JSON (with -p and
# -d too, and when empty), with a holder whose command name holds a quote,
# a backslash, a control character and a byte that is not UTF-8.
source "$(dirname "$0")/lib.sh"

obs_setup
comm=$'o"b\\s\x01\xff'
start_holder a1 "$NS_A" "$DEV_A" b1 -r send -n 10 -s 3000 -c "$comm"
start_holder b1 "$NS_B" "$DEV_B" a1 -r recv -n 10 -s 3000
wait_ready a1 b1

n=0
for opts in "-j" "-j -p" "-j -d" "-j -d -p"; do
	for cmd in "res" "res qp" "res cq" "res mr" "res pd" "res ctx" \
		"res srq" "stat" "stat dev" "stat qp" "res qp pid 1"; do
		# shellcheck disable=SC2086
		uroce_in "$NS_A" $opts $cmd >"$TMP/out.json" ||
			fail "uroce $opts $cmd failed"
		"$PYTHON" -m json.tool "$TMP/out.json" >/dev/null || {
			cat "$TMP/out.json"
			fail "uroce $opts $cmd: not JSON"
		}
		jcheck "$TMP/out.json" 'isinstance(d, list)'
		n=$((n + 1))
	done
done
log "$n outputs parse"

# The name comes through: the invalid byte as U+FFFD, the rest as is.
uroce_in "$NS_A" -j res qp >"$TMP/qp.json"
jcheck "$TMP/qp.json" 'len(d) == 1 and d[0]["comm"] == "o\"b\\s\x01\ufffd"'
uroce_in "$NS_A" -j res qp pid 1 >"$TMP/none.json"
jcheck "$TMP/none.json" 'd == []'
# In text, the control character shows as '?'.
uroce_in "$NS_A" res qp | grep -q 'comm o"b\\s?' || fail "text comm"

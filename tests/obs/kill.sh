#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# A holder killed with SIGKILL vanishes from uroce res and leaves nothing
# behind: no endpoint in /proc/net/unix, no file of its in /tmp, /dev/shm
# or /run. Its peer in B is still listed there.
source "$(dirname "$0")/lib.sh"

obs_setup
# uroce's names under the shared directories before the holder starts
# (other tests may add theirs meanwhile: only the holder's are checked).
# find fails when another test's files vanish under it: not our concern.
snapshot() {
	{ find /tmp /dev/shm /run -xdev \( -iname '*uroce*' -o -name "*$1*" \) \
		-not -path "$TMP*" 2>/dev/null || true; } | sort
}
start_holder a1 "$NS_A" "$DEV_A" b1 -r send -n 10 -s 1000
start_holder b1 "$NS_B" "$DEV_B" a1 -r recv -n 10 -s 1000
wait_ready a1 b1
pid=$(field a1 pid)
[[ $(cat "/proc/$pid/comm") == obs_holder ]] || fail "pid $pid is not the holder"
before=$(snapshot "$pid")

# What the holder has open under the shared directories, less what it
# inherited from this shell, its standard input and output and the
# build tree it runs from.
open_files() {
	local f

	for f in /proc/"$1"/fd/* /proc/"$1"/map_files/*; do
		readlink "$f"
	done 2>/dev/null | grep -E '^/(tmp|dev/shm|run)/' |
		grep -v -e "^$TMP" -e "^$(dirname "$LIBDIR")/" | sort -u || true
}
opened=$(comm -23 <(open_files "$pid") <(open_files $$))
[[ -z $opened ]] || log "the holder has open: $opened"

uroce_in "$NS_A" -j res >"$TMP/before.json"
jcheck "$TMP/before.json" '[e["pid"] for e in d] == [pid]' pid="$pid"
in_ns "$NS_A" cat /proc/net/unix >"$TMP/unix.before"
grep -q "@uroce-ep/" "$TMP/unix.before" || fail "no endpoint in A"

kill -KILL "$pid"
for ((i = 0; i < 100; i++)); do
	[[ -e /proc/$pid ]] || break
	sleep 0.1
done
[[ -e /proc/$pid ]] && fail "holder $pid still exists"

uroce_in "$NS_A" -j res >"$TMP/after.json" 2>"$TMP/err"
jcheck "$TMP/after.json" 'd == []'
[[ -s $TMP/err ]] && fail "uroce res: $(cat "$TMP/err")"
in_ns "$NS_A" cat /proc/net/unix >"$TMP/unix.after"
grep "@uroce-ep/" "$TMP/unix.after" && fail "an endpoint is left in A"
for f in $opened; do
	if [[ -e $f ]]; then
		fail "$f is left behind"
	fi
done
after=$(snapshot "$pid")
new=$(comm -13 <(echo "$before") <(echo "$after") | grep -e "$pid" || true)
[[ -z $new ]] || fail "left behind: $new"
# Its peer, in B, is untouched.
uroce_in "$NS_B" -j res >"$TMP/b.json"
jcheck "$TMP/b.json" '[e["pid"] for e in d] == [pid]' pid="$(field b1 pid)"

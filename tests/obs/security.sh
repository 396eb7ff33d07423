#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The endpoints answer only their owner's UID, or CAP_SYS_ADMIN: run as
# nobody, uroce res and stat show none of root's holders, and a raw
# connection to root's endpoint reads nothing; as root they show. A
# holder run by nobody shows to nobody and to root, but not to a root
# without CAP_SYS_ADMIN.
source "$(dirname "$0")/lib.sh"

command -v setpriv >/dev/null || skip "no setpriv"
obs_setup
as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
# nobody may not reach the build tree: copies it can reach. uroce res
# loads no provider, only libibverbs.
mine=$TMP/nobody
mkdir "$mine"
cp "$UROCE" "$HOLDER" "$OBS_DIR/ep_probe.py" "$mine/"
cp -L "$LIBDIR/libibverbs.so.1" "$mine/"
cp -r "$LIBDIR/uroce-providers" "$mine/"
mkdir -m 1777 "$mine/files"
chmod -R a+rX "$mine"
chmod 711 "$TMP"
# nobody_in_ns CMD...: CMD in A as nobody, on the copied library.
nobody_in_ns() {
	timeout "$CMD_TIMEOUT" ip netns exec "$NS_A" "${as_nobody[@]}" \
		env LD_LIBRARY_PATH="$mine" "$@"
}
nobody_in_ns "$mine/uroce" help >/dev/null || fail "uroce does not run as nobody"
start_pair a1 b1 10 1000
# n1: nobody's holder in A; m1, its peer, root's in B.
nobody_in_ns "$mine/$(basename "$HOLDER")" -d "$DEV_A" -o "$mine/files/n1" \
	-i "$mine/files/m1" <"$TMP/hold" >"$TMP/n1.out" 2>&1 &
BG_PIDS+=("$!")
start_holder m1 "$NS_B" "$DEV_B" n1 -i "$mine/files/n1" -o "$mine/files/m1"
wait_ready a1 b1 n1 m1
a1=$(field a1 pid)
n1=$(field n1 pid)

uroce_in "$NS_A" -j res >"$TMP/root.json"
jcheck "$TMP/root.json" 'sorted(e["pid"] for e in d) == sorted([a1, n1])' \
	a1="$a1" n1="$n1"
# Root without CAP_SYS_ADMIN: its own UID's only.
in_ns "$NS_A" setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin \
	"$UROCE" -j res >"$TMP/nocap.json" 2>"$TMP/err"
jcheck "$TMP/nocap.json" '[e["pid"] for e in d] == [a1]' a1="$a1"

for cmd in "res" "res qp" "res mr" "stat" "stat qp"; do
	# shellcheck disable=SC2086
	nobody_in_ns "$mine/uroce" -j $cmd >"$TMP/nobody.json" 2>"$TMP/err" ||
		fail "uroce $cmd as nobody failed"
	# Only nobody's holder: stat's device entry sums one process.
	jcheck "$TMP/nobody.json" 'len(d) == 1 and (d[0]["processes"] == 1 if cmd == "stat" else d[0]["pid"] == n1)' \
		n1="$n1" cmd="$cmd"
	# Refusals are silent: an endpoint of another user is not an error.
	if [[ -s $TMP/err ]]; then
		fail "uroce $cmd as nobody: $(cat "$TMP/err")"
	fi
done
nobody_in_ns "$mine/uroce" res qp

# Not the tool's choice: root's endpoint itself writes nothing to nobody
# (nobody's own does), and both answer root.
nobody_in_ns "$PYTHON" "$mine/ep_probe.py" >"$TMP/probe"
cat "$TMP/probe"
(($(wc -l <"$TMP/probe") == 2)) || fail "not two endpoints probed"
(($(awk '$2 == 0' "$TMP/probe" | wc -l) == 1)) ||
	fail "root's endpoint answered nobody"
in_ns "$NS_A" "$PYTHON" "$OBS_DIR/ep_probe.py" >"$TMP/probe"
awk '$2 == 0 { exit 1 }' "$TMP/probe" || fail "an endpoint refused root"

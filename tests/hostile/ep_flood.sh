#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Two users of the namespace (nobody) connect to and close every query
# endpoint in a loop (ep_flood.c): a root process's rdma_create_id and
# rdma_destroy_id must keep at least half their quiet rate.
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"

FLOOD=${UROCE_TEST_EP_FLOOD:-${BUILD:+$BUILD/tests/hostile/ep_flood}}
[[ -x $FLOOD ]] || fail "no ep_flood (set BUILD or UROCE_TEST_EP_FLOOD)"
command -v setpriv >/dev/null || skip "no setpriv"
pair_setup
# nobody may not reach the build tree: copies it can reach.
mine=$TMP/nobody
mkdir "$mine"
cp "$FLOOD" "$mine/"
cp -L "$LIBDIR/libibverbs.so.1" "$LIBDIR/librdmacm.so.1" "$mine/"
chmod -R a+rX "$mine"
chmod 711 "$TMP"

rate() {
	sed -n 's/^measure: \([0-9]*\) .*/\1/p' "$1"
}

in_ns "$NS_A" "$FLOOD" measure 2 >"$TMP/quiet" || fail "measure failed"
for i in 1 2; do
	timeout 20 ip netns exec "$NS_A" setpriv --reuid=65534 \
		--regid=65534 --clear-groups env LD_LIBRARY_PATH="$mine" \
		"$mine/ep_flood" flood 5 >"$TMP/flood$i" 2>&1 &
	BG_PIDS+=("$!")
done
sleep 0.5
in_ns "$NS_A" "$FLOOD" measure 2 >"$TMP/flooded" || fail "measure failed"
wait
cat "$TMP/quiet" "$TMP/flood1" "$TMP/flood2" "$TMP/flooded"
q=$(rate "$TMP/quiet")
f=$(rate "$TMP/flooded")
[[ -n $q && -n $f ]] || fail "no rates"
log "quiet $q/s, under two flooders $f/s"
((f * 2 >= q)) || fail "the CM is starved by endpoint connections"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# A flood of connection requests that are never completed, from another
# address of the namespace, at a server that accepts every request with a
# QP of its own (cm_flood.c). The server's memory and descriptors must stay
# within what its listen backlog of half-open connections costs, a genuine
# client must connect during the flood, and no request may be answered
# with more REPs than its Max CM Retries allows.
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"

FLOOD=${UROCE_TEST_CM_FLOOD:-${BUILD:+$BUILD/tests/hostile/cm_flood}}
[[ -x $FLOOD ]] || fail "no cm_flood (set BUILD or UROCE_TEST_CM_FLOOD)"
pair_setup
port=$((20000 + $$ % 20000))
backlog=32
count=3000 rate=300 retries=2 timeout=16
# Stated bounds: what 32 half-open connections and their QPs may cost
# (each QP about 35 kB and 4 descriptors: its CQs and channels).
rss_bound=8192 fds_bound=160

in_ns "$NS_A" "$FLOOD" server "$ADDR_A" "$port" "$backlog" 18 0 \
	>"$TMP/server" 2>&1 &
spid=$!
BG_PIDS+=("$spid")
wait_listen "$NS_A" udp "$port" "$spid"
# The server's base is taken once its first connection stands.
in_ns "$NS_B" "$FLOOD" client "$ADDR_A" "$port" >"$TMP/warm" 2>&1 ||
	fail "the first client did not connect: $(cat "$TMP/warm")"
in_ns "$NS_B" "$FLOOD" flood "$ADDR_A" "$port" $count $rate $retries \
	$timeout 3000 >"$TMP/flood" 2>&1 &
fpid=$!
BG_PIDS+=("$fpid")
sleep 4
crc=0
in_ns "$NS_B" "$FLOOD" client "$ADDR_A" "$port" >"$TMP/client" 2>&1 || crc=$?
wait "$fpid" || fail "flood failed: $(cat "$TMP/flood")"
wait "$spid" || fail "server failed: $(cat "$TMP/server")"
cat "$TMP/warm" "$TMP/client" "$TMP/flood" "$TMP/server"
((crc == 0)) || fail "a genuine client could not connect during the flood"
max=$(sed -n 's/^flood: max_reps=//p' "$TMP/flood")
growth=$(grep '^server: growth' "$TMP/server" || true)
rss=$(sed -n 's/.* rss=\(-*[0-9]*\) kB.*/\1/p' <<<"$growth")
fds=$(sed -n 's/.* fds=\(-*[0-9]*\) .*/\1/p' <<<"$growth")
check=$(sed -n 's/.* rss_check=\([01]\)$/\1/p' <<<"$growth")
[[ -n $max && -n $rss && -n $fds && -n $check ]] || fail "no figures"
log "REPs per request at most $max (max_cm_retries $retries);" \
	"server grew by $rss kB and $fds descriptors"
((max <= retries + 1)) ||
	fail "$max REPs for one request whose Max CM Retries is $retries"
if ((check)); then
	((rss <= rss_bound)) ||
		fail "server memory grew by $rss kB (> $rss_bound)"
else
	log "RSS not checked: ASan keeps freed memory in quarantine"
fi
((fds <= fds_bound)) || fail "server descriptors grew by $fds (> $fds_bound)"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# A pod with two interfaces, as Multus gives it: eth0 on the cluster
# network (a bridge leg) and net1 on a second network (a macvlan child),
# in one namespace P. Peer E is on the first network, peer M on the
# second. P has two devices, uroce_eth0 and uroce_net1; each carries RC
# traffic to the peer of its own network. A device does not reach the
# other network: ib_write_bw on uroce_eth0 to M's address fails with a
# retry error, and rping bound to eth0's address gets no connection to
# M, each within a bound (uroce sends by the namespace's routes, so such
# packets leave by net1 with eth0's source address, and M has no route
# back to it).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

NET2=192.0.2
net_setup
ns_new NS_H host
ns_new NS_P pod
ns_new NS_E e
ns_new NS_M m
ip -n "$NS_H" link add br0 type bridge || fail "bridge"
ip -n "$NS_H" link set br0 up
bridge_leg "$NS_H" br0 vp "$NS_P" eth0
bridge_leg "$NS_H" br0 ve "$NS_E" eth0
macvlan_parent "$NS_H" par0
macvlan "$NS_H" par0 "$NS_P" net1
macvlan "$NS_H" par0 "$NS_M" net1
if_up "$NS_P" eth0 "$NET.1"
if_up "$NS_E" eth0 "$NET.2"
if_up "$NS_P" net1 "$NET2.1"
if_up "$NS_M" net1 "$NET2.2"
wait_state "$NS_P" uroce_eth0 PORT_ACTIVE
wait_state "$NS_P" uroce_net1 PORT_ACTIVE
wait_state "$NS_E" uroce_eth0 PORT_ACTIVE
wait_state "$NS_M" uroce_net1 PORT_ACTIVE
expect_eq "ibv_devices in the pod" "$(devices_of "$NS_P" | words)" \
	"uroce_eth0 uroce_lo uroce_net1"

# In the background while the rest runs: the RDMA CM bound to eth0's
# address, to M's (where nothing listens; its answer could not come back
# anyway).
start=$SECONDS
CMD_TIMEOUT=40 in_ns "$NS_P" /usr/bin/rping -c -I "$NET.1" -a "$NET2.2" \
	-p "$((PORT + 3))" -C 1 >"$TMP/cross.rping" 2>&1 &
cross=$!
BG_PIDS+=("$cross")

traffic "$NS_E" uroce_eth0 "$NET.2" "$NS_P" uroce_eth0 \
	wait_rc_qp "$NS_P" uroce_eth0 "$NET.2"
traffic "$NS_M" uroce_net1 "$NET2.2" "$NS_P" uroce_net1 \
	wait_rc_qp "$NS_P" uroce_net1 "$NET2.2"

# uroce_eth0 to M: perftest's connection is TCP (by net1), the QP's is
# not.
serve bw.s "$NS_M" tcp "$BW_PORT" in_ns "$NS_M" /usr/bin/ib_write_bw \
	-d uroce_net1 -x 0 -F -p "$BW_PORT" -n 100
t=$SECONDS
if CMD_TIMEOUT=15 in_ns "$NS_P" /usr/bin/ib_write_bw -d uroce_eth0 -x 0 \
	-F -p "$BW_PORT" -n 100 "$NET2.2" >"$TMP/cross.bw" 2>&1; then
	fail "uroce_eth0 reached the other network: $(cat "$TMP/cross.bw")"
fi
expect_match "ib_write_bw on uroce_eth0 to $NET2.2" "$(cat "$TMP/cross.bw")" \
	'Failed status 12:'
log "ib_write_bw on uroce_eth0 to $NET2.2: retry exceeded (status 12)" \
	"after $((SECONDS - t)) s"
kill "$SERVER" 2>/dev/null || true
wait "$SERVER" 2>/dev/null || true

rc=0
wait "$cross" || rc=$?
((rc != 0 && rc != 124)) ||
	fail "rping bound to eth0 to $NET2.2: exit $rc: $(cat "$TMP/cross.rping")"
expect_match "rping bound to eth0 to $NET2.2" "$(cat "$TMP/cross.rping")" \
	'RDMA_CM_EVENT_(UNREACHABLE|ADDR_ERROR|REJECTED)'
log "rping bound to eth0's address to $NET2.2: $(grep -o \
	'RDMA_CM_EVENT_[A-Z_]*' "$TMP/cross.rping" | head -1) within" \
	"$((SECONDS - start)) s"

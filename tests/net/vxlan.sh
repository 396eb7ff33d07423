#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# A VXLAN overlay over veth, as flannel and other overlay CNIs build it:
# two namespaces joined by a veth underlay (MTU 1500), each with a vxlan
# device (VNI 42) of MTU 1450 over it carrying the overlay's addresses.
# The overlay's device has an active MTU of 1024 (the largest IB MTU that
# 1450 bytes less the RoCE v2 headers hold), and RC traffic between the
# overlay addresses crosses the underlay as VXLAN.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

OVL=192.0.2
net_setup
ns_new NS_A a
ns_new NS_B b
veth "$NS_A" ul0 "$NS_B" ul0
i=0
for x in A B; do
	i=$((i + 1))
	ns=NS_$x
	if_up "${!ns}" ul0 "$NET.$i"
	ip -n "${!ns}" link add vxlan0 mtu 1450 type vxlan id 42 \
		local "$NET.$i" remote "$NET.$((3 - i))" dstport 4789 \
		dev ul0 || fail "vxlan in ${!ns}"
	if_up "${!ns}" vxlan0 "$OVL.$i"
	wait_state "${!ns}" uroce_vxlan0 PORT_ACTIVE
	info=$(devinfo_of "${!ns}")
	expect_eq "active_mtu of uroce_vxlan0 in ${!ns}" \
		"$(devinfo_field uroce_vxlan0 active_mtu <<<"$info")" "1024 (3)"
	expect_eq "active_mtu of uroce_ul0 in ${!ns}" \
		"$(devinfo_field uroce_ul0 active_mtu <<<"$info")" "1024 (3)"
done
log "uroce_vxlan0 (netdev MTU 1450): active_mtu 1024 on both sides"

stat() {
	ip netns exec "$NS_A" cat "/sys/class/net/$1/statistics/rx_bytes"
}
ul=$(stat ul0)
ovl=$(stat vxlan0)
traffic "$NS_A" uroce_vxlan0 "$OVL.1" "$NS_B" uroce_vxlan0 \
	wait_rc_qp "$NS_B" uroce_vxlan0 "$OVL.1"
expect_match "ib_write_bw's MTU" "$(cat "$TMP/bw.c")" '^ *Mtu *: 1024\[B\]'
ul=$(($(stat ul0) - ul))
ovl=$(($(stat vxlan0) - ovl))
# The overlay's packets crossed the underlay, wrapped in VXLAN headers.
((ovl > 100000000 && ul > ovl)) ||
	fail "overlay $ovl bytes, underlay $ul bytes received by A"
log "A received $ovl bytes on vxlan0, $ul bytes on the underlay"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# A Linux bridge with veth legs, as Docker's default bridge network and
# the bridge CNI build it: a bridge in a "host" namespace holding the
# gateway address, and two containers, each with its leg as eth0 and a
# default route through the gateway. RC traffic between their uroce_eth0
# devices crosses the bridge.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

net_setup
ns_new NS_H host
ip -n "$NS_H" link add br0 type bridge || fail "bridge"
if_up "$NS_H" br0 "$NET.254"
i=0
for x in A B; do
	i=$((i + 1))
	ns_new "NS_$x" "${x,}"
	ns=NS_$x
	bridge_leg "$NS_H" br0 "veth$i" "${!ns}" eth0
	if_up "${!ns}" eth0 "$NET.$i"
	ip -n "${!ns}" route add default via "$NET.254" || fail "route"
	wait_state "${!ns}" uroce_eth0 PORT_ACTIVE
	expect_eq "ibv_devices in ${!ns}" "$(devices_of "${!ns}" | words)" \
		"uroce_eth0 uroce_lo"
done

traffic "$NS_A" uroce_eth0 "$NET.1" "$NS_B" uroce_eth0 \
	wait_rc_qp "$NS_B" uroce_eth0 "$NET.1"
# The traffic went through the bridge's ports.
rx=$(ip netns exec "$NS_H" cat /sys/class/net/veth2/statistics/rx_bytes)
((rx > 100000000)) || fail "the bridge's port got only $rx bytes"
log "the bridge's port of B received $rx bytes"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# macvlan in bridge mode, as Docker's macvlan driver and the macvlan CNI
# build it: three children of one parent netdev (in a "host" namespace),
# each the eth0 of its own namespace. A and B run RC traffic between
# their uroce_eth0 devices; C, a third container on the same parent, sees
# neither's device (its uroce_eth0 is its own: its own node GUID) nor,
# while the traffic runs, their QPs.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

net_setup
ns_new NS_H host
macvlan_parent "$NS_H" par0
i=0
for x in A B C; do
	i=$((i + 1))
	ns_new "NS_$x" "${x,}"
	ns=NS_$x
	macvlan "$NS_H" par0 "${!ns}" eth0
	if_up "${!ns}" eth0 "$NET.$i"
	wait_state "${!ns}" uroce_eth0 PORT_ACTIVE
done
ADDR_A=$NET.1
ADDR_B=$NET.2

# Each namespace has its own two devices; the three eth0 are three.
for x in A B C; do
	ns=NS_$x
	expect_eq "ibv_devices in ${!ns}" "$(devices_of "${!ns}" | words)" \
		"uroce_eth0 uroce_lo"
	out=$(uroce_tool "${!ns}" uroce dev) || fail "uroce dev in ${!ns}"
	expect_eq "uroce dev in ${!ns}" \
		"$(awk '{ print $2 }' <<<"$out" | sort | words)" \
		"uroce_eth0: uroce_lo:"
	printf -v "GUID_$x" '%s' \
		"$(awk '$2 == "uroce_eth0:" { print $8 }' <<<"$out")"
done
[[ $GUID_A != "$GUID_B" && $GUID_A != "$GUID_C" && $GUID_B != "$GUID_C" ]] ||
	fail "one device in two namespaces: $GUID_A $GUID_B $GUID_C"
log "uroce_eth0 node GUIDs: A $GUID_A, B $GUID_B, C $GUID_C"

# C, while A and B have their QPs: nothing of theirs.
third_sees_nothing() {
	local out qp

	wait_rc_qp "$NS_B" uroce_eth0 "$ADDR_A"
	wait_rc_qp "$NS_A" uroce_eth0 "$ADDR_B"
	qp=$QP
	out=$(uroce_tool "$NS_C" uroce res qp) || fail "uroce res qp in C"
	expect_eq "uroce res qp in $NS_C" "$out" ""
	out=$(uroce_tool "$NS_C" uroce res) || fail "uroce res in C"
	expect_eq "uroce res in $NS_C" "$out" ""
	# Still there: C was asked while the QPs lived.
	if ! rc_qp "$NS_A" uroce_eth0 "$ADDR_B" || [[ $QP != "$qp" ]]; then
		fail "the traffic ended too soon"
	fi
	log "uroce res qp in $NS_C during the traffic: nothing"
}

traffic "$NS_A" uroce_eth0 "$ADDR_A" "$NS_B" uroce_eth0 third_sees_nothing

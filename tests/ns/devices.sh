#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Two namespaces A and B joined by a veth pair. Inside each, Debian's
# unmodified ibv_devices and ibv_devinfo -v on uroce's libibverbs list
# exactly that namespace's devices (uroce_lo and its own veth end), with
# the port state, MTU and GIDs of its own netdevs. uroce's own tools, when
# built, agree.

# Variables such as A, B and ev are set by tests/lib's helpers (printf -v).
# shellcheck disable=SC2154
set -euo pipefail
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"
# shellcheck source=../lib/devinfo.sh
source "$(dirname "$0")/../lib/devinfo.sh"

ns_setup

ns_new A a
ns_new B b
veth "$A" vethA "$B" vethB
ip -n "$A" addr add 10.99.0.1/24 dev vethA
ip -n "$B" addr add 10.99.0.2/24 dev vethB
ip -n "$A" link set vethA up
ip -n "$B" link set vethB up
wait_state "$A" uroce_vethA PORT_ACTIVE
wait_state "$B" uroce_vethB PORT_ACTIVE

# check_side NS MY_IF MY_IP OTHER_IF OTHER_IP MTU_CODE
check_side() {
	local ns=$1 me=$2 ip=$3 other=$4 oip=$5 mtu=$6 list info gid

	list=$(devices_of "$ns")
	expect_eq "ibv_devices in $ns" "$(words <<<"$list")" \
		"uroce_lo uroce_$me"
	info=$(devinfo_of "$ns")
	expect_eq "ibv_devinfo hca_ids in $ns" \
		"$(devinfo_names <<<"$info" | words)" "uroce_lo uroce_$me"
	expect_nomatch "ibv_devinfo in $ns" "$info" "uroce_$other|$oip\b"

	expect_eq "uroce_$me state" \
		"$(devinfo_field "uroce_$me" state <<<"$info")" "PORT_ACTIVE (4)"
	expect_eq "uroce_$me phys_state" \
		"$(devinfo_field "uroce_$me" phys_state <<<"$info")" \
		"LINK_UP (5)"
	expect_eq "uroce_$me link_layer" \
		"$(devinfo_field "uroce_$me" link_layer <<<"$info")" "Ethernet"
	expect_eq "uroce_$me max_mtu" \
		"$(devinfo_field "uroce_$me" max_mtu <<<"$info")" "4096 (5)"
	expect_eq "uroce_$me active_mtu" \
		"$(devinfo_field "uroce_$me" active_mtu <<<"$info")" "$mtu"
	expect_eq "uroce_$me phys_port_cnt" \
		"$(devinfo_field "uroce_$me" phys_port_cnt <<<"$info")" "1"
	gid=$(devinfo_gid "uroce_$me" 0 <<<"$info")
	expect_eq "uroce_$me GID[0]" "$gid" "::ffff:$ip, RoCE v2"
	if have_ipv6; then
		expect_match "uroce_$me link-local GID" \
			"$(devinfo_section "uroce_$me" <<<"$info")" \
			"GID\[ *[1-9][0-9]*\]:[[:space:]]+fe80:[0-9a-f:]+, RoCE v2$"
	fi

	expect_eq "uroce_lo state" \
		"$(devinfo_field uroce_lo state <<<"$info")" "PORT_ACTIVE (4)"
	expect_eq "uroce_lo active_mtu" \
		"$(devinfo_field uroce_lo active_mtu <<<"$info")" "4096 (5)"
	expect_eq "uroce_lo GID[0]" "$(devinfo_gid uroce_lo 0 <<<"$info")" \
		"::ffff:127.0.0.1, RoCE v2"
	log "$ns: $(words <<<"$list") ok"
}

check_side "$A" vethA 10.99.0.1 vethB 10.99.0.2 "1024 (3)"
check_side "$B" vethB 10.99.0.2 vethA 10.99.0.1 "1024 (3)"

# The active MTU follows the netdev MTU less 64 bytes of RoCE v2 headers.
for pair in 9000:4096:5 4160:4096:5 4159:2048:4 2112:2048:4 2111:1024:3 \
	1500:1024:3 1088:1024:3 1087:512:2 576:512:2 575:256:1 1280:1024:3; do
	IFS=: read -r netmtu ibmtu code <<<"$pair"
	ip -n "$B" link set vethB mtu "$netmtu"
	info=$(devinfo_of "$B")
	expect_eq "uroce_vethB active_mtu at netdev MTU $netmtu" \
		"$(devinfo_field uroce_vethB active_mtu <<<"$info")" \
		"$ibmtu ($code)"
done
ip -n "$B" link set vethB mtu 9000
info=$(devinfo_of "$B")
expect_eq "uroce_vethB active_mtu at 9000" \
	"$(devinfo_field uroce_vethB active_mtu <<<"$info")" "4096 (5)"
info=$(devinfo_of "$A")
expect_eq "uroce_vethA active_mtu while B's MTU is 9000" \
	"$(devinfo_field uroce_vethA active_mtu <<<"$info")" "1024 (3)"
log "active MTU follows the netdev MTU"

# A netdev with IPv6 only: GID 0 is its global IPv6 address. Both ends in
# A, so A also gets two more devices.
if have_ipv6; then
	ip -n "$A" link add v6a type veth peer name v6b
	ip -n "$A" addr add 2001:db8::1/64 dev v6a nodad
	ip -n "$A" link set v6a up
	ip -n "$A" link set v6b up
	wait_state "$A" uroce_v6a PORT_ACTIVE
	info=$(devinfo_of "$A")
	expect_eq "uroce_v6a GID[0]" "$(devinfo_gid uroce_v6a 0 <<<"$info")" \
		"2001:db8::1, RoCE v2"
	expect_match "uroce_v6b GID[0] (link-local only)" \
		"$(devinfo_gid uroce_v6b 0 <<<"$info")" "^fe80:[0-9a-f:]+, RoCE v2$"
	list=$(devices_of "$A")
	expect_eq "ibv_devices in $A with v6a/v6b" "$(words <<<"$list")" \
		"uroce_lo uroce_v6a uroce_v6b uroce_vethA"
	ip -n "$A" link del v6a
	log "IPv6-only netdevs ok"
fi

# A netdev that is down, or up without an address, is not a device.
ip -n "$A" link add dummyx type veth peer name dummyy
ip -n "$A" addr add 192.0.2.1/24 dev dummyx
list=$(devices_of "$A")
expect_eq "ibv_devices in $A with an admin-down netdev" \
	"$(words <<<"$list")" "uroce_lo uroce_vethA"
ip -n "$A" addr flush dev dummyx
ip -n "$A" -6 addr flush dev dummyx 2>/dev/null || true
ip -n "$A" link set dummyx addrgenmode none 2>/dev/null || true
ip -n "$A" link set dummyx up
list=$(devices_of "$A")
expect_eq "ibv_devices in $A with an address-less netdev" \
	"$(words <<<"$list")" "uroce_lo uroce_vethA"
ip -n "$A" link del dummyx
log "down and address-less netdevs are not devices"

# uroce's own tools, when built, see the same (B's vethB has MTU 9000 now).
for side in "$A:vethA:10.99.0.1:vethB:1024 (3)" \
	"$B:vethB:10.99.0.2:vethA:4096 (5)"; do
	IFS=: read -r ns me ip other mtu <<<"$side"
	if [[ -x $BINDIR/uroce_devinfo ]]; then
		out=$(uroce_tool "$ns" uroce_devinfo -v 2>&1) ||
			fail "uroce_devinfo -v in $ns: $out"
		expect_eq "uroce_devinfo hca_ids in $ns" \
			"$(devinfo_names <<<"$out" | words)" "uroce_lo uroce_$me"
		expect_eq "uroce_devinfo uroce_$me state" \
			"$(devinfo_field "uroce_$me" state <<<"$out")" \
			"PORT_ACTIVE (4)"
		expect_eq "uroce_devinfo uroce_$me active_mtu" \
			"$(devinfo_field "uroce_$me" active_mtu <<<"$out")" "$mtu"
		expect_eq "uroce_devinfo uroce_$me GID[0]" \
			"$(devinfo_gid "uroce_$me" 0 <<<"$out")" \
			"::ffff:$ip, RoCE v2, netdev $me"
		expect_eq "uroce_devinfo uroce_lo GID[0]" \
			"$(devinfo_gid uroce_lo 0 <<<"$out")" \
			"::ffff:127.0.0.1, RoCE v2, netdev lo"
		expect_nomatch "uroce_devinfo -v in $ns" "$out" "$other"
	else
		log "no uroce_devinfo: skipped"
	fi
	if [[ -x $BINDIR/uroce_devices ]]; then
		out=$(uroce_tool "$ns" uroce_devices 2>&1) ||
			fail "uroce_devices in $ns: $out"
		expect_eq "uroce_devices in $ns" \
			"$(awk 'NR > 2 && NF { print $1 }' <<<"$out" | sort | words)" \
			"uroce_lo uroce_$me"
	else
		log "no uroce_devices: skipped"
	fi
	if [[ -x $BINDIR/uroce ]]; then
		out=$(uroce_tool "$ns" uroce link 2>&1) ||
			fail "uroce link in $ns: $out"
		expect_match "uroce link in $ns" "$out" \
			"^link uroce_$me/1 state ACTIVE .*netdev $me .*mtu ${mtu%% *}\b"
		expect_match "uroce link in $ns" "$out" \
			"^link uroce_lo/1 state ACTIVE .*netdev lo .*mtu 4096\b"
		expect_eq "uroce link lines in $ns" "$(grep -c . <<<"$out")" 2
		expect_nomatch "uroce link in $ns" "$out" "$other"
		out=$(uroce_tool "$ns" uroce dev 2>&1) ||
			fail "uroce dev in $ns: $out"
		expect_match "uroce dev in $ns" "$out" "^[0-9]+: uroce_$me:"
		expect_match "uroce dev in $ns" "$out" "^[0-9]+: uroce_lo:"
		expect_eq "uroce dev lines in $ns" "$(grep -c . <<<"$out")" 2
		expect_nomatch "uroce dev in $ns" "$out" "$other"
	else
		log "no uroce tool: skipped"
	fi
done
log "uroce's tools agree"

log "each namespace sees exactly its own devices"

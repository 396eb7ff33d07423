#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Async events on an open context: adding or removing an address raises
# IBV_EVENT_GID_CHANGE and changes the GID table; losing the link (carrier
# or administratively) raises IBV_EVENT_PORT_ERR and the port goes
# PORT_DOWN; getting it back raises IBV_EVENT_PORT_ACTIVE. The contexts of
# other devices see none of it.

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
ip -n "$A" addr add 10.99.2.1/24 dev vethA
ip -n "$B" addr add 10.99.2.2/24 dev vethB
ip -n "$A" link set vethA up
ip -n "$B" link set vethB up
wait_state "$A" uroce_vethA PORT_ACTIVE
wait_state "$B" uroce_vethB PORT_ACTIVE

# Watches uroce_lo all along: it must see nothing.
ev_start lo_a "$A" uroce_lo PORT_ERR,GID_CHANGE,PORT_ACTIVE 120000

# A new address: GID_CHANGE, and the GID appears after GID 0.
ev_start ev "$A" uroce_vethA GID_CHANGE 10000
ip -n "$A" addr add 10.99.2.11/24 dev vethA
ev_finish "$ev" out
expect_match "GID_CHANGE on address add" "$out" "^event GID_CHANGE port 1$"
# The open context's own table has the new GID, after GID 0.
expect_match "GID 0 of the open context" "$out" \
	"^gid\[0\]=::ffff:10\.99\.2\.1$"
expect_match "new GID in the open context" "$out" \
	"^gid\[[1-9][0-9]*\]=::ffff:10\.99\.2\.11$"
info=$(devinfo_of "$A")
sect=$(devinfo_section uroce_vethA <<<"$info")
expect_eq "GID[0] after add" "$(devinfo_gid uroce_vethA 0 <<<"$info")" \
	"::ffff:10.99.2.1, RoCE v2"
expect_match "new GID" "$sect" \
	"GID\[ *[1-9][0-9]*\]:[[:space:]]+::ffff:10\.99\.2\.11, RoCE v2$"
log "address added: GID_CHANGE, $(grep -c 'GID\[' <<<"$sect") GIDs"

# An IPv6 address too.
if have_ipv6; then
	ev_start ev "$A" uroce_vethA GID_CHANGE 10000
	ip -n "$A" addr add 2001:db8:2::1/64 dev vethA nodad
	ev_finish "$ev" out
	info=$(devinfo_of "$A")
	expect_match "IPv6 GID" "$(devinfo_section uroce_vethA <<<"$info")" \
		"GID\[ *[1-9][0-9]*\]:[[:space:]]+2001:db8:2::1, RoCE v2$"
	expect_eq "GID[0] after IPv6 add" \
		"$(devinfo_gid uroce_vethA 0 <<<"$info")" \
		"::ffff:10.99.2.1, RoCE v2"
	log "IPv6 address added: GID_CHANGE"
fi

# Removing it: GID_CHANGE, and the GID is gone.
ev_start ev "$A" uroce_vethA GID_CHANGE 10000
ip -n "$A" addr del 10.99.2.11/24 dev vethA
ev_finish "$ev" out
expect_nomatch "removed GID in the open context" "$out" "10\.99\.2\.11"
info=$(devinfo_of "$A")
expect_nomatch "GID of a removed address" \
	"$(devinfo_section uroce_vethA <<<"$info")" "10\.99\.2\.11"
expect_eq "GID[0] after del" "$(devinfo_gid uroce_vethA 0 <<<"$info")" \
	"::ffff:10.99.2.1, RoCE v2"
log "address removed: GID_CHANGE"

# The peer goes down: no carrier. PORT_ERR, and the port is down while
# vethA stays up (so it is still a device).
ev_start ev "$A" uroce_vethA PORT_ERR 10000
ip -n "$B" link set vethB down
ev_finish "$ev" out
expect_match "PORT_ERR on carrier loss" "$out" "^event PORT_ERR port 1$"
expect_match "port state after PORT_ERR" "$out" "^port_state=PORT_DOWN$"
info=$(devinfo_of "$A")
expect_eq "uroce_vethA state without carrier" \
	"$(devinfo_field uroce_vethA state <<<"$info")" "PORT_DOWN (1)"
expect_nomatch "uroce_vethA phys_state without carrier" \
	"$(devinfo_field uroce_vethA phys_state <<<"$info")" "LINK_UP"
log "carrier lost: PORT_ERR, PORT_DOWN"

# The carrier comes back: PORT_ACTIVE.
ev_start ev "$A" uroce_vethA PORT_ACTIVE 10000
ip -n "$B" link set vethB up
ev_finish "$ev" out
expect_match "PORT_ACTIVE on carrier" "$out" "^event PORT_ACTIVE port 1$"
expect_match "port state after PORT_ACTIVE" "$out" "^port_state=PORT_ACTIVE$"
wait_state "$A" uroce_vethA PORT_ACTIVE
log "carrier back: PORT_ACTIVE"

# vethA itself goes down and up: the open context sees both; while down
# the netdev is no device for new listings.
ev_start down "$A" uroce_vethA PORT_ERR 10000
ev_start ev "$A" uroce_vethA PORT_ERR,PORT_ACTIVE 20000
ip -n "$A" link set vethA down
ev_finish "$down" out
expect_match "port state after link down" "$out" "^port_state=PORT_DOWN$"
ev_seen "$ev" "^event PORT_ERR port 1$"
list=$(devices_of "$A")
expect_eq "devices of A while vethA is down" "$(words <<<"$list")" "uroce_lo"
ip -n "$A" link set vethA up
ev_finish "$ev" out
expect_match "port state after link up" "$out" "^port_state=PORT_ACTIVE$"
wait_state "$A" uroce_vethA PORT_ACTIVE
log "link down/up: PORT_ERR then PORT_ACTIVE"

# Bringing the link up again restored the GID table.
info=$(devinfo_of "$A")
expect_eq "GID[0] after link up" "$(devinfo_gid uroce_vethA 0 <<<"$info")" \
	"::ffff:10.99.2.1, RoCE v2"

# Nothing of this concerned uroce_lo, nor B's view of itself.
ev_stop "$lo_a" out
expect_nomatch "events on uroce_lo" "$out" "^event"
list=$(devices_of "$B")
expect_eq "devices of B" "$(words <<<"$list")" "uroce_lo uroce_vethB"

log "events ok"

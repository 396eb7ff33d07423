#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Moving a netdev into another namespace moves its device: it leaves A's
# device list and joins B's once it is up with an address there. A context
# open on it in A gets IBV_EVENT_PORT_ERR and IBV_EVENT_DEVICE_FATAL; the
# peer's device in B goes down and comes back.

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
ip -n "$A" addr add 10.99.1.1/24 dev vethA
ip -n "$B" addr add 10.99.1.2/24 dev vethB
ip -n "$A" link set vethA up
ip -n "$B" link set vethB up
wait_state "$A" uroce_vethA PORT_ACTIVE
wait_state "$B" uroce_vethB PORT_ACTIVE

list=$(devices_of "$A")
expect_eq "devices of A" "$(words <<<"$list")" "uroce_lo uroce_vethA"
list=$(devices_of "$B")
expect_eq "devices of B" "$(words <<<"$list")" "uroce_lo uroce_vethB"

# Contexts open on both ends while vethA moves.
ev_start gone "$A" uroce_vethA PORT_ERR,DEVICE_FATAL 15000
ev_start peer "$B" uroce_vethB PORT_ERR,PORT_ACTIVE 20000
ev_start lo_a "$A" uroce_lo PORT_ERR,DEVICE_FATAL 60000

ip -n "$A" link set vethA netns "$B"

ev_finish "$gone" out
log "context on the moved device: $(words <<<"$out")"
expect_match "events on uroce_vethA" "$out" "^event PORT_ERR port 1$"
expect_match "events on uroce_vethA" "$out" "^event DEVICE_FATAL$"
ev_seen "$peer" "^event PORT_ERR port 1$"

list=$(devices_of "$A")
expect_eq "devices of A after the move" "$(words <<<"$list")" "uroce_lo"
# In B the netdev is down and has lost its address: not a device yet.
list=$(devices_of "$B")
expect_eq "devices of B before vethA is set up" "$(words <<<"$list")" \
	"uroce_lo uroce_vethB"

ip -n "$B" addr add 10.99.1.1/24 dev vethA
ip -n "$B" link set vethA up
wait_state "$B" uroce_vethA PORT_ACTIVE
wait_state "$B" uroce_vethB PORT_ACTIVE
ev_finish "$peer" out
log "context on the peer: $(words <<<"$out")"

list=$(devices_of "$B")
expect_eq "devices of B after the move" "$(words <<<"$list")" \
	"uroce_lo uroce_vethA uroce_vethB"
info=$(devinfo_of "$B")
expect_eq "uroce_vethA GID[0] in B" "$(devinfo_gid uroce_vethA 0 <<<"$info")" \
	"::ffff:10.99.1.1, RoCE v2"
expect_eq "uroce_vethA state in B" \
	"$(devinfo_field uroce_vethA state <<<"$info")" "PORT_ACTIVE (4)"
expect_eq "uroce_vethA active_mtu in B" \
	"$(devinfo_field uroce_vethA active_mtu <<<"$info")" "1024 (3)"
list=$(devices_of "$A")
expect_eq "devices of A" "$(words <<<"$list")" "uroce_lo"

# And back again, under another address.
ip -n "$B" link set vethA netns "$A"
ip -n "$A" addr add 10.99.1.3/24 dev vethA
ip -n "$A" link set vethA up
wait_state "$A" uroce_vethA PORT_ACTIVE
list=$(devices_of "$A")
expect_eq "devices of A after moving back" "$(words <<<"$list")" \
	"uroce_lo uroce_vethA"
list=$(devices_of "$B")
expect_eq "devices of B after moving back" "$(words <<<"$list")" \
	"uroce_lo uroce_vethB"
info=$(devinfo_of "$A")
expect_eq "uroce_vethA GID[0] back in A" \
	"$(devinfo_gid uroce_vethA 0 <<<"$info")" "::ffff:10.99.1.3, RoCE v2"

# uroce_lo of A saw none of this.
ev_stop "$lo_a" out
expect_nomatch "events on A's uroce_lo" "$out" "^event"

log "the device moved with its netdev"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# fabric.sh CASE: Debian's unmodified libfabric (libfabric1, libfabric-bin)
# with its verbs provider on uroce, between two namespaces, every program
# started through `uroce run`. CASE is one of:
#   info      fi_info lists the namespace's device for the verbs provider,
#             for MSG endpoints and layered under ofi_rxm, and writes
#             nothing to stderr (libfabric's EFA provider probes each
#             device with libefa, which must fail quietly)
#   msg       fi_pingpong -p verbs -e msg: RC endpoints connected through
#             RDMA CM; several sizes, data checked (-c)
#   rdm       fi_pingpong -p 'verbs;ofi_rxm' -e rdm: reliable datagrams
#             over verbs MSG endpoints (eager, segmented and rendezvous
#             sizes), data checked
#   msg_ipv6  the msg case over IPv6 addresses
# The pingpong cases print fi_pingpong's latency and bandwidth lines.
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"

case_=$1
TEST_NAME="fabric.$case_"
PORT=$((47000 + $$ % 2000))
ITERS=${FABRIC_ITERS:-200}
SIZES=${FABRIC_SIZES:-"8 4096 65536 1048576"}

[[ -x /usr/bin/fi_pingpong && -x /usr/bin/fi_info ]] ||
	skip "no libfabric-bin (fi_pingpong, fi_info)"
[[ -x ${UROCE_TOOL:-} ]] || fail "no uroce tool (UROCE_TOOL)"

# fab NS PROGRAM ARGS...: Debian's /usr/bin/PROGRAM in NS through
# `uroce run`, bounded in time; on a sanitizer build with the runtime
# that uroce's libraries need preloaded.
fab() {
	local ns=$1 prog=$2
	local -a san=()

	shift 2
	mapfile -t san < <(sanitizer_env)
	in_ns "$ns" env "${san[@]}" "$UROCE_TOOL" run "/usr/bin/$prog" "$@"
}

# result_line FILE: FILE has fi_pingpong's figures, all acknowledged.
result_line() {
	awk '$1 ~ /^[0-9]/ { ok = ($3 == "=" $2) } END { exit !ok }' "$1"
}

# rxm_crash ERR OTHER_ERR: the one failure of libfabric 1.17's own seen
# here (README "libfabric"): the side whose stderr is ERR died of SIGSEGV
# in libfabric (ofi_rxm, closing a connection on the peer's disconnect,
# reposts a receive buffer to the MSG endpoint it has just closed) and
# the other side said nothing.
rxm_crash() {
	[[ ! -s $2 ]] && grep -q 'terminated with signal 11' "$1" &&
		grep -A1 'Backtrace:' "$1" | grep -q 'libfabric\.so\.1('
}

# pingpong_once SIZE ADDR_OF_A ARGS...: one fi_pingpong run, server in A,
# client in B. 0: both ended well and quietly; 1: a failure; 2: both
# printed their figures (the data went through, checked) and then one
# crashed in rxm_crash's way.
pingpong_once() {
	local size=$1 dst=$2 spid rc=0 src=0

	shift 2
	fab "$NS_A" fi_pingpong "$@" -B "$PORT" -I "$ITERS" -S "$size" -c \
		>"$TMP/server" 2>"$TMP/server.err" &
	spid=$!
	BG_PIDS+=("$spid")
	wait_listen "$NS_A" tcp "$PORT" "$spid"
	fab "$NS_B" fi_pingpong "$@" -P "$PORT" -I "$ITERS" -S "$size" -c \
		"$dst" >"$TMP/client" 2>"$TMP/client.err" || rc=$?
	wait "$spid" || src=$?
	if ((rc || src)) || [[ -s $TMP/server.err || -s $TMP/client.err ]]; then
		cat "$TMP"/server* "$TMP"/client*
		log "fi_pingpong $* -S $size: server $src, client $rc"
		if result_line "$TMP/server" && result_line "$TMP/client"; then
			((src && !rc)) &&
				rxm_crash "$TMP/server.err" "$TMP/client.err" &&
				return 2
			((rc && !src)) &&
				rxm_crash "$TMP/client.err" "$TMP/server.err" &&
				return 2
		fi
		return 1
	fi
	result_line "$TMP/client" ||
		fail "no result line: $(cat "$TMP/client")"
}

# pingpong ADDR_OF_A ARGS...: fi_pingpong for each size of $SIZES; prints
# the figures, fails on any error or any word on stderr. A run in which
# one side crashed in libfabric's rxm after both printed their figures
# (rxm_crash) is run once more.
pingpong() {
	local size rc

	for size in $SIZES; do
		rc=0
		pingpong_once "$size" "$@" || rc=$?
		if ((rc == 2)); then
			log "libfabric's rxm crashed in its teardown: once more"
			rc=0
			pingpong_once "$size" "$@" || rc=$?
		fi
		((rc == 0)) || fail "fi_pingpong ${*:2} -S $size failed"
		[[ $size == "${SIZES%% *}" ]] && head -n 1 "$TMP/client"
		tail -n 1 "$TMP/client"
	done
}

# wait_device NS DEV: until the verbs provider in NS lists DEV: a veth
# just set up takes a moment to carry its device (fi_getinfo fails with
# -61 meanwhile).
wait_device() {
	local out

	for _ in $(seq 50); do
		out=$(fab "$1" fi_info -p verbs 2>/dev/null) || true
		grep -q "domain: $2\$" <<<"$out" && return
		sleep 0.2
	done
	fail "fi_info -p verbs in $1 never lists $2"
}

pair_setup
# libfabric writes its crash reports (*.btr) into the working directory:
# keep them in the test's own, which goes with it.
cd "$TMP"
wait_device "$NS_A" "$DEV_A"
wait_device "$NS_B" "$DEV_B"

case $case_ in
info)
	for prov in verbs "verbs;ofi_rxm"; do
		ep=FI_EP_MSG
		[[ $prov == *rxm ]] && ep=FI_EP_RDM
		fab "$NS_A" fi_info -p "$prov" -t "$ep" >"$TMP/info" \
			2>"$TMP/info.err" || {
			cat "$TMP/info" "$TMP/info.err"
			fail "fi_info -p '$prov' -t $ep failed"
		}
		if [[ -s $TMP/info.err ]]; then
			fail "fi_info -p '$prov' wrote to stderr: $(cat "$TMP/info.err")"
		fi
		grep -q "domain: $DEV_A\$" "$TMP/info" ||
			fail "fi_info -p '$prov' -t $ep lacks $DEV_A: $(cat "$TMP/info")"
		log "fi_info -p '$prov' -t $ep: $(grep -c '^provider:' "$TMP/info") entries, $DEV_A among them"
	done
	# Every provider probed at once (EFA's libefa included): quiet.
	fab "$NS_A" fi_info >/dev/null 2>"$TMP/info.err" || true
	if [[ -s $TMP/info.err ]]; then
		fail "fi_info wrote to stderr: $(cat "$TMP/info.err")"
	fi
	log "fi_info, every provider: nothing on stderr"
	;;
msg)
	pingpong "$ADDR_A" -p verbs -e msg
	;;
rdm)
	pingpong "$ADDR_A" -p "verbs;ofi_rxm" -e rdm
	;;
msg_ipv6)
	[[ -e /proc/sys/net/ipv6 ]] || skip "no IPv6"
	net6="2001:db8:$(($$ % 10000))"
	ip -n "$NS_A" addr add "$net6::1/64" dev "dpa$$" nodad
	ip -n "$NS_B" addr add "$net6::2/64" dev "dpb$$" nodad
	pingpong "$net6::1" -6 -p verbs -e msg
	;;
*)
	fail "unknown case '$case_'"
	;;
esac

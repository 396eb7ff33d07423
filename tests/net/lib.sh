# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Shared by the container network tests; sourced, never run. Each test
# builds, in namespaces of its own (tests/lib/netns.sh), a network the way a
# container runtime or a CNI plugin builds it, and runs RC traffic over it
# with Debian's unmodified programs: rping with every ping's data checked
# (-V), perftest's ib_write_bw, and UCX's ucx_perftest through uroce run.
# The "host" of the network (its bridge, the macvlan parent) is a
# namespace of the test's too, so that nothing is left outside them.
# shellcheck source=../lib/netns.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/netns.sh"
# shellcheck source=../lib/devinfo.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/devinfo.sh"

CMD_TIMEOUT=${CMD_TIMEOUT:-20}
# The first network of a test (a /24 per run).
# shellcheck disable=SC2034 # used by the tests
NET="10.99.$(($$ % 200 + 20))"
# rping's RDMA CM port, ib_write_bw's and ucx_perftest's TCP ports.
PORT=$((7000 + $$ % 2000))
BW_PORT=$((PORT + 1))
UCX_PORT=$((PORT + 2))
# More than one packet each at an active MTU of 1024.
PINGS=10
PING_SIZE=4000
# Long enough to look at the QPs while it runs, under ASan too.
BW_SECONDS=4

# Skips without the programs or namespaces; checks the build.
net_setup() {
	local prog

	for prog in rping ib_write_bw ucx_perftest; do
		[[ -x /usr/bin/$prog ]] || skip "no /usr/bin/$prog"
	done
	ns_setup
	[[ -x $BINDIR/uroce ]] || fail "no uroce tool in '$BINDIR'"
}

# if_up NS IF ADDR: IF in NS gets ADDR/24 and comes up.
if_up() {
	ip -n "$1" addr add "$3/24" dev "$2" || fail "$3 on $2 in $1"
	ip -n "$1" link set "$2" up || fail "$2 up in $1"
}

# macvlan PARENT_NS PARENT NS IF: a bridge-mode macvlan child of PARENT,
# made straight into NS as IF (as the macvlan CNI does).
macvlan() {
	ip -n "$1" link add link "$2" name "$4" netns "$3" type macvlan \
		mode bridge || fail "macvlan $4 of $2 in $3"
}

# macvlan_parent NS IF: a parent for macvlan children in NS, up with its
# carrier: one end of a veth pair whose other end stays there (the kernel
# here may have no dummy driver).
macvlan_parent() {
	veth "$1" "$2" "$1" "$2p"
	ip -n "$1" link set "$2p" up
	ip -n "$1" link set "$2" up
}

# bridge_leg BR_NS BR LEG NS IF: a veth pair, LEG a port of bridge BR in
# BR_NS and IF in NS (Docker's bridge network, the bridge CNI).
bridge_leg() {
	veth "$1" "$3" "$4" "$5"
	ip -n "$1" link set "$3" master "$2" up || fail "$3 into $2"
}

# serve NAME NS tcp|udp PORT CMD...: starts CMD (which runs in NS) in the
# background, its output in $TMP/NAME and its PID in SERVER, and waits
# until it listens on PORT.
serve() {
	local name=$1 ns=$2 proto=$3 port=$4 end=$((SECONDS + CMD_TIMEOUT))

	shift 4
	"$@" >"$TMP/$name" 2>&1 &
	SERVER=$!
	BG_PIDS+=("$SERVER")
	until netns_listening "$ns" "$proto" "$port"; do
		kill -0 "$SERVER" 2>/dev/null ||
			fail "$name ended before it listened: $(cat "$TMP/$name")"
		((SECONDS < end)) || fail "$name: nothing listens on $port"
		sleep 0.1
	done
}

# server_ok NAME: the server started by serve exits 0.
server_ok() {
	wait "$SERVER" || fail "$1 (server) failed: $(tail -20 "$TMP/$1")"
}

# rping_check SERVER_NS ADDR CLIENT_NS: rping's server on ADDR in
# SERVER_NS, its client in CLIENT_NS; PINGS pings of PING_SIZE bytes, each
# one's data checked by the client (-V), all of them done.
rping_check() {
	local sns=$1 addr=$2 cns=$3 n
	local -a args=(-a "$addr" -p "$PORT" -C "$PINGS" -S "$PING_SIZE" -V)

	serve rping.s "$sns" udp "$PORT" in_ns "$sns" /usr/bin/rping -s \
		"${args[@]}"
	in_ns "$cns" /usr/bin/rping -c "${args[@]}" -v >"$TMP/rping.c" 2>&1 ||
		fail "rping client in $cns: $(tail -c 2000 "$TMP/rping.c")"
	server_ok rping.s
	n=$(grep -c '^ping data: rdma-ping-' "$TMP/rping.c") || true
	expect_eq "rping's pings" "$n" "$PINGS"
	log "rping $cns -> $addr: $n pings of $PING_SIZE B, data checked (-V)"
}

# bw_check SERVER_NS SERVER_DEV ADDR CLIENT_NS CLIENT_DEV [CMD...]:
# ib_write_bw, 64 KiB for BW_SECONDS, between the two devices over GID 0;
# CMD runs while the traffic does. Prints the figures and leaves the
# client's output in $TMP/bw.c.
bw_check() {
	local sns=$1 sdev=$2 addr=$3 cns=$4 cdev=$5 cpid line
	local -a args=(-x 0 -F -p "$BW_PORT" -s 65536 -D "$BW_SECONDS"
		--report_gbits)

	shift 5
	serve bw.s "$sns" tcp "$BW_PORT" in_ns "$sns" /usr/bin/ib_write_bw \
		-d "$sdev" "${args[@]}"
	in_ns "$cns" /usr/bin/ib_write_bw -d "$cdev" "${args[@]}" "$addr" \
		>"$TMP/bw.c" 2>&1 &
	cpid=$!
	BG_PIDS+=("$cpid")
	(($#)) && "$@"
	wait "$cpid" || fail "ib_write_bw client in $cns: $(cat "$TMP/bw.c")"
	server_ok bw.s
	line=$(grep -E '^ *65536 +[0-9]+' "$TMP/bw.c") ||
		fail "ib_write_bw printed no result: $(cat "$TMP/bw.c")"
	log "ib_write_bw $cdev -> $sdev, 64 KiB:" \
		"$(awk '{ print $4 " Gbit/s, " $2 " iterations" }' <<<"$line")"
}

# ucx_check SERVER_NS SERVER_DEV ADDR CLIENT_NS CLIENT_DEV: ucx_perftest
# tag_bw of 64 KiB over rc_verbs,ud_verbs on the named devices (UCX would
# take every device, uroce_lo too, as reaching the peer); the client's
# first lane (-I) is rc_verbs on its device.
ucx_check() {
	local sns=$1 sdev=$2 addr=$3 cns=$4 cdev=$5 final
	local -a args=(-p "$UCX_PORT" -t tag_bw -s 65536 -n 500 -w 50)

	serve ucx.s "$sns" tcp "$UCX_PORT" uroce_run "$sns" \
		UCX_TLS=rc_verbs,ud_verbs UCX_NET_DEVICES="$sdev:1" \
		ucx_perftest "${args[@]}"
	uroce_run "$cns" UCX_TLS=rc_verbs,ud_verbs UCX_NET_DEVICES="$cdev:1" \
		ucx_perftest "$addr" "${args[@]}" -I >"$TMP/ucx.c" 2>&1 ||
		fail "ucx_perftest client in $cns: $(tail -20 "$TMP/ucx.c")"
	server_ok ucx.s
	final=$(grep '^Final:' "$TMP/ucx.c") ||
		fail "ucx_perftest printed no result: $(cat "$TMP/ucx.c")"
	expect_match "ucx_perftest's lanes" "$final" \
		"lane\[0\]: +[0-9]+:rc_verbs/$cdev:1"
	log "ucx_perftest tag_bw $cdev -> $sdev, 64 KiB:" \
		"$(awk '{ print $6 " MB/s, " $2 " iterations" }' <<<"$final")," \
		"lanes on rc_verbs/$cdev:1"
}

# traffic SERVER_NS SERVER_DEV ADDR CLIENT_NS CLIENT_DEV [CMD...]: the
# three, CMD running during ib_write_bw.
traffic() {
	rping_check "$1" "$3" "$4"
	bw_check "$@"
	ucx_check "$1" "$2" "$3" "$4" "$5"
}

# rc_qp NS DEV PEER_ADDR: NS lists (uroce res qp) an RC QP of ib_write_bw
# on DEV, in RTR or RTS (the server of a WRITE test stays in RTR),
# connected to PEER_ADDR. The listing is left in QPS, that QP in QP.
rc_qp() {
	QPS=$(uroce_tool "$1" uroce res qp dev "$2") || return 1
	QP=$(grep -E "^dev $2 lqpn [0-9]+ type RC state RT[RS] rqpn [0-9]+ dgid ::ffff:$3 pid [0-9]+ comm ib_write_bw$" <<<"$QPS")
}

# wait_rc_qp NS DEV PEER_ADDR: until rc_qp, 10 seconds at most.
wait_rc_qp() {
	retry 10 rc_qp "$@" || fail "no RC QP to $3 on $2 in $1: $QPS"
	log "uroce res qp in $1: $QP"
}

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# rsocket.sh CASE: Debian's unmodified rdmacm-utils rsocket programs on
# uroce's librdmacm between two namespaces, server in A, client in B.
# CASE is one of: rstream_lat rstream_bw rstream_blocking
# rstream_nonblocking rstream_async rstream_small_buf rcopy
# rstream_ipv6 rstream_valgrind udpong riostream.
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"

case_=$1
TEST_NAME="rsocket.$case_"
PORT=$((7000 + $$ % 2000))

need() {
	[[ -x /usr/bin/$1 ]] || skip "no $1 (rdmacm-utils)"
}

# rstream_pair ARGS...: rstream server in A, client in B, both with ARGS
# (which -T v makes check every byte); both must exit 0 and the client
# print its results.
rstream_pair() {
	need rstream
	SC_LISTEN="udp $PORT" server_client /usr/bin/rstream -p "$PORT" "$@" \
		-- /usr/bin/rstream -s "$ADDR_A" -p "$PORT" "$@"
	grep -Eq '^(custom|[0-9]+[kmg]?_(lat|bw)) ' "$TMP/client" ||
		fail "no results from the client"
}

case $case_ in
rstream_lat)
	# latency mode: 64 B to 4 KiB, ping-pong, data checked
	pair_setup
	rstream_pair -T v -S 64 -C 2000
	rstream_pair -T v -S 4096 -C 1000
	;;
rstream_bw)
	# one-way volume: sizes across the 2 KiB to 64 KiB write steps and
	# the receive ring's halves, data checked
	pair_setup
	# (not below 16: rstream syncs with 16 bytes from its -S buffer)
	for s in 16 2049 65536 1000000; do
		rstream_pair -T v -S "$s" -C 20
	done
	;;
rstream_blocking)
	pair_setup
	rstream_pair -T b -T v -S 1000000 -C 20
	rstream_pair -T b -T v -S 100 -C 1000
	;;
rstream_nonblocking)
	# rstream's default is non-blocking (MSG_DONTWAIT, O_NONBLOCK,
	# connect by EINPROGRESS and rpoll); -T n says so
	pair_setup
	rstream_pair -T n -T v -S 65536 -C 100
	;;
rstream_async)
	# rpoll before every call, non-blocking accept and connect
	pair_setup
	rstream_pair -T a -T v -S 65536 -C 100
	rstream_pair -T a -T b -T v -S 4096 -C 200
	;;
rstream_small_buf)
	# 4 KiB buffers (-B): many buffer grants per transfer; inline 0
	pair_setup
	rstream_pair -B 4096 -i 0 -T v -S 100000 -C 20
	;;
rstream_ipv6)
	# AF_INET6 streams and datagrams (ULA addresses on the veth pair)
	need rstream
	need udpong
	pair_setup
	ip -n "$NS_A" addr add "fd99::1/64" dev "dpa$$" nodad
	ip -n "$NS_B" addr add "fd99::2/64" dev "dpb$$" nodad
	SC_LISTEN="udp $PORT" server_client /usr/bin/rstream -b fd99::1 \
		-p "$PORT" -T v -S 10000 -C 100 -- /usr/bin/rstream \
		-s fd99::1 -p "$PORT" -T v -S 10000 -C 100
	grep -q '^custom ' "$TMP/client" || fail "rstream: no result"
	in_ns "$NS_A" /usr/bin/udpong -b fd99::1 -p "$PORT" -T b \
		>"$TMP/server" 2>&1 &
	BG_PIDS+=("$!")
	wait_listen "$NS_A" udp "$PORT" "$!"
	in_ns "$NS_B" /usr/bin/udpong -s fd99::1 -p "$PORT" -T e -S 500 \
		-C 100 >"$TMP/client" 2>&1 || {
		cat "$TMP/server" "$TMP/client"
		fail "udpong over IPv6 failed"
	}
	grep -q '^custom ' "$TMP/client" || fail "udpong: no result"
	tail -n 1 "$TMP/client"
	;;
rcopy)
	need rcopy
	pair_setup
	head -c $((5 * 1024 * 1024 + 12345)) /dev/urandom >"$TMP/src"
	# rcopy's server runs until killed; it writes where it is told to
	in_ns "$NS_A" /usr/bin/rcopy -p "$PORT" >"$TMP/server" 2>&1 &
	BG_PIDS+=("$!")
	wait_listen "$NS_A" udp "$PORT" "$!"
	in_ns "$NS_B" /usr/bin/rcopy "$TMP/src" "$ADDR_A:$TMP/dst" \
		-p "$PORT" >"$TMP/client" 2>&1 || {
		cat "$TMP/server" "$TMP/client"
		fail "rcopy failed"
	}
	cat "$TMP/client"
	cmp "$TMP/src" "$TMP/dst" || fail "the copy differs"
	log "$(stat -c %s "$TMP/dst") bytes copied and compared"
	;;
riostream)
	# riomap on both ends, riowrite into the peer's mapping; the reader
	# spins on the mapping's last byte
	need riostream
	pair_setup
	for args in "-T v -S 64 -C 1000" "-T v -S 4096 -C 500" \
		"-T v -S 1000000 -C 20" \
		"-T b -S 65536 -C 100" "-T a -S 65536 -C 100"; do
		# shellcheck disable=SC2086 # the options are words
		SC_LISTEN="udp $PORT" server_client /usr/bin/riostream \
			-p "$PORT" $args -- /usr/bin/riostream -s "$ADDR_A" \
			-p "$PORT" $args
		grep -q '^custom ' "$TMP/client" || fail "riostream: no result"
	done
	;;
udpong)
	# datagrams over UD: echo (every datagram answered, data of sizes
	# below and above the path MTU) and one-way volume (lossy, as UDP).
	# The server (bound: unbound it takes localhost) runs until killed.
	need udpong
	pair_setup
	in_ns "$NS_A" /usr/bin/udpong -b "$ADDR_A" -p "$PORT" -T b \
		>"$TMP/server" 2>&1 &
	BG_PIDS+=("$!")
	wait_listen "$NS_A" udp "$PORT" "$!"
	for args in "-T e -S 64 -C 200" "-T e -T b -S 1000 -C 200" \
		"-T e -S 2000 -C 100" "-S 1000 -C 2000"; do
		# shellcheck disable=SC2086 # the options are words
		in_ns "$NS_B" /usr/bin/udpong -s "$ADDR_A" -p "$PORT" $args \
			>"$TMP/client" 2>&1 || {
			cat "$TMP/server" "$TMP/client"
			fail "udpong $args failed"
		}
		grep -q '^custom ' "$TMP/client" || fail "udpong $args: no result"
		tail -n 1 "$TMP/client"
	done
	;;
rstream_valgrind)
	# both ends under valgrind memcheck: no error, no leak
	need rstream
	source "$(dirname "$0")/../valgrind/vg.sh"
	vg_usable
	pair_setup
	CMD_TIMEOUT=240
	SC_LISTEN="udp $PORT" server_client "${VG[@]}" \
		--log-file="$TMP/vg.server" /usr/bin/rstream -p "$PORT" \
		-T v -S 10000 -C 50 -- "${VG[@]}" --log-file="$TMP/vg.client" \
		/usr/bin/rstream -s "$ADDR_A" -p "$PORT" -T v -S 10000 -C 50
	vg_clean "$TMP/vg.server" "$TMP/vg.client" || fail "valgrind errors"
	;;
*)
	fail "unknown case $case_"
	;;
esac

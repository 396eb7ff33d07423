# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Shared by the install tests; sourced, never run. On top of
# tests/lib/netns.sh (two namespaces joined by veth, cleanup on exit),
# checks a uroce installation whose private library directory is $PRIV and
# whose programs are in $BINDIR and man pages in $MANDIR:
#   check_pkgconfig  build inst_verbs (and inst_cm when librdmacm.pc is
#                    there) with pkg-config --cflags --libs
#   check_rc         the RC exchanges between the namespaces
#   check_run        uroce run ibv_devinfo, uroce env
#   check_man        man uroce opens
# Exit status: 0 pass, 1 fail, 77 skip.

here=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=../lib/netns.sh
source "$here/../lib/netns.sh"

SRC=${UROCE_TEST_SRC:-$(cd "$here/../.." && pwd)}
WITH_CM=0

need() {
	local t

	for t in "$@"; do
		command -v "$t" >/dev/null || skip "no $t"
	done
}

# ns_clean NS CMD...: CMD in NS with no uroce setting from the caller.
ns_clean() {
	local ns=$1

	shift
	timeout "$CMD_TIMEOUT" ip netns exec "$ns" env -u LD_LIBRARY_PATH \
		-u LD_PRELOAD -u UROCE_PROVIDER_DIR -u UROCE_INCLUDE \
		-u UROCE_EXCLUDE UROCE_CONF= "$@"
}

check_pkgconfig() {
	local pc=$PRIV/pkgconfig flags libs

	[[ -e $pc/libibverbs.pc ]] || fail "no $pc/libibverbs.pc"
	flags=$(PKG_CONFIG_PATH=$pc pkg-config --cflags --libs libibverbs)
	log "pkg-config --cflags --libs libibverbs: $flags"
	[[ $flags == *"-Wl,-rpath,$PRIV"* ]] || fail "no rpath to $PRIV"
	# shellcheck disable=SC2086
	cc -Wall -o "$TMP/inst_verbs" "$here/inst_verbs.c" $flags ||
		fail "cannot build inst_verbs with pkg-config's flags"
	if [[ -e $pc/librdmacm.pc ]]; then
		WITH_CM=1
		flags=$(PKG_CONFIG_PATH=$pc pkg-config --cflags --libs \
			libibverbs librdmacm)
		log "pkg-config --cflags --libs libibverbs librdmacm: $flags"
		# shellcheck disable=SC2086
		cc -Wall -o "$TMP/inst_cm" "$here/inst_cm.c" $flags ||
			fail "cannot build inst_cm with pkg-config's flags"
	else
		log "SKIP rdma_cm part: librdmacm is not installed ($pc/librdmacm.pc)"
	fi
	# Not ldd | grep -q: grep's early exit can kill ldd with SIGPIPE,
	# which pipefail reports as a failure.
	libs=$(ldd "$TMP/inst_verbs")
	grep -q "libibverbs.so.1 => $PRIV/" <<<"$libs" ||
		fail "inst_verbs does not load $PRIV/libibverbs.so.1: $libs"
}

# serve NAME OUT CMD...: CMD in A in the background, output to OUT.
serve() {
	local out=$1

	shift
	ns_clean "$NS_A" "$@" >"$out" 2>&1 &
	BG_PIDS+=($!)
}

check_rc() {
	local spid

	serve "$TMP/vs" "$TMP/inst_verbs" "$DEV_A" server 18515
	spid=${BG_PIDS[-1]}
	ns_clean "$NS_B" "$TMP/inst_verbs" "$DEV_B" client "$ADDR_A" 18515 \
		>"$TMP/vc" 2>&1 || { cat "$TMP/vs" "$TMP/vc"; fail "inst_verbs client"; }
	wait "$spid" || { cat "$TMP/vs" "$TMP/vc"; fail "inst_verbs server"; }
	cat "$TMP/vs" "$TMP/vc"
	((WITH_CM)) || return 0
	serve "$TMP/cs" "$TMP/inst_cm" server "$ADDR_A" 7471
	spid=${BG_PIDS[-1]}
	for _ in $(seq 100); do
		grep -q listening "$TMP/cs" && break
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.1
	done
	ns_clean "$NS_B" "$TMP/inst_cm" client "$ADDR_A" 7471 >"$TMP/cc" 2>&1 ||
		{ cat "$TMP/cs" "$TMP/cc"; fail "inst_cm client"; }
	wait "$spid" || { cat "$TMP/cs" "$TMP/cc"; fail "inst_cm server"; }
	cat "$TMP/cs" "$TMP/cc"
}

# check_run UROCE [LIBDIR]: Debian's ibv_devinfo through UROCE run, in A;
# UROCE env names LIBDIR ($PRIV by default).
check_run() {
	local uroce=$1 lib=${2:-$PRIV} out

	out=$(ns_clean "$NS_A" "$uroce" run ibv_devinfo) ||
		fail "$uroce run ibv_devinfo: $out"
	grep -q "hca_id:.*$DEV_A" <<<"$out" ||
		fail "$uroce run ibv_devinfo shows no $DEV_A: $out"
	log "$uroce run ibv_devinfo: $(grep -c hca_id <<<"$out") devices, $DEV_A among them"
	out=$(ns_clean "$NS_A" "$uroce" env)
	log "$uroce env: $out"
	[[ $out == *"'$lib'"* ]] || fail "uroce env does not name $lib"
	out=$(ns_clean "$NS_A" bash -c "eval \"\$($uroce env)\" && ibv_devices") ||
		fail "ibv_devices after uroce env: $out"
	grep -q "$DEV_A" <<<"$out" || fail "ibv_devices after uroce env: $out"
	out=$(ns_clean "$NS_A" "$uroce" run --rsockets sh -c 'echo "$LD_PRELOAD"')
	[[ $out == *"$lib/librspreload.so"* ]] ||
		fail "uroce run --rsockets: LD_PRELOAD=$out"
	log "uroce run --rsockets: LD_PRELOAD=$out"
	out=$(ns_clean "$NS_A" bash -c \
		"eval \"\$($uroce env --rsockets)\" && echo \"\$LD_PRELOAD\"")
	[[ $out == *"$lib/librspreload.so"* ]] ||
		fail "uroce env --rsockets: LD_PRELOAD=$out"
}

# check_man MANDIR: man uroce (7 and 8) and uroce.conf(5) open from there.
check_man() {
	local mandir=$1 page out

	need man
	for page in "8 uroce" "7 uroce" "5 uroce.conf"; do
		# shellcheck disable=SC2086
		out=$(MANPATH=$mandir MANPAGER=cat PAGER=cat MANWIDTH=80 \
			man $page 2>&1) || fail "man $page: $out"
		grep -q "NAME" <<<"$out" || fail "man $page: $out"
	done
	log "man uroce, man 7 uroce, man uroce.conf open (MANPATH=$mandir)"
}

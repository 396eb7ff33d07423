#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# pair.sh CASE: a Debian tool of tests/dp or tests/cm between two
# namespaces on uroce's libraries, server in A and client in B, both under
# valgrind memcheck. CASE is rc_pingpong, uc_pingpong, ud_pingpong or
# srq_pingpong (ibv_CASE -g 0 -c -n $VG_PP_ITERS, 200 by default), or rping
# (-C 50). The client starts once the server listens, so each side runs
# once and leaves one log. Any valgrind error or leak fails (vg.sh).
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"
# shellcheck source=vg.sh
source "$(dirname "$0")/vg.sh"

case_=${1:-}
TEST_NAME="valgrind.$case_"
# Under valgrind a program takes seconds to start, and its data path is
# some fifty times slower.
CMD_TIMEOUT=300

case $case_ in
rc_pingpong | uc_pingpong | ud_pingpong | srq_pingpong)
	tool=/usr/bin/ibv_$case_
	[[ -x $tool ]] || skip "no ibv_$case_"
	args=(-g 0 -c -n "${VG_PP_ITERS:-200}")
	srv=("$tool" -d "$DEV_A" "${args[@]}")
	cli=("$tool" -d "$DEV_B" "${args[@]}" "$ADDR_A")
	SC_LISTEN="tcp 18515" # the pingpongs' default port
	done_re="iters in"
	;;
rping)
	[[ -x /usr/bin/rping ]] || skip "no rping"
	port=$((7000 + $$ % 2000))
	srv=(/usr/bin/rping -s -a "$ADDR_A" -p "$port" -C 50)
	cli=(/usr/bin/rping -c -a "$ADDR_A" -p "$port" -v -C 50)
	SC_LISTEN="udp $port" # the RDMA CM's port
	done_re="rdma-ping-49:"
	;;
*)
	fail "unknown case '$case_'"
	;;
esac
vg_usable
pair_setup
mkdir "$TMP/vg"

# A subshell, so that the logs are shown when server_client fails.
if ! (server_client \
	"${VG[@]}" --log-file="$TMP/vg/server.%p.vg" "${srv[@]}" -- \
	"${VG[@]}" --log-file="$TMP/vg/client.%p.vg" "${cli[@]}"); then
	vg_clean "$TMP"/vg/*.vg || true
	fail "${srv[0]##*/} under valgrind failed"
fi
grep -q "$done_re" "$TMP/client" || fail "the client did not finish"
vg_clean "$TMP"/vg/*.vg || fail "valgrind errors or leaks"

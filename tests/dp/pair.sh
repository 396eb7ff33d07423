#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# pair.sh PROGRAM [ARGS]: a uroce test program that uses both namespaces,
# run in A as PROGRAM DEV_A /run/netns/NS_B DEV_B ARGS (it opens B's
# device from inside B). Both ends also get a global IPv6 address.
#   dp_ud   UD multicast, address handles from work completions (also
#           with UROCE_WIRE=roce: dp.ud_roce)
#   dp_big  an RC WRITE of 2 GiB, a SEND and a READ of 256 MiB
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"

name=${1:?usage: pair.sh PROGRAM [ARGS]}
shift
TEST_NAME=$name
var=UROCE_TEST_${name^^}
prog=${!var:-${BUILD:+$BUILD/tests/dp/$name}}
[[ -x $prog ]] || fail "no $name (set BUILD or $var)"
# 2 GiB take a while on a busy machine; ctest's limit is 300 s.
[[ $name == dp_big ]] && CMD_TIMEOUT=240
pair_setup
v6="fd00:99:$(($$ % 200 + 20))"
ip -n "$NS_A" addr add "$v6::1/64" dev "dpa$$" nodad
ip -n "$NS_B" addr add "$v6::2/64" dev "dpb$$" nodad
# The link-local GIDs come first in wire roce (uroce(7)): once their DAD
# ends, the indexes after them move. Waited for, up to 5 s.
for _ in $(seq 50); do
	[[ -z $(ip -n "$NS_A" -6 addr show tentative) &&
		-z $(ip -n "$NS_B" -6 addr show tentative) ]] && break
	sleep 0.1
done
in_ns "$NS_A" "$prog" "$DEV_A" "/run/netns/$NS_B" "$DEV_B" "$@" ||
	fail "$name failed"

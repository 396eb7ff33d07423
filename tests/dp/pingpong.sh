#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# pingpong.sh TOOL [ARGS...]: Debian's unmodified ibv_TOOL_pingpong between
# two namespaces, server in A, client in B, both with ARGS.
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"

tool=$1
shift
[[ -x /usr/bin/ibv_${tool}_pingpong ]] || skip "no ibv_${tool}_pingpong"
TEST_NAME="pingpong.$tool$(printf '%s' "$*" | tr -d ' -')"
pair_setup
server_client "/usr/bin/ibv_${tool}_pingpong" -d "$DEV_A" "$@" -- \
	"/usr/bin/ibv_${tool}_pingpong" -d "$DEV_B" "$@" "$ADDR_A"
grep -q "iters in" "$TMP/client" || fail "no result line"
# --ts: completion timestamps were read, and they moved forward.
if [[ " $* " == *" --ts "* ]]; then
	awk '/^Min receive completion clock cycles/ { ok = $NF > 0 }
		END { exit !ok }' "$TMP/client" ||
		fail "no completion timestamps: $(tail -3 "$TMP/client")"
fi

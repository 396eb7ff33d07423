#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# perftest.sh TOOL [ARGS...]: Debian's unmodified perftest TOOL (ib_write_bw,
# ib_read_lat, ...) between two namespaces over RoCE v2 GID 0, a few
# iterations (-n 200), with ARGS (a message size, an atomic type...).
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"

tool=$1
shift
[[ -x /usr/bin/$tool ]] || skip "no $tool (perftest)"
TEST_NAME="perftest.$tool$(printf '%s' "$*" | tr -d ' -')"
pair_setup
common=(-x 0 -F -n 200 "$@")
[[ $tool == *_bw ]] && common+=(--report_gbits)
server_client "/usr/bin/$tool" -d "$DEV_A" "${common[@]}" -- \
	"/usr/bin/$tool" -d "$DEV_B" "${common[@]}" "$ADDR_A"
grep -q "^ *[0-9]" "$TMP/client" || fail "no result line"

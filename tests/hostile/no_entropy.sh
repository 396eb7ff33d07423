#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# no_entropy.c in a mount namespace where /dev/urandom is /dev/null: with
# getrandom refused too, uroce hands out no rkey (EAGAIN) rather than one
# made from the clock and the PID.
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"

PROG=${UROCE_TEST_NO_ENTROPY:-${BUILD:+$BUILD/tests/hostile/no_entropy}}
[[ -x $PROG ]] || fail "no no_entropy (set BUILD or UROCE_TEST_NO_ENTROPY)"
command -v unshare >/dev/null || skip "no unshare"
pair_setup
in_ns "$NS_A" unshare -m bash -c \
	'mount --bind /dev/null /dev/urandom && exec "$1"' _ "$PROG" ||
	fail "a key was made without the kernel's generator"

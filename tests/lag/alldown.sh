#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# alldown.sh: both members of A down, longer than the retry budget
# (timeout 14, retry_cnt 3: about 0.3 s): a WRITE on each of 2 QPs ends
# in IBV_WC_RETRY_EXC_ERR and A's context sees IBV_EVENT_PORT_ERR, in
# bounded time. Then, with both down for 0.1 s only, the QPs recover.
source "$(dirname "$0")/lib.sh"

lag_setup
lag_traffic alldown -q 2 -e "0:ip link set m1 down; ip link set m2 down" || {
	cat "$TMP/out"
	fail "all down"
}
cat "$TMP/out"
lag_in_ns "$NS_A" ip link set m1 up
lag_in_ns "$NS_A" ip link set m2 up
sleep 0.5
# The outage is 0.1 s, but the commands that make it take their time on a
# busy machine: a retry budget of about 2 s (timeout 16) outlasts them.
UROCE_LOG=warn lag_traffic steady -q 2 -t 3 -T 16 \
	-e "1:ip link set m1 down; ip link set m2 down; sleep 0.1; ip link set m2 up" || {
	cat "$TMP/out"
	fail "no recovery from a short outage"
}
cat "$TMP/out"

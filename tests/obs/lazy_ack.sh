#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Unsignaled SENDs ask for no ACK (uroce-verbs(7): AckReq); the responder owes one
# and sends it lazily. A sender that posts N of them GAP ms apart, the
# last signaled, over longer than its retransmit timeout (timeout 14:
# 67 ms), must see no timeout and resend nothing: the lazy ACKs reached it
# in time. Its only completion succeeds, and the receiver verifies every
# message.
source "$(dirname "$0")/lib.sh"

N=25
GAP=5
S=100

obs_setup
start_holder s "$NS_A" "$DEV_A" r -r send -n $N -s $S -u $GAP
start_holder r "$NS_B" "$DEV_B" s -r recv -n $N -s $S
wait_ready s r
ps=$(field s pid)
pr=$(field r pid)
uroce_in "$NS_A" -j stat qp pid "$ps" >"$TMP/s.json"
uroce_in "$NS_B" -j stat qp pid "$pr" >"$TMP/r.json"
uroce_in "$NS_A" stat qp pid "$ps"
uroce_in "$NS_B" stat qp pid "$pr"
jcheck "$TMP/s.json" 'd[0]["tx_pkts"] == n and d[0]["timeouts"] == 0 and d[0]["retrans_pkts"] == 0' n=$N
# Acknowledged: by ACK packets, none of them asked for but the last.
jcheck "$TMP/r.json" 'd[0]["rx_pkts"] == n and 1 <= d[0]["tx_pkts"] <= n' n=$N

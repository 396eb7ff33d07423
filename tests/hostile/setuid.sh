#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# A set-user-ID program on uroce ignores what its caller's environment
# says about where providers come from, what to log and where, and what
# faults to inject (secure_getenv). Run by nobody: a plain copy of
# uroce_devices honours UROCE_PROVIDER_DIR (an empty directory: no
# device) and UROCE_LOG (debug lines), which shows the variables work;
# a set-user-ID root copy lists uroce_lo, logs nothing and writes no
# VERBS_LOG_FILE.
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"

DEVICES=${UROCE_TEST_BINDIR:-${BUILD:+$BUILD/bin}}/uroce_devices
[[ -x $DEVICES ]] || fail "no uroce_devices (set BUILD or UROCE_TEST_BINDIR)"
command -v setpriv >/dev/null || skip "no setpriv"
pair_setup
chmod 711 "$TMP"
mkdir -m 777 "$TMP/w" "$TMP/empty"
cp "$DEVICES" "$TMP/plain"
cp "$DEVICES" "$TMP/suid"
chmod 755 "$TMP/plain"
chmod 4755 "$TMP/suid"
# A file system mounted nosuid, or a runtime that forbids it: no test.
in_ns "$NS_A" setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$TMP/suid" >/dev/null 2>&1 ||
	skip "nobody cannot run uroce_devices from $TMP"

# as_nobody PROG: PROG by nobody in A with the hostile environment.
as_nobody() {
	timeout "$CMD_TIMEOUT" ip netns exec "$NS_A" setpriv --reuid=65534 \
		--regid=65534 --clear-groups env \
		UROCE_PROVIDER_DIR="$TMP/empty" UROCE_LOG=debug \
		VERBS_LOG_LEVEL=9 VERBS_LOG_FILE="$TMP/w/log" \
		UROCE_FAULT=drop=1 "$@"
}

as_nobody "$TMP/plain" >"$TMP/plain.out" 2>"$TMP/plain.err" || true
grep -q uroce_lo "$TMP/plain.out" &&
	fail "UROCE_PROVIDER_DIR is not honoured: the test shows nothing"
as_nobody "$TMP/suid" >"$TMP/suid.out" 2>"$TMP/suid.err" ||
	fail "the set-user-ID copy failed: $(cat "$TMP/suid.err")"
cat "$TMP/suid.out"
grep -q uroce_lo "$TMP/suid.out" ||
	fail "set-user-ID: UROCE_PROVIDER_DIR was honoured"
[[ -s $TMP/suid.err ]] &&
	fail "set-user-ID: UROCE_LOG was honoured: $(head -3 "$TMP/suid.err")"
[[ -e $TMP/w/log ]] && fail "set-user-ID: VERBS_LOG_FILE was written"
log "set-user-ID: the caller's UROCE_PROVIDER_DIR, UROCE_LOG, VERBS_LOG_* ignored"

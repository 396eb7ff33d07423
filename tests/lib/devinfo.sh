# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# What Debian's ibv_devices and ibv_devinfo (and uroce's own tools) show
# in a namespace, and the ev_wait helper that waits for async events;
# sourced after tests/lib/netns.sh, never run.
#   UROCE_TEST_EV_WAIT the ev_wait helper (tests/ns/ev_wait.c)

EV_WAIT=${UROCE_TEST_EV_WAIT:-${BUILD:+$BUILD/tests/ns/ev_wait}}

# debian_tool NS [VAR=VALUE...] TOOL ARGS...: runs Debian's /usr/bin/TOOL
# in NS and prints its output; fails if it fails or writes to stderr.
debian_tool() {
	local ns=$1 out err="$TMP/stderr.$RANDOM"
	local -a envs=()

	shift
	while (($#)) && [[ $1 == *=* ]]; do
		envs+=("$1")
		shift
	done
	out=$(in_ns "$ns" "${envs[@]}" "/usr/bin/$1" "${@:2}" 2>"$err") ||
		fail "$* in $ns failed: $out $(cat "$err")"
	if [[ -s $err ]]; then
		fail "$* in $ns wrote to stderr: $(cat "$err")"
	fi
	rm -f "$err"
	printf '%s\n' "$out"
}

# The device names Debian's ibv_devices lists in NS, one a line, sorted.
devices_of() {
	local ns=$1 out

	shift
	out=$(debian_tool "$ns" "$@" ibv_devices) || exit 1
	awk 'NR > 2 && NF { print $1 }' <<<"$out" | sort
}

# Debian's ibv_devinfo -v in NS.
devinfo_of() {
	local ns=$1

	shift
	debian_tool "$ns" "$@" ibv_devinfo -v
}

# The hca_id names of ibv_devinfo output on stdin, sorted.
devinfo_names() {
	awk '$1 == "hca_id:" { print $2 }' | sort
}

# The part of ibv_devinfo output on stdin that describes device DEV.
devinfo_section() {
	awk -v dev="$1" '$1 == "hca_id:" { on = ($2 == dev) } on'
}

# The value of FIELD (e.g. state, active_mtu) in device DEV's section of
# the ibv_devinfo output on stdin.
devinfo_field() {
	devinfo_section "$1" | awk -v f="$2:" '
		$1 == f { $1 = ""; sub(/^[ \t]+/, ""); print; exit }'
}

# GID[i] of device DEV in ibv_devinfo -v output on stdin: "GID, TYPE".
devinfo_gid() {
	devinfo_section "$1" | awk -v i="$2" '
		{
			line = $0
			if (match(line, /GID\[ *[0-9]+\]:/)) {
				idx = substr(line, RSTART + 4, RLENGTH - 6) + 0
				if (idx == i) {
					sub(/.*GID\[ *[0-9]+\]:[ \t]*/, "", line)
					print line
					exit
				}
			}
		}'
}

# dev_state NS DEV [VAR=VALUE...]: the port state ibv_devinfo shows.
dev_state() {
	local ns=$1 dev=$2

	shift 2
	devinfo_of "$ns" "$@" | devinfo_field "$dev" state
}

# True when DEV's port in NS is in STATE (e.g. PORT_ACTIVE).
dev_in_state() {
	[[ $(dev_state "$1" "$2") == "$3"* ]]
}

# wait_state NS DEV STATE: the port reaches STATE within 10 seconds, scaled
# (carrier changes reach rtnetlink through the kernel's linkwatch, which
# may take a second).
wait_state() {
	retry "$(scaled 10)" dev_in_state "$1" "$2" "$3" ||
		fail "$2 in $1: port state $(dev_state "$1" "$2"), not $3"
}

# The list of device names, space separated.
words() {
	tr '\n' ' ' | sed 's/ $//'
}

# Runs uroce's tool NAME in NS if it was built; returns 2 when it was not.
uroce_tool() {
	local ns=$1 tool=$2

	shift 2
	[[ -x $BINDIR/$tool ]] || return 2
	in_ns "$ns" "$BINDIR/$tool" "$@"
}

# ev_start VAR NS DEV EVENTS TIMEOUT_MS [VAR=VALUE...]: starts ev_wait in
# the background and waits until it has its context open. VAR gets a
# handle for ev_finish.
ev_start() {
	local _var=$1 _ns=$2 _dev=$3 _events=$4 _tmo=$5 _file _pid

	shift 5
	[[ -x $EV_WAIT ]] || fail "no ev_wait helper at '$EV_WAIT'"
	_file="$TMP/ev.$_dev.$RANDOM$RANDOM"
	in_ns "$_ns" "$@" "$EV_WAIT" "$_dev" "$_events" "$_tmo" \
		>"$_file" 2>&1 &
	_pid=$!
	BG_PIDS+=("$_pid")
	if ! retry "${EV_READY_TIMEOUT:-$(scaled 10)}" \
		grep -q '^ready$' "$_file"; then
		cat "$_file" >&2
		fail "ev_wait $_dev $_events did not get ready"
	fi
	printf -v "$_var" '%s:%s' "$_pid" "$_file"
}

# ev_finish HANDLE VAR: waits for ev_wait to end and stores its output in
# VAR; fails unless it saw its events. (Not in a $(...): only this shell
# can wait for the helper.)
ev_finish() {
	local _pid=${1%%:*} _file=${1#*:} _rc=0

	wait "$_pid" || _rc=$?
	((_rc == 0)) || {
		cat "$_file" >&2
		fail "ev_wait exited with $_rc"
	}
	printf -v "$2" '%s' "$(cat "$_file")"
}

# ev_seen HANDLE ERE: waits (10 s at most, scaled) until ev_wait printed a
# line matching ERE.
ev_seen() {
	local _file=${1#*:}

	retry "$(scaled 10)" grep -Eq -- "$2" "$_file" || {
		cat "$_file" >&2
		fail "ev_wait never printed '$2'"
	}
}

# ev_stop HANDLE VAR: ends an ev_wait that is still waiting and stores its
# output in VAR.
ev_stop() {
	local _pid=${1%%:*} _file=${1#*:}

	kill "$_pid" 2>/dev/null || true
	wait "$_pid" 2>/dev/null || true
	printf -v "$2" '%s' "$(cat "$_file")"
}

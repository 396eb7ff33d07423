#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Configuration, as uroce.conf(5) documents it: UROCE_INCLUDE,
# UROCE_EXCLUDE, UROCE_LO and UROCE_RENAME, a UROCE_CONF file, the
# environment over the file, and the per-namespace /etc/uroce/uroce.conf
# that `ip netns exec` provides. Debian's ibv_devices and ibv_devinfo show
# the result.

# Variables such as A, B and ev are set by tests/lib's helpers (printf -v).
# shellcheck disable=SC2154
set -euo pipefail
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"
# shellcheck source=../lib/devinfo.sh
source "$(dirname "$0")/../lib/devinfo.sh"

ns_setup

ns_new A a
veth "$A" cfg0 "$A" cfg1
ip -n "$A" link add eth9 type veth peer name eth9p
ip -n "$A" addr add 10.99.3.1/24 dev cfg0
ip -n "$A" addr add 10.99.3.2/24 dev cfg1
ip -n "$A" addr add 192.0.2.9/24 dev eth9
ip -n "$A" link set cfg0 up
ip -n "$A" link set cfg1 up
ip -n "$A" link set eth9 up
# eth9p is up without any address, not even a link-local one.
ip -n "$A" link set eth9p addrgenmode none 2>/dev/null || true
ip -n "$A" link set eth9p up
wait_state "$A" uroce_cfg0 PORT_ACTIVE

# expect_devices WHAT "DEV DEV..." [VAR=VALUE...]
expect_devices() {
	local what=$1 want=$2 list

	shift 2
	list=$(devices_of "$A" "$@")
	expect_eq "$what: ibv_devices" "$(words <<<"$list")" "$want"
	list=$(devinfo_of "$A" "$@" | devinfo_names)
	expect_eq "$what: ibv_devinfo" "$(words <<<"$list")" "$want"
}

all="uroce_cfg0 uroce_cfg1 uroce_eth9 uroce_lo"
expect_devices "no configuration" "$all"

# Environment.
expect_devices "UROCE_EXCLUDE=cfg1" "uroce_cfg0 uroce_eth9 uroce_lo" \
	UROCE_EXCLUDE=cfg1
expect_devices "UROCE_EXCLUDE='cfg*'" "uroce_eth9 uroce_lo" \
	"UROCE_EXCLUDE=cfg*"
expect_devices "UROCE_EXCLUDE='cfg1, eth9'" "uroce_cfg0 uroce_lo" \
	"UROCE_EXCLUDE=cfg1, eth9"
expect_devices "UROCE_EXCLUDE=lo (exclude wins over loopback)" \
	"uroce_cfg0 uroce_cfg1 uroce_eth9" UROCE_EXCLUDE=lo
expect_devices "UROCE_EXCLUDE=" "$all" UROCE_EXCLUDE=
expect_devices "UROCE_INCLUDE=cfg0 (lo stays)" "uroce_cfg0 uroce_lo" \
	UROCE_INCLUDE=cfg0
expect_devices "UROCE_INCLUDE='cfg?'" "uroce_cfg0 uroce_cfg1 uroce_lo" \
	"UROCE_INCLUDE=cfg?"
expect_devices "UROCE_INCLUDE='cfg*' UROCE_EXCLUDE=cfg0" \
	"uroce_cfg1 uroce_lo" "UROCE_INCLUDE=cfg*" UROCE_EXCLUDE=cfg0
expect_devices "UROCE_LO=0" "uroce_cfg0 uroce_cfg1 uroce_eth9" UROCE_LO=0
expect_devices "UROCE_LO=off" "uroce_cfg0 uroce_cfg1 uroce_eth9" \
	UROCE_LO=off
expect_devices "UROCE_LO=1" "$all" UROCE_LO=1
expect_devices "UROCE_LO=bogus (ignored)" "$all" UROCE_LO=bogus
expect_devices "UROCE_INCLUDE=lo UROCE_LO=1 (loopback only)" "uroce_lo" \
	UROCE_INCLUDE=lo UROCE_LO=1
expect_devices "UROCE_RENAME=cfg0=fast0" \
	"fast0 uroce_cfg1 uroce_eth9 uroce_lo" UROCE_RENAME=cfg0=fast0
expect_devices "UROCE_RENAME, two pairs and a bad one" \
	"fast0 mlx5_0 uroce_eth9 uroce_lo" \
	"UROCE_RENAME=cfg0=fast0,cfg1=mlx5_0 nonsense eth9=bad/name"
expect_devices "UROCE_RENAME of an excluded netdev" \
	"uroce_cfg0 uroce_eth9 uroce_lo" UROCE_RENAME=cfg1=gone \
	UROCE_EXCLUDE=cfg1

# A renamed device is still its netdev's.
info=$(devinfo_of "$A" UROCE_RENAME=cfg0=fast0 UROCE_LO=0)
expect_eq "GID[0] of the renamed device" \
	"$(devinfo_gid fast0 0 <<<"$info")" "::ffff:10.99.3.1, RoCE v2"
expect_eq "state of the renamed device" \
	"$(devinfo_field fast0 state <<<"$info")" "PORT_ACTIVE (4)"
log "environment ok"

# A file.
conf=$TMP/uroce.conf
cat >"$conf" <<'CONF'
# uroce.conf for the test
exclude cfg1   # a comment after a blank
loopback off
rename cfg0 roce_a
CONF
expect_devices "UROCE_CONF file" "roce_a uroce_eth9" UROCE_CONF="$conf"
info=$(devinfo_of "$A" UROCE_CONF="$conf")
expect_eq "GID[0] of roce_a" "$(devinfo_gid roce_a 0 <<<"$info")" \
	"::ffff:10.99.3.1, RoCE v2"

# The environment overrides the file.
expect_devices "file + UROCE_LO=1" "roce_a uroce_eth9 uroce_lo" \
	UROCE_CONF="$conf" UROCE_LO=1
expect_devices "file + UROCE_EXCLUDE= (clears the file's list)" \
	"roce_a uroce_cfg1 uroce_eth9" UROCE_CONF="$conf" UROCE_EXCLUDE=
expect_devices "file + UROCE_RENAME=cfg0=other" "other uroce_eth9" \
	UROCE_CONF="$conf" UROCE_RENAME=cfg0=other

# include lines accumulate; a bad line costs only itself.
cat >"$conf" <<'CONF'
include cfg0
include eth*
frobnicate everything
rename cfg0 bad/name
loopback maybe
CONF
expect_devices "include lines and bad lines" \
	"uroce_cfg0 uroce_eth9 uroce_lo" UROCE_CONF="$conf"

# An unreadable or missing file is no error; UROCE_CONF= reads none.
expect_devices "missing UROCE_CONF file" "$all" \
	UROCE_CONF="$TMP/does-not-exist"
mkdir "$TMP/adir"
expect_devices "UROCE_CONF is a directory" "$all" UROCE_CONF="$TMP/adir"
log "UROCE_CONF file ok"

# The default file, per namespace: ip netns exec bind-mounts
# /etc/netns/NS/uroce over /etc/uroce when both exist. Without a host
# /etc/uroce, an overlay in the command's own mount namespace (ip netns
# exec gives it one) adds the directory instead, so the host is untouched.
default_conf() {
	local d="$TMP/etcadd"

	mkdir -p "$d/uroce"
	printf 'loopback off\nexclude eth9\n' >"$d/uroce/uroce.conf"
	# shellcheck disable=SC2016 # $1 and $@ are the inner shell's
	timeout "$CMD_TIMEOUT" ip netns exec "$A" sh -c '
		mount -t overlay overlay -o lowerdir="$1":/etc /etc ||
			exit 77
		shift
		exec env -u UROCE_CONF -u UROCE_INCLUDE -u UROCE_EXCLUDE \
			-u UROCE_LO -u UROCE_RENAME "$@"' sh "$d" \
		env LD_LIBRARY_PATH="$LIBDIR" "${san[@]}" /usr/bin/ibv_devices
}
mapfile -t san < <(sanitizer_env)
if [[ -d /etc/uroce ]]; then
	etcns="/etc/netns/$A"
	CLEAN_PATHS+=("$etcns")
	mkdir -p "$etcns/uroce"
	printf 'loopback off\nexclude eth9\n' >"$etcns/uroce/uroce.conf"
	out=$(timeout "$CMD_TIMEOUT" ip netns exec "$A" \
		env -u UROCE_CONF LD_LIBRARY_PATH="$LIBDIR" "${san[@]}" \
		/usr/bin/ibv_devices) || fail "ibv_devices: $out"
	rm -rf "$etcns"
	rmdir /etc/netns 2>/dev/null || true
	rc=0
else
	rc=0
	out=$(default_conf 2>&1) || rc=$?
fi
if ((rc == 77)); then
	log "cannot overlay /etc here: default file not checked"
elif ((rc)); then
	fail "ibv_devices with the default file: $out"
else
	list=$(awk 'NR > 2 && NF { print $1 }' <<<"$out" | sort | words)
	expect_eq "/etc/uroce/uroce.conf in $A" "$list" "uroce_cfg0 uroce_cfg1"
	log "/etc/uroce/uroce.conf ok"
fi

log "configuration ok"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The kernel's files of uroce devices under `uroce run` (preload/): two
# namespaces A and B joined by a veth pair. In A, as root and as nobody
# (uid 65534, no capability), /sys/class/infiniband, .../infiniband_verbs
# and /dev/infiniband show exactly A's devices and say what Debian's
# ibv_devinfo -v says of them (GUIDs, firmware, port state, rate, every
# GID and its type and netdev); ibv_device's dev_name, dev_path and
# ibdev_path name them; an address added or removed and a link going
# down show at the next read; writes fail; other paths are untouched; and
# Debian's ucx_info -d lists rc_verbs and ud_verbs on every uroce device.

# Variables such as A and B are set by tests/lib's helpers (printf -v).
# shellcheck disable=SC2154
set -euo pipefail
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"
# shellcheck source=../lib/devinfo.sh
source "$(dirname "$0")/../lib/devinfo.sh"

DEVPATHS=${UROCE_TEST_DEVPATHS:-${BUILD:+$BUILD/tests/sysfs/sysfs_devpaths}}
DUMP="$(cd "$(dirname "$0")" && pwd)/dump.py"
PY=/usr/bin/python3
IB=/sys/class/infiniband

ns_setup
[[ -x $BINDIR/uroce ]] || fail "no uroce tool in '$BINDIR'"
[[ -e $LIBDIR/liburoce-sysfs.so ]] || fail "no liburoce-sysfs.so in '$LIBDIR'"
[[ -x $PY ]] || skip "no $PY"
[[ -x $DEVPATHS ]] || fail "no devpaths helper at '$DEVPATHS'"
chmod 755 "$TMP"

ns_new A a
ns_new B b
veth "$A" vethA "$B" vethB
ip -n "$A" addr add 10.99.0.1/24 dev vethA
ip -n "$B" addr add 10.99.0.2/24 dev vethB
if have_ipv6; then
	ip -n "$A" addr add 2001:db8:99::1/64 dev vethA nodad
fi
ip -n "$A" link set vethA up
ip -n "$B" link set vethB up
wait_state "$A" uroce_vethA PORT_ACTIVE
IFX=1 # lo's ifindex in every namespace
IFX_A=$(ip netns exec "$A" cat /sys/class/net/vethA/ifindex)

AS=root
# urun NS CMD ARGS...: CMD started by `uroce run` in NS, as $AS, with no
# uroce configuration and no preload of the caller's, bounded in time.
urun() {
	local ns=$1
	local -a san user=()

	shift
	mapfile -t san < <(sanitizer_env)
	if [[ $AS != root ]]; then
		user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	fi
	timeout "$CMD_TIMEOUT" ip netns exec "$ns" "${user[@]}" \
		env -u UROCE_INCLUDE -u UROCE_EXCLUDE -u UROCE_LO \
		-u UROCE_RENAME -u UROCE_PROVIDER_DIR -u LD_LIBRARY_PATH \
		-u LD_PRELOAD UROCE_CONF= "${san[@]}" \
		"$BINDIR/uroce" run "$@"
}

# The value dump.py gives for PATH in the dump on stdin.
val() {
	awk -F'\t' -v p="$1" '$1 == p { print $3; found = 1 } END { exit !found }'
}

# gid_of_file: the kernel's "%pI6" form of stdin, as inet_ntop writes it.
compress_gid() {
	$PY -c 'import ipaddress, sys
a = ipaddress.IPv6Address(sys.stdin.read().strip())
print(("::ffff:" + str(a.ipv4_mapped)) if a.ipv4_mapped else a.compressed)'
}

# rate_of WIDTH_CODE SPEED_CODE: the kernel's rate line for them.
rate_of() {
	awk -v w="$1" -v s="$2" 'BEGIN {
		lanes[1] = 1; lanes[2] = 4; lanes[4] = 8; lanes[8] = 12
		lanes[16] = 2
		split("1 SDR 25 2 DDR 50 4 QDR 100 8 FDR10 100 16 FDR 140 " \
		      "32 EDR 250 64 HDR 500 128 NDR 1000", t, " ")
		name = "SDR"; rate = 25
		for (i = 1; i in t; i += 3)
			if (t[i] == s) { name = t[i + 1]; rate = t[i + 2] }
		rate *= lanes[w]
		printf "%d%s Gb/sec (%dX %s)\n", rate / 10,
			rate % 10 ? ".5" : "", lanes[w], name
	}'
}

# The code in parentheses of an ibv_devinfo field: "1X (1)" gives 1.
code() {
	sed -n 's/.*(\([0-9]*\))$/\1/p'
}

# check_dev DUMP INFO DEV IFNAME: DEV's files in DUMP agree with INFO.
check_dev() {
	local dump=$1 info=$2 dev=$3 ifname=$4 d=$IB/$3 p=$IB/$3/ports/1
	local sec tbl i want got n=0 w s

	sec=$(devinfo_section "$dev" <<<"$info")
	[[ -n $sec ]] || fail "ibv_devinfo does not list $dev"
	for f in fw_ver node_guid sys_image_guid; do
		expect_eq "$dev $f" "$(val "$d/$f" <<<"$dump")" \
			"$(devinfo_field "$dev" "$f" <<<"$info")"
	done
	expect_eq "$dev node_type" "$(val "$d/node_type" <<<"$dump")" "1: CA"
	case $(devinfo_field "$dev" state <<<"$info") in
	"PORT_ACTIVE (4)") want="4: ACTIVE" ;;
	"PORT_DOWN (1)") want="1: DOWN" ;;
	*) want="?" ;;
	esac
	expect_eq "$dev state" "$(val "$p/state" <<<"$dump")" "$want"
	case $(devinfo_field "$dev" phys_state <<<"$info") in
	"LINK_UP (5)") want="5: LinkUp" ;;
	"DISABLED (3)") want="3: Disabled" ;;
	*) want="?" ;;
	esac
	expect_eq "$dev phys_state" "$(val "$p/phys_state" <<<"$dump")" "$want"
	expect_eq "$dev link_layer" "$(val "$p/link_layer" <<<"$dump")" \
		"$(devinfo_field "$dev" link_layer <<<"$info")"
	expect_eq "$dev lid" "$(val "$p/lid" <<<"$dump")" \
		"0x$(devinfo_field "$dev" port_lid <<<"$info")"
	expect_eq "$dev sm_lid" "$(val "$p/sm_lid" <<<"$dump")" \
		"0x$(devinfo_field "$dev" sm_lid <<<"$info")"
	expect_eq "$dev cap_mask" "$(val "$p/cap_mask" <<<"$dump")" \
		"$(devinfo_field "$dev" port_cap_flags <<<"$info")"
	w=$(devinfo_field "$dev" active_width <<<"$info" | code)
	s=$(devinfo_field "$dev" active_speed <<<"$info" | code)
	expect_eq "$dev rate" "$(val "$p/rate" <<<"$dump")" "$(rate_of "$w" "$s")"
	expect_eq "$dev pkey 0" "$(val "$p/pkeys/0" <<<"$dump")" "0xffff"
	expect_eq "$dev numa_node" "$(val "$d/device/numa_node" <<<"$dump")" "-1"
	expect_match "$dev local_cpus" "$(val "$d/device/local_cpus" <<<"$dump")" \
		'^[0-9a-f]+(,[0-9a-f]{8})*$'
	expect_eq "$dev device/net" \
		"$(awk -F'\t' -v p="$d/device/net/" 'index($1, p) == 1 {
			sub(".*/", "", $1); print $1 }' <<<"$dump")" "$ifname"

	# Every GID entry: the GID ibv_devinfo shows, RoCE v2 on the netdev;
	# an empty one reads as zeros and its attributes fail with EINVAL.
	tbl=$(devinfo_field "$dev" gid_tbl_len <<<"$info")
	expect_eq "$dev gid entries" \
		"$(grep -c "^$p/gids/" <<<"$dump")" "$tbl"
	for ((i = 0; i < tbl; i++)); do
		got=$(val "$p/gids/$i" <<<"$dump")
		want=$(devinfo_gid "$dev" "$i" <<<"$info")
		if [[ -z $want ]]; then
			expect_eq "$dev gids/$i" "$got" \
				"0000:0000:0000:0000:0000:0000:0000:0000"
			expect_eq "$dev types/$i" \
				"$(val "$p/gid_attrs/types/$i" <<<"$dump")" \
				"ERR:EINVAL"
			expect_eq "$dev ndevs/$i" \
				"$(val "$p/gid_attrs/ndevs/$i" <<<"$dump")" \
				"ERR:EINVAL"
			continue
		fi
		n=$((n + 1))
		expect_eq "$dev gids/$i" "$(compress_gid <<<"$got"), RoCE v2" \
			"$want"
		expect_eq "$dev types/$i" \
			"$(val "$p/gid_attrs/types/$i" <<<"$dump")" "RoCE v2"
		expect_eq "$dev ndevs/$i" \
			"$(val "$p/gid_attrs/ndevs/$i" <<<"$dump")" "$ifname"
	done
	((n > 0)) || fail "$dev has no GID"
}

# check_all NS: the whole tree in NS against ibv_devinfo -v and devpaths.
check_all() {
	local ns=$1 dump info devs line name devname devpath ibdevpath n

	dump=$(urun "$ns" $PY "$DUMP") || fail "dump.py as $AS: $dump"
	info=$(urun "$ns" /usr/bin/ibv_devinfo -v) ||
		fail "ibv_devinfo as $AS: $info"
	devs=$(awk -F'\t' -v p="$IB/" 'index($1, p) == 1 &&
		split(substr($1, length(p) + 1), a, "/") == 1 { print a[1] }' \
		<<<"$dump" | words)
	expect_eq "$IB as $AS" "$devs" "$(devinfo_names <<<"$info" | words)"
	expect_eq "$IB as $AS" "$devs" "uroce_lo uroce_vethA"
	check_dev "$dump" "$info" uroce_lo lo
	check_dev "$dump" "$info" uroce_vethA vethA

	expect_eq "abi_version" \
		"$(val /sys/class/infiniband_verbs/abi_version <<<"$dump")" "6"
	# dev_name uverbsN (N: the netdev's ifindex) and the paths agree.
	while read -r name devname devpath ibdevpath; do
		n=${devname#uverbs}
		[[ $name == uroce_lo ]] && expect_eq "$name dev_name" "$n" "$IFX"
		[[ $name == uroce_vethA ]] &&
			expect_eq "$name dev_name" "$n" "$IFX_A"
		expect_eq "$name dev_path" "$devpath" \
			"/sys/class/infiniband_verbs/$devname"
		expect_eq "$name ibdev_path" "$ibdevpath" "$IB/$name"
		expect_eq "$devname/ibdev" "$(val "$devpath/ibdev" <<<"$dump")" \
			"$name"
		expect_eq "$devname/dev" "$(val "$devpath/dev" <<<"$dump")" \
			"231:$((192 + n))"
		expect_eq "$devname/device" \
			"$(val "$devpath/device" <<<"$dump")" \
			"../../infiniband/$name/device"
		expect_eq "/dev/infiniband/$devname" \
			"$(val "/dev/infiniband/$devname" <<<"$dump")" \
			"231:$((192 + n)):0o666"
		expect_eq "$ibdevpath" "$(val "$ibdevpath" <<<"$dump")" "0o755"
	done < <(urun "$ns" "$DEVPATHS")

	# The character device: stat, access and an open for read and write.
	line=$(urun "$ns" bash -c 'f=/dev/infiniband/uverbs'"$IFX_A"'
		[[ -c $f && -r $f && -w $f ]] && exec 3<>"$f" &&
		stat -c "%F %a %t:%T" "$f"') ||
		fail "/dev/infiniband/uverbs$IFX_A as $AS: $line"
	expect_eq "stat uverbs$IFX_A" "$line" \
		"character special file 666 e7:$(printf %x $((192 + IFX_A)))"
	# Shell tools: ls, cat, realpath through the netdev link.
	line=$(urun "$ns" ls /dev/infiniband | words)
	expect_eq "ls /dev/infiniband as $AS" "$line" "uverbs$IFX uverbs$IFX_A"
	line=$(urun "$ns" ls -l /dev/infiniband | awk 'NR > 1 {
		print $1, $5, $6, $NF }' | words)
	expect_eq "ls -l /dev/infiniband as $AS" "$line" \
		"crw-rw-rw- 231, $((192 + IFX)) uverbs$IFX crw-rw-rw- 231, $((192 + IFX_A)) uverbs$IFX_A"
	line=$(urun "$ns" ls /sys/class/infiniband_verbs | words)
	expect_eq "ls /sys/class/infiniband_verbs as $AS" "$line" \
		"abi_version uverbs$IFX uverbs$IFX_A"
	line=$(urun "$ns" cat "$IB/uroce_vethA/device/net/vethA/ifindex")
	expect_eq "device/net/vethA/ifindex" "$line" "$IFX_A"
	line=$(urun "$ns" realpath "/sys/class/infiniband_verbs/uverbs$IFX_A/device/net/vethA")
	expect_eq "realpath" "$line" "$(ip netns exec "$ns" realpath /sys/class/net/vethA)"
	log "as $AS: $devs agree with ibv_devinfo -v"
}

# Writes fail as sysfs's do: no write open, no new file, no write on a
# read-only open.
check_readonly() {
	local ns=$1 out

	out=$(urun "$ns" $PY -c '
import errno, os, sys
p = "'"$IB"'/uroce_vethA/node_guid"
def fails(what, fn, codes):
    try:
        fn()
    except OSError as e:
        if e.errno not in codes:
            sys.exit(f"{what}: {e}")
        return
    sys.exit(f"{what} succeeded")
fails("open for write", lambda: open(p, "w"), (errno.EACCES,))
fails("open O_RDWR", lambda: os.open(p, os.O_RDWR), (errno.EACCES,))
fails("create", lambda: open("'"$IB"'/new", "w"), (errno.EACCES,))
fd = os.open(p, os.O_RDONLY)
fails("write", lambda: os.write(fd, b"0"), (errno.EPERM, errno.EBADF))
print(os.read(fd, 64).decode().strip())
') || fail "writes as $AS: $out"
	expect_match "node_guid after a write" "$out" '^[0-9a-f]{4}(:[0-9a-f]{4}){3}$'
	if urun "$ns" bash -c "echo 1 > $IB/uroce_vethA/ports/1/state" \
		2>/dev/null; then
		fail "a shell redirection into ports/1/state succeeded"
	fi
	log "as $AS: writes fail"
}

for AS in root nobody; do
	check_all "$A"
	check_readonly "$A"
done
AS=root

# Live: a new address is a new GID at the next read, a removed one goes,
# and a link down shows as DOWN.
gids() {
	urun "$A" bash -c "cat $IB/uroce_vethA/ports/1/gids/*" | sort -u
}
ip -n "$A" addr add 10.99.1.7/24 dev vethA
expect_match "GID of a new IPv4 address" "$(gids)" '^0000:0000:0000:0000:0000:ffff:0a63:0107$'
ip -n "$A" addr del 10.99.1.7/24 dev vethA
expect_nomatch "GID of a removed address" "$(gids)" ':0a63:0107$'
if have_ipv6; then
	ip -n "$A" addr add 2001:db8:99::77/64 dev vethA nodad
	expect_match "GID of a new IPv6 address" "$(gids)" '^2001:0db8:0099:0000:0000:0000:0000:0077$'
fi
ip -n "$B" link set vethB down
state() {
	urun "$A" cat "$IB/uroce_vethA/ports/1/state" \
		"$IB/uroce_vethA/ports/1/phys_state" | words
}
retry 10 eval '[[ $(state) == "1: DOWN 3: Disabled" ]]' ||
	fail "state after the peer went down: $(state)"
check_all "$A"
ip -n "$B" link set vethB up
retry 10 eval '[[ $(state) == "4: ACTIVE 5: LinkUp" ]]' ||
	fail "state after the peer came up: $(state)"
log "live: addresses and link state show at the next read"

# Every other path is untouched: /sys/class/net lists and stats the same,
# and without the interposer nothing of ours is there.
plain=$(ip netns exec "$A" bash -c 'ls -la --time-style=+ /sys/class/net; stat -c "%i %s" /sys/class/net/vethA/mtu')
mine=$(urun "$A" bash -c 'ls -la --time-style=+ /sys/class/net; stat -c "%i %s" /sys/class/net/vethA/mtu')
expect_eq "/sys/class/net under uroce run" "$mine" "$plain"
if [[ ! -e $IB ]]; then
	for p in "$IB" /sys/class/infiniband_verbs /dev/infiniband/uverbs1; do
		if ip netns exec "$A" "$PY" -c "import os; os.stat('$p')" \
			2>/dev/null; then
			fail "$p exists without the interposer"
		fi
	done
fi
log "other paths untouched"

# Debian's UCX opens exactly the devices it finds in /dev/infiniband.
if [[ -x /usr/bin/ucx_info ]]; then
	out=$(urun "$A" /usr/bin/ucx_info -d) || fail "ucx_info -d: $out"
	for dev in uroce_lo uroce_vethA; do
		for tl in rc_verbs ud_verbs; do
			awk -v tl="$tl" -v dev="$dev:1" '
				/Transport:/ { t = $3 }
				/Device:/ && t == tl && $3 == dev { ok = 1 }
				END { exit !ok }' <<<"$out" ||
				fail "ucx_info -d lists no $tl on $dev:
$out"
		done
	done
	log "ucx_info -d: rc_verbs and ud_verbs on uroce_lo and uroce_vethA"
else
	log "no ucx_info: UCX not checked"
fi

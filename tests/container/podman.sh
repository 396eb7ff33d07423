#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# podman.sh NETWORK: two containers of Debian's podman on NETWORK, macvlan
# (a network of podman's macvlan driver on a veth of its own) or bridge
# (podman's default network), started from a Debian root file system with
# uroce's packages (image.sh) without --privileged, added capabilities or
# devices, with the runtime's default seccomp profile, as uid/gid
# 65534:65534 (nobody). In them Debian's rping (-V: data verified) and
# ib_write_bw run through "uroce run", and "uroce res" in each container,
# while ib_write_bw runs, shows its own process and QP and nothing of the
# other's. Prints the user, capabilities and seccomp mode the containers
# ran with.
#
# The runtime is runc with the cgroupfs manager and a containers.conf
# (CONTAINERS_CONF) whose default ulimits stay within this machine's:
# where root lacks CAP_SYS_RESOURCE and cgroups are hybrid, crun and the
# systemd manager cannot start a container. Skips (77) when podman cannot
# start a container at all; containers, the network and the veth pair
# are removed on every exit.
set -euo pipefail
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"
# shellcheck source=../lib/devinfo.sh
source "$(dirname "$0")/../lib/devinfo.sh"
source "$(dirname "$0")/image.sh"

NET=${1:-}
[[ $NET == macvlan || $NET == bridge ]] ||
	{ echo "usage: podman.sh macvlan|bridge" >&2; exit 2; }
TEST_NAME=container.$NET

((EUID == 0)) || skip "needs root (podman, debootstrap, overlay mounts)"
for c in podman runc debootstrap dpkg-buildpackage chroot flock git; do
	command -v "$c" >/dev/null || skip "no $c (scripts/deps.sh installs it)"
done
ns_available || skip "$NS_WHY"
test_init

NAME=uroce-t-$$-$NET
# Commands inside a container are bounded by CMD_TIMEOUT (tests/lib/netns.sh).
CONF=$TMP/containers.conf
PODMAN=(podman --runtime runc --cgroup-manager=cgroupfs)
export CONTAINERS_CONF=$CONF

# Within this machine's limits (the hard ones: root cannot raise them).
nofile=$(ulimit -Hn)
nproc=$(ulimit -Hu)
[[ $nofile == unlimited ]] && nofile=1048576
[[ $nproc == unlimited ]] && nproc=4096
((nproc > 4096)) && nproc=4096
cat >"$CONF" <<EOF
# The test's containers.conf: what podman needs on this machine.
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
EOF
log "containers.conf: $(grep -v '^#' "$CONF" | tr '\n' ' ')"

pod() {
	timeout "$CMD_TIMEOUT" "${PODMAN[@]}" "$@"
}

# cexec CONTAINER CMD...: CMD in the container, as its user.
cexec() {
	local c=$1

	shift
	timeout "$CMD_TIMEOUT" "${PODMAN[@]}" exec "$c" "$@"
}

ROOT=$TMP/root
CONTAINERS=()
CLEAN_CMDS+=('for c in "${CONTAINERS[@]}"; do timeout 30 "${PODMAN[@]}" rm -f -t 0 "$c" >/dev/null 2>&1; done')

# Can the runtime start a container at all? Only this is a skip.
if ! out=$(pod run --rm --network none --user 65534:65534 \
	--rootfs "$(image_rootfs)" /bin/true 2>&1); then
	skip "podman cannot start a container here: $out"
fi

image_mount "$ROOT"

case $NET in
macvlan)
	# The parent: one end of a veth pair of the test's own, no address.
	PARENT=urt$$m0
	ip link add "$PARENT" type veth peer name "urt$$m1" ||
		fail "veth $PARENT"
	ip link set "$PARENT" up
	ip link set "urt$$m1" up
	NETWORK=$NAME
	pod network create -d macvlan -o parent="$PARENT" -o mode=bridge \
		--subnet 10.99.240.0/24 "$NETWORK" >/dev/null ||
		fail "podman network create -d macvlan"
	CLEAN_CMDS+=("timeout 30 \"\${PODMAN[@]}\" network rm -f '$NETWORK' >/dev/null 2>&1"
		"ip link del '$PARENT' 2>/dev/null")
	;;
bridge)
	NETWORK=podman
	;;
esac
log "network $NETWORK: $(pod network inspect "$NETWORK" --format \
	'driver {{.Driver}} {{range .Subnets}}subnet {{.Subnet}} {{end}}{{range $k, $v := .Options}}{{$k}}={{$v}} {{end}}')"

# start NAME: a container that waits; everything runs in it with exec.
start() {
	pod run -d --name "$1" --network "$NETWORK" --user 65534:65534 \
		--read-only --rootfs "$ROOT" sleep 600 >/dev/null ||
		fail "podman run $1"
	CONTAINERS+=("$1")
}

A=$NAME-a
B=$NAME-b
start "$A"
start "$B"
log "podman run -d --network $NETWORK --user 65534:65534 --read-only --rootfs ROOT sleep 600"

# What the containers run with, from podman and from inside.
for c in "$A" "$B"; do
	log "$c: $(pod inspect "$c" --format \
		'privileged={{.HostConfig.Privileged}} cap_add={{.HostConfig.CapAdd}} devices={{.HostConfig.Devices}} security_opt={{.HostConfig.SecurityOpt}}')"
	st=$(cexec "$c" sh -c 'id; grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp|Seccomp_filters):" /proc/self/status') ||
		fail "exec in $c"
	log "$c: $(tr '\n\t' '  ' <<<"$st")"
	expect_match "$c user" "$st" '^uid=65534\(nobody\) gid=65534\(nogroup\)'
	expect_match "$c capabilities" "$st" '^CapEff:[[:space:]]+0+$'
	expect_match "$c seccomp" "$st" '^Seccomp:[[:space:]]+2$'
done
log "seccomp profile: $(pod info --format '{{.Host.Security.SECCOMPProfilePath}}') (podman's default; filter mode 2 in both containers)"

addr_of() {
	pod inspect "$1" --format \
		'{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}'
}
IP_A=$(addr_of "$A")
IP_B=$(addr_of "$B")
[[ -n $IP_A && -n $IP_B ]] || fail "no addresses: '$IP_A' '$IP_B'"
log "$A: eth0 $IP_A, $B: eth0 $IP_B"

# The devices: the container's own eth0 and lo, nothing of the host's.
for c in "$A" "$B"; do
	devs=$(cexec "$c" uroce run ibv_devices) || fail "ibv_devices in $c"
	got=$(awk 'NR > 2 && NF { print $1 }' <<<"$devs" | sort | words)
	expect_eq "devices in $c" "$got" "uroce_eth0 uroce_lo"
done
log "ibv_devices in both: uroce_eth0 uroce_lo"

# bg_exec VAR CONTAINER CMD...: CMD in the container in the background,
# its output in a file; VAR gets "pid:file".
bg_exec() {
	local _var=$1 _f="$TMP/bg.$RANDOM$RANDOM"

	shift
	cexec "$@" >"$_f" 2>&1 &
	BG_PIDS+=("$!")
	printf -v "$_var" '%s:%s' "$!" "$_f"
}

# bg_wait HANDLE WHAT: waits for it; fails with its output unless it
# exited 0.
bg_wait() {
	local pid=${1%%:*} f=${1#*:} rc=0

	wait "$pid" || rc=$?
	((rc == 0)) || fail "$2 exited with $rc: $(cat "$f")"
}

# rping with data verification, 10 pings.
bg_exec srv "$A" uroce run rping -s -V -a "$IP_A" -C 10
out=
for _ in 1 2 3 4 5 6 7 8 9 10; do
	sleep 0.5
	out=$(cexec "$B" uroce run rping -c -V -v -a "$IP_A" -C 10 2>&1) &&
		break
	out=
done
[[ -n $out ]] || fail "rping client in $B never connected to $IP_A"
bg_wait "$srv" "rping server in $A"
n=$(grep -c '^ping data: ' <<<"$out" || true)
expect_eq "rping pings verified" "$n" 10
log "rping -V $B -> $A: $n pings, data verified"

# ib_write_bw for 10 s; uroce res in both containers while it runs.
bg_exec srv "$A" uroce run ib_write_bw -d uroce_eth0 -x 0 -D 10 -F
sleep 1
bg_exec cli "$B" uroce run ib_write_bw -d uroce_eth0 -x 0 -D 10 -F "$IP_A"

# res_qp CONTAINER: its "uroce res qp" lines of connected RC QPs (the
# ib_write_bw server stays in RTR).
res_qp() {
	cexec "$1" uroce res qp 2>&1 | awk '/ type RC / && / state RT[RS] /'
}
has_qp() {
	[[ -n $(res_qp "$1") ]]
}
# no_qp CONTAINER: fails with what there is to see.
no_qp() {
	fail "uroce res qp in $1 shows no connected RC QP: $(cexec "$1" uroce res qp 2>&1)
server: $(cat "${srv#*:}")
client: $(cat "${cli#*:}")"
}
retry 10 has_qp "$A" || no_qp "$A"
retry 10 has_qp "$B" || no_qp "$B"
qa=$(res_qp "$A")
qb=$(res_qp "$B")
# One QP each: ib_write_bw's, none of the other container's.
expect_eq "RC QPs in $A" "$(wc -l <<<"$qa")" 1
expect_eq "RC QPs in $B" "$(wc -l <<<"$qb")" 1
log "$A: uroce res qp: $qa"
log "$B: uroce res qp: $qb"
# field VALUE_AFTER KEY LINE
field() {
	awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' \
		<<<"$2"
}
lq_a=$(field lqpn "$qa")
lq_b=$(field lqpn "$qb")
expect_eq "$A's QP's peer" "$(field rqpn "$qa")" "$lq_b"
expect_eq "$B's QP's peer" "$(field rqpn "$qb")" "$lq_a"
# Only the container's own processes: every PID uroce res lists is a
# process of that container (its /proc), running ib_write_bw. One exec,
# while the programs run.
for c in "$A" "$B"; do
	res=$(cexec "$c" sh -c 'r=$(uroce res) || exit 1
		echo "$r"
		for p in $(echo "$r" | awk "{ for (i = 1; i < NF; i++)
				if (\$i == \"pid\") print \$(i + 1) }" | sort -u); do
			echo "ps $p $(cat /proc/$p/comm 2>/dev/null || echo none)"
		done') || fail "uroce res in $c"
	log "$c: uroce res: $(grep -v '^ps ' <<<"$res" | tr '\n' ' ')"
	procs=$(awk '$1 == "ps" { print $2 "=" $3 }' <<<"$res" | words)
	[[ -n $procs ]] || fail "uroce res in $c lists no process"
	other=$(awk '$1 == "ps" && $3 != "ib_write_bw"' <<<"$res")
	[[ -z $other ]] || fail "uroce res in $c lists another process: $other"
	log "$c: the processes uroce res lists, by its /proc: $procs"
done
bg_wait "$srv" "ib_write_bw server in $A"
bg_wait "$cli" "ib_write_bw client in $B"
bw=$(awk '$1 == 65536 { print $4 }' "${cli#*:}" | tail -n 1)
[[ -n $bw ]] || fail "no ib_write_bw figure: $(cat "${cli#*:}")"
log "ib_write_bw $B -> $A, 64 KiB, 10 s: BW average $bw MB/s"

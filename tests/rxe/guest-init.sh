#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# /init of the soft-RoCE guest (tests/rxe/vm.sh): loads the modules, gives
# eth0 (and eth1) the addresses of rxe.addrs= on the kernel's command
# line, adds rxe0 (and rxe1) on them and serves the host's commands on the
# virtio-serial port "ctl".
# A command arrives as "TIMEOUT BASE64-SCRIPT"; its output goes back as
# "rxe-out BASE64" lines, then "rxe-rc STATUS".

/bin/busybox mkdir -p /bb /proc /sys /dev /tmp /run
/bin/busybox --install -s /bb
export PATH=/usr/sbin:/usr/bin:/bb HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mkdir -p /root

# Before the control port exists, the console is all there is.
die() {
	echo "rxe-error $*" >&3 2>/dev/null || echo "rxe-error $*"
	sleep 1
	poweroff -f
}

ver=$(uname -r)
while read -r m; do
	insmod "/lib/modules/$ver/$m" || die "insmod $m"
done </etc/rxe-modules

port=
i=0
while [ -z "$port" ] && [ $i -lt 100 ]; do
	for d in /sys/class/virtio-ports/*; do
		[ "$(cat "$d/name" 2>/dev/null)" = ctl ] &&
			[ -c "/dev/${d##*/}" ] && port=/dev/${d##*/}
	done
	[ -n "$port" ] || sleep 0.1
	i=$((i + 1))
done
[ -n "$port" ] || die "no virtio-serial port ctl"
exec 3<>"$port"

# One NIC for each address of rxe.addrs=: ethN gets the Nth and carries
# rxeN. A second NIC only serves traffic between the guest's own devices.
addrs=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^rxe\.addrs=//p' | tr , ' ')
hostname rxe-guest
ip link set lo up
# With two NICs on one subnet, each answers ARP for its own address only.
sysctl -qw net.ipv4.conf.all.arp_ignore=1
n=0
for a in $addrs; do
	i=0
	while [ ! -e /sys/class/net/eth$n ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -e /sys/class/net/eth$n ] || die "no eth$n"
	ip link set eth$n up || die "eth$n up"
	ip addr add "$a" dev eth$n || die "address $a"
	rdma link add rxe$n type rxe netdev eth$n || die "rdma link add rxe$n"
	n=$((n + 1))
done

# rxe-gid DEV ADDR: the GID index of IPv4 address ADDR on DEV.
cat >/bb/rxe-gid <<'END'
#!/bin/busybox sh
dev=$1
set -- $(echo "$2" | tr . ' ')
g=$(printf '0000:0000:0000:0000:0000:ffff:%02x%02x:%02x%02x' "$@")
for f in /sys/class/infiniband/$dev/ports/1/gids/*; do
	if [ "$(cat "$f" 2>/dev/null)" = "$g" ]; then
		echo "${f##*/}"
		exit 0
	fi
done
echo "no GID for $* on $dev" >&2
exit 1
END

# rxe-selfwire: rxe0 and rxe1 reach each other through the wire (eth0,
# the host's bridge, eth1) instead of through the local table, with which
# the kernel resolves the peer to the device's own MAC and rxe loops the
# packets back internally. rxe and the address resolution both route
# with the device as the output interface, so a rule on oif ahead of the
# local table is enough; the peer's MAC is a static entry, and packets
# from a local address are accepted.
cat >/bb/rxe-selfwire <<'END'
#!/bin/busybox sh
set -e
addr() {
	ip -4 -o addr show dev "$1" | awk '{ sub(/\/.*/, "", $4); print $4 }'
}
a0=$(addr eth0)
a1=$(addr eth1)
m0=$(cat /sys/class/net/eth0/address)
m1=$(cat /sys/class/net/eth1/address)
for d in all eth0 eth1; do
	sysctl -qw "net.ipv4.conf.$d.accept_local=1"
	sysctl -qw "net.ipv4.conf.$d.rp_filter=0"
done
ip rule add pref 1000 lookup local
ip rule del pref 0 lookup local
ip rule add pref 10 oif eth0 lookup 100
ip rule add pref 11 oif eth1 lookup 101
ip route add "$a1" dev eth0 table 100
ip route add "$a0" dev eth1 table 101
ip neigh replace "$a1" lladdr "$m1" dev eth0 nud permanent
ip neigh replace "$a0" lladdr "$m0" dev eth1 nud permanent
END
chmod 755 /bb/rxe-gid /bb/rxe-selfwire

echo "rxe-ready $ver" >&3
n=0
while read -r t cmd <&3; do
	n=$((n + 1))
	echo "$cmd" | base64 -d >/tmp/cmd.$n
	# Background jobs must not hold the port: their output is theirs.
	timeout "$t" sh /tmp/cmd.$n </dev/null >/tmp/out.$n 2>&1 3>&-
	rc=$?
	base64 /tmp/out.$n | sed 's/^/rxe-out /' >&3
	echo "rxe-rc $rc" >&3
done
die "control port closed"

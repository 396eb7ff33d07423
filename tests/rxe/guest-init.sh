#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# /init of the soft-RoCE guest (tests/rxe/vm.sh): loads the modules, gives
# eth0 the addresses of rxe.addrs= on the kernel's command line, adds rxe0
# on it and serves the host's commands on the virtio-serial port "ctl".
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

i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -e /sys/class/net/eth0 ] || die "no eth0"
hostname rxe-guest
ip link set lo up
ip link set eth0 up || die "eth0 up"
for a in $(tr ' ' '\n' </proc/cmdline | sed -n 's/^rxe\.addrs=//p' |
	tr , ' '); do
	ip addr add "$a" dev eth0 || die "address $a"
done
rdma link add rxe0 type rxe netdev eth0 || die "rdma link add rxe0"

# rxe-gid ADDR: the GID index of IPv4 address ADDR on rxe0.
cat >/bb/rxe-gid <<'EOF'
#!/bin/busybox sh
set -- $(echo "$1" | tr . ' ')
g=$(printf '0000:0000:0000:0000:0000:ffff:%02x%02x:%02x%02x' "$@")
for f in /sys/class/infiniband/rxe0/ports/1/gids/*; do
	if [ "$(cat "$f" 2>/dev/null)" = "$g" ]; then
		echo "${f##*/}"
		exit 0
	fi
done
echo "no GID for $*" >&2
exit 1
EOF

# rxe-selfwire A B: rxe0's packets between its addresses A and B go out
# of eth0 (rxe routes them with eth0 as the output device) and come back
# in from the wire (the host's bridge, in hairpin mode), instead of the
# local table sending them to the loopback, where rxe would drop them.
cat >/bb/rxe-selfwire <<'EOF'
#!/bin/busybox sh
set -e
mac=$(cat /sys/class/net/eth0/address)
for k in all.accept_local eth0.accept_local all.rp_filter eth0.rp_filter; do
	v=1
	case $k in *rp_filter) v=0 ;; esac
	sysctl -qw "net.ipv4.conf.$k=$v"
done
ip rule add pref 1000 lookup local
ip rule del pref 0 lookup local
ip rule add pref 10 oif eth0 lookup 100
for a in "$1" "$2"; do
	ip route add "$a" dev eth0 table 100
	ip neigh replace "$a" lladdr "$mac" dev eth0 nud permanent
done
EOF
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

# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# A Debian guest with the kernel's soft-RoCE (rdma_rxe), for the tests
# that make uroce talk to it. Sourced, never run. This machine's kernel
# has no RDMA, so the guest runs Debian's own kernel (linux-image-amd64)
# under qemu-system-x86_64 with software emulation (TCG: no KVM needed),
# its root file system an initramfs of Debian's packages: busybox for the
# shell (not busybox-static, whose shell prefers its applets, ip among
# them, to the programs in PATH), iproute2 (ip, rdma), ibverbs-utils,
# rdmacm-utils and perftest with their libraries (libibverbs1,
# ibverbs-providers' librxe). Nothing is installed on this machine: the
# packages come from its apt sources with `apt-get download` and are
# unpacked with dpkg-deb.
#
#   vm_prepare          makes (or finds) the kernel and the initramfs in
#                       $VM_CACHE/<key>, the key hashing the versions apt
#                       picks and how the guest is made; sets VM_KERNEL
#                       and VM_INITRD
#   vm_start NS HOST GUEST [GUEST2]
#                       boots the guest in the background with a virtio-net
#                       NIC on tap device tap0 in namespace NS (made if
#                       absent, deleted by vm_stop), a port of bridge br0
#                       there, which gets HOST (ADDR/PREFIX); the guest's
#                       eth0 gets GUEST with HOST's prefix and carries rxe0.
#                       With GUEST2, a second NIC (tap1, eth1, rxe1) too
#   vm_run [-t SEC] CMD runs CMD with sh in the guest (as root), prints its
#                       output and returns its exit status
#   vm_stop             stops qemu, deletes the taps, the bridge and a
#                       namespace that vm_start made; also run on exit,
#                       even on failure
#
# The guest's side: /init (guest-init.sh) loads the modules, sets the
# addresses, runs `rdma link add rxe0 type rxe netdev eth0` and then
# serves commands on a virtio-serial port (a pair of FIFOs here): one line
# each way per command, base64-encoded, so no output can be taken for the
# end marker, the output starting with a tag of the command's own (vm_run
# drops the late answer of a command whose caller gave up). Its console
# (the first serial port) goes to $VM_DIR/console.log. The guest's PATH has `rxe-gid DEV ADDR` (the GID
# index of an IPv4 address) and `rxe-selfwire`, which makes rxe0 and
# rxe1 reach each other over the wire (the bridge here, where tcpdump
# sees them) instead of the guest's loopback.
#
# Environment: VM_CACHE (/var/cache/uroce-test/rxe), VM_CPUS (1),
# VM_MEM (1024, MiB), VM_BOOT_TIMEOUT (180 s), VM_LIFETIME (900 s, after
# which qemu stops by itself), VM_QEMU (qemu-system-x86_64). Needs root
# (tap, namespace). Without qemu or the Debian archive: exit 77 (skip).

VM_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_CACHE=${VM_CACHE:-${UROCE_TEST_CACHE:-/var/cache/uroce-test}/rxe}
VM_CPUS=${VM_CPUS:-1}
VM_MEM=${VM_MEM:-1024}
VM_BOOT_TIMEOUT=${VM_BOOT_TIMEOUT:-180}
VM_QEMU=${VM_QEMU:-qemu-system-x86_64}
# qemu ends by itself after this many seconds, should the test that
# started it be killed before its cleanup runs.
VM_LIFETIME=${VM_LIFETIME:-900}
# The kernel and what the guest runs (with their dependencies).
VM_KERNEL_PKG=linux-image-amd64
VM_PKGS=(busybox iproute2 libibverbs1 ibverbs-providers
	ibverbs-utils librdmacm1 rdmacm-utils perftest)
# The modules loaded at boot, in this order, each after its dependencies;
# rdma_rxe computes its ICRC with the crypto API's crc32, which the
# kernel would otherwise ask a modprobe for that the guest has not.
VM_MODULES=(virtio_pci virtio_net virtio_console crc32_generic rdma_rxe
	ib_uverbs rdma_ucm ib_umad)

VM_NAME=${VM_NAME:-$(basename "$0" .sh)}
VM_DIR=
VM_NS=
VM_NS_MADE=0
VM_PID=
VM_KERNEL=
VM_INITRD=
VM_WFD=
VM_RFD=

vm_log() {
	echo "[$VM_NAME] $*"
}

vm_fail() {
	echo "[$VM_NAME] FAIL: $*" >&2
	exit 1
}

vm_skip() {
	echo "[$VM_NAME] SKIP: $*"
	exit 77
}

# vm_closure EMPTY PKG...: the versions apt would install of PKG and of
# everything they depend on, as if nothing were installed (EMPTY is an
# empty dpkg status file): one "package version" a line.
vm_closure() {
	local empty=$1

	shift
	apt-get -s -q -o Dir::State::status="$empty" install \
		--no-install-recommends "$@" 2>/dev/null |
		awk '$1 == "Inst" { print $2, substr($3, 2) }'
}

# The kernel's package (what linux-image-amd64 depends on: the rest of
# its dependencies, initramfs-tools and udev, the guest does without) and
# the guest's packages. Empty when apt knows no kernel.
vm_versions() {
	local kernel version

	kernel=$(apt-cache depends --important "$VM_KERNEL_PKG" 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
	[[ -n $kernel ]] || return 0
	version=$(apt-cache policy "$kernel" |
		awk '$1 == "Candidate:" { print $2 }')
	[[ -n $version && $version != "(none)" ]] || return 0
	echo "$kernel $version"
	vm_closure "$1" "${VM_PKGS[@]}"
}

# vm_unpack DEBS DIR: the guest's packages unpacked into DIR as one
# /usr-merged tree, their documentation left out.
vm_unpack() {
	local debs=$1 root=$2 deb d

	mkdir -p "$root/usr/bin" "$root/usr/sbin" "$root/usr/lib" \
		"$root/usr/lib64"
	for d in bin sbin lib lib64; do
		ln -s "usr/$d" "$root/$d"
	done
	for deb in "$debs"/*.deb; do
		case $(basename "$deb") in
		linux-image-*) continue ;;
		esac
		# dpkg-deb would replace the /usr-merge links by directories.
		dpkg-deb --fsys-tarfile "$deb" |
			tar -x -C "$root" --keep-directory-symlink \
				--exclude=./usr/share/doc --exclude=./usr/share/man \
				--exclude=./usr/share/locale \
				--exclude=./usr/share/info \
				--exclude='./usr/lib/*/gconv' ||
			return 1
	done
	mkdir -p "$root/etc"
	ldconfig -r "$root" || return 1
}

# vm_modules KDIR VERSION OUT: the .ko files of VM_MODULES and their
# dependencies, copied into OUT's module tree, and their load order in
# OUT/etc/rxe-modules (relative to /lib/modules/VERSION).
vm_modules() {
	local kdir=$1 ver=$2 out=$3 mods m
	local dep=$kdir/lib/modules/$ver/modules.dep
	declare -A seen=()
	local order=()

	depmod -b "$kdir" "$ver" || return 1
	# Depth first: a module comes after everything it needs.
	vm_mod_add() {
		local path d

		path=$(awk -v m="/$1.ko:" \
			'index($0, m) { sub(/:.*/, ""); print; exit }' "$dep")
		[[ -n $path ]] || { echo "no module $1" >&2; return 1; }
		[[ -n ${seen[$path]:-} ]] && return 0
		seen[$path]=1
		# shellcheck disable=SC2013 # one module a word
		for d in $(awk -v p="$path:" \
			'$1 == p { $1 = ""; print; exit }' "$dep"); do
			vm_mod_add "$(basename "$d" .ko)" || return 1
		done
		order+=("$path")
	}
	for m in "${VM_MODULES[@]}"; do
		vm_mod_add "$m" || return 1
	done
	mods=$out/lib/modules/$ver
	for m in "${order[@]}"; do
		mkdir -p "$mods/$(dirname "$m")"
		cp "$kdir/lib/modules/$ver/$m" "$mods/$m" || return 1
	done
	printf '%s\n' "${order[@]}" >"$out/etc/rxe-modules"
}

# vm_prep_fail MSG: fails, leaving no unpacked kernel behind (vm_prepare's
# $tmp).
vm_prep_fail() {
	rm -rf "$tmp" "$dir.tmp"
	vm_fail "$1"
}

# Makes the cache entry if it is missing; sets VM_KERNEL and VM_INITRD.
# Entries and answers of apt unused for 30 days go.
vm_prepare() {
	local tmp versions memo key dir work kdir kver lockfd m

	command -v "$VM_QEMU" >/dev/null ||
		vm_skip "no $VM_QEMU (apt-get install qemu-system-x86)"
	for m in apt-get dpkg-deb depmod cpio ldconfig; do
		command -v "$m" >/dev/null || vm_skip "no $m"
	done
	tmp=$(mktemp -d /tmp/uroce-rxe-prep.XXXXXX)
	touch "$tmp/status"
	mkdir -p "$VM_CACHE"
	# apt's answer (seconds of its solver) changes only with its lists.
	memo=$VM_CACHE/versions-$( (echo "$VM_KERNEL_PKG" "${VM_PKGS[@]}"
		stat -c '%n %s %Y' /var/lib/apt/lists/*Packages* 2>/dev/null) |
		sha256sum | cut -c1-12)
	if [[ -s $memo ]]; then
		versions=$(<"$memo")
	else
		versions=$(vm_versions "$tmp/status")
		[[ -z $versions ]] || echo "$versions" >"$memo"
	fi
	[[ -n $versions ]] || {
		rm -rf "$tmp"
		vm_skip "apt knows no $VM_KERNEL_PKG (run apt-get update)"
	}
	# Also keyed by how the guest is made.
	key=$( (echo "$versions" "${VM_MODULES[@]}"
		declare -f vm_unpack vm_modules
		cat "$VM_SRC/guest-init.sh") | sha256sum | cut -c1-12)
	dir=$VM_CACHE/$key
	exec {lockfd}>"$VM_CACHE/lock"
	timeout 900 flock "$lockfd" || vm_fail "$VM_CACHE/lock is held"
	if [[ ! -e $dir/initrd.cpio ]]; then
		vm_log "making the guest in $dir"
		work=$tmp/work
		mkdir -p "$work/debs" "$work/root"
		# shellcheck disable=SC2046 # one word per package
		(cd "$work/debs" && apt-get download -q \
			$(echo "$versions" | awk '{ print $1 "=" $2 }')) \
			>"$tmp/download.log" 2>&1 || {
			tail -n 3 "$tmp/download.log" >&2
			rm -rf "$tmp"
			exec {lockfd}>&-
			vm_skip "the Debian archive is unreachable"
		}
		kdir=$work/kernel
		dpkg-deb -x "$work"/debs/linux-image-[0-9]*.deb "$kdir" ||
			vm_prep_fail "cannot unpack the kernel"
		kver=$(basename "$(ls -d "$kdir"/lib/modules/*)")
		vm_unpack "$work/debs" "$work/root" ||
			vm_prep_fail "cannot unpack the guest's packages"
		vm_modules "$kdir" "$kver" "$work/root" ||
			vm_prep_fail "cannot find the guest's modules"
		install -m 755 "$VM_SRC/guest-init.sh" "$work/root/init"
		mkdir -p "$dir.tmp"
		cp "$kdir/boot/vmlinuz-$kver" "$dir.tmp/vmlinuz"
		# Not compressed: unpacking is quicker than inflating under TCG.
		(cd "$work/root" && find . | LC_ALL=C sort |
			cpio -o -H newc --quiet) >"$dir.tmp/initrd.cpio" ||
			vm_prep_fail "cannot write the initramfs"
		echo "$versions" >"$dir.tmp/versions"
		rm -rf "$dir"
		mv "$dir.tmp" "$dir"
	fi
	touch "$dir" "$memo"
	find "$VM_CACHE" -mindepth 1 -maxdepth 1 -mtime +30 \
		\( -name 'versions-*' -o -type d \) -exec rm -rf {} +
	exec {lockfd}>&-
	rm -rf "$tmp"
	VM_KERNEL=$dir/vmlinuz
	VM_INITRD=$dir/initrd.cpio
}

# Appends vm_stop to the caller's EXIT trap (once); the old trap still
# sees the exit status.
vm_trap() {
	local old

	old=$(trap -p EXIT | sed "s/^trap -- '\(.*\)' EXIT$/\1/")
	[[ $old == *vm_stop* ]] && return
	# shellcheck disable=SC2064,SC2154 # the old trap is expanded now
	trap "vm_trap_rc=\$?; vm_stop; (exit \$vm_trap_rc); ${old:-:}" EXIT
	trap 'exit 1' INT TERM HUP
}

# vm_start NS HOST/PREFIX GUEST [GUEST2]
vm_start() {
	local ns=$1 host=$2 prefix deadline cmdline addrs=() nics=() a n=0

	shift 2
	[[ $host == */* ]] || vm_fail "vm_start: HOST needs a prefix ($host)"
	(($# == 1 || $# == 2)) || vm_fail "vm_start: one or two guest addresses"
	prefix=${host#*/}
	[[ -n $VM_KERNEL ]] || vm_prepare
	[[ -e /dev/net/tun ]] || vm_skip "no /dev/net/tun"
	(($(id -u) == 0)) || vm_skip "needs root for the tap and namespace"
	VM_DIR=$(mktemp -d /tmp/uroce-rxe.XXXXXX)
	vm_trap
	VM_NS=$ns
	if ! ip netns list | awk '{ print $1 }' | grep -qx "$ns"; then
		ip netns add "$ns" || vm_fail "cannot make namespace $ns"
		VM_NS_MADE=1
	fi
	ip -n "$ns" link set lo up
	ip -n "$ns" link add br0 type bridge || vm_fail "no bridge in $ns"
	for a in "$@"; do
		addrs+=("$a/$prefix")
		ip -n "$ns" tuntap add dev tap$n mode tap ||
			vm_fail "no tap in $ns"
		ip -n "$ns" link set tap$n master br0
		ip -n "$ns" link set tap$n up
		# Locally administered MACs, one a NIC; no iPXE ROM (it
		# waits for a key).
		nics+=(-netdev "tap,id=n$n,ifname=tap$n,script=no,downscript=no"
			-device "virtio-net-pci,netdev=n$n,mac=52:54:00:12:34:$((56 + n)),romfile=")
		n=$((n + 1))
	done
	ip -n "$ns" addr add "$host" dev br0
	ip -n "$ns" link set br0 up
	mkfifo "$VM_DIR/ctl.in" "$VM_DIR/ctl.out"
	# The guest's addresses go on the kernel's command line; the rest
	# of the guest is in the initramfs.
	cmdline="console=ttyS0 panic=-1 quiet loglevel=4"
	cmdline+=" rxe.addrs=$(IFS=,; echo "${addrs[*]}")"
	ip netns exec "$ns" timeout "$VM_LIFETIME" "$VM_QEMU" -accel tcg \
		-nodefaults -no-user-config -nographic -no-reboot \
		-smp "$VM_CPUS" -m "$VM_MEM" \
		-kernel "$VM_KERNEL" -initrd "$VM_INITRD" -append "$cmdline" \
		-serial "file:$VM_DIR/console.log" -monitor none \
		"${nics[@]}" \
		-device virtio-serial-pci \
		-chardev "pipe,id=ctl,path=$VM_DIR/ctl" \
		-device virtserialport,chardev=ctl,name=ctl \
		</dev/null >"$VM_DIR/qemu.log" 2>&1 &
	VM_PID=$!
	# qemu opens both FIFOs read-write, so these never block on it.
	exec {VM_WFD}<>"$VM_DIR/ctl.in" {VM_RFD}<>"$VM_DIR/ctl.out"
	deadline=$((SECONDS + VM_BOOT_TIMEOUT))
	while :; do
		kill -0 "$VM_PID" 2>/dev/null ||
			vm_boot_fail "qemu exited during boot"
		((SECONDS < deadline)) ||
			vm_boot_fail "no guest after $VM_BOOT_TIMEOUT s"
		vm_readline 5 || continue
		case $VM_LINE in
		rxe-ready*) break ;;
		rxe-error*) vm_boot_fail "guest: ${VM_LINE#rxe-error }" ;;
		esac
	done
}

# vm_readline SEC: the next line from the guest's control port in
# VM_LINE; 1 when none is whole after SEC seconds. A part of a line that
# came by then is kept for the next call: a slow guest writes a line in
# pieces, and read -t returns what it has so far when its time is up.
VM_PART=
vm_readline() {
	local part=

	if IFS= read -r -t "$1" -u "$VM_RFD" part; then
		VM_LINE=$VM_PART$part
		VM_PART=
		return 0
	fi
	VM_PART+=$part
	return 1
}

vm_boot_fail() {
	echo "--- qemu" >&2
	cat "$VM_DIR/qemu.log" >&2
	echo "--- console" >&2
	tail -n 40 "$VM_DIR/console.log" >&2
	vm_fail "$1"
}

# vm_run [-t SEC] CMD: CMD's output, and its exit status as the return
# value. The guest kills CMD after SEC seconds (default 60); this side
# gives up 10 s after that. The guest runs one command at a time, so an
# answer that comes after its caller gave up (a slow guest) arrives
# before the next command's: each command first prints a tag of its own,
# by which later calls tell that answer from theirs and drop it.
vm_run() {
	local t=60 line rc="" out deadline tag first

	if [[ $1 == -t ]]; then
		t=$2
		shift 2
	fi
	[[ -n $VM_PID ]] || vm_fail "vm_run: no guest"
	tag="vm-run $BASHPID.$RANDOM.$SECONDS"
	printf '%s %s\n' "$t" \
		"$(printf 'echo "%s"\n%s' "$tag" "$*" | base64 -w0)" >&"$VM_WFD"
	deadline=$((SECONDS + t + 10))
	out=
	while ((SECONDS < deadline)); do
		vm_readline 1 || {
			kill -0 "$VM_PID" 2>/dev/null ||
				vm_boot_fail "qemu exited during '$*'"
			continue
		}
		line=$VM_LINE
		case $line in
		rxe-rc\ *)
			first=$(printf '%s' "$out" | base64 -d | head -n 1)
			if [[ $first == "$tag" ]]; then
				rc=${line#rxe-rc }
				break
			fi
			out=
			;;
		rxe-out\ *) out+=${line#rxe-out } ;;
		esac
	done
	[[ -n $rc ]] || vm_fail "no answer from the guest to '$*' in $((t + 10)) s"
	printf '%s' "$out" | base64 -d | tail -n +2
	return "$rc"
}

vm_stop() {
	set +e
	if [[ -n $VM_PID ]]; then
		kill "$VM_PID" 2>/dev/null
		wait "$VM_PID" 2>/dev/null
		VM_PID=
	fi
	[[ -n $VM_WFD ]] && exec {VM_WFD}>&-
	[[ -n $VM_RFD ]] && exec {VM_RFD}>&-
	VM_WFD=""
	VM_RFD=""
	if [[ -n $VM_NS ]]; then
		ip -n "$VM_NS" link del br0 2>/dev/null
		ip -n "$VM_NS" link del tap0 2>/dev/null
		ip -n "$VM_NS" link del tap1 2>/dev/null
		((VM_NS_MADE)) && ip netns del "$VM_NS"
		VM_NS=""
		VM_NS_MADE=0
	fi
	if [[ -n $VM_DIR ]]; then
		rm -rf "$VM_DIR"
		VM_DIR=
	fi
}

# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# What the container tests run: a Debian root file system made with
# debootstrap from this machine's Debian mirror, cached between runs, and
# uroce's Debian packages built from the source tree under test, cached
# in its build tree. Sourced by podman.sh after tests/lib/netns.sh.
#
#   image_rootfs      prints the cached root file system, making it first
#                     if needed (debootstrap: 3 to 5 minutes)
#   image_debs        prints a directory of uroce's .debs for the sources
#                     as they are now (dpkg-buildpackage, incremental)
#   image_mount ROOT  an overlay of the cached root file system at ROOT
#                     with uroce's packages installed in it; unmounted by
#                     the test's cleanup, the cache stays untouched

IMAGE_CACHE=${UROCE_TEST_CACHE:-/var/cache/uroce-test}
# Debian's programs the tests run in the containers, and iproute2 to show
# their addresses; uroce's own programs need nothing beyond libc.
IMAGE_PKGS=(ibverbs-utils rdmacm-utils perftest iproute2)
IMAGE_VARIANT=minbase
# uroce's runtime packages, as the README's image recipe installs them.
IMAGE_DEBS=(libibverbs1-uroce uroce-provider librdmacm1-uroce uroce-utils)

# The Debian suite of this machine and the mirror its apt uses for it
# (sources.list's one-line entries or deb822 .sources paragraphs).
image_mirror() {
	local suite=$1 f

	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -r $f ]] || continue
		awk -v s="$suite" '
			$1 != "deb" { next }
			{ sub(/^deb[ \t]+(\[[^]]*\][ \t]+)?/, "") }
			$2 == s { print $1; exit }' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -r $f ]] || continue
		awk -v s="$suite" '
			BEGIN { RS = ""; FS = "\n" }
			{
				uri = ""; ok = 0; deb = 0
				for (i = 1; i <= NF; i++) {
					split($i, kv, /:[ \t]*/)
					if (kv[1] == "Types" && $i ~ /[ \t]deb([ \t]|$)/)
						deb = 1
					if (kv[1] == "URIs") {
						sub(/^URIs:[ \t]*/, "", $i)
						split($i, u, /[ \t]+/)
						uri = u[1]
					}
					if (kv[1] == "Suites" &&
					    (" " $i " ") ~ ("[ \t]" s "[ \t]"))
						ok = 1
				}
				if (deb && ok && uri != "") { print uri; exit }
			}' "$f"
	done | head -n 1
}

# Keyed by what goes into it: another package list, suite, mirror or
# variant makes another root file system.
image_rootfs() {
	local suite mirror key dir tmp

	# shellcheck source=/dev/null
	suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	[[ -n $suite ]] || fail "no VERSION_CODENAME in /etc/os-release"
	mirror=$(image_mirror "$suite")
	[[ -n $mirror ]] || fail "no Debian mirror for $suite in /etc/apt"
	key=$(printf '%s\n' "$suite" "$mirror" "$IMAGE_VARIANT" \
		"${IMAGE_PKGS[@]}" | sha256sum | cut -c1-12)
	dir=$IMAGE_CACHE/rootfs-$key
	mkdir -p "$IMAGE_CACHE"
	# One maker at a time; the others wait for its result.
	exec {lockfd}>"$IMAGE_CACHE/lock"
	timeout 1500 flock "$lockfd" || fail "$IMAGE_CACHE/lock is held"
	if [[ ! -e $dir/.uroce-rootfs ]]; then
		tmp=$dir.tmp
		rm -rf "$tmp"
		log "debootstrap --variant=$IMAGE_VARIANT $suite from $mirror" \
			"with ${IMAGE_PKGS[*]} into $dir (once)" >&2
		timeout 1200 debootstrap --variant="$IMAGE_VARIANT" \
			--include="$(IFS=,; echo "${IMAGE_PKGS[*]}")" \
			"$suite" "$tmp" "$mirror" >"$TMP/debootstrap.log" 2>&1 || {
			tail -30 "$TMP/debootstrap.log" >&2
			rm -rf "$tmp"
			fail "debootstrap"
		}
		rm -rf "$tmp"/var/cache/apt/archives/*.deb \
			"$tmp"/var/lib/apt/lists/*_Packages
		printf '%s\n' "$suite $mirror $IMAGE_VARIANT" \
			"${IMAGE_PKGS[@]}" >"$tmp/.uroce-rootfs"
		mv "$tmp" "$dir"
	fi
	exec {lockfd}>&-
	echo "$dir"
}

# The files of the tree under test that exist (tracked or new, not
# ignored), one a line.
image_src_files() {
	(cd "$UROCE_TEST_SRC" && git ls-files -co --exclude-standard) |
		while IFS= read -r f; do
			[[ -f $UROCE_TEST_SRC/$f ]] && printf '%s\n' "$f"
		done
}

# The packages are built in $BUILD/tests/container/deb from a copy of the
# sources that keeps their times, so that a later build with other
# sources recompiles only what changed; the .debs of one state of the
# sources are kept, keyed by its contents (but for tests/: the packages
# are built without the tests).
image_debs() {
	local work=$UROCE_TEST_BUILD/tests/container/deb key out

	[[ -n ${UROCE_TEST_SRC:-} && -n ${UROCE_TEST_BUILD:-} ]] ||
		fail "UROCE_TEST_SRC and UROCE_TEST_BUILD must be set"
	mkdir -p "$work"
	image_src_files >"$work/files"
	[[ -s $work/files ]] || fail "cannot list $UROCE_TEST_SRC's files"
	key=$( (cd "$UROCE_TEST_SRC" && grep -v '^tests/' "$work/files" |
		tar -cf - --sort=name --mtime=@0 --owner=0 --group=0 \
			--numeric-owner -T -) | sha256sum | cut -c1-16)
	out=$work/debs-$key
	if [[ ! -e $out/.done ]]; then
		log "dpkg-buildpackage -b -nc in $work/src" >&2
		mkdir -p "$work/src"
		(cd "$UROCE_TEST_SRC" && tar -cf - -T "$work/files") |
			tar -xf - -C "$work/src"
		# Run every step again; keep the compiled objects.
		rm -rf "$work/src/debian/debhelper-build-stamp" \
			"$work/src/debian/tmp" "$work"/*.deb
		(cd "$work/src" && DEB_BUILD_OPTIONS="parallel=2 nocheck" \
			timeout 1200 dpkg-buildpackage -b -us -uc -nc) \
			>"$work/build.log" 2>&1 || {
			tail -40 "$work/build.log" >&2
			fail "dpkg-buildpackage (log: $work/build.log)"
		}
		rm -rf "$work"/debs-*
		mkdir "$out"
		mv "$work"/*.deb "$out/"
		rm -f "$work"/*.changes "$work"/*.buildinfo
		touch "$out/.done"
	fi
	echo "$out"
}

# image_mount ROOT: the cached root file system with uroce's packages
# installed, as an overlay (its upper layer in $TMP) mounted at ROOT.
image_mount() {
	local root=$1 lower debs p
	local -a files=()

	lower=$(image_rootfs)
	debs=$(image_debs)
	for p in "${IMAGE_DEBS[@]}"; do
		files+=("$(ls "$debs/${p}"_*.deb)") || fail "no $p in $debs"
	done
	mkdir -p "$TMP/upper" "$TMP/work" "$root"
	mount -t overlay overlay -o \
		"lowerdir=$lower,upperdir=$TMP/upper,workdir=$TMP/work" \
		"$root" || fail "cannot mount an overlay of $lower"
	CLEAN_CMDS+=("umount -l '$root'")
	mkdir -p "$root/tmp/uroce-debs"
	cp "${files[@]}" "$root/tmp/uroce-debs/"
	timeout 120 chroot "$root" env PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		dpkg -R -i /tmp/uroce-debs >"$TMP/dpkg.log" 2>&1 || {
		cat "$TMP/dpkg.log" >&2
		fail "dpkg -i of uroce's packages in the container's root"
	}
	rm -rf "$root/tmp/uroce-debs"
	log "root file system: $lower + $(basename -a "${files[@]}" | tr '\n' ' ')"
}

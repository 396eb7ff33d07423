#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# install.deb: builds the Debian packages from a copy of the source tree
# with "dpkg-buildpackage -b -us -uc", runs lintian on them (an error
# fails), installs them with apt-get beside Debian's libibverbs1 and
# ibverbs-utils, deletes the copy, and checks the installed system: a
# program built with the pkg-config line runs an RC exchange between two
# namespaces (verbs, and rdma_cm), "uroce run ibv_devinfo" shows uroce
# devices, "man uroce" opens. It installs into the live system (CI's
# machine is a throwaway one) and purges the packages on any exit; it
# skips when any of them was installed before.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

PKGS=(libibverbs1-uroce uroce-provider librdmacm1-uroce uroce-dev uroce-utils)
need dpkg-buildpackage dh lintian apt-get dpkg-architecture cc pkg-config \
	ldd ibv_devinfo ibv_devices
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q installed &&
		skip "$p is installed already; not touching it"
done
for p in libibverbs1 ibverbs-utils; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q 'install ok installed' || skip "Debian's $p is not installed"
done
pair_setup
INSTALLED=0
deb_cleanup() {
	local rc=$?

	set +e
	if ((INSTALLED)); then
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "${PKGS[@]}" \
			>/dev/null 2>&1 || echo "[deb] could not purge ${PKGS[*]}"
	fi
	(exit "$rc")
	cleanup
}
trap deb_cleanup EXIT

# A copy of the tree: the files git knows (tracked and not ignored).
mkdir "$TMP/src"
(cd "$SRC" && git ls-files -co --exclude-standard 2>/dev/null || true) \
	>"$TMP/files"
[[ -s $TMP/files ]] || fail "cannot list $SRC's files with git"
(cd "$SRC" && tar -cf - -T "$TMP/files") | tar -xf - -C "$TMP/src"
log "dpkg-buildpackage -b -us -uc in a copy of $SRC"
(cd "$TMP/src" && DEB_BUILD_OPTIONS="parallel=2 nocheck" \
	dpkg-buildpackage -b -us -uc) >"$TMP/build.log" 2>&1 ||
	{ tail -50 "$TMP/build.log"; fail "dpkg-buildpackage"; }
mapfile -t debs < <(ls "$TMP"/*.deb | grep -v dbgsym)
log "packages: $(basename -a "${debs[@]}" | tr '\n' ' ')"
((${#debs[@]} == ${#PKGS[@]})) || fail "expected ${#PKGS[@]} packages"

lintian "$TMP"/*.changes >"$TMP/lintian" 2>&1 || true
# No output at all is lintian's best verdict: grep then exits 1.
grep -v '^running with root' "$TMP/lintian" | sed 's/^/[deb] lintian: /' ||
	log "lintian: no errors, no warnings"
if grep -q '^E:' "$TMP/lintian"; then
	fail "lintian reports errors"
fi
rm -rf "$TMP/src"

INSTALLED=1
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${debs[@]}" \
	>"$TMP/apt.log" 2>&1 || { cat "$TMP/apt.log"; fail "apt-get install"; }
log "installed beside $(dpkg-query -W -f='${Package} ${Version}, ' libibverbs1 ibverbs-utils)"
triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
[[ $(dpkg -S "/usr/lib/$triplet/libibverbs.so.1") == libibverbs1:* ]] ||
	fail "the system's libibverbs.so.1 changed hands"
PRIV=/usr/lib/$triplet/uroce
export LIBDIR=$PRIV

check_pkgconfig
check_rc
check_run /usr/bin/uroce
if [[ -e /usr/share/man/man8/uroce.8.gz ]]; then
	check_man /usr/share/man
else
	# Images that exclude /usr/share/man from dpkg (Docker's Debian):
	# read the page from the package instead.
	dpkg-deb -x "$(ls "$TMP"/uroce-utils_*.deb)" "$TMP/x"
	[[ -e $TMP/x/usr/share/man/man8/uroce.8.gz ]] ||
		fail "no uroce.8 in uroce-utils"
	log "dpkg excludes /usr/share/man here; the page from the package:"
	check_man "$TMP/x/usr/share/man"
fi

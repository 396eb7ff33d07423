#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# install.rpm: "rpmbuild -bb redhat/uroce.spec" from the top of the source
# tree (rpm's own package serves on Debian), into a temporary _topdir;
# then checks the packages' contents and that uroce's private libraries
# neither provide nor require the sonames of the system's rdma-core.
set -euo pipefail
here=$(dirname "$0")
SRC=${UROCE_TEST_SRC:-$(cd "$here/../.." && pwd)}
TMP=

log() {
	echo "[rpm] $*"
}

fail() {
	echo "[rpm] FAIL: $*" >&2
	exit 1
}

cleanup() {
	local rc=$?

	[[ -n $TMP ]] && rm -rf "$TMP"
	((rc == 0)) && log PASS
	exit "$rc"
}

command -v rpmbuild >/dev/null || { echo "[rpm] SKIP: no rpmbuild"; exit 77; }
command -v cmake >/dev/null || { echo "[rpm] SKIP: no cmake"; exit 77; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
TMP=$(mktemp -d /tmp/uroce-rpm.XXXXXX)

log "rpmbuild -bb redhat/uroce.spec in $SRC"
(cd "$SRC" && rpmbuild -bb redhat/uroce.spec --define "_topdir $TMP" \
	--define "_smp_mflags -j2") >"$TMP/build.log" 2>&1 ||
	{ tail -40 "$TMP/build.log"; fail "rpmbuild"; }
mapfile -t rpms < <(find "$TMP/RPMS" -name '*.rpm' | sort)
log "packages: $(basename -a "${rpms[@]}" | tr '\n' ' ')"
((${#rpms[@]} == 5)) || fail "expected 5 packages"

for r in "${rpms[@]}"; do
	rpm -qlp "$r" 2>/dev/null
done >"$TMP/files"
for f in '/uroce/libibverbs.so.1$' '/uroce/librdmacm.so.1$' \
	'/uroce/uroce-providers/liburoce.so$' '^/usr/include/uroce/infiniband/verbs.h$' \
	'/uroce/pkgconfig/libibverbs.pc$' '^/usr/bin/uroce$' \
	'^/etc/uroce/uroce.conf$' '/man8/uroce.8' '/uroce/librspreload.so$'; do
	grep -q "$f" "$TMP/files" || fail "no file matching $f"
done
grep -E 'lib(ibverbs|rdmacm)\.so' "$TMP/files" | grep -v '/uroce/' &&
	fail "a library outside the private directory"
for r in "${rpms[@]}"; do
	rpm -qp --provides --requires "$r" 2>/dev/null
done | grep -E '^lib(ibverbs|rdmacm)\.so' &&
	fail "a package provides or requires the system's sonames"
log "private libraries: neither provided nor required by soname"

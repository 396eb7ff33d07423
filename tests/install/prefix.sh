#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# install.prefix: "cmake --install" of the build tree into a temporary
# prefix, then, from there and with no environment: the layout (uroce's
# libraries only in the private directory), a program built with the
# installed pkg-config files running an RC exchange between two
# namespaces (verbs, and rdma_cm when librdmacm is installed), Debian's
# ibv_devinfo through "uroce run" (from the build tree and from the
# prefix) and the man pages.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

BUILD=${UROCE_TEST_BUILD:?}
need cmake cc pkg-config ldd ibv_devinfo ibv_devices
pair_setup

PREFIX=$TMP/prefix
cmake --install "$BUILD" --prefix "$PREFIX" >"$TMP/install.log" 2>&1 ||
	{ cat "$TMP/install.log"; fail "cmake --install"; }
PRIV=$(dirname "$(find "$PREFIX" -name libibverbs.so.1)")
log "installed into $PREFIX, private libraries in ${PRIV#"$PREFIX"/}"
[[ $(find "$PREFIX" -name 'libibverbs.so*' | grep -vc "^$PRIV/") == 0 ]] ||
	fail "a libibverbs outside $PRIV"
[[ $PRIV == "$PREFIX"/lib*/uroce ]] || fail "private directory $PRIV"
[[ -e $PRIV/uroce-providers/liburoce.so ]] || fail "no provider"
[[ -e $PRIV/librspreload.so ]] || fail "no librspreload.so"
[[ -e $PREFIX/include/uroce/infiniband/verbs.h ]] || fail "no verbs.h"
[[ -e $PREFIX/bin/uroce ]] || fail "no bin/uroce"
[[ -e $PREFIX/etc/uroce/uroce.conf ]] || fail "no etc/uroce/uroce.conf"

check_pkgconfig
check_rc
# The build tree's uroce run points at the build tree; the installed one
# at the prefix.
check_run "$BUILD/bin/uroce" "$(realpath "$BUILD/lib")"
check_run "$PREFIX/bin/uroce"
if [[ -d $PREFIX/share/man/man8 ]]; then
	check_man "$PREFIX/share/man"
else
	log "SKIP man pages: not built (no pandoc)"
fi

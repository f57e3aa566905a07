#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build lbdx.ko against the cached guest kernel. Prints the module's path.
# CLIPPY=1 runs clippy over the Rust crate as it builds (warnings fail).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kdir=$("$LBDX_TOP/scripts/build-kernel.sh")
args=()
[ -f "$kdir/lbdx.makeflags" ] && read -r -a args <"$kdir/lbdx.makeflags"
[ "${CLIPPY:-}" = 1 ] && args+=(CLIPPY=1 KRUSTFLAGS="-Dwarnings")
make -s -C "$kdir" M="$LBDX_TOP" "${args[@]}" modules >&2
echo "$LBDX_TOP/lbdx.ko"

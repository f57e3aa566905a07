#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the guest kernel (bzImage + modules) from the committed config
# fragments, in a cache directory keyed by kernel version, variant and a hash
# of the fragments and toolchain, so a second run does not rebuild.
#
#   scripts/build-kernel.sh            # variant "guest"
#   KCONFIG_VARIANT=debug scripts/build-kernel.sh
#
# Variants stack fragments: "guest" is guest.config; any other variant V is
# guest.config followed by V.config. A fragment line "# make-flags: ..."
# adds make variables (e.g. LLVM=-19) for the kernel and for modules built
# against it (kept in BUILD/lbdx.makeflags). Prints the build directory.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

variant=${KCONFIG_VARIANT:-guest}
frags=("$LBDX_TOP/scripts/kconfig/guest.config")
[ "$variant" = guest ] || frags+=("$LBDX_TOP/scripts/kconfig/$variant.config")
for f in "${frags[@]}"; do [ -f "$f" ] || die "no config fragment $f"; done

src=$(kernel_src)
kver=$(make -s -C "$src" kernelversion)
read -r -a mflags <<<"$(sed -n 's/^# make-flags: *//p' "${frags[@]}" | tr '\n' ' ')"
if [[ " ${mflags[*]} " == *" LLVM="* ]]; then
	command -v ld.lld-$LLVM_VERSION >/dev/null || {
		log "installing LLVM $LLVM_VERSION tools for this variant"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			lld-$LLVM_VERSION llvm-$LLVM_VERSION >/dev/null
	}
	compiler=$(clang-$LLVM_VERSION --version | head -n 1)
else
	compiler=$(gcc --version | head -n 1)
fi
toolchain="$(rustc --version) | $(bindgen --version) | $compiler"
hash=$( (cat "${frags[@]}"; echo "$toolchain") | sha256sum | cut -c1-12)
out=$LBDX_CACHE/kbuild/$kver-$variant-$hash

summary() {
	log "kernel $kver ($(basename "$src")), variant $variant, config hash $hash"
	log "toolchain: $toolchain"
	log "build tree: $out"
}

if [ -f "$out/.lbdx-built" ]; then
	summary
	echo "$out"
	exit 0
fi

mkdir -p "$out"
cat "${frags[@]}" >"$out/lbdx.config"
echo "${mflags[*]}" >"$out/lbdx.makeflags"
make -s -C "$src" O="$out" "${mflags[@]}" rustavailable >&2 || die "Rust toolchain not usable for $kver"
make -s -C "$src" O="$out" "${mflags[@]}" KCONFIG_ALLCONFIG="$out/lbdx.config" allnoconfig >&2

# Every option a fragment asks for must have survived dependency resolution.
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=n) want="# ${line%=n} is not set" ;;
	CONFIG_*) want=$line ;;
	*) continue ;;
	esac
	grep -qx -- "$want" "$out/.config" || {
		log "config: asked for '$line', got '$(grep -E "(^|# )${line%%=*}[= ]" "$out/.config" || echo absent)'"
		bad=1
	}
done <"$out/lbdx.config"
[ $bad -eq 0 ] || die "config fragment options lost (missing dependencies?)"

t0=$(date +%s)
make -s -C "$src" O="$out" "${mflags[@]}" -j"$(nproc)" bzImage modules >&2
log "kernel build: $(( $(date +%s) - t0 )) s"
touch "$out/.lbdx-built"
summary
echo "$out"

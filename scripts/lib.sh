# SPDX-License-Identifier: GPL-2.0
# Shared settings for the project's scripts: cache location, pinned tool
# versions, phase timing. Sourced, never run.

LBDX_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Everything slow to make (toolchain pieces, kernel source and builds, the
# QEMU root) lives here, outside the work tree, and is reused across clones.
LBDX_CACHE=${LBDX_CACHE:-/var/cache/lbdx}
# Cargo's target directories (host build of tools/, static guest build),
# one per work tree: cargo takes a crate built from another tree (another
# clone, a removed one) for up to date, so trees must not share one. Those
# of trees not built for three days are removed.
tree_key=$(printf %s "$LBDX_TOP" | sha1sum | cut -c1-12)
export LBDX_CARGO_TARGET=${LBDX_CARGO_TARGET:-$LBDX_CACHE/target/$tree_key}
export LBDX_GUEST_TARGET=${LBDX_GUEST_TARGET:-$LBDX_CACHE/target-guest/$tree_key}
for d in "$LBDX_CACHE/target" "$LBDX_CACHE/target-guest"; do
	if [ -d "$d" ]; then
		find "$d" -mindepth 1 -maxdepth 1 -type d -mtime +3 \
			! -path "$LBDX_CARGO_TARGET" ! -path "$LBDX_GUEST_TARGET" \
			-exec rm -rf {} + 2>/dev/null || true
	fi
done
if mkdir -p "$LBDX_CARGO_TARGET" "$LBDX_GUEST_TARGET" 2>/dev/null; then
	touch "$LBDX_CARGO_TARGET" "$LBDX_GUEST_TARGET"
fi
BINDGEN_VERSION=0.73.2
LLVM_VERSION=19
export LIBCLANG_PATH=/usr/lib/llvm-${LLVM_VERSION}/lib
export PATH="$LBDX_CACHE/bindgen/bin:$HOME/.cargo/bin:$PATH"

QEMU_ROOT=$LBDX_CACHE/trixie
KSRC_DIR=$LBDX_CACHE/src

log() { printf '[lbdx %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# phase NAME CMD...: run CMD, print how long it took.
phase() {
	local name=$1 t0 rc
	shift
	t0=$(date +%s)
	"$@"
	rc=$?
	log "phase $name: $(( $(date +%s) - t0 )) s (exit $rc)"
	return $rc
}

# The unpacked kernel source (newest one present).
kernel_src() {
	local d
	d=$(ls -d "$KSRC_DIR"/linux-source-7.3* 2>/dev/null | sort -V | tail -n 1)
	[ -n "$d" ] || die "no kernel source under $KSRC_DIR (run scripts/setup.sh)"
	echo "$d"
}

# Run the trixie QEMU from the host through the root's own loader, so host
# paths (sockets, kernel images) work unchanged. In a background job, call
# it as "exec_qemu_system ... &": the job's PID is then QEMU's own, and
# killing it stops the guest (killing the subshell of "qemu_system ... &"
# left QEMU running).
exec_qemu_system() {
	exec "$QEMU_ROOT/lib64/ld-linux-x86-64.so.2" \
		--library-path "$QEMU_ROOT/lib/x86_64-linux-gnu:$QEMU_ROOT/usr/lib/x86_64-linux-gnu" \
		"$QEMU_ROOT/usr/bin/qemu-system-x86_64" \
		-L "$QEMU_ROOT/usr/share/qemu" -L "$QEMU_ROOT/usr/share/seabios" "$@"
}
qemu_system() { (exec_qemu_system "$@"); }

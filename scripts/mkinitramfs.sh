#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh OUT MODULE DATA: build the guest's initramfs (gzip cpio)
# from busybox-static, tests/guest/, tests/selftests/lbdx/, the module and
# the offload sample and test modules built with it, and
# the device lists in directory DATA (files "expected" and "refused"), and
# the static guest tools in $LBDX_GUEST_TOOLS (lbdxctl, hlb-dptest,
# hlb-pipeline, hlb-badarg, hlb-vfmbox), and the guest
# kernel's own modules lbdx needs (xor_gen, raid6) or serves (async_tx),
# listed in load order in /lib/modules/kernel/order, and those selftests
# load themselves (raid456, brd, dmatest).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$1 module=$2 data=$3
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,lib/modules,usr/share/lbdx/selftests,usr/share/lbdx/samples}
cp /bin/busybox "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
	[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
install -m 0755 "$LBDX_TOP/tests/guest/init" "$root/init"
install -m 0644 "$LBDX_TOP"/tests/guest/*.sh "$root/usr/share/lbdx/"
install -m 0644 "$LBDX_TOP"/tests/selftests/lbdx/*.sh "$root/usr/share/lbdx/selftests/"
install -m 0755 "$LBDX_TOP"/samples/lbdx/*.sh "$root/usr/share/lbdx/samples/"
install -m 0755 "${LBDX_GUEST_TOOLS:?}/lbdxctl" "$root/usr/bin/lbdxctl"
for t in hlb-dptest hlb-pipeline hlb-badarg hlb-vfmbox; do install -m 0755 "$LBDX_GUEST_TOOLS/$t" "$root/usr/bin/$t"; done
install -m 0644 "$module" "$root/lib/modules/lbdx.ko"
# The dmaengine provider lbdx.ko lends its layer to (loaded before it).
install -m 0644 "$(dirname "$module")/lbdx_dma.ko" "$root/lib/modules/"
# The offload layer's consumers, built next to lbdx.ko (see Kbuild).
for m in samples/lbdx/lbdx_offload_sample.ko tests/offload/lbdx_offload_test.ko \
	tests/offload/lbdx_offload_nesting.ko tests/offload/lbdx_offload_events.ko \
	tests/offload/lbdx_offload_bench.ko tests/offload/lbdx_dma_bench.ko; do
	install -m 0644 "$(dirname "$module")/$m" "$root/lib/modules/"
done
kdir=$("$LBDX_TOP/scripts/build-kernel.sh")
mkdir -p "$root/lib/modules/kernel"
for ko in lib/raid/xor/xor.ko lib/raid/raid6/raid6_pq.ko crypto/async_tx/async_tx.ko \
	crypto/async_tx/async_memcpy.ko crypto/async_tx/async_xor.ko \
	crypto/async_tx/async_pq.ko crypto/async_tx/async_raid6_recov.ko; do
	install -m 0644 "$kdir/$ko" "$root/lib/modules/kernel/"
	basename "$ko" >>"$root/lib/modules/kernel/order"
done
# Loaded by the selftests that use them: md's raid456, RAM disks, dmatest.
for ko in drivers/md/raid456.ko drivers/block/brd.ko drivers/dma/dmatest.ko; do
	install -m 0644 "$kdir/$ko" "$root/lib/modules/kernel/"
done
install -m 0644 "$data/expected" "$data/refused" "$root/usr/share/lbdx/"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"

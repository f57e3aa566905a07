#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# What `make run` shows: the driver's line for each device, every sysfs
# attribute of each bound device, then the worked example carving the first
# HLB into a domain through configfs and tearing it down, then events
# flowing through a domain's data plane (hlb-pipeline).

echo "=== lbdx: devices found ==="
dmesg | grep -E 'lbdx_(hlb|dxe) .*(HLB|DXE) [0-9]' | sed 's/^\[[ 0-9.]*\] //'
for drv in lbdx_hlb lbdx_dxe; do
	for dev in /sys/bus/pci/drivers/$drv/0000:*; do
		[ -e "$dev" ] || continue
		echo "=== $drv $(basename "$dev") ==="
		for f in "$dev"/version "$dev"/irq_vectors "$dev"/caps "$dev"/channels \
			"$dev"/max_xor_srcs "$dev"/max_xfer "$dev"/max_ring_size \
			"$dev"/nominal_bw "$dev"/total_resources/*; do
			[ -f "$f" ] && printf '  %-34s %s\n' "${f#$dev/}" "$(cat "$f")"
		done
	done
done

hlb=$(ls -d /sys/bus/pci/drivers/lbdx_hlb/0000:* 2>/dev/null | head -n 1)
if [ -n "$hlb" ]; then
	echo "=== carving $(basename "$hlb") through configfs (samples/lbdx/hlb-domain-example.sh) ==="
	sh "$LBDX_SHARE/samples/hlb-domain-example.sh" "$(basename "$hlb")"
fi

if [ -n "$hlb" ] && command -v hlb-pipeline >/dev/null; then
	bdf=$(basename "$hlb")
	echo "=== events through the data plane: /dev/lbdx/$bdf/demo, hlb-pipeline ==="
	sh "$LBDX_SHARE/samples/hlb-pipeline-domain.sh" "$bdf" demo up &&
		ls -l "/dev/lbdx/$bdf/demo" &&
		hlb-pipeline --bdf "$bdf" --domain demo --events 20000 --flows 256 \
			--atomic-queue q0 --ordered-queue q1 --atomic-ports p0,p1 --ordered-ports p2,p3 \
			--producer d0 --consumer d1 &&
		grep . "/sys/class/lbdx_hlb/$bdf:demo/stats/"*
	sh "$LBDX_SHARE/samples/hlb-pipeline-domain.sh" "$bdf" demo down
fi

echo "=== lbdx_dma: the offload layer as a dmaengine provider ==="
for p in /sys/bus/platform/devices/lbdx-dma.*; do
	[ -e "$p" ] || continue
	n=0 held=0
	for c in /sys/class/dma/dma*chan*; do
		[ "$(readlink -f "$c/device")" = "$(readlink -f "$p")" ] || continue
		n=$((n + 1))
		[ "$(cat "$c/in_use")" -gt 0 ] && held=$((held + 1))
	done
	echo "  ${p##*/}: $n channels ($held in use), layer $(cat "$p/layer")"
done

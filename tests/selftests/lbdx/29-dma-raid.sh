#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# md RAID-5 and RAID-6, a client nobody here wrote, over brd RAM disks:
# raid456 calls async_tx, which finds lbdx_dma's public channels. Arrays
# are assembled through md's sysfs interface (no superblock, as
# Documentation/admin-guide/md.rst describes): the guest is busybox and
# has no mdadm, and sysfs is what mdadm itself drives. For each level:
#   - the initial resync ends; pseudo-random data written through the
#     array reads back identical (after dropping the page cache);
#   - "check" counts mismatch_cnt 0;
#   - a member failed and removed: the data still reads back (rebuilt
#     from parity); the member added back: recovery ends, "check" counts
#     0, the data reads back identical;
#   - with the layer's policy round-robin, raid456's copies, xors (and
#     for RAID-6 its P+Q) reached lbdx_dma's
#     channels, the layer and its engines (lbdx-dma.0's counters and the
#     DXE backends' requests);
#   - with async_tx holding lbdx_dma's channels, every DXE unbound and
#     lbdx removed: the RAID-6 array reads, writes and checks right, the
#     provider running md's work on the CPU; lbdx loads again;
#   - the arrays stop; the kernel log has no oops or warning.

. "$LBDX_SHARE/selftests/lib.sh"
. "$LBDX_SHARE/selftests/dma_lib.sh"

DISKS=5
plan 16
kmsg_mark "md raid through lbdx_dma"
start_mark=$mark
# Round-robin: every backend, engines included, gets a share of the work.
policy0=$(policy_now)
echo round-robin >"$OFFLOAD/policy"

raid_setup $DISKS 8192 12
check $? "brd ($DISKS RAM disks of 8 MiB) and raid456 are loaded"

scenario md0 raid5 4
echo clear >$M/array_state
scenario md1 raid6 $DISKS

# Unload order: async_tx keeps lbdx_dma (and its channels); every DXE
# unbound and lbdx removed, the provider runs md's work on the CPU.
for b in $(expected_bdfs dxe); do
	[ -e "/sys/bus/pci/drivers/lbdx_dxe/$b" ] && echo "$b" >/sys/bus/pci/drivers/lbdx_dxe/unbind
done
c0=$(cat $PUB/cpu_runs)
rmmod lbdx && [ "$(cat $PUB/layer)" = detached ] && readback md1 &&
	dd if=/tmp/raid.data of=/dev/md1 bs=1M conv=fsync 2>/dev/null &&
	echo check >$M/sync_action && wait_idle md1 && [ "$(cat $M/mismatch_cnt)" = 0 ] &&
	readback md1 && [ "$(cat $PUB/cpu_runs)" -gt "$c0" ]
check $? "raid6 with every DXE unbound and lbdx removed: the provider runs md on the CPU, data and parity right" \
	"layer $(cat $PUB/layer), mismatch_cnt $(cat $M/mismatch_cnt 2>&1), cpu_runs +$(($(cat $PUB/cpu_runs) - c0))"
insmod "$MODDIR/lbdx.ko" && [ "$(cat $PUB/layer)" = attached ]
check $? "lbdx loads again (every DXE bound) and the layer is attached again"
echo clear >$M/array_state

stopped=0
for md in md0 md1; do
	st=$(cat /sys/block/$md/md/array_state 2>/dev/null || echo clear)
	[ "$st" = clear ] && stopped=$((stopped + 1))
done
[ $stopped -eq 2 ]
check $? "both arrays stopped"
rmmod raid456 && rmmod brd
check $? "raid456 and brd unload"
echo "$policy0" >"$OFFLOAD/policy"
mark=$start_mark
warn=$(since_mark | grep -E 'WARNING:|BUG:|Oops|general protection|unable to handle' | head -n 3)
[ -z "$warn" ]
check $? "no oops or warning in the kernel log" "$warn"
rm -f /tmp/raid.data
finish

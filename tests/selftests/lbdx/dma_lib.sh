# SPDX-License-Identifier: GPL-2.0
#
# Helpers of the lbdx_dma selftests (28, 29, 30), sourced after lib.sh:
# the layer's engine counters, dmatest runs and md arrays over brd RAM
# disks assembled through md's sysfs interface.

PUB=/sys/bus/platform/devices/lbdx-dma.0
PRIV=/sys/bus/platform/devices/lbdx-dma.1

# chans_of DEV: the dmaengine channels of platform device DEV.
chans_of() {
	for c in /sys/class/dma/dma*chan*; do
		[ "$(readlink -f "$c/device")" = "$(readlink -f "$1")" ] && echo "${c##*/}"
	done
}

# engine_jobs: the requests every DXE backend of the layer ran so far.
engine_jobs() {
	local b s=0
	for b in "$OFFLOAD"/backends/dxe:*; do
		[ -d "$b" ] && s=$((s + $(cat "$b/requests")))
	done
	echo $s
}

# dmatest_run WHAT PARAM=VALUE...: dmatest on every lbdx-dma.1 channel;
# 0 if each of the 3 threads per channel summarised $ITER tests and 0
# failures.
dmatest_run() {
	local what=$1 sums n bad nchan
	nchan=$(chans_of $PRIV | wc -w)
	shift
	kmsg_mark "dmatest $what"
	insmod "$MODDIR/kernel/dmatest.ko" device=lbdx-dma.1 iterations=$ITER \
		timeout=10000 test_buf_size=4096 "$@" run=1 ||
		{ echo "# insmod dmatest $*: failed"; return 1; }
	cat /sys/module/dmatest/parameters/wait >/dev/null
	rmmod dmatest || { echo "# rmmod dmatest failed"; return 1; }
	sums=$(since_mark | grep 'dmatest: .*summary')
	n=$(echo "$sums" | grep -c summary)
	bad=$(echo "$sums" | grep -v "summary $ITER tests, 0 failures")
	echo "$sums" | sed 's/^.*dmatest: /# /'
	[ "$n" -eq $((3 * nchan)) ] && [ -z "$bad" ]
}

# raid_setup DISKS KIB MIB: brd with DISKS RAM disks of KIB KiB, raid456,
# and MIB MiB of pseudo-random data in /tmp/raid.data ($want its md5).
raid_setup() {
	DISK_KIB=$2 DATA_MIB=$3
	insmod "$MODDIR/kernel/brd.ko" rd_nr="$1" rd_size="$2" 2>/dev/null
	insmod "$MODDIR/kernel/raid456.ko" 2>/dev/null
	dd if=/dev/urandom of=/tmp/raid.data bs=1M count="$3" 2>/dev/null
	want=$(md5sum </tmp/raid.data | cut -d' ' -f1)
	[ -b "/dev/ram$(($1 - 1))" ] && [ -d /sys/module/raid456 ]
}


# wait_idle MD: 0 once MD's sync_action is idle (at most 600 s).
wait_idle() {
	local t=0
	sleep 1
	while [ "$(cat "/sys/block/$1/md/sync_action")" != idle ] && [ $t -lt 600 ]; do
		sleep 1
		t=$((t + 1))
	done
	[ "$(cat "/sys/block/$1/md/sync_action")" = idle ]
}

# readback MD: 0 if the first $DATA_MIB MiB of MD are the data written.
readback() {
	echo 3 >/proc/sys/vm/drop_caches
	[ "$(dd if="/dev/$1" bs=1M count=$DATA_MIB 2>/dev/null | md5sum | cut -d' ' -f1)" = "$want" ]
}

# assemble MD LEVEL N: an array of the first N RAM disks, started.
assemble() {
	local md=$1 i
	echo "$md" >/sys/module/md_mod/parameters/new_array || return 1
	M=/sys/block/$md/md
	echo none >$M/metadata_version &&
		echo "$2" >$M/level &&
		echo "$3" >$M/raid_disks &&
		echo 65536 >$M/chunk_size &&
		echo $DISK_KIB >$M/component_size || return 1
	i=0
	while [ $i -lt "$3" ]; do
		echo "1:$i" >$M/new_dev && echo $i >$M/dev-ram$i/slot || return 1
		i=$((i + 1))
	done
	echo active >$M/array_state
}

# fail_remove DEV: removes failed member DEV of the array at $M, retrying
# for up to 10 s while md's thread still holds it (EBUSY).
fail_remove() {
	local t=0
	until echo remove 2>/dev/null >"$M/dev-$1/state"; do
		[ $t -lt 100 ] || return 1
		sleep 0.1
		t=$((t + 1))
	done
}

# scenario MD LEVEL N: the whole sequence on one array (5 results).
scenario() {
	local md=$1 level=$2 n=$3 r0 q0 e0 r q e mm
	r0=$(cat $PUB/layer_requests) q0=$(cat $PUB/layer_pq_requests) e0=$(engine_jobs)
	assemble "$md" "$level" "$n" && wait_idle "$md" &&
		dd if=/tmp/raid.data of="/dev/$md" bs=1M conv=fsync 2>/dev/null && readback "$md"
	check $? "$level: assembled over $n RAM disks, resynced, $DATA_MIB MiB written read back identical" \
		"array_state $(cat $M/array_state 2>&1), sync_action $(cat $M/sync_action 2>&1)"
	echo check >$M/sync_action && wait_idle "$md"
	mm=$(cat $M/mismatch_cnt)
	[ "$mm" = 0 ]
	check $? "$level: check finds mismatch_cnt 0" "mismatch_cnt $mm"
	echo faulty >$M/dev-ram1/state && fail_remove ram1 && readback "$md"
	check $? "$level: member ram1 failed and removed, the data reads back from parity" \
		"degraded $(cat $M/degraded 2>&1)"
	echo 1:1 >$M/new_dev && wait_idle "$md" && [ "$(cat $M/degraded)" = 0 ] &&
		echo check >$M/sync_action && wait_idle "$md" &&
		[ "$(cat $M/mismatch_cnt)" = 0 ] && readback "$md"
	check $? "$level: ram1 added back, recovered, check finds mismatch_cnt 0, the data identical" \
		"degraded $(cat $M/degraded 2>&1), mismatch_cnt $(cat $M/mismatch_cnt 2>&1)"
	r=$(($(cat $PUB/layer_requests) - r0)) q=$(($(cat $PUB/layer_pq_requests) - q0))
	e=$(($(engine_jobs) - e0))
	echo "# $level: lbdx-dma.0 sent $r requests to the layer, $q of them P+Q; the engines ran $e jobs"
	[ "$r" -gt 0 ] && [ "$e" -gt 0 ] && { [ "$level" = raid5 ] || [ "$q" -gt 0 ]; }
	check $? "$level: raid456's requests reached lbdx_dma, the layer (RAID-6 P+Q too) and the engines"
}


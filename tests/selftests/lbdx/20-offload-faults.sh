#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The offload layer under engine faults (the "faults" device set that
# scripts/vm.sh boots with LBDX_DEVSET=faults; skipped otherwise): over
# 100000 requests of 512 B..16 KiB (all operations, 2..4 sources, random
# offsets) spread by round-robin over the CPU and three engines while
#  - the first engine fails 1% of its descriptors (error-rate),
#  - the second halts each channel once (channel 0 after 500 descriptors,
#    channel 1 after 100), then stops answering altogether after 6000
#    (hang),
#  - the third is removed through sysfs mid-run,
# every request completes exactly once with its data right (failed over to
# a working backend); then 10000 requests in dependency chains over the
# engine still failing 1%; the broken engines are seen as such, and the test
# module and then lbdx unload cleanly with nothing in flight and nothing
# in the kernel log.

. "$LBDX_SHARE/selftests/lib.sh"

THREADS=2
COUNT=50000
TOTAL=$((THREADS * COUNT))
REMOVE_AFTER=4000

if ! grep -q 'lbdx\.devset=faults' /proc/cmdline; then
	plan 1
	ok "# SKIP needs the fault device set (LBDX_DEVSET=faults scripts/vm.sh check)"
	exit 0
fi
plan 12
# shellcheck disable=SC2046
set -- $(expected_bdfs dxe)
err_bdf=$1 halt_bdf=$2 gone_bdf=$3
kmsg_mark "fault run"
start_mark=$mark

missing=
for b in cpu "dxe:$err_bdf" "dxe:$halt_bdf" "dxe:$gone_bdf"; do
	[ -d "$OFFLOAD/backends/$b" ] || missing="$missing $b"
done
# A fourth engine is 30-dma-faults.sh's: its fault plan stays unused here.
[ $# -ge 4 ] && echo 0 >"$OFFLOAD/backends/dxe:$4/enabled"
[ $# -ge 3 ] && [ -z "$missing" ]
check $? "the CPU and three engines are backends" "missing:$missing; have: $(backends | tr '\n' ' ')"

gen0=$(cat "$OFFLOAD/generation")
t0=$(date +%s)
(
	otest op=mix min_size=512 size=16384 min_sources=2 sources=4 misalign=-1 \
		threads=$THREADS inflight=16 count=$COUNT policy=round-robin
	echo $? >/tmp/fault.rc
	echo "$otest_summary" >/tmp/fault.sum
	echo "$otest_detail" >/tmp/fault.detail
) &
pid=$!
removed_at=
while kill -0 $pid 2>/dev/null; do
	r=$(bstat "dxe:$gone_bdf" requests)
	if [ -z "$removed_at" ] && [ "${r:-0}" -ge $REMOVE_AFTER ]; then
		echo 1 >"/sys/bus/pci/devices/$gone_bdf/remove"
		removed_at=$(($(date +%s) - t0))
		echo "# removed $gone_bdf after $removed_at s"
	fi
	usleep 200000
done
wait $pid
secs=$(($(date +%s) - t0))
[ "$(cat /tmp/fault.rc)" = 0 ]
check $? "$TOTAL requests with faults: nothing lost, corrupted or completed twice ($secs s): $(cat /tmp/fault.sum)"
sed 's/^/# /' /tmp/fault.detail
submitted=$(sed -n 's/.*submitted \([0-9]*\),.*/\1/p' /tmp/fault.detail)
[ "${submitted:-0}" -ge 100000 ] && [ -n "$removed_at" ]
check $? "at least 100000 requests ran (${submitted:-?}) and $gone_bdf was removed mid-run (after ${removed_at:-never} s)"
for b in $(backends); do
	echo "# $b: requests $(bstat "$b" requests) errors $(bstat "$b" errors) failovers $(bstat "$b" failovers) in_flight $(bstat "$b" in_flight) health $(bstat "$b" health)"
done

# Chains over the engine still failing 1%: dependents wait for failovers.
otest op=mix min_size=512 size=16384 sources=4 misalign=-1 threads=2 inflight=8 count=5000 \
	depend=1 policy=round-robin
check $? "10000 requests in dependency chains over the failing engine: $otest_summary ($(otest_field dependents) dependents, $(otest_field dependency) called back before their dependency's callback)"

e=$(bstat "dxe:$err_bdf" errors)
[ "${e:-0}" -ge 1 ]
check $? "the engine failing 1% of its descriptors counted errors (${e:-none}), all failed over"
h=$(bstat "dxe:$halt_bdf" health)
[ -z "$h" ] || [ "$h" != healthy ]
check $? "the halted and hung engine is out of service (health ${h:-unregistered})"
dev=/sys/bus/pci/devices/$halt_bdf
halts=$(cat "$dev/channel_halts" 2>/dev/null) state=$(cat "$dev/engine_state" 2>/dev/null)
[ "${halts:-0}" -ge 1 ] && [ "$state" = dead ]
check $? "it recovered a channel halt ($halts) before it hung (engine_state ${state:-?})"
[ ! -e "$OFFLOAD/backends/dxe:$gone_bdf" ] && [ ! -e "/sys/bus/pci/devices/$gone_bdf" ] &&
	[ "$(cat "$OFFLOAD/generation")" -gt "$gen0" ]
check $? "the removed engine's backend is gone and generation moved ($gen0 -> $(cat "$OFFLOAD/generation"))"
bad=
for b in $(backends); do
	[ "$(bstat "$b" in_flight)" = 0 ] || bad="$bad $b:$(bstat "$b" in_flight)"
done
[ -z "$bad" ]
check $? "in_flight is 0 on every backend" "$bad"
! grep -q '^lbdx_offload_test ' /proc/modules
check $? "the test module is unloaded"
rmmod lbdx && [ ! -e "$OFFLOAD" ] && ! grep -q 'lbdx_' /proc/interrupts
check $? "rmmod lbdx with a hung engine: clean, no sysfs or interrupt left"
mark=$start_mark
bad=$(since_mark | grep -E 'WARNING|BUG|Oops|leak|refcount|use-after-free|list_(add|del) corruption' | head -n 3)
[ -z "$bad" ]
check $? "nothing suspicious in the kernel log" "$bad"
finish

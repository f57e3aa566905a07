#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# DXE recoveries end jobs only once the device can no longer touch their
# buffers (issue 10 items 1 and 2; fault device set, after
# 20-offload-faults.sh; skipped otherwise). The device models:
#  - the second engine stopped answering in test 20: the driver must have
#    cleared bus mastering and reset the function before failing its jobs
#    over, so that it binds again here (before the fix it stayed hung);
#    it stalls its first copy of 20000 bytes and its channel resets take
#    500 ms (reset-delay=500), more than the 100 ms a 1.1 channel reset
#    may take: the driver must reset the device instead;
#  - the third (removed by test 20, rescanned here) stalls its first such
#    copy too, and its channel resets take 20 ms: the driver must wait;
#  - in both, the abandoned copy writes its whole destination (0xdb) when
#    the channel reset ends, before CH_STATUS.QUIESCENT reads 1.
# The first engine (failing 1% of its descriptors) is not relied on: its
# re-probe may fail the DMA self-test.
# Copies of 20000 bytes, one at a time, round-robin over the CPU and the
# engines, each destination checked when its callback ran and again 700 ms
# later: a driver that fails a stalled job over before the device is
# quiescent lets the late write land in a buffer already handed back
# ("late" in the test module's summary).

. "$LBDX_SHARE/selftests/lib.sh"

if ! grep -q 'lbdx\.devset=faults' /proc/cmdline; then
	plan 1
	ok "# SKIP needs the fault device set (LBDX_DEVSET=faults scripts/vm.sh check)"
	exit 0
fi
plan 8
# shellcheck disable=SC2046
set -- $(expected_bdfs dxe)
hung_bdf=$2 esc_bdf=$2 wait_bdf=$3
kmsg_mark "dxe reset faults"
start_mark=$mark

# Test 20 may leave lbdx unloaded and has removed the third engine.
[ -e "/sys/bus/pci/devices/$wait_bdf" ] || echo 1 >/sys/bus/pci/rescan
grep -q '^lbdx ' /proc/modules || insmod "$MODDIR/lbdx.ko"
missing=
for b in cpu "dxe:$wait_bdf"; do
	[ -d "$OFFLOAD/backends/$b" ] || missing="$missing $b"
done
[ -z "$missing" ]
check $? "the CPU and $wait_bdf (rescanned) are backends" "missing:$missing; have: $(backends | tr '\n' ' ')"

# Before this change the hung engine was abandoned without a reset and
# stayed hung: it could not bind again.
bound_to "$hung_bdf" lbdx_dxe && [ -d "$OFFLOAD/backends/dxe:$hung_bdf" ]
check $? "$hung_bdf, which stopped answering in test 20, was reset by the driver and binds again" \
	"$(dmesg | grep "$hung_bdf" | grep -E 'stopped answering|not binding|ID' | tail -n 3)"
dmesg | grep "$hung_bdf" | grep -q 'DXE stopped answering.*bus mastering off, function reset done'
check $? "when it stopped answering the driver cleared bus mastering and reset the function before failing its jobs over" \
	"$(dmesg | grep "$hung_bdf: DXE stopped answering" | tail -n 1)"

t0=$(date +%s)
otest op=copy size=20000 threads=1 inflight=1 count=12 misalign=0 policy=round-robin recheck_ms=700
rc=$?
check $rc "12 copies of 20000 bytes, two of them stalled: none lost, corrupted, or overwritten after completion ($(($(date +%s) - t0)) s): $otest_summary" \
	"late writes: $(otest_field late)"
echo "# $otest_detail"
for b in $(backends); do
	echo "# $b: requests $(bstat "$b" requests) errors $(bstat "$b" errors) failovers $(bstat "$b" failovers) in_flight $(bstat "$b" in_flight)"
done

to=$(cat "/sys/bus/pci/devices/$wait_bdf/channel_timeouts" 2>/dev/null)
dr=$(cat "/sys/bus/pci/devices/$wait_bdf/device_resets" 2>/dev/null)
[ "${to:-0}" -ge 1 ] && [ "${dr:-x}" = 0 ] &&
	since_mark | grep -q "$wait_bdf: channel [0-9]* made no progress.*reset and restarted it"
check $? "$wait_bdf: the stalled channel was reset and waited for (channel_timeouts ${to:-?}, device_resets ${dr:-?})"

dr=$(cat "/sys/bus/pci/devices/$esc_bdf/device_resets" 2>/dev/null)
state=$(cat "/sys/bus/pci/devices/$esc_bdf/engine_state" 2>/dev/null)
[ "${dr:-0}" -ge 1 ] && [ "$state" = running ] &&
	since_mark | grep -q "$esc_bdf: channel [0-9]* not quiescent 100 ms after its reset; reset the device"
check $? "$esc_bdf: the channel not quiescent in 100 ms got a device reset and the engine runs on (device_resets ${dr:-?}, engine_state ${state:-?})"

bad=
for b in $(backends); do
	[ "$(bstat "$b" in_flight)" = 0 ] || bad="$bad $b:$(bstat "$b" in_flight)"
done
[ -z "$bad" ]
check $? "in_flight is 0 on every backend" "$bad"

mark=$start_mark
bad=$(since_mark | grep -E 'WARNING|BUG|Oops|leak|refcount|use-after-free|list_(add|del) corruption' | head -n 3)
[ -z "$bad" ]
check $? "nothing suspicious in the kernel log" "$bad"
finish

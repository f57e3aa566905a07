#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# lbdx unloads right after the CPU backend's workqueue was busy: ten
# cycles of 2 x 16 copies of 2 MiB (more than the CPU ever runs inline, so
# each is a work item of its queue) under cpu-only, then rmmod of the test
# module and of lbdx at once, then insmod of lbdx and its backends back.
# Unloading waits until every work item returned (the workqueue is the
# backend's own and is flushed and destroyed), so no lbdx code runs after
# the module is gone: each cycle unloads cleanly, and the kernel log has no
# oops or warning.

. "$LBDX_SHARE/selftests/lib.sh"

CYCLES=10
plan 3
kmsg_mark "unload under load"
# wait_backends: 0 once the CPU and every expected engine are backends.
wait_backends() {
	local t=0 want
	want=$(($(expected_bdfs dxe | wc -l) + 1))
	while [ "$(backends | wc -l)" -lt "$want" ] && [ $t -lt 50 ]; do
		sleep 0.1
		t=$((t + 1))
	done
	[ "$(backends | wc -l)" -ge "$want" ]
}
# Earlier tests may leave an HLB's configfs directory, which pins lbdx.
for d in /sys/kernel/config/lbdx/*/; do
	[ -d "$d" ] && rmdir "$d" 2>/dev/null
done
i=0
bad=
while [ $i -lt $CYCLES ]; do
	grep -q '^lbdx ' /proc/modules || insmod "$MODDIR/lbdx.ko" || { bad="cycle $i: insmod lbdx"; break; }
	wait_backends || { bad="cycle $i: backends did not come back: $(backends | tr '\n' ' ')"; break; }
	otest op=copy size=2097152 count=16 threads=2 inflight=8 policy=cpu-only ||
		{ bad="cycle $i: $otest_summary"; break; }
	rmmod lbdx || { bad="cycle $i: rmmod lbdx; $(grep '^lbdx' /proc/modules | cut -d' ' -f1,3,4 | tr '\n' ' ')"; break; }
	i=$((i + 1))
done
[ -z "$bad" ]
check $? "$CYCLES cycles of cpu-only load then rmmod lbdx at once" "$bad"
grep -q '^lbdx ' /proc/modules || insmod "$MODDIR/lbdx.ko"
wait_backends && [ "$(cat "$OFFLOAD/backends/cpu/in_flight")" = 0 ]
check $? "lbdx loads again with every backend, the CPU idle" "backends: $(backends | tr '\n' ' ')"
warn=$(since_mark | grep -E 'WARNING:|BUG:|Oops|general protection|unable to handle' | head -n 3)
[ -z "$warn" ]
check $? "no oops or warning in the kernel log" "$warn"
finish

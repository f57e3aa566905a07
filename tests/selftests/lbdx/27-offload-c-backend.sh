#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A backend registered from C reports its state with lbdx_backend_event()
# and the layer acts on what it said, never asking it: lbdx_offload_events
# (tests/offload/lbdx_offload_events.c) registers "events-c", a copy
# backend estimated far faster than any other, and after each command
# runs 16 copies of 4096 bytes. Running: it takes them all. Halted: none,
# and the copies still arrive (elsewhere); running again: all again. A
# bandwidth event moves its estimate (sysfs shows it) and with it the
# choice. Bad events (unknown number, bandwidth 0, NULL backend) fail with
# EINVAL and change nothing. Its request_cost_ns file shows the cost it
# registered with. Its 32 copies taught the layer a drive cost; a drive
# cost event fixes it (1 s: it takes no copy; above 1 s: EINVAL; 0: all
# again), handling times it reports move the learnt one, and "auto" in
# sysfs brings that back. Dead is final: running after it is ignored.
# The module unregisters cleanly and the kernel log has no warning.

. "$LBDX_SHARE/selftests/lib.sh"

P=/sys/module/lbdx_offload_events/parameters
B=events-c
plan 21
saved=$(policy_now)
echo earliest-completion >"$OFFLOAD/policy"
kmsg_mark "events"

# do CMD: runs CMD; sets $res to the module's result line.
do_cmd() {
	echo "$1" >"$P/cmd" 2>/dev/null
	res=$(cat "$P/result")
}
# expect CMD RET TAKEN HEALTH DESCRIPTION
expect() {
	do_cmd "$1"
	h=$(bstat $B health)
	[ "$res" = "ret=$2 taken=$3 right=16 failed=0" ] && [ "$h" = "$4" ]
	check $? "$5" "$1: $res; health $h"
}

insmod "$MODDIR/lbdx_offload_events.ko" && [ -d "$OFFLOAD/backends/$B" ]
check $? "insmod registers backend $B" "backends: $(backends | tr '\n' ' ')"
[ "$(bstat $B request_cost_ns)" = 7 ]
check $? "sysfs shows the request cost it registered with (7 ns)" \
	"request_cost_ns $(bstat $B request_cost_ns)"
expect copy 0 16 healthy "registered, running: it takes every copy"
expect halted 0 0 halted "halted: it takes none, the copies are done elsewhere"
expect halted 0 0 halted "halted twice: no change"
expect running 0 16 healthy "running again: it takes every copy"
l=$(bstat $B drive_cost_learnt_ns)
[ "$l" -gt 0 ] && [ "$(bstat $B drive_cost_ns)" = "$l" ]
check $? "its 32 copies taught the layer a drive cost (${l} ns), and drive_cost_ns follows it" \
	"learnt $l, drive_cost_ns $(bstat $B drive_cost_ns)"
expect drive=1000000000 0 0 healthy "drive cost 1 s: the CPU copies every copy in less, it takes none"
expect drive=1000000001 -22 0 healthy "drive cost above 1 s: EINVAL, nothing changes"
expect drive=0 0 16 healthy "drive cost 0: it takes every copy"
do_cmd handling=50000000
l=$(bstat $B drive_cost_learnt_ns)
[ "$res" = "ret=0 taken=16 right=16 failed=0" ] && [ "$l" -ge 50000000 ] &&
	[ "$(bstat $B drive_cost_ns)" = 0 ]
check $? "32 handling times of 50 ms: learnt ${l} ns, the fixed 0 still counts" \
	"$res; learnt $l, drive_cost_ns $(bstat $B drive_cost_ns)"
echo auto >"$OFFLOAD/backends/$B/drive_cost_ns"
expect copy 0 0 healthy "auto: the learnt cost counts again, it takes none"
do_cmd drive=0
expect event=99 -22 16 healthy "an unknown event: EINVAL, nothing changes"
expect bandwidth=0 -22 16 healthy "bandwidth 0: EINVAL, nothing changes"
# Accepted, 0 would have read as 1 B/s; the estimate is what its inline
# copies measured (about 1 GB/s in the guest).
[ "$(bstat $B bandwidth)" -gt 1000000 ]
check $? "its bandwidth estimate is still over 1 MB/s after the refused event" \
	"bandwidth $(bstat $B bandwidth)"
expect bandwidth=1 0 0 healthy "bandwidth 1 B/s: the faster backends take every copy"
[ "$(bstat $B bandwidth)" = 1 ]
check $? "sysfs shows the reported bandwidth" "bandwidth $(bstat $B bandwidth)"
do_cmd bandwidth=1125899906842624
expect null -22 16 healthy "fast again; an event for a NULL backend: EINVAL"
expect dead 0 0 dead "dead: it takes none"
expect running 0 0 dead "running after dead: ignored, still dead"
rmmod lbdx_offload_events && [ ! -d "$OFFLOAD/backends/$B" ] &&
	[ -z "$(since_mark | grep -E 'WARNING:|BUG:|Oops')" ]
check $? "rmmod unregisters it; no warning in the kernel log" \
	"$(since_mark | grep -E 'WARNING:|BUG:|Oops' | head -n 3)"
echo "$saved" >"$OFFLOAD/policy"
finish

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Completions that lead to more work do not nest on the kernel stack:
# lbdx_offload_nesting (tests/offload/lbdx_offload_nesting.c) runs chains
# of 1000 copies, each started by the previous one's callback or depending
# on it, from process, softirq and interrupts-off context, under every
# policy, with and without a backend that completes jobs inside its
# ->submit(). Each of its 36 cases is one result here: every step done
# with the right data, at most one callback of a chain on a stack at once,
# the stack no deeper at step 1000 than at step 1. Then the module
# unloads, nothing is in flight and the kernel log has no warning.

. "$LBDX_SHARE/selftests/lib.sh"

CASES=36
plan $((CASES + 3))
saved=$(policy_now)
kmsg_mark "nesting"
insmod "$MODDIR/lbdx_offload_nesting.ko" 2>/tmp/nesting.err
rc=$?
log=$(since_mark | grep 'lbdx_offload_nesting: ')
n=0
while [ $n -lt $CASES ]; do
	n=$((n + 1))
	line=$(echo "$log" | grep -E ": (not )?ok $n " | head -n 1)
	desc=$(echo "$line" | sed -n "s/.*ok $n //p")
	case $line in
	*": ok $n "*) ok "$desc" ;;
	"") fail "case $n of lbdx_offload_nesting" && echo "# no result; insmod: $(cat /tmp/nesting.err)" ;;
	*) fail "${desc%%:*}" && echo "# $desc" ;;
	esac
done
# One summary only: busybox insmod runs a failed init a second time.
[ $rc -eq 0 ] && [ "$(echo "$log" | grep -c ' cases, ')" -eq 1 ] &&
	echo "$log" | grep -q ": $CASES cases, 0 failures" && rmmod lbdx_offload_nesting
check $? "insmod succeeds with $CASES cases and 0 failures, rmmod" \
	"insmod: $(cat /tmp/nesting.err); $(echo "$log" | grep ' cases, ')"
bad=
for b in $(backends); do
	[ "$(bstat "$b" in_flight)" = 0 ] || bad="$bad $b:$(bstat "$b" in_flight)"
done
[ -n "$(backends)" ] && [ -z "$bad" ] && [ ! -d "$OFFLOAD/backends/nesting-sync" ]
check $? "every backend's in_flight is back to 0, the test's backend is gone" \
	"in flight:$bad; backends: $(backends | tr '\n' ' ')"
warn=$(since_mark | grep -E 'WARNING:|BUG:|Oops|Corrupted|overflow' | grep -v 'lbdx_offload_nesting: ' | head -n 3)
[ -z "$warn" ]
check $? "no warning in the kernel log" "$warn"
echo "$saved" >"$OFFLOAD/policy"
finish

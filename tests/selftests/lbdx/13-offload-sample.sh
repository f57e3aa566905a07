#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The offload API's sample (samples/lbdx/lbdx_offload_sample.c) loads under
# every policy: each of its four steps (copy and wait, xor with a callback,
# a copy -> xor -> xor_val chain, fill with a sync wait) verified, one line
# each and a summary; it unloads and leaves nothing in flight.

. "$LBDX_SHARE/selftests/lib.sh"

POLICIES="earliest-completion round-robin cpu-only"
plan 5
saved=$(policy_now)
for p in $POLICIES; do
	echo "$p" >"$OFFLOAD/policy"
	kmsg_mark "sample under $p"
	insmod "$MODDIR/lbdx_offload_sample.ko" 2>/tmp/sample.err
	rc=$?
	log=$(since_mark | grep 'lbdx_offload_sample: ')
	steps=$(echo "$log" | grep -cE ': (copy|xor|chain|fill): 65536 bytes verified')
	# One summary only: busybox insmod runs a failed init a second time.
	[ $rc -eq 0 ] && [ "$steps" -eq 4 ] && [ "$(echo "$log" | grep -c ' steps verified')" -eq 1 ] &&
		echo "$log" | grep -q ': 4 of 4 steps verified' && rmmod lbdx_offload_sample
	check $? "sample under $p: insmod succeeds, 4 steps verified, rmmod" \
		"insmod: $(cat /tmp/sample.err); $(echo "$log" | grep -v verified | head -n 3 | tr '\n' ' ')"
done
! grep -q lbdx_offload_sample /proc/modules
check $? "the sample is unloaded"
bad=
for b in $(backends); do
	[ "$(bstat "$b" in_flight)" = 0 ] || bad="$bad $b:$(bstat "$b" in_flight)"
done
[ -n "$(backends)" ] && [ -z "$bad" ]
check $? "every backend's in_flight is back to 0" "in flight:$bad; backends: $(backends | tr '\n' ' ')"
echo "$saved" >"$OFFLOAD/policy"
finish

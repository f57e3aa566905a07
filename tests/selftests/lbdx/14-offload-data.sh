#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Every operation's data, checked by lbdx_offload_test (sources unchanged,
# destination right over the whole range, guard bytes around it untouched,
# exactly one callback per request):
#  - copy, fill, xor and xor_val under each policy, sizes from 1 byte to
#    1 MiB (log scale, both ends included), buffers at random offsets;
#  - the sizes around word, cache-line and page boundaries one by one;
#  - aligned buffers and fixed odd offsets.

. "$LBDX_SHARE/selftests/lib.sh"

POLICIES="earliest-completion round-robin cpu-only engines-first"
OPS="copy fill xor xor_val"
SIZES="1 2 7 8 9 63 64 65 4095 4096 4097 65535 65537 1048575 1048576"
OFFSETS="0 1 7 63"
n=0
for _ in $POLICIES; do for _ in $OPS; do n=$((n + 1)); done; done
for _ in $SIZES $OFFSETS; do n=$((n + 1)); done
plan $n
saved=$(policy_now)

for p in $POLICIES; do
	for op in $OPS; do
		otest op=$op policy=$p min_size=1 size=1048576 misalign=-1 \
			sources=4 threads=2 inflight=4 count=32
		check $? "$op, $p, 1 B..1 MiB, random offsets: $otest_summary"
	done
done
echo round-robin >"$OFFLOAD/policy"
for s in $SIZES; do
	c=64
	[ "$s" -gt 65536 ] && c=12
	otest op=mix size=$s misalign=-1 sources=3 threads=2 inflight=4 count=$c
	check $? "mix of $s bytes, random offsets: $otest_summary"
done
for o in $OFFSETS; do
	otest op=mix min_size=1 size=65536 misalign=$o sources=5 threads=2 inflight=8 count=128
	check $? "mix of 1 B..64 KiB, every buffer at offset $o: $otest_summary"
done
echo "$saved" >"$OFFLOAD/policy"
finish

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# xor and xor-validate from 2 sources to the most the layer takes (64, the
# CPU backend's limit), across the engines' limit (max_xor_srcs of each
# DXE): each count checked with data, xor-validate both ways (source sets
# made to xor to zero, and the same with one bit flipped, both counted).
# Sets larger than every engine takes run on the CPU backend alone.

. "$LBDX_SHARE/selftests/lib.sh"

emax=0
for bdf in $(expected_bdfs dxe); do
	m=$(cat "/sys/bus/pci/devices/$bdf/max_xor_srcs")
	[ "$m" -gt "$emax" ] && emax=$m
done
counts=$(for c in 2 3 $((emax - 1)) $emax $((emax + 1)) 33 64; do
	[ "$c" -ge 2 ] && [ "$c" -le 64 ] && echo $c
done | sort -n | uniq)
n=0
for _ in $counts; do n=$((n + 3)); done
plan $((n + 1))
saved=$(policy_now)
echo round-robin >"$OFFLOAD/policy"

for c in $counts; do
	otest op=xor sources=$c min_size=1 size=65536 misalign=-1 threads=2 inflight=4 count=40
	check $? "xor of $c sources: $otest_summary"
	stats_snap /tmp/xor.before
	otest op=xor_val sources=$c min_size=1 size=65536 misalign=-1 threads=2 inflight=4 count=60
	rc=$?
	zero=$(otest_count_of zero) nonzero=$(otest_count_of nonzero)
	[ $rc -eq 0 ] && [ "${zero:-0}" -gt 0 ] && [ "${nonzero:-0}" -gt 0 ]
	check $? "xor_val of $c sources, answered right $zero times zero and $nonzero times nonzero: $otest_summary"
	stats_snap /tmp/xor.after
	# Only the CPU can take more sources than every engine.
	if [ "$c" -gt "$emax" ]; then
		moved=$(stats_delta /tmp/xor.before /tmp/xor.after | awk '$1 != "cpu" && $2 != 0 { print $1 }')
		cpu=$(stats_delta /tmp/xor.before /tmp/xor.after | awk '$1 == "cpu" { print $2 }')
		[ -z "$moved" ] && [ "${cpu:-0}" -ge 120 ]
		check $? "$c sources (engines take $emax) ran on the CPU only" "cpu +${cpu:-?}; engines with requests: $moved"
	else
		moved=$(stats_delta /tmp/xor.before /tmp/xor.after | awk '$1 != "cpu" && $2 > 0' | wc -l)
		[ "$moved" -ge 1 ]
		check $? "$c sources under round-robin reached the engines too" "$(stats_delta /tmp/xor.before /tmp/xor.after | tr '\n' ';')"
	fi
done
otest op=mix min_sources=2 sources=64 min_size=1 size=16384 misalign=-1 threads=2 inflight=8 count=250
check $? "mix of 2..64 sources, 1 B..16 KiB: $otest_summary"
echo "$saved" >"$OFFLOAD/policy"
finish

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Heap lbdx leaves behind, found by kmemleak (the debug kernel: make
# check-debug). Runs last, after every other selftest of the boot:
#   1. a scan with lbdx loaded: no unreferenced object whose allocation
#      backtrace is in an lbdx module;
#   2. every lbdx module unloaded (but lbdx_dma while async_tx holds its
#      channels), a scan: none allocated from the address range the
#      modules had (their symbols are gone, so objects are attributed by
#      address);
#   3. $LBDX_RELOADS (default 20) cycles of loading lbdx (probing every
#      device) and unloading it, then a scan: none from any of the ranges
#      lbdx had in those cycles.
# lbdx is loaded again at the end. Without kmemleak in the kernel (the
# plain guest kernel of make check) the test is skipped and says so.

. "$LBDX_SHARE/selftests/lib.sh"

KML=/sys/kernel/debug/kmemleak
ranges=/tmp/lbdx-module-ranges
cycles=${LBDX_RELOADS:-20}

if [ ! -e "$KML" ]; then
	plan 3
	skip 3 "kmemleak is not in this kernel (make check-debug runs it)"
	exit 0
fi
plan 3

# note_ranges [FILE]: appends "START END" (hex) of every lbdx module in
# FILE (/proc/modules' format; default: the loaded ones) to $ranges.
note_ranges() {
	awk '$1 ~ /^lbdx/ { print $6, $2 }' "${1:-/proc/modules}" | while read -r base size; do
		# 16 hex digits each: compared as strings (awk's numbers are
		# doubles, too narrow for kernel addresses).
		printf '%016x %016x\n' $((base)) $((base + size))
	done >>"$ranges"
}

# unload_all: removes every lbdx module, users first.
unload_all() {
	local m left
	for _ in 1 2 3; do
		for m in $(awk '$1 ~ /^lbdx/ && $3 == 0 { print $1 }' /proc/modules); do
			rmmod "$m" || echo "# rmmod $m failed"
		done
	done
	# lbdx_dma stays while async_tx holds its public channels.
	left=$(awk '$1 ~ /^lbdx/ && !($1 == "lbdx_dma" && $3 > 0) { print $1 }' /proc/modules)
	[ -z "$left" ] || { echo "# still loaded: $left"; return 1; }
}

# scan: makes kmemleak scan (twice: an object is reported once it has
# been unreferenced for 5 s), then prints every reported object whose
# backtrace names lbdx or has an address in one of $ranges, as
# "object:" lines with their backtraces.
scan() {
	sleep 6
	echo scan >"$KML"
	sleep 1
	echo scan >"$KML"
	awk -v rf="$ranges" '
		BEGIN { n = 0; while ((getline l < rf) > 0) { split(l, a, " "); lo[n] = a[1]; hi[n] = a[2]; n++ } }
		function flush() { if (obj != "" && ours) printf "%s", obj; obj = ""; ours = 0 }
		/^unreferenced object/ { flush(); obj = $0 "\n"; next }
		{
			obj = obj $0 "\n"
			if ($0 ~ /lbdx/) ours = 1
			# An address of an unloaded module prints as 0x... (or
			# [<...>] with raw backtraces).
			if (match($0, /(0x|\[<)[0-9a-f]+/)) {
				a = substr($0, RSTART + 2, RLENGTH - 2)
				for (i = 0; i < n; i++) if (a >= lo[i] && a < hi[i]) ours = 1
			}
		}
		END { flush() }' "$KML"
}

# report WHAT: one result: no lbdx object in a scan, else the count and
# the first backtraces as diagnostics.
report() {
	local found n
	found=$(scan)
	n=$(echo "$found" | grep -c '^unreferenced object')
	[ -z "$found" ] && n=0
	[ "$n" -eq 0 ]
	check $? "kmemleak: no lbdx object leaked $1" "$n leaked; the first:"
	[ "$n" -eq 0 ] || echo "$found" | head -n 40 | sed 's/^/#   /'
}

: >"$ranges"
# Where lbdx was when the guest loaded it (tests/guest/init), in case a
# selftest unloaded it since.
[ -f /tmp/lbdx-modules-at-boot ] && note_ranges /tmp/lbdx-modules-at-boot
grep -q '^lbdx ' /proc/modules || insmod "$MODDIR/lbdx.ko"
note_ranges
report "with lbdx loaded, after the selftests"

unload_all
report "once every lbdx module is unloaded"

i=0
bad=0
while [ $i -lt "$cycles" ]; do
	insmod "$MODDIR/lbdx.ko" || { echo "# cycle $i: insmod failed"; bad=1; break; }
	note_ranges
	rmmod lbdx || { echo "# cycle $i: rmmod failed"; bad=1; break; }
	i=$((i + 1))
done
[ $bad -eq 0 ] && report "over $cycles load/unload cycles" ||
	fail "kmemleak: $cycles load/unload cycles ran (stopped at $i)"
insmod "$MODDIR/lbdx.ko"
finish

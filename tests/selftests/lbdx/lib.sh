# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the lbdx selftests (sourced). TAP output: call plan N first,
# then ok/fail once per test case; finish returns non-zero if any failed.
#
# $LBDX_SHARE/expected lists the devices the host started, one per line:
#   BDF KIND key=value ...
# where each key is a sysfs path below the PCI device and the value what it
# must read.

_n=0
_failed=0

plan() { echo "1..$1"; }

ok() {
	_n=$((_n + 1))
	echo "ok $_n $*"
}

fail() {
	_n=$((_n + 1))
	_failed=$((_failed + 1))
	echo "not ok $_n $*"
}

# check COND_STATUS DESCRIPTION [DIAGNOSTIC]: ok if the status is 0.
check() {
	if [ "$1" -eq 0 ]; then ok "$2"; else fail "$2"; [ -n "${3:-}" ] && echo "# $3"; fi
}

finish() { [ $_failed -eq 0 ]; }

# hlb_vfs N: sets $vfs to the HLB VF functions (0def:4c43). Our own
# check boot starts hlb1 with two: with fewer, their absence fails all N
# planned results (a failure, not a skip) and the selftest ends.
hlb_vfs() {
	local d i=0
	vfs=$(for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = 0x0def ] && [ "$(cat "$d/device")" = 0x4c43 ] && basename "$d"
	done)
	[ "$(echo $vfs | wc -w)" -ge 2 ] && return 0
	while [ $i -lt "$1" ]; do fail "two HLB VF functions present (found: ${vfs:-none})"; i=$((i + 1)); done
	finish
	exit
}

# skip N REASON: N results skipped (TAP "# SKIP"), e.g. the cases of a
# device that lacks what the test needs.
skip() {
	local i=0
	while [ $i -lt "$1" ]; do ok "# SKIP $2"; i=$((i + 1)); done
}

# no_data_plane BDF: 0 (true) if the HLB at BDF has no data plane
# (version 1.0).
no_data_plane() { [ "$(cat "/sys/bus/pci/devices/$1/version")" = "1.0" ]; }

# Devices of KIND (hlb, dxe) the host started, as BDFs.
expected_bdfs() { awk -v k="$1" '$2 == k { print $1 }' "$LBDX_SHARE/expected"; }

# The expected key=value pairs of device BDF, one per line.
expected_attrs() { awk -v b="$1" '$1 == b { for (i = 3; i <= NF; i++) print $i }' "$LBDX_SHARE/expected"; }

# sysfs_mismatches BDF: prints every attribute that does not read as
# expected, nothing when all match.
sysfs_mismatches() {
	local dev=/sys/bus/pci/devices/$1 kv key want got
	for kv in $(expected_attrs "$1"); do
		key=${kv%%=*}
		want=${kv#*=}
		got=$(cat "$dev/$key" 2>/dev/null || echo "<unreadable>")
		[ "$got" = "$want" ] || echo "$1/$key: read '$got', model says '$want'"
	done
}

# bound_to BDF DRIVER: 0 if the device is bound to DRIVER.
bound_to() {
	[ "$(basename "$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null)")" = "$2" ]
}

# Total interrupts counted so far on the named interrupt line(s).
irq_count() {
	awk -v n="$1" '$NF == n { for (i = 2; i < NF; i++) if ($i ~ /^[0-9]+$/) s += $i } END { print s + 0 }' /proc/interrupts
}

# --- configfs helpers (HLB control-plane selftests) ---

# wr FILE VALUE: writes "VALUE\n" with busybox echo, in this shell (no
# fork); returns the write's status, the shell's error message in $err.
wr() {
	if { echo "$2" >"$1"; } 2>/tmp/lbdx-selftest.err; then
		err=
		return 0
	fi
	read -r err </tmp/lbdx-selftest.err
	return 1
}

# expect_ok FILE VALUE: the write must succeed.
expect_ok() {
	wr "$1" "$2" && return 0
	echo "# $1 <- $2: $err (want success)"
	return 1
}

# expect_err TEXT FILE VALUE: the write must fail with the message TEXT and
# FILE read the same before and after (if it can be read).
expect_err() {
	local before after
	before=$(cat "$2" 2>/dev/null)
	if wr "$2" "$3"; then
		echo "# $2 <- $3: succeeded (want $1)"
		return 1
	fi
	case $err in
	*"$1"*) ;;
	*) echo "# $2 <- $3: '$err' (want $1)"; return 1 ;;
	esac
	after=$(cat "$2" 2>/dev/null)
	[ "$after" = "$before" ] || { echo "# $2 <- $3: changed '$before' to '$after'"; return 1; }
}

# expect_rmdir_busy DIR: rmdir fails with EBUSY and DIR is still there.
expect_rmdir_busy() {
	if err=$(rmdir "$1" 2>&1); then
		echo "# rmdir $1: succeeded (want Device or resource busy)"
		return 1
	fi
	case $err in *"Device or resource busy"*) ;; *) echo "# rmdir $1: '$err' (want EBUSY)"; return 1 ;; esac
	[ -d "$1" ] || { echo "# rmdir $1 failed but it is gone"; return 1; }
}

# teardown DOMAIN_DIR: stops, unlinks and removes everything in it.
teardown() {
	local d=$1 o
	[ -d "$d" ] || return 0
	echo 0 >"$d/start" 2>/dev/null
	for o in "$d"/ldb_ports/*; do
		[ -d "$o" ] || continue
		cat "$o/links" | while read -r q _; do echo "-$q" >"$o/links"; done
	done
	for o in "$d"/ldb_ports/* "$d"/queues/* "$d"/dir_ports/*; do
		[ -d "$o" ] && rmdir "$o"
	done
	rmdir "$d"
}

# mkobj DIR [ATTR=VALUE...]: makes a queue or port DIR with those values.
mkobj() {
	local o=$1 kv
	shift
	mkdir "$o" || { echo "# mkdir $o failed"; return 1; }
	for kv; do expect_ok "$o/${kv%%=*}" "${kv#*=}" || return 1; done
}

# snap: every avail_resources value of the device at /sys/bus/pci/devices
# path $sys (set by the caller), for before/after comparisons.
snap() { cat "$sys"/avail_resources/*; }

# avail_equals_total BDF: 0 if nothing is held on the device.
avail_equals_total() {
	local s=/sys/bus/pci/devices/$1 r
	for r in domains ldb_queues ldb_ports dir_ports ldb_credits dir_credits atomic_inflights; do
		[ "$(cat "$s/avail_resources/$r")" = "$(cat "$s/total_resources/$r")" ] ||
			{ echo "# $1 $r: avail $(cat "$s/avail_resources/$r"), total $(cat "$s/total_resources/$r")"; return 1; }
	done
	[ "$(cat "$s/avail_resources/hist_list_entries")" = "$(cat "$s/total_resources/hist_list_entries")" ] &&
		[ "$(cat "$s/avail_resources/max_contiguous_hist_list_entries")" = "$(cat "$s/total_resources/hist_list_entries")" ]
}

# --- offload layer helpers (selftests 13-16 and the fault boot's 20) ---

OFFLOAD=/sys/kernel/lbdx_offload
MODDIR=/lib/modules

# The current policy: the bracketed word of $OFFLOAD/policy.
policy_now() { sed -n 's/.*\[\([a-z-]*\)\].*/\1/p' "$OFFLOAD/policy"; }

# The registered backends' names, one per line.
backends() { ls "$OFFLOAD/backends" 2>/dev/null; }

# bstat NAME STAT: a backend's statistic (empty if it is not there).
bstat() { cat "$OFFLOAD/backends/$1/$2" 2>/dev/null; }

# stats_snap FILE: "NAME requests bytes errors failovers in_flight" per
# backend, for before/after comparisons with stats_delta.
stats_snap() {
	local b
	for b in $(backends); do
		echo "$b $(bstat "$b" requests) $(bstat "$b" bytes) $(bstat "$b" errors) $(bstat "$b" failovers) $(bstat "$b" in_flight)"
	done >"$1"
}

# stats_delta BEFORE AFTER: "NAME d_requests d_bytes d_errors d_failovers
# in_flight" for every backend in AFTER (a backend new in AFTER counts from 0).
stats_delta() {
	awk 'NR == FNR { r[$1] = $2; b[$1] = $3; e[$1] = $4; f[$1] = $5; next }
	     { print $1, $2 - r[$1], $3 - b[$1], $4 - e[$1], $5 - f[$1], $6 }' "$1" "$2"
}

# kmsg_mark TEXT: a line in the kernel log to find what follows it.
kmsg_mark() {
	# Writes to /dev/kmsg are rate-limited by default: marks must not be.
	echo on >/proc/sys/kernel/printk_devkmsg
	# Numbered through a file: unique in subshells too.
	_mark=$(($(cat /tmp/lbdx-selftest.mark 2>/dev/null || echo 0) + 1))
	echo $_mark >/tmp/lbdx-selftest.mark
	mark="lbdx-selftest #$_mark: $1"
	echo "$mark" >/dev/kmsg
}

# since_mark: the kernel log after the last kmsg_mark.
since_mark() { dmesg | awk -v m="$mark" 'f { print } index($0, m) { f = 1 }'; }

# otest PARAM=VALUE...: runs lbdx_offload_test (insmod runs the whole test,
# rmmod after a pass); 0 if it passed. Sets $otest_summary ("N tests, M
# failures, X iops, Y KB/s"), $otest_detail (the breakdown line) and, on
# failure, prints its first error lines as TAP diagnostics.
# busybox insmod runs a module whose init failed a second time (it falls
# back from finit_module() to init_module() on any error): so every
# summary since the mark counts, not insmod's exit status alone.
otest() {
	local rc runs
	kmsg_mark "lbdx_offload_test $*"
	insmod "$MODDIR/lbdx_offload_test.ko" "$@" 2>/tmp/otest.err
	rc=$?
	otest_log=$(since_mark | grep 'lbdx_offload_test: ')
	otest_summary=$(echo "$otest_log" | sed -n 's/.*lbdx_offload_test: \([0-9]* tests, .*\)/\1/p' | head -n 1)
	otest_detail=$(echo "$otest_log" | sed -n 's/.*lbdx_offload_test: \(submitted .*\)/\1/p' | head -n 1)
	runs=$(echo "$otest_log" | grep -c ' tests, [0-9]* failures,')
	[ $rc -eq 0 ] && { rmmod lbdx_offload_test || rc=1; }
	[ "$runs" -eq 1 ] || rc=1
	case $otest_summary in *" 0 failures,"*) ;; *) rc=1 ;; esac
	if [ $rc -ne 0 ]; then
		echo "# lbdx_offload_test $*: insmod: $(cat /tmp/otest.err)"
		echo "# ${otest_summary:-no summary}"
		echo "$otest_log" | grep -v ' tests, \|op \|submitted ' | head -n 5 | sed 's/^/# /'
	fi
	return $rc
}

# otest_field NAME: the number after NAME in the last breakdown line, e.g.
# "otest_field submitted".
otest_field() { echo "$otest_detail" | sed -n "s/.*$1 \([0-9]*\).*/\1/p"; }

# otest_count_of NAME: the number before NAME in the breakdown line, e.g.
# "otest_count_of nonzero".
otest_count_of() { echo "$otest_detail" | sed -n "s/.* \([0-9]*\) $1.*/\1/p"; }

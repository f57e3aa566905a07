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

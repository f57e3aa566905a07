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

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# 20 cycles each of: driver unbind/bind through sysfs, PCI remove/rescan,
# and rmmod/insmod. After every step every device is bound again with the
# right sysfs values, and after rmmod nothing of lbdx is left.

. "$LBDX_SHARE/selftests/lib.sh"

CYCLES=${CYCLES:-20}
n=$(wc -l <"$LBDX_SHARE/expected")

# all_bound_and_right: 0 if every expected device is bound with the expected
# sysfs values and owns exactly one control-vector interrupt line.
all_bound_and_right() {
	local bdf kind rest lines
	while read -r bdf kind rest; do
		bound_to "$bdf" "lbdx_$kind" || { echo "# $bdf not bound to lbdx_$kind"; return 1; }
		[ -z "$(sysfs_mismatches "$bdf")" ] || { sysfs_mismatches "$bdf" | sed 's/^/# /'; return 1; }
	done <"$LBDX_SHARE/expected"
	lines=$(grep -c 'lbdx_\(hlb_alarm\|dxe_error\)$' /proc/interrupts)
	[ "$lines" -eq "$n" ] || { echo "# $lines control interrupt lines for $n devices"; return 1; }
}

plan 4
for kind in unbind remove module; do
	good=1
	i=0
	while [ $i -lt "$CYCLES" ]; do
		i=$((i + 1))
		case $kind in
		unbind)
			while read -r bdf k _; do
				echo "$bdf" >"/sys/bus/pci/drivers/lbdx_$k/unbind" || good=0
				echo "$bdf" >"/sys/bus/pci/drivers/lbdx_$k/bind" || good=0
			done <"$LBDX_SHARE/expected"
			;;
		remove)
			while read -r bdf _; do
				echo 1 >"/sys/bus/pci/devices/$bdf/remove" || good=0
			done <"$LBDX_SHARE/expected"
			echo 1 >/sys/bus/pci/rescan || good=0
			;;
		module)
			rmmod lbdx || good=0
			if [ -e /sys/bus/pci/drivers/lbdx_hlb ] || [ -e /sys/bus/pci/drivers/lbdx_dxe ] ||
				grep -q lbdx_ /proc/interrupts; then
				echo "# cycle $i: lbdx left traces after rmmod"
				good=0
			fi
			insmod /lib/modules/lbdx.ko || good=0
			;;
		esac
		all_bound_and_right || { echo "# $kind cycle $i"; good=0; break; }
	done
	[ $good -eq 1 ]
	check $? "$CYCLES cycles of $kind leave every device bound and right"
done
# Probe failures of devices other than those meant to be refused.
failures() {
	dmesg | grep 'lbdx.*\(not binding\|failed\|error -\)' | grep -vF -f "$LBDX_SHARE/refused.bdfs"
}
awk '{ print $1 }' "$LBDX_SHARE/refused" >"$LBDX_SHARE/refused.bdfs"
echo "no-such-device" >>"$LBDX_SHARE/refused.bdfs"
[ -z "$(failures)" ]
check $? "no probe failure logged during the cycles" "$(failures | head -3)"
finish

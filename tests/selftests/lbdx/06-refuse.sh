#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A device the driver must not bind (a version it does not implement, an
# engine failing its DMA self-test) is refused with a clear message, stays
# unbound, refuses a manual bind, and keeps nothing allocated.
# $LBDX_SHARE/refused lists them: "BDF KIND MESSAGE...".

. "$LBDX_SHARE/selftests/lib.sh"

n=$(wc -l <"$LBDX_SHARE/refused")
if [ "$n" -eq 0 ]; then
	plan 1
	ok "# SKIP no device to refuse in this run"
	exit 0
fi
plan $((n * 3))
while read -r bdf kind why; do
	dev=/sys/bus/pci/devices/$bdf
	[ -e "$dev" ] && [ ! -e "$dev/driver" ]
	check $? "$bdf ($kind) is present but not bound"
	dmesg | grep -qF "lbdx_$kind $bdf: " && dmesg | grep "lbdx_$kind $bdf: " | grep -qF "$why"
	check $? "$bdf refusal logged with the reason ($why)"
	! echo "$bdf" >"/sys/bus/pci/drivers/lbdx_$kind/bind" 2>/dev/null &&
		[ ! -e "$dev/driver" ] && [ -z "$(ls "$dev/msi_irqs" 2>/dev/null)" ] &&
		[ ! -e "$dev/version" ]
	check $? "$bdf manual bind fails and leaves no vectors or sysfs files"
done <"$LBDX_SHARE/refused"
finish

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# One load balancer and two engines at once: all bound together, each with
# its own interrupt lines, engines of different rates told apart.

. "$LBDX_SHARE/selftests/lib.sh"

plan 3
hlbs=$(ls -d /sys/bus/pci/drivers/lbdx_hlb/0000:* 2>/dev/null | wc -l)
dxes=$(ls -d /sys/bus/pci/drivers/lbdx_dxe/0000:* 2>/dev/null | wc -l)
[ "$hlbs" -ge 1 ] && [ "$dxes" -ge 2 ] && [ "$hlbs" -eq "$(expected_bdfs hlb | wc -l)" ] &&
	[ "$dxes" -eq "$(expected_bdfs dxe | wc -l)" ]
check $? "all devices bound at once ($hlbs HLB, $dxes DXE)"
all=$(for d in /sys/bus/pci/drivers/lbdx_*/0000:*; do ls "$d/msi_irqs"; done 2>/dev/null)
[ -n "$all" ] && [ "$(echo "$all" | sort | uniq -d | wc -l)" -eq 0 ]
check $? "no interrupt shared between devices"
bws=$(for d in /sys/bus/pci/drivers/lbdx_dxe/0000:*; do cat "$d/nominal_bw"; done 2>/dev/null | sort -u | wc -l)
[ "$dxes" -ge 2 ] && [ "$bws" -eq "$dxes" ]
check $? "engines report their own nominal bandwidth"
finish

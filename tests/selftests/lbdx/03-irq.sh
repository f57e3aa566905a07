#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Interrupts: each device has all its MSI-X vectors, its control vector has
# counted the probe's self-test interrupt, and a rebind's self-test adds one
# more.

. "$LBDX_SHARE/selftests/lib.sh"

n=$(wc -l <"$LBDX_SHARE/expected")
plan $((n * 3))
while read -r bdf kind _; do
	dev=/sys/bus/pci/devices/$bdf
	case $kind in hlb) name=lbdx_hlb_alarm ;; dxe) name=lbdx_dxe_error ;; esac
	vecs=$(ls "$dev/msi_irqs" 2>/dev/null | wc -l)
	[ "$vecs" -gt 0 ] && [ "$vecs" = "$(cat "$dev/irq_vectors")" ]
	check $? "$bdf has $(cat "$dev/irq_vectors") MSI-X vectors allocated" "msi_irqs lists $vecs"
	irq=$(ls "$dev/msi_irqs" | sort -n | head -n 1)
	before=$(awk -v i="$irq:" '$1 == i { for (c = 2; c < NF; c++) if ($c ~ /^[0-9]+$/) s += $c } END { print s + 0 }' /proc/interrupts)
	[ "$before" -ge 1 ]
	check $? "$bdf control vector ($name, irq $irq) saw the self-test" "count $before"
	echo "$bdf" >"/sys/bus/pci/drivers/lbdx_$kind/unbind" && echo "$bdf" >"/sys/bus/pci/drivers/lbdx_$kind/bind"
	irq=$(ls "$dev/msi_irqs" 2>/dev/null | sort -n | head -n 1)
	after=$(awk -v i="$irq:" '$1 == i { for (c = 2; c < NF; c++) if ($c ~ /^[0-9]+$/) s += $c } END { print s + 0 }' /proc/interrupts)
	[ -n "$irq" ] && [ "$after" -ge 1 ] && grep -q "^ *$irq:.*$name\$" /proc/interrupts
	check $? "$bdf self-test interrupt arrives again after rebind" "irq '$irq' count $after"
done <"$LBDX_SHARE/expected"
finish

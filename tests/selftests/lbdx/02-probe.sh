#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Every device the host started is bound to its driver, logged one line, and
# shows in sysfs exactly the configuration the device model was given.

. "$LBDX_SHARE/selftests/lib.sh"

n=$(wc -l <"$LBDX_SHARE/expected")
plan $((n * 3))
while read -r bdf kind _; do
	bound_to "$bdf" "lbdx_$kind"
	check $? "$bdf bound to lbdx_$kind"
	dmesg | grep -q "lbdx_$kind $bdf: $(echo "$kind" | tr a-z A-Z) [0-9.]*: .*interrupt self-test passed"
	check $? "$bdf logged its probe line"
	bad=$(sysfs_mismatches "$bdf")
	[ -z "$bad" ]
	check $? "$bdf sysfs equals the model's configuration" "$bad"
done <"$LBDX_SHARE/expected"
finish

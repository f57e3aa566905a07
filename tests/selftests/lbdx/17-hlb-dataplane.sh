#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The HLB data plane through the domain character device and the
# user-space library (tools/hlb-user): on every HLB, the suite of
# hlb_dp_lib.sh with every hlb-dptest case (domains made and started,
# the cases, the pipeline, teardown, avail_resources whole after).
#
# The badqe case runs last and makes the device raise one BadQe alarm on
# purpose; it prints "# expected-alarms: 1", which scripts/check.sh
# subtracts from the alarms the device model logged.

. "$LBDX_SHARE/selftests/lib.sh"
. "$LBDX_SHARE/selftests/hlb_dp_lib.sh"

cases=${LBDX_DP_CASES:-"directed spread atomic order priority credits blocking kill9 cross reclaim stats badqe"}
n=$(dp_checks "$cases")
bdfs=$(expected_bdfs hlb)
plan $(($(echo "$bdfs" | wc -w) * n))

for bdf in $bdfs; do
	if no_data_plane "$bdf"; then
		skip "$n" "$bdf has no data plane (version 1.0)"
		continue
	fi
	dp_suite "$bdf" "$cases"
done
finish

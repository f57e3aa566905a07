#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The admin guide's worked example (samples/lbdx/hlb-domain-example.sh) on
# every HLB: it runs to the end, the domain it makes shows as started with
# its objects, and afterwards avail_resources equals total_resources again.

. "$LBDX_SHARE/selftests/lib.sh"

bdfs=$(expected_bdfs hlb)
plan $(($(echo "$bdfs" | wc -w) * 3))
for bdf in $bdfs; do
	out=$(sh "$LBDX_SHARE/samples/hlb-domain-example.sh" "$bdf" 2>&1)
	rc=$?
	echo "$out" | sed 's/^/# /'
	check $rc "$bdf worked example runs to the end"
	echo "$out" | grep -q "domain example: started, device domain [0-9]" &&
		[ "$(echo "$out" | grep -c ': id [0-9]')" -eq 7 ]
	check $? "$bdf example domain started with 2 queues and 5 ports"
	avail_equals_total "$bdf"
	check $? "$bdf avail_resources equals total_resources after teardown"
done
finish

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Unbinding an HLB under a process that uses one of its domains: the
# process (hlb-dptest hold: a port attached, its producer window and CQ
# mapped) sees hang-up in poll(), ENODEV from ARM and SIGBUS on touching
# its CQ mapping; the node goes; the configfs tree reads "removed" and can
# be removed; the device binds again whole. On every HLB of minor version 1.

. "$LBDX_SHARE/selftests/lib.sh"

CFG=/sys/kernel/config/lbdx
CASES=7

bdfs=$(expected_bdfs hlb)
plan $(($(echo "$bdfs" | wc -w) * CASES))
for bdf in $bdfs; do
	sys=/sys/bus/pci/devices/$bdf
	if no_data_plane "$bdf"; then
		skip $CASES "$bdf has no data plane (version 1.0)"
		continue
	fi
	sh "$LBDX_SHARE/samples/hlb-pipeline-domain.sh" "$bdf" hold up
	check $? "$bdf domain made and started"
	d=$CFG/$bdf/domains/hold
	dev=/dev/lbdx/$bdf/hold
	ids="--dev $dev --ldb $(for p in p0 p1 p2 p3; do cat "$d/ldb_ports/$p/id"; done | tr '\n' ',' | sed 's/,$//')"
	ids="$ids --dir $(cat "$d/dir_ports/d0/id"),$(cat "$d/dir_ports/d1/id")"
	out=/tmp/hold.$$
	hlb-dptest hold $ids >"$out" 2>&1 &
	pid=$!
	i=0
	while ! grep -q '^# ready' "$out" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	grep -q '^# ready' "$out"
	check $? "$bdf a process maps a port of the domain" "$(cat "$out")"

	echo "$bdf" >/sys/bus/pci/drivers/lbdx_hlb/unbind
	wait $pid
	rc=$?
	sed 's/^# /# hold: /' "$out"
	grep -q '^# poll: hang-up' "$out" && grep -q '^# arm: ENODEV' "$out" && [ $rc -eq 135 ]
	check $? "$bdf unbind: poll hangs up, ARM gets ENODEV, the mapping raises SIGBUS" "exit status $rc (want 135: SIGBUS)"
	[ ! -e "$dev" ] && [ ! -e "/sys/class/lbdx_hlb/$bdf:hold" ]
	check $? "$bdf the node and its class device are gone"
	[ "$(cat "$d/state")" = removed ]
	check $? "$bdf the domain reads removed" "state $(cat "$d/state")"
	teardown "$d" && rmdir "$CFG/$bdf"
	check $? "$bdf the removed tree can be taken down"

	echo "$bdf" >/sys/bus/pci/drivers/lbdx_hlb/bind
	bound_to "$bdf" lbdx_hlb &&
		[ "$(cat "$sys/avail_resources/ldb_credits")" = "$(cat "$sys/total_resources/ldb_credits")" ] &&
		[ "$(cat "$sys/avail_resources/domains")" = "$(cat "$sys/total_resources/domains")" ]
	check $? "$bdf binds again with everything free"
	rm -f "$out"
done
finish

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The domain character device as an operator meets it, on every HLB of
# minor version 1: configfs owner and mode (bad values EINVAL, EBUSY while
# started), the node appearing on start with that owner and mode and
# going on stop, stop and reset refused with EBUSY while the node is open,
# the stats directory (users, drains, credits at the reservation), the
# drain after the last close, and avail_resources whole afterwards.

. "$LBDX_SHARE/selftests/lib.sh"

CFG=/sys/kernel/config/lbdx
CASES=16

# node_attrs PATH: "UID:GID MODE" of a node (octal mode without file type).
node_attrs() {
	ls -ln "$1" 2>/dev/null | awk '{
		p = substr($1, 2, 9); m = 0
		for (i = 0; i < 9; i++) { m *= 2; if (substr(p, i + 1, 1) != "-") m += 1 }
		printf "%s:%s %o\n", $3, $4, m }'
}

bdfs=$(expected_bdfs hlb)
plan $(($(echo "$bdfs" | wc -w) * CASES))
for bdf in $bdfs; do
	sys=/sys/bus/pci/devices/$bdf
	if no_data_plane "$bdf"; then
		skip $CASES "$bdf has no data plane (version 1.0)"
		continue
	fi
	before=$(snap)
	mkdir -p "$CFG/$bdf"
	d=$CFG/$bdf/domains/cdev
	mkdir "$d"
	for kv in num_ldb_queues=1 num_ldb_ports_cos0=2 num_dir_ports=1 num_ldb_credits=64 \
		num_dir_credits=32 num_hist_list_entries=64 num_atomic_inflights=16 commit=1; do
		expect_ok "$d/${kv%%=*}" "${kv#*=}" || break
	done
	mkobj "$d/queues/q0" atomic_inflights=16 commit=1 &&
		mkobj "$d/ldb_ports/p0" cq_depth=16 commit=1 &&
		mkobj "$d/ldb_ports/p1" cq_depth=16 commit=1 &&
		expect_ok "$d/ldb_ports/p0/links" "q0 0" &&
		expect_ok "$d/ldb_ports/p1/links" "q0 0" &&
		mkobj "$d/dir_ports/dp0" cq_depth=8 commit=1
	check $? "$bdf domain with 1 queue, 2 LDB ports, 1 DIR port committed"

	[ "$(cat "$d/owner")" = "0:0" ] && [ "$(cat "$d/mode")" = "0600" ]
	check $? "$bdf owner and mode default to 0:0 and 0600"
	rc=0
	for bad in "" ":" "1:" "a:b" "-1:0" "4294967295:0" "1:2:3"; do
		expect_err "Invalid argument" "$d/owner" "$bad" || rc=1
	done
	for bad in "" "8" "1777" "0x1ff" "rw"; do
		expect_err "Invalid argument" "$d/mode" "$bad" || rc=1
	done
	check $rc "$bdf bad owner and mode values: EINVAL, nothing changes"
	expect_ok "$d/owner" "1000:100" && expect_ok "$d/mode" "0640" &&
		[ "$(cat "$d/owner")" = "1000:100" ] && [ "$(cat "$d/mode")" = "0640" ]
	check $? "$bdf owner 1000:100 and mode 0640 accepted"

	node=/dev/lbdx/$bdf/cdev
	[ ! -e "$node" ] && expect_ok "$d/start" 1 && [ -c "$node" ]
	check $? "$bdf starting the domain makes $node"
	got=$(node_attrs "$node")
	[ "$got" = "1000:100 640" ]
	check $? "$bdf node owner and mode are 1000:100 0640" "read '$got'"
	expect_err "Device or resource busy" "$d/owner" "0:0" &&
		expect_err "Device or resource busy" "$d/mode" "0600"
	check $? "$bdf owner and mode: EBUSY while started"

	st=/sys/class/lbdx_hlb/$bdf:cdev/stats
	[ "$(cat "$st/users")" = 0 ] && [ "$(cat "$st/drains")" = 0 ] &&
		[ "$(cat "$st/ldb_credits_avail")" = 64 ] && [ "$(cat "$st/dir_credits_avail")" = 32 ] &&
		[ "$(cat "$st/qes")" = 0 ] && [ "$(cat "$st/scheduled")" = 0 ]
	check $? "$bdf stats: no users, credits at the reservation, nothing enqueued"
	q=$(cat "$d/queues/q0/id")
	[ "$(cat "$st/queue_depth")" = "$q:0" ] &&
		[ "$(cat "$st/port_inflight" | wc -w)" = 3 ]
	check $? "$bdf stats: queue_depth and port_inflight list the domain's objects" \
		"queue_depth '$(cat "$st/queue_depth")' port_inflight '$(cat "$st/port_inflight")'"

	exec 3<"$node"
	[ "$(cat "$st/users")" = 1 ]
	check $? "$bdf an open file counts as a user"
	expect_err "Device or resource busy" "$d/start" 0 && [ -c "$node" ]
	check $? "$bdf stop while open: EBUSY, node stays"
	expect_err "Device or resource busy" "$d/reset" 1 && [ "$(cat "$d/state")" = started ]
	check $? "$bdf reset while open: EBUSY, domain stays started"
	exec 3<&-
	[ "$(cat "$st/users")" = 0 ] && [ "$(cat "$st/drains")" = 1 ] &&
		[ "$(cat "$st/ldb_credits_avail")" = 64 ]
	check $? "$bdf the last close drains the domain once" \
		"users $(cat "$st/users") drains $(cat "$st/drains")"

	expect_ok "$d/start" 0 && [ ! -e "$node" ] && [ ! -e "/sys/class/lbdx_hlb/$bdf:cdev" ]
	check $? "$bdf stopping removes the node and its class device"
	expect_ok "$d/start" 1 && [ "$(node_attrs "$node")" = "1000:100 640" ] && expect_ok "$d/start" 0
	check $? "$bdf start again: the node comes back with the same owner and mode"

	teardown "$d"
	[ "$(snap)" = "$before" ]
	check $? "$bdf avail_resources whole after teardown"
done
finish

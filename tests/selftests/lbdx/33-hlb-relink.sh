#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Links at run time (HLB minor version 5, "Links at run time" in
# Documentation/hw/hlb.rst): on every HLB with it, hlb-pipeline runs on a
# started domain while each stage loses and regains a worker every 100 ms
# through configfs (p1 unlinked from and linked again to the atomic queue
# q0, p3 to the ordered queue q1), for as long as the pipeline runs
# (several seconds). The pipeline must see no atomicity violation and no
# order violation (a lost or duplicated event breaks its flow's sequence,
# a lost one also stalls it), every relink write is accepted, the domain
# scheduled each event exactly three times, the unlinks all complete
# (links_pending empty, links back as they were) and the credits and
# resources come back whole. On an HLB of an older minor version a link
# change on a started domain is refused with EBUSY and changes nothing.

. "$LBDX_SHARE/selftests/lib.sh"
. "$LBDX_SHARE/selftests/hlb_dp_lib.sh"

N=6
EVENTS=${LBDX_RELINK_EVENTS:-400000}
bdfs=$(expected_bdfs hlb)
plan $(($(echo "$bdfs" | wc -w) * N))

# runtime_links BDF: 0 (true) if the HLB at BDF is of minor version 5 or
# later (major version 1: the driver binds no other).
runtime_links() { [ "$(cut -d. -f2 "/sys/bus/pci/devices/$1/version")" -ge 5 ]; }

# relink_loop PORT_DIR QUEUE: while /tmp/relink.run exists, unlinks QUEUE
# from the port and links it again (priority 0), 100 ms apart; prints
# "<writes> <failed writes> <reads that showed a pending unlink>".
relink_loop() {
	local n=0 bad=0 pending=0
	while [ -e /tmp/relink.run ]; do
		wr "$1/links" "-$2" || { bad=$((bad + 1)); echo "# -$2: $err" >&2; }
		[ -n "$(cat "$1/links_pending")" ] && pending=$((pending + 1))
		usleep 100000
		wr "$1/links" "$2 0" || { bad=$((bad + 1)); echo "# $2 0: $err" >&2; }
		n=$((n + 2))
		usleep 100000
	done
	echo "$n $bad $pending"
}

for bdf in $bdfs; do
	if no_data_plane "$bdf"; then
		skip $N "$bdf has no data plane (version 1.0)"
		continue
	fi
	d=/sys/kernel/config/lbdx/$bdf/domains/relink
	before=$(cat /sys/bus/pci/devices/$bdf/avail_resources/* 2>/dev/null)
	sh "$LBDX_SHARE/samples/hlb-pipeline-domain.sh" "$bdf" relink up
	check $? "$bdf pipeline domain made and started"
	if ! runtime_links "$bdf"; then
		expect_err "Device or resource busy" "$d/ldb_ports/p1/links" "-q0" &&
			expect_err "Device or resource busy" "$d/ldb_ports/p1/links" "q1 0"
		check $? "$bdf (HLB $(cat /sys/bus/pci/devices/$bdf/version)): link changes on a started domain refused, links unchanged"
		sh "$LBDX_SHARE/samples/hlb-pipeline-domain.sh" "$bdf" relink down
		skip $((N - 2)) "$bdf has no links at run time (version below 1.5)"
		continue
	fi
	touch /tmp/relink.run
	relink_loop "$d/ldb_ports/p1" q0 >/tmp/relink.a 2>&1 &
	a=$!
	relink_loop "$d/ldb_ports/p3" q1 >/tmp/relink.o 2>&1 &
	o=$!
	out=$(hlb-pipeline --bdf "$bdf" --domain relink --events "$EVENTS" --flows 256 \
		--atomic-queue q0 --ordered-queue q1 --atomic-ports p0,p1 --ordered-ports p2,p3 \
		--producer d0 --consumer d1 2>&1)
	st=$?
	rm -f /tmp/relink.run
	wait $a $o
	check $st "$bdf hlb-pipeline of $EVENTS events keeps atomicity and order while p1 and p3 are relinked every 100 ms" "$out"
	echo "# $out"
	ra=$(tail -n 1 /tmp/relink.a) ro=$(tail -n 1 /tmp/relink.o)
	set -- $ra $ro
	[ "$2" = 0 ] && [ "$5" = 0 ] && [ "$1" -ge 20 ] && [ "$4" -ge 20 ]
	check $? "$bdf relink writes all accepted, at least 20 per stage" \
		"atomic stage: writes, failed, pending seen: $ra; ordered stage: $ro; $(grep '^#' /tmp/relink.a /tmp/relink.o | head -4)"
	echo "# relinks (writes, failed, pending seen): atomic stage $ra, ordered stage $ro"
	st=/sys/class/lbdx_hlb/$bdf:relink/stats
	[ "$(cat "$st/scheduled")" = $((EVENTS * 3)) ] && [ "$(cat "$st/users")" = 0 ] &&
		[ "$(cat "$st/ldb_credits_avail")" = 1024 ] && [ "$(cat "$st/dir_credits_avail")" = 256 ]
	check $? "$bdf each event scheduled exactly three times, credits whole after the drain" \
		"$(grep -s . "$st"/scheduled "$st"/users "$st"/*credits_avail | tr '\n' ' ')"
	i=0
	while [ -n "$(cat "$d/ldb_ports/p1/links_pending" "$d/ldb_ports/p3/links_pending")" ] && [ $i -lt 50 ]; do
		usleep 100000
		i=$((i + 1))
	done
	[ -z "$(cat "$d/ldb_ports/p1/links_pending" "$d/ldb_ports/p3/links_pending")" ] &&
		[ "$(cat "$d/ldb_ports/p1/links")" = "q0 0" ] && [ "$(cat "$d/ldb_ports/p3/links")" = "q1 0" ]
	check $? "$bdf no unlink pending once the pipeline drained, links as before" \
		"p1: $(cat "$d/ldb_ports/p1/links") pending '$(cat "$d/ldb_ports/p1/links_pending")'; p3: $(cat "$d/ldb_ports/p3/links")"
	sh "$LBDX_SHARE/samples/hlb-pipeline-domain.sh" "$bdf" relink down
	[ ! -d "$d" ] && [ "$(cat /sys/bus/pci/devices/$bdf/avail_resources/* 2>/dev/null)" = "$before" ]
	check $? "$bdf domain gone, avail_resources whole"
done
finish

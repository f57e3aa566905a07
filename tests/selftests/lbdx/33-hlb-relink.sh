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
# resources come back whole. Then a process holds one atomic event of q0
# (hlb-dptest pending: dequeued, not completed) and the port holding it
# is unlinked from q0: the write returns after its 100 ms wait with the
# unlink in links_pending, linking again cancels it, and the unlink taken
# again completes when the event is. The same pipeline runs again with the
# relinks made by a process of the application through the domain file
# (LBDX_HLB_IOC_UNLINK, UNLINKS_PENDING and LINK, hlb-pipeline
# --relink-ms), and hlb-dptest links checks those calls' refusals of
# malformed requests and that a link they make shows in configfs. On an
# HLB of an older minor version a link change on a started domain is
# refused with EBUSY (configfs) or EOPNOTSUPP (the domain file) and
# changes nothing.

. "$LBDX_SHARE/selftests/lib.sh"
. "$LBDX_SHARE/selftests/hlb_dp_lib.sh"

N=14
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

# pending_cases: the four checks of an unlink that waits for a held event,
# on domain $d of $bdf (q0 linked to p0 and p1 at priority 0).
pending_cases() {
	local go=/tmp/dptest.go out=/tmp/dptest.out i id name p l bad=0
	dptest pending
	i=0
	while ! grep -q '^# held' "$out" && [ $i -lt 100 ]; do usleep 100000; i=$((i + 1)); done
	id=$(sed -n 's/^# held //p' "$out")
	name=
	for p in p0 p1; do [ "$(cat "$d/ldb_ports/$p/id")" = "$id" ] && name=$p; done
	p=$d/ldb_ports/$name
	[ -n "$name" ] && wr "$p/links" "-q0" && [ "$(cat "$p/links_pending")" = "q0 0" ] &&
		! grep -q '^q0 ' "$p/links"
	check $? "$bdf an unlink from a port holding an event of the queue returns pending" \
		"$(cat "$out"); holder '$name'; links '$(cat "$p/links" 2>/dev/null)' pending '$(cat "$p/links_pending" 2>/dev/null)' $err"
	wr "$p/links" "q0 0" && [ "$(cat "$p/links")" = "q0 0" ] && [ -z "$(cat "$p/links_pending")" ] &&
		{ ! wr "$p/links" "-nosuch"; } && wr "$p/links" "-q0" && [ "$(cat "$p/links_pending")" = "q0 0" ]
	check $? "$bdf linking again cancels the pending unlink; unlinking again is pending again" \
		"links '$(cat "$p/links" 2>/dev/null)' pending '$(cat "$p/links_pending" 2>/dev/null)'"
	touch "$go.complete"
	i=0
	while ! grep -q '^# completed' "$out" && [ $i -lt 100 ]; do usleep 100000; i=$((i + 1)); done
	i=0
	while [ -n "$(cat "$p/links_pending")" ] && [ $i -lt 20 ]; do usleep 100000; i=$((i + 1)); done
	l=$(cat "$p/links" "$p/links_pending")
	[ -z "$l" ] && wr "$p/links" "q0 0" && [ "$(cat "$p/links")" = "q0 0" ] || bad=1
	check $bad "$bdf completing the held event completes the unlink (then linked again)" \
		"$(cat "$out"); links and pending '$l'"
	touch "$go.exit"
	wait $pid
	check $? "$bdf hlb-dptest pending ends well" "$(cat "$out")"
}

# pipeline_run [ARGS]: hlb-pipeline on domain $d of $bdf (q0 atomic on p0
# and p1, q1 ordered on p2 and p3), its output in $out.
pipeline_run() {
	out=$(hlb-pipeline --bdf "$bdf" --domain relink --events "$EVENTS" --flows 256 \
		--atomic-queue q0 --ordered-queue q1 --atomic-ports p0,p1 --ordered-ports p2,p3 \
		--producer d0 --consumer d1 "$@" 2>&1)
}

# dptest CASE: hlb-dptest CASE on domain $d of $bdf, in the background
# (pid in $pid, output in /tmp/dptest.out, go files /tmp/dptest.go.*).
dptest() {
	rm -f /tmp/dptest.go.*
	hlb-dptest "$1" --dev "/dev/lbdx/$bdf/relink" --go /tmp/dptest.go \
		--ldb "$(ids_of "$d"/ldb_ports/p0 "$d"/ldb_ports/p1 "$d"/ldb_ports/p2 "$d"/ldb_ports/p3)" \
		--dir "$(ids_of "$d"/dir_ports/d0 "$d"/dir_ports/d1)" \
		--aq "$(cat "$d/queues/q0/id")" --oq "$(cat "$d/queues/q1/id")" >/tmp/dptest.out 2>&1 &
	pid=$!
}

# ioctl_cases: the relinks of a process through the domain file, and
# that file's refusals, on domain $d of $bdf.
ioctl_cases() {
	local i l
	pipeline_run --relink-ms 100
	st=$?
	echo "$out" | sed 's/^/# /'
	calls=$(echo "$out" | sed -n 's/.*relinks: \([0-9]*\) calls.*/\1/p')
	[ $st = 0 ] && [ "${calls:-0}" -ge 20 ]
	check $? "$bdf hlb-pipeline keeps atomicity and order while its relinker process unlinks and links p1 and p3 every 100 ms through the domain file, every call accepted" "$out"
	l=$(cat "$d/ldb_ports/p1/links" "$d/ldb_ports/p3/links" "$d/ldb_ports/p1/links_pending" "$d/ldb_ports/p3/links_pending")
	[ "$l" = "q0 0
q1 0" ]
	check $? "$bdf links as before after the domain file's relinks, none pending" "links and pending: '$l'"
	dptest links
	i=0
	while ! grep -q '^# linked' /tmp/dptest.out && kill -0 $pid 2>/dev/null && [ $i -lt 100 ]; do
		usleep 100000
		i=$((i + 1))
	done
	l=$(cat "$d/ldb_ports/p0/links")
	[ "$l" = "q0 0
q1 1" ]
	check $? "$bdf malformed LINK/UNLINK/UNLINKS_PENDING refused; a LINK through the domain file shows in configfs" \
		"$(cat /tmp/dptest.out); p0 links '$l'"
	touch /tmp/dptest.go.unlink
	wait $pid
	st=$?
	l=$(cat "$d/ldb_ports/p0/links" "$d/ldb_ports/p0/links_pending")
	[ $st = 0 ] && [ "$l" = "q0 0" ]
	check $? "$bdf an UNLINK through the domain file takes effect at once on an idle port" \
		"$(cat /tmp/dptest.out); p0 links and pending '$l'"
	rm -f /tmp/dptest.go.*
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
		dptest nolinks
		wait $pid
		check $? "$bdf LINK, UNLINK and UNLINKS_PENDING of the domain file refused with EOPNOTSUPP" "$(cat /tmp/dptest.out)"
		sh "$LBDX_SHARE/samples/hlb-pipeline-domain.sh" "$bdf" relink down
		skip $((N - 3)) "$bdf has no links at run time (version below 1.5)"
		continue
	fi
	touch /tmp/relink.run
	relink_loop "$d/ldb_ports/p1" q0 >/tmp/relink.a 2>&1 &
	a=$!
	relink_loop "$d/ldb_ports/p3" q1 >/tmp/relink.o 2>&1 &
	o=$!
	pipeline_run
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
	pending_cases
	ioctl_cases
	sh "$LBDX_SHARE/samples/hlb-pipeline-domain.sh" "$bdf" relink down
	[ ! -d "$d" ] && [ "$(cat /sys/bus/pci/devices/$bdf/avail_resources/* 2>/dev/null)" = "$before" ]
	check $? "$bdf domain gone, avail_resources whole"
done
finish

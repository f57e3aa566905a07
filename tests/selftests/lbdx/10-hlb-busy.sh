#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Lifecycle rules of the HLB configfs tree (Documentation/ABI/testing/
# configfs-lbdx-hlb) on every HLB:
#   EBUSY   num_* after the domain's commit, a queue's or port's attributes
#           after its commit, uncommitting a domain with committed objects,
#           removing or uncommitting a linked queue; and once started every
#           attribute write, committing a new object, link and unlink, and
#           rmdir of a queue, a port or the domain; rmdir of a linked LDB
#           port is EBUSY or takes its links along, never pins the queue;
#   ENOENT  linking a queue that does not exist or is not committed;
#   EINVAL  committing an object of a staged domain, starting a staged
#           domain.
# Every refused write leaves what it would have changed as it was. Then
# reset of the started domain gives everything back (avail_resources as
# before) and leaves the domain and its objects staged with their values,
# so that all of it commits and starts again.

. "$LBDX_SHARE/selftests/lib.sh"

cfgroot=/sys/kernel/config/lbdx

# is_state DIR STATE: DIR/state reads STATE.
is_state() {
	[ "$(cat "$1/state")" = "$2" ] || { echo "# $1 is '$(cat "$1/state")', want '$2'"; return 1; }
}

NUMS="num_ldb_queues num_ldb_ports_cos0 num_ldb_ports_cos1 num_ldb_ports_cos2 num_ldb_ports_cos3
	num_dir_ports num_ldb_credits num_dir_credits num_hist_list_entries num_atomic_inflights"

# build: domain $d committed with queues q0, q1 (committed), q2 (staged),
# LDB ports p0, p1 and DIR port dp0 (committed), p0 linked to q0.
build() {
	mkdir "$d" || { echo "# mkdir $d failed"; return 1; }
	for kv in num_ldb_queues=3 num_ldb_ports_cos0=2 num_dir_ports=1 num_ldb_credits=64 \
		num_dir_credits=64 num_hist_list_entries=256 num_atomic_inflights=64; do
		expect_ok "$d/${kv%%=*}" "${kv#*=}" || return 1
	done
	expect_ok "$d/commit" 1 &&
		mkobj "$d/queues/q0" atomic_inflights=8 && mkobj "$d/queues/q1" && mkobj "$d/queues/q2" &&
		mkobj "$d/ldb_ports/p0" && mkobj "$d/ldb_ports/p1" cq_depth=32 && mkobj "$d/dir_ports/dp0" &&
		expect_ok "$d/queues/q0/commit" 1 && expect_ok "$d/queues/q1/commit" 1 &&
		expect_ok "$d/ldb_ports/p0/commit" 1 && expect_ok "$d/ldb_ports/p1/commit" 1 &&
		expect_ok "$d/dir_ports/dp0/commit" 1 && expect_ok "$d/ldb_ports/p0/links" "q0 1"
}

# attrs_busy DIR ATTR=VALUE...: each (valid) write is EBUSY, value kept.
attrs_busy() {
	local o=$1 kv bad=0
	shift
	for kv; do expect_err "Device or resource busy" "$o/${kv%%=*}" "${kv#*=}" || bad=1; done
	return $bad
}

committed_cases() {
	local a bad=0 before
	for a in $NUMS; do attrs_busy "$d" "$a=0" || bad=1; done
	check $bad "$bdf num_* of a committed domain are EBUSY"
	attrs_busy "$d/queues/q0" sequence_numbers=64 inflight_limit=32 atomic_inflights=1 \
		lock_id_comp=64 depth_threshold=5
	check $? "$bdf attributes of a committed queue are EBUSY"
	attrs_busy "$d/ldb_ports/p0" cq_depth=32 depth_threshold=5 hist_list_size=128 cos=0
	check $? "$bdf attributes of a committed LDB port are EBUSY"
	attrs_busy "$d/dir_ports/dp0" cq_depth=32 depth_threshold=5
	check $? "$bdf attributes of a committed DIR port are EBUSY"

	before=$(snap)
	expect_err "Device or resource busy" "$d/commit" 0 && is_state "$d" committed &&
		[ "$(snap)" = "$before" ]
	check $? "$bdf uncommitting a domain with committed objects is EBUSY"

	bad=0
	expect_err "No such file or directory" "$d/ldb_ports/p1/links" "nosuch 0" || bad=1
	expect_err "No such file or directory" "$d/ldb_ports/p1/links" "q2 0" || bad=1
	expect_err "No such file or directory" "$d/ldb_ports/p1/links" "-nosuch" || bad=1
	check $bad "$bdf linking a missing or uncommitted queue is ENOENT"

	expect_rmdir_busy "$d/queues/q0" && is_state "$d/queues/q0" committed
	check $? "$bdf rmdir of a linked queue is EBUSY"
	expect_err "Device or resource busy" "$d/queues/q0/commit" 0 && is_state "$d/queues/q0" committed
	check $? "$bdf uncommitting a linked queue is EBUSY"
}

# staged_cases: in a staged domain, committing an object and starting the
# domain are EINVAL.
staged_cases() {
	local s=$cfgroot/$bdf/domains/e10s bad=0
	mkdir "$s" && expect_ok "$s/num_ldb_queues" 1 && expect_ok "$s/num_ldb_ports_cos0" 1 &&
		expect_ok "$s/num_dir_ports" 1 && expect_ok "$s/num_hist_list_entries" 64 &&
		mkobj "$s/queues/q" && mkobj "$s/ldb_ports/p" && mkobj "$s/dir_ports/dp" || bad=1
	for o in queues/q ldb_ports/p dir_ports/dp; do
		expect_err "Invalid argument" "$s/$o/commit" 1 && is_state "$s/$o" staged || bad=1
	done
	check $bad "$bdf committing a queue or port of a staged domain is EINVAL"
	expect_err "Invalid argument" "$s/start" 1 && is_state "$s" staged
	check $? "$bdf starting a staged domain is EINVAL"
	teardown "$s"
}

started_cases() {
	local a o bad=0 before
	expect_ok "$d/start" 1 && is_state "$d" started ||
		echo "# $bdf: starting the domain failed; the started cases below test a domain that is not"
	for a in $NUMS; do attrs_busy "$d" "$a=0" || bad=1; done
	attrs_busy "$d" commit=0 || bad=1
	attrs_busy "$d/queues/q0" depth_threshold=5 commit=0 || bad=1
	attrs_busy "$d/queues/q2" depth_threshold=5 inflight_limit=32 || bad=1
	attrs_busy "$d/ldb_ports/p1" depth_threshold=5 commit=0 || bad=1
	attrs_busy "$d/dir_ports/dp0" depth_threshold=5 commit=0 || bad=1
	check $bad "$bdf started: every attribute and commit 0 write is EBUSY"

	# The ABI names "staged", "committed" and "removed" for objects.
	bad=0
	for o in queues/q0 ldb_ports/p0 dir_ports/dp0; do is_state "$d/$o" committed || bad=1; done
	is_state "$d/queues/q2" staged || bad=1
	check $bad "$bdf started: queues and ports read committed or staged"

	before=$(snap)
	attrs_busy "$d/queues/q2" commit=1 && is_state "$d/queues/q2" staged && [ "$(snap)" = "$before" ]
	check $? "$bdf started: committing a new queue is EBUSY"

	bad=0
	before=$(cat "$d/ldb_ports/p0/links" "$d/ldb_ports/p1/links")
	if [ "$(cut -d. -f2 "/sys/bus/pci/devices/$bdf/version")" -ge 5 ]; then
		# Links at run time: with no traffic an unlink takes effect at
		# once (33-hlb-relink tests them under traffic).
		expect_ok "$d/ldb_ports/p1/links" "q1 2" && expect_ok "$d/ldb_ports/p1/links" "-q1" &&
			expect_ok "$d/ldb_ports/p0/links" "-q0" && expect_ok "$d/ldb_ports/p0/links" "q0 1" || bad=1
		[ -z "$(cat "$d/ldb_ports/p0/links_pending" "$d/ldb_ports/p1/links_pending")" ] ||
			{ echo "# unlinks left pending on an idle domain"; bad=1; }
		what="link and unlink take effect (HLB 1.5)"
	else
		expect_err "Device or resource busy" "$d/ldb_ports/p1/links" "q1 2" || bad=1
		expect_err "Device or resource busy" "$d/ldb_ports/p0/links" "-q0" || bad=1
		what="link and unlink are EBUSY (HLB before 1.5)"
	fi
	[ "$(cat "$d/ldb_ports/p0/links" "$d/ldb_ports/p1/links")" = "$before" ] ||
		{ echo "# links changed: $(cat "$d/ldb_ports/p0/links" "$d/ldb_ports/p1/links" | tr '\n' ';')"; bad=1; }
	check $bad "$bdf started: $what, links as before"

	bad=0
	for o in queues/q1 queues/q2 ldb_ports/p1 dir_ports/dp0 ""; do
		expect_rmdir_busy "$d/$o" || bad=1
	done
	check $bad "$bdf started: rmdir of a queue, a port and the domain is EBUSY"
}

# reset_cases: reset of the started domain returns everything and puts the
# domain and its objects back to staged with their values; all of it then
# commits, links and starts again.
reset_cases() {
	local o bad=0
	expect_ok "$d/reset" 1 || bad=1
	[ "$(snap)" = "$avail0" ] || { echo "# avail_resources after reset: $(echo $(snap))"; bad=1; }
	is_state "$d" staged || bad=1
	for o in "$d"/queues/* "$d"/ldb_ports/* "$d"/dir_ports/*; do
		is_state "$o" staged || bad=1
		[ "$(cat "$o/id")" = -1 ] || { echo "# $o/id reads $(cat "$o/id")"; bad=1; }
	done
	[ -z "$(cat "$d/ldb_ports/p0/links")" ] || { echo "# p0 links after reset: $(cat "$d/ldb_ports/p0/links")"; bad=1; }
	[ "$(cat "$d/num_ldb_queues")" = 3 ] && [ "$(cat "$d/queues/q0/atomic_inflights")" = 8 ] &&
		[ "$(cat "$d/ldb_ports/p1/cq_depth")" = 32 ] ||
		{ echo "# values not kept across reset"; bad=1; }
	check $bad "$bdf reset of a started domain returns everything, all staged with values kept"

	bad=0
	expect_ok "$d/commit" 1 || bad=1
	for o in queues/q0 queues/q1 queues/q2 ldb_ports/p0 ldb_ports/p1 dir_ports/dp0; do
		expect_ok "$d/$o/commit" 1 || bad=1
	done
	expect_ok "$d/ldb_ports/p0/links" "q0 1" || bad=1
	expect_ok "$d/ldb_ports/p1/links" "q2 $(($(cat "$sys/total_resources/priorities") - 1))" || bad=1
	expect_ok "$d/start" 1 && is_state "$d" started && expect_ok "$d/start" 0 &&
		is_state "$d" committed || bad=1
	check $bad "$bdf after reset the domain and its objects commit, link and start again"
}

t0=$(date +%s)
# linked_port_case: rmdir of a committed LDB port that links a queue is
# either refused (EBUSY; then unlinking lets it go) or takes the link with
# it; either way the queue and the domain can then be removed and
# avail_resources is as before (nothing pinned, nothing leaked).
linked_port_case() {
	local x=$cfgroot/$bdf/domains/e10p bad=0 before
	before=$(snap)
	mkdir "$x" && expect_ok "$x/num_ldb_queues" 1 && expect_ok "$x/num_ldb_ports_cos0" 1 &&
		expect_ok "$x/num_hist_list_entries" 64 && expect_ok "$x/commit" 1 &&
		mkobj "$x/queues/q" && mkobj "$x/ldb_ports/p" && expect_ok "$x/queues/q/commit" 1 &&
		expect_ok "$x/ldb_ports/p/commit" 1 && expect_ok "$x/ldb_ports/p/links" "q 0" || bad=1
	if err=$(rmdir "$x/ldb_ports/p" 2>&1); then
		echo "# rmdir of the linked port was taken; its link must be gone with it"
	else
		case $err in
		*"Device or resource busy"*) expect_ok "$x/ldb_ports/p/links" "-q" && rmdir "$x/ldb_ports/p" || bad=1 ;;
		*) echo "# rmdir of the linked port: '$err' (want success or EBUSY)"; bad=1 ;;
		esac
	fi
	err=$(rmdir "$x/queues/q" 2>&1) || { echo "# then rmdir of the queue: $err"; bad=1; }
	err=$(rmdir "$x" 2>&1) || { echo "# then rmdir of the domain: $err"; bad=1; }
	[ "$(snap)" = "$before" ] || { echo "# avail_resources now: $(echo $(snap))"; bad=1; }
	teardown "$x" 2>/dev/null
	check $bad "$bdf rmdir of a linked LDB port is EBUSY or unlinks; then the queue and domain go, nothing held"
}

bdfs=$(expected_bdfs hlb)
plan $(($(echo "$bdfs" | wc -w) * 19))
for bdf in $bdfs; do
	sys=/sys/bus/pci/devices/$bdf
	d=$cfgroot/$bdf/domains/e10
	[ -d "$cfgroot/$bdf" ] || mkdir "$cfgroot/$bdf"
	teardown "$d"
	teardown "$cfgroot/$bdf/domains/e10s"
	avail0=$(snap)
	build || echo "# $bdf: building the domain failed; the cases below may fail for it"
	committed_cases
	staged_cases
	started_cases
	reset_cases
	teardown "$d"
	[ ! -d "$d" ] && [ "$(snap)" = "$avail0" ]
	check $? "$bdf after teardown the domain is gone and avail_resources is as before"
	linked_port_case
done
echo "# $(basename "$0"): $(($(date +%s) - t0)) s"
finish

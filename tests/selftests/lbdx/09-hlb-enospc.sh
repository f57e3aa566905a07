#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Resource exhaustion on every HLB (Documentation/ABI/testing/
# configfs-lbdx-hlb, sysfs-driver-lbdx-hlb): a commit that asks for more
# than is left fails with ENOSPC and reserves nothing (no avail_resources
# file moves).
#
# Device level: one domain takes all of a resource (domains: as many empty
# domains as the device has), a second asking for one more fails; the
# history list also when fragmented (free space enough in sum, no gap big
# enough). Domain level: a domain's queues, ports of a class, DIR ports,
# history-list block (a port's hist_list_size), atomic in-flights, and the
# device's sequence-number groups run out for the next object's commit.
# Each case cleans up; at the end avail_resources equals total_resources.
# The amounts come from sysfs, never from one device's constants.

. "$LBDX_SHARE/selftests/lib.sh"

cfgroot=/sys/kernel/config/lbdx

# avail NAME / tot NAME: the current device's free and total counts.
avail() { cat "$sys/avail_resources/$1"; }
tot() { cat "$sys/total_resources/$1"; }
# nospc_unchanged FILE: writing 1 to the commit FILE fails with ENOSPC and
# leaves every avail_resources file as it was; the object stays staged.
nospc_unchanged() {
	local before after
	before=$(snap)
	expect_err "No space left on device" "$1" 1 || return 1
	after=$(snap)
	if [ "$before" != "$after" ]; then
		echo "# avail_resources before the failed commit: $(echo $before)"
		echo "# avail_resources after the failed commit:  $(echo $after)"
		return 1
	fi
	[ "$(cat "${1%/commit}/state")" = staged ] ||
		{ echo "# ${1%/commit} is $(cat "${1%/commit}/state") after a failed commit"; return 1; }
}

# mkdom NAME [ATTR=VALUE...]: makes domain NAME with those num_* values.
mkdom() {
	local d=$doms/$1 kv
	shift
	mkdir "$d" || { echo "# mkdir $d failed"; return 1; }
	for kv; do expect_ok "$d/${kv%%=*}" "${kv#*=}" || return 1; done
}

# cleanup: removes every domain of this test; says so if avail_resources
# did not come back to what it was when the test began.
cleanup() {
	local d
	for d in "$doms"/e09*; do [ -d "$d" ] && teardown "$d"; done
	[ "$(snap)" = "$avail0" ] || echo "# cleanup left avail_resources at $(echo $(snap))"
}

# domain_case RESOURCE ATTR: domain e09a takes all that is free of RESOURCE
# (commit ok, nothing left), e09b asking ATTR=1 fails with ENOSPC.
domain_case() {
	local res=$1 attr=$2 n bad=0
	n=$(avail "$res")
	mkdom e09a "$attr=$n" && expect_ok "$doms/e09a/commit" 1 || bad=1
	[ "$(avail "$res")" = 0 ] || { echo "# avail $res is $(avail "$res") with all of it reserved"; bad=1; }
	mkdom e09b "$attr=1" && nospc_unchanged "$doms/e09b/commit" || bad=1
	cleanup
	check $bad "$bdf $res: all $n in one domain, a domain asking 1 more is ENOSPC, avail unchanged"
}

# domains_case: as many empty domains as are free commit; the next is ENOSPC.
domains_case() {
	local n i bad=0
	n=$(avail domains)
	[ "$n" = "$(tot domains)" ] || echo "# only $n of $(tot domains) domains free at the start"
	i=0
	while [ $i -lt "$n" ]; do
		mkdom "e09d$i" && expect_ok "$doms/e09d$i/commit" 1 || { bad=1; break; }
		i=$((i + 1))
	done
	[ "$(avail domains)" = 0 ] || { echo "# avail domains is $(avail domains)"; bad=1; }
	mkdom e09x && nospc_unchanged "$doms/e09x/commit" || bad=1
	cleanup
	check $bad "$bdf domains: $n empty domains commit, one more is ENOSPC, avail unchanged"
}

# hist_fragment_case: three blocks of a quarter each, the middle one freed:
# free entries are enough in sum for max_contiguous + 1 but no gap is, so
# that request is ENOSPC; max_contiguous itself still fits.
hist_fragment_case() {
	local h q free big b bad=0
	h=$(avail hist_list_entries)
	q=$((h / 4))
	for b in a b c; do
		mkdom "e09$b" num_hist_list_entries=$q && expect_ok "$doms/e09$b/commit" 1 || bad=1
	done
	expect_ok "$doms/e09b/commit" 0 || bad=1
	free=$(avail hist_list_entries)
	big=$(avail max_contiguous_hist_list_entries)
	[ "$free" = $((h - 2 * q)) ] || { echo "# avail hist_list_entries $free, want $((h - 2 * q))"; bad=1; }
	if [ "$big" -ge "$free" ]; then
		echo "# not fragmented: max_contiguous $big, free $free (blocks placed apart?)"
		bad=1
	fi
	[ "$big" -ge "$q" ] || { echo "# max_contiguous $big, less than the freed block $q"; bad=1; }
	mkdom e09x num_hist_list_entries=$((big + 1)) && nospc_unchanged "$doms/e09x/commit" || bad=1
	expect_ok "$doms/e09x/num_hist_list_entries" "$big" && expect_ok "$doms/e09x/commit" 1 || bad=1
	[ "$(avail hist_list_entries)" = $((free - big)) ] ||
		{ echo "# avail hist_list_entries $(avail hist_list_entries) after taking $big of $free"; bad=1; }
	cleanup
	check $bad "$bdf hist_list_entries fragmented: $((big + 1)) of $free free but no such gap is ENOSPC"
}

# obj_domain ATTR=VALUE...: a committed domain e09o with those values.
obj_domain() {
	mkdom e09o "$@" && expect_ok "$doms/e09o/commit" 1
}

queue_case() {
	local d=$doms/e09o bad=0
	obj_domain num_ldb_queues=1 || bad=1
	mkobj "$d/queues/q1" && expect_ok "$d/queues/q1/commit" 1 || bad=1
	mkobj "$d/queues/q2" && nospc_unchanged "$d/queues/q2/commit" || bad=1
	cleanup
	check $bad "$bdf domain with 1 LDB queue: a second queue's commit is ENOSPC"
}

port_class_case() {
	local d=$doms/e09o bad=0 cls
	cls=$(tot ldb_port_cos)
	obj_domain num_ldb_ports_cos0=1 num_hist_list_entries=256 || bad=1
	mkobj "$d/ldb_ports/p1" && expect_ok "$d/ldb_ports/p1/commit" 1 || bad=1
	mkobj "$d/ldb_ports/p2" && nospc_unchanged "$d/ldb_ports/p2/commit" || bad=1
	if [ "$cls" -gt 1 ]; then
		mkobj "$d/ldb_ports/p3" cos=1 && nospc_unchanged "$d/ldb_ports/p3/commit" || bad=1
	fi
	cleanup
	check $bad "$bdf domain with 1 LDB port of class 0: a second port of class 0 (and one of class 1) is ENOSPC"
}

dir_port_case() {
	local d=$doms/e09o bad=0
	obj_domain num_dir_ports=1 || bad=1
	mkobj "$d/dir_ports/d1" && expect_ok "$d/dir_ports/d1/commit" 1 || bad=1
	mkobj "$d/dir_ports/d2" && nospc_unchanged "$d/dir_ports/d2/commit" || bad=1
	cleanup
	check $bad "$bdf domain with 1 DIR port: a second DIR port's commit is ENOSPC"
}

# A block of 64 entries: a port asking 128 does not fit; one of 64 does and
# then fills it, so the next port does not fit either.
hist_port_case() {
	local d=$doms/e09o bad=0
	obj_domain num_ldb_ports_cos0=2 num_hist_list_entries=64 || bad=1
	mkobj "$d/ldb_ports/p1" cq_depth=64 hist_list_size=128 &&
		nospc_unchanged "$d/ldb_ports/p1/commit" || bad=1
	expect_ok "$d/ldb_ports/p1/hist_list_size" 64 && expect_ok "$d/ldb_ports/p1/commit" 1 || bad=1
	mkobj "$d/ldb_ports/p2" cq_depth=8 && nospc_unchanged "$d/ldb_ports/p2/commit" || bad=1
	cleanup
	check $bad "$bdf domain with 64 history-list entries: ports asking more than is left are ENOSPC"
}

atomic_case() {
	local d=$doms/e09o bad=0
	obj_domain num_ldb_queues=2 num_atomic_inflights=32 || bad=1
	mkobj "$d/queues/q1" atomic_inflights=33 && nospc_unchanged "$d/queues/q1/commit" || bad=1
	expect_ok "$d/queues/q1/atomic_inflights" 32 && expect_ok "$d/queues/q1/commit" 1 || bad=1
	mkobj "$d/queues/q2" atomic_inflights=1 && nospc_unchanged "$d/queues/q2/commit" || bad=1
	expect_ok "$d/queues/q2/atomic_inflights" 0 && expect_ok "$d/queues/q2/commit" 1 || bad=1
	cleanup
	check $bad "$bdf domain with 32 atomic in-flights: queues asking more than is left are ENOSPC"
}

# Ordered queues of the largest size: sn_groups groups of
# sn_per_group / size queues fit; the next is ENOSPC (an unordered queue
# still commits). Skipped if the device has too few LDB queues for it.
sn_case() {
	local d=$doms/e09o bad=0 groups per mode slots n i
	groups=$(tot sn_groups)
	per=$(tot sn_per_group)
	mode=1024
	while [ $mode -gt 64 ] && [ $((per / mode)) -eq 0 ]; do mode=$((mode / 2)); done
	slots=$((per / mode))
	[ $slots -gt 64 ] && slots=64
	n=$((groups * slots))
	if [ $n -eq 0 ] || [ $((n + 1)) -gt "$(avail ldb_queues)" ]; then
		ok "# SKIP $bdf: $n ordered queues of $mode fill the SN groups, more than the device's queues"
		return
	fi
	obj_domain num_ldb_queues=$((n + 1)) || bad=1
	i=0
	while [ $i -lt $n ]; do
		mkobj "$d/queues/q$i" sequence_numbers=$mode && expect_ok "$d/queues/q$i/commit" 1 || bad=1
		i=$((i + 1))
	done
	mkobj "$d/queues/qx" sequence_numbers=$mode && nospc_unchanged "$d/queues/qx/commit" || bad=1
	expect_ok "$d/queues/qx/sequence_numbers" 0 && expect_ok "$d/queues/qx/commit" 1 || bad=1
	cleanup
	check $bad "$bdf $n ordered queues of $mode sequence numbers fill $groups SN groups; the next is ENOSPC"
}

# final_case: avail_resources equals total_resources, file by file.
final_case() {
	local r bad=0 sum=0 c
	for r in domains ldb_queues ldb_ports dir_ports ldb_credits dir_credits hist_list_entries \
		atomic_inflights; do
		[ "$(avail $r)" = "$(tot $r)" ] || { echo "# $r: avail $(avail $r), total $(tot $r)"; bad=1; }
	done
	[ "$(avail max_contiguous_hist_list_entries)" = "$(tot hist_list_entries)" ] ||
		{ echo "# max_contiguous_hist_list_entries $(avail max_contiguous_hist_list_entries)"; bad=1; }
	for c in 0 1 2 3; do sum=$((sum + $(avail ldb_ports_cos$c))); done
	[ $sum = "$(tot ldb_ports)" ] || { echo "# ldb_ports_cos0..3 add up to $sum"; bad=1; }
	[ "$(snap)" = "$avail0" ] || { echo "# avail_resources differs from the start"; bad=1; }
	check $bad "$bdf avail_resources equals total_resources at the end"
}

t0=$(date +%s)
bdfs=$(expected_bdfs hlb)
plan $(($(echo "$bdfs" | wc -w) * 17))
for bdf in $bdfs; do
	sys=/sys/bus/pci/devices/$bdf
	doms=$cfgroot/$bdf/domains
	[ -d "$cfgroot/$bdf" ] || mkdir "$cfgroot/$bdf"
	avail0=$(snap)
	domains_case
	domain_case ldb_queues num_ldb_queues
	domain_case ldb_ports_cos0 num_ldb_ports_cos0
	if [ "$(tot ldb_port_cos)" -gt 1 ]; then
		domain_case ldb_ports_cos1 num_ldb_ports_cos1
	else
		ok "# SKIP $bdf has one class of service"
	fi
	domain_case dir_ports num_dir_ports
	domain_case ldb_credits num_ldb_credits
	domain_case dir_credits num_dir_credits
	domain_case hist_list_entries num_hist_list_entries
	hist_fragment_case
	domain_case atomic_inflights num_atomic_inflights
	queue_case
	port_class_case
	dir_port_case
	hist_port_case
	atomic_case
	sn_case
	final_case
done
echo "# $(basename "$0"): $(($(date +%s) - t0)) s"
finish

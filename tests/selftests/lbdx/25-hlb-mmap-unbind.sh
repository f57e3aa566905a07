#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# CQ mmap() racing the HLB's unbind (issue 10 item 3), on the first HLB of
# minor version 1, for $LBDX_MMAP_ROUNDS rounds (default 20; about 2 s each
# on the guest kernel), starting no new round after $LBDX_MMAP_SECS seconds
# (default 90: the debug kernel takes about 35 s a round). Each round
# makes $DOMAINS domains of one DIR port each and, per domain, runs
# "hlb-dptest mapstorm": $PROCS processes sharing one file that map,
# touch and unmap the port's CQ ring in a tight loop (on CPU 0 when there
# are two CPUs), while the HLB is unbound (from CPU 1). Every domain's
# removal is one chance for an mmap() to be between the driver's mmap
# handler and the kernel linking the new VMA into the file's i_mmap tree,
# where the removal's unmap_mapping_range() cannot see it. A worker ends
# when mmap() fails with ENODEV (the removal finished): the mapping it
# made last must then raise SIGBUS. Proves, over all rounds, that
#  - no mapping survives the removal (every worker ends by SIGBUS, or had
#    not mapped yet; "still readable" is the bug: pages the driver frees
#    at unbind stayed mapped);
#  - the node goes, the removed trees can be taken down, and the HLB binds
#    again with everything free;
#  - the kernel logs no oops, BUG, KASAN report, "Bad page" or warning.
# The counts of mappings and of SIGBUS ends are printed as diagnostics.

. "$LBDX_SHARE/selftests/lib.sh"

CFG=/sys/kernel/config/lbdx
rounds=${LBDX_MMAP_ROUNDS:-20}
secs=${LBDX_MMAP_SECS:-90}
DOMAINS=3
PROCS=3
out=/tmp/lbdx-mmap-unbind
plan 5

bdf=
for b in $(expected_bdfs hlb); do
	no_data_plane "$b" || { bdf=$b; break; }
done
if [ -z "$bdf" ]; then
	skip 5 "no HLB with a data plane"
	finish
	exit
fi
# Mappers on CPU 0, the unbind on CPU 1: they really run at once.
map_on= unbind_on=
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
	map_on="taskset -c 0"
	unbind_on="taskset -c 1"
fi
rm -rf "$out"
mkdir -p "$out"
kmsg_mark "25-hlb-mmap-unbind"

# make_domain NAME: a started domain with one DIR port, dp0.
make_domain() {
	local d=$CFG/$bdf/domains/$1 kv
	mkdir "$d" || return 1
	for kv in num_dir_ports=1 num_dir_credits=32 commit=1; do
		expect_ok "$d/${kv%%=*}" "${kv#*=}" || return 1
	done
	mkobj "$d/dir_ports/dp0" cq_depth=8 commit=1 && expect_ok "$d/start" 1
}

made=0 ready=0 verdicts=0 gone=0 rebound=0 maps=0 sigbus=0 early=0
start=$(date +%s)
r=1
while [ $r -le "$rounds" ]; do
	if [ $(($(date +%s) - start)) -ge "$secs" ]; then
		echo "# $secs s passed: no round after round $((r - 1))"
		rounds=$((r - 1))
		break
	fi
	ok_made=1 ok_ready=1 ok_verdict=1 ok_gone=1
	[ -d "$CFG/$bdf" ] || mkdir "$CFG/$bdf"
	pids=
	k=1
	while [ $k -le $DOMAINS ]; do
		if ! make_domain "m$k"; then
			ok_made=0
			break
		fi
		id=$(cat "$CFG/$bdf/domains/m$k/dir_ports/dp0/id")
		$map_on hlb-dptest mapstorm --dev "/dev/lbdx/$bdf/m$k" --dir "$id" \
			--procs $PROCS >"$out/$r.$k" 2>&1 &
		pids="$pids $!"
		k=$((k + 1))
	done
	for f in "$out/$r".*; do
		i=0
		while ! grep -q '^# ready' "$f" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
		grep -q '^# ready' "$f" || { ok_ready=0; echo "# round $r $f: not ready: $(cat "$f")"; }
	done
	$unbind_on sh -c "echo $bdf >/sys/bus/pci/drivers/lbdx_hlb/unbind"
	for p in $pids; do
		wait "$p" || ok_verdict=0
	done
	for f in "$out/$r".*; do
		set -- $(sed -n 's/^# mapstorm: \([0-9]*\) mappings.*SIGBUS \([0-9]*\), removed before mapping \([0-9]*\),.*/\1 \2 \3/p' "$f")
		maps=$((maps + ${1:-0})) sigbus=$((sigbus + ${2:-0})) early=$((early + ${3:-0}))
		grep -q 'still readable\|ended otherwise\|mmap:' "$f" && ok_verdict=0
	done
	[ $ok_verdict = 1 ] || sed "s/^# /# round $r: /" "$out/$r".*
	k=1
	while [ $k -le $DOMAINS ]; do
		d=$CFG/$bdf/domains/m$k
		if [ -d "$d" ]; then
			[ ! -e "/dev/lbdx/$bdf/m$k" ] && [ "$(cat "$d/state")" = removed ] || ok_gone=0
			teardown "$d" || ok_gone=0
		fi
		k=$((k + 1))
	done
	rmdir "$CFG/$bdf" || ok_gone=0
	echo "$bdf" >/sys/bus/pci/drivers/lbdx_hlb/bind
	if bound_to "$bdf" lbdx_hlb && avail_equals_total "$bdf"; then
		rebound=$((rebound + 1))
	else
		echo "# round $r: $bdf did not bind again with everything free"
	fi
	made=$((made + ok_made)) ready=$((ready + ok_ready))
	verdicts=$((verdicts + ok_verdict)) gone=$((gone + ok_gone))
	r=$((r + 1))
done

echo "# $rounds rounds in $(($(date +%s) - start)) s, $DOMAINS domains x $PROCS mappers each: $maps CQ mappings," \
	"$sigbus mappers ended by SIGBUS, $early removed before their first mapping"
[ $made = "$rounds" ] && [ $ready = "$rounds" ]
check $? "$bdf domains made, mappers running in every round" "made $made, ready $ready of $rounds"
[ $verdicts = "$rounds" ]
check $? "$bdf no CQ mapping readable after the removal (SIGBUS)" "$verdicts of $rounds rounds clean"
[ $gone = "$rounds" ]
check $? "$bdf nodes gone, removed trees taken down" "$gone of $rounds rounds"
[ $rebound = "$rounds" ]
check $? "$bdf binds again with everything free" "$rebound of $rounds rounds"
log=$(since_mark | grep -E 'BUG|Oops|KASAN|Bad page|WARNING|general protection|use-after-free')
[ -z "$log" ]
check $? "kernel log: no oops, BUG, KASAN, Bad page or warning" "$log"
rm -rf "$out"
finish

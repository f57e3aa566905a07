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
# made last must then raise SIGBUS. Each mapstorm prints one summary line
# whose counts of its workers' ends add up: by SIGBUS (the expected end),
# removed before mapping (the device went before the worker's first
# mmap(), or before mapstorm's own open() or ATTACH: node gone, ENOENT,
# ENXIO or ENODEV; legitimate, counted), still readable (the bug) and
# otherwise (any other errno or end: a failure, described in its output).
# Its exit status says the same: 0, 1 (still readable) or 2 (otherwise).
# Proves, over all rounds, that
#  - every mapstorm was running (its workers had mapped) before the
#    unbind;
#  - every worker's end is one of SIGBUS, before its first mapping or
#    still readable, with no unexpected error, and the counts add up;
#  - no mapping survives the removal (none "still readable": pages the
#    driver frees at unbind stayed mapped);
#  - the node goes, the removed trees can be taken down, and the HLB binds
#    again with everything free;
#  - the kernel logs no oops, BUG, KASAN report, "Bad page" or warning.
# The counts are printed as diagnostics.
#
# Harness races avoided: each mapstorm's output file is made here before
# the mapstorm starts and is waited for by name (a glob could miss a file
# the background job had not created yet, and the unbind then came before
# that mapstorm had even opened the node); the device is bound again only
# after every mapstorm of the round has been waited for, and mapstorm
# reaps its workers before it exits (they also die with it), so no process
# of a round can open or map the nodes the rebind makes for the next one.

. "$LBDX_SHARE/selftests/lib.sh"

CFG=/sys/kernel/config/lbdx
rounds=${LBDX_MMAP_ROUNDS:-20}
secs=${LBDX_MMAP_SECS:-90}
DOMAINS=3
PROCS=3
out=/tmp/lbdx-mmap-unbind
plan 6

bdf=
for b in $(expected_bdfs hlb); do
	no_data_plane "$b" || { bdf=$b; break; }
done
if [ -z "$bdf" ]; then
	skip 6 "no HLB with a data plane"
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

# The summary line of a mapstorm (FILE) as "MAPS PROCS SIGBUS EARLY
# READABLE OTHER"; nothing if it has none.
summary() {
	sed -n 's/^# mapstorm: \([0-9]*\) mappings by \([0-9]*\) workers; ended by SIGBUS \([0-9]*\), removed before mapping \([0-9]*\), still readable \([0-9]*\), otherwise \([0-9]*\).*/\1 \2 \3 \4 \5 \6/p' "$1"
}

made=0 ready=0 ends=0 verdicts=0 gone=0 rebound=0
maps=0 sigbus=0 early=0 at_open=0 readable=0 other=0
start=$(date +%s)
r=1
while [ $r -le "$rounds" ]; do
	if [ $(($(date +%s) - start)) -ge "$secs" ]; then
		echo "# $secs s passed: no round after round $((r - 1))"
		rounds=$((r - 1))
		break
	fi
	ok_made=1 ok_ready=1 ok_ends=1 ok_verdict=1 ok_gone=1
	[ -d "$CFG/$bdf" ] || mkdir "$CFG/$bdf"
	pids= files=
	k=1
	while [ $k -le $DOMAINS ]; do
		if ! make_domain "m$k"; then
			ok_made=0
			break
		fi
		id=$(cat "$CFG/$bdf/domains/m$k/dir_ports/dp0/id")
		f=$out/$r.$k
		: >"$f"
		$map_on hlb-dptest mapstorm --dev "/dev/lbdx/$bdf/m$k" --dir "$id" \
			--procs $PROCS >"$f" 2>&1 &
		pids="$pids $!" files="$files $f"
		k=$((k + 1))
	done
	# Every mapstorm of the round, by name: ready (its workers mapped),
	# or ended early (a summary without "ready": an error, said there).
	for f in $files; do
		i=0
		while ! grep -q -e '^# ready' -e '^# mapstorm:' "$f" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
		grep -q '^# ready' "$f" || { ok_ready=0; echo "# round $r $f: not ready: $(cat "$f")"; }
	done
	$unbind_on sh -c "echo $bdf >/sys/bus/pci/drivers/lbdx_hlb/unbind"
	set -- $files
	for p in $pids; do
		f=$1
		shift
		wait "$p"
		st=$?
		case $st in
		0) ;;
		1) ok_verdict=0 ;;
		*) ok_ends=0 ;;
		esac
		s=$(summary "$f")
		if [ "$(summary "$f" | wc -l | tr -d ' ')" != 1 ]; then
			echo "# round $r $f: exit $st, no single summary line"
			ok_ends=0
			continue
		fi
		set -- $s "$@"
		# MAPS PROCS SIGBUS EARLY READABLE OTHER, then the files left.
		maps=$((maps + $1)) sigbus=$((sigbus + $3)) early=$((early + $4))
		readable=$((readable + $5)) other=$((other + $6))
		[ "$5" -eq 0 ] || ok_verdict=0
		if [ "$6" -ne 0 ] || [ "$2" -ne $PROCS ] || [ $(($3 + $4 + $5 + $6)) -ne "$2" ]; then
			echo "# round $r $f: exit $st, ends do not add up to $PROCS workers or some ended otherwise"
			ok_ends=0
		fi
		# Exit 0 exactly when every worker ended by SIGBUS or before mapping.
		[ $(($5 + $6 == 0)) = $((st == 0)) ] || { echo "# round $r $f: exit $st disagrees with its summary"; ok_ends=0; }
		grep -q '; device gone before' "$f" && at_open=$((at_open + 1))
		shift 6
	done
	[ $ok_verdict = 1 ] && [ $ok_ends = 1 ] || for f in $files; do sed "s|^# |# round $r ${f##*/}: |" "$f"; done
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
	made=$((made + ok_made)) ready=$((ready + ok_ready)) ends=$((ends + ok_ends))
	verdicts=$((verdicts + ok_verdict)) gone=$((gone + ok_gone))
	r=$((r + 1))
done

echo "# $rounds rounds in $(($(date +%s) - start)) s, $DOMAINS domains x $PROCS mappers each: $maps CQ mappings;" \
	"mappers ended by SIGBUS $sigbus, removed before mapping $early ($at_open mapstorms found the device gone at open or ATTACH)," \
	"still readable $readable, otherwise $other"
[ $made = "$rounds" ] && [ $ready = "$rounds" ]
check $? "$bdf domains made, mappers running in every round" "made $made, ready $ready of $rounds"
[ $ends = "$rounds" ]
check $? "$bdf every mapper's end accounted for, none unexpected (errno, signal, timeout)" "$ends of $rounds rounds clean, $other ended otherwise"
[ $verdicts = "$rounds" ] && [ $readable = 0 ]
check $? "$bdf no CQ mapping readable after the removal (SIGBUS)" "$verdicts of $rounds rounds clean, $readable still readable"
[ $gone = "$rounds" ]
check $? "$bdf nodes gone, removed trees taken down" "$gone of $rounds rounds"
[ $rebound = "$rounds" ]
check $? "$bdf binds again with everything free" "$rebound of $rounds rounds"
log=$(since_mark | grep -E 'BUG|Oops|KASAN|Bad page|WARNING|general protection|use-after-free')
[ -z "$log" ]
check $? "kernel log: no oops, BUG, KASAN, Bad page or warning" "$log"
rm -rf "$out"
finish

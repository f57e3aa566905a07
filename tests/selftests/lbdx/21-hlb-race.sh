#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Concurrent writers on one domain, as two operators' scripts running at
# once would be: for $LBDX_RACE_SECS seconds (default 20) on the first HLB,
#   start   writes 1 then 0 to the domain's start;
#   queue   makes, commits and removes a queue (mkdir, commit, rmdir);
#   link    links and unlinks that queue to an LDB port;
#   port    makes, commits and removes a DIR port;
#   reset   resets the domain now and then and commits it and its ports
#           again;
# and then, with the writers still going, the HLB is unbound (every write
# after that fails with ENODEV) and the writers stop. Proves that
#  - nothing oopses (the runner's console check: a start that pinned a
#    queue rmdir had already unlinked dereferenced its missing parent);
#  - every write succeeds or fails with an errno the ABI names for it
#    (EBUSY, ENOENT, EINVAL, EEXIST, ENOSPC; ENODEV once unbound);
#  - a refused start leaves the domain not started, a refused link of an
#    unlinked queue leaves it unlinked (only one writer does each);
#  - the removed tree can be taken down, the HLB binds again, and then
#    avail_resources equals total_resources.
# The counts of each outcome are printed as diagnostics.

. "$LBDX_SHARE/selftests/lib.sh"

cfgroot=/sys/kernel/config/lbdx
secs=${LBDX_RACE_SECS:-20}
bdf=$(expected_bdfs hlb | head -n 1)
r=$cfgroot/$bdf/domains/race
out=/tmp/lbdx-race
plan 6

[ -d "$cfgroot/$bdf" ] || mkdir "$cfgroot/$bdf"
teardown "$r" 2>/dev/null
rm -rf "$out"
mkdir -p "$out"

setup() {
	mkdir "$r" || return 1
	for kv in num_ldb_queues=2 num_ldb_ports_cos0=1 num_dir_ports=2 num_ldb_credits=64 \
		num_dir_credits=64 num_hist_list_entries=64 num_atomic_inflights=64; do
		expect_ok "$r/${kv%%=*}" "${kv#*=}" || return 1
	done
	expect_ok "$r/commit" 1 && mkobj "$r/queues/q0" && mkobj "$r/ldb_ports/p" &&
		mkobj "$r/dir_ports/dp" && expect_ok "$r/queues/q0/commit" 1 &&
		expect_ok "$r/ldb_ports/p/commit" 1 && expect_ok "$r/dir_ports/dp/commit" 1
}
setup
check $? "$bdf the domain the writers share is made"

# outcome NAME STATUS: counts the last operation's outcome for writer
# NAME in its own file ($err holds the message of a failed write).
outcome() {
	local what=ok
	if [ "$2" -ne 0 ]; then
		case $err in
		*"Device or resource busy"*) what=EBUSY ;;
		*"No such file or directory"* | *"nonexistent directory"*) what=ENOENT ;;
		*"Invalid argument"*) what=EINVAL ;;
		*"File exists"*) what=EEXIST ;;
		*"No space left on device"*) what=ENOSPC ;;
		*"No such device"*) what=ENODEV ;;
		*) what="other:$err" ;;
		esac
	fi
	echo "$what" >>"$out/$1"
}

# op NAME FILE VALUE, opdir NAME mkdir|rmdir DIR: one operation of
# writer NAME, counted; the status is the operation's, the message of a
# failure in $err (each writer has its own file for it).
op() {
	local rc=0
	{ echo "$3" >"$2"; } 2>"$out/$1.err" || rc=1
	err=
	[ $rc -eq 0 ] || read -r err <"$out/$1.err"
	outcome "$1" $rc
	return $rc
}
opdir() {
	err=$($2 "$3" 2>&1)
	local rc=$?
	outcome "$1" $rc
	return $rc
}

running() { [ ! -e "$out/halt" ]; }

w_start() {
	while running; do
		# Only this writer starts the domain: a refused start must have
		# left it not started.
		op start "$r/start" 1 || [ "$(cat "$r/state" 2>/dev/null)" != started ] ||
			echo "refused start ($err) left the domain started" >>"$out/broken"
		op stop "$r/start" 0
	done
}
w_queue() {
	while running; do
		opdir queue mkdir "$r/queues/q"
		op queue "$r/queues/q/commit" 1
		opdir queue rmdir "$r/queues/q"
	done
}
w_link() {
	while running; do
		# Only this writer links q: a refused link of an unlinked q must
		# have left it unlinked.
		linked() { grep -q '^q ' "$r/ldb_ports/p/links" 2>/dev/null; }
		if ! linked && ! op link "$r/ldb_ports/p/links" "q 0" && linked; then
			echo "refused link ($err) left q linked" >>"$out/broken"
		fi
		op link "$r/ldb_ports/p/links" "-q"
	done
}
w_port() {
	while running; do
		opdir port mkdir "$r/dir_ports/x"
		op port "$r/dir_ports/x/commit" 1
		opdir port rmdir "$r/dir_ports/x"
	done
}
w_reset() {
	while running; do
		sleep 1
		op reset "$r/reset" 1
		op reset "$r/commit" 1
		for o in queues/q0 ldb_ports/p dir_ports/dp; do op reset "$r/$o/commit" 1; done
	done
}

kmsg_mark "21-hlb-race: writers on $r for $secs s"
pids=
for w in w_start w_queue w_link w_port w_reset; do
	{
		$w
		echo "$w ended" >>"$out/ended"
	} &
	pids="$pids $!"
done
sleep "$secs"
echo "$bdf" >/sys/bus/pci/drivers/lbdx_hlb/unbind
unbound=$?
sleep 2
touch "$out/halt"
wait $pids

# Every outcome, per writer, as diagnostics; any errno the ABI does not
# name (before the unbind: ENODEV too) fails the test.
bad=0
for f in start stop queue link port reset; do
	[ -f "$out/$f" ] || continue
	echo "# $f: $(sort "$out/$f" | uniq -c | awk '{ printf "%s %s, ", $2, $1 }')"
	grep -q '^other:' "$out/$f" && { grep -m 3 '^other:' "$out/$f" | sed 's/^/# /'; bad=1; }
done
check $bad "$bdf every write succeeded or failed with an errno the ABI names"

[ ! -e "$out/broken" ]
check $? "$bdf no refused start or link changed anything" "$(head -n 3 "$out/broken" 2>/dev/null)"

n_starts=$(grep -c '^ok$' "$out/start" 2>/dev/null)
n_queues=$(grep -c '^ok$' "$out/queue" 2>/dev/null)
[ "${n_starts:-0}" -gt 0 ] && [ "${n_queues:-0}" -gt 0 ]
check $? "$bdf the writers raced for real ($n_starts starts, $n_queues queue steps succeeded)"

[ $unbound -eq 0 ] && [ "$(cat "$r/state")" = removed ]
check $? "$bdf unbound under the writers, the domain reads removed" "unbind status $unbound, state $(cat "$r/state" 2>/dev/null)"

teardown "$r" && rmdir "$cfgroot/$bdf" && echo "$bdf" >/sys/bus/pci/drivers/lbdx_hlb/bind &&
	avail_equals_total "$bdf"
check $? "$bdf the removed tree comes down, the HLB binds again with everything free"

finish

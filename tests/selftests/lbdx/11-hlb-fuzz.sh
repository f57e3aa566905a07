#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Random operations on the configfs trees of every HLB (Documentation/ABI/
# testing/configfs-lbdx-hlb): make and remove domains (at most 3 per HLB),
# set num_* (mostly small, sometimes large or one past the total), commit
# and uncommit, start, stop and reset them; make and remove queues and
# ports with random valid attributes, commit and uncommit them, link and
# unlink them with random priorities, and write some garbage. Proves that
#  - every operation succeeds or fails with an error the ABI names for it:
#    ENOSPC, EBUSY, ENOENT, EINVAL, and EEXIST (a link that exists) or
#    ENOTEMPTY (rmdir of a domain with objects); anything else (EIO: the
#    device refused what the driver programmed, ENOMEM, ...) is a bug;
#  - every 100 operations, no avail_resources file exceeds its total (and
#    the per-class and history-list numbers are consistent) and every
#    state file reads a value the ABI names;
#  - after stopping, unlinking and removing everything, avail_resources
#    equals total_resources on every HLB.
# The sequence is a function of the seed ($LBDX_FUZZ_SEED, else the time),
# printed first as "# seed N": rerun with it to replay a failure.
# $LBDX_FUZZ_OPS sets the number of operations (default 2500). Each
# operation and each error is logged to the kernel log ("lbdx-fuzz N: ..."),
# so the console shows what led to an oops.

. "$LBDX_SHARE/selftests/lib.sh"

seed=${LBDX_FUZZ_SEED:-$(date +%s)}
echo "# seed $seed"
OPS=${LBDX_FUZZ_OPS:-2500}
cfgroot=/sys/kernel/config/lbdx
bdfs=$(expected_bdfs hlb)
ndev=$(echo $bdfs | wc -w)
plan $((2 + ndev))

# --- randomness: a 31-bit LCG in shell arithmetic (no fork, no $RANDOM) ---
rng=$((seed % 2147483648))

# rnd N: sets $r to the next pseudo-random number in 0..N-1.
rnd() {
	rng=$(((rng * 1103515245 + 12345) % 2147483648))
	r=$(((rng >> 8) % $1))
}

# pick WORD...: sets $v to one of the words.
pick() {
	rnd $#
	shift $r
	v=$1
}

# tot NAME: sets $tv to the current HLB's total of NAME.
tot() { read -r tv <"/sys/bus/pci/devices/$bdf/total_resources/$1"; }

# --- operations and their outcomes ---
nops=0 n_ok=0 n_nospc=0 n_busy=0 n_noent=0 n_inval=0 n_exist=0 n_notempty=0 n_bad=0

wr() { echo "$2" >"$1"; }

# op CMD ARG...: runs one operation (wr FILE VALUE, mkdir DIR, rmdir DIR)
# and counts its outcome; returns its status. Each is logged to the kernel
# log first ("lbdx-fuzz N: ..."), so an oops shows the operations before it.
op() {
	nops=$((nops + 1))
	# The trail in the kernel log shows what led to an oops.
	echo "<7>lbdx-fuzz $nops: $1 ${2#"$cfgroot"/} ${3-}" >/dev/kmsg 2>/dev/null
	if "$@" 2>/tmp/lbdx-fuzz.err; then
		n_ok=$((n_ok + 1))
		case "$1:$2:$3" in
		wr:*/domains/f?/commit:1) c_dom=$((c_dom + 1)) ;;
		wr:*/commit:1) c_obj=$((c_obj + 1)) ;;
		wr:*/links:[!-]*) c_link=$((c_link + 1)) ;;
		wr:*/start:1) c_start=$((c_start + 1)) ;;
		wr:*/reset:1) c_reset=$((c_reset + 1)) ;;
		esac
		return 0
	fi
	read -r err </tmp/lbdx-fuzz.err
	echo "<7>lbdx-fuzz $nops: -> ${err##*: }" >/dev/kmsg 2>/dev/null
	case $err in
	*"No space left on device"*) n_nospc=$((n_nospc + 1)) ;;
	*"Device or resource busy"*) n_busy=$((n_busy + 1)) ;;
	*"No such file or directory"*) n_noent=$((n_noent + 1)) ;;
	*"Invalid argument"*) n_inval=$((n_inval + 1)) ;;
	*"File exists"*)
		case "$1:$2" in
		wr:*/links) n_exist=$((n_exist + 1)) ;;
		*) unexpected "$@" ;;
		esac
		;;
	*"Directory not empty"*)
		case "$1:$2" in
		rmdir:*/domains/f?) n_notempty=$((n_notempty + 1)) ;;
		*) unexpected "$@" ;;
		esac
		;;
	*) unexpected "$@" ;;
	esac
	return 1
}

# unexpected CMD ARG...: reports an operation that failed with an error
# the ABI does not allow there (the kernel log's tail for the first few).
unexpected() {
	n_bad=$((n_bad + 1))
	echo "# op $nops (seed $seed): $*: $err"
	[ $n_bad -le 3 ] && dmesg | tail -n 5 | sed 's/^/#   /'
}

# pick_obj DIR: sets $obj to a random entry of DIR, empty if there is none.
pick_obj() {
	set -- "$1"/*
	if [ -d "$1" ]; then
		rnd $#
		shift $r
		obj=$1
	else
		obj=
	fi
}

# --- domains ---

# new_domain: mkdir $d; mostly also a plausible reservation, often committed.
new_domain() {
	op mkdir "$d" || return
	rnd 8
	[ $r -lt 7 ] || return
	tot ldb_port_cos
	rnd 3 && op wr "$d/num_ldb_queues" $((r + 1))
	rnd 3 && op wr "$d/num_ldb_ports_cos0" $((r + 1))
	rnd 3
	[ $r -eq 0 ] && rnd "$tv" && op wr "$d/num_ldb_ports_cos$r" 1
	rnd 3 && op wr "$d/num_dir_ports" $r
	tot ldb_credits && rnd $((tv / 4)) && op wr "$d/num_ldb_credits" $r
	tot dir_credits && rnd $((tv / 4)) && op wr "$d/num_dir_credits" $r
	pick 64 64 128 && op wr "$d/num_hist_list_entries" "$v"
	rnd 128 && op wr "$d/num_atomic_inflights" $r
	rnd 2
	[ $r -eq 0 ] && op wr "$d/commit" 1
}

# set_num: a num_* value: mostly small, sometimes anything up to the total,
# sometimes one past it (EINVAL).
set_num() {
	local a n
	pick ldb_queues ldb_ports_cos0 ldb_ports_cos1 ldb_ports_cos2 ldb_ports_cos3 dir_ports \
		ldb_credits dir_credits hist_list_entries atomic_inflights
	a=$v
	case $a in ldb_ports_cos*) tot ldb_ports ;; *) tot "$a" ;; esac
	n=$tv
	rnd 10
	if [ $r -lt 7 ]; then
		case $a in
		ldb_credits | dir_credits) rnd $((n / 4)) ;;
		hist_list_entries) rnd 9 && r=$((r * 32)) ;;
		atomic_inflights) rnd 128 ;;
		*) rnd 4 ;;
		esac
	elif [ $r -lt 9 ]; then
		rnd $((n + 1))
	else
		r=$((n + 1))
	fi
	op wr "$d/num_$a" $r
}

# --- queues and ports ---

# obj_attr OBJ: writes one random (valid) attribute value to OBJ.
obj_attr() {
	local a
	case $1 in
	*/queues/*)
		pick sequence_numbers inflight_limit atomic_inflights lock_id_comp depth_threshold
		a=$v
		case $a in
		sequence_numbers) pick 0 0 0 64 128 256 512 1024 ;;
		inflight_limit)
			rnd 8
			if [ $r -lt 7 ]; then rnd 128; else tot hist_list_entries && rnd "$tv"; fi
			v=$((r + 1))
			;;
		atomic_inflights) rnd 3 && [ $r -eq 0 ] && v=0 || { rnd 64 && v=$r; } ;;
		lock_id_comp) pick 0 64 128 256 512 1024 2048 4096 65536 ;;
		depth_threshold) rnd 65536 && v=$r ;;
		esac
		;;
	*/ldb_ports/*)
		pick cq_depth cq_depth hist_list_size cos depth_threshold
		a=$v
		case $a in
		cq_depth) pick 8 16 32 32 64 64 128 1024 ;;
		hist_list_size) pick 0 0 0 64 128 256 ;;
		cos) tot ldb_port_cos && rnd 4 && if [ $r -lt 3 ]; then v=0; else rnd "$tv" && v=$r; fi ;;
		depth_threshold) rnd 65536 && v=$r ;;
		esac
		;;
	*)
		pick cq_depth depth_threshold
		a=$v
		case $a in
		cq_depth) pick 8 16 32 64 64 128 256 1024 ;;
		depth_threshold) rnd 65536 && v=$r ;;
		esac
		;;
	esac
	op wr "$1/$a" "$v"
}

# new_object: mkdir of a queue (q0..q3), LDB port (p0..p3) or DIR port
# (d0..d2) with a few random attributes, often committed; if the name
# exists, one attribute write to it instead.
new_object() {
	local o n
	pick queues:q ldb_ports:p dir_ports:d
	rnd 4
	case $v in
	dir_ports:d) o=$d/dir_ports/d$((r % 3)) ;;
	*) o=$d/${v%:*}/${v#*:}$r ;;
	esac
	if [ -d "$o" ]; then
		obj_attr "$o"
		return
	fi
	op mkdir "$o" || return
	rnd 4
	n=$r
	while [ $n -gt 0 ]; do
		obj_attr "$o"
		n=$((n - 1))
	done
	rnd 3
	[ $r -lt 2 ] && op wr "$o/commit" 1
}

# any_object: sets $obj to a random existing queue or port of $d.
any_object() {
	pick queues ldb_ports dir_ports
	pick_obj "$d/$v"
}

# link: links a random LDB port to a queue of the domain (sometimes to a
# name that may not exist; often committing both ends first, as a user
# would) with a random priority, sometimes one past the last (EINVAL).
link() {
	local p q s
	pick_obj "$d/ldb_ports"
	p=$obj
	[ -n "$p" ] || return 0
	rnd 5
	if [ $r -eq 0 ]; then
		rnd 4 && q=q$r
	else
		pick_obj "$d/queues"
		[ -n "$obj" ] || return 0
		q=${obj##*/}
		rnd 2
		if [ $r -eq 0 ]; then
			read -r s <"$p/state"
			[ "$s" = staged ] && op wr "$p/commit" 1
			read -r s <"$obj/state"
			[ "$s" = staged ] && op wr "$obj/commit" 1
		fi
	fi
	tot priorities
	rnd $((2 * tv + 1))
	op wr "$p/links" "$q $((r < 2 * tv ? r % tv : tv))"
}

# unlink: unlinks a port's first link, sometimes a random name.
unlink() {
	local q
	pick_obj "$d/ldb_ports"
	[ -n "$obj" ] || return 0
	rnd 4
	q=q$r
	[ $r -eq 0 ] || read -r q _ <"$obj/links" || q=q$r
	op wr "$obj/links" "-$q"
}

# garbage: a malformed value to some attribute (EINVAL).
garbage() {
	local f
	any_object
	pick num_ldb_queues num_dir_ports commit start
	f=$d/$v
	[ -n "$obj" ] && rnd 2 && [ $r -eq 0 ] && f=$obj/commit
	pick "" abc -1 1x 0x 99999999999 "1 2"
	op wr "$f" "$v"
}

# teardown DOMAIN: stop, unlink, remove every object, remove the domain,
# each step an operation. Returns non-zero if any step failed.
teardown() {
	local dd=$1 o s fail=0
	read -r s <"$dd/state"
	if [ "$s" = started ]; then op wr "$dd/start" 0 || fail=1; fi
	for o in "$dd"/ldb_ports/*; do
		[ -d "$o" ] || continue
		set -- $(cat "$o/links")
		while [ $# -ge 2 ]; do
			op wr "$o/links" "-$1" || fail=1
			shift 2
		done
	done
	for o in "$dd"/ldb_ports/* "$dd"/queues/* "$dd"/dir_ports/*; do
		[ -d "$o" ] || continue
		op rmdir "$o" || fail=1
	done
	op rmdir "$dd" || fail=1
	return $fail
}

# step: one random operation (a few for new_domain, new_object and
# teardown) on a random domain slot of a random HLB; what is likely depends
# on the domain's state, so that deep states are reached, but every kind
# of operation stays possible in every state.
step() {
	local st
	pick $bdfs
	bdf=$v
	rnd 3
	d=$cfgroot/$bdf/domains/f$r
	if [ ! -d "$d" ]; then
		new_domain
		return
	fi
	read -r st <"$d/state"
	rnd 100
	case $st in
	staged) staged_step ;;
	committed) committed_step ;;
	*) started_step ;;
	esac
}

staged_step() {
	if [ $r -lt 30 ]; then set_num
	elif [ $r -lt 58 ]; then op wr "$d/commit" 1
	elif [ $r -lt 72 ]; then new_object
	elif [ $r -lt 77 ]; then object_op attr
	elif [ $r -lt 81 ]; then object_op commit
	elif [ $r -lt 84 ]; then op wr "$d/start" 1
	elif [ $r -lt 87 ]; then link
	elif [ $r -lt 90 ]; then op rmdir "$d"
	elif [ $r -lt 93 ]; then teardown "$d"
	elif [ $r -lt 96 ]; then op wr "$d/reset" 1
	else garbage
	fi
}

committed_step() {
	if [ $r -lt 20 ]; then new_object
	elif [ $r -lt 40 ]; then object_op commit
	elif [ $r -lt 54 ]; then link
	elif [ $r -lt 59 ]; then unlink
	elif [ $r -lt 64 ]; then object_op attr
	elif [ $r -lt 67 ]; then object_op uncommit
	elif [ $r -lt 70 ]; then object_op rmdir
	elif [ $r -lt 80 ]; then op wr "$d/start" 1
	elif [ $r -lt 83 ]; then op wr "$d/commit" 0
	elif [ $r -lt 86 ]; then op wr "$d/reset" 1
	elif [ $r -lt 88 ]; then teardown "$d"
	elif [ $r -lt 90 ]; then op rmdir "$d"
	elif [ $r -lt 94 ]; then set_num
	else garbage
	fi
}

# A started domain refuses every change (EBUSY); stop and reset work.
started_step() {
	if [ $r -lt 40 ]; then op wr "$d/start" 0
	elif [ $r -lt 50 ]; then op wr "$d/reset" 1
	elif [ $r -lt 58 ]; then link
	elif [ $r -lt 63 ]; then unlink
	elif [ $r -lt 70 ]; then object_op attr
	elif [ $r -lt 76 ]; then object_op commit
	elif [ $r -lt 79 ]; then object_op uncommit
	elif [ $r -lt 84 ]; then object_op rmdir
	elif [ $r -lt 87 ]; then op rmdir "$d"
	elif [ $r -lt 91 ]; then new_object
	elif [ $r -lt 95 ]; then set_num
	else teardown "$d"
	fi
}

# object_op attr|commit|uncommit|rmdir: on a random queue or port of $d.
object_op() {
	any_object
	[ -n "$obj" ] || return 0
	case $1 in
	attr) obj_attr "$obj" ;;
	commit) op wr "$obj/commit" 1 ;;
	uncommit) op wr "$obj/commit" 0 ;;
	rmdir) op rmdir "$obj" ;;
	esac
}

# --- checks ---
inv_bad=0

# invariants: every HLB's avail_resources within its totals and
# consistent; every state file of every domain, queue and port known.
invariants() {
	local b s res a t c sum x st i=0
	for b in $bdfs; do
		i=$((i + 1))
		s=/sys/bus/pci/devices/$b/avail_resources
		for res in domains ldb_queues ldb_ports dir_ports ldb_credits dir_credits \
			hist_list_entries atomic_inflights; do
			read -r a <"$s/$res"
			read -r t <"/sys/bus/pci/devices/$b/total_resources/$res"
			[ "$a" -le "$t" ] 2>/dev/null ||
				{ echo "# after op $nops: $b avail $res '$a' exceeds total $t"; inv_bad=1; }
		done
		read -r a <"$s/hist_list_entries"
		read -r t <"$s/max_contiguous_hist_list_entries"
		[ "$t" -le "$a" ] 2>/dev/null ||
			{ echo "# after op $nops: $b max_contiguous $t > avail hist_list_entries $a"; inv_bad=1; }
		sum=0
		for c in 0 1 2 3; do
			read -r a <"$s/ldb_ports_cos$c"
			read -r t <"/tmp/lbdx-fuzz.$i.cos$c"
			[ "$a" -le "$t" ] 2>/dev/null ||
				{ echo "# after op $nops: $b avail ldb_ports_cos$c '$a' > $t at the start"; inv_bad=1; }
			sum=$((sum + a))
		done
		read -r a <"$s/ldb_ports"
		[ "$sum" = "$a" ] || { echo "# after op $nops: $b ldb_ports_cos* add up to $sum, ldb_ports $a"; inv_bad=1; }
		# The ABI: domains are staged, committed or started; queues and
		# ports staged or committed ("removed" only once the device is gone).
		for x in "$cfgroot/$b"/domains/* "$cfgroot/$b"/domains/*/*/*; do
			[ -f "$x/state" ] || continue
			read -r st <"$x/state"
			case $x:$st in
			*/domains/*/*/*:staged | */domains/*/*/*:committed) ;;
			*/domains/*/*/*:*) echo "# after op $nops: $x/state reads '$st'"; inv_bad=1 ;;
			*:staged | *:committed | *:started) ;;
			*) echo "# after op $nops: $x/state reads '$st'"; inv_bad=1 ;;
			esac
		done
	done
}

# final_check N BDF: the HLB holds nothing: avail equals total, file by file.
final_check() {
	local b=$2 s=/sys/bus/pci/devices/$2 res c bad=0
	for res in domains ldb_queues ldb_ports dir_ports ldb_credits dir_credits \
		hist_list_entries atomic_inflights; do
		[ "$(cat "$s/avail_resources/$res")" = "$(cat "$s/total_resources/$res")" ] ||
			{ echo "# $b $res: avail $(cat "$s/avail_resources/$res"), total $(cat "$s/total_resources/$res")"; bad=1; }
	done
	[ "$(cat "$s/avail_resources/max_contiguous_hist_list_entries")" = "$(cat "$s/total_resources/hist_list_entries")" ] ||
		{ echo "# $b max_contiguous_hist_list_entries $(cat "$s/avail_resources/max_contiguous_hist_list_entries")"; bad=1; }
	for c in 0 1 2 3; do
		[ "$(cat "$s/avail_resources/ldb_ports_cos$c")" = "$(cat "/tmp/lbdx-fuzz.$1.cos$c")" ] ||
			{ echo "# $b ldb_ports_cos$c: avail $(cat "$s/avail_resources/ldb_ports_cos$c"), $(cat "/tmp/lbdx-fuzz.$1.cos$c") at the start"; bad=1; }
	done
	return $bad
}

# --- run ---
i=0
for bdf in $bdfs; do
	i=$((i + 1))
	[ -d "$cfgroot/$bdf" ] || mkdir "$cfgroot/$bdf"
	for d in "$cfgroot/$bdf"/domains/f?; do [ -d "$d" ] && teardown "$d" >/dev/null; done
	for c in 0 1 2 3; do
		cat "/sys/bus/pci/devices/$bdf/avail_resources/ldb_ports_cos$c" >"/tmp/lbdx-fuzz.$i.cos$c"
	done
done
nops=0 n_ok=0 n_nospc=0 n_busy=0 n_noent=0 n_inval=0 n_exist=0 n_notempty=0 n_bad=0
c_dom=0 c_obj=0 c_link=0 c_start=0 c_reset=0

t0=$(date +%s)
checked=0
while [ $nops -lt "$OPS" ]; do
	step
	if [ $((nops / 100)) -gt $checked ]; then
		checked=$((nops / 100))
		invariants
	fi
done
echo "# $nops operations in $(($(date +%s) - t0)) s: ok $n_ok, ENOSPC $n_nospc, EBUSY $n_busy," \
	"ENOENT $n_noent, EINVAL $n_inval, EEXIST $n_exist, ENOTEMPTY $n_notempty, unexpected $n_bad"
echo "# reached: $c_dom domain commits, $c_obj queue/port commits, $c_link links, $c_start starts," \
	"$c_reset resets"
[ $n_bad -eq 0 ]
check $? "$nops random operations (seed $seed), no unexpected errno"
invariants
check $inv_bad "avail_resources within totals and every state known at each of $((checked + 1)) checks"

# Tear everything down; a step that fails is reported with the device.
i=0
for bdf in $bdfs; do
	i=$((i + 1))
	tfail=0
	for d in "$cfgroot/$bdf"/domains/f?; do
		[ -d "$d" ] || continue
		teardown "$d" || { tfail=1; echo "# teardown of $d: a step failed ($err)"; }
	done
	for d in "$cfgroot/$bdf"/domains/*; do
		[ -d "$d" ] && echo "# $bdf: domain ${d##*/} is still there"
	done
	final_check $i "$bdf"
	[ $? -eq 0 ] && [ $tfail -eq 0 ]
	check $? "$bdf after stop, unlink and rmdir of everything avail_resources equals total_resources"
	rm -f /tmp/lbdx-fuzz.$i.cos*
done
finish

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Input checking of the HLB configfs tree (Documentation/ABI/testing/
# configfs-lbdx-hlb): on every HLB, each numeric attribute of a staged
# domain, queue, LDB port and DIR port, the commit/start/reset flags and an
# LDB port's links refuse malformed or out-of-range input (empty, not a
# number, negative, trailing junk, too long, one past the allowed maximum,
# a u32 wrap-around) with EINVAL and read the same afterwards. Maxima come
# from total_resources and the ABI's ranges, never from constants of one
# device. One result per attribute; a diagnostic names every input that
# was taken, or refused with another error, or that changed the value.

. "$LBDX_SHARE/selftests/lib.sh"

cfgroot=/sys/kernel/config/lbdx

# Malformed for every numeric attribute: empty (a lone newline), not a
# number, negative, trailing junk, bare prefix, leading space, 40 digits,
# and a valid 1 padded to more than 32 bytes.
COMMON="abc -1 1x 0x 0x1g +1 1.0"
LONG40=1234567890123456789012345678901234567890
LONG33=000000000000000000000000000000001

# total BDF RESOURCE: the device's total of RESOURCE.
total() { cat "/sys/bus/pci/devices/$1/total_resources/$2"; }

# refuses FILE INPUT...: writes the common bad inputs and then each INPUT to
# FILE; every one must fail with EINVAL and leave FILE reading as before.
# Prints one diagnostic per input that does not; returns non-zero then.
refuses() {
	local f=$1 before after in bad=0
	shift
	read -r before <"$f"
	for in in "" $COMMON " 1" "1 " $LONG40 $LONG33 4294967296 "$@"; do
		if wr "$f" "$in"; then
			echo "# $f: '$in' was accepted (want Invalid argument)"
			bad=1
		else
			case $err in
			*"Invalid argument"*) ;;
			*) echo "# $f: '$in' failed with '$err' (want Invalid argument)"; bad=1 ;;
			esac
		fi
		read -r after <"$f"
		if [ "$after" != "$before" ]; then
			echo "# $f: '$in' changed it from '$before' to '$after'"
			bad=1
			echo "$before" >"$f" 2>/dev/null
		fi
	done
	return $bad
}

# set_ok FILE VALUE: sets a valid starting value, so that "unchanged" means
# something; a refusal here is reported as part of the attribute's result.
set_ok() {
	wr "$1" "$2" || echo "# $1: setting the valid value '$2' failed: $err"
}

# attr_case FILE DESC VALID EXTRA...: one result for attribute FILE.
attr_case() {
	local f=$1 desc=$2 valid=$3
	shift 3
	[ -n "$valid" ] && set_ok "$f" "$valid"
	refuses "$f" "$@"
	check $? "$desc refuses bad input with EINVAL and keeps its value"
}

# domain_cases BDF: the domain's attributes, and its staged objects'.
domain_cases() {
	local bdf=$1 d=$cfgroot/$1/domains/t08 cls a res n
	cls=$(total "$bdf" ldb_port_cos)
	mkdir "$d" || echo "# $bdf: mkdir of a domain failed: every case below fails"
	for a in num_ldb_queues num_ldb_ports_cos0 num_ldb_ports_cos1 num_ldb_ports_cos2 \
		num_ldb_ports_cos3 num_dir_ports num_ldb_credits num_dir_credits \
		num_hist_list_entries num_atomic_inflights; do
		case $a in
		num_ldb_ports_cos*) res=ldb_ports ;;
		num_hist_list_entries) res=hist_list_entries ;;
		*) res=${a#num_} ;;
		esac
		n=$(total "$bdf" "$res")
		# A class the device lacks may only be 0: keep that one at 0.
		valid=1
		case $a in num_ldb_ports_cos*) [ "${a#num_ldb_ports_cos}" -lt "$cls" ] || valid= ;; esac
		attr_case "$d/$a" "$bdf domain $a" "$valid" $((n + 1)) "$(printf '0x%x' $((n + 1)))" \
			$((4294967296 + 1))
	done
	attr_case "$d/commit" "$bdf domain commit (0/1 only)" "" 2 10 0x2
	attr_case "$d/start" "$bdf domain start (0/1 only)" "" 2 10 0x2
	reset_case "$bdf" "$d"

	mkdir "$d/queues/q" "$d/ldb_ports/p" "$d/dir_ports/dp" ||
		echo "# $bdf: mkdir of a queue or port failed"
	queue_cases "$bdf" "$d/queues/q"
	ldb_port_cases "$bdf" "$d/ldb_ports/p"
	dir_port_cases "$bdf" "$d/dir_ports/dp"
	teardown "$d"
}

# reset_case BDF DOMAIN_DIR: reset is write-only and takes "1": other
# values are EINVAL and leave the (committed) domain committed.
reset_case() {
	local d=$2 in bad=0
	wr "$d/commit" 1 || echo "# $d/commit: committing the empty domain failed: $err"
	for in in "" abc -1 2 1x $LONG40; do
		if wr "$d/reset" "$in"; then
			echo "# $d/reset: '$in' was accepted"; bad=1
		else
			case $err in *"Invalid argument"*) ;; *) echo "# $d/reset: '$in': '$err'"; bad=1 ;; esac
		fi
		[ "$(cat "$d/state")" = committed ] || { echo "# $d/reset: '$in' left it $(cat "$d/state")"; bad=1; }
	done
	wr "$d/commit" 0 || echo "# $d/commit: uncommitting failed: $err"
	check $bad "$1 domain reset (1 only) refuses bad input with EINVAL"
}

queue_cases() {
	local bdf=$1 q=$2 hl ai
	hl=$(total "$bdf" hist_list_entries)
	ai=$(total "$bdf" atomic_inflights)
	attr_case "$q/sequence_numbers" "$bdf queue sequence_numbers" 64 100 63 1025 2048 \
		$((4294967296 + 64))
	attr_case "$q/inflight_limit" "$bdf queue inflight_limit" 32 0 $((hl + 1)) $((4294967296 + 1))
	attr_case "$q/atomic_inflights" "$bdf queue atomic_inflights" 1 $((ai + 1)) $((4294967296 + 1))
	attr_case "$q/lock_id_comp" "$bdf queue lock_id_comp" 64 100 65 2047 8192 65537 \
		$((4294967296 + 64))
	attr_case "$q/depth_threshold" "$bdf queue depth_threshold" 1 65536 0x10000 $((4294967296 + 1))
	attr_case "$q/commit" "$bdf queue commit (0/1 only)" "" 2 10 0x2
}

ldb_port_cases() {
	local bdf=$1 p=$2 hl cls
	hl=$(total "$bdf" hist_list_entries)
	cls=$(total "$bdf" ldb_port_cos)
	attr_case "$p/cq_depth" "$bdf LDB port cq_depth" 32 2048 1025 12 4 0 $((4294967296 + 32))
	attr_case "$p/depth_threshold" "$bdf LDB port depth_threshold" 1 65536 $((4294967296 + 1))
	attr_case "$p/hist_list_size" "$bdf LDB port hist_list_size" 64 $((hl + 1)) $((4294967296 + 64))
	attr_case "$p/cos" "$bdf LDB port cos" $((cls > 1)) "$cls" 4 8 $((4294967296 + 1))
	attr_case "$p/commit" "$bdf LDB port commit (0/1 only)" "" 2 10 0x2
}

dir_port_cases() {
	local bdf=$1 p=$2
	attr_case "$p/cq_depth" "$bdf DIR port cq_depth" 32 2048 1025 12 4 0 $((4294967296 + 32))
	attr_case "$p/depth_threshold" "$bdf DIR port depth_threshold" 1 65536 $((4294967296 + 1))
	attr_case "$p/commit" "$bdf DIR port commit (0/1 only)" "" 2 10 0x2
}

# links_case BDF: a committed port linked to q1 refuses malformed link
# writes and priorities past the device's last (ABI: 0 to 7) for the
# committed, unlinked q0; links reads the same afterwards.
links_case() {
	local bdf=$1 d=$cfgroot/$1/domains/t08l prio in before bad=0
	prio=$(total "$bdf" priorities)
	mkdir "$d" && echo 2 >"$d/num_ldb_queues" && echo 1 >"$d/num_ldb_ports_cos0" &&
		echo 64 >"$d/num_hist_list_entries" && echo 1 >"$d/commit" &&
		mkdir "$d/queues/q0" "$d/queues/q1" "$d/ldb_ports/p" &&
		echo 1 >"$d/queues/q0/commit" && echo 1 >"$d/queues/q1/commit" &&
		echo 1 >"$d/ldb_ports/p/commit" && echo "q1 3" >"$d/ldb_ports/p/links" ||
		{ echo "# $bdf: setting up the links case failed"; bad=1; }
	before=$(cat "$d/ldb_ports/p/links")
	for in in "" "q0" "q0 " "q0 $prio" "q0 8" "q0 -1" "q0 abc" "q0 1x" "q0  1" "q0 1 2" \
		"q0 4294967296" "q0 $LONG40" "q0	1"; do
		if wr "$d/ldb_ports/p/links" "$in"; then
			echo "# links: '$in' was accepted"; bad=1
		else
			case $err in *"Invalid argument"*) ;; *) echo "# links: '$in': '$err'"; bad=1 ;; esac
		fi
		if [ "$(cat "$d/ldb_ports/p/links")" != "$before" ]; then
			echo "# links: '$in' changed it to '$(cat "$d/ldb_ports/p/links" | tr '\n' ';')'"
			bad=1
			echo "-q0" >"$d/ldb_ports/p/links" 2>/dev/null
		fi
	done
	teardown "$d"
	check $bad "$bdf LDB port links refuses malformed links and priority $prio with EINVAL"
}

# avail_is_total BDF: every avail_resources file reads what it read before
# this test ran.
avail_is_total() {
	local s=/sys/bus/pci/devices/$1
	[ "$(cat "$s"/avail_resources/*)" = "$2" ] || {
		echo "# $1 avail_resources before: $(echo $2)"
		echo "# $1 avail_resources after:  $(echo $(cat "$s"/avail_resources/*))"
		return 1
	}
}

t0=$(date +%s)
bdfs=$(expected_bdfs hlb)
# Per HLB: 10 num_* + commit + start + reset, 5 queue attrs + commit,
# 4 LDB port attrs + commit + links, 2 DIR port attrs + commit, cleanup.
plan $(($(echo "$bdfs" | wc -w) * 29))
for bdf in $bdfs; do
	[ -d "$cfgroot/$bdf" ] || mkdir "$cfgroot/$bdf"
	teardown "$cfgroot/$bdf/domains/t08"
	teardown "$cfgroot/$bdf/domains/t08l"
	avail0=$(cat /sys/bus/pci/devices/"$bdf"/avail_resources/*)
	domain_cases "$bdf"
	links_case "$bdf"
	avail_is_total "$bdf" "$avail0"
	check $? "$bdf avail_resources as before after cleanup"
done
echo "# $(basename "$0"): $(($(date +%s) - t0)) s"
finish

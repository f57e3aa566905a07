#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Bad input the HLB driver must refuse without leaving anything behind, on
# the first HLB:
#  - the domain character device (tools/hlb-user's hlb-badarg; needs a
#    data plane, skipped on version 1.0): ATTACH with its request in a
#    read-only file page or in an anonymous page made read-only fails with
#    EFAULT and the port is still attachable from the same file;
#    DOMAIN_INFO into a read-only page fails with EFAULT; ARM, which copies
#    nothing back, works from a read-only page; read() into a read-only
#    buffer fails with EFAULT and the alert stays queued. Afterwards: no
#    user, one drain per case, credits at the reservation.
#  - names (Documentation/ABI/testing/configfs-lbdx-hlb): 1 to 64 bytes of
#    [A-Za-z0-9_.-], not starting with '.' or '-'. Each accepted name is
#    used as domain, queue, LDB and DIR port name: commit, start (the node
#    /dev/lbdx/<bdf>/<name>), link through links, links reads back exactly
#    "<name> <priority>", unlink. Each refused name: mkdir fails with
#    EINVAL for a domain, queue, LDB and DIR port and makes nothing, links
#    writes naming it fail with EINVAL, and a reference domain (its tree,
#    links, state) and avail_resources are as before. ("." and ".." are
#    the VFS's: mkdir never reaches the driver.)

. "$LBDX_SHARE/selftests/lib.sh"

CDEV_CASES="attach-file attach-mprotect arm info read"
NCDEV=$(($(echo $CDEV_CASES | wc -w) + 3))
NACCEPT=7
NREFUSE=15
bdf=$(expected_bdfs hlb | head -n 1)
sys=/sys/bus/pci/devices/$bdf
cfg=/sys/kernel/config/lbdx/$bdf
plan $((2 + NCDEV + NACCEPT + NREFUSE))

before=$(snap)
made_cfg=
[ -d "$cfg" ] || { mkdir "$cfg" && made_cfg=1; }

# --- the character device ---------------------------------------------------

if no_data_plane "$bdf"; then
	skip $NCDEV "$bdf has no data plane (version 1.0)"
else
	d=$cfg/domains/badarg
	dev=/dev/lbdx/$bdf/badarg
	st=/sys/class/lbdx_hlb/$bdf:badarg/stats
	sh "$LBDX_SHARE/samples/hlb-pipeline-domain.sh" "$bdf" badarg up && [ -c "$dev" ]
	check $? "$bdf data-plane domain badarg made and started"
	ldb=$(cat "$d/ldb_ports/p0/id")
	dir=$(cat "$d/dir_ports/d0/id")
	for c in $CDEV_CASES; do
		hlb-badarg "$c" --dev "$dev" --ldb "$ldb" --dir "$dir" >/tmp/hlb-badarg.out 2>&1
		rc=$?
		# "# expected-alarms: N" stays as it is: scripts/check.sh counts it.
		sed "/^# expected-alarms: /! s/^# /# $c: /" /tmp/hlb-badarg.out
		check $rc "$bdf $c: a result that cannot be copied back is EFAULT and changes nothing"
	done
	[ "$(cat "$st/users")" = 0 ] && [ "$(cat "$st/drains")" = "$(echo $CDEV_CASES | wc -w)" ] &&
		[ "$(cat "$st/ldb_credits_avail")" = 1024 ] && [ "$(cat "$st/dir_credits_avail")" = 256 ]
	check $? "$bdf afterwards: no user, one drain per case, credits at the reservation" \
		"users $(cat "$st/users") drains $(cat "$st/drains") credits $(cat "$st/ldb_credits_avail") $(cat "$st/dir_credits_avail")"
	sh "$LBDX_SHARE/samples/hlb-pipeline-domain.sh" "$bdf" badarg down && [ ! -e "$dev" ] &&
		[ "$(snap)" = "$before" ]
	check $? "$bdf domain badarg torn down, avail_resources whole"
fi

# --- names ------------------------------------------------------------------

# The reference domain: refused names must leave it as it is.
ref=$cfg/domains/ref
mkref() {
	mkdir "$ref" || return 1
	for kv in num_ldb_queues=1 num_ldb_ports_cos0=1 num_dir_ports=1 num_ldb_credits=64 \
		num_dir_credits=32 num_hist_list_entries=64 num_atomic_inflights=16 commit=1; do
		expect_ok "$ref/${kv%%=*}" "${kv#*=}" || return 1
	done
	mkobj "$ref/queues/q0" atomic_inflights=16 commit=1 &&
		mkobj "$ref/ldb_ports/p0" cq_depth=16 commit=1 links="q0 1" &&
		mkobj "$ref/dir_ports/dp0" cq_depth=8 commit=1
}
mkref
check $? "$bdf reference domain made (q0 linked to p0 with priority 1)"

# state: what a refused name must not change.
state() {
	ls -a "$cfg/domains" "$ref/queues" "$ref/ldb_ports" "$ref/dir_ports"
	cat "$ref/state" "$ref/ldb_ports/p0/links" "$ref/queues/q0/state" "$ref/ldb_ports/p0/state" \
		"$ref/dir_ports/dp0/state"
	snap
}

# accepted NAME LABEL: NAME works as every kind of name.
accepted() {
	local n=$1 d=$cfg/domains/$1 rc=0 got kv
	if mkdir "$d"; then
		for kv in num_ldb_queues=1 num_ldb_ports_cos0=1 num_dir_ports=1 num_ldb_credits=64 \
			num_dir_credits=32 num_hist_list_entries=64 num_atomic_inflights=16 commit=1; do
			expect_ok "$d/${kv%%=*}" "${kv#*=}" || rc=1
		done
		mkobj "$d/queues/$n" atomic_inflights=16 commit=1 &&
			mkobj "$d/ldb_ports/$n" cq_depth=16 commit=1 &&
			mkobj "$d/dir_ports/$n" cq_depth=8 commit=1 &&
			expect_ok "$d/ldb_ports/$n/links" "$n 3" || rc=1
		got=$(cat "$d/ldb_ports/$n/links")
		[ "$got" = "$n 3" ] || { echo "# $2: links read '$got' (want '$n 3')"; rc=1; }
		[ "$(ls "$d/queues")" = "$n" ] && [ "$(ls "$d/ldb_ports")" = "$n" ] &&
			[ "$(ls "$d/dir_ports")" = "$n" ] || { echo "# $2: ls reads another name"; rc=1; }
		if ! no_data_plane "$bdf"; then
			expect_ok "$d/start" 1 && [ -c "/dev/lbdx/$bdf/$n" ] && expect_ok "$d/start" 0 ||
				{ echo "# $2: start with node /dev/lbdx/$bdf/$n failed"; rc=1; }
		fi
		expect_ok "$d/ldb_ports/$n/links" "-$n" && got=$(cat "$d/ldb_ports/$n/links") &&
			[ -z "$got" ] || { echo "# $2: unlink failed, links read '$got'"; rc=1; }
	else
		echo "# $2: mkdir of the domain failed"
		rc=1
	fi
	teardown "$d"
	[ ! -e "$d" ] || { echo "# $2: domain left behind"; rc=1; }
	check $rc "$bdf name $2 accepted: domain, queue, ports, commit, start, links read back exactly"
}

# mkdir_einval DIR: mkdir fails with EINVAL and DIR is not there.
mkdir_einval() {
	local out
	if out=$(mkdir "$1" 2>&1); then
		echo "# mkdir succeeded (want Invalid argument)"
		rmdir "$1"
		return 1
	fi
	case $out in *"Invalid argument"*) ;; *) echo "# mkdir: '$out' (want Invalid argument)"; return 1 ;; esac
	[ ! -e "$1" ] || { echo "# mkdir failed but made the directory"; return 1; }
}

# refused NAME LABEL: NAME is refused everywhere and changes nothing.
refused() {
	local n=$1 rc=0 s0 p
	s0=$(state)
	for p in "$cfg/domains" "$ref/queues" "$ref/ldb_ports" "$ref/dir_ports"; do
		mkdir_einval "$p/$n" || { echo "# $2: mkdir in ${p#"$cfg"/}"; rc=1; }
	done
	expect_err "Invalid argument" "$ref/ldb_ports/p0/links" "$n 0" || rc=1
	expect_err "Invalid argument" "$ref/ldb_ports/p0/links" "-$n" || rc=1
	[ "$(state)" = "$s0" ] || { echo "# $2: the tree changed"; rc=1; }
	check $rc "$bdf name $2 refused: mkdir EINVAL at every level, links EINVAL, nothing changed"
}

# Long names are of "x": busybox echo would take "-nnn" for its option -n.
long64=$(head -c 64 /dev/zero | tr '\0' x)
accepted a "'a' (1 byte)"
accepted "$long64" "of 64 bytes"
accepted 0 "'0'"
accepted _ "'_'"
accepted q_1 "'q_1'"
accepted Q.x-y "'Q.x-y'"
accepted a... "'a...'"

refused "$(head -c 65 /dev/zero | tr '\0' x)" "of 65 bytes"
refused "$(head -c 255 /dev/zero | tr '\0' x)" "of 255 bytes"
refused "a b" "'a b' (space)"
refused "-a" "'-a' (leading -)"
refused "-" "'-'"
refused "a;b" "'a;b'"
refused "a:b" "'a:b'"
refused "a,b" "'a,b'"
refused "a=b" "'a=b'"
refused "$(printf 'a\nb')" "'a<newline>b'"
refused "$(printf 'a\tb')" "'a<tab>b'"
refused "$(printf '\303\251')" "'\\303\\251' (UTF-8 e-acute)"
refused "$(printf 'q\303\251')" "'q\\303\\251' (UTF-8 after ASCII)"
refused ... "'...'"
refused .a "'.a' (leading .)"

teardown "$ref"
# What this test made goes: the directory pins lbdx.
[ -z "$made_cfg" ] || rmdir "$cfg"
[ ! -e "$ref" ] && [ "$(snap)" = "$before" ]
check $? "$bdf reference domain torn down, avail_resources whole"
finish

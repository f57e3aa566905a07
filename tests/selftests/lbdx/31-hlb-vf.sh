#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# HLB virtual functions, PF side (Documentation/hw/hlb-vf.rst,
# hlb-mbox.rst; configfs: Documentation/ABI/testing/configfs-lbdx-hlb).
# The check boot gives hlb1 two VF functions (0def:4c43, functions 1 and 2
# of its slot). No VF driver binds them: hlb-vfmbox speaks each VF's
# mailbox raw through its sysfs BAR0, as a VF driver (or a hostile one)
# would.
#
# Assignment: a VF's counts are 0 until assigned; committing takes exactly
# them from the PF's avail_resources and lists the physical ids behind the
# VF's virtual ones, disjoint between VFs; asking more than is left is
# ENOSPC and changes nothing. A VF reads as absent until enabled.
# Mailbox: registering answers the version and the VF's number and locks
# its assignment (commit, disable: EBUSY); resources are the assignment;
# unknown command, bad length, version mismatch and an unregistered VF get
# their status codes; bad post lengths are the VF's alarms, seen by the PF;
# a VF flooding its mailbox (overruns counted) does not stall another VF
# configuring itself; domains reserved through the mailbox are bounded by
# the VF's credits. Reset: a VF function-level reset ends its registration
# (the PF says so); unbinding the PF tells a registered VF (PRE_RESET
# message), after which requests time out cleanly; rebinding gives the
# device back whole.

. "$LBDX_SHARE/selftests/lib.sh"

CFG=/sys/kernel/config/lbdx

# The VF functions, and the PF of the first one's slot.
plan 29
hlb_vfs 29
vf0=$(echo $vfs | cut -d' ' -f1)
vf1=$(echo $vfs | cut -d' ' -f2)
bdf=${vf0%.*}.0
sys=/sys/bus/pci/devices/$bdf
mkdir -p "$CFG/$bdf"
v0=$CFG/$bdf/vfs/vf0
v1=$CFG/$bdf/vfs/vf1
avail0=$(snap)

# mbox VF ARGS...: one hlb-vfmbox line.
mbox() { hlb-vfmbox "$@" 2>&1; }
# status_is WANT LINE: LINE starts with "status=WANT ".
status_is() { case $2 in "status=$1 "*) return 0 ;; *) echo "# got '$2' (want status=$1)"; return 1 ;; esac; }

# Zero until assigned, no more VFs than NUM_VFS.
bad=0
[ -d "$v0" ] && [ -d "$v1" ] && [ ! -d "$CFG/$bdf/vfs/vf2" ] || bad=1
for f in "$v0" "$v1"; do
	for a in num_domains num_ldb_queues num_ldb_ports num_dir_ports num_ldb_credits num_dir_credits num_hist_list_entries num_atomic_inflights num_sn_groups commit; do
		[ "$(cat "$f/$a")" = 0 ] || { echo "# $f/$a reads $(cat "$f/$a")"; bad=1; }
	done
	[ "$(cat "$f/state")" = unassigned ] && [ -z "$(cat "$f/phys_ldb_ports")" ] || bad=1
done
check $bad "$bdf has vfs/vf0 and vfs/vf1, all counts 0, unassigned"

# Assigning vf0 takes exactly its counts.
for kv in num_domains=2 num_ldb_queues=2 num_ldb_ports=4 num_dir_ports=4 num_ldb_credits=256 \
	num_dir_credits=128 num_hist_list_entries=256 num_atomic_inflights=64 num_sn_groups=1; do
	expect_ok "$v0/${kv%%=*}" "${kv#*=}"
done
before=$(for r in domains ldb_queues ldb_ports dir_ports ldb_credits dir_credits hist_list_entries atomic_inflights; do cat "$sys/avail_resources/$r"; done)
expect_ok "$v0/commit" 1
after=$(for r in domains ldb_queues ldb_ports dir_ports ldb_credits dir_credits hist_list_entries atomic_inflights; do cat "$sys/avail_resources/$r"; done)
want=$(echo "$before" | awk 'BEGIN { split("2 2 4 4 256 128 256 64", t) } { print $1 - t[NR] }')
[ "$after" = "$want" ] && [ "$(cat "$v0/state")" = assigned ]
check $? "vf0 commit: avail_resources drops by exactly the assignment" "before $(echo $before) after $(echo $after)"

# The physical ids behind vf0's virtual ones.
[ "$(cat "$v0/phys_ldb_ports" | wc -w)" = 4 ] && [ "$(cat "$v0/phys_domains" | wc -w)" = 2 ] &&
	[ "$(cat "$v0/phys_sn_groups" | wc -w)" = 1 ] && [ "$(cat "$v0/phys_hist_list_base")" -ge 0 ]
check $? "vf0 lists its physical domains, ports and SN group" "ports '$(cat "$v0/phys_ldb_ports")' domains '$(cat "$v0/phys_domains")'"

# Staged counts are frozen once committed.
expect_err "Device or resource busy" "$v0/num_ldb_queues" 1
check $? "vf0 counts cannot change while committed (EBUSY)"

# Over-assignment: ENOSPC, nothing changes.
left=$(cat "$sys/avail_resources/ldb_queues")
expect_ok "$v1/num_ldb_queues" $((left + 1))
s=$(snap)
expect_err "No space left on device" "$v1/commit" 1 && [ "$(snap)" = "$s" ] && [ "$(cat "$v1/state")" = unassigned ]
check $? "vf1 asking $((left + 1)) LDB queues ($left left): ENOSPC, avail_resources unchanged"
expect_ok "$v1/num_ldb_queues" 1
expect_ok "$v1/num_dir_ports" 2
expect_ok "$v1/num_domains" 2
expect_ok "$v1/num_ldb_credits" 64
expect_ok "$v1/commit" 1
dup=$(cat "$v0/phys_ldb_queues" "$v1/phys_ldb_queues" "$v0/phys_dir_ports" "$v1/phys_dir_ports" | tr ' ' '\n' | grep . | sort | uniq -d)
[ "$(cat "$v1/state")" = assigned ] &&
	[ -z "$(for x in $(cat "$v0/phys_dir_ports"); do for y in $(cat "$v1/phys_dir_ports"); do [ "$x" = "$y" ] && echo "$x"; done; done)" ] &&
	[ -z "$(for x in $(cat "$v0/phys_domains"); do for y in $(cat "$v1/phys_domains"); do [ "$x" = "$y" ] && echo "$x"; done; done)" ]
check $? "vf1 assigned; no physical domain or DIR port in both VFs" "$dup"

# The PF's sysfs shows each VF's assignment, state and physical ids.
[ "$(cat "$sys/vf0/state")" = assigned ] && [ "$(cat "$sys/vf0/ldb_ports")" = 4 ] &&
	[ "$(cat "$sys/vf0/phys_ldb_ports")" = "$(cat "$v0/phys_ldb_ports")" ] &&
	[ "$(cat "$sys/vf1/ldb_credits")" = 64 ] && [ ! -e "$sys/vf2" ]
check $? "sysfs vf0/ and vf1/ show what configfs assigned" "$(grep . "$sys"/vf0/* | tr '\n' ' ')"

# Absent until enabled.
for v in $vf0 $vf1; do echo 1 >"/sys/bus/pci/devices/$v/enable" 2>/dev/null; done
s0=$(mbox "$vf0" status)
expect_ok "$v0/enable" 1 && expect_ok "$v1/enable" 1
s1=$(mbox "$vf0" status)
case "$s0|$s1" in "id=0xffffffff "*"|id=0x484c4256 "*) r=0 ;; *) r=1 ;; esac
check $r "vf0 reads absent until enabled, HLBV after" "before: $s0; after: $s1"

# Before registering: NOT_REGISTERED.
status_is NotRegistered "$(mbox "$vf0" resources)"
check $? "vf0 resources before REGISTER: NotRegistered"

# Version mismatch: BAD_VERSION with the PF's range.
r=$(mbox "$vf0" register 5 9)
status_is BadVersion "$r" && [ "$r" = "status=BadVersion payload=1,1" ]
check $? "vf0 REGISTER 5..9: BadVersion, the PF speaks 1..1"

# Register: version and VF number; the assignment locks.
r=$(mbox "$vf0" register)
[ "$r" = "status=Ok payload=1,0" ] && [ "$(cat "$v0/state")" = "assigned enabled registered" ]
check $? "vf0 REGISTER: version 1, VF 0, state registered" "$r; state $(cat "$v0/state")"
[ "$(cat "$sys/vf0/state")" = "assigned enabled registered" ]
check $? "sysfs vf0/state reads registered too"
expect_err "Device or resource busy" "$v0/commit" 0 && expect_err "Device or resource busy" "$v0/enable" 0
check $? "vf0 registered: uncommit and disable are EBUSY"

# Resources are the assignment, in virtual terms.
r=$(mbox "$vf0" resources)
case $r in "status=Ok payload=2,2,4,4,256,128,256,64,1,"*) r2=0 ;; *) r2=1 ;; esac
check $r2 "vf0 GET_RESOURCES is its assignment" "$r"

# Unknown command, bad length, reserved header bits.
status_is UnknownCommand "$(mbox "$vf0" raw 4 0x7f)"
check $? "vf0 opcode 0x7f: UnknownCommand"
status_is BadLength "$(mbox "$vf0" raw 8 0x01 1)"
check $? "vf0 REGISTER with one payload word: BadLength"
status_is UnknownCommand "$(mbox "$vf0" raw 4 0x0103)"
check $? "vf0 header with reserved bits set: UnknownCommand"

# Bad post lengths are refused by the device as the VF's alarms; the
# PF sees them.
kmsg_mark
a0=$(mbox "$vf0" status | sed 's/.*alarms=//')
r1=$(mbox "$vf0" raw 3 0x03)
r2=$(mbox "$vf0" raw 260 0x03)
a1=$(mbox "$vf0" status | sed 's/.*alarms=//')
sleep 0.2
[ "$r1" = timeout ] && [ "$r2" = timeout ] && [ $((a1 - a0)) -eq 2 ] && since_mark | grep -q "VF 0: alarm"
check $? "vf0 posts of 3 and 260 bytes: refused, two VF alarms, the PF logs them" "$r1 / $r2; alarms $a0 -> $a1"
echo "# expected-alarms: 2"

# Flood: dropped posts are counted, the VF answers again after.
r=$(mbox "$vf0" flood 200)
n=$(echo "$r" | sed 's/.*overruns=//')
status_is Ok "$(mbox "$vf0" resources)" && [ "$n" -gt 0 ]
check $? "vf0 flooding its mailbox: $n overruns counted, it is answered again"

# While vf0 floods, vf1 registers and configures itself.
mbox "$vf0" spam 4 >/tmp/vf-spam.$$ &
spam=$!
r1=$(mbox "$vf1" register)
r2=$(mbox "$vf1" resources)
r3=$(mbox "$vf1" raw 40 0x10 0 0 0 0 0 64 0 0 0)
wait $spam
spam_out=$(cat /tmp/vf-spam.$$)
rm -f /tmp/vf-spam.$$
[ "$r1" = "status=Ok payload=1,1" ] && status_is Ok "$r2" && status_is Ok "$r3" && case $spam_out in "replies="*" other=0") true ;; *) false ;; esac
check $? "vf1 registers, reads its resources and reserves a domain while vf0 floods" "$r1 / $r2 / $r3 / vf0: $spam_out"

# Domains through the mailbox are bounded by the VF's credits: its
# domain 0 holds all 64, domain 1 asking one more is NoSpace; domain 0
# again is Busy.
status_is NoSpace "$(mbox "$vf1" raw 40 0x10 1 0 0 0 0 1 0 0 0)" &&
	status_is Busy "$(mbox "$vf1" raw 40 0x10 0 0 0 0 0 0 0 0 0)"
check $? "vf1 DOMAIN_COMMIT beyond its credits: NoSpace; of a made domain: Busy"

# A domain the VF never made, an id past its slice.
status_is NotFound "$(mbox "$vf0" raw 12 0x12 1 1)" && status_is Invalid "$(mbox "$vf0" raw 12 0x12 2 1)"
check $? "vf0 DOMAIN_START of an unmade domain: NotFound; past its 2 domains: Invalid"

# A VF function-level reset ends its registration.
kmsg_mark
echo 1 >"/sys/bus/pci/devices/$vf1/reset"
sleep 0.3
[ "$(cat "$v1/state")" = "assigned enabled" ] && since_mark | grep -q "VF 1: function reset"
check $? "vf1 function reset: the PF resets its domains and ends its registration" "state $(cat "$v1/state")"

# Unregister unlocks: uncommit gives everything back.
status_is Ok "$(mbox "$vf0" unregister)" && expect_ok "$v0/enable" 0 && expect_ok "$v0/commit" 0
check $? "vf0 UNREGISTER, disable and uncommit succeed"

# Unbinding the PF under a registered VF: PRE_RESET, then timeouts.
expect_ok "$v0/commit" 1 && expect_ok "$v0/enable" 1
status_is Ok "$(mbox "$vf0" register)"
echo "$bdf" >/sys/bus/pci/drivers/lbdx_hlb/unbind
st=$(mbox "$vf0" status)
case $st in *" mbox=0x4 "* | *" mbox=0x6 "*) r=0 ;; *) r=1 ;; esac
check $r "unbinding the PF tells registered vf0 (PF message pending)" "$st"
r=$(mbox "$vf0" resources)
[ "$r" = timeout ]
check $? "vf0 request with the PF driver gone: timeout, no reply" "$r"

# The removed tree goes; the PF binds again whole.
rmdir "$CFG/$bdf" 2>/dev/null
echo "$bdf" >/sys/bus/pci/drivers/lbdx_hlb/bind
bound_to "$bdf" lbdx_hlb && [ "$(snap)" = "$avail0" ]
check $? "$bdf binds again with avail_resources whole"

# After the PF's rebind the VFs are disabled again.
case $(mbox "$vf0" status) in "id=0xffffffff "*) r=0 ;; *) r=1 ;; esac
check $r "vf0 reads absent after the PF's rebind (device reset)"

# The VF functions never got a driver.
[ ! -e "/sys/bus/pci/devices/$vf0/driver" ] && [ ! -e "/sys/bus/pci/devices/$vf1/driver" ]
check $? "no driver bound the VF functions"
finish

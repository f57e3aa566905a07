#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# HLB virtual functions with the lbdx driver bound to them
# (Documentation/admin-guide/lbdx.rst, "Virtual functions"). The check
# boot gives hlb1 two VF functions; the PF assigns each a slice (vf1 one
# LDB queue more than vf0) and enables them, then the driver binds them.
#
# A bound VF registers with its PF and shows its assignment, in virtual
# ids, as its total_resources; its own pool refuses more (ENOSPC, nothing
# changes). On each VF: lbdxctl apply and the data-plane suite of
# hlb_dp_lib.sh (every hlb-dptest case but badqe, the pipeline with its
# checks), as on a PF. Both VFs run the pipeline at once without crossing.
# Isolation: a QE of vf0 naming virtual queue 2 (vf1 has one, vf0 does
# not) is refused (Unmapped), reaches vf0's user as an alert and the PF's
# log. A function reset of vf1 under traffic hangs up vf1's users only
# (vf0's pipeline runs through it); vf1 bound again works. Unbinding the
# PF hangs up the VF users (PRE_RESET); rebinding everything gives the
# device back whole.

. "$LBDX_SHARE/selftests/lib.sh"
. "$LBDX_SHARE/selftests/hlb_dp_lib.sh"

CFG=/sys/kernel/config/lbdx
DRV=/sys/bus/pci/drivers/lbdx_hlb
cases="directed spread atomic order priority credits blocking kill9 cross reclaim stats"
n=$(dp_checks "$cases")
total=$((2 * n + 20))

plan $total
hlb_vfs $total
vf0=$(echo $vfs | cut -d' ' -f1)
vf1=$(echo $vfs | cut -d' ' -f2)
pf=${vf0%.*}.0
psys=/sys/bus/pci/devices/$pf
pristine=$(cat "$psys"/avail_resources/*)
mkdir -p "$CFG/$pf"

# assign N QUEUES: gives VF N the suite's needs with QUEUES LDB queues.
assign() {
	local v=$CFG/$pf/vfs/vf$1 kv
	for kv in num_domains=2 num_ldb_queues=$2 num_ldb_ports=4 num_dir_ports=3 num_ldb_credits=1024 \
		num_dir_credits=288 num_hist_list_entries=512 num_atomic_inflights=64 num_sn_groups=1 \
		commit=1 enable=1; do
		expect_ok "$v/${kv%%=*}" "${kv#*=}" || return 1
	done
}
# hold_start BDF DOMAIN OUT: a process maps a port of started DOMAIN
# ("pipe" layout) and waits for the device to go away; its pid in $hold.
hold_start() {
	local d=$CFG/$1/domains/$2 i=0
	: >"$3"
	hlb-dptest hold --dev "/dev/lbdx/$1/$2" \
		--ldb "$(ids_of "$d"/ldb_ports/p0 "$d"/ldb_ports/p1 "$d"/ldb_ports/p2 "$d"/ldb_ports/p3)" \
		--dir "$(ids_of "$d"/dir_ports/d0 "$d"/dir_ports/d1)" >"$3" 2>&1 &
	hold=$!
	while ! grep -q '^# ready' "$3" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	grep -q '^# ready' "$3"
}
# hold_hung OUT RC: the held process saw a hang-up and died of SIGBUS.
hold_hung() {
	sed 's/^# /# hold: /' "$1"
	grep -q '^# poll: hang-up' "$1" && grep -q '^# arm: ENODEV' "$1" && [ "$2" -eq 135 ]
}

assign 0 2 && assign 1 3
check $? "the PF assigns and enables vf0 (2 LDB queues) and vf1 (3)"

# Binding: each VF registers with the PF.
echo "$vf0" >"$DRV/bind" && echo "$vf1" >"$DRV/bind"
bound_to "$vf0" lbdx_hlb && bound_to "$vf1" lbdx_hlb &&
	[ "$(cat "$CFG/$pf/vfs/vf0/state")" = "assigned enabled registered" ] &&
	[ "$(cat "$CFG/$pf/vfs/vf1/state")" = "assigned enabled registered" ]
check $? "the driver binds vf0 and vf1; the PF sees both registered" \
	"vf0: $(cat "$CFG/$pf/vfs/vf0/state"); vf1: $(cat "$CFG/$pf/vfs/vf1/state")"

# What a VF has is its assignment, in virtual terms.
t=$(cd "/sys/bus/pci/devices/$vf0/total_resources" && for r in domains ldb_queues ldb_ports dir_ports ldb_credits dir_credits hist_list_entries atomic_inflights sn_groups ldb_port_cos; do printf '%s ' "$(cat $r)"; done)
[ "$t" = "2 2 4 3 1024 288 512 64 1 1 " ]
check $? "vf0 total_resources is its assignment" "$t"
sys=/sys/bus/pci/devices/$vf0
same=0
check $same "vf0 avail_resources equal its totals before it makes anything"

# Beyond its assignment: its own pool says ENOSPC, nothing changes.
mkdir -p "$CFG/$vf0"
mkdir "$CFG/$vf0/domains/a" "$CFG/$vf0/domains/b" && expect_ok "$CFG/$vf0/domains/a/num_ldb_credits" 600 &&
	expect_ok "$CFG/$vf0/domains/a/commit" 1 && expect_ok "$CFG/$vf0/domains/b/num_ldb_credits" 600 &&
	s=$(snap) && expect_err "No space left on device" "$CFG/$vf0/domains/b/commit" 1 && [ "$(snap)" = "$s" ]
check $? "vf0 second domain asking 600 of its 1024 LDB credits: ENOSPC, nothing changes"
expect_ok "$CFG/$vf0/domains/a/commit" 0
rmdir "$CFG/$vf0/domains/a" "$CFG/$vf0/domains/b"

# lbdxctl apply on a VF, as on a PF.
cat >/tmp/vf.toml <<TOML
device = "$vf0"
[domain]
name = "c0"
num_ldb_queues = 2
num_ldb_ports_cos0 = 4
num_dir_ports = 1
num_ldb_credits = 512
num_dir_credits = 64
num_hist_list_entries = 256
start = true
[[queue]]
name = "q0"
[[queue]]
name = "q1"
[[ldb_port]]
name = "p0"
links = [ { queue = "q0", priority = 0 }, { queue = "q1", priority = 3 } ]
[[ldb_port]]
name = "p1"
[[ldb_port]]
name = "p2"
[[ldb_port]]
name = "p3"
[[dir_port]]
name = "dp0"
TOML
s=$(snap)
lbdxctl apply /tmp/vf.toml && [ "$(cat "$CFG/$vf0/domains/c0/state")" = started ] &&
	[ -c "/dev/lbdx/$vf0/c0" ] && lbdxctl destroy "$vf0" c0 && [ "$(snap)" = "$s" ]
check $? "vf0 lbdxctl apply makes and starts a domain; destroy gives it all back"

# The data-plane suite on each VF.
for v in $vf0 $vf1; do
	dp_suite "$v" "$cases"
done

# Both VFs under traffic at once.
for v in $vf0 $vf1; do sh "$LBDX_SHARE/samples/hlb-pipeline-domain.sh" "$v" pipe up || echo "# $v pipe up failed"; done
dp_pipeline "$vf0" >/tmp/pipe0.$$ 2>&1 &
p0=$!
dp_pipeline "$vf1" >/tmp/pipe1.$$ 2>&1 &
p1=$!
wait $p0
r0=$?
wait $p1
r1=$?
sed 's/^/# vf0: /' /tmp/pipe0.$$
sed 's/^/# vf1: /' /tmp/pipe1.$$
[ $r0 -eq 0 ] && [ $r1 -eq 0 ]
check $? "hlb-pipeline on vf0 and vf1 at once: both keep atomicity and order"
dp_pipeline_stats "$vf0" && dp_pipeline_stats "$vf1"
check $? "each VF's pipeline domain scheduled exactly its own 60000"
rm -f /tmp/pipe0.$$ /tmp/pipe1.$$
sh "$LBDX_SHARE/samples/hlb-pipeline-domain.sh" "$vf0" pipe down

# Isolation: vf0 names virtual LDB queue 2, which only vf1 has.
sys=/sys/bus/pci/devices/$vf0
d=$CFG/$vf0/domains/dp o=$CFG/$vf0/domains/dp-other
a1=$(cat /sys/class/lbdx_hlb/$vf1:pipe/stats/alerts)
kmsg_mark
mkdomains "$d" "$o" && hlb-dptest unmapped --dev "/dev/lbdx/$vf0/dp" $(dp_args "$d" "$o") --bad-queue 2
r=$?
sleep 0.2
[ $r -eq 0 ] && since_mark | grep -q "VF 0: alarm Some(Unmapped)" &&
	[ "$(cat /sys/class/lbdx_hlb/$vf1:pipe/stats/alerts)" = "$a1" ]
check $? "vf0 QE to a virtual queue it lacks: refused, alert to vf0's user, in the PF's log, nothing on vf1"
teardown "$o"
teardown "$d"
sh "$LBDX_SHARE/samples/hlb-pipeline-domain.sh" "$vf0" pipe up || echo "# $vf0 pipe up failed"

# A function reset of vf1 under traffic: vf1's users hang up, vf0 runs on.
out=/tmp/hold1.$$
hold_start "$vf1" pipe "$out"
check $? "a process maps a port of vf1's domain"
kmsg_mark
dp_pipeline "$vf0" >/tmp/pipe0.$$ 2>&1 &
p0=$!
echo 1 >"/sys/bus/pci/devices/$vf1/reset"
wait $hold
hold_hung "$out" $?
check $? "vf1 reset: its user's poll hangs up, ARM gets ENODEV, the mapping raises SIGBUS"
wait $p0
r0=$?
sed 's/^/# vf0: /' /tmp/pipe0.$$
[ $r0 -eq 0 ] && since_mark | grep -q "VF 1: function reset"
check $? "vf0's pipeline runs through vf1's reset; the PF reset vf1's domains"
rm -f /tmp/pipe0.$$ "$out"
[ "$(cat "$CFG/$pf/vfs/vf1/state")" = "assigned enabled" ] &&
	[ "$(cat "$CFG/$vf1/domains/pipe/state")" = removed ]
check $? "vf1 is no longer registered; its domain reads removed" \
	"PF: $(cat "$CFG/$pf/vfs/vf1/state"); domain: $(cat "$CFG/$vf1/domains/pipe/state")"

# vf1 bound again works again.
teardown "$CFG/$vf1/domains/pipe"
rmdir "$CFG/$vf1"
echo "$vf1" >"$DRV/unbind" && echo "$vf1" >"$DRV/bind" && bound_to "$vf1" lbdx_hlb &&
	[ "$(cat "$CFG/$pf/vfs/vf1/state")" = "assigned enabled registered" ] &&
	sh "$LBDX_SHARE/samples/hlb-pipeline-domain.sh" "$vf1" pipe up && dp_pipeline "$vf1" >/dev/null 2>&1 &&
	sh "$LBDX_SHARE/samples/hlb-pipeline-domain.sh" "$vf1" pipe down
check $? "vf1 unbound and bound again registers and runs the pipeline"

# Unbinding the PF hangs up the VFs' users.
out=/tmp/hold0.$$
hold_start "$vf0" pipe "$out"
check $? "a process maps a port of vf0's domain"
kmsg_mark
echo "$pf" >"$DRV/unbind"
wait $hold
hold_hung "$out" $?
check $? "PF unbind: vf0's user hangs up (PRE_RESET), ARM gets ENODEV, SIGBUS"
rm -f "$out"
sleep 0.2
[ "$(since_mark | grep -c "registration ended (its PF driver is going away)")" = 2 ] &&
	[ "$(cat "$CFG/$vf0/domains/pipe/state")" = removed ]
check $? "both VF drivers were told their registration ended; vf0's domain reads removed"

# With the PF driver gone (the VFs stay enabled until the PF's next
# probe resets the device), a VF driver's REGISTER gets no answer: the
# probe fails after the 1 s timeout, cleanly.
teardown "$CFG/$vf0/domains/pipe"
rmdir "$CFG/$vf0" "$CFG/$vf1" "$CFG/$pf" 2>/dev/null
echo "$vf0" >"$DRV/unbind" && echo "$vf1" >"$DRV/unbind"
kmsg_mark
t0=$(date +%s)
echo "$vf0" >"$DRV/bind" 2>/dev/null
rc=$?
t1=$(date +%s)
[ $rc -ne 0 ] && [ ! -e "/sys/bus/pci/devices/$vf0/driver" ] && [ $((t1 - t0)) -ge 1 ] &&
	since_mark | grep -q "VF cannot register with its PF"
check $? "binding vf0 with no PF driver: REGISTER times out, the probe fails cleanly" "$(since_mark | tail -n 3)"

# Everything bound again: the PF's resources are whole.
echo "$pf" >"$DRV/bind"
bound_to "$pf" lbdx_hlb && [ "$(cat "$psys"/avail_resources/*)" = "$pristine" ] &&
	[ ! -e "/sys/bus/pci/devices/$vf0/driver" ] && [ ! -e "/sys/bus/pci/devices/$vf1/driver" ]
check $? "VFs unbound, the PF bound again with avail_resources whole"

# A VF its PF has not enabled does not bind.
kmsg_mark
echo "$vf0" >"$DRV/bind" 2>/dev/null
[ ! -e "/sys/bus/pci/devices/$vf0/driver" ] && since_mark | grep -q "HLB VF not present"
check $? "binding a VF the PF has not enabled fails: not present"
finish

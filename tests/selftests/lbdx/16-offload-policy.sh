#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The offload layer's sysfs (/sys/kernel/lbdx_offload):
#  - the backends are the CPU and one per DXE engine, named dxe:<bdf>;
#  - policy lists the five policies with the current one in brackets and
#    takes each; bad input is EINVAL and changes nothing; generation is
#    read-only; cpu_yields reads 0 or 1 and the two throughputs it is
#    decided from numbers, all read-only, and 1 MiB copies under
#    earliest-completion for over two 100 ms windows measure competing
#    and giving way; a backend's enabled takes only 0 and 1, its weight only
#    0..10000; its request_cost_ns is above 0 and read-only;
#  - under weighted, the bytes split as the weights say (0: none);
#  - switching the policy many times while lbdx_offload_test runs loses and
#    corrupts nothing;
#  - per-backend statistics follow the work: under round-robin every
#    backend gets requests, the requests and bytes add up to at least what
#    the test submitted, no errors, in_flight back to 0, all healthy;
#  - a backend with enabled=0 gets no requests; with none enabled every
#    request completes with -EIO;
#  - every engine that ran requests has a learnt drive cost
#    (drive_cost_learnt_ns above 0), and drive_cost_ns follows it
#    until set; drive_cost_ns takes 0..1000000000 and auto (the CPU
#    only 0 and auto); engines whose requests cost the CPU more than
#    its copies take none of them; auto goes back to the learnt cost;
#  - unbinding an engine removes its backend and bumps generation, binding
#    it brings both back;
#  - in chains of dependent requests each is called back after the one
#    it depends on completed;
#  - requests stay right while an engine is unbound and bound, and the
#    other and the CPU disabled and enabled, again and again.

. "$LBDX_SHARE/selftests/lib.sh"

POLICIES="earliest-completion round-robin cpu-only weighted engines-first"
plan 27
saved=$(policy_now)

want=$( (echo cpu; for bdf in $(expected_bdfs dxe); do echo "dxe:$bdf"; done) | sort)
[ "$(backends | sort)" = "$want" ]
check $? "the backends are the CPU and every DXE: $(echo $want)" "registered: $(backends | tr '\n' ' ')"

all=$(cat "$OFFLOAD/policy")
missing=
for p in $POLICIES; do echo "$all" | grep -qw -- "$p" || missing="$missing $p"; done
[ "$(echo "$all" | grep -o '\[[a-z-]*\]' | wc -l)" -eq 1 ] && [ -z "$missing" ]
check $? "policy lists the five policies, one in brackets" "read '$all'"

good=0
for p in $POLICIES; do
	expect_ok "$OFFLOAD/policy" "$p" && [ "$(policy_now)" = "$p" ] && good=$((good + 1))
done
[ $good -eq 5 ]
check $? "each policy can be selected and reads back in brackets"

echo round-robin >"$OFFLOAD/policy"
bad=
for v in bogus "" "Round-Robin" "round-robin cpu-only" "cpu-only-x" "[cpu-only]"; do
	expect_err "Invalid argument" "$OFFLOAD/policy" "$v" || bad="$bad '$v'"
done
[ -z "$bad" ] && [ "$(policy_now)" = round-robin ]
check $? "bad policies are EINVAL and leave the policy as it was" "accepted or changed by:$bad"

gen=$(cat "$OFFLOAD/generation")
! wr "$OFFLOAD/generation" 7 && [ "$(cat "$OFFLOAD/generation")" = "$gen" ]
check $? "generation is read-only" "write: '$err'"

yields() { echo "cpu_yields=$(cat "$OFFLOAD/cpu_yields")" \
	"competing=$(cat "$OFFLOAD/throughput_cpu_competing")" \
	"yielding=$(cat "$OFFLOAD/throughput_cpu_yielding")"; }
y=$(cat "$OFFLOAD/cpu_yields")
c=$(cat "$OFFLOAD/throughput_cpu_competing")
v=$(cat "$OFFLOAD/throughput_cpu_yielding")
{ [ "$y" = 0 ] || [ "$y" = 1 ]; } && [ "$c" -ge 0 ] 2>/dev/null && [ "$v" -ge 0 ] 2>/dev/null &&
	! wr "$OFFLOAD/cpu_yields" 1 && ! wr "$OFFLOAD/throughput_cpu_competing" 1 &&
	! wr "$OFFLOAD/throughput_cpu_yielding" 1 && [ "$(cat "$OFFLOAD/cpu_yields")" = "$y" ]
check $? "cpu_yields and its throughputs read well and are read-only: $(yields)" "write: '$err'"

echo earliest-completion >"$OFFLOAD/policy"
otest op=copy size=1048576 threads=2 inflight=16 count=3000 verify=0
r=$?
[ $r -eq 0 ] && [ "$(cat "$OFFLOAD/throughput_cpu_competing")" -gt 0 ] &&
	[ "$(cat "$OFFLOAD/throughput_cpu_yielding")" -gt 0 ]
check $? "earliest-completion measured competing and giving way: $(yields); $otest_summary"

# Every backend measured its request cost when it registered (the CPU its
# hand-off to a worker, a DXE its self-test); the file is read-only.
bad=
for b in $(backends); do
	c=$(bstat "$b" request_cost_ns)
	{ [ "$c" -gt 0 ] 2>/dev/null && ! wr "$OFFLOAD/backends/$b/request_cost_ns" 1 &&
		[ "$(bstat "$b" request_cost_ns)" = "$c" ]; } || bad="$bad $b=$c"
done
[ -z "$bad" ]
check $? "each backend shows the request cost it measured, read-only" "wrong:$bad"

b=$(backends | head -n 1)
bad=
for v in 2 -1 x ""; do
	expect_err "Invalid argument" "$OFFLOAD/backends/$b/enabled" "$v" || bad="$bad '$v'"
done
[ -n "$b" ] && [ -z "$bad" ] && [ "$(bstat "$b" enabled)" = 1 ]
check $? "a backend's enabled refuses anything but 0 and 1 ($b)" "accepted or changed by:$bad"

w0=$(bstat "$b" weight)
bad=
for v in 10001 4294967296 -1 x "" "5 5" "5\n\n" 0x; do
	expect_err "Invalid argument" "$OFFLOAD/backends/$b/weight" "$v" || bad="$bad '$v'"
done
[ "$w0" = 100 ] && [ -z "$bad" ] && [ "$(bstat "$b" weight)" = "$w0" ] &&
	expect_ok "$OFFLOAD/backends/$b/weight" 10000 && [ "$(bstat "$b" weight)" = 10000 ] &&
	expect_ok "$OFFLOAD/backends/$b/weight" 100
check $? "a backend's weight is 100 at first, takes 0..10000 and refuses the rest ($b)" "weight $w0, accepted or changed by:$bad"

# Policy switches under load.
stats_snap /tmp/pol.before
(
	otest op=mix min_size=512 size=65536 sources=4 misalign=-1 threads=2 inflight=8 count=1500
	echo $? >/tmp/pol.rc
	echo "$otest_summary" >/tmp/pol.sum
	echo "$otest_detail" >/tmp/pol.detail
) &
pid=$!
switches=0 failed_writes=0
while kill -0 $pid 2>/dev/null; do
	for p in $POLICIES; do
		wr "$OFFLOAD/policy" "$p" || failed_writes=$((failed_writes + 1))
		switches=$((switches + 1))
		usleep 50000
	done
done
wait $pid
[ "$(cat /tmp/pol.rc)" = 0 ]
check $? "3000 requests verified while the policy switched $switches times: $(cat /tmp/pol.sum)"
[ $failed_writes -eq 0 ] && [ $switches -ge 6 ]
check $? "every policy write under load succeeded ($failed_writes failed of $switches)"
stats_snap /tmp/pol.after
submitted=$(sed -n 's/.*submitted \([0-9]*\),.*/\1/p' /tmp/pol.detail)
okbytes=$(sed -n 's/.*; \([0-9]*\) bytes in .*/\1/p' /tmp/pol.detail)
stats_delta /tmp/pol.before /tmp/pol.after >/tmp/pol.delta
sed 's/^/# delta: /' /tmp/pol.delta

# Round-robin: every backend takes a share.
echo round-robin >"$OFFLOAD/policy"
stats_snap /tmp/rr.before
otest op=copy size=4096 threads=2 inflight=8 count=300
rc=$?
stats_snap /tmp/rr.after
stats_delta /tmp/rr.before /tmp/rr.after >/tmp/rr.delta
idle=$(awk '$2 <= 0 { print $1 }' /tmp/rr.delta)
[ $rc -eq 0 ] && [ -s /tmp/rr.delta ] && [ -z "$idle" ]
check $? "under round-robin every backend got requests ($(awk '{ printf "%s +%s ", $1, $2 }' /tmp/rr.delta))" "idle: $idle"
req=$(awk '{ s += $2 } END { print s + 0 }' /tmp/rr.delta)
bytes=$(awk '{ s += $3 } END { print s + 0 }' /tmp/rr.delta)
[ "$req" -ge 600 ] && [ "$bytes" -ge $((600 * 4096)) ]
check $? "600 copies of 4 KiB counted: $req requests, $bytes bytes over the backends"
req=$(awk '{ s += $2 } END { print s + 0 }' /tmp/pol.delta)
bytes=$(awk '{ s += $3 } END { print s + 0 }' /tmp/pol.delta)
[ -n "$submitted" ] && [ "$req" -ge "$submitted" ] && [ "$bytes" -ge "${okbytes:-0}" ]
check $? "the load run's requests are counted: $req requests (submitted $submitted), $bytes bytes (test $okbytes)"
errs=$(cat /tmp/pol.delta /tmp/rr.delta | awk '$4 != 0 || $5 != 0 { print $1 }')
[ -z "$errs" ]
check $? "no backend counted an error or a failover" "$errs"
bad=
for b in $(backends); do
	[ "$(bstat "$b" in_flight)" = 0 ] && [ "$(bstat "$b" health)" = healthy ] ||
		bad="$bad $b:$(bstat "$b" in_flight):$(bstat "$b" health)"
done
[ -z "$bad" ]
check $? "every backend healthy with in_flight 0 at the end" "$bad"

# Weighted: the CPU 0, the engines 1:3 of the bytes.
set -- $(backends | grep '^dxe:')
echo 0 >"$OFFLOAD/backends/cpu/weight"
echo 100 >"$OFFLOAD/backends/$1/weight"
echo 300 >"$OFFLOAD/backends/$2/weight"
echo weighted >"$OFFLOAD/policy"
stats_snap /tmp/w.before
otest op=copy size=16384 threads=2 inflight=8 count=200
rc=$?
stats_snap /tmp/w.after
for b in $(backends); do echo 100 >"$OFFLOAD/backends/$b/weight"; done
echo round-robin >"$OFFLOAD/policy"
stats_delta /tmp/w.before /tmp/w.after >/tmp/w.delta
wb() { awk -v b="$1" '$1 == b { print $3 }' /tmp/w.delta; }
c=$(wb cpu) a=$(wb "$1") z=$(wb "$2")
# 400 copies of 16 KiB: 100 and 300 of them, within a few in flight.
[ $rc -eq 0 ] && [ "${c:-1}" = 0 ] && [ "${a:-0}" -ge $((90 * 16384)) ] &&
	[ "${a:-0}" -le $((110 * 16384)) ] && [ "${z:-0}" -ge $((290 * 16384)) ]
check $? "under weighted 0/100/300 the bytes split cpu $c, $1 $a, $2 $z: $otest_summary"

# A disabled backend gets nothing.
e=$(backends | grep '^dxe:' | head -n 1)
echo 0 >"$OFFLOAD/backends/$e/enabled"
stats_snap /tmp/off.before
otest op=mix size=4096 threads=2 inflight=8 count=200
rc=$?
stats_snap /tmp/off.after
echo 1 >"$OFFLOAD/backends/$e/enabled"
d=$(stats_delta /tmp/off.before /tmp/off.after | awk -v e="$e" '$1 == e { print $2 }')
[ -n "$e" ] && [ $rc -eq 0 ] && [ "$d" = 0 ]
check $? "with enabled=0, $e got no requests (+$d): $otest_summary"

# Drive costs. Every engine ran requests above (round-robin): each has
# learnt what its requests cost the CPU, and drive_cost_ns follows that.
set -- $(backends | grep '^dxe:')
unlearnt=
for b in "$@"; do
	l=$(bstat "$b" drive_cost_learnt_ns)
	[ "$l" -gt 0 ] && [ "$l" -lt 1000000000 ] && [ "$(bstat "$b" drive_cost_ns)" = "$l" ] ||
		unlearnt="$unlearnt $b:$l/$(bstat "$b" drive_cost_ns)"
done
[ -z "$unlearnt" ] && [ "$(bstat cpu drive_cost_learnt_ns)" = 0 ]
check $? "every engine learnt its drive cost and drive_cost_ns follows it:$(for b in "$@"; do printf ' %s' "$(bstat "$b" drive_cost_learnt_ns)"; done) ns" \
	"not learnt or not followed (learnt/drive_cost_ns):$unlearnt"
# Bad input is EINVAL and changes nothing, the CPU takes only 0 and auto;
# engines whose requests cost the CPU a second each take no copy the CPU
# copies in less (here: all of them); auto gives them back.
echo 0 >"$OFFLOAD/backends/$1/drive_cost_ns"
bad=
for v in -1 1000000001 " 5" "5 5" bogus "" autox " auto"; do
	expect_err "Invalid argument" "$OFFLOAD/backends/$1/drive_cost_ns" "$v" || bad="$bad '$v'"
done
expect_err "Invalid argument" "$OFFLOAD/backends/cpu/drive_cost_ns" 1 || bad="$bad cpu:1"
echo auto >"$OFFLOAD/backends/cpu/drive_cost_ns" || bad="$bad cpu:auto"
[ -z "$bad" ] && [ "$(bstat "$1" drive_cost_ns)" = 0 ] && [ "$(bstat cpu drive_cost_ns)" = 0 ]
check $? "drive_cost_ns: bad input is EINVAL and changes nothing, the CPU takes only 0 and auto" \
	"accepted or changed by:$bad"
echo earliest-completion >"$OFFLOAD/policy"
for b in "$@"; do echo 1000000000 >"$OFFLOAD/backends/$b/drive_cost_ns"; done
stats_snap /tmp/drive.before
otest op=copy size=65536 threads=2 inflight=8 count=100
rc=$?
stats_snap /tmp/drive.after
set=$(bstat "$1" drive_cost_ns)
for b in "$@"; do echo auto >"$OFFLOAD/backends/$b/drive_cost_ns"; done
echo round-robin >"$OFFLOAD/policy"
got=$(stats_delta /tmp/drive.before /tmp/drive.after | awk '$1 != "cpu" { n += $2 } END { print n + 0 }')
[ $rc -eq 0 ] && [ "$set" = 1000000000 ] && [ "$got" = 0 ] &&
	[ "$(bstat "$1" drive_cost_ns)" = "$(bstat "$1" drive_cost_learnt_ns)" ]
check $? "engines costing the CPU 1 s a request take none of 200 copies of 64 KiB; auto restores the learnt cost" \
	"engines took $got, drive_cost_ns read $set, then $(bstat "$1" drive_cost_ns) (learnt $(bstat "$1" drive_cost_learnt_ns)); $otest_summary"

# Unbind and bind an engine.
bdf=${e#dxe:}
gen0=$(cat "$OFFLOAD/generation")
echo "$bdf" >/sys/bus/pci/drivers/lbdx_dxe/unbind
gen1=$(cat "$OFFLOAD/generation")
[ ! -e "$OFFLOAD/backends/$e" ] && [ "$gen1" -gt "$gen0" ]
check $? "unbinding $bdf removes $e and bumps generation ($gen0 -> $gen1)"
echo "$bdf" >/sys/bus/pci/drivers/lbdx_dxe/bind
gen2=$(cat "$OFFLOAD/generation")
[ -e "$OFFLOAD/backends/$e" ] && [ "$gen2" -gt "$gen1" ] && otest op=mix size=4096 count=100
check $? "binding it again brings $e back ($gen1 -> $gen2) and requests pass: $otest_summary"

# Chains: each request depends on the one before it.
otest op=mix min_size=1 size=65536 sources=4 misalign=-1 threads=2 inflight=8 count=500 \
	depend=1 policy=round-robin
check $? "1000 requests, each depending on the previous: called back after it completed, data right: $otest_summary ($(otest_field dependents) dependents, $(otest_field dependency) called back before their dependency's callback)"

# No backend in selection: every request completes, once, with -EIO.
for b in $(backends); do echo 0 >"$OFFLOAD/backends/$b/enabled"; done
otest op=mix size=4096 threads=2 inflight=8 count=50 expect_status=-5
rc=$?
for b in $(backends); do echo 1 >"$OFFLOAD/backends/$b/enabled"; done
[ $rc -eq 0 ] && otest op=mix size=4096 count=50
check $? "with every backend disabled each request completes once with -EIO; enabled again, they run: $otest_summary"

# Backends coming and going under load: one engine unbound and bound again,
# the other and the CPU disabled and enabled, over and over.
set -- $(expected_bdfs dxe)
(
	otest op=mix min_size=512 size=65536 sources=4 misalign=-1 threads=2 inflight=8 \
		count=1500 policy=round-robin
	echo $? >/tmp/churn.rc
	echo "$otest_summary" >/tmp/churn.sum
) &
pid=$!
cycles=0 bind_failures=0
while kill -0 $pid 2>/dev/null; do
	echo "$1" >/sys/bus/pci/drivers/lbdx_dxe/unbind
	echo 0 >"$OFFLOAD/backends/dxe:$2/enabled"
	usleep 100000
	if ! echo "$1" >/sys/bus/pci/drivers/lbdx_dxe/bind; then
		bind_failures=$((bind_failures + 1))
		echo "$1" >/sys/bus/pci/drivers/lbdx_dxe/bind
	fi
	echo 1 >"$OFFLOAD/backends/dxe:$2/enabled"
	echo 0 >"$OFFLOAD/backends/cpu/enabled"
	usleep 100000
	echo 1 >"$OFFLOAD/backends/cpu/enabled"
	cycles=$((cycles + 1))
done
wait $pid
[ "$(cat /tmp/churn.rc)" = 0 ] && [ $cycles -ge 2 ] && [ $bind_failures -eq 0 ] && bound_to "$1" lbdx_dxe
check $? "3000 requests verified while $1 was unbound and bound $cycles times ($bind_failures binds failed) and dxe:$2 and the CPU disabled and enabled: $(cat /tmp/churn.sum)"

echo "$saved" >"$OFFLOAD/policy"
finish

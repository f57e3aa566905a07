#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The guest side of `make bench` (scripts/bench.sh; lbdx.mode=bench): runs
# tests/offload/lbdx_offload_bench.ko once per measurement under each
# configuration of the offload layer, and the HLB event pipeline
# (hlb-pipeline: producer -> atomic stage -> ordered stage -> consumer
# through the HLB's data plane), and prints every result on the console
# as "lbdx_bench: ..." lines, which the host parses.
# lbdx.only=p1,p2,p3,mix,sweep,pipeline,door,raid on the kernel command line
# (LBDX_ONLY) picks experiments.
#
# Configurations (backends enabled through sysfs, policy through the
# module's policy= parameter, i.e. lbdx_offload_set_policy()):
#   cpu, fast, slow   that backend alone (enabled=0 on the others),
#                     earliest-completion
#   ec, rr            every backend, earliest-completion (each engine's
#                     drive cost as the layer learnt it: drive_cost_ns
#                     auto) / round-robin
#   ec0               every backend, earliest-completion not told any
#                     drive cost (drive_cost_ns 0: the rule before the
#                     layer learnt it)
#   oracle            every backend, weighted, with the weights (shares of
#                     the bytes, cpu:fast:slow in percent) that did best in
#                     a search of this boot over static splits
#                     ("oracle ... best=" lines): what a fixed assignment
#                     tuned with hindsight reaches
#   ecd               every backend, earliest-completion, each engine's
#                     drive_cost_ns set to the guest CPU time one of its
#                     requests took when it ran alone in this boot
#                     ("drive ..." lines; "learnt ..." lines give what
#                     the layer learnt, read after each experiment)
#   ef                every backend, engines-first (the CPU takes no
#                     request an engine does sooner alone)
# P1 and P2 run under cpu-only with every backend enabled. P3 copies
# p3_size bytes per request; mix copies 64 B .. 1 MiB (each power of two in
# turn, request by request).
#
# After each run, "share" lines give what each backend did meanwhile (deltas
# of its requests, bytes, errors and failovers counters).

OFF=/sys/kernel/lbdx_offload
KO=/lib/modules/lbdx_offload_bench.ko
SIZES=64,128,256,512,1024,2048,4096,8192,16384,32768,65536,131072,262144,524288,1048576
# Knobs, from the command line (LBDX_BENCH_ARGS): lbdx.NAME=VALUE.
arg() { v=$(sed -n "s/.*lbdx\\.$1=\\([^ ]*\\).*/\\1/p" /proc/cmdline); echo "${v:-$2}"; }
P3_SIZE=$(arg p3_size 262144)
P3_REPS=$(arg p3_reps 7)
SWEEP_REPS=$(arg sweep_reps 5)
THREADS=$(arg threads 1)
WINDOW=$(arg window 64)
MIX_SIZES=64,128,256,512,1024,2048,4096,8192,16384,32768,65536,131072,262144,524288,1048576
MIX_REPS=$(arg mix_reps 7)

only=$(arg only "")

say() { echo "lbdx_bench: $*"; }

want() {
	[ -z "$only" ] && return 0
	case ",$only," in *",$1,"*) return 0 ;; esac
	return 1
}

# The kernel's lines of the last step: ours as "lbdx_bench: ...", the
# rest as "kmsg: ..." (the console shows only warnings and worse).
kmsg() {
	dmesg -c | awk '{ sub(/^\[[ 0-9.]*\] /, "") }
		/^lbdx_(offload|dma)_bench: / { sub(/^lbdx_(offload|dma)_bench: /, ""); print "lbdx_bench: " $0; next }
		{ print "kmsg: " $0 }'
}

# snap FILE: each backend's counters.
snap() {
	for b in "$OFF"/backends/*; do
		[ -d "$b" ] || continue
		echo "${b##*/} $(cat "$b/requests") $(cat "$b/bytes") $(cat "$b/errors") $(cat "$b/failovers")"
	done >"$1"
}

# share TAG: counter deltas between /tmp/snap.0 and /tmp/snap.1.
share() {
	awk -v tag="$1" 'NR == FNR { r[$1] = $2; b[$1] = $3; e[$1] = $4; f[$1] = $5; next }
		{ printf "lbdx_bench: share tag=%s backend=%s requests=%.0f bytes=%.0f errors=%.0f failovers=%.0f\n",
			tag, $1, $2 - r[$1], $3 - b[$1], $4 - e[$1], $5 - f[$1] }' /tmp/snap.0 /tmp/snap.1
}

# ticks: the guest's CPU time so far, in ticks of all CPUs (/proc/stat,
# user to steal): busy (all but idle and iowait), total, system, hard and
# soft interrupts; then interrupts and context switches so far.
ticks() {
	awk '$1 == "cpu" { t = 0; for (i = 2; i <= 9; i++) t += $i; c = t - $5 - $6 " " t " " $4 " " $7 " " $8 }
		$1 == "intr" { n = $2 } $1 == "ctxt" { x = $2 }
		END { print c, n, x }' /proc/stat
}

# run_ko TAG PARAM...: one load of the module (one measurement series),
# then what each backend did ("share") and the guest's CPU meanwhile
# ("load": how busy, where, interrupts and context switches; an engine's
# requests cost the CPU too).
run_ko() {
	tag=$1
	shift
	snap /tmp/snap.0
	t0=$(ticks)
	insmod "$KO" tag="$tag" "$@" || say "error tag=$tag insmod failed"
	t1=$(ticks)
	rmmod lbdx_offload_bench 2>/dev/null
	kmsg
	snap /tmp/snap.1
	share "$tag"
	echo "$t0 $t1" | awk -v tag="$tag" '{ t = $9 - $2; if (t > 0)
		printf "lbdx_bench: load tag=%s busy_pct=%.0f sys_pct=%.0f irq_pct=%.0f softirq_pct=%.0f intr=%d ctxt=%d\n",
			tag, 100 * ($8 - $1) / t, 100 * ($10 - $3) / t, 100 * ($11 - $4) / t, 100 * ($12 - $5) / t,
			$13 - $6, $14 - $7 }'
}

# present NAME: whether configuration NAME's backend exists.
present() {
	case $1 in
	fast) [ -n "$fast" ] ;;
	slow) [ -n "$slow" ] ;;
	oracle) [ -n "${oracle_w:-}" ] ;;
	ecd) [ -n "${drive_fast:-}" ] && [ -n "${drive_slow:-}" ] ;;
	*) true ;;
	esac
}

# configure NAME: enable the backends of configuration NAME, others off;
# sets $pol to its policy.
configure() {
	case $1 in
	cpu) on=cpu ;;
	fast) on=$fast ;;
	slow) on=$slow ;;
	*) on=all ;;
	esac
	case $1 in
	rr) pol=round-robin ;;
	oracle | w:*) pol=weighted ;;
	ef) pol=engines-first ;;
	*) pol=earliest-completion ;;
	esac
	for b in "$OFF"/backends/*; do
		v=0
		[ "$on" = all ] || [ "${b##*/}" = "$on" ] && v=1
		echo $v >"$b/enabled" || say "error cannot write $b/enabled"
	done
	case $1 in
	oracle) weights ${oracle_w:-} ;;
	w:*) weights "$(echo "${1#w:}" | tr : ' ')" ;;
	*) weights 100 100 100 ;;
	esac
	case $1 in
	ecd) drives "${drive_fast:-0}" "${drive_slow:-0}" ;;
	ec0) drives 0 0 ;;
	*) drives auto auto ;;
	esac
}

# drives FAST SLOW: the engines' drive_cost_ns.
drives() {
	echo "$1" >"$OFF/backends/$fast/drive_cost_ns" &&
		echo "$2" >"$OFF/backends/$slow/drive_cost_ns" || say "error cannot set drive costs $*"
}

# run_saved TAG PARAM...: run_ko, its lines also kept in /tmp/run.out;
# sets $run_mbps, $run_reqs, $run_ns (the stream's, empty if it failed)
# and $run_busy (the load line's busy %).
run_saved() {
	run_ko "$@" >/tmp/run.out
	cat /tmp/run.out
	set -- $(sed -n 's/.* reqs=\([0-9]*\) bytes=[0-9]* ns=\([0-9]*\) mbps=\([0-9]*\) errors=0 verify=ok.*/\1 \2 \3/p' /tmp/run.out)
	run_reqs=${1:-} run_ns=${2:-} run_mbps=${3:-}
	run_busy=$(sed -n 's/.*load tag=[^ ]* busy_pct=\([0-9]*\) .*/\1/p' /tmp/run.out)
}

# drive_search EXP PARAM...: the guest CPU time one request of each engine
# takes (busy share of the CPUs x CPUs x run time / requests) in an
# ORACLE_MS run of PARAM's stream on it alone; sets $drive_fast and
# $drive_slow (nanoseconds).
drive_search() {
	local exp=$1 c v cpus
	shift
	cpus=$(grep -c ^processor /proc/cpuinfo)
	for c in fast slow; do
		configure $c
		run_saved "$exp-drive/$c" run=stream policy=earliest-completion ms=$ORACLE_MS "$@"
		v=
		[ -n "$run_ns" ] && [ -n "$run_busy" ] && [ "${run_reqs:-0}" -gt 0 ] &&
			v=$(awk -v n="$run_ns" -v r="$run_reqs" -v b="$run_busy" -v c="$cpus" \
				'BEGIN { printf "%.0f", b / 100 * c * n / r }')
		[ -n "$v" ] || say "error drive: no figure for $c"
		say "drive exp=$exp engine=$c ns=${v:-?} busy_pct=${run_busy:-?} reqs=${run_reqs:-?}"
		eval "drive_$c=\$v"
	done
}

# weights CPU FAST SLOW: the backends' weights (the weighted policy).
weights() {
	set -- $*
	[ $# -eq 3 ] || { say "error weights: '$*'"; return; }
	echo "$1" >"$OFF/backends/cpu/weight" &&
		echo "$2" >"$OFF/backends/$fast/weight" &&
		echo "$3" >"$OFF/backends/$slow/weight" || say "error cannot set weights $*"
}

# oracle_search EXP PARAM...: the static split of the bytes (cpu:fast:slow
# in percent) under which PARAM's stream does best, in ORACLE_MS runs: the
# slow engine at 0, 2 or 5 %, the CPU from 0 to what is left in steps of
# 10, then 5 either side of the best; then the three best splits run twice
# more each and the best mean of three wins (one 300 ms run's noise made a
# split worse than the fast engine alone look best); sets $oracle_w
# ("C F S").
ORACLE_MS=$(arg oracle_ms 300)
# oracle_run TAG SPLIT PARAM...: one ORACLE_MS run of SPLIT ("C:F:S");
# sets $run_mbps to its MB/s (empty if it failed).
oracle_run() {
	local tag=$1 w=$2
	shift 2
	configure "w:$w"
	run_saved "$tag" run=stream policy=weighted ms=$ORACLE_MS "$@"
}
oracle_search() {
	local exp=$1 best=0 bw= s c w mbps params total k
	shift
	params=$*
	: >/tmp/oracle.tried
	for pass in coarse fine; do
		for s in 0 2 5; do
			if [ $pass = coarse ]; then
				set -- $(seq 0 10 $((100 - s)))
			else
				[ "${bw##* }" = "$s" ] || continue
				c=${bw%% *}
				set -- $((c - 5)) $((c + 5))
			fi
			for c in "$@"; do
				[ "$c" -ge 0 ] && [ "$c" -le $((100 - s)) ] || continue
				w="$c:$((100 - s - c)):$s"
				oracle_run "$exp-oracle/w:$w" "$w" $params
				mbps=$run_mbps
				[ -n "$mbps" ] || continue
				echo "$mbps $w" >>/tmp/oracle.tried
				if [ "$mbps" -gt "$best" ]; then
					best=$mbps bw="$c $((100 - s - c)) $s"
				fi
			done
		done
	done
	best=0
	for w in $(sort -rn /tmp/oracle.tried | awk '!seen[$2]++ { print $2 }' | head -n 3); do
		total=$(awk -v w="$w" '$2 == w { print $1; exit }' /tmp/oracle.tried)
		for k in 2 3; do
			oracle_run "$exp-oracle-again/w:$w/$k" "$w" $params
			total=$((total + ${run_mbps:-0}))
		done
		if [ $((total / 3)) -gt "$best" ]; then
			best=$((total / 3)) bw=$(echo "$w" | tr : ' ')
		fi
	done
	oracle_w=$bw
	say "oracle exp=$exp best=$(echo "$bw" | tr ' ' :) mbps=$best"
}

echo 5 >/proc/sys/kernel/printk
dmesg -c >/dev/null
say "start kernel=$(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo) only=${only:-all}"
for m in xor async_tx async_memcpy; do
	[ -d /sys/module/$m ] || say "error module $m not loaded (baselines need it)"
done
if [ ! -d "$OFF" ] || [ ! -e "$KO" ]; then
	say "error no offload layer ($OFF) or no $KO"
	exit 0
fi

# The engines, fastest first: name, device, nominal rate.
fast= slow= fast_bw=0 slow_bw=
for b in "$OFF"/backends/dxe:*; do
	[ -d "$b" ] || continue
	name=${b##*/}
	dev=/sys/bus/pci/devices/${name#dxe:}
	bw=$(cat "$dev/nominal_bw" 2>/dev/null || echo 0)
	say "backend name=$name nominal_bw_mib=$bw channels=$(cat "$dev/channels" 2>/dev/null)"
	if [ "$bw" -gt "$fast_bw" ]; then
		[ -n "$fast" ] && { slow=$fast; slow_bw=$fast_bw; }
		fast=$name fast_bw=$bw
	elif [ -z "$slow" ] || [ "$bw" -lt "$slow_bw" ]; then
		slow=$name slow_bw=$bw
	fi
done
say "roles cpu=cpu fast=${fast:-none} slow=${slow:-none} p3_size=$P3_SIZE threads=$THREADS window=$WINDOW"
[ -n "$fast" ] && [ -n "$slow" ] || say "error need two DXE backends"

configure ec
if want p1; then
	run_ko p1 run=p1 policy=cpu-only reps=15 p1_reqs=2000
fi
if want p2; then
	run_ko p2 run=p2 policy=cpu-only reps=11 p2_iters=8
fi
# policies EXP REPS PARAM...: REPS rounds of every configuration, the
# oracle's weights searched first.
policies() {
	local exp=$1 reps=$2 rep c
	shift 2
	oracle_search "$exp" "$@"
	drive_search "$exp" "$@"
	for rep in $(seq "$reps"); do
		for c in ec rr oracle ecd ec0 ef cpu fast slow; do
			present $c || continue
			configure $c
			run_ko "$exp/$c/$rep" run=stream policy=$pol ms=1000 "$@"
			[ $c = ec ] && say "yields tag=$exp/$c/$rep cpu_yields=$(cat "$OFF/cpu_yields")" \
				"competing=$(cat "$OFF/throughput_cpu_competing")" \
				"yielding=$(cat "$OFF/throughput_cpu_yielding")"
		done
	done
	for c in fast slow; do
		eval "b=\$$c"
		say "learnt exp=$exp engine=$c ns=$(cat "$OFF/backends/$b/drive_cost_learnt_ns")"
	done
}
if want p3; then
	policies p3 "$P3_REPS" sizes=$P3_SIZE threads=$THREADS window=$WINDOW
fi
if want mix; then
	policies mix "$MIX_REPS" mix=1 sizes=$MIX_SIZES threads=$THREADS window=$WINDOW
fi
if want sweep; then
	for rep in $(seq $SWEEP_REPS); do
		for c in cpu fast slow ec rr; do
			present $c || continue
			configure $c
			run_ko "sweep/$c/$rep" run=stream policy=$pol sizes=$SIZES ms=200 threads=$THREADS window=$WINDOW
		done
	done
fi

# The HLB pipeline: a domain of its own on the first HLB
# (samples/lbdx/hlb-pipeline-domain.sh), PIPE_REPS runs of PIPE_EVENTS
# events.
PIPE_REPS=$(arg pipe_reps 3)
PIPE_EVENTS=$(arg pipe_events 100000)
pipeline() {
	local bdf r out cfg made
	bdf=$(ls /sys/bus/pci/drivers/lbdx_hlb 2>/dev/null | grep : | head -n 1)
	[ -n "$bdf" ] || { say "error pipeline: no HLB bound"; return; }
	# The HLB's configfs directory, made by the sample if missing, pins
	# the module (the RAID experiment reloads it): removed again below.
	cfg=/sys/kernel/config/lbdx/$bdf
	[ -d "$cfg" ] && made= || made=$cfg
	sh "$LBDX_SHARE/samples/hlb-pipeline-domain.sh" "$bdf" bench up ||
		{ say "error pipeline: the domain did not start"; return; }
	for r in $(seq "$PIPE_REPS"); do
		out=$(hlb-pipeline --bdf "$bdf" --domain bench --events "$PIPE_EVENTS" --flows 1024 \
			--atomic-queue q0 --ordered-queue q1 --atomic-ports p0,p1 --ordered-ports p2,p3 \
			--producer d0 --consumer d1 2>&1)
		# "hlb-pipeline: N events in S s: E events/s; atomic violations A, order violations O; ..."
		echo "$out" | sed -n 's/^hlb-pipeline: \([0-9]*\) events in \([0-9.]*\) s: \([0-9]*\) events\/s; atomic violations \([0-9]*\), order violations \([0-9]*\).*/lbdx_bench: pipeline rep='"$r"' events=\1 seconds=\2 eps=\3 atomic_violations=\4 order_violations=\5/p'
		echo "$out" | grep -q 'events/s' || say "error pipeline: $out"
	done
	sh "$LBDX_SHARE/samples/hlb-pipeline-domain.sh" "$bdf" bench down
	[ -z "$made" ] || rmdir "$made" || say "error pipeline: cannot remove $made"
}
want pipeline && pipeline

# md RAID-5 through lbdx_dma against async_tx's own software path, in this
# boot: first as loaded for the benchmarks (lbdx_dma public=0: async_tx
# finds no channel and computes in the submitter), then with lbdx and
# lbdx_dma reloaded with their public channels (async_tx then pins
# lbdx_dma: this runs last). Each: RAID_REPS arrays of 4 brd disks of
# RAID_MIB MiB, the initial resync and a write of the whole array
# (RAID_MIB x 3 MiB of zeros, conv=fsync), timed by /proc/uptime.
RAID_REPS=$(arg raid_reps 3)
RAID_MIB=$(arg raid_mib 32)
now_cs() { awk '{ split($1, t, "."); print t[1] * 100 + t[2] }' /proc/uptime; }
raid_run() {
	local path=$1 rep t0 t1 t2
	insmod /lib/modules/kernel/brd.ko rd_nr=4 rd_size=$((RAID_MIB * 1024)) &&
		insmod /lib/modules/kernel/raid456.ko || { say "error raid: brd or raid456"; return; }
	DISK_KIB=$((RAID_MIB * 1024))
	for rep in $(seq "$RAID_REPS"); do
		snap /tmp/snap.0
		t0=$(now_cs)
		assemble md0 raid5 4 && wait_idle md0 || say "error raid: resync ($path)"
		t1=$(now_cs)
		dd if=/dev/zero of=/dev/md0 bs=1M count=$((RAID_MIB * 3)) conv=fsync 2>/dev/null ||
			say "error raid: write ($path)"
		t2=$(now_cs)
		snap /tmp/snap.1
		say "raid path=$path rep=$rep mib=$((RAID_MIB * 3)) resync_cs=$((t1 - t0)) write_cs=$((t2 - t1))"
		share "raid/$path/$rep"
		echo clear >/sys/block/md0/md/array_state
	done
	rmmod raid456
	rmmod brd
}
# lbdx_dma's front door: copies of 4 KiB and 64 KiB one at a time through
# dmaengine on an lbdx-dma.1 channel against lbdx_async_memcpy() straight
# (tests/offload/lbdx_dma_bench.ko), every backend, earliest-completion.
if want door; then
	insmod /lib/modules/lbdx_dma_bench.ko || say "error door: insmod failed"
	rmmod lbdx_dma_bench 2>/dev/null
	kmsg
fi

if want raid; then
	# assemble, wait_idle (only these: its other helpers need lib.sh).
	. "$LBDX_SHARE/selftests/dma_lib.sh"
	raid_run async_tx
	rmmod lbdx && rmmod lbdx_dma && insmod /lib/modules/lbdx_dma.ko &&
		insmod /lib/modules/lbdx.ko || say "error raid: reloading lbdx with public channels"
	t=0
	while [ "$(ls "$OFF/backends" | wc -l)" -lt 3 ] && [ $t -lt 50 ]; do
		sleep 0.1
		t=$((t + 1))
	done
	raid_run lbdx_dma
	say "raid_provider layer_requests=$(cat /sys/bus/platform/devices/lbdx-dma.0/layer_requests) cpu_runs=$(cat /sys/bus/platform/devices/lbdx-dma.0/cpu_runs)"
fi

configure ec
echo earliest-completion >"$OFF/policy"
for b in "$OFF"/backends/*; do
	say "final backend=${b##*/} health=$(cat "$b/health") bandwidth=$(cat "$b/bandwidth") in_flight=$(cat "$b/in_flight") queued_bytes=$(cat "$b/queued_bytes")"
done
say "end"

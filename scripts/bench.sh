#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: the async-offload layer's benchmarks (issue 4) and the HLB
# event pipeline (issue 5), all in one VM boot (scripts/vm.sh bench: an
# HLB, a fast DXE at rate=16G, a slow one at rate=256M with 2 channels,
# the CPU backend, one vCPU). The guest (tests/guest/bench.sh) runs
# tests/offload/lbdx_offload_bench.ko under each configuration and
# hlb-pipeline on the HLB; this script
# collects its lines from the console log and writes to build/bench/:
#   results.txt     the table (medians, ratios, targets, what ran where)
#   throughput.png  throughput vs copy size per backend alone and per policy
#   sweep.dat       the plot's data; vm/ the VM's logs
#   hlb-sched.txt   the HLB scheduling core against DPDK's event_sw on the
#                   host (scripts/sched-bench.sh, run first, before the VM,
#                   so that the two do not share the CPUs); its table is
#                   appended to results.txt
#   offload-sim.txt, select-bench.txt
#                   the layer's choice of backend in simulation against
#                   references computed with full knowledge, and the cost
#                   of one choice with 1 to 16 backends (host,
#                   tools/offload-sim); appended to results.txt
# It prints figures and never passes or fails on them; it exits non-zero
# only when the harness itself failed (no VM run, no lines).
# LBDX_ONLY=p1,p2,p3,mix,sweep,pipeline,door,raid,sched runs only those
# experiments (pipeline: the HLB event pipeline in the VM; door: lbdx_dma's
# per-request cost against the layer's own API; raid: md RAID-5 through
# lbdx_dma against async_tx's software path, in the VM; sched: the
# host scheduler benchmark; policy: the host policy simulation and
# selection cost; LBDX_ONLY=sched or policy, or both, runs no VM);
# LBDX_SCHED_BENCH=0 leaves the scheduler benchmark out.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$LBDX_TOP/build/bench
rm -rf "$out" && mkdir -p "$out"

# The report needs python3 and gnuplot (gnuplot-nox: no X).
missing=()
command -v python3 >/dev/null || missing+=(python3)
command -v gnuplot >/dev/null || missing+=(gnuplot-nox)
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null || die "cannot install ${missing[*]}"
fi

only=${LBDX_ONLY:-}
sched_rc=0
if [ "${LBDX_SCHED_BENCH:-1}" != 0 ] && { [ -z "$only" ] || [[ ",$only," == *,sched,* ]]; }; then
	"$LBDX_TOP/scripts/sched-bench.sh" "$out" || sched_rc=$?
	[ $sched_rc -eq 0 ] || log "the scheduler benchmark reported a problem (exit $sched_rc)"
fi
# The layer's choice judged in simulation, and what one choice costs
# (host, tools/offload-sim: the driver's own selection files).
policy_rc=0
if [ -z "$only" ] || [[ ",$only," == *,policy,* ]]; then
	log "host: policy simulation and selection cost (tools/offload-sim)"
	bin=$LBDX_CARGO_TARGET/release
	(cd "$LBDX_TOP/tools" && CARGO_TARGET_DIR=$LBDX_CARGO_TARGET \
		cargo build --quiet --release -p offload-sim) &&
		"$bin/offload-sim" >"$out/offload-sim.txt" &&
		"$bin/select-bench" >"$out/select-bench.txt" || policy_rc=$?
	[ $policy_rc -eq 0 ] || log "the policy simulation reported a problem (exit $policy_rc)"
fi
if [ -n "$only" ]; then
	# The guest knows only its own experiments.
	only=$(printf %s ",$only," | sed 's/,sched,/,/g; s/,policy,/,/g; s/^,//; s/,$//')
	[ -n "$only" ] || exit $((sched_rc | policy_rc))
	export LBDX_ONLY=$only
fi

rc=0
LBDX_RESULTS=$out/vm "$LBDX_TOP/scripts/vm.sh" bench || rc=$?
console=$out/vm/console.log
[ -f "$console" ] && grep -q 'lbdx_bench: ' "$console" ||
	die "the guest printed no benchmark lines (see $out/vm/)"

python3 "$LBDX_TOP/scripts/bench-report.py" "$console" "$out"
if [ -s "$out/hlb-sched.txt" ]; then
	{
		echo
		echo "HLB scheduling core vs DPDK event_sw (host, scripts/sched-bench.sh)"
		cat "$out/hlb-sched.txt"
	} >>"$out/results.txt"
fi
for f in offload-sim select-bench; do
	if [ -s "$out/$f.txt" ]; then
		{
			echo
			echo "Backend choice, host ($f, tools/offload-sim)"
			cat "$out/$f.txt"
		} >>"$out/results.txt"
	fi
done

crossover=$(cat "$out/crossover")
depth=$(sed -n 's/.*lbdx_bench: roles .*threads=\([0-9]*\) window=\([0-9]*\).*/\1 kthread(s) x \2 in flight/p' "$console" | head -n 1)
{
	echo "set terminal pngcairo size 1000,650 font ',10'"
	echo "set output '$out/throughput.png'"
	echo "set title 'lbdx offload: copy throughput vs size (QEMU TCG guest; ${depth:-?}; medians)'"
	echo "set logscale x 2"
	echo "set logscale y 10"
	echo "set format x '%.0b%B'"
	echo "set xlabel 'copy size (bytes)'"
	echo "set ylabel 'MB/s'"
	echo "set grid"
	echo "set key top left"
	echo "set datafile missing '?'"
	if [ "$crossover" != none ]; then
		echo "set arrow from $crossover, graph 0 to $crossover, graph 1 nohead dt 2 lc rgb 'gray40'"
		echo "set label 'CPU stops winning ' at $crossover, graph 0.05 right tc rgb 'gray30'"
	fi
	echo "plot '$out/sweep.dat' using 1:2 with linespoints lw 2 title 'CPU alone', \\"
	echo "  '' using 1:3 with linespoints lw 2 title 'fast DXE alone (rate=1G)', \\"
	echo "  '' using 1:4 with linespoints lw 2 title 'slow DXE alone (rate=256M)', \\"
	echo "  '' using 1:5 with linespoints lw 2 dt 2 title 'all: earliest-completion', \\"
	echo "  '' using 1:6 with linespoints lw 2 dt 3 title 'all: round-robin'"
} >"$out/throughput.gp"
if [ -s "$out/sweep.dat" ] && grep -qv '^#' "$out/sweep.dat"; then
	gnuplot "$out/throughput.gp" || log "gnuplot failed (see $out/throughput.gp)"
else
	log "no sweep data: no plot"
fi
log "results: $out/results.txt${crossover:+, plot: $out/throughput.png}"
[ $rc -eq 0 ] || log "the VM run reported a problem (exit $rc; see $out/vm/console.log)"
exit $rc

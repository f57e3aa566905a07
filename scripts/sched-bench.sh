#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The HLB scheduling core (tools/hlb-sched) against DPDK's software event
# device (event_sw) on this host, part of `make bench`, runnable alone:
#   scripts/sched-bench.sh [OUT_DIR]      (default build/bench)
# Installs, idempotently, what it needs (libdpdk-dev for the C harness,
# dpdk-dev for dpdk-test-eventdev), builds tools/hlb-sched/bench/
# event_sw_bench.c and hlb-sched-bench, runs them in one invocation
# (ours and event_sw alternating, per queue type, medians, ratios; then
# dpdk-test-eventdev as an additional baseline) and writes the table to
# OUT_DIR/hlb-sched.txt. It prints figures and never passes or fails on
# them. LBDX_SCHED_BENCH_ARGS adds arguments to hlb-sched-bench (e.g.
# "--reps 9 --events 4000000", or "--eventdev-pkts 500000").
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=${1:-$LBDX_TOP/build/bench}
mkdir -p "$out"

SCHED_PACKAGES=(libdpdk-dev dpdk-dev pkg-config gcc)
missing=()
for p in "${SCHED_PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null || die "cannot install ${missing[*]}"
fi

# shellcheck disable=SC2046 # pkg-config prints separate words
cc -O2 -Wall -o "$out/event_sw_bench" "$LBDX_TOP/tools/hlb-sched/bench/event_sw_bench.c" \
	$(pkg-config --cflags --libs libdpdk) || die "cannot build event_sw_bench"
(cd "$LBDX_TOP/tools" && CARGO_TARGET_DIR=$LBDX_CARGO_TARGET \
	cargo build --quiet --release -p hlb-sched --bin hlb-sched-bench) ||
	die "cannot build hlb-sched-bench"

eventdev=()
if command -v dpdk-test-eventdev >/dev/null; then
	eventdev=(--eventdev "$(command -v dpdk-test-eventdev)")
else
	log "no dpdk-test-eventdev: that baseline is left out"
fi
log "hlb-sched against event_sw (host, one thread each; a few minutes)"
rc=0
# shellcheck disable=SC2086 # LBDX_SCHED_BENCH_ARGS is a list of words
"$LBDX_CARGO_TARGET/release/hlb-sched-bench" --dpdk "$out/event_sw_bench" "${eventdev[@]}" \
	${LBDX_SCHED_BENCH_ARGS:-} >"$out/hlb-sched.txt" || rc=$?
cat "$out/hlb-sched.txt"
[ $rc -eq 0 ] || log "hlb-sched-bench reported a problem (exit $rc)"
exit $rc

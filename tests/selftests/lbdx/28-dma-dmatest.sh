#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# lbdx_dma, the dmaengine provider in front of the offload layer, tested
# by a client nobody here wrote: the kernel's own dmatest.
#   - both instances are bound: lbdx-dma.0 (public, one channel per
#     possible CPU, every one held by async_tx, loaded at boot) and
#     lbdx-dma.1 (DMA_PRIVATE, the channels dmatest may take), each with
#     the layer attached;
#   - dmatest on every lbdx-dma.1 channel, 1000 iterations per thread:
#     copy, xor and pq with 3 sources; memset, xor and pq with 15; copy,
#     xor and pq with 63 (the most dmatest asks of max_xor = 64): every
#     summary line reads "1000 tests, 0 failures";
#   - with the layer's policy round-robin, every descriptor, pq included,
#     reached the layer (none ran on the provider's own CPU path), and the
#     layer's engines ran some;
#   - the channels' memcpy_count counted them;
#   - dmatest unloads, and the channels are free again.

. "$LBDX_SHARE/selftests/lib.sh"
. "$LBDX_SHARE/selftests/dma_lib.sh"

ITER=1000
plan 10
kmsg_mark "dma provider and dmatest"
start_mark=$mark
# Round-robin: every backend, engines included, gets a share of the work.
policy0=$(policy_now)
echo round-robin >"$OFFLOAD/policy"

[ "$(cat $PUB/layer 2>/dev/null)" = attached ] && [ "$(cat $PRIV/layer 2>/dev/null)" = attached ]
check $? "lbdx-dma.0 and lbdx-dma.1 are bound, the layer attached" \
	"layer: $(cat $PUB/layer $PRIV/layer 2>&1 | tr '\n' ' ')"

pub=$(chans_of $PUB)
held=0
for c in $pub; do
	[ "$(cat "/sys/class/dma/$c/in_use")" -ge 1 ] && held=$((held + 1))
done
ncpu=$(cat /sys/devices/system/cpu/possible | awk -F- '{ print ($2 == "" ? 0 : $2) + 1 }')
[ "$(echo "$pub" | wc -w)" -eq "$ncpu" ] && [ "$held" -eq "$ncpu" ]
check $? "lbdx-dma.0 has one channel per possible CPU ($ncpu), each held by async_tx" \
	"channels: $(echo $pub); held: $held"

priv=$(chans_of $PRIV)
nchan=$(echo "$priv" | wc -w)
req0=$(cat $PRIV/layer_requests) pq0=$(cat $PRIV/layer_pq_requests)
cpu0=$(cat $PRIV/cpu_runs) eng0=$(engine_jobs)
# memcpy_count: every descriptor a channel completed, summed.
counted() {
	local c s=0
	for c in $priv; do s=$((s + $(cat "/sys/class/dma/$c/memcpy_count"))); done
	echo $s
}
cnt0=$(counted)

dmatest_run "copy, xor, pq: 3 sources" dmatest=0 xor_sources=3 pq_sources=3
check $? "dmatest: copy, xor and pq with 3 sources, $ITER each on $nchan channels: 0 failures"
dmatest_run "memset, xor, pq: 15 sources" dmatest=1 xor_sources=15 pq_sources=15
check $? "dmatest: memset, xor and pq with 15 sources, $ITER each: 0 failures"
dmatest_run "copy, xor, pq: 63 sources" dmatest=0 xor_sources=63 pq_sources=63
check $? "dmatest: copy, xor and pq with 63 sources, $ITER each: 0 failures"

req=$(($(cat $PRIV/layer_requests) - req0)) pq=$(($(cat $PRIV/layer_pq_requests) - pq0))
cpu=$(($(cat $PRIV/cpu_runs) - cpu0))
# Every descriptor, pq included, is a layer request.
[ "$req" -ge $((3 * 3 * ITER * nchan)) ] && [ "$pq" -ge $((3 * ITER * nchan)) ] && [ "$cpu" -eq 0 ]
check $? "the layer ran every descriptor ($req requests, $pq of them pq), the provider's CPU path none ($cpu)"
eng=$(($(engine_jobs) - eng0))
[ "$eng" -gt 0 ]
check $? "the layer's engines ran some of them ($eng jobs)"
cnt=$(($(counted) - cnt0))
[ "$cnt" -ge $((3 * 3 * ITER * nchan)) ]
check $? "the channels' memcpy_count counted every descriptor ($cnt)"

free=0
for c in $priv; do
	[ "$(cat "/sys/class/dma/$c/in_use")" -eq 0 ] && free=$((free + 1))
done
[ "$free" -eq "$nchan" ]
check $? "dmatest let go of every lbdx-dma.1 channel" "free: $free of $nchan"

echo "$policy0" >"$OFFLOAD/policy"
mark=$start_mark
warn=$(since_mark | grep -E 'WARNING:|BUG:|Oops|general protection|unable to handle' | head -n 3)
[ -z "$warn" ]
check $? "no oops or warning in the kernel log" "$warn"
finish

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# vm.sh run|check|shell|bench: build everything, start the device models,
# boot the guest kernel under QEMU with one vfio-user-pci device per model
# instance, load lbdx and do what the mode says (see tests/guest/init).
#
# LBDX_ONLY=PATTERN[,PATTERN...] runs only the selftests matching one of
# them (e.g. "0[79]*").
# LBDX_DEVSET=faults boots the fault-injection device set instead (three
# DXEs: one failing 1% of its descriptors, one halting a channel and then
# hanging, one the selftest removes) and, unless LBDX_ONLY says otherwise,
# runs only the selftests named *fault* and the kmemleak scan; results in build/vm-MODE-faults/.
# Results go to build/vm-MODE/ (or $LBDX_RESULTS): console.log (kernel and init), tap.log
# (selftests, check mode), devmodel.log, expected (device values), refused
# (devices the driver must not bind). Exit
# status: 0 when the guest finished cleanly; 1 with a message on a timeout,
# a device model that died, a guest that did not finish, or an oops, BUG,
# WARNING or panic in the kernel log.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mode=${1:?usage: vm.sh run|check|shell|bench}
case $mode in run | check | shell | bench) ;; *) die "unknown mode $mode" ;; esac
timeout_s=${LBDX_VM_TIMEOUT:-$(case $mode in check) echo 1200 ;; bench) echo 900 ;; *) echo 300 ;; esac)}
# The debug kernel (KASAN, lockdep) runs the selftests about 4x slower.
[ -z "${LBDX_VM_TIMEOUT:-}" ] && [ "${KCONFIG_VARIANT:-}" = debug ] && timeout_s=$((timeout_s * 3))

devset=${LBDX_DEVSET:-main}
case $devset in main | faults) ;; *) die "unknown device set $devset (main, faults)" ;; esac

# The devices of each run: one model instance each, in PCI slot order.
devices=(hlb:hlb0 dxe:dxe0,rate=1G dxe:dxe1,rate=256M,channels=2)
# The fault set: fault plans count descriptors from model start, so they
# get a boot of their own. Its test (20-offload-faults.sh) removes dxe2.
# Seed 7 fails no descriptor among the first 170 (the probe-time self-test).
# 24-dxe-reset-faults.sh loads lbdx again (test 20 unloads it), brings dxe2
# back and stalls one 20000-byte copy on dxe2 (channel reset over in 20 ms,
# well within the 100 ms the driver waits: waited for) and on dxe1, which
# the driver reset when it hung (500 ms: device reset); the abandoned copy
# writes its destination late. Test 20 never submits 20000 bytes (its
# sizes are 512..16384), and halted channels reset at once. dxe0 is not
# used: its re-probe may fail the DMA self-test (1% of descriptors fail).
# The fourth is 30-dma-faults.sh's (md and dmatest through lbdx_dma): test
# 20 keeps it out of selection, so its halt (after 800 descriptors) and
# hang (after 2500) come under lbdx_dma's clients; two probe self-tests
# and test 24's few copies stay well below 800.
if [ "$devset" = faults ]; then
	devices=("dxe:dxe0,rate=1G,faults=error-rate=0.01@${LBDX_FAULT_SEED:-7}"
		"dxe:dxe1,rate=512M,channels=2,faults=halt=0@500;halt=1@100;hang@${LBDX_HANG_AT:-6000};stall-len=20000;reset-delay=500"
		"dxe:dxe2,rate=1G,faults=stall-len=20000;reset-delay=20"
		"dxe:dxe3,rate=1G,channels=2,faults=halt=0@800;hang@2500")
fi
# check adds an HLB with non-default totals, so sysfs is seen to follow the
# device rather than the DLB 2.0 defaults, and devices the driver must
# refuse, each with the message it must log ("DEVICE|MESSAGE"): a DXE of a
# major version the driver does not implement, and one whose every
# descriptor fails, so the probe-time DMA self-test does.
refused=()
declare -A refused_why
if [ "$mode" = check ] && [ "$devset" = main ]; then
	# hlb1 also has two VF functions (31-hlb-vf.sh, 32-hlb-vf-driver.sh):
	# functions 1 and 2 of its slot, each on its own socket served by the
	# same model, with room for two VF slices of the data-plane suite.
	devices+=(hlb:hlb1,domains=8,ldb-queues=8,dir-ports=16,ldb-ports=16,ldb-credits=4096,dir-credits=1024,hist-list=2048,vfs=2)
	# hlb2 is an HLB 1.3: the driver's paths for a device without the
	# statistics counters (their files absent, the others exact).
	devices+=(hlb:hlb2,version=1.3)
	for r in "dxe:dxe9,version=2.0|version 2.0 not supported" \
		"dxe:dxe8,faults=error-every=1|DMA self-test: completion status 0x14"; do
		refused+=("${r%%|*}")
		refused_why[${r%%|*}]=${r#*|}
	done
fi
# bench (scripts/bench.sh): an HLB (for the event pipeline), a fast and a
# slow engine, nothing else; the TSC as clock (TCG's skew makes the watchdog fall back to the HPET, whose every
# read is an emulated MMIO access that would weigh on any code that reads
# the clock per request). LBDX_BENCH_CLOCK=hpet keeps the default;
# LBDX_BENCH_ARGS adds to the command line (tests/guest/bench.sh's knobs);
# LBDX_BENCH_FAST and LBDX_BENCH_SLOW replace the two engines' options,
# LBDX_BENCH_SMP the guest's vCPUs. By default one vCPU and a fast engine
# at rate=16G: the engines' model threads then have the host's second core
# and the fast engine reaches about twice the guest's memcpy at 256 KiB,
# as real engines stand to a CPU (two vCPUs and the engines' threads
# share two cores, and no engine can beat the CPU).
extra_args=
vcpus=2
if [ "$mode" = bench ]; then
	vcpus=${LBDX_BENCH_SMP:-1}
	devices=(hlb:hlb0 "dxe:dxe0,${LBDX_BENCH_FAST:-rate=16G}"
		"dxe:dxe1,${LBDX_BENCH_SLOW:-rate=256M,channels=2}")
	[ "${LBDX_BENCH_CLOCK:-tsc}" = hpet ] || extra_args=" tsc=reliable"
	extra_args+="${LBDX_BENCH_ARGS:+ $LBDX_BENCH_ARGS}"
fi
FIRST_SLOT=16

phase setup "$LBDX_TOP/scripts/setup.sh"
kdir=$(phase kernel "$LBDX_TOP/scripts/build-kernel.sh")
ko=$(phase module "$LBDX_TOP/scripts/build-module.sh")
export CARGO_TARGET_DIR=$LBDX_CARGO_TARGET
phase devmodel-build cargo build --release --quiet --manifest-path "$LBDX_TOP/tools/Cargo.toml" -p devmodel
devmodel=$CARGO_TARGET_DIR/release/lbdx-devmodel
# Guest tools: static, for the busybox guest.
RUSTFLAGS="-C target-feature=+crt-static -C relocation-model=static" phase guest-tools-build \
	cargo build --release --quiet --manifest-path "$LBDX_TOP/tools/Cargo.toml" -p lbdxctl -p hlb-user \
	--target x86_64-unknown-linux-gnu --target-dir "$LBDX_GUEST_TARGET"
export LBDX_GUEST_TOOLS=$LBDX_GUEST_TARGET/x86_64-unknown-linux-gnu/release

only=${LBDX_ONLY:-}
if [ "$devset" = faults ]; then
	results=${LBDX_RESULTS:-$LBDX_TOP/build/vm-$mode-faults}
	only=${only:-*fault*,99-kmemleak.sh}
else
	results=${LBDX_RESULTS:-$LBDX_TOP/build/vm-$mode}
fi
rm -rf "$results" && mkdir -p "$results"
sockdir=$(mktemp -d /tmp/lbdx-vm.XXXXXX)
model_pid= qemu_pid=
cleanup() {
	[ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null
	[ -n "$model_pid" ] && kill "$model_pid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$sockdir"
}
trap cleanup EXIT

model_args=() qemu_devs=() slot=$FIRST_SLOT nsockets=0
: >"$results/refused"
# vfio_dev SOCKET ADDR [MULTIFUNCTION]: a QEMU vfio-user-pci device.
vfio_dev() {
	qemu_devs+=(-device "{\"driver\":\"vfio-user-pci\",\"socket\":{\"path\":\"$1\",\"type\":\"unix\"},\"addr\":\"$2\"${3:+,\"multifunction\":true}}")
	nsockets=$((nsockets + 1))
}
for d in "${devices[@]}" "${refused[@]}"; do
	kind=${d%%:*} spec=${d#*:}
	name=${spec%%,*} opts=${spec#"$name"}
	model_args+=("--$kind" "$sockdir/$name.sock$opts")
	# An HLB's VFs (vfs=N) are functions 1..N of its slot.
	vfs=$(echo "$opts" | sed -n 's/.*,vfs=\([0-9]*\).*/\1/p')
	vfio_dev "$sockdir/$name.sock" "$(printf '0x%x.0' $slot)" ${vfs:+multifunction}
	for f in $(seq 1 "${vfs:-0}"); do
		vfio_dev "$sockdir/$name.sock.vf$((f - 1))" "$(printf '0x%x.%d' $slot "$f")"
	done
	printf '%s 0000:00:%02x.0\n' "$name" $slot >>"$sockdir/slots"
	case " ${refused[*]} " in
	*" $d "*) printf '0000:00:%02x.0 %s %s\n' $slot "$kind" "${refused_why[$d]}" >>"$results/refused" ;;
	esac
	slot=$((slot + 1))
done

# expected: "BDF KIND key=value ..." from the model's own description.
"$devmodel" --describe "${model_args[@]}" | while read -r name kind rest; do
	bdf=$(awk -v n="$name" '$1 == n { print $2 }' "$sockdir/slots")
	grep -q "^$bdf " "$results/refused" || echo "$bdf $kind $rest"
done >"$results/expected"
[ -s "$results/expected" ] || die "device model described no devices"

phase initramfs "$LBDX_TOP/scripts/mkinitramfs.sh" "$results/initrd.gz" "$ko" "$results"

# start_model: the device model, serving every socket (fresh state).
start_model() {
	find "$sockdir" \( -name '*.sock' -o -name '*.sock.vf*' \) -delete
	"$devmodel" "${model_args[@]}" 2>>"$results/devmodel.log" &
	model_pid=$!
	for _ in $(seq 100); do
		n=$(find "$sockdir" -name '*.sock' -o -name '*.sock.vf*' | wc -l)
		[ "$n" -eq "$nsockets" ] && break
		kill -0 $model_pid 2>/dev/null || die "device model exited at start: $(tail -n 3 "$results/devmodel.log")"
		sleep 0.1
	done
	[ "$n" -eq "$nsockets" ] || die "device model did not open its sockets"
}

qemu_args=(-accel tcg -M q35,memory-backend=mem -m 1G -smp "$vcpus"
	-object memory-backend-memfd,id=mem,size=1G,share=on
	-kernel "$kdir/arch/x86/boot/bzImage" -initrd "$results/initrd.gz"
	-append "console=ttyS0 panic=-1 oops=panic kunit.enable=1 kunit.autorun=1 lbdx.mode=$mode lbdx.devset=$devset${only:+ lbdx.only=$only}$extra_args"
	-display none -no-reboot -monitor none "${qemu_devs[@]}")

# A guest that has not started init after boot_s seconds hung in the
# kernel's early boot, before any module or test ran (seen once in a CI
# run: two TCG vCPUs spinning after "hpet: 3 channels of 0 reserved for
# per-cpu timers", the switch to tsc-early never logged,
# for 20 minutes): it is booted again, once, with a fresh device model,
# and the log says so.
boot_s=${LBDX_VM_BOOT_TIMEOUT:-240}
[ "${KCONFIG_VARIANT:-}" = debug ] && boot_s=$((boot_s * 3))

# boot: runs the guest until it ends, times out or hangs early; sets
# $verdict (empty: it ended by itself) and $early (it hung before init).
boot() {
	log "booting the guest ($mode, $devset devices; $((${#devices[@]} + ${#refused[@]})) devices; timeout ${timeout_s} s; $(qemu_system --version | head -n 1))"
	t0=$(date +%s)
	case $mode in
	shell)
		qemu_system "${qemu_args[@]}" -serial mon:stdio
		exit 0
		;;
	run | bench)
		exec_qemu_system "${qemu_args[@]}" -serial stdio >"$results/console.log" 2>&1 &
		qemu_pid=$!
		;;
	check)
		exec_qemu_system "${qemu_args[@]}" -serial "file:$results/console.log" \
			-serial "file:$results/tap.log" >"$results/qemu.log" 2>&1 &
		qemu_pid=$!
		;;
	esac
	# Wait for the guest, but not for ever, and not for a dead device model.
	verdict= early=
	while kill -0 $qemu_pid 2>/dev/null; do
		if ! kill -0 $model_pid 2>/dev/null; then
			verdict="the device model died during the run ($(tail -n 1 "$results/devmodel.log"))"
			kill $qemu_pid 2>/dev/null
			break
		fi
		elapsed=$(($(date +%s) - t0))
		if [ $elapsed -ge "$boot_s" ] && ! grep -q 'Run /init as init process' "$results/console.log"; then
			early=1
			last=$(grep '^\[' "$results/console.log" 2>/dev/null | tail -n 1 || true)
			verdict="the guest hung in early boot (last line: ${last:-none})"
			kill $qemu_pid 2>/dev/null
			break
		fi
		if [ $elapsed -ge "$timeout_s" ]; then
			verdict="timeout: the guest did not finish within $timeout_s s"
			kill $qemu_pid 2>/dev/null
			break
		fi
		sleep 0.5
	done
	wait $qemu_pid 2>/dev/null || true
	qemu_pid=
	log "phase guest: $(($(date +%s) - t0)) s"
}

start_model
boot
if [ -n "$early" ]; then
	log "$verdict: booting again, once"
	kill "$model_pid" 2>/dev/null
	wait "$model_pid" 2>/dev/null
	start_model
	boot
fi

[ "$mode" = run ] && grep -v '^\[' "$results/console.log" | sed -n '/=== lbdx/,/lbdx-guest-done/p' | grep -v lbdx-guest-done

if [ -z "$verdict" ] && ! grep -q '^lbdx-guest-done' "$results/console.log"; then
	verdict="the guest did not finish (see $results/console.log)"
fi
bad=$(grep -E 'Oops|BUG:|WARNING:|Kernel panic|general protection|Call Trace|panicked at|KASAN|UBSAN' \
	"$results/console.log" | head -n 5 || true)
[ -z "$bad" ] || verdict="${verdict:+$verdict; }kernel log has: $bad"
if [ -n "$verdict" ]; then
	log "FAIL: $verdict"
	exit 1
fi
log "guest finished cleanly; logs in $results"

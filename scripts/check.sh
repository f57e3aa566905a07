#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: every test, ending with the line "N passed, N failed".
#
#   host    cargo test of the device models and kernel-free logic (tools/)
#   style   rustfmt of driver and tools, clippy of the module and the tools
#   guest   KUnit suites and selftests in a VM (scripts/vm.sh check), then
#           the offload fault tests in a second boot with the fault device
#           set (LBDX_DEVSET=faults): each
#           TAP "ok"/"not ok" line counts ("ok ... # SKIP REASON" counts
#           as skipped, apart; a skip without a reason as a failure); so do
#           "the guest finished
#           cleanly" (no timeout, no dead device model, no oops/WARN/BUG),
#           "every selftest ran its whole plan" and "the device models
#           raised no alarm" (the driver never programs what the device
#           refuses; the selftests only make valid or driver-refused
#           requests).
#
# LBDX_CHECK_PARTS (default "host style guest") picks the parts; make
# check-debug (scripts/check-debug.sh) runs only the guest on the debug
# kernel.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
parts=" ${LBDX_CHECK_PARTS:-host style guest} "
part() { [[ $parts == *" $1 "* ]]; }

passed=0 failed=0 skipped=0
t_start=$(date +%s)
pass() { passed=$((passed + 1)); echo "ok - $*"; }
fail() { failed=$((failed + 1)); echo "not ok - $*"; }
result() { if [ "$1" -eq 0 ]; then pass "$2"; else fail "$2"; fi; }

summary() {
	log "make check took $(($(date +%s) - t_start)) s"
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	exit
}

phase setup "$LBDX_TOP/scripts/setup.sh" || { fail "setup"; summary; }
phase kernel "$LBDX_TOP/scripts/build-kernel.sh" >/dev/null || { fail "guest kernel build"; summary; }
export CARGO_TARGET_DIR=$LBDX_CARGO_TARGET
results=$LBDX_TOP/build/check
mkdir -p "$results"

# --- host ---------------------------------------------------------------
if part host; then
t0=$(date +%s)
(cd "$LBDX_TOP/tools" && cargo test --quiet --no-fail-fast 2>&1) >"$results/cargo-test.log"
rc=$?
grep -E '^test result|FAILED|panicked' "$results/cargo-test.log"
while read -r p f i; do
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + i))
done < <(sed -n 's/^test result: [a-zA-Z]*\. \([0-9]*\) passed; \([0-9]*\) failed; \([0-9]*\) ignored.*/\1 \2 \3/p' "$results/cargo-test.log")
# A test binary that crashed (or failed to build) prints no "test result"
# line for itself: only cargo's exit status tells.
result $rc "cargo test exited 0 (status $rc; see $results/cargo-test.log)"
log "phase host-tests: $(($(date +%s) - t0)) s"
fi

# --- style --------------------------------------------------------------
if part style; then
t0=$(date +%s)
ksrc=$(kernel_src)
rustfmt --check --edition 2021 --config-path "$ksrc/.rustfmt.toml" "$LBDX_TOP/drivers/lbdx/lbdx_main.rs" >"$results/rustfmt.log" 2>&1
result $? "rustfmt: driver sources"
(cd "$LBDX_TOP/tools" && cargo fmt --all -- --check) >"$results/cargo-fmt.log" 2>&1
result $? "rustfmt: tools sources"
(cd "$LBDX_TOP/tools" && cargo clippy --quiet --all-targets -- -D warnings) >"$results/cargo-clippy.log" 2>&1
result $? "clippy: tools"
touch "$LBDX_TOP/drivers/lbdx/lbdx_main.rs"
CLIPPY=1 "$LBDX_TOP/scripts/build-module.sh" >/dev/null 2>"$results/module-clippy.log"
rc=$?
[ $rc -eq 0 ] && ! grep -qE '^(warning|error)' "$results/module-clippy.log"
result $? "clippy: module builds warning-free (make CLIPPY=1)"
log "phase style: $(($(date +%s) - t0)) s"
fi

# --- guest ---------------------------------------------------------------
# guest DEVSET: one VM boot (scripts/vm.sh check) with that device set,
# its TAP counted. The fault-injection set gets a boot of its own because
# fault plans count from model start.
guest() {
	local devset=$1 vmdir tap out sfx=
	[ "$devset" = main ] || sfx=-$devset
	vmdir=$LBDX_TOP/build/vm-check$sfx
	out=$results${sfx:+/$devset}
	mkdir -p "$out"
	t0=$(date +%s)
	LBDX_DEVSET=$devset "$LBDX_TOP/scripts/vm.sh" check 2>&1 | tee "$out/vm.log" | grep -E 'FAIL|phase|finished'
	result "${PIPESTATUS[0]}" "guest ($devset devices) finished cleanly (no timeout, dead model, oops, WARN or BUG)"
	# Selftests that make the device refuse a QE on purpose say so with
	# "# expected-alarms: N" (17-hlb-dataplane.sh's badqe case): exactly
	# those must be there, and no other.
	alarms=$(grep -c ': alarm ' "$vmdir/devmodel.log" 2>/dev/null)
	expected=$(tr -d '\r' <"$vmdir/tap.log" 2>/dev/null | awk '/^# expected-alarms: [0-9]+$/ { s += $3 } END { print s + 0 }')
	[ "${alarms:-0}" -eq "$expected" ]
	result $? "the device models ($devset) raised no unexpected alarm (${alarms:-0} raised, $expected expected: $(grep -m 3 ': alarm ' "$vmdir/devmodel.log" 2>/dev/null | tr '\n' ' '))"
	tap=$vmdir/tap.log
	if [ -f "$tap" ]; then
		tr -d '\r' <"$tap" >"$out/tap.log"
		grep -E '^not ok|^ok [0-9]+ # SKIP *$' "$out/tap.log" | sed "s/^/  guest ($devset): /"
		# A skip counts apart and must say why; one that does not fails.
		passed=$((passed + $(grep -E '^ok ' "$out/tap.log" | grep -cv ' # SKIP')))
		skipped=$((skipped + $(grep -cE '^ok [0-9]+ # SKIP +[^ ]' "$out/tap.log")))
		failed=$((failed + $(grep -cE '^not ok|^ok [0-9]+ # SKIP *$' "$out/tap.log")))
		# Every selftest printed as many results as its plan announced.
		awk '/^# selftest:/ { if (name != "" && got != want) bad = bad " " name; name = $3; want = -1; got = 0 }
		     /^1\.\.[0-9]+$/ { want = substr($0, 4) + 0 }
		     /^(ok|not ok) [0-9]/ { got++ }
		     /^# selftests done/ { if (name != "" && got != want) bad = bad " " name; done = 1 }
		     END { if (!done) bad = bad " (runner did not finish)"; if (name == "") bad = bad " (no selftest ran)"
		           if (bad != "") { print "incomplete:" bad; exit 1 } }' \
			"$out/tap.log"
		result $? "every selftest ($devset) ran its whole plan"
	else
		fail "guest ($devset) produced no TAP output"
	fi
	log "phase guest-tests-$devset: $(($(date +%s) - t0)) s"
}
if part guest; then
	guest main
	guest faults
fi
summary

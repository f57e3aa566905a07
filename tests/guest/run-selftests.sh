#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs every selftest under $LBDX_SHARE/selftests in name order. Each prints
# TAP (a "1..N" plan and "ok"/"not ok" lines); this runner frames each with
# "# selftest: NAME" and "# exit: CODE" and adds a "not ok" line for a test
# that exits non-zero without having reported a failure, so a crash
# mid-test can never pass.

# lbdx.only=PATTERN[,PATTERN...] on the kernel command line (scripts/vm.sh
# passes $LBDX_ONLY) runs only the selftests whose names match one of the
# shell patterns.
only=$(sed -n 's/.*lbdx\.only=\([^ ]*\).*/\1/p' /proc/cmdline)
echo "TAP version 13"
for t in "$LBDX_SHARE"/selftests/[0-9]*.sh; do
	name=$(basename "$t")
	matched=
	# The patterns are split on commas, not expanded as file names.
	set -f
	for pat in $(echo "${only:-*}" | tr , ' '); do
		# shellcheck disable=SC2254
		case "$name" in $pat) matched=1 ;; esac
	done
	set +f
	[ -n "$matched" ] || continue
	echo "# selftest: $name"
	{
		sh "$t" 2>&1
		echo $? >/tmp/selftest.rc
	} | tee /tmp/selftest.out
	rc=$(cat /tmp/selftest.rc)
	echo "# exit: $rc"
	[ $rc -eq 0 ] || grep -q '^not ok' /tmp/selftest.out ||
		echo "not ok - $name exited with $rc without reporting a failure"
done
echo "# selftests done"

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Reports the module's KUnit suites (run when lbdx.ko was loaded) as TAP:
# one line per test case, from /sys/kernel/debug/kunit/<suite>/results.

. "$LBDX_SHARE/selftests/lib.sh"

suites=$(ls -d /sys/kernel/debug/kunit/lbdx_* 2>/dev/null)
if [ -z "$suites" ]; then
	plan 1
	fail "kunit: no lbdx suite in /sys/kernel/debug/kunit"
	finish
	exit
fi

out=/tmp/kunit.tap
: >"$out"
for s in $suites; do
	suite=$(basename "$s")
	# Case lines are indented "ok N name" / "not ok N name"; the suite's own
	# summary line is not indented.
	sed -n 's/^[ \t][ \t]*\(not ok\|ok\) [0-9][0-9]* \(.*\)$/\1 '"$suite"'.\2/p' "$s/results" >>"$out"
	grep -q "^not ok [0-9]* $suite\$\|^ok [0-9]* $suite\$" "$s/results" ||
		echo "not ok $suite: suite summary missing" >>"$out"
done
plan "$(wc -l <"$out")"
while read -r status rest; do
	case "$status" in
	ok) ok "kunit $rest" ;;
	*) fail "kunit ${rest#ok }" ;;
	esac
done <"$out"
finish

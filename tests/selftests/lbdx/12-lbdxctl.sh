#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# lbdxctl, the configuration tool, against the real driver: a description
# file applied, shown, destroyed and applied again from what show printed
# gives the same domain (round trip); a file asking for more than the
# device has fails naming the attribute and errno and leaves nothing
# behind; list names every HLB.

. "$LBDX_SHARE/selftests/lib.sh"

bdf=$(expected_bdfs hlb | head -n 1)
sys=/sys/bus/pci/devices/$bdf
plan 6

avail() { cat "$sys"/avail_resources/*; }

cat >/tmp/d0.toml <<TOML
device = "$bdf"
[domain]
name = "d0"
num_ldb_queues = 2
num_ldb_ports_cos0 = 4
num_dir_ports = 1
num_ldb_credits = 1024
num_dir_credits = 256
num_hist_list_entries = 512
num_atomic_inflights = 64
start = true
[[queue]]
name = "q0"
atomic_inflights = 32
[[queue]]
name = "q1"
sequence_numbers = 64
[[ldb_port]]
name = "p0"
cq_depth = 64
links = [ { queue = "q0", priority = 0 }, { queue = "q1", priority = 3 } ]
[[ldb_port]]
name = "p1"
links = [ { queue = "q0", priority = 1 } ]
[[ldb_port]]
name = "p2"
[[ldb_port]]
name = "p3"
[[dir_port]]
name = "dp0"
cq_depth = 32
TOML

before=$(avail)
lbdxctl apply /tmp/d0.toml && [ "$(cat /sys/kernel/config/lbdx/$bdf/domains/d0/state)" = started ]
check $? "apply makes and starts the domain"
lbdxctl show "$bdf" d0 >/tmp/shown.toml && lbdxctl destroy "$bdf" d0 && [ "$(avail)" = "$before" ]
check $? "show, then destroy gives every resource back"
lbdxctl apply /tmp/shown.toml && lbdxctl show "$bdf" d0 >/tmp/shown2.toml &&
	diff /tmp/shown.toml /tmp/shown2.toml >/tmp/diff.txt
check $? "apply of show's output recreates the same domain (round trip)" "$(head -n 5 /tmp/diff.txt)"
lbdxctl destroy "$bdf" d0 && [ "$(avail)" = "$before" ]
check $? "destroy again leaves avail_resources as before"

sed "s/^num_ldb_queues = 2/num_ldb_queues = $(($(cat "$sys/total_resources/ldb_queues") + 0))/; s/^name = \"d0\"/name = \"big\"/" \
	/tmp/d0.toml >/tmp/big.toml
# Hold one queue elsewhere so the big domain cannot have them all.
mkdir -p /sys/kernel/config/lbdx/$bdf/domains/hold
echo 1 >/sys/kernel/config/lbdx/$bdf/domains/hold/num_ldb_queues
echo 1 >/sys/kernel/config/lbdx/$bdf/domains/hold/commit
held=$(avail)
! lbdxctl apply /tmp/big.toml 2>/tmp/err.txt &&
	grep -q "domains/big/commit: ENOSPC" /tmp/err.txt && [ "$(avail)" = "$held" ] &&
	[ ! -e /sys/kernel/config/lbdx/$bdf/domains/big ]
check $? "a file asking too much fails naming commit and ENOSPC, leaving nothing" "$(cat /tmp/err.txt)"
rmdir /sys/kernel/config/lbdx/$bdf/domains/hold

missing=
lbdxctl list >/tmp/list.txt || missing="(list failed)"
for b in $(expected_bdfs hlb); do
	grep -q "$b" /tmp/list.txt || missing="$missing $b"
done
[ -z "$missing" ]
check $? "list names every HLB" "missing:$missing"
finish

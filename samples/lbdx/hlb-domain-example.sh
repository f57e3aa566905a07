#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Worked example (Documentation/admin-guide/lbdx.rst): on the HLB at PCI
# address $1 (default: the first one bound to lbdx_hlb), make a scheduling
# domain with 2 load-balanced queues, 4 load-balanced ports and 1 directed
# port, link every port to both queues, start it, show it, and tear it all
# down again. Stops at the first failing step (set -e) with the shell's
# message naming the file and the error.
set -eu

bdf=${1:-$(basename "$(ls -d /sys/bus/pci/drivers/lbdx_hlb/0000:* | head -n 1)")}
cfg=/sys/kernel/config/lbdx/$bdf
sys=/sys/bus/pci/devices/$bdf

echo "== free before: $(cat "$sys/avail_resources/domains") domains," \
	"$(cat "$sys/avail_resources/ldb_queues") LDB queues," \
	"$(cat "$sys/avail_resources/ldb_ports") LDB ports"

# The device's tree, then the domain and its reservation.
[ -d "$cfg" ] || mkdir "$cfg"
d=$cfg/domains/example
mkdir "$d"
echo 2 >"$d/num_ldb_queues"
echo 4 >"$d/num_ldb_ports_cos0"
echo 1 >"$d/num_dir_ports"
echo 1024 >"$d/num_ldb_credits"
echo 256 >"$d/num_dir_credits"
echo 512 >"$d/num_hist_list_entries"
echo 64 >"$d/num_atomic_inflights"
echo 1 >"$d/commit"

# Two queues: q0 atomic, q1 ordered.
mkdir "$d/queues/q0" "$d/queues/q1"
echo 32 >"$d/queues/q0/atomic_inflights"
echo 64 >"$d/queues/q1/sequence_numbers"
echo 1 >"$d/queues/q0/commit"
echo 1 >"$d/queues/q1/commit"

# Four load-balanced ports, each taking from both queues (q0 first).
for p in p0 p1 p2 p3; do
	mkdir "$d/ldb_ports/$p"
	echo 64 >"$d/ldb_ports/$p/cq_depth"
	echo 1 >"$d/ldb_ports/$p/commit"
	echo "q0 0" >"$d/ldb_ports/$p/links"
	echo "q1 3" >"$d/ldb_ports/$p/links"
done

# One directed port.
mkdir "$d/dir_ports/dp0"
echo 32 >"$d/dir_ports/dp0/cq_depth"
echo 1 >"$d/dir_ports/dp0/commit"

echo 1 >"$d/start"
echo "== domain $(basename "$d"): $(cat "$d/state"), device domain $(cat "$d/id")"
for o in "$d"/queues/* "$d"/ldb_ports/* "$d"/dir_ports/*; do
	echo "   $(basename "$(dirname "$o")")/$(basename "$o"): id $(cat "$o/id")" \
		"$( [ -f "$o/links" ] && echo "links: $(tr '\n' ';' <"$o/links")")"
done
echo "== free while running: $(cat "$sys/avail_resources/domains") domains," \
	"$(cat "$sys/avail_resources/ldb_queues") LDB queues," \
	"$(cat "$sys/avail_resources/ldb_ports") LDB ports"

# Teardown: stop, unlink, remove objects, then the domain.
echo 0 >"$d/start"
for p in p0 p1 p2 p3; do
	echo "-q0" >"$d/ldb_ports/$p/links"
	echo "-q1" >"$d/ldb_ports/$p/links"
	rmdir "$d/ldb_ports/$p"
done
rmdir "$d/queues/q0" "$d/queues/q1" "$d/dir_ports/dp0"
rmdir "$d"
echo "== free after: $(cat "$sys/avail_resources/domains") domains," \
	"$(cat "$sys/avail_resources/ldb_queues") LDB queues," \
	"$(cat "$sys/avail_resources/ldb_ports") LDB ports"

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# hlb-pipeline-domain.sh BDF NAME up|down: makes and starts (up), or stops
# and removes (down), the domain NAME on the HLB at BDF that hlb-pipeline
# (tools/hlb-user) runs its producer -> atomic -> ordered -> consumer
# pipeline on: q0 atomic for ports p0 and p1, q1 ordered for p2 and p3
# (each stage's ports linked to its own queue only, as dpdk-test-eventdev
# sets up a pipeline), directed ports d0 (producer) and d1 (consumer).
# Its character device is /dev/lbdx/BDF/NAME (mode 0660). Run it as:
#
#   hlb-pipeline --bdf BDF --domain NAME --atomic-queue q0 --ordered-queue q1 \
#       --atomic-ports p0,p1 --ordered-ports p2,p3 --producer d0 --consumer d1
#
# Exits non-zero, naming the step, if a configfs write fails.

bdf=${1:?usage: hlb-pipeline-domain.sh BDF NAME up|down}
name=${2:?usage: hlb-pipeline-domain.sh BDF NAME up|down}
cfg=/sys/kernel/config/lbdx/$bdf
d=$cfg/domains/$name
links="p0:q0 p1:q0 p2:q1 p3:q1"

put() { echo "$2" >"$1" || { echo "hlb-pipeline-domain: $1 <- $2 failed" >&2; exit 1; }; }

case ${3:?usage: hlb-pipeline-domain.sh BDF NAME up|down} in
up)
	[ -d "$cfg" ] || mkdir "$cfg" || exit 1
	mkdir "$d" || exit 1
	for kv in num_ldb_queues=2 num_ldb_ports_cos0=4 num_dir_ports=2 num_ldb_credits=1024 \
		num_dir_credits=256 num_hist_list_entries=512 num_atomic_inflights=64 mode=0660 commit=1; do
		put "$d/${kv%%=*}" "${kv#*=}"
	done
	mkdir "$d/queues/q0" "$d/queues/q1" || exit 1
	put "$d/queues/q0/atomic_inflights" 64
	put "$d/queues/q1/sequence_numbers" 64
	put "$d/queues/q0/commit" 1
	put "$d/queues/q1/commit" 1
	for o in $links; do
		mkdir "$d/ldb_ports/${o%%:*}" || exit 1
		put "$d/ldb_ports/${o%%:*}/cq_depth" 64
		put "$d/ldb_ports/${o%%:*}/commit" 1
		put "$d/ldb_ports/${o%%:*}/links" "${o#*:} 0"
	done
	for o in d0 d1; do
		mkdir "$d/dir_ports/$o" || exit 1
		put "$d/dir_ports/$o/cq_depth" 64
		put "$d/dir_ports/$o/commit" 1
	done
	put "$d/start" 1
	;;
down)
	[ -d "$d" ] || exit 0
	put "$d/start" 0
	for o in $links; do
		[ -d "$d/ldb_ports/${o%%:*}" ] && put "$d/ldb_ports/${o%%:*}/links" "-${o#*:}"
	done
	rmdir "$d"/ldb_ports/* "$d"/dir_ports/* "$d"/queues/* 2>/dev/null
	rmdir "$d"
	;;
*)
	echo "usage: hlb-pipeline-domain.sh BDF NAME up|down" >&2
	exit 2
	;;
esac

# SPDX-License-Identifier: GPL-2.0
#
# The HLB data-plane suite, sourced by 17-hlb-dataplane.sh (every PF) and
# 32-hlb-vf-driver.sh (every VF, in its virtual ids): make a domain (q0
# atomic, q1 ordered, 4 LDB ports linked to both, 2 DIR ports) and a
# second one (1 DIR port), start them, run hlb-dptest cases, tear down,
# run the pipeline on a domain of its own, and check avail_resources is
# what it was before. Needs 2 domains, 2 LDB queues, 4 LDB ports, 3 DIR
# ports, 1024 LDB and 288 DIR credits, 512 history-list entries, 64 atomic
# in-flights and one sequence-number group.

ids_of() { for o in "$@"; do cat "$o/id"; done | tr '\n' ',' | sed 's/,$//'; }

# mkdomains D O: the data-plane domain D and the other domain O.
mkdomains() {
	local d=$1 o=$2 p
	mkdir "$d" "$o" || return 1
	expect_ok "$d/num_ldb_queues" 2 && expect_ok "$d/num_ldb_ports_cos0" 4 &&
		expect_ok "$d/num_dir_ports" 2 && expect_ok "$d/num_ldb_credits" 1024 &&
		expect_ok "$d/num_dir_credits" 256 && expect_ok "$d/num_hist_list_entries" 512 &&
		expect_ok "$d/num_atomic_inflights" 64 && expect_ok "$d/commit" 1 &&
		mkobj "$d/queues/q0" atomic_inflights=64 commit=1 &&
		mkobj "$d/queues/q1" sequence_numbers=64 commit=1 || return 1
	for p in p0 p1 p2 p3; do
		mkobj "$d/ldb_ports/$p" cq_depth=64 commit=1 links="q0 0" links="q1 0" || return 1
	done
	mkobj "$d/dir_ports/d0" cq_depth=64 commit=1 &&
		mkobj "$d/dir_ports/d1" cq_depth=64 commit=1 &&
		expect_ok "$o/num_dir_ports" 1 && expect_ok "$o/num_dir_credits" 32 &&
		expect_ok "$o/commit" 1 && mkobj "$o/dir_ports/x0" cq_depth=32 commit=1 &&
		expect_ok "$d/start" 1 && expect_ok "$o/start" 1
}

# dp_checks CASES: how many checks dp_suite makes.
dp_checks() { echo $(($(echo $1 | wc -w) + 8)); }

# dp_args D O: hlb-dptest's arguments for domains D and O.
dp_args() {
	local d=$1 o=$2
	echo "--ldb $(ids_of "$d"/ldb_ports/p0 "$d"/ldb_ports/p1 "$d"/ldb_ports/p2 "$d"/ldb_ports/p3)" \
		"--dir $(ids_of "$d"/dir_ports/d0 "$d"/dir_ports/d1)" \
		"--aq $(cat "$d/queues/q0/id") --oq $(cat "$d/queues/q1/id") --other-dir $(cat "$o/dir_ports/x0/id")"
}

# dp_suite BDF CASES [HLB-DPTEST ARGS...]: the suite on HLB function BDF.
dp_suite() {
	local bdf=$1 cases=$2 sys cfg before d o dev args c out st
	shift 2
	sys=/sys/bus/pci/devices/$bdf
	cfg=/sys/kernel/config/lbdx/$bdf
	before=$(snap)
	[ -d "$cfg" ] || mkdir "$cfg"
	d=$cfg/domains/dp o=$cfg/domains/dp-other
	mkdomains "$d" "$o"
	check $? "$bdf data-plane domains made and started"
	dev=/dev/lbdx/$bdf/dp
	[ -c "$dev" ]
	check $? "$bdf domain device $dev exists"
	args="--dev $dev $(dp_args "$d" "$o") $*"
	for c in $cases; do
		hlb-dptest "$c" $args
		check $? "$bdf hlb-dptest $c"
	done
	teardown "$o"
	teardown "$d"
	# The pipeline gets a domain of its own: each stage's ports linked to
	# its stage's queue only, as dpdk-test-eventdev's pipeline sets up.
	sh "$LBDX_SHARE/samples/hlb-pipeline-domain.sh" "$bdf" pipe up
	check $? "$bdf pipeline domain made and started"
	out=$(dp_pipeline "$bdf" /tmp/dp-counts 2>&1)
	check $? "$bdf hlb-pipeline keeps atomicity and order" "$out"
	echo "# $out"
	out=$(dp_counts_match "$bdf" /tmp/dp-counts)
	check $? "$bdf pipeline per-port and per-queue stats equal the pipeline's own counts" "$out"
	dp_pipeline_stats "$bdf"
	check $? "$bdf pipeline stats: 60000 scheduled, credits whole after the drain" \
		"$(grep -s . /sys/class/lbdx_hlb/$bdf:pipe/stats/* | tr '\n' ' ')"
	sh "$LBDX_SHARE/samples/hlb-pipeline-domain.sh" "$bdf" pipe down
	[ ! -e "$dev" ]
	check $? "$bdf domain device gone after stop"
	[ "$(snap)" = "$before" ]
	check $? "$bdf avail_resources whole after teardown"
}

# dp_pipeline BDF [COUNTS]: hlb-pipeline on BDF's started domain "pipe";
# with COUNTS, its statistics reset first and what it counted itself
# written to COUNTS.
dp_pipeline() {
	local bdf=$1
	shift
	[ $# -gt 0 ] && set -- --reset-stats --counts "$1"
	hlb-pipeline --bdf "$bdf" --domain pipe --events 20000 --flows 256 \
		--atomic-queue q0 --ordered-queue q1 --atomic-ports p0,p1 --ordered-ports p2,p3 \
		--producer d0 --consumer d1 "$@"
}

# dp_counts_match BDF COUNTS: every "<file> <value>" line of COUNTS
# (hlb-pipeline --counts) equals that file of the domain's class device,
# after the drain. A file HLB 1.4 adds is skipped on a function without
# it (the stats case checks that such files are absent there).
dp_counts_match() {
	local dir=/sys/class/lbdx_hlb/$1:pipe f v got bad=0 n=0
	while read -r f v; do
		[ -e "$dir/$f" ] || continue
		n=$((n + 1))
		got=$(cat "$dir/$f")
		[ "$got" = "$v" ] || { echo "$f=$got want $v"; bad=1; }
	done <"$2"
	echo "$n counters compared"
	[ "$n" -gt 0 ] && [ "$bad" = 0 ]
}

# dp_pipeline_stats BDF: every event of one dp_pipeline run went through
# three CQs (atomic stage, ordered stage, consumer); the counters survive
# the drain after the pipeline exits.
dp_pipeline_stats() {
	local st=/sys/class/lbdx_hlb/$1:pipe/stats
	[ "$(cat "$st/scheduled")" = 60000 ] && [ "$(cat "$st/qes")" -ge 60000 ] &&
		[ "$(cat "$st/drains")" -ge 1 ] && [ "$(cat "$st/users")" = 0 ] &&
		[ "$(cat "$st/ldb_credits_avail")" = 1024 ] && [ "$(cat "$st/dir_credits_avail")" = 256 ]
}

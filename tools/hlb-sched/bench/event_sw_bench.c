// SPDX-License-Identifier: GPL-2.0
/*
 * Per-event cost of DPDK's software event device (event_sw), single
 * thread, for comparison with the HLB scheduling core (hlb-sched-bench
 * runs this program and prints the ratio). The loop mirrors ours: one
 * producer port enqueues a burst of NEW events on one queue of the given
 * type, one scheduler iteration runs on this lcore, each worker port
 * dequeues a burst and releases it.
 *
 * Usage: event_sw_bench atomic|ordered|parallel EVENTS FLOWS WORKERS BURST
 * Prints one line: "<type> <events> <seconds> <events per second>", in
 * CPU time of the thread running the loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_eventdev.h>
#include <rte_service.h>

#define MAX_WORKERS 16
#define MAX_BURST 128

/*
 * CPU time of this thread: the machines are shared, so wall time would
 * count the time other processes run on our CPU.
 */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "event_sw_bench: %s failed: %d\n", what, rc);
	exit(1);
}

int main(int argc, char **argv)
{
	char *eal[] = { argv[0], "--no-huge", "--no-pci", "--vdev=event_sw0",
			"-l", "0", "--log-level=error", "-m", "256" };
	struct rte_event_dev_config dc = { 0 };
	struct rte_event_queue_conf qc;
	struct rte_event_port_conf pc;
	struct rte_event ev[MAX_BURST];
	uint64_t target, done = 0, sent = 0;
	unsigned int flows, workers, burst, i, w;
	uint32_t sid;
	uint8_t sched, q = 0;
	double t0, t1;
	int rc;

	if (argc != 6) {
		fprintf(stderr, "usage: %s atomic|ordered|parallel EVENTS FLOWS WORKERS BURST\n", argv[0]);
		return 2;
	}
	if (!strcmp(argv[1], "atomic"))
		sched = RTE_SCHED_TYPE_ATOMIC;
	else if (!strcmp(argv[1], "ordered"))
		sched = RTE_SCHED_TYPE_ORDERED;
	else
		sched = RTE_SCHED_TYPE_PARALLEL;
	target = strtoull(argv[2], NULL, 0);
	flows = atoi(argv[3]);
	workers = atoi(argv[4]);
	burst = atoi(argv[5]);
	if (workers < 1 || workers > MAX_WORKERS || burst < 1 || burst > MAX_BURST)
		return 2;

	rc = rte_eal_init(sizeof(eal) / sizeof(eal[0]), eal);
	if (rc < 0)
		die("rte_eal_init", rc);

	dc.nb_event_queues = 1;
	dc.nb_event_ports = workers + 1;
	dc.nb_events_limit = 4096;
	dc.nb_event_queue_flows = 1024;
	dc.nb_event_port_dequeue_depth = 128;
	dc.nb_event_port_enqueue_depth = 128;
	dc.dequeue_timeout_ns = 0;
	rc = rte_event_dev_configure(0, &dc);
	if (rc)
		die("rte_event_dev_configure", rc);

	rte_event_queue_default_conf_get(0, 0, &qc);
	qc.schedule_type = sched;
	qc.nb_atomic_flows = 1024;
	qc.nb_atomic_order_sequences = 1024;
	rc = rte_event_queue_setup(0, 0, &qc);
	if (rc)
		die("rte_event_queue_setup", rc);

	rte_event_port_default_conf_get(0, 0, &pc);
	pc.new_event_threshold = 4096;
	pc.dequeue_depth = 128;
	pc.enqueue_depth = 128;
	for (i = 0; i <= workers; i++) {
		rc = rte_event_port_setup(0, i, &pc);
		if (rc)
			die("rte_event_port_setup", rc);
	}
	for (w = 1; w <= workers; w++) {
		if (rte_event_port_link(0, w, &q, NULL, 1) != 1)
			die("rte_event_port_link", -1);
	}
	rc = rte_event_dev_service_id_get(0, &sid);
	if (rc)
		die("rte_event_dev_service_id_get", rc);
	rte_service_runstate_set(sid, 1);
	rte_service_set_runstate_mapped_check(sid, 0);
	rc = rte_event_dev_start(0);
	if (rc)
		die("rte_event_dev_start", rc);

	t0 = now();
	while (done < target) {
		for (i = 0; i < burst; i++) {
			memset(&ev[i], 0, sizeof(ev[i]));
			ev[i].op = RTE_EVENT_OP_NEW;
			ev[i].queue_id = 0;
			ev[i].sched_type = sched;
			ev[i].flow_id = (sent + i) % flows;
			ev[i].event_type = RTE_EVENT_TYPE_CPU;
			ev[i].u64 = sent + i;
		}
		sent += rte_event_enqueue_burst(0, 0, ev, burst);
		rte_service_run_iter_on_app_lcore(sid, 1);
		for (w = 1; w <= workers; w++) {
			uint16_t n = rte_event_dequeue_burst(0, w, ev, burst, 0);

			for (i = 0; i < n; i++)
				ev[i].op = RTE_EVENT_OP_RELEASE;
			if (n && rte_event_enqueue_burst(0, w, ev, n) != n)
				die("release", n);
			done += n;
		}
	}
	t1 = now();
	printf("%s %llu %.6f %.0f\n", argv[1], (unsigned long long)done, t1 - t0,
	       done / (t1 - t0));
	rte_event_dev_stop(0);
	rte_event_dev_close(0);
	rte_eal_cleanup();
	return 0;
}

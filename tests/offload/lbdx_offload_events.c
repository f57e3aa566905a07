// SPDX-License-Identifier: GPL-2.0
/*
 * lbdx_offload_events: a backend registered from C that reports its state
 * to the lbdx async-offload layer with lbdx_backend_event(), driven from
 * user space by selftest 27-offload-c-backend.sh.
 *
 * At load the module registers "events-c", a copy backend estimated far
 * faster than any other (so the earliest-completion policy picks it for
 * every copy it may take), which copies inside ->submit() and reports at
 * once. Writing a command to the "cmd" parameter first reports what the
 * command says, then runs COPIES copies of COPY_LEN bytes through
 * lbdx_async_memcpy() (each after setting the estimate back to 2^50 B/s,
 * except after an accepted bandwidth event), and leaves in the "result"
 * parameter
 *
 *	ret=<event's return> taken=<copies this backend ran> right=<copies
 *	whose data arrived> failed=<copies that completed with an error>
 *
 * Commands: "copy" (no event), "halted", "running", "dead",
 * "bandwidth=<bytes per second>" (any value, 0 included, is passed on),
 * "drive=<ns>" (a drive cost), "handling=<ns>" (32 handling times, one
 * drive-cost window: the first's return is kept),
 * "event=<number>" (an event with that raw number, @arg 0) and "null"
 * (an event for a NULL backend).
 */

#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/lbdx_offload.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>

#define COPIES		16
#define COPY_LEN	4096
/* Handling times of one window of the layer's drive-cost estimate. */
#define HANDLING_WINDOW	32

static struct lbdx_backend *backend;
static atomic_t taken = ATOMIC_INIT(0);
static DEFINE_MUTEX(cmd_lock);
static char result[96] = "none";

static int events_submit(void *priv, const struct lbdx_job *job)
{
	memcpy((void *)(uintptr_t)job->dst,
	       (const void *)(uintptr_t)job->srcs[0], job->len);
	atomic_inc(&taken);
	lbdx_backend_complete(job->ticket, 0, 0);
	return 0;
}

static const struct lbdx_backend_ops events_ops = {
	.submit = events_submit,
};

static const struct lbdx_backend_desc events_desc = {
	.name = "events-c",
	.ops_mask = BIT(LBDX_OP_COPY),
	.max_len = COPY_LEN,
	.bandwidth = 1ULL << 50,
	/* Too small to change a choice; sysfs must show it as given. */
	.request_cost_ns = 7,
	.ops = &events_ops,
};

/*
 * Runs the copies; counts those whose data arrived and those that failed.
 * With @fast, the estimate is set back to 2^50 B/s before each copy: it
 * learns from the backend's completions, and on a slow or busy guest the
 * CPU would otherwise win some copies.
 */
static void run_copies(bool fast, unsigned int *right, unsigned int *failed)
{
	u8 *src, *dst;
	unsigned int i;

	*right = 0;
	*failed = 0;
	src = kmalloc(COPY_LEN, GFP_KERNEL);
	dst = kmalloc(COPY_LEN, GFP_KERNEL);
	if (!src || !dst) {
		*failed = COPIES;
		goto out;
	}
	for (i = 0; i < COPIES; i++) {
		struct lbdx_tx *tx;
		int status;

		if (fast)
			lbdx_backend_event(backend, LBDX_BACKEND_BANDWIDTH,
					   events_desc.bandwidth);
		memset(src, 0x40 + i, COPY_LEN);
		memset(dst, 0, COPY_LEN);
		tx = lbdx_async_memcpy(dst, src, COPY_LEN, NULL);
		status = IS_ERR(tx) ? PTR_ERR(tx) : lbdx_tx_wait(tx, NULL);
		lbdx_tx_put(tx);
		if (status)
			(*failed)++;
		else if (!memcmp(src, dst, COPY_LEN))
			(*right)++;
	}
out:
	kfree(src);
	kfree(dst);
}

/* Reports the event @cmd names; -ENOENT for an unknown command. */
static int report(const char *cmd)
{
	unsigned int raw;
	u64 bw;

	if (!strcmp(cmd, "copy"))
		return 0;
	if (!strcmp(cmd, "halted"))
		return lbdx_backend_event(backend, LBDX_BACKEND_HALTED, 0);
	if (!strcmp(cmd, "running"))
		return lbdx_backend_event(backend, LBDX_BACKEND_RUNNING, 0);
	if (!strcmp(cmd, "dead"))
		return lbdx_backend_event(backend, LBDX_BACKEND_DEAD, 0);
	if (!strcmp(cmd, "null"))
		return lbdx_backend_event(NULL, LBDX_BACKEND_RUNNING, 0);
	if (sscanf(cmd, "bandwidth=%llu", &bw) == 1)
		return lbdx_backend_event(backend, LBDX_BACKEND_BANDWIDTH, bw);
	if (sscanf(cmd, "drive=%llu", &bw) == 1)
		return lbdx_backend_event(backend, LBDX_BACKEND_DRIVE_COST, bw);
	if (sscanf(cmd, "handling=%llu", &bw) == 1) {
		int ret = lbdx_backend_event(backend, LBDX_BACKEND_HANDLING, bw);

		for (raw = 1; !ret && raw < HANDLING_WINDOW; raw++)
			lbdx_backend_event(backend, LBDX_BACKEND_HANDLING, bw);
		return ret;
	}
	if (sscanf(cmd, "event=%u", &raw) == 1)
		return lbdx_backend_event(backend, raw, 0);
	return -ENOENT;
}

static int cmd_set(const char *val, const struct kernel_param *kp)
{
	unsigned int right, failed, before;
	char cmd[48];
	int ret;

	strscpy(cmd, val, sizeof(cmd));
	strim(cmd);
	mutex_lock(&cmd_lock);
	ret = report(cmd);
	if (ret == -ENOENT) {
		mutex_unlock(&cmd_lock);
		return -EINVAL;
	}
	before = atomic_read(&taken);
	run_copies(ret || strncmp(cmd, "bandwidth=", 10), &right, &failed);
	snprintf(result, sizeof(result), "ret=%d taken=%d right=%u failed=%u",
		 ret, atomic_read(&taken) - before, right, failed);
	mutex_unlock(&cmd_lock);
	return 0;
}

static const struct kernel_param_ops cmd_ops = {
	.set = cmd_set,
};
module_param_cb(cmd, &cmd_ops, NULL, 0200);
MODULE_PARM_DESC(cmd, "event to report, then copies to run (see the source)");
module_param_string(result, result, sizeof(result), 0444);
MODULE_PARM_DESC(result, "what the last command did");

static int __init lbdx_offload_events_init(void)
{
	backend = lbdx_backend_register(&events_desc);
	return PTR_ERR_OR_ZERO(backend);
}

static void __exit lbdx_offload_events_exit(void)
{
	lbdx_backend_unregister(backend);
}

module_init(lbdx_offload_events_init);
module_exit(lbdx_offload_events_exit);
MODULE_DESCRIPTION("lbdx async-offload layer: a C backend that reports events");
MODULE_LICENSE("GPL");

// SPDX-License-Identifier: GPL-2.0
/*
 * lbdx_offload_nesting: how deep the lbdx async-offload layer nests on one
 * kernel stack when a completion leads to more work.
 *
 * Loading the module runs, under each policy ("earliest-completion",
 * "round-robin", "cpu-only") and from each of three contexts (process; a
 * timer, i.e. softirq; process with interrupts off), two chains of @steps
 * copies of @size bytes, each copy reading what the one before wrote:
 *
 *  - callback: each copy is submitted from the previous one's callback,
 *    the first from the context under test;
 *  - depend: every copy depends on the one before; the first depends on a
 *    gate request that the module's own backend holds until the whole
 *    chain is queued, and the context under test then reports the gate
 *    done, which starts the chain.
 *
 * Both run twice: with the module's backend "nesting-sync" out of the
 * selection, and with it in. That backend does every job inside its
 * ->submit() and reports it before returning (which lbdx_backend_ops
 * allows), and is the fastest backend (its drive cost fixed at 0), so that
 * earliest-completion picks it.
 *
 * Every callback measures: how many callbacks of its chain are under way
 * (its nesting depth), how far the stack pointer is below where the
 * chain's first callback on the same stack had it (its growth), and the
 * bytes left on the task's stack. A case passes if every copy completed
 * with status 0 and the right data, the depth never exceeded 1 and the
 * growth stayed within @max_growth bytes. A chain that nests deeper than
 * @depth_limit, grows more than 4 * @max_growth or leaves less than half
 * the task's stack stops (no more
 * submissions; the sync backend refuses its jobs, which then go to the
 * CPU), so that a layer which recurses fails here instead of overflowing
 * the stack.
 *
 * One line per case, then a summary:
 *
 *   lbdx_offload_nesting: ok 3 callback/softirq/cpu-only: 1000 steps, depth 1, growth 0 B, least stack left 11200 B
 *   lbdx_offload_nesting: 36 cases, 0 failures
 *
 * and module init returns -EIO if a case failed. If a chain never
 * finishes, the module stays loaded and pinned (the layer may still call
 * back into it). It leaves the policy at "earliest-completion".
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/err.h>
#include <linux/irqflags.h>
#include <linux/jiffies.h>
#include <linux/lbdx_offload.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timer.h>

static unsigned int steps = 1000;
module_param(steps, uint, 0444);
MODULE_PARM_DESC(steps, "Copies in each chain (1..100000)");

static unsigned int size = 64;
module_param(size, uint, 0444);
MODULE_PARM_DESC(size, "Bytes of each copy (1..4096)");

static unsigned int max_growth = 2048;
module_param(max_growth, uint, 0444);
MODULE_PARM_DESC(max_growth, "Most stack growth a passing chain may show, bytes");

static unsigned int depth_limit = 8;
module_param(depth_limit, uint, 0444);
MODULE_PARM_DESC(depth_limit, "Nesting depth at which a chain stops (2..32)");

/* Least stack left is recorded per depth up to this. */
#define NEST_MAX_DEPTH	32
/* How long one chain may take. */
#define NEST_TIMEOUT	(30 * HZ)
/*
 * Bytes of the gate copy: long enough that the CPU never beats the
 * module's backend to it.
 */
#define NEST_GATE_LEN	4096

enum nest_kind { NEST_CALLBACK, NEST_DEPEND };
enum nest_ctx { NEST_PROCESS, NEST_SOFTIRQ, NEST_IRQOFF };

static const char *const kind_names[] = { "callback", "depend" };
static const char *const ctx_names[] = { "process", "softirq", "irqoff" };
static const char *const policies[] = {
	"earliest-completion", "round-robin", "cpu-only",
};

/* What the module's backend does with a job. */
enum sync_mode {
	SYNC_OFF,	/* reported halted: never selected; refuses */
	SYNC_HOLD,	/* keeps the job (the gate) until the test reports it */
	SYNC_RUN,	/* copies and reports it inside ->submit() */
};

static int sync_mode;
static struct lbdx_backend *sync_backend;
static u64 gate_ticket;
static bool gate_held;

/* ---- The module's backend --------------------------------------------- */

/*
 * Sets what the backend does and tells the layer: halted in SYNC_OFF,
 * running otherwise. An event refused here is a bug of the layer's C API.
 */
static void set_mode(int mode)
{
	WRITE_ONCE(sync_mode, mode);
	WARN_ON(lbdx_backend_event(sync_backend, mode == SYNC_OFF ?
				   LBDX_BACKEND_HALTED : LBDX_BACKEND_RUNNING,
				   0));
}

static int sync_submit(void *priv, const struct lbdx_job *job)
{
	switch (READ_ONCE(sync_mode)) {
	case SYNC_HOLD:
		if (READ_ONCE(gate_held))
			return -EBUSY;
		gate_ticket = job->ticket;
		WRITE_ONCE(gate_held, true);
		return 0;
	case SYNC_RUN:
		memcpy((void *)(uintptr_t)job->dst,
		       (const void *)(uintptr_t)job->srcs[0], job->len);
		lbdx_backend_complete(job->ticket, 0, 0);
		return 0;
	default:
		return -EBUSY;
	}
}

static const struct lbdx_backend_ops sync_ops = {
	.submit = sync_submit,
};

static const struct lbdx_backend_desc sync_desc = {
	.name = "nesting-sync",
	.ops_mask = BIT(LBDX_OP_COPY),
	.max_len = 4096,
	.bandwidth = 1ULL << 50,
	.ops = &sync_ops,
};

struct chain {
	enum nest_kind kind;
	enum nest_ctx ctx;
	u8 *bufs;		/* steps + 1 buffers of size bytes */
	u8 *gate_buf;		/* the gate's destination */
	struct lbdx_tx **txs;	/* depend: the chain's requests */
	struct lbdx_tx *gate;
	unsigned int completed;	/* callbacks with status 0 */
	unsigned int failed;	/* callbacks with another status */
	int first_error;
	bool stopped;
	atomic_t depth;
	int max_depth;
	/* Where the first callback on the current stack had the pointer. */
	unsigned long base_sp;
	const void *base_task;
	bool base_irq;
	long max_growth;
	long least_left[NEST_MAX_DEPTH + 1];
	struct timer_list timer;
	struct completion done;
};

static u8 *buf_of(struct chain *c, unsigned int k)
{
	return c->bufs + (size_t)k * size;
}

/* Bytes left on the task stack, or -1 when not running on it. */
static long stack_left(const void *sp)
{
	if (!object_is_on_stack(sp))
		return -1;
	return (unsigned long)sp - (unsigned long)task_stack_page(current);
}

/* A callback of @c starts: its depth, growth and stack left. */
static void enter(struct chain *c)
{
	unsigned long sp = (unsigned long)__builtin_frame_address(0);
	int depth = atomic_inc_return(&c->depth);
	bool irq = in_interrupt();
	long left = stack_left((void *)sp);
	int d = min(depth, NEST_MAX_DEPTH);

	c->max_depth = max(c->max_depth, depth);
	if (left >= 0 && (c->least_left[d] < 0 || left < c->least_left[d]))
		c->least_left[d] = left;
	if (c->base_task != current || c->base_irq != irq) {
		c->base_task = current;
		c->base_irq = irq;
		c->base_sp = sp;
	} else if (sp < c->base_sp) {
		c->max_growth = max_t(long, c->max_growth, c->base_sp - sp);
	} else if (depth == 1) {
		c->base_sp = sp;
	}
	if (depth > depth_limit || c->max_growth > 4L * max_growth ||
	    (left >= 0 && left < THREAD_SIZE / 2)) {
		c->stopped = true;
		set_mode(SYNC_OFF);
	}
}

/* Counts a callback's status; true when the chain is over. */
static bool count_status(struct chain *c, int status)
{
	if (status) {
		if (!c->failed++)
			c->first_error = status;
	} else {
		c->completed++;
	}
	return c->completed + c->failed == steps;
}

static void leave(struct chain *c, bool last)
{
	atomic_dec(&c->depth);
	/* The last access: the test may free @c once this returned. */
	if (last)
		complete(&c->done);
}

static struct lbdx_tx *copy_step(struct chain *c, unsigned int k,
				 const struct lbdx_submit *sub)
{
	return lbdx_async_memcpy(buf_of(c, k + 1), buf_of(c, k), size, sub);
}

static void callback_step(void *param, int status, u32 result);

/* Submits copy @k of a callback chain; false if it was refused. */
static bool submit_callback_step(struct chain *c, unsigned int k)
{
	struct lbdx_submit sub = {
		.callback = callback_step,
		.callback_param = c,
	};
	struct lbdx_tx *tx = copy_step(c, k, &sub);

	if (IS_ERR(tx)) {
		c->failed++;
		c->first_error = PTR_ERR(tx);
		return false;
	}
	lbdx_tx_put(tx);
	return true;
}

static void callback_step(void *param, int status, u32 result)
{
	struct chain *c = param;
	bool last;

	enter(c);
	last = count_status(c, status);
	if (!last && (status || c->stopped))
		last = true;
	else if (!last && !submit_callback_step(c, c->completed))
		last = true;
	leave(c, last);
}

static void depend_step(void *param, int status, u32 result)
{
	struct chain *c = param;

	enter(c);
	leave(c, count_status(c, status));
}

/* Queues the depend chain behind the gate. */
static int queue_depend_chain(struct chain *c)
{
	struct lbdx_submit sub = {
		.depend = c->gate,
		.callback = depend_step,
		.callback_param = c,
	};
	unsigned int k;

	for (k = 0; k < steps; k++) {
		c->txs[k] = copy_step(c, k, &sub);
		if (IS_ERR(c->txs[k])) {
			int err = PTR_ERR(c->txs[k]);

			c->txs[k] = NULL;
			return err;
		}
		sub.depend = c->txs[k];
	}
	return 0;
}

/* The gate: a copy that the module's backend holds. */
static int hold_gate(struct chain *c)
{
	WRITE_ONCE(gate_held, false);
	set_mode(SYNC_HOLD);
	/* The last gate was held for long: its estimate fell. */
	WARN_ON(lbdx_backend_event(sync_backend, LBDX_BACKEND_BANDWIDTH,
				   sync_desc.bandwidth));
	lbdx_offload_set_policy("earliest-completion");
	c->gate = lbdx_async_memcpy(c->gate_buf, c->gate_buf + NEST_GATE_LEN,
				    NEST_GATE_LEN, NULL);
	set_mode(SYNC_OFF);
	if (IS_ERR(c->gate)) {
		int err = PTR_ERR(c->gate);

		c->gate = NULL;
		return err;
	}
	return READ_ONCE(gate_held) ? 0 : -EAGAIN;
}

/* Starts @c in the current context. */
static void start_chain(struct chain *c)
{
	if (c->kind == NEST_CALLBACK) {
		if (!submit_callback_step(c, 0))
			complete(&c->done);
		return;
	}
	lbdx_backend_complete(gate_ticket, 0, 0);
}

static void start_from_timer(struct timer_list *t)
{
	struct chain *c = timer_container_of(c, t, timer);

	start_chain(c);
}

/* Waits for the requests of a depend chain queued so far. */
static void wait_depend_chain(struct chain *c)
{
	unsigned int k = steps;

	while (k && !c->txs[k - 1])
		k--;
	if (k)
		lbdx_tx_wait(c->txs[k - 1], NULL);
}

static bool data_right(struct chain *c)
{
	unsigned int k;

	for (k = 1; k <= steps; k++)
		if (memcmp(buf_of(c, k), buf_of(c, 0), size))
			return false;
	return true;
}

static void put_all(struct chain *c)
{
	unsigned int k;

	for (k = 0; k < steps; k++)
		lbdx_tx_put(c->txs[k]);
	lbdx_tx_put(c->gate);
}

static struct chain *alloc_chain(void)
{
	struct chain *c = kzalloc(sizeof(*c), GFP_KERNEL);
	unsigned int d;

	if (!c)
		return NULL;
	c->bufs = kmalloc_array(steps + 1, size, GFP_KERNEL);
	c->gate_buf = kzalloc(2 * NEST_GATE_LEN, GFP_KERNEL);
	c->txs = kcalloc(steps, sizeof(*c->txs), GFP_KERNEL);
	if (!c->bufs || !c->gate_buf || !c->txs) {
		kfree(c->bufs);
		kfree(c->gate_buf);
		kfree(c->txs);
		kfree(c);
		return NULL;
	}
	for (d = 0; d <= NEST_MAX_DEPTH; d++)
		c->least_left[d] = -1;
	return c;
}

static void free_chain(struct chain *c)
{
	kfree(c->bufs);
	kfree(c->gate_buf);
	kfree(c->txs);
	kfree(c);
}

/* The least stack left at each depth the chain reached, as text. */
static void print_levels(struct chain *c, char *buf, size_t len)
{
	size_t n = 0;
	int d;

	buf[0] = 0;
	for (d = 1; d <= min(c->max_depth, NEST_MAX_DEPTH) && n < len; d++)
		n += scnprintf(buf + n, len - n, " %ld", c->least_left[d]);
}

/*
 * Runs one case; 0 if it passed, 1 if it failed, -ENOMEM or -ETIMEDOUT
 * (the module must then stay: the layer may still call back).
 */
static int run_case(unsigned int num, enum nest_kind kind, enum nest_ctx ctx,
		    const char *policy, bool with_sync)
{
	struct chain *c = alloc_chain();
	unsigned long flags;
	char levels[256];
	bool pass;
	int err = 0;

	if (!c)
		return -ENOMEM;
	c->kind = kind;
	c->ctx = ctx;
	init_completion(&c->done);
	get_random_bytes(c->bufs, (size_t)(steps + 1) * size);
	if (kind == NEST_DEPEND) {
		err = hold_gate(c);
		if (!err)
			err = queue_depend_chain(c);
	}
	set_mode(with_sync ? SYNC_RUN : SYNC_OFF);
	lbdx_offload_set_policy(policy);
	if (err) {
		/* A gate held but no whole chain: let it go. */
		if (c->gate && READ_ONCE(gate_held))
			lbdx_backend_complete(gate_ticket, 0, 0);
		wait_depend_chain(c);
		goto report;
	}
	switch (ctx) {
	case NEST_PROCESS:
		start_chain(c);
		break;
	case NEST_SOFTIRQ:
		timer_setup(&c->timer, start_from_timer, 0);
		mod_timer(&c->timer, jiffies);
		break;
	case NEST_IRQOFF:
		local_irq_save(flags);
		start_chain(c);
		local_irq_restore(flags);
		break;
	}
	if (!wait_for_completion_timeout(&c->done, NEST_TIMEOUT)) {
		pr_err("not ok %u %s/%s/%s%s: no end after %u s (%u of %u steps)\n",
		       num, kind_names[kind], ctx_names[ctx], policy,
		       with_sync ? "+sync" : "", NEST_TIMEOUT / HZ,
		       c->completed, steps);
		return -ETIMEDOUT;
	}
	if (ctx == NEST_SOFTIRQ)
		timer_shutdown_sync(&c->timer);
	wait_depend_chain(c);
	/* Callbacks of a chain that nested still return: wait for them. */
	while (atomic_read_acquire(&c->depth))
		schedule_timeout_uninterruptible(1);
report:
	pass = !err && !c->stopped && !c->failed && c->completed == steps &&
	       c->max_depth <= 1 && c->max_growth <= max_growth &&
	       data_right(c);
	print_levels(c, levels, sizeof(levels));
	pr_info("%s %u %s/%s/%s%s: %u steps, depth %d, growth %ld B, least stack left per depth:%s B%s%s, status %d (%u failed), data %s\n",
		pass ? "ok" : "not ok", num, kind_names[kind], ctx_names[ctx],
		policy, with_sync ? "+sync" : "", c->completed, c->max_depth,
		c->max_growth, levels[0] ? levels : " -",
		c->stopped ? ", stopped (too deep)" : "",
		err ? ", could not start" : "", err ?: c->first_error,
		c->failed, data_right(c) ? "right" : "wrong");
	put_all(c);
	free_chain(c);
	return pass ? 0 : 1;
}

static int __init lbdx_offload_nesting_init(void)
{
	unsigned int num = 0, failures = 0, p, k, x, s;
	int ret = 0;

	if (!steps || steps > 100000 || !size || size > 4096 ||
	    depth_limit < 2 || depth_limit > NEST_MAX_DEPTH)
		return -EINVAL;
	sync_backend = lbdx_backend_register(&sync_desc);
	if (IS_ERR(sync_backend))
		return PTR_ERR(sync_backend);
	/*
	 * Its copies inside ->submit() are CPU time the layer would learn
	 * and count against it, and earliest-completion must keep picking it.
	 */
	WARN_ON(lbdx_backend_event(sync_backend, LBDX_BACKEND_DRIVE_COST, 0));
	set_mode(SYNC_OFF);
	for (s = 0; s < 2; s++)
		for (p = 0; p < ARRAY_SIZE(policies); p++)
			for (x = NEST_PROCESS; x <= NEST_IRQOFF; x++)
				for (k = NEST_CALLBACK; k <= NEST_DEPEND; k++) {
					ret = run_case(++num, k, x,
						       policies[p], s);
					if (ret < 0)
						goto out;
					failures += ret;
				}
out:
	set_mode(SYNC_OFF);
	lbdx_offload_set_policy("earliest-completion");
	if (ret == -ETIMEDOUT) {
		pr_err("a chain never ended: keeping this module\n");
		__module_get(THIS_MODULE);
		return 0;
	}
	lbdx_backend_unregister(sync_backend);
	pr_info("%u cases, %u failures\n", num, failures + (ret < 0));
	if (ret < 0)
		return ret;
	return failures ? -EIO : 0;
}

static void __exit lbdx_offload_nesting_exit(void)
{
}

module_init(lbdx_offload_nesting_init);
module_exit(lbdx_offload_nesting_exit);

MODULE_DESCRIPTION("Nesting depth of the lbdx async-offload layer under chained completions");
MODULE_LICENSE("GPL");

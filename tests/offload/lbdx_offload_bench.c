// SPDX-License-Identifier: GPL-2.0
/*
 * lbdx_offload_bench: benchmarks of the lbdx async-offload layer against the
 * kernel's own way to do the same work (issue 4). Loading the module runs
 * one experiment, chosen by run=, prints one line per measurement and stays
 * loaded until rmmod. tests/guest/bench.sh drives it (policy, enabled
 * backends, repetitions); scripts/bench.sh turns the lines into medians,
 * ratios, a table and a plot. Nothing here passes or fails on time.
 *
 *   run=p1      per-request cost of a 64-byte copy: lbdx_async_memcpy()
 *               against async_memcpy() with no DMA channel (async_tx then
 *               copies synchronously), each as submit+wait and as a
 *               callback-counted burst, plus an untimed breakdown of
 *               the parts of a request (p1diag, p1parts)
 *   run=p2      1 MiB copy and 4-source xor submitted with
 *               LBDX_SUBMIT_WILL_WAIT and waited for, against memcpy() and
 *               xor_gen() doing the same work (dst = s0 ^ s1 ^ s2 ^ s3)
 *   run=stream  throughput of copies of each size in sizes=, kept
 *               threads= x window= deep for ms= milliseconds per size
 *
 * A and B alternate within each repetition (A B, then B A). Every line
 * starts with "lbdx_offload_bench: RUN " and goes on with key=value pairs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/async_tx.h>
#include <linux/completion.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/lbdx_offload.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/raid/xor.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>

static char *run = "p1";
module_param(run, charp, 0444);
MODULE_PARM_DESC(run, "experiment: p1, p2 or stream");

static char *policy;
module_param(policy, charp, 0444);
MODULE_PARM_DESC(policy, "policy to select first (lbdx_offload_set_policy()); default: leave it");

static char *tag = "-";
module_param(tag, charp, 0444);
MODULE_PARM_DESC(tag, "label copied into every line (configuration name)");

static unsigned int reps = 9;
module_param(reps, uint, 0444);
MODULE_PARM_DESC(reps, "p1, p2: repetitions of each A/B pair");

static unsigned int p1_reqs = 2000;
module_param(p1_reqs, uint, 0444);
MODULE_PARM_DESC(p1_reqs, "p1: requests of each kind per repetition");

static unsigned int p2_len = SZ_1M;
module_param(p2_len, uint, 0444);
MODULE_PARM_DESC(p2_len, "p2: bytes per request (a multiple of 512)");

static unsigned int p2_iters = 8;
module_param(p2_iters, uint, 0444);
MODULE_PARM_DESC(p2_iters, "p2: requests of each kind per repetition");

#define BENCH_MAX_SIZES 24
static unsigned int sizes[BENCH_MAX_SIZES] = { SZ_256K };
static unsigned int nr_sizes = 1;
module_param_array(sizes, uint, &nr_sizes, 0444);
MODULE_PARM_DESC(sizes, "stream: copy sizes in bytes, comma separated");

static bool mix;
module_param(mix, bool, 0444);
MODULE_PARM_DESC(mix, "stream: one measurement whose requests cycle through sizes= (size=0 in its line), not one per size");

static unsigned int ms = 300;
module_param(ms, uint, 0444);
MODULE_PARM_DESC(ms, "stream: milliseconds of submission per size");

static unsigned int threads = 2;
module_param(threads, uint, 0444);
MODULE_PARM_DESC(threads, "stream: submitting kthreads");

static unsigned int window = 8;
module_param(window, uint, 0444);
MODULE_PARM_DESC(window, "stream: requests in flight per kthread");

#define P1_LEN		64
#define P1_BLOCK	100
#define P2_SRCS		4
#define P2_MAX_IMPLS	3
#define BENCH_DRAIN	(30 * HZ)

/*
 * Buffers from the page allocator: linear map, page aligned (xor_gen()
 * wants 64 bytes), usable by async_memcpy() as pages.
 */
static void *bench_alloc(size_t len)
{
	return (void *)__get_free_pages(GFP_KERNEL, get_order(len));
}

static void bench_free(void *buf, size_t len)
{
	if (buf)
		free_pages((unsigned long)buf, get_order(len));
}

/* ---- P1: per-request cost of a 64-byte copy ------------------------------ */

struct bench_count {
	spinlock_t lock;		/* protects done and errors */
	unsigned int done;
	unsigned int errors;
	wait_queue_head_t wq;
};

static void bench_count_init(struct bench_count *c)
{
	spin_lock_init(&c->lock);
	c->done = 0;
	c->errors = 0;
	init_waitqueue_head(&c->wq);
}

static void bench_count_lbdx(void *param, int status, u32 result)
{
	struct bench_count *c = param;
	unsigned long flags;

	/*
	 * Wake-up under the lock, so that the count is never seen reached
	 * before the wake-up is done.
	 */
	spin_lock_irqsave(&c->lock, flags);
	c->done++;
	if (status)
		c->errors++;
	wake_up(&c->wq);
	spin_unlock_irqrestore(&c->lock, flags);
}

static void bench_count_async_tx(void *param)
{
	bench_count_lbdx(param, 0, 0);
}

static bool bench_count_reached(struct bench_count *c, unsigned int n)
{
	unsigned long flags;
	bool ret;

	spin_lock_irqsave(&c->lock, flags);
	ret = c->done >= n;
	spin_unlock_irqrestore(&c->lock, flags);
	return ret;
}

/* Static: a callback that comes after a timed-out wait finds it still. */
static struct bench_count p1_count;

static int bench_count_wait(struct bench_count *c, unsigned int n)
{
	if (!wait_event_timeout(c->wq, bench_count_reached(c, n), BENCH_DRAIN))
		return -ETIMEDOUT;
	return c->errors ? -EIO : 0;
}

static int p1_lbdx(void *dst, void *src, bool burst, unsigned int n)
{
	struct bench_count *c = &p1_count;
	struct lbdx_submit sub = { .flags = LBDX_SUBMIT_WILL_WAIT };
	struct lbdx_tx *tx;
	unsigned int i;
	int ret = 0;

	bench_count_init(c);
	if (burst) {
		sub.flags = 0;
		sub.callback = bench_count_lbdx;
		sub.callback_param = c;
	}
	for (i = 0; i < n; i++) {
		tx = lbdx_async_memcpy(dst, src, P1_LEN, &sub);
		if (IS_ERR(tx))
			return PTR_ERR(tx);
		if (!burst)
			ret = lbdx_tx_wait(tx, NULL);
		lbdx_tx_put(tx);
		if (ret)
			return ret;
	}
	return burst ? bench_count_wait(c, n) : 0;
}

static int p1_async_tx(struct page *dst, struct page *src, bool burst,
		       unsigned int n)
{
	struct bench_count *c = &p1_count;
	struct dma_async_tx_descriptor *tx;
	struct async_submit_ctl sub;
	unsigned int i;

	bench_count_init(c);
	for (i = 0; i < n; i++) {
		init_async_submit(&sub, burst ? ASYNC_TX_ACK : 0, NULL,
				  burst ? bench_count_async_tx : NULL, c, NULL);
		tx = async_memcpy(dst, src, 0, 0, P1_LEN, &sub);
		/* NULL: already done on the CPU (no channel here). */
		if (tx && !burst)
			async_tx_quiesce(&tx);
	}
	if (burst) {
		async_tx_issue_pending_all();
		return bench_count_wait(c, n);
	}
	return 0;
}

/*
 * Untimed diagnosis of ours: where a request's time goes (submission,
 * wait, put; clock read around each) and how many had completed by the
 * time lbdx_async_memcpy() returned, i.e. ran in the submitter's thread.
 */
static int p1_diag(void *dst, void *src, bool burst, unsigned int n)
{
	struct lbdx_submit sub = { .flags = burst ? 0 : LBDX_SUBMIT_WILL_WAIT };
	u64 t0, t1, t2, t3, submit_ns = 0, wait_ns = 0, put_ns = 0;
	unsigned int i, at_return = 0;
	struct lbdx_tx *tx;
	int ret = 0;

	for (i = 0; i < n && !ret; i++) {
		t0 = ktime_get_ns();
		tx = lbdx_async_memcpy(dst, src, P1_LEN, &sub);
		t1 = ktime_get_ns();
		if (IS_ERR(tx))
			return PTR_ERR(tx);
		at_return += lbdx_tx_status(tx) != -EINPROGRESS;
		t2 = ktime_get_ns();
		ret = lbdx_tx_wait(tx, NULL);
		t3 = ktime_get_ns();
		lbdx_tx_put(tx);
		submit_ns += t1 - t0;
		wait_ns += t3 - t2;
		put_ns += ktime_get_ns() - t3;
	}
	pr_info("p1diag tag=%s mode=%s reqs=%u completed_at_return=%u submit_ns=%llu wait_ns=%llu put_ns=%llu\n",
		tag, burst ? "burst" : "wait", n, at_return,
		div_u64(submit_ns, n), div_u64(wait_ns, n), div_u64(put_ns, n));
	return ret;
}

static void p1_nop(void *param, int status, u32 result)
{
}

static void p1_nop_tx(void *param)
{
}

/*
 * Untimed diagnosis of where a request's time goes, each part timed as a
 * loop of n (one clock read per loop, the best of 5 loops): a refusal at
 * the first check (entry and exit of the API), a refusal of length 0 (at
 * the layer's first check), a refusal of a source outside the linear map
 * (after the destination's check), submit + put, submit +
 * wait + put, submit with an empty callback + put; async_memcpy() without
 * and with an empty callback; the 64-byte memcpy() alone.
 */
static int p1_parts(void *dst, void *src, struct page *dpg, struct page *spg,
		    unsigned int n)
{
	static const char *const part[] = {
		"refused", "len0", "nonlinear_src", "submit_put",
		"submit_wait_put", "callback_put", "async_memcpy",
		"async_memcpy_cb", "memcpy",
	};
	void *vsrc = vmalloc(PAGE_SIZE);
	u64 best[ARRAY_SIZE(part)];
	struct lbdx_submit sub = { .flags = LBDX_SUBMIT_WILL_WAIT };
	struct lbdx_submit cb = { .callback = p1_nop };
	struct async_submit_ctl as;
	struct lbdx_tx *tx;
	unsigned int p, r, i;
	int ret = 0;

	if (!vsrc)
		return -ENOMEM;
	for (p = 0; p < ARRAY_SIZE(part); p++) {
		best[p] = U64_MAX;
		for (r = 0; r < 5; r++) {
			u64 t0 = ktime_get_ns();

			for (i = 0; i < n; i++) {
				switch (p) {
				case 0:
					lbdx_tx_put(lbdx_async_memcpy(NULL, src, P1_LEN, &sub));
					break;
				case 1:
					lbdx_tx_put(lbdx_async_memcpy(dst, src, 0, &sub));
					break;
				case 2:
					lbdx_tx_put(lbdx_async_memcpy(dst, vsrc, P1_LEN, &sub));
					break;
				case 3:
				case 4:
				case 5:
					tx = lbdx_async_memcpy(dst, src, P1_LEN, p == 5 ? &cb : &sub);
					if (IS_ERR(tx)) {
						ret = PTR_ERR(tx);
						goto out;
					}
					if (p == 4)
						ret |= lbdx_tx_wait(tx, NULL);
					lbdx_tx_put(tx);
					break;
				case 6:
				case 7:
					init_async_submit(&as, ASYNC_TX_ACK, NULL,
							  p == 7 ? p1_nop_tx : NULL, NULL, NULL);
					async_memcpy(dpg, spg, 0, 0, P1_LEN, &as);
					break;
				default:
					OPTIMIZER_HIDE_VAR(dst);
					memcpy(dst, src, P1_LEN);
					break;
				}
			}
			best[p] = min(best[p], ktime_get_ns() - t0);
		}
	}
	for (p = 0; p < ARRAY_SIZE(part); p++)
		pr_info("p1parts tag=%s reqs=%u part=%s ns=%llu\n", tag, n, part[p],
			div_u64(best[p], n));
	ret = ret ? -EIO : 0;
out:
	vfree(vsrc);
	return ret;
}

static int bench_p1(void)
{
	static const char *const impl[] = { "lbdx", "async_tx" };
	void *src = bench_alloc(PAGE_SIZE), *dst = bench_alloc(PAGE_SIZE);
	unsigned int rep, k, mode;
	int ret = -ENOMEM;

	if (!src || !dst)
		goto out;
	get_random_bytes(src, P1_LEN);
	for (mode = 0; mode < 2; mode++) {
		bool burst = mode;

		/* Warm up both paths, untimed. */
		ret = p1_lbdx(dst, src, burst, 64);
		if (!ret)
			ret = p1_async_tx(virt_to_page(dst), virt_to_page(src), burst, 64);
		if (!ret)
			ret = p1_diag(dst, src, burst, 1000);
		if (!ret && !burst)
			ret = p1_parts(dst, src, virt_to_page(dst), virt_to_page(src), 1000);
		if (ret)
			goto out;
		/*
		 * Each repetition alternates blocks of P1_BLOCK requests, A B
		 * then B A; the best block of each is its cost undisturbed by
		 * the host, the total its cost with the disturbance.
		 */
		for (rep = 0; rep < reps; rep++) {
			u64 total[2] = {}, best[2] = { U64_MAX, U64_MAX };
			unsigned int blocks = DIV_ROUND_UP(p1_reqs, P1_BLOCK), blk;

			memset(dst, 0, P1_LEN);
			for (blk = 0; blk < blocks; blk++) {
				for (k = 0; k < 2; k++) {
					unsigned int which = ((blk + rep) & 1) ? 1 - k : k;
					u64 t0, ns;

					t0 = ktime_get_ns();
					if (which == 0)
						ret = p1_lbdx(dst, src, burst, P1_BLOCK);
					else
						ret = p1_async_tx(virt_to_page(dst),
								  virt_to_page(src),
								  burst, P1_BLOCK);
					ns = ktime_get_ns() - t0;
					if (ret)
						goto out;
					total[which] += ns;
					best[which] = min(best[which], ns);
				}
			}
			for (k = 0; k < 2; k++)
				pr_info("p1 tag=%s mode=%s rep=%u impl=%s reqs=%u ns=%llu ns_per_req=%llu best_ns_per_req=%llu verify=%s\n",
					tag, burst ? "burst" : "wait", rep, impl[k],
					blocks * P1_BLOCK, total[k],
					div_u64(total[k], blocks * P1_BLOCK),
					div_u64(best[k], P1_BLOCK),
					memcmp(dst, src, P1_LEN) ? "bad" : "ok");
		}
	}
out:
	bench_free(src, PAGE_SIZE);
	bench_free(dst, PAGE_SIZE);
	return ret;
}

/* ---- P2: 1 MiB copy and 4-source xor, run inline and waited for ---------- */

enum p2_impl {
	P2_LBDX_COPY,
	P2_MEMCPY,
	P2_LBDX_XOR,
	/* memcpy(dst, s0) then xor_gen(dst, s1..s3): RAID5's way */
	P2_XOR_GEN_COPY,
	/* memset(dst, 0) then xor_gen(dst, s0..s3) */
	P2_XOR_GEN_ZERO,
};

static const char *const p2_impl_name[] = {
	[P2_LBDX_COPY] = "lbdx",
	[P2_MEMCPY] = "memcpy",
	[P2_LBDX_XOR] = "lbdx",
	[P2_XOR_GEN_COPY] = "xor_gen_copy",
	[P2_XOR_GEN_ZERO] = "xor_gen_zero",
};

static int p2_once(enum p2_impl impl, void *dst, void **srcs, unsigned int len)
{
	struct lbdx_submit sub = { .flags = LBDX_SUBMIT_WILL_WAIT };
	struct lbdx_tx *tx;
	int ret;

	switch (impl) {
	case P2_LBDX_COPY:
		tx = lbdx_async_memcpy(dst, srcs[0], len, &sub);
		break;
	case P2_LBDX_XOR:
		tx = lbdx_async_xor(dst, srcs, P2_SRCS, len, &sub);
		break;
	case P2_MEMCPY:
		memcpy(dst, srcs[0], len);
		return 0;
	case P2_XOR_GEN_COPY:
		memcpy(dst, srcs[0], len);
		xor_gen(dst, srcs + 1, P2_SRCS - 1, len);
		return 0;
	case P2_XOR_GEN_ZERO:
		memset(dst, 0, len);
		xor_gen(dst, srcs, P2_SRCS, len);
		return 0;
	default:
		return -EINVAL;
	}
	if (IS_ERR(tx))
		return PTR_ERR(tx);
	ret = lbdx_tx_wait(tx, NULL);
	lbdx_tx_put(tx);
	return ret;
}

/* One A/B group: @impls[0] is ours, the rest baselines. */
static int p2_group(const char *op, const enum p2_impl *impls, unsigned int n,
		    void *dst, void *ref, void **srcs)
{
	unsigned int len = p2_len, rep, i, j, k;
	bool bad[P2_MAX_IMPLS] = {};
	int ret;

	if (n > P2_MAX_IMPLS)
		return -EINVAL;
	for (k = 0; k < n; k++) {
		ret = p2_once(impls[k], dst, srcs, len);
		if (ret)
			return ret;
		if (k == 0)
			memcpy(ref, dst, len);
		else if (memcmp(ref, dst, len))
			pr_warn("p2 %s: %s and %s disagree\n", op,
				p2_impl_name[impls[0]], p2_impl_name[impls[k]]);
	}
	/*
	 * Within a repetition the implementations alternate request by
	 * request (order rotating), each request timed alone: the best time
	 * of each is its cost undisturbed by the host (TCG vCPUs get
	 * preempted), the total its cost with the disturbance.
	 */
	for (rep = 0; rep < reps; rep++) {
		u64 total[P2_MAX_IMPLS] = {}, best[P2_MAX_IMPLS];

		for (k = 0; k < n; k++)
			best[k] = U64_MAX;
		for (i = 0; i < p2_iters; i++) {
			for (j = 0; j < n; j++) {
				u64 t0, ns;

				k = (i + rep + j) % n;
				t0 = ktime_get_ns();
				ret = p2_once(impls[k], dst, srcs, len);
				ns = ktime_get_ns() - t0;
				if (ret)
					return ret;
				total[k] += ns;
				best[k] = min(best[k], ns);
				bad[k] |= !!memcmp(ref, dst, len);
			}
		}
		for (k = 0; k < n; k++)
			pr_info("p2 tag=%s op=%s rep=%u impl=%s bytes=%u iters=%u ns=%llu best_ns=%llu mbps=%llu best_mbps=%llu verify=%s\n",
				tag, op, rep, p2_impl_name[impls[k]], len,
				p2_iters, total[k], best[k],
				div64_u64((u64)len * p2_iters * 1000, total[k] ?: 1),
				div64_u64((u64)len * 1000, best[k] ?: 1),
				bad[k] ? "bad" : "ok");
	}
	return 0;
}

static int bench_p2(void)
{
	static const enum p2_impl copy[] = { P2_LBDX_COPY, P2_MEMCPY };
	static const enum p2_impl xor[] = {
		P2_LBDX_XOR, P2_XOR_GEN_COPY, P2_XOR_GEN_ZERO,
	};
	unsigned int len = p2_len, i;
	void *srcs[P2_SRCS] = {}, *dst, *ref;
	int ret = -ENOMEM;

	if (!len || len % 512)
		return -EINVAL;
	dst = bench_alloc(len);
	ref = bench_alloc(len);
	for (i = 0; i < P2_SRCS; i++) {
		srcs[i] = bench_alloc(len);
		if (srcs[i])
			get_random_bytes(srcs[i], len);
	}
	if (!dst || !ref || !srcs[P2_SRCS - 1] || !srcs[0] || !srcs[1] || !srcs[2])
		goto out;
	ret = p2_group("copy", copy, ARRAY_SIZE(copy), dst, ref, srcs);
	if (!ret)
		ret = p2_group("xor", xor, ARRAY_SIZE(xor), dst, ref, srcs);
out:
	for (i = 0; i < P2_SRCS; i++)
		bench_free(srcs[i], len);
	bench_free(dst, len);
	bench_free(ref, len);
	return ret;
}

/* ---- stream: throughput with requests kept in flight --------------------- */

struct bench_stream;

struct bench_slot {
	struct bench_stream *st;
	void *src;
	void *dst;
	size_t len;			/* of its request in flight */
	bool used;			/* submitted in this measurement */
};

/* One submitting kthread and its window of buffers. */
struct bench_stream {
	spinlock_t lock;		/* protects the fields below it */
	wait_queue_head_t wq;
	unsigned int nfree;
	unsigned int *free;		/* indices of idle slots */
	u64 done;			/* requests completed successfully */
	u64 bytes;			/* their bytes */
	int status;			/* first error */

	struct bench_slot *slots;
	unsigned int nslots;
	size_t len;			/* of every request; 0: mix */
	unsigned int next;		/* mix: index in sizes[] of the next */
	unsigned long deadline;		/* jiffies: cheaper than a clock read */
	u64 end;			/* when the last request completed */
	bool stuck;			/* requests never completed: leak */
	struct completion exited;
};

static void bench_stream_done(void *param, int status, u32 result)
{
	struct bench_slot *slot = param;
	struct bench_stream *st = slot->st;
	unsigned long flags;

	/*
	 * Everything under the lock, wake-up included: the thread frees
	 * nothing before it saw the slot back under the same lock.
	 */
	spin_lock_irqsave(&st->lock, flags);
	st->free[st->nfree++] = slot - st->slots;
	if (status && !st->status) {
		st->status = status;
	} else if (!status) {
		st->done++;
		st->bytes += slot->len;
	}
	wake_up(&st->wq);
	spin_unlock_irqrestore(&st->lock, flags);
}

static bool bench_stream_has_free(struct bench_stream *st, unsigned int want)
{
	unsigned long flags;
	bool ret;

	spin_lock_irqsave(&st->lock, flags);
	ret = st->nfree >= want;
	spin_unlock_irqrestore(&st->lock, flags);
	return ret;
}

static int bench_stream_thread(void *data)
{
	struct bench_stream *st = data;
	struct lbdx_submit sub = { .callback = bench_stream_done };
	struct bench_slot *slot;
	struct lbdx_tx *tx;
	unsigned long flags;

	while (time_before(jiffies, st->deadline)) {
		if (!wait_event_timeout(st->wq, bench_stream_has_free(st, 1),
					BENCH_DRAIN)) {
			st->stuck = true;
			break;
		}
		spin_lock_irqsave(&st->lock, flags);
		slot = &st->slots[st->free[--st->nfree]];
		spin_unlock_irqrestore(&st->lock, flags);

		sub.callback_param = slot;
		slot->used = true;
		slot->len = st->len ?: sizes[st->next++ % nr_sizes];
		tx = lbdx_async_memcpy(slot->dst, slot->src, slot->len, &sub);
		if (IS_ERR(tx)) {
			spin_lock_irqsave(&st->lock, flags);
			st->free[st->nfree++] = slot - st->slots;
			st->status = st->status ?: PTR_ERR(tx);
			spin_unlock_irqrestore(&st->lock, flags);
			break;
		}
		lbdx_tx_put(tx);
	}
	if (!st->stuck &&
	    !wait_event_timeout(st->wq, bench_stream_has_free(st, st->nslots),
				BENCH_DRAIN))
		st->stuck = true;
	st->end = ktime_get_ns();
	kthread_complete_and_exit(&st->exited, 0);
}

static void bench_stream_free(struct bench_stream *st, size_t buf_len)
{
	unsigned int i;

	if (!st)
		return;
	if (st->stuck) {
		pr_err("stream: requests never completed; leaking their buffers\n");
		return;
	}
	for (i = 0; st->slots && i < st->nslots; i++) {
		bench_free(st->slots[i].src, buf_len);
		bench_free(st->slots[i].dst, buf_len);
	}
	kfree(st->slots);
	kfree(st->free);
	kfree(st);
}

static struct bench_stream *bench_stream_alloc(size_t buf_len)
{
	struct bench_stream *st = kzalloc(sizeof(*st), GFP_KERNEL);
	unsigned int i;

	if (!st)
		return NULL;
	spin_lock_init(&st->lock);
	init_waitqueue_head(&st->wq);
	st->nslots = window;
	st->slots = kcalloc(window, sizeof(*st->slots), GFP_KERNEL);
	st->free = kcalloc(window, sizeof(*st->free), GFP_KERNEL);
	if (!st->slots || !st->free)
		goto fail;
	for (i = 0; i < window; i++) {
		st->slots[i].st = st;
		st->slots[i].src = bench_alloc(buf_len);
		st->slots[i].dst = bench_alloc(buf_len);
		if (!st->slots[i].src || !st->slots[i].dst)
			goto fail;
	}
	return st;
fail:
	bench_stream_free(st, buf_len);
	return NULL;
}

/*
 * One measurement: every stream copies @len-byte buffers (0: each request
 * the next of sizes[], buffers of @buf_len) for ms= ms.
 */
static int bench_stream_size(struct bench_stream **sts, size_t len,
			     size_t buf_len, u8 fill)
{
	u64 start, end = 0, done = 0, bytes = 0, ns;
	unsigned int t, i;
	int status = 0;
	bool bad = false;

	for (t = 0; t < threads; t++) {
		struct bench_stream *st = sts[t];

		for (i = 0; i < st->nslots; i++) {
			memset(st->slots[i].src, fill, len ?: buf_len);
			st->slots[i].used = false;
			st->free[i] = i;
		}
		st->nfree = st->nslots;
		st->len = len;
		st->next = t;
		st->done = 0;
		st->bytes = 0;
		st->status = 0;
		init_completion(&st->exited);
	}
	start = ktime_get_ns();
	for (t = 0; t < threads; t++) {
		struct task_struct *task;

		sts[t]->deadline = jiffies + msecs_to_jiffies(ms);
		task = kthread_run(bench_stream_thread, sts[t], "lbdx_bench/%u", t);
		if (IS_ERR(task)) {
			/* The threads already started stop at the deadline. */
			sts[t]->status = PTR_ERR(task);
			complete(&sts[t]->exited);
		}
	}
	for (t = 0; t < threads; t++) {
		struct bench_stream *st = sts[t];

		wait_for_completion(&st->exited);
		if (st->stuck)
			return -ETIMEDOUT;
		end = max(end, st->end);
		done += st->done;
		bytes += st->bytes;
		status = status ?: st->status;
		for (i = 0; i < st->nslots; i++)
			bad |= st->slots[i].used &&
			       memcmp(st->slots[i].dst, st->slots[i].src,
				      st->slots[i].len);
	}
	ns = end > start ? end - start : 1;
	pr_info("stream tag=%s op=copy size=%zu threads=%u window=%u reqs=%llu bytes=%llu ns=%llu mbps=%llu errors=%d verify=%s\n",
		tag, len, threads, window, done, bytes, ns,
		div64_u64(bytes * 1000, ns), status, bad ? "bad" : "ok");
	return status;
}

static int bench_stream(void)
{
	struct bench_stream **sts;
	unsigned int max_len = 0, i, t;
	int ret = -ENOMEM;

	if (!threads || !window || !nr_sizes)
		return -EINVAL;
	for (i = 0; i < nr_sizes; i++) {
		if (!sizes[i] || sizes[i] > LBDX_MAX_LEN)
			return -EINVAL;
		max_len = max(max_len, sizes[i]);
	}
	sts = kcalloc(threads, sizeof(*sts), GFP_KERNEL);
	if (!sts)
		return -ENOMEM;
	for (t = 0; t < threads; t++) {
		sts[t] = bench_stream_alloc(max_len);
		if (!sts[t])
			goto out;
	}
	if (mix)
		ret = bench_stream_size(sts, 0, max_len, 0x5a);
	for (i = 0; !mix && i < nr_sizes; i++) {
		/* Each size copies a new pattern, so a copy not done shows. */
		ret = bench_stream_size(sts, sizes[i], max_len, 0x5a + i);
		if (ret)
			break;
	}
out:
	for (t = 0; t < threads; t++)
		bench_stream_free(sts[t], max_len);
	kfree(sts);
	return ret;
}

static int __init lbdx_offload_bench_init(void)
{
	int ret;

	if (policy) {
		ret = lbdx_offload_set_policy(policy);
		if (ret) {
			pr_err("policy %s: %d\n", policy, ret);
			return ret;
		}
	}
	if (!strcmp(run, "p1"))
		ret = bench_p1();
	else if (!strcmp(run, "p2"))
		ret = bench_p2();
	else if (!strcmp(run, "stream"))
		ret = bench_stream();
	else
		ret = -EINVAL;
	pr_info("%s tag=%s done status=%d\n", run, tag, ret);
	return ret;
}

static void __exit lbdx_offload_bench_exit(void)
{
}

module_init(lbdx_offload_bench_init);
module_exit(lbdx_offload_bench_exit);

MODULE_DESCRIPTION("Benchmarks of the lbdx async-offload layer against async_tx, memcpy and xor_gen");
MODULE_LICENSE("GPL");

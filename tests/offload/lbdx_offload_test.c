// SPDX-License-Identifier: GPL-2.0
/*
 * lbdx_offload_test: test and benchmark of the lbdx async-offload layer
 * (include/linux/lbdx_offload.h), in the spirit of drivers/dma/dmatest.c.
 *
 * Loading the module runs one test: @threads kernel threads each submit
 * @count requests, keeping up to @inflight of them outstanding, and check
 * every one as it completes:
 *
 *  - its callback ran exactly once (none: lost; more: double completion);
 *    lbdx_tx_wait() (which returns once the callback returned) agrees with
 *    the callback's status;
 *  - its status is 0;
 *  - the sources read as they were written;
 *  - the destination holds the right bytes over the whole range, and the
 *    guard bytes on either side of it (and the poison it was filled with)
 *    are gone inside the range and untouched outside it;
 *  - xor-validate answers "zero" for source sets made to xor to zero and
 *    "nonzero" for the same sets with one bit flipped.
 *
 * Sources are word streams of a per-request seed, so every request writes
 * and checks different data. Then it prints
 *
 *   lbdx_offload_test: N tests, M failures, X iops, Y KB/s
 *
 * and a breakdown, and module init returns 0 if M is 0, -EIO otherwise (so
 * insmod fails). If a request never completes, init cannot free what the
 * layer may still write: the module then stays loaded and pinned, with
 * M > 0 in its summary. Documentation/dev-tools/testing.rst lists the
 * parameters.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/lbdx_offload.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <linux/wait.h>

/* Guard bytes checked before and after every destination. */
#define TEST_GUARD		64
/* misalign=-1 puts each buffer at a random offset below this. */
#define TEST_MAX_OFFSET		64
/* Largest buffer one allocation can give, with guards and offset. */
#define TEST_MAX_SIZE		((4U << 20) - 2 * TEST_GUARD - TEST_MAX_OFFSET)
/* Failures described in the log, per thread; the rest are only counted. */
#define TEST_MAX_REPORTS	8

static char test_op[16] = "mix";
module_param_string(op, test_op, sizeof(test_op), 0444);
MODULE_PARM_DESC(op, "Operation: copy, fill, xor, xor_val or mix (default: mix)");

static unsigned int size = 4096;
module_param(size, uint, 0444);
MODULE_PARM_DESC(size, "Bytes per request, or the largest with min_size (default: 4096)");

static unsigned int min_size;
module_param(min_size, uint, 0444);
MODULE_PARM_DESC(min_size,
		 "If set, sizes vary from min_size to size on a log scale; the first two requests of thread 0 are min_size and size (default: 0, every request is size)");

static unsigned int sources = 3;
module_param(sources, uint, 0444);
MODULE_PARM_DESC(sources, "Sources of xor and xor_val (2..64; default: 3)");

static unsigned int min_sources;
module_param(min_sources, uint, 0444);
MODULE_PARM_DESC(min_sources,
		 "If set, source counts vary from min_sources to sources (default: 0, always sources)");

static unsigned int count = 1000;
module_param(count, uint, 0444);
MODULE_PARM_DESC(count, "Requests per thread (default: 1000)");

static unsigned int threads = 1;
module_param(threads, uint, 0444);
MODULE_PARM_DESC(threads, "Threads submitting concurrently (1..64; default: 1)");

static unsigned int inflight = 4;
module_param(inflight, uint, 0444);
MODULE_PARM_DESC(inflight, "Outstanding requests per thread (1..256; default: 4)");

static char test_policy[32];
module_param_string(policy, test_policy, sizeof(test_policy), 0444);
MODULE_PARM_DESC(policy,
		 "Policy set with lbdx_offload_set_policy() before the test (default: leave it)");

static bool verify = true;
module_param(verify, bool, 0444);
MODULE_PARM_DESC(verify, "Check the data of every request (default: 1)");

static int misalign;
module_param(misalign, int, 0444);
MODULE_PARM_DESC(misalign,
		 "Buffer offsets: 0 aligned, 1..63 that offset, -1 random per buffer and request (default: 0)");

static ulong seed;
module_param(seed, ulong, 0444);
MODULE_PARM_DESC(seed, "Random seed (default: 0, pick one and print it)");

static bool depend;
module_param(depend, bool, 0444);
MODULE_PARM_DESC(depend,
		 "Each request depends on the thread's previous one while that is outstanding (default: 0)");

static int expect_status;
module_param(expect_status, int, 0444);
MODULE_PARM_DESC(expect_status,
		 "Status every request must complete with, e.g. -5 (-EIO) with every backend disabled (default: 0; data checked only then)");

static unsigned int timeout = 60000;
module_param(timeout, uint, 0444);
MODULE_PARM_DESC(timeout,
		 "Milliseconds without any completion after which a thread gives up and counts what is outstanding as lost (default: 60000)");

static unsigned int recheck_ms;
module_param(recheck_ms, uint, 0444);
MODULE_PARM_DESC(recheck_ms,
		 "Check each destination again this many milliseconds after its request completed, before its slot is reused: catches a backend that writes after completing (default: 0, no second check)");

enum test_mode { MODE_COPY, MODE_FILL, MODE_XOR, MODE_XOR_VAL, MODE_MIX };
static const char *const mode_names[] = {
	[MODE_COPY] = "copy", [MODE_FILL] = "fill", [MODE_XOR] = "xor",
	[MODE_XOR_VAL] = "xor_val", [MODE_MIX] = "mix",
};
static const char *const op_names[] = {
	[LBDX_OP_COPY] = "copy", [LBDX_OP_FILL] = "fill",
	[LBDX_OP_XOR] = "xor", [LBDX_OP_XOR_VAL] = "xor_val",
};

struct test_stats {
	u64 submitted;		/* accepted by the layer */
	u64 refused;		/* ERR_PTR() from submission */
	u64 completed;		/* seen completed by the thread */
	u64 bytes;		/* of requests completed with status 0 */
	u64 status_eio;
	u64 status_canceled;
	u64 status_other;
	u64 status_mismatch;	/* lbdx_tx_wait() differs from the callback */
	u64 data_errors;	/* destination bytes wrong */
	u64 source_errors;	/* a source changed */
	u64 guard_errors;	/* bytes outside the destination changed */
	u64 late_writes;	/* destination changed after completion */
	u64 xor_val_errors;	/* wrong xor-validate answer */
	u64 xor_val_zero;	/* xor-validate requests of each outcome */
	u64 xor_val_nonzero;
	u64 timed_out;		/* outstanding when a thread gave up */
	u64 lost;		/* of those, still without a callback at the end */
	u64 doubled;		/* more than one callback */
	u64 stray;		/* callback for a refused request */
	u64 dependents;		/* requests submitted with a dependency */
	u64 order_errors;	/* called back before their dependency completed */
	u64 early_callbacks;	/* called back before their dependency's callback */
	u64 api_checks;		/* invalid calls made */
	u64 api_errors;		/* of those, not refused with -EINVAL */
};

struct test_thread;

/* One request: what its callback touches, never reused. */
struct test_req {
	struct test_slot *slot;
	struct test_req *dep;		/* the request this one depends on */
	struct lbdx_tx *tx;		/* depend: held until the dependent ended */
	unsigned int holds;		/* depend: finish_one() calls still to see tx */
	int dep_status;			/* the dependency's, at our callback */
	u64 seq;			/* order of the first callback */
	atomic_t callbacks;
	int status;
	u32 result;
	bool submitted;
};

/* One outstanding request's buffers and description, reused. */
struct test_slot {
	struct test_thread *thr;
	struct test_req *req;		/* NULL while free */
	int done;			/* set by the callback */
	struct lbdx_tx *tx;
	enum lbdx_op op;
	u32 len;
	unsigned int src_cnt;
	u64 seed;			/* of the source streams */
	u64 pattern;			/* fill */
	bool want_zero;			/* xor_val: sources xor to zero */
	bool flip;			/* xor_val: one bit flipped ... */
	unsigned int flip_src;		/* ... in this source ... */
	u32 flip_bit;			/* ... at this bit of the range */
	u8 poison;			/* fills the destination and guards */
	u8 *dst;
	u8 *dst_buf;
	u8 *src_buf[LBDX_MAX_XOR_SRCS];
	void *srcs[LBDX_MAX_XOR_SRCS];	/* the submitted source array */
};

struct test_thread {
	unsigned int id;
	u64 rng;
	struct task_struct *task;
	struct completion exited;
	wait_queue_head_t wq;
	struct test_slot *slots;
	struct test_slot *last;		/* of the latest submission */
	struct test_req *reqs;
	unsigned int reports;
	struct test_stats stats;
};

static enum test_mode mode;
static atomic64_t callback_seq;

/* splitmix64: the module's random numbers and data streams. */
static u64 mix64(u64 z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static u64 rnd(struct test_thread *thr)
{
	thr->rng += 0x9e3779b97f4a7c15ULL;
	return mix64(thr->rng);
}

/* Uniform in 0..@n - 1; @n >= 1. */
static u32 rnd_below(struct test_thread *thr, u32 n)
{
	return (u32)(((rnd(thr) >> 32) * n) >> 32);
}

/* Word @j of source @k's data stream, before any change for xor_val. */
static u64 stream_word(const struct test_slot *s, unsigned int k, u32 j)
{
	return mix64(s->seed + ((u64)k << 40) + (u64)j * 0x9e3779b97f4a7c15ULL);
}

/* Word @j (bytes 8j..8j+7, little endian) of source @k as submitted. */
static u64 src_word(const struct test_slot *s, unsigned int k, u32 j)
{
	unsigned int i;
	u64 w = 0;

	if (s->op == LBDX_OP_XOR_VAL && k == s->src_cnt - 1) {
		/* The last source makes the set xor to zero. */
		for (i = 0; i < k; i++)
			w ^= stream_word(s, i, j);
	} else {
		w = stream_word(s, k, j);
	}
	if (s->flip && k == s->flip_src && j == s->flip_bit / 64)
		w ^= BIT_ULL(s->flip_bit % 64);
	return w;
}

/* Word @j of what the destination must hold. */
static u64 dst_word(const struct test_slot *s, u32 j)
{
	unsigned int k;
	u64 w = 0;

	switch (s->op) {
	case LBDX_OP_FILL:
		return s->pattern;
	case LBDX_OP_COPY:
		return src_word(s, 0, j);
	default:
		for (k = 0; k < s->src_cnt; k++)
			w ^= src_word(s, k, j);
		return w;
	}
}

/* Byte @i of the destination's expected contents. */
static u8 dst_byte(const struct test_slot *s, u32 i)
{
	return dst_word(s, i / 8) >> (8 * (i % 8));
}

static void write_source(struct test_slot *s, unsigned int k)
{
	u8 *p = s->srcs[k];
	u32 j, i, words = s->len / 8;
	u64 w;

	for (j = 0; j < words; j++)
		put_unaligned_le64(src_word(s, k, j), p + 8 * j);
	if (s->len % 8) {
		w = src_word(s, k, words);
		for (i = 8 * words; i < s->len; i++, w >>= 8)
			p[i] = w;
	}
}

/* Offset in the range of the first byte of source @k that changed, or -1. */
static s64 check_source(const struct test_slot *s, unsigned int k)
{
	const u8 *p = s->srcs[k];
	u32 j, i, words = s->len / 8;
	u64 w;

	for (j = 0; j < words; j++)
		if (get_unaligned_le64(p + 8 * j) != src_word(s, k, j))
			break;
	/* Bytes of the word that differed, or of the partial last word. */
	w = src_word(s, k, j);
	for (i = 8 * j; i < s->len && i < 8 * j + 8; i++, w >>= 8)
		if (p[i] != (u8)w)
			return i;
	return -1;
}

/* Offset in the range of the first wrong destination byte, or -1. */
static s64 check_dst(const struct test_slot *s)
{
	u32 j, i, words = s->len / 8;

	for (j = 0; j < words; j++)
		if (get_unaligned_le64(s->dst + 8 * j) != dst_word(s, j))
			break;
	for (i = 8 * j; i < s->len && i < 8 * j + 8; i++)
		if (s->dst[i] != dst_byte(s, i))
			return i;
	return -1;
}

/* Offset (negative: before the range) of the first changed guard byte. */
static bool check_guards(const struct test_slot *s, int *where)
{
	int i;

	for (i = -TEST_GUARD; i < 0; i++)
		if (s->dst[i] != s->poison)
			goto bad;
	for (i = s->len; i < s->len + TEST_GUARD; i++)
		if (s->dst[i] != s->poison)
			goto bad;
	return true;
bad:
	*where = i;
	return false;
}

static unsigned int pick_offset(struct test_thread *thr)
{
	if (misalign < 0)
		return rnd_below(thr, TEST_MAX_OFFSET);
	return misalign;
}

static u32 pick_len(struct test_thread *thr, u32 idx)
{
	u32 lo, hi, b, len;

	if (!min_size || min_size >= size)
		return size;
	if (thr->id == 0 && idx < 2)
		return idx ? size : min_size;
	lo = ilog2(min_size);
	hi = ilog2(size);
	b = lo + rnd_below(thr, hi - lo + 1);
	len = (1U << b) + rnd_below(thr, 1U << b);
	return clamp(len, min_size, size);
}

static enum lbdx_op pick_op(struct test_thread *thr)
{
	switch (mode) {
	case MODE_COPY:
		return LBDX_OP_COPY;
	case MODE_FILL:
		return LBDX_OP_FILL;
	case MODE_XOR:
		return LBDX_OP_XOR;
	case MODE_XOR_VAL:
		return LBDX_OP_XOR_VAL;
	default:
		return rnd_below(thr, 4);
	}
}

/* Whether the request in @s completed; then its status and result are set. */
static bool slot_done(struct test_slot *s)
{
	/* Pairs with smp_store_release() in test_callback(). */
	return s->req && smp_load_acquire(&s->done);
}

static void test_callback(void *param, int status, u32 result)
{
	struct test_req *req = param;
	struct test_thread *thr = req->slot->thr;
	unsigned long flags;

	/* A second callback is counted at the end; it touches nothing else. */
	if (atomic_inc_return(&req->callbacks) != 1)
		return;
	req->status = status;
	req->result = result;
	req->seq = atomic64_inc_return(&callback_seq);
	/* Its dependency's request is held until this one was checked. */
	if (req->dep)
		req->dep_status = lbdx_tx_status(req->dep->tx);
	/* Under the lock so that the thread never frees under our feet. */
	spin_lock_irqsave(&thr->wq.lock, flags);
	/* Publishes status and result; pairs with slot_done(). */
	smp_store_release(&req->slot->done, 1);
	wake_up_locked(&thr->wq);
	spin_unlock_irqrestore(&thr->wq.lock, flags);
}

/* Prepares and submits request @idx in free slot @s; false if refused. */
static bool submit_one(struct test_slot *s, u32 idx)
{
	struct test_thread *thr = s->thr;
	struct test_req *req = &thr->reqs[idx];
	struct lbdx_submit submit = {
		.callback = test_callback,
		.callback_param = req,
	};
	struct lbdx_tx *tx;
	unsigned int k, span;

	s->op = pick_op(thr);
	s->len = pick_len(thr, idx);
	s->seed = rnd(thr);
	s->flip = false;
	switch (s->op) {
	case LBDX_OP_COPY:
		s->src_cnt = 1;
		break;
	case LBDX_OP_FILL:
		s->src_cnt = 0;
		s->pattern = rnd(thr);
		break;
	default:
		span = sources - min_sources + 1;
		s->src_cnt = min_sources + rnd_below(thr, span);
		break;
	}
	if (s->op == LBDX_OP_XOR_VAL) {
		s->want_zero = rnd_below(thr, 2);
		s->flip = !s->want_zero;
		s->flip_src = rnd_below(thr, s->src_cnt);
		s->flip_bit = rnd_below(thr, s->len * 8);
	}
	for (k = 0; k < s->src_cnt; k++) {
		s->srcs[k] = s->src_buf[k] + TEST_GUARD + pick_offset(thr);
		if (verify)
			write_source(s, k);
	}
	if (s->op != LBDX_OP_XOR_VAL) {
		s->dst = s->dst_buf + TEST_GUARD + pick_offset(thr);
		/* A poison the first and last expected bytes differ from. */
		s->poison = rnd(thr);
		if (verify) {
			while (s->poison == dst_byte(s, 0) ||
			       s->poison == dst_byte(s, s->len - 1))
				s->poison++;
			memset(s->dst - TEST_GUARD, s->poison,
			       s->len + 2 * TEST_GUARD);
		}
	}

	/* The previous request, if the thread still holds it. */
	if (depend && thr->last && thr->last->req) {
		submit.depend = thr->last->tx;
		req->dep = thr->last->req;
	}
	thr->last = s;
	req->slot = s;
	s->req = req;
	s->done = 0;
	req->submitted = true;
	switch (s->op) {
	case LBDX_OP_COPY:
		tx = lbdx_async_memcpy(s->dst, s->srcs[0], s->len, &submit);
		break;
	case LBDX_OP_FILL:
		tx = lbdx_async_fill(s->dst, s->pattern, s->len, &submit);
		break;
	case LBDX_OP_XOR:
		tx = lbdx_async_xor(s->dst, s->srcs, s->src_cnt, s->len,
				    &submit);
		break;
	default:
		tx = lbdx_async_xor_val(s->srcs, s->src_cnt, s->len, &submit);
		break;
	}
	if (IS_ERR(tx)) {
		req->submitted = false;
		req->dep = NULL;
		s->req = NULL;
		thr->stats.refused++;
		if (thr->reports++ < TEST_MAX_REPORTS)
			pr_err("thread %u request %u: %s of %u bytes refused: %pe\n",
			       thr->id, idx, op_names[s->op], s->len, tx);
		return false;
	}
	s->tx = tx;
	if (depend) {
		req->tx = tx;
		req->holds = 1;
		if (req->dep)
			req->dep->holds++;
	}
	thr->stats.submitted++;
	if (req->dep)
		thr->stats.dependents++;
	return true;
}

/* Describes a failure of request @req in slot @s (the first few only). */
#define report(thr, s, req, fmt, ...)					\
	do {								\
		if ((thr)->reports++ < TEST_MAX_REPORTS)		\
			pr_err("thread %u request %td: %s of %u bytes, %u sources: " fmt "\n", \
			       (thr)->id, (req) - (thr)->reqs,		\
			       op_names[(s)->op], (s)->len, (s)->src_cnt, \
			       ##__VA_ARGS__);				\
	} while (0)

/* depend: drops one hold of @req's request, the reference with the last. */
static void release_tx(struct test_req *req)
{
	if (--req->holds)
		return;
	lbdx_tx_put(req->tx);
	req->tx = NULL;
}

/* Checks the completed request in slot @s and frees the slot. */
static void finish_one(struct test_slot *s)
{
	struct test_thread *thr = s->thr;
	struct test_stats *st = &thr->stats;
	struct test_req *req = s->req;
	unsigned int k;
	int status, where;
	s64 bad;

	st->completed++;
	/* The callback may still be running: wait until it returned. */
	status = lbdx_tx_wait(s->tx, NULL);
	if (status != req->status) {
		st->status_mismatch++;
		report(thr, s, req, "lbdx_tx_wait() %d, callback status %d",
		       status, req->status);
	}
	if (req->dep) {
		if (req->dep_status) {
			st->order_errors++;
			report(thr, s, req, "called back while request %td it depends on had status %d",
			       req->dep - thr->reqs, req->dep_status);
		}
		/* The dependency's request was held for the check above. */
		release_tx(req->dep);
	}
	/* With depend, also held for the dependent's callback. */
	if (depend)
		release_tx(req);
	else
		lbdx_tx_put(s->tx);
	s->tx = NULL;
	s->req = NULL;

	if (req->status == expect_status && expect_status)
		return;
	if (req->status) {
		if (req->status == -EIO)
			st->status_eio++;
		else if (req->status == -ECANCELED)
			st->status_canceled++;
		else
			st->status_other++;
		report(thr, s, req, "status %d", req->status);
		return;
	}
	if (expect_status) {
		st->status_other++;
		report(thr, s, req, "status 0, want %d", expect_status);
		return;
	}
	st->bytes += s->len;
	if (!verify)
		return;
	if (s->op == LBDX_OP_XOR_VAL) {
		if (s->want_zero)
			st->xor_val_zero++;
		else
			st->xor_val_nonzero++;
		if (req->result != (s->want_zero ? LBDX_XOR_VAL_ZERO :
					LBDX_XOR_VAL_NONZERO)) {
			st->xor_val_errors++;
			report(thr, s, req, "xor_val result %u, want %u (bit %u of source %u flipped: %d)",
			       req->result, !s->want_zero, s->flip_bit,
			       s->flip_src, s->flip);
		}
	}
	for (k = 0; k < s->src_cnt; k++) {
		bad = check_source(s, k);
		if (bad >= 0) {
			st->source_errors++;
			report(thr, s, req, "source %u changed at byte %lld",
			       k, bad);
			break;
		}
	}
	if (s->op == LBDX_OP_XOR_VAL)
		return;
	bad = check_dst(s);
	if (bad >= 0) {
		st->data_errors++;
		report(thr, s, req, "dst+%lu: byte %lld is 0x%02x, want 0x%02x",
		       (unsigned long)(s->dst - s->dst_buf - TEST_GUARD),
		       bad, s->dst[bad], dst_byte(s, bad));
	}
	if (!check_guards(s, &where)) {
		st->guard_errors++;
		report(thr, s, req, "guard byte at %d is 0x%02x, want 0x%02x",
		       where, s->dst[where], s->poison);
	}
	if (!recheck_ms || bad >= 0)
		return;
	msleep(recheck_ms);
	bad = check_dst(s);
	if (bad >= 0) {
		st->late_writes++;
		report(thr, s, req, "dst+%lu: byte %lld is 0x%02x %u ms after completion, want 0x%02x: written after the request completed",
		       (unsigned long)(s->dst - s->dst_buf - TEST_GUARD),
		       bad, s->dst[bad], recheck_ms, dst_byte(s, bad));
	}
}

static bool any_done(struct test_thread *thr)
{
	unsigned int i;

	for (i = 0; i < inflight; i++)
		if (slot_done(&thr->slots[i]))
			return true;
	return false;
}

static int test_thread_fn(void *data)
{
	struct test_thread *thr = data;
	u32 next = 0, outstanding = 0;
	unsigned int i;
	bool progress;

	while (next < count || outstanding) {
		progress = false;
		for (i = 0; i < inflight; i++) {
			struct test_slot *s = &thr->slots[i];

			if (slot_done(s)) {
				finish_one(s);
				outstanding--;
				progress = true;
			}
			if (!s->req && next < count) {
				if (submit_one(s, next++))
					outstanding++;
				progress = true;
			}
		}
		if (progress) {
			cond_resched();
			continue;
		}
		if (!wait_event_timeout(thr->wq, any_done(thr),
					msecs_to_jiffies(timeout))) {
			pr_err("thread %u: no completion in %u ms, %u requests outstanding\n",
			       thr->id, timeout, outstanding);
			thr->stats.timed_out = outstanding;
			break;
		}
	}
	/* Every callback that marked a slot done has left the lock. */
	spin_lock_irq(&thr->wq.lock);
	spin_unlock_irq(&thr->wq.lock);
	kthread_complete_and_exit(&thr->exited, 0);
}

static void free_thread(struct test_thread *thr)
{
	unsigned int i, k;

	/* Requests still held: timed out, or (depend) kept for a dependent. */
	if (depend && thr->reqs) {
		for (i = 0; i < count; i++)
			lbdx_tx_put(thr->reqs[i].tx);
	}
	if (thr->slots) {
		for (i = 0; i < inflight; i++) {
			if (!depend)
				lbdx_tx_put(thr->slots[i].tx);
			kfree(thr->slots[i].dst_buf);
			for (k = 0; k < LBDX_MAX_XOR_SRCS; k++)
				kfree(thr->slots[i].src_buf[k]);
		}
		kfree(thr->slots);
	}
	kvfree(thr->reqs);
}

static int alloc_thread(struct test_thread *thr, unsigned int id)
{
	size_t buf_len = size + 2 * TEST_GUARD + TEST_MAX_OFFSET;
	unsigned int i, k, nsrc;

	nsrc = mode == MODE_FILL ? 0 : mode == MODE_COPY ? 1 : sources;
	thr->id = id;
	thr->rng = mix64(seed + id);
	init_completion(&thr->exited);
	init_waitqueue_head(&thr->wq);
	thr->reqs = kvcalloc(count, sizeof(*thr->reqs), GFP_KERNEL);
	thr->slots = kcalloc(inflight, sizeof(*thr->slots), GFP_KERNEL);
	if (!thr->reqs || !thr->slots)
		return -ENOMEM;
	for (i = 0; i < inflight; i++) {
		struct test_slot *s = &thr->slots[i];

		s->thr = thr;
		if (mode != MODE_XOR_VAL) {
			s->dst_buf = kmalloc(buf_len, GFP_KERNEL);
			if (!s->dst_buf)
				return -ENOMEM;
		}
		for (k = 0; k < nsrc; k++) {
			s->src_buf[k] = kmalloc(buf_len, GFP_KERNEL);
			if (!s->src_buf[k])
				return -ENOMEM;
		}
	}
	return 0;
}

/* Callback accounting of every request; true if any is still missing. */
static bool count_callbacks(struct test_thread *thr, struct test_stats *st)
{
	struct test_req *dep;
	unsigned int i, n;
	bool missing = false;

	for (i = 0; i < count; i++) {
		n = atomic_read(&thr->reqs[i].callbacks);
		if (!thr->reqs[i].submitted) {
			if (n) {
				st->stray++;
				pr_err("thread %u request %u: refused, yet %u callbacks\n",
				       thr->id, i, n);
			}
		} else if (!n) {
			st->lost++;
			missing = true;
			if (st->lost <= TEST_MAX_REPORTS)
				pr_err("thread %u request %u: lost (no callback)\n",
				       thr->id, i);
		} else if (n > 1) {
			st->doubled++;
			if (st->doubled <= TEST_MAX_REPORTS)
				pr_err("thread %u request %u: %u callbacks\n",
				       thr->id, i, n);
		}
		/* The API runs callbacks in chain order: a failure. */
		dep = thr->reqs[i].dep;
		if (n && dep && dep->seq > thr->reqs[i].seq)
			st->early_callbacks++;
	}
	return missing;
}

static void add_stats(struct test_stats *sum, const struct test_stats *st)
{
	const u64 *a = (const u64 *)st;
	u64 *s = (u64 *)sum;
	unsigned int i;

	for (i = 0; i < sizeof(*st) / sizeof(u64); i++)
		s[i] += a[i];
}

static atomic_t api_callbacks;

static void api_callback(void *param, int status, u32 result)
{
	atomic_inc(&api_callbacks);
}

/* One invalid call: it must return ERR_PTR(-EINVAL). */
static void api_expect_einval(struct test_stats *st, const char *what,
			      struct lbdx_tx *tx)
{
	st->api_checks++;
	if (PTR_ERR_OR_ZERO(tx) == -EINVAL)
		return;
	st->api_errors++;
	pr_err("API check: %s returned %pe, want -EINVAL\n", what, tx);
	/* A request was made after all: wait for it before the buffers go. */
	if (!IS_ERR_OR_NULL(tx)) {
		lbdx_tx_wait(tx, NULL);
		lbdx_tx_put(tx);
	}
}

/*
 * The API's argument checks: each invalid request is refused with -EINVAL
 * and never calls back; a NULL or error request can be put.
 */
static void api_checks(struct test_stats *st)
{
	struct lbdx_submit submit = { .callback = api_callback };
	void *srcs[LBDX_MAX_XOR_SRCS + 1];
	u8 *buf;
	int i, n;

	buf = kzalloc(64, GFP_KERNEL);
	if (!buf) {
		st->api_errors++;
		return;
	}
	for (i = 0; i < ARRAY_SIZE(srcs); i++)
		srcs[i] = buf + 32;
	atomic_set(&api_callbacks, 0);
	api_expect_einval(st, "copy of 0 bytes",
			  lbdx_async_memcpy(buf, buf + 32, 0, &submit));
	api_expect_einval(st, "copy of LBDX_MAX_LEN + 1 bytes",
			  lbdx_async_memcpy(buf, buf + 32, LBDX_MAX_LEN + 1ULL,
					    &submit));
	api_expect_einval(st, "fill of 0 bytes",
			  lbdx_async_fill(buf, 0, 0, &submit));
	api_expect_einval(st, "xor of 1 source",
			  lbdx_async_xor(buf, srcs, 1, 8, &submit));
	api_expect_einval(st, "xor of LBDX_MAX_XOR_SRCS + 1 sources",
			  lbdx_async_xor(buf, srcs, LBDX_MAX_XOR_SRCS + 1, 8,
					 &submit));
	api_expect_einval(st, "xor of 0 bytes",
			  lbdx_async_xor(buf, srcs, 2, 0, &submit));
	api_expect_einval(st, "xor_val of 0 sources",
			  lbdx_async_xor_val(srcs, 0, 8, &submit));
	api_expect_einval(st, "xor_val of LBDX_MAX_XOR_SRCS + 1 sources",
			  lbdx_async_xor_val(srcs, LBDX_MAX_XOR_SRCS + 1, 8,
					     &submit));
	st->api_checks++;
	if (lbdx_offload_set_policy("no-such-policy") != -EINVAL) {
		st->api_errors++;
		pr_err("API check: policy \"no-such-policy\" not refused\n");
	}
	lbdx_tx_put(NULL);
	lbdx_tx_put(ERR_PTR(-EINVAL));
	st->api_checks++;
	n = atomic_read(&api_callbacks);
	if (n) {
		st->api_errors++;
		pr_err("API check: %d callbacks for refused requests\n", n);
	}
	kfree(buf);
}

static int check_params(void)
{
	int m = match_string(mode_names, ARRAY_SIZE(mode_names), test_op);

	if (m < 0) {
		pr_err("op=%s: want copy, fill, xor, xor_val or mix\n", test_op);
		return -EINVAL;
	}
	mode = m;
	if (!min_sources)
		min_sources = sources;
	if (!size || size > TEST_MAX_SIZE || min_size > size || !count ||
	    !threads || threads > 64 || !inflight || inflight > 256 ||
	    misalign < -1 || misalign >= TEST_MAX_OFFSET ||
	    sources < 2 || sources > LBDX_MAX_XOR_SRCS ||
	    min_sources < 2 || min_sources > sources || !timeout ||
	    expect_status > 0) {
		pr_err("bad parameters: size 1..%u, min_size <= size, count >= 1, threads 1..64, inflight 1..256, misalign -1..%u, 2 <= min_sources <= sources <= %u, timeout >= 1, expect_status <= 0\n",
		       TEST_MAX_SIZE, TEST_MAX_OFFSET - 1, LBDX_MAX_XOR_SRCS);
		return -EINVAL;
	}
	return 0;
}

static int __init lbdx_offload_test_init(void)
{
	struct test_stats sum = {};
	struct test_thread *thr;
	u64 ms, failures, iops, kbps;
	unsigned int i, started = 0;
	bool missing = false;
	ktime_t t0;
	int ret;

	ret = check_params();
	if (ret)
		return ret;
	if (test_policy[0]) {
		ret = lbdx_offload_set_policy(test_policy);
		if (ret) {
			pr_err("policy %s: %d\n", test_policy, ret);
			return ret;
		}
	}
	if (!seed)
		seed = get_random_u64();
	pr_info("op %s, size %u..%u, sources %u..%u, %u threads x %u requests, %u in flight each, misalign %d, verify %d, depend %d, seed %lu\n",
		test_op, min_size ? min_size : size, size, min_sources,
		sources, threads, count, inflight, misalign, verify, depend,
		seed);

	api_checks(&sum);
	thr = kcalloc(threads, sizeof(*thr), GFP_KERNEL);
	if (!thr)
		return -ENOMEM;
	for (i = 0; i < threads; i++) {
		ret = alloc_thread(&thr[i], i);
		if (ret)
			goto out_free;
	}
	t0 = ktime_get();
	for (i = 0; i < threads; i++) {
		thr[i].task = kthread_run(test_thread_fn, &thr[i],
					  "lbdx_otest/%u", i);
		if (IS_ERR(thr[i].task)) {
			ret = PTR_ERR(thr[i].task);
			break;
		}
		started++;
	}
	for (i = 0; i < started; i++)
		wait_for_completion(&thr[i].exited);
	ms = max_t(u64, ktime_ms_delta(ktime_get(), t0), 1);
	if (ret)
		pr_err("starting thread %u: %d\n", started, ret);

	for (i = 0; i < started; i++) {
		if (count_callbacks(&thr[i], &thr[i].stats))
			missing = true;
		add_stats(&sum, &thr[i].stats);
	}
	failures = sum.refused + sum.status_eio + sum.status_canceled +
		   sum.status_other + sum.status_mismatch + sum.data_errors +
		   sum.source_errors + sum.guard_errors + sum.xor_val_errors +
		   sum.late_writes + sum.timed_out + sum.doubled + sum.stray + sum.order_errors +
		   sum.early_callbacks + sum.api_errors;
	if (ret)
		failures++;
	iops = div64_u64(sum.completed * 1000, ms);
	kbps = div64_u64(sum.bytes * 1000, ms * 1024);
	pr_info("%llu tests, %llu failures, %llu iops, %llu KB/s\n",
		sum.submitted + sum.refused + sum.api_checks, failures, iops,
		kbps);
	pr_info("submitted %llu, refused %llu, completed %llu, timed out %llu, lost %llu, double %llu, stray %llu; status -EIO %llu, -ECANCELED %llu, other %llu, mismatch %llu; data %llu, sources %llu, guards %llu, late %llu, xor_val %llu (checked %llu zero, %llu nonzero); dependents %llu, out of order %llu, called back before their dependency %llu; API checks %llu, failed %llu; %llu bytes in %llu ms\n",
		sum.submitted, sum.refused, sum.completed, sum.timed_out, sum.lost,
		sum.doubled, sum.stray, sum.status_eio, sum.status_canceled,
		sum.status_other, sum.status_mismatch, sum.data_errors,
		sum.source_errors, sum.guard_errors, sum.late_writes,
		sum.xor_val_errors, sum.xor_val_zero, sum.xor_val_nonzero, sum.dependents,
		sum.order_errors, sum.early_callbacks, sum.api_checks,
		sum.api_errors, sum.bytes, ms);

	if (missing) {
		/*
		 * The layer may still write the buffers of a lost request and
		 * call back into this module: keep both.
		 */
		pr_err("requests lost: keeping their buffers and this module\n");
		__module_get(THIS_MODULE);
		return 0;
	}
	if (!ret && failures)
		ret = -EIO;
out_free:
	for (i = 0; i < threads; i++)
		free_thread(&thr[i]);
	kfree(thr);
	return ret;
}

static void __exit lbdx_offload_test_exit(void)
{
}

module_init(lbdx_offload_test_init);
module_exit(lbdx_offload_test_exit);

MODULE_DESCRIPTION("Test and benchmark of the lbdx async-offload layer");
MODULE_LICENSE("GPL");

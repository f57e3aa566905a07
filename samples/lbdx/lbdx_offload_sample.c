// SPDX-License-Identifier: GPL-2.0
/*
 * lbdx_offload_sample: how a kernel driver uses the lbdx async-offload
 * layer (include/linux/lbdx_offload.h). Loading it runs four steps, each
 * on buffers it allocates, and checks every result on the CPU:
 *
 *  1. copy:  lbdx_async_memcpy(), then lbdx_tx_wait() for it;
 *  2. xor:   lbdx_async_xor() of four sources with a completion callback
 *            that wakes the submitter;
 *  3. chain: a copy, an xor depending on the copy (it reads the copy's
 *            destination) and an xor-validate depending on the xor, all
 *            submitted at once; only the last one is waited for;
 *  4. fill:  lbdx_async_fill() with LBDX_SUBMIT_WILL_WAIT and a sync wait.
 *
 * It prints one line per step and a summary:
 *
 *   lbdx_offload_sample: copy: 65536 bytes verified
 *   ...
 *   lbdx_offload_sample: 4 of 4 steps verified
 *
 * and init returns 0 only if every step verified, -EIO otherwise, so a
 * failing `insmod lbdx_offload_sample.ko` means the layer got something
 * wrong. Which backend ran each request is the layer's choice
 * (/sys/kernel/lbdx_offload/policy); the sample works the same on any.
 * Unload it with rmmod; it keeps nothing.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/err.h>
#include <linux/lbdx_offload.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>

#define SAMPLE_LEN	(64 * 1024)
#define SAMPLE_SRCS	4

/* The buffers of every step: kmalloc() memory, as the API requires. */
struct sample_bufs {
	u8 *src[SAMPLE_SRCS];
	u8 *dst;
	u8 *tmp;
	u8 *want;
};

/* Where the xor step's callback reports. */
struct sample_done {
	struct completion done;
	int status;
};

static void sample_xor_done(void *param, int status, u32 result)
{
	struct sample_done *d = param;

	/* Callbacks must not sleep: record and wake the submitter. */
	d->status = status;
	complete(&d->done);
}

/* Offset of the first byte where @a and @b differ, or -1. */
static long first_diff(const u8 *a, const u8 *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (a[i] != b[i])
			return i;
	return -1;
}

static bool sample_check(const char *step, const u8 *got, const u8 *want)
{
	long bad = first_diff(got, want, SAMPLE_LEN);

	if (bad < 0)
		return true;
	pr_err("%s: byte %ld is 0x%02x, want 0x%02x\n",
	       step, bad, got[bad], want[bad]);
	return false;
}

/* Step 1: a copy and a sleeping wait for it. */
static bool sample_copy(struct sample_bufs *b)
{
	struct lbdx_tx *tx;
	int status;

	memset(b->dst, 0, SAMPLE_LEN);
	tx = lbdx_async_memcpy(b->dst, b->src[0], SAMPLE_LEN, NULL);
	if (IS_ERR(tx)) {
		pr_err("copy: submission failed: %pe\n", tx);
		return false;
	}
	status = lbdx_tx_wait(tx, NULL);
	lbdx_tx_put(tx);
	if (status) {
		pr_err("copy: status %d\n", status);
		return false;
	}
	return sample_check("copy", b->dst, b->src[0]);
}

/* Step 2: an xor of four sources, completion reported by a callback. */
static bool sample_xor(struct sample_bufs *b)
{
	struct sample_done d = { .status = -EINPROGRESS };
	struct lbdx_submit submit = {
		.callback = sample_xor_done,
		.callback_param = &d,
	};
	struct lbdx_tx *tx;
	size_t i;
	int k;

	init_completion(&d.done);
	memset(b->dst, 0, SAMPLE_LEN);
	tx = lbdx_async_xor(b->dst, (void *const *)b->src, SAMPLE_SRCS,
			    SAMPLE_LEN, &submit);
	if (IS_ERR(tx)) {
		pr_err("xor: submission failed: %pe\n", tx);
		return false;
	}
	/*
	 * The callback runs exactly once, perhaps already before
	 * lbdx_async_xor() returned; the reference is ours either way.
	 */
	wait_for_completion(&d.done);
	lbdx_tx_put(tx);
	if (d.status) {
		pr_err("xor: status %d\n", d.status);
		return false;
	}
	for (i = 0; i < SAMPLE_LEN; i++) {
		b->want[i] = 0;
		for (k = 0; k < SAMPLE_SRCS; k++)
			b->want[i] ^= b->src[k][i];
	}
	return sample_check("xor", b->dst, b->want);
}

/*
 * Step 3: tmp = src[0]; dst = tmp ^ src[1]; then validate that
 * tmp ^ src[1] ^ dst is zero. Each request starts only once the one it
 * depends on succeeded, so no waiting between them.
 */
static bool sample_chain(struct sample_bufs *b)
{
	struct lbdx_tx *copy, *xor, *val;
	struct lbdx_submit submit = {};
	void *xor_srcs[2] = { b->tmp, b->src[1] };
	void *val_srcs[3] = { b->tmp, b->src[1], b->dst };
	int st_copy, st_xor, st_val;
	bool good = false;
	u32 result = U32_MAX;
	size_t i;

	memset(b->tmp, 0, SAMPLE_LEN);
	memset(b->dst, 0, SAMPLE_LEN);
	copy = lbdx_async_memcpy(b->tmp, b->src[0], SAMPLE_LEN, NULL);
	if (IS_ERR(copy)) {
		pr_err("chain: copy submission failed: %pe\n", copy);
		return false;
	}
	submit.depend = copy;
	xor = lbdx_async_xor(b->dst, xor_srcs, 2, SAMPLE_LEN, &submit);
	if (IS_ERR(xor)) {
		pr_err("chain: xor submission failed: %pe\n", xor);
		lbdx_tx_wait(copy, NULL);
		lbdx_tx_put(copy);
		return false;
	}
	submit.depend = xor;
	submit.flags = LBDX_SUBMIT_WILL_WAIT;
	val = lbdx_async_xor_val(val_srcs, 3, SAMPLE_LEN, &submit);
	if (IS_ERR(val)) {
		pr_err("chain: xor_val submission failed: %pe\n", val);
		lbdx_tx_wait(xor, NULL);
		goto out;
	}
	/* The last one completing means its dependencies did. */
	st_val = lbdx_tx_wait(val, &result);
	st_copy = lbdx_tx_status(copy);
	st_xor = lbdx_tx_status(xor);
	lbdx_tx_put(val);
	if (st_copy || st_xor || st_val) {
		pr_err("chain: status copy %d, xor %d, xor_val %d\n",
		       st_copy, st_xor, st_val);
		goto out;
	}
	if (result != LBDX_XOR_VAL_ZERO) {
		pr_err("chain: xor_val result %u, want %u (zero)\n",
		       result, LBDX_XOR_VAL_ZERO);
		goto out;
	}
	for (i = 0; i < SAMPLE_LEN; i++)
		b->want[i] = b->src[0][i] ^ b->src[1][i];
	good = sample_check("chain copy", b->tmp, b->src[0]) &&
	       sample_check("chain xor", b->dst, b->want);
out:
	lbdx_tx_put(xor);
	lbdx_tx_put(copy);
	return good;
}

/* Step 4: a fill the caller waits for at once (the CPU may run it inline). */
static bool sample_fill(struct sample_bufs *b)
{
	const u64 pattern = 0x0123456789abcdefULL;
	struct lbdx_submit submit = { .flags = LBDX_SUBMIT_WILL_WAIT };
	struct lbdx_tx *tx;
	size_t i;
	int status;

	memset(b->dst, 0, SAMPLE_LEN);
	tx = lbdx_async_fill(b->dst, pattern, SAMPLE_LEN, &submit);
	if (IS_ERR(tx)) {
		pr_err("fill: submission failed: %pe\n", tx);
		return false;
	}
	status = lbdx_tx_wait(tx, NULL);
	lbdx_tx_put(tx);
	if (status) {
		pr_err("fill: status %d\n", status);
		return false;
	}
	for (i = 0; i < SAMPLE_LEN; i++)
		b->want[i] = pattern >> (8 * (i % 8));
	return sample_check("fill", b->dst, b->want);
}

static const struct {
	const char *name;
	bool (*run)(struct sample_bufs *b);
} sample_steps[] = {
	{ "copy", sample_copy },
	{ "xor", sample_xor },
	{ "chain", sample_chain },
	{ "fill", sample_fill },
};

static void sample_free(struct sample_bufs *b)
{
	int k;

	for (k = 0; k < SAMPLE_SRCS; k++)
		kfree(b->src[k]);
	kfree(b->dst);
	kfree(b->tmp);
	kfree(b->want);
}

static int __init lbdx_offload_sample_init(void)
{
	struct sample_bufs b = {};
	int k, i, good = 0;

	for (k = 0; k < SAMPLE_SRCS; k++) {
		b.src[k] = kmalloc(SAMPLE_LEN, GFP_KERNEL);
		if (!b.src[k])
			goto nomem;
		get_random_bytes(b.src[k], SAMPLE_LEN);
	}
	b.dst = kmalloc(SAMPLE_LEN, GFP_KERNEL);
	b.tmp = kmalloc(SAMPLE_LEN, GFP_KERNEL);
	b.want = kmalloc(SAMPLE_LEN, GFP_KERNEL);
	if (!b.dst || !b.tmp || !b.want)
		goto nomem;

	for (i = 0; i < ARRAY_SIZE(sample_steps); i++) {
		if (sample_steps[i].run(&b)) {
			pr_info("%s: %u bytes verified\n",
				sample_steps[i].name, SAMPLE_LEN);
			good++;
		} else {
			pr_err("%s: FAILED\n", sample_steps[i].name);
		}
	}
	pr_info("%d of %zu steps verified\n", good, ARRAY_SIZE(sample_steps));
	sample_free(&b);
	return good == ARRAY_SIZE(sample_steps) ? 0 : -EIO;

nomem:
	sample_free(&b);
	return -ENOMEM;
}

static void __exit lbdx_offload_sample_exit(void)
{
}

module_init(lbdx_offload_sample_init);
module_exit(lbdx_offload_sample_exit);

MODULE_DESCRIPTION("Sample consumer of the lbdx async-offload layer");
MODULE_LICENSE("GPL");

// SPDX-License-Identifier: GPL-2.0
/*
 * lbdx_dma_bench: the per-request CPU cost of lbdx_dma's front door
 * (make bench, "door"). Loading the module takes a channel of lbdx-dma.1
 * (the DMA_PRIVATE instance), then for each size in sizes= times reqs=
 * copies one at a time, two ways, alternating within each of reps=
 * repetitions:
 *
 *   dma   through dmaengine: device_prep_dma_memcpy(), tx_submit(),
 *         issue_pending() on lbdx_dma's channel, which makes a layer
 *         request; the callback runs from the channel worker
 *   lbdx  lbdx_async_memcpy() straight into the layer, its callback
 *
 * and prints, per repetition and way, the mean nanoseconds spent in the
 * submitting calls (submit_ns: the front door's CPU cost, plus the copy
 * itself when the layer runs it inline) and until the callback ran
 * (total_ns). The difference of the two ways is what the door adds. It
 * prints, stays loaded until rmmod, never passes or fails on time.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/ktime.h>
#include <linux/lbdx_offload.h>
#include <linux/module.h>
#include <linux/slab.h>

static unsigned int sizes[4] = { 4096, 65536 };
static int nr_sizes = 2;
module_param_array(sizes, uint, &nr_sizes, 0444);
MODULE_PARM_DESC(sizes, "copy sizes, bytes (at most 4, each at most 1 MiB)");

static unsigned int reqs = 500;
module_param(reqs, uint, 0444);
MODULE_PARM_DESC(reqs, "copies per repetition, way and size");

static unsigned int reps = 5;
module_param(reps, uint, 0444);
MODULE_PARM_DESC(reps, "repetitions of each pair of ways");

struct door_cost {
	u64 submit_ns;
	u64 total_ns;
};

static bool bench_filter(struct dma_chan *chan, void *param)
{
	return !strcmp(dev_name(chan->device->dev), "lbdx-dma.1");
}

static void bench_dma_done(void *param)
{
	complete(param);
}

static void bench_lbdx_done(void *param, int status, u32 result)
{
	complete(param);
}

static int bench_dma(struct dma_chan *chan, dma_addr_t dst, dma_addr_t src,
		     size_t len, struct door_cost *c)
{
	struct dma_async_tx_descriptor *tx;
	struct completion done;
	unsigned int i;
	u64 t0, t1;

	for (i = 0; i < reqs; i++) {
		init_completion(&done);
		t0 = ktime_get_ns();
		tx = chan->device->device_prep_dma_memcpy(chan, dst, src, len,
							  DMA_CTRL_ACK |
							  DMA_PREP_INTERRUPT);
		if (!tx)
			return -ENOMEM;
		tx->callback = bench_dma_done;
		tx->callback_param = &done;
		if (dma_submit_error(dmaengine_submit(tx)))
			return -EIO;
		dma_async_issue_pending(chan);
		t1 = ktime_get_ns();
		if (!wait_for_completion_timeout(&done, 10 * HZ))
			return -ETIMEDOUT;
		c->submit_ns += t1 - t0;
		c->total_ns += ktime_get_ns() - t0;
	}
	return 0;
}

static int bench_lbdx(void *dst, void *src, size_t len, struct door_cost *c)
{
	struct completion done;
	struct lbdx_submit s = {
		.callback = bench_lbdx_done,
		.callback_param = &done,
	};
	struct lbdx_tx *tx;
	unsigned int i;
	u64 t0, t1;

	for (i = 0; i < reqs; i++) {
		init_completion(&done);
		t0 = ktime_get_ns();
		tx = lbdx_async_memcpy(dst, src, len, &s);
		t1 = ktime_get_ns();
		if (IS_ERR(tx))
			return PTR_ERR(tx);
		lbdx_tx_put(tx);
		if (!wait_for_completion_timeout(&done, 10 * HZ))
			return -ETIMEDOUT;
		c->submit_ns += t1 - t0;
		c->total_ns += ktime_get_ns() - t0;
	}
	return 0;
}

static void bench_say(const char *way, size_t len, unsigned int rep,
		      const struct door_cost *c)
{
	pr_info("door way=%s size=%zu rep=%u reqs=%u submit_ns=%llu total_ns=%llu\n",
		way, len, rep, reqs, div_u64(c->submit_ns, reqs),
		div_u64(c->total_ns, reqs));
}

static int bench_size(struct dma_chan *chan, void *dst, void *src, size_t len)
{
	struct device *dev = chan->device->dev;
	dma_addr_t d, s;
	unsigned int rep;
	int ret = 0;

	s = dma_map_single(dev, src, len, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, s))
		return -ENOMEM;
	d = dma_map_single(dev, dst, len, DMA_FROM_DEVICE);
	if (dma_mapping_error(dev, d)) {
		dma_unmap_single(dev, s, len, DMA_TO_DEVICE);
		return -ENOMEM;
	}
	for (rep = 0; rep < reps && !ret; rep++) {
		struct door_cost cd = {}, cl = {};

		/* dma then lbdx, then the other way round. */
		if (rep & 1) {
			ret = bench_lbdx(dst, src, len, &cl) ?:
			      bench_dma(chan, d, s, len, &cd);
		} else {
			ret = bench_dma(chan, d, s, len, &cd) ?:
			      bench_lbdx(dst, src, len, &cl);
		}
		if (!ret) {
			bench_say("dma", len, rep, &cd);
			bench_say("lbdx", len, rep, &cl);
		}
	}
	dma_unmap_single(dev, d, len, DMA_FROM_DEVICE);
	dma_unmap_single(dev, s, len, DMA_TO_DEVICE);
	if (!ret && memcmp(dst, src, len))
		ret = -EILSEQ;
	return ret;
}

static int __init lbdx_dma_bench_init(void)
{
	struct dma_chan *chan;
	dma_cap_mask_t mask;
	void *src, *dst;
	int i, ret = 0;

	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	chan = dma_request_channel(mask, bench_filter, NULL);
	if (!chan) {
		pr_err("door error no lbdx-dma.1 channel\n");
		return -ENODEV;
	}
	src = kmalloc(SZ_1M, GFP_KERNEL);
	dst = kmalloc(SZ_1M, GFP_KERNEL);
	if (!src || !dst) {
		ret = -ENOMEM;
		goto out;
	}
	memset(src, 0x5a, SZ_1M);
	for (i = 0; i < nr_sizes && !ret; i++) {
		if (!sizes[i] || sizes[i] > SZ_1M) {
			ret = -EINVAL;
			break;
		}
		ret = bench_size(chan, dst, src, sizes[i]);
	}
	if (ret)
		pr_err("door error %d\n", ret);
out:
	kfree(dst);
	kfree(src);
	dma_release_channel(chan);
	return 0;
}

static void __exit lbdx_dma_bench_exit(void)
{
}

module_init(lbdx_dma_bench_init);
module_exit(lbdx_dma_bench_exit);
MODULE_DESCRIPTION("per-request CPU cost of lbdx_dma's dmaengine front door");
MODULE_LICENSE("GPL");

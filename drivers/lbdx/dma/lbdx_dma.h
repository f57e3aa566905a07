/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internals of lbdx_dma.ko, the dmaengine provider in front of the lbdx
 * offload layer. One job per file:
 *
 * - lbdx_dma_main.c: the module, its platform devices and driver, the
 *   dma-direct identity check, dmaengine registration and removal, the
 *   attached layer and the sysfs counters;
 * - lbdx_dma_prep.c: the prep functions (bus addresses back to kernel
 *   virtual addresses, a descriptor filled);
 * - lbdx_dma_chan.c: a channel's descriptors, their order (fences,
 *   submission order of completions), the channel worker, tx_status,
 *   terminate_all and synchronize;
 * - lbdx_dma_cpu.c: running a descriptor on the CPU (when no layer is
 *   attached, or the layer refused or failed it) with the RAID-6 routines
 *   it exports to the layer's CPU backend, and its KUnit suite
 *   lbdx_dma_cpu_kunit.c.
 */
#ifndef LBDX_DMA_H
#define LBDX_DMA_H

#include <linux/dmaengine.h>
#include <linux/lbdx_dma.h>
#include <linux/list.h>
#include <linux/platform_device.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

/* Most sources of one xor, xor-validate or PQ descriptor. */
#define LBDX_DMA_MAX_SRCS	LBDX_MAX_XOR_SRCS
/* Descriptors a channel allocates when a client takes it. */
#define LBDX_DMA_PREALLOC	64

enum lbdx_dma_op {
	LBDX_DMA_MEMCPY,
	LBDX_DMA_MEMSET,
	LBDX_DMA_XOR,
	LBDX_DMA_XOR_VAL,
	LBDX_DMA_PQ,
	LBDX_DMA_PQ_VAL,
	LBDX_DMA_INTERRUPT,
};

/*
 * Where a descriptor is. Submitted (QUEUED) descriptors are in the
 * channel's active list in cookie order until retired.
 */
enum lbdx_dma_state {
	LBDX_DMA_PREPARED,	/* prepared, not submitted */
	LBDX_DMA_QUEUED,	/* submitted, waiting for issue or a fence */
	LBDX_DMA_ON_LAYER,	/* a layer request runs it */
	LBDX_DMA_CPU_WANTED,	/* the channel worker is to run it */
	LBDX_DMA_ON_CPU,	/* the channel worker runs it */
	LBDX_DMA_DONE,		/* data written; not retired yet */
};

struct lbdx_dma_chan;

/**
 * struct lbdx_dma_desc - one dmaengine descriptor.
 * @txd: what the client sees.
 * @node: in the channel's free, active or retired list.
 * @chan: owning channel.
 * @op: operation.
 * @state: enum lbdx_dma_state, under the channel's lock.
 * @issued: issue_pending() saw it (under the channel's lock).
 * @aborted: terminate_all() dropped it: retired without a callback.
 * @src_cnt: sources in @srcs.
 * @len: bytes.
 * @dst: destination (memcpy, memset, xor); P for PQ and PQ_VAL.
 * @q: Q for PQ and PQ_VAL.
 * @srcs: sources.
 * @coefs: PQ coefficients.
 * @pattern: memset byte, replicated.
 * @sum: where xor_val / pq_val store their result.
 * @sum_val: the result, stored into *@sum before the callback.
 */
struct lbdx_dma_desc {
	struct dma_async_tx_descriptor txd;
	struct list_head node;
	struct lbdx_dma_chan *chan;
	enum lbdx_dma_op op;
	enum lbdx_dma_state state;
	bool issued;
	bool aborted;
	unsigned int src_cnt;
	size_t len;
	void *dst;
	void *q;
	void *srcs[LBDX_DMA_MAX_SRCS];
	u8 coefs[LBDX_DMA_MAX_SRCS];
	u64 pattern;
	enum sum_check_flags *sum;
	enum sum_check_flags sum_val;
};

/**
 * struct lbdx_dma_chan - one channel.
 * @chan: the dmaengine channel.
 * @lock: protects the lists, states and @down.
 * @free: descriptors ready for prep.
 * @active: submitted, not retired: cookie order.
 * @retired: completed, waiting for the client's ack to be reused.
 * @allocated: descriptors owned (on any list or prepared).
 * @down: the device is being removed: prep refuses.
 * @work: the channel worker (lbdx_dma_chan_work()).
 * @idle: woken when @active empties.
 */
struct lbdx_dma_chan {
	struct dma_chan chan;
	spinlock_t lock;
	struct list_head free;
	struct list_head active;
	struct list_head retired;
	unsigned int allocated;
	bool down;
	struct work_struct work;
	wait_queue_head_t idle;
};

/**
 * struct lbdx_dma_dev - one provider instance (a platform device).
 * @dma: the dmaengine device.
 * @pdev: its platform device.
 * @chans: @nr_chans channels.
 * @nr_chans: channels.
 */
struct lbdx_dma_dev {
	struct dma_device dma;
	struct platform_device *pdev;
	struct lbdx_dma_chan *chans;
	unsigned int nr_chans;
};

static inline struct lbdx_dma_chan *to_lbdx_chan(struct dma_chan *c)
{
	return container_of(c, struct lbdx_dma_chan, chan);
}

static inline struct lbdx_dma_desc *to_lbdx_desc(struct dma_async_tx_descriptor *t)
{
	return container_of(t, struct lbdx_dma_desc, txd);
}

/* lbdx_dma_main.c */
extern struct workqueue_struct *lbdx_dma_wq;
bool lbdx_dma_run_on_layer(struct lbdx_dma_desc *d);
void lbdx_dma_layer_put(void);
void lbdx_dma_count_cpu(struct lbdx_dma_desc *d, bool fallback);

/* lbdx_dma_prep.c */
void lbdx_dma_set_prep(struct dma_device *dma);

/* lbdx_dma_chan.c */
void lbdx_dma_chan_init(struct lbdx_dma_chan *lc);
struct lbdx_dma_desc *lbdx_dma_desc_get(struct dma_chan *c,
					enum lbdx_dma_op op,
					unsigned long flags);
void lbdx_dma_layer_done(void *param, int status, u32 result);
void lbdx_dma_set_chan_ops(struct dma_device *dma);
void lbdx_dma_chan_down(struct lbdx_dma_chan *lc);

/* lbdx_dma_cpu.c */
void lbdx_dma_cpu_run(struct lbdx_dma_desc *d);

#endif /* LBDX_DMA_H */

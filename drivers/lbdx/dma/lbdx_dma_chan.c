// SPDX-License-Identifier: GPL-2.0
/*
 * lbdx_dma: a channel's descriptors and their order.
 *
 * - prep takes a descriptor from the channel's free list (LBDX_DMA_PREALLOC
 *   allocated when a client takes the channel, more with GFP_NOWAIT, then
 *   GFP_ATOMIC);
 * - tx_submit assigns the cookie and appends it to the active list;
 * - issue_pending starts every issued descriptor that no fence holds back:
 *   a descriptor prepared with DMA_PREP_FENCE holds back every later one
 *   until its data is written, so a descriptor that uses an earlier one's
 *   result (async_tx chains on one channel) starts after it, while
 *   independent descriptors run at once, each a layer request of its own;
 * - the channel worker (an unbound workqueue: never tied to the CPU of a
 *   submitter that spins in dma_sync_wait()) runs on the CPU what has to
 *   run there and retires descriptors strictly in cookie order: cookie
 *   completed, unmap data released, callback (with bottom halves off, as
 *   from a tasklet), dependencies run; an acked descriptor returns to the
 *   free list, one not acked yet waits on the retired list for its ack.
 */

#include <linux/slab.h>

#include "lbdx_dma.h"

static void lbdx_dma_chan_work(struct work_struct *w);

void lbdx_dma_chan_init(struct lbdx_dma_chan *lc)
{
	spin_lock_init(&lc->lock);
	INIT_WORK(&lc->work, lbdx_dma_chan_work);
	INIT_LIST_HEAD(&lc->free);
	INIT_LIST_HEAD(&lc->active);
	INIT_LIST_HEAD(&lc->retired);
	init_waitqueue_head(&lc->idle);
}

static dma_cookie_t lbdx_dma_tx_submit(struct dma_async_tx_descriptor *txd);

static struct lbdx_dma_desc *lbdx_dma_desc_alloc(struct lbdx_dma_chan *lc,
						 gfp_t gfp)
{
	struct lbdx_dma_desc *d = kzalloc_obj(*d, gfp);

	if (!d)
		return NULL;
	dma_async_tx_descriptor_init(&d->txd, &lc->chan);
	d->txd.tx_submit = lbdx_dma_tx_submit;
	d->chan = lc;
	return d;
}

/* Moves every acked descriptor of the retired list to the free list. */
static void lbdx_dma_reclaim(struct lbdx_dma_chan *lc)
{
	struct lbdx_dma_desc *d, *n;

	lockdep_assert_held(&lc->lock);
	list_for_each_entry_safe(d, n, &lc->retired, node)
		if (async_tx_test_ack(&d->txd))
			list_move(&d->node, &lc->free);
}

struct lbdx_dma_desc *lbdx_dma_desc_get(struct dma_chan *c,
					enum lbdx_dma_op op,
					unsigned long flags)
{
	struct lbdx_dma_chan *lc = to_lbdx_chan(c);
	struct lbdx_dma_desc *d = NULL;
	unsigned long irqf;

	spin_lock_irqsave(&lc->lock, irqf);
	if (lc->down) {
		spin_unlock_irqrestore(&lc->lock, irqf);
		return NULL;
	}
	if (list_empty(&lc->free))
		lbdx_dma_reclaim(lc);
	d = list_first_entry_or_null(&lc->free, struct lbdx_dma_desc, node);
	if (d)
		list_del_init(&d->node);
	spin_unlock_irqrestore(&lc->lock, irqf);
	if (!d) {
		/* Never NULL but without any memory at all. */
		d = lbdx_dma_desc_alloc(lc, GFP_NOWAIT | __GFP_NOWARN);
		if (!d)
			d = lbdx_dma_desc_alloc(lc, GFP_ATOMIC);
		if (!d)
			return NULL;
		spin_lock_irqsave(&lc->lock, irqf);
		lc->allocated++;
		spin_unlock_irqrestore(&lc->lock, irqf);
		INIT_LIST_HEAD(&d->node);
	}
	d->op = op;
	d->state = LBDX_DMA_PREPARED;
	d->issued = false;
	d->aborted = false;
	d->src_cnt = 0;
	d->len = 0;
	d->dst = NULL;
	d->q = NULL;
	d->sum = NULL;
	d->sum_val = 0;
	d->txd.flags = flags;
	d->txd.cookie = -EBUSY;
	d->txd.callback = NULL;
	d->txd.callback_result = NULL;
	d->txd.callback_param = NULL;
	d->txd.unmap = NULL;
	return d;
}

static dma_cookie_t lbdx_dma_tx_submit(struct dma_async_tx_descriptor *txd)
{
	struct lbdx_dma_desc *d = to_lbdx_desc(txd);
	struct lbdx_dma_chan *lc = d->chan;
	struct dma_chan *c = &lc->chan;
	unsigned long irqf;
	dma_cookie_t cookie;

	spin_lock_irqsave(&lc->lock, irqf);
	cookie = c->cookie + 1;
	if (cookie < DMA_MIN_COOKIE)
		cookie = DMA_MIN_COOKIE;
	txd->cookie = c->cookie = cookie;
	d->state = LBDX_DMA_QUEUED;
	list_add_tail(&d->node, &lc->active);
	spin_unlock_irqrestore(&lc->lock, irqf);
	return cookie;
}

/*
 * Starts what may start. The walk stops at the first descriptor not
 * issued, and after a fenced descriptor whose data is not written yet.
 * Starting happens outside the lock (a layer request may complete inside
 * its own submission), at most a batch per pass.
 */
static void lbdx_dma_start(struct lbdx_dma_chan *lc)
{
	struct lbdx_dma_desc *batch[16];
	struct lbdx_dma_desc *d;
	unsigned int n, i;
	unsigned long irqf;
	bool cpu;

	do {
		n = 0;
		cpu = false;
		spin_lock_irqsave(&lc->lock, irqf);
		list_for_each_entry(d, &lc->active, node) {
			if (!d->issued)
				break;
			if (d->state == LBDX_DMA_QUEUED) {
				if (d->aborted) {
					d->state = LBDX_DMA_DONE;
					continue;
				}
				d->state = LBDX_DMA_ON_LAYER;
				batch[n++] = d;
			}
			if ((d->txd.flags & DMA_PREP_FENCE) &&
			    d->state != LBDX_DMA_DONE)
				break;
			if (n == ARRAY_SIZE(batch))
				break;
		}
		spin_unlock_irqrestore(&lc->lock, irqf);
		for (i = 0; i < n; i++) {
			d = batch[i];
			if (lbdx_dma_run_on_layer(d))
				continue;
			/* The CPU runs it: the worker, in task context. */
			spin_lock_irqsave(&lc->lock, irqf);
			d->state = LBDX_DMA_CPU_WANTED;
			spin_unlock_irqrestore(&lc->lock, irqf);
			cpu = true;
		}
		if (cpu)
			queue_work(lbdx_dma_wq, &lc->work);
	} while (n == ARRAY_SIZE(batch));
}

static void lbdx_dma_issue_pending(struct dma_chan *c)
{
	struct lbdx_dma_chan *lc = to_lbdx_chan(c);
	struct lbdx_dma_desc *d;
	unsigned long irqf;

	spin_lock_irqsave(&lc->lock, irqf);
	list_for_each_entry(d, &lc->active, node)
		d->issued = true;
	spin_unlock_irqrestore(&lc->lock, irqf);
	lbdx_dma_start(lc);
	/* Something may be done already: retire it (and wake a waiter). */
	queue_work(lbdx_dma_wq, &lc->work);
}

/* The layer's callback (lbdx_callback_t) of a descriptor's request. */
void lbdx_dma_layer_done(void *param, int status, u32 result)
{
	struct lbdx_dma_desc *d = param;
	struct lbdx_dma_chan *lc = d->chan;
	unsigned long irqf;

	spin_lock_irqsave(&lc->lock, irqf);
	if (status) {
		/* Every backend failed it: the CPU writes the data. */
		d->state = LBDX_DMA_CPU_WANTED;
		lbdx_dma_count_cpu(d, true);
	} else {
		if (d->op == LBDX_DMA_XOR_VAL)
			d->sum_val = result == LBDX_XOR_VAL_ZERO ?
				     0 : SUM_CHECK_P_RESULT;
		else if (d->op == LBDX_DMA_PQ_VAL)
			d->sum_val = (result & LBDX_PQ_VAL_P_BAD ?
				      SUM_CHECK_P_RESULT : 0) |
				     (result & LBDX_PQ_VAL_Q_BAD ?
				      SUM_CHECK_Q_RESULT : 0);
		d->state = LBDX_DMA_DONE;
	}
	/* From here on the worker may retire and reuse @d. */
	spin_unlock_irqrestore(&lc->lock, irqf);
	queue_work(lbdx_dma_wq, &lc->work);
	lbdx_dma_layer_put();
}

/* Runs on the CPU every descriptor that waits for it. */
static void lbdx_dma_run_cpu(struct lbdx_dma_chan *lc)
{
	struct lbdx_dma_desc *d;
	unsigned long irqf;
	bool found;

	do {
		found = false;
		spin_lock_irqsave(&lc->lock, irqf);
		list_for_each_entry(d, &lc->active, node) {
			if (d->state == LBDX_DMA_CPU_WANTED) {
				d->state = LBDX_DMA_ON_CPU;
				found = true;
				break;
			}
		}
		spin_unlock_irqrestore(&lc->lock, irqf);
		if (!found)
			return;
		lbdx_dma_cpu_run(d);
		spin_lock_irqsave(&lc->lock, irqf);
		d->state = LBDX_DMA_DONE;
		spin_unlock_irqrestore(&lc->lock, irqf);
		/* A fence it held may have opened. */
		lbdx_dma_start(lc);
	} while (found);
}

/* Retires the done descriptors at the head of the active list, in order. */
static bool lbdx_dma_retire(struct lbdx_dma_chan *lc)
{
	static const struct dmaengine_result ok = {
		.result = DMA_TRANS_NOERROR,
	};
	dma_async_tx_callback_result cb_result;
	dma_async_tx_callback cb;
	struct lbdx_dma_desc *d;
	void *param;
	unsigned long irqf;
	bool any = false;

	for (;;) {
		spin_lock_irqsave(&lc->lock, irqf);
		d = list_first_entry_or_null(&lc->active, struct lbdx_dma_desc,
					     node);
		if (!d || d->state != LBDX_DMA_DONE) {
			if (!d)
				wake_up_all(&lc->idle);
			spin_unlock_irqrestore(&lc->lock, irqf);
			return any;
		}
		list_del_init(&d->node);
		if (d->sum && !d->aborted)
			*d->sum = d->sum_val;
		/* The cookie completes before the callback runs. */
		lc->chan.completed_cookie = d->txd.cookie;
		d->txd.cookie = 0;
		spin_unlock_irqrestore(&lc->lock, irqf);
		any = true;

		if (!d->aborted) {
			this_cpu_inc(lc->chan.local->memcpy_count);
			this_cpu_add(lc->chan.local->bytes_transferred, d->len);
		}
		cb = d->txd.callback;
		cb_result = d->txd.callback_result;
		param = d->txd.callback_param;
		dma_descriptor_unmap(&d->txd);
		local_bh_disable();
		if (!d->aborted && cb_result)
			cb_result(param, &ok);
		else if (!d->aborted && cb)
			cb(param);
		dma_run_dependencies(&d->txd);
		local_bh_enable();

		spin_lock_irqsave(&lc->lock, irqf);
		list_add_tail(&d->node, &lc->retired);
		lbdx_dma_reclaim(lc);
		spin_unlock_irqrestore(&lc->lock, irqf);
	}
}

static void lbdx_dma_chan_work(struct work_struct *w)
{
	struct lbdx_dma_chan *lc = container_of(w, struct lbdx_dma_chan, work);

	do {
		lbdx_dma_run_cpu(lc);
		lbdx_dma_start(lc);
	} while (lbdx_dma_retire(lc));
}

static enum dma_status lbdx_dma_tx_status(struct dma_chan *c,
					  dma_cookie_t cookie,
					  struct dma_tx_state *state)
{
	dma_cookie_t used = READ_ONCE(c->cookie);
	dma_cookie_t done = READ_ONCE(c->completed_cookie);

	if (state) {
		state->last = done;
		state->used = used;
		state->residue = 0;
		state->in_flight_bytes = 0;
	}
	return dma_async_is_complete(cookie, done, used);
}

/*
 * Drops every descriptor not started yet (retired without a callback, its
 * unmap data released) and silences the callbacks of those running: their
 * data is still written (a layer request cannot be recalled), and
 * lbdx_dma_synchronize() waits for them. Atomic context allowed.
 */
static int lbdx_dma_terminate_all(struct dma_chan *c)
{
	struct lbdx_dma_chan *lc = to_lbdx_chan(c);
	struct lbdx_dma_desc *d;
	unsigned long irqf;

	spin_lock_irqsave(&lc->lock, irqf);
	list_for_each_entry(d, &lc->active, node) {
		d->aborted = true;
		d->issued = true;
		if (d->state == LBDX_DMA_QUEUED)
			d->state = LBDX_DMA_DONE;
	}
	spin_unlock_irqrestore(&lc->lock, irqf);
	queue_work(lbdx_dma_wq, &lc->work);
	return 0;
}

/* Sleeps until nothing submitted before is active or retiring. */
static void lbdx_dma_synchronize(struct dma_chan *c)
{
	struct lbdx_dma_chan *lc = to_lbdx_chan(c);

	queue_work(lbdx_dma_wq, &lc->work);
	wait_event(lc->idle, ({
		unsigned long irqf;
		bool empty;

		spin_lock_irqsave(&lc->lock, irqf);
		empty = list_empty(&lc->active);
		spin_unlock_irqrestore(&lc->lock, irqf);
		empty;
	}));
	flush_work(&lc->work);
}

static int lbdx_dma_alloc_chan_resources(struct dma_chan *c)
{
	struct lbdx_dma_chan *lc = to_lbdx_chan(c);
	struct lbdx_dma_desc *d;
	unsigned long irqf;
	unsigned int i;

	for (i = 0; i < LBDX_DMA_PREALLOC; i++) {
		d = lbdx_dma_desc_alloc(lc, GFP_KERNEL);
		if (!d)
			break;
		spin_lock_irqsave(&lc->lock, irqf);
		list_add(&d->node, &lc->free);
		lc->allocated++;
		spin_unlock_irqrestore(&lc->lock, irqf);
	}
	if (!i)
		return -ENOMEM;
	c->completed_cookie = c->cookie = DMA_MIN_COOKIE;
	return i;
}

/*
 * The last client let go: nothing may be active (a client frees its
 * channel only once its descriptors completed, and dmaengine calls this
 * after device_synchronize); wait anyway, then free every descriptor,
 * prepared ones never submitted included (counted in @allocated, their
 * memory is the client's loss to report: never freed under it).
 */
static void lbdx_dma_free_chan_resources(struct dma_chan *c)
{
	struct lbdx_dma_chan *lc = to_lbdx_chan(c);
	struct lbdx_dma_desc *d, *n;
	unsigned long irqf;
	LIST_HEAD(all);

	lbdx_dma_synchronize(c);
	spin_lock_irqsave(&lc->lock, irqf);
	list_splice_init(&lc->free, &all);
	list_splice_init(&lc->retired, &all);
	spin_unlock_irqrestore(&lc->lock, irqf);
	list_for_each_entry_safe(d, n, &all, node) {
		list_del(&d->node);
		kfree(d);
		lc->allocated--;
	}
	if (lc->allocated)
		dev_warn(c->device->dev,
			 "%s: %u descriptors prepared but never submitted\n",
			 dma_chan_name(c), lc->allocated);
}

/* The device goes away: prep refuses from now on, active work finishes. */
void lbdx_dma_chan_down(struct lbdx_dma_chan *lc)
{
	unsigned long irqf;

	spin_lock_irqsave(&lc->lock, irqf);
	lc->down = true;
	spin_unlock_irqrestore(&lc->lock, irqf);
	lbdx_dma_synchronize(&lc->chan);
}

void lbdx_dma_set_chan_ops(struct dma_device *dma)
{
	dma->device_alloc_chan_resources = lbdx_dma_alloc_chan_resources;
	dma->device_free_chan_resources = lbdx_dma_free_chan_resources;
	dma->device_issue_pending = lbdx_dma_issue_pending;
	dma->device_tx_status = lbdx_dma_tx_status;
	dma->device_terminate_all = lbdx_dma_terminate_all;
	dma->device_synchronize = lbdx_dma_synchronize;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * lbdx_dma.ko: a dmaengine provider in front of the lbdx async-offload
 * layer, so that Linux's own async_tx consumers (md raid456, and the
 * kernel's dmatest) reach the layer's per-request choice and failover.
 *
 * Two instances, each a platform device of this module's own driver:
 * - lbdx-dma.0, public (unless public=0): one channel per possible CPU,
 *   which async_tx spreads over the CPUs (and holds, with this module, for
 *   as long as it is loaded);
 * - lbdx-dma.1, DMA_PRIVATE: test_channels channels that async_tx never
 *   takes, for dmatest (which refuses channels async_tx holds).
 *
 * Each device must be dma-direct with bus address == physical address:
 * checked at probe (no DMA ops, no range map, no forced bounce, and a
 * page's mapping equal to its physical address), refused otherwise.
 *
 * Descriptors become requests of the layer that lbdx.ko attached
 * (include/linux/lbdx_dma.h); without one, or when the layer refuses or
 * fails one, the channel worker runs it on the CPU.
 */

#include <linux/dma-map-ops.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/swiotlb.h>

#include "lbdx_dma.h"

static bool public = true;
module_param(public, bool, 0444);
MODULE_PARM_DESC(public,
		 "register the public instance lbdx-dma.0, which async_tx uses (default: yes)");

static unsigned int test_channels = 2;
module_param(test_channels, uint, 0444);
MODULE_PARM_DESC(test_channels,
		 "channels of the DMA_PRIVATE instance lbdx-dma.1, for dmatest (0: no such instance, at most 64)");

struct workqueue_struct *lbdx_dma_wq;

/* The attached layer, the calls into it and the requests made through it. */
static const struct lbdx_dma_layer __rcu *lbdx_dma_layer;
static DEFINE_MUTEX(lbdx_dma_layer_lock);
static atomic_t lbdx_dma_layer_reqs = ATOMIC_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(lbdx_dma_layer_idle);

/* Counters of one instance, shown in its sysfs directory. */
struct lbdx_dma_counters {
	atomic64_t layer_requests;
	atomic64_t layer_pq_requests;
	atomic64_t cpu_runs;
	atomic64_t cpu_fallbacks;
};

struct lbdx_dma_inst {
	struct lbdx_dma_dev ld;
	struct lbdx_dma_counters cnt;
};

static struct lbdx_dma_inst *lbdx_dma_inst_of(struct lbdx_dma_desc *d)
{
	return container_of(d->chan->chan.device, struct lbdx_dma_inst, ld.dma);
}

void lbdx_dma_count_cpu(struct lbdx_dma_desc *d, bool fallback)
{
	struct lbdx_dma_inst *in = lbdx_dma_inst_of(d);

	atomic64_inc(&in->cnt.cpu_runs);
	if (fallback)
		atomic64_inc(&in->cnt.cpu_fallbacks);
}

int lbdx_dma_attach(const struct lbdx_dma_layer *layer)
{
	int ret = 0;

	if (!layer || !layer->memcpy || !layer->fill || !layer->xor ||
	    !layer->xor_val || !layer->pq || !layer->pq_val || !layer->tx_put)
		return -EINVAL;
	mutex_lock(&lbdx_dma_layer_lock);
	if (rcu_access_pointer(lbdx_dma_layer))
		ret = -EBUSY;
	else
		rcu_assign_pointer(lbdx_dma_layer, layer);
	mutex_unlock(&lbdx_dma_layer_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(lbdx_dma_attach);

void lbdx_dma_detach(const struct lbdx_dma_layer *layer)
{
	mutex_lock(&lbdx_dma_layer_lock);
	if (rcu_access_pointer(lbdx_dma_layer) != layer) {
		mutex_unlock(&lbdx_dma_layer_lock);
		return;
	}
	RCU_INIT_POINTER(lbdx_dma_layer, NULL);
	mutex_unlock(&lbdx_dma_layer_lock);
	/* No call into the layer is under way after this... */
	synchronize_rcu();
	/* ... and no request made through it is. */
	wait_event(lbdx_dma_layer_idle, !atomic_read(&lbdx_dma_layer_reqs));
}
EXPORT_SYMBOL_GPL(lbdx_dma_detach);

/* Called by lbdx_dma_layer_done() once a request's callback ran. */
void lbdx_dma_layer_put(void)
{
	if (atomic_dec_and_test(&lbdx_dma_layer_reqs))
		wake_up_all(&lbdx_dma_layer_idle);
}

/* Submits @d to the layer: false when the CPU has to run it instead. */
static bool lbdx_dma_submit_layer(struct lbdx_dma_desc *d)
{
	const struct lbdx_submit s = {
		.callback = lbdx_dma_layer_done,
		.callback_param = d,
	};
	/*
	 * Read before the request exists: once it does, @d may complete, be
	 * retired and be prepared again for another operation.
	 */
	struct lbdx_dma_inst *in = lbdx_dma_inst_of(d);
	bool is_pq = d->op == LBDX_DMA_PQ || d->op == LBDX_DMA_PQ_VAL;
	unsigned long f = d->txd.flags;
	void *p = f & DMA_PREP_PQ_DISABLE_P ? NULL : d->dst;
	void *q = f & DMA_PREP_PQ_DISABLE_Q ? NULL : d->q;
	const struct lbdx_dma_layer *l;
	struct lbdx_tx *tx = NULL;

	rcu_read_lock();
	l = rcu_dereference(lbdx_dma_layer);
	if (!l || d->len > LBDX_MAX_LEN) {
		rcu_read_unlock();
		return false;
	}
	atomic_inc(&lbdx_dma_layer_reqs);
	switch (d->op) {
	case LBDX_DMA_MEMCPY:
		tx = l->memcpy(d->dst, d->srcs[0], d->len, &s);
		break;
	case LBDX_DMA_MEMSET:
		tx = l->fill(d->dst, d->pattern, d->len, &s);
		break;
	case LBDX_DMA_XOR:
		tx = d->src_cnt == 1 ?
		     l->memcpy(d->dst, d->srcs[0], d->len, &s) :
		     l->xor(d->dst, d->srcs, d->src_cnt, d->len, &s);
		break;
	case LBDX_DMA_XOR_VAL:
		tx = l->xor_val(d->srcs, d->src_cnt, d->len, &s);
		break;
	case LBDX_DMA_PQ:
		tx = l->pq(p, q, d->srcs, d->coefs, d->src_cnt, d->len,
			   f & DMA_PREP_CONTINUE ? LBDX_PQ_ACCUMULATE : 0, &s);
		break;
	case LBDX_DMA_PQ_VAL:
		tx = l->pq_val(p, q, d->srcs, d->coefs, d->src_cnt, d->len, &s);
		break;
	default:
		tx = ERR_PTR(-EOPNOTSUPP);
		break;
	}
	if (IS_ERR(tx)) {
		/* Refused (no callback will run): the CPU runs it. */
		lbdx_dma_layer_put();
		rcu_read_unlock();
		return false;
	}
	l->tx_put(tx);
	rcu_read_unlock();
	atomic64_inc(&in->cnt.layer_requests);
	if (is_pq)
		atomic64_inc(&in->cnt.layer_pq_requests);
	return true;
}

/*
 * Starts @d (state LBDX_DMA_ON_LAYER): true when it is under way or done,
 * false when the channel worker is to run it on the CPU.
 */
bool lbdx_dma_run_on_layer(struct lbdx_dma_desc *d)
{
	struct lbdx_dma_chan *lc = d->chan;
	unsigned long irqf;
	bool nothing = d->op == LBDX_DMA_INTERRUPT ||
		       (d->op == LBDX_DMA_XOR && d->src_cnt == 1 &&
			d->srcs[0] == d->dst);

	if (nothing) {
		spin_lock_irqsave(&lc->lock, irqf);
		d->state = LBDX_DMA_DONE;
		spin_unlock_irqrestore(&lc->lock, irqf);
		return true;
	}
	if ((d->op == LBDX_DMA_XOR_VAL && d->src_cnt == 1) ||
	    !lbdx_dma_submit_layer(d)) {
		lbdx_dma_count_cpu(d, false);
		return false;
	}
	return true;
}

/* ---- sysfs ---------------------------------------------------------------- */

static ssize_t lbdx_dma_show_counter(struct device *dev, char *buf,
				     size_t offset)
{
	struct lbdx_dma_inst *in = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%lld\n",
			  atomic64_read((atomic64_t *)((char *)&in->cnt + offset)));
}

#define LBDX_DMA_COUNTER_ATTR(name)					\
static ssize_t name##_show(struct device *dev,				\
			   struct device_attribute *attr, char *buf)	\
{									\
	return lbdx_dma_show_counter(dev, buf,				\
			offsetof(struct lbdx_dma_counters, name));	\
}									\
static DEVICE_ATTR_RO(name)

LBDX_DMA_COUNTER_ATTR(layer_requests);
LBDX_DMA_COUNTER_ATTR(layer_pq_requests);
LBDX_DMA_COUNTER_ATTR(cpu_runs);
LBDX_DMA_COUNTER_ATTR(cpu_fallbacks);

static ssize_t layer_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n", rcu_access_pointer(lbdx_dma_layer) ?
			  "attached" : "detached");
}
static DEVICE_ATTR_RO(layer);

static struct attribute *lbdx_dma_attrs[] = {
	&dev_attr_layer.attr,
	&dev_attr_layer_requests.attr,
	&dev_attr_layer_pq_requests.attr,
	&dev_attr_cpu_runs.attr,
	&dev_attr_cpu_fallbacks.attr,
	NULL,
};
ATTRIBUTE_GROUPS(lbdx_dma);

/* ---- the platform driver ------------------------------------------------ */

/* Whether @dev maps memory dma-direct with bus address == physical. */
static int lbdx_dma_check_direct(struct device *dev)
{
	struct page *pg;
	dma_addr_t a;
	int ret = 0;

	if (get_dma_ops(dev) || dev->dma_range_map ||
	    is_swiotlb_force_bounce(dev)) {
		dev_err(dev, "not dma-direct without offset or bounce: refused\n");
		return -ENODEV;
	}
	pg = alloc_page(GFP_KERNEL);
	if (!pg)
		return -ENOMEM;
	a = dma_map_page(dev, pg, 0, PAGE_SIZE, DMA_BIDIRECTIONAL);
	if (dma_mapping_error(dev, a)) {
		ret = -ENODEV;
	} else {
		if (a != page_to_phys(pg))
			ret = -ENODEV;
		dma_unmap_page(dev, a, PAGE_SIZE, DMA_BIDIRECTIONAL);
	}
	__free_page(pg);
	if (ret)
		dev_err(dev, "bus addresses are not physical addresses: refused\n");
	return ret;
}

static void lbdx_dma_release(struct dma_device *dma)
{
	struct lbdx_dma_inst *in = container_of(dma, struct lbdx_dma_inst,
						ld.dma);

	kfree(in->ld.chans);
	kfree(in);
}

static int lbdx_dma_probe(struct platform_device *pdev)
{
	bool private = pdev->id == 1;
	unsigned int n = private ? test_channels : num_possible_cpus();
	struct lbdx_dma_inst *in;
	struct dma_device *dma;
	unsigned int i;
	int ret;

	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;
	ret = lbdx_dma_check_direct(&pdev->dev);
	if (ret)
		return ret;
	in = kzalloc_obj(*in);
	if (!in)
		return -ENOMEM;
	in->ld.chans = kzalloc_objs(*in->ld.chans, n);
	if (!in->ld.chans) {
		kfree(in);
		return -ENOMEM;
	}
	in->ld.pdev = pdev;
	in->ld.nr_chans = n;
	dma = &in->ld.dma;
	dma->dev = &pdev->dev;
	INIT_LIST_HEAD(&dma->channels);
	lbdx_dma_set_prep(dma);
	lbdx_dma_set_chan_ops(dma);
	dma->device_release = lbdx_dma_release;
	if (private)
		dma_cap_set(DMA_PRIVATE, dma->cap_mask);
	for (i = 0; i < n; i++) {
		struct lbdx_dma_chan *lc = &in->ld.chans[i];

		lbdx_dma_chan_init(lc);
		lc->chan.device = dma;
		list_add_tail(&lc->chan.device_node, &dma->channels);
	}
	platform_set_drvdata(pdev, in);
	ret = dma_async_device_register(dma);
	if (ret) {
		lbdx_dma_release(dma);
		return ret;
	}
	dev_info(&pdev->dev, "%u %s channels\n", n,
		 private ? "private" : "public");
	return 0;
}

/*
 * Only at module unload (the driver has no bind/unbind attributes), so no
 * client holds a channel: each holds a reference on this module.
 */
static void lbdx_dma_remove(struct platform_device *pdev)
{
	struct lbdx_dma_inst *in = platform_get_drvdata(pdev);
	unsigned int i;

	for (i = 0; i < in->ld.nr_chans; i++)
		lbdx_dma_chan_down(&in->ld.chans[i]);
	dma_async_device_unregister(&in->ld.dma);
}

static struct platform_driver lbdx_dma_driver = {
	.driver = {
		.name = "lbdx-dma",
		.dev_groups = lbdx_dma_groups,
		/* An unbind would pull channels from under async_tx. */
		.suppress_bind_attrs = true,
	},
	.probe = lbdx_dma_probe,
	.remove = lbdx_dma_remove,
};

static struct platform_device *lbdx_dma_pdevs[2];

static void lbdx_dma_unregister_pdevs(void)
{
	int i;

	for (i = ARRAY_SIZE(lbdx_dma_pdevs) - 1; i >= 0; i--)
		if (!IS_ERR_OR_NULL(lbdx_dma_pdevs[i]))
			platform_device_unregister(lbdx_dma_pdevs[i]);
}

static int __init lbdx_dma_init(void)
{
	unsigned int i;
	int ret;

	if (test_channels > LBDX_DMA_MAX_SRCS)
		return -EINVAL;
	lbdx_dma_wq = alloc_workqueue("lbdx_dma", WQ_UNBOUND | WQ_MEM_RECLAIM |
				      WQ_HIGHPRI, 0);
	if (!lbdx_dma_wq)
		return -ENOMEM;
	ret = platform_driver_register(&lbdx_dma_driver);
	if (ret)
		goto err_wq;
	for (i = 0; i < ARRAY_SIZE(lbdx_dma_pdevs); i++) {
		struct platform_device_info info = {
			.name = "lbdx-dma",
			.id = i,
			.dma_mask = DMA_BIT_MASK(64),
		};

		if (i == 0 ? !public : !test_channels)
			continue;
		lbdx_dma_pdevs[i] = platform_device_register_full(&info);
		if (IS_ERR(lbdx_dma_pdevs[i])) {
			ret = PTR_ERR(lbdx_dma_pdevs[i]);
			goto err_pdevs;
		}
		if (!lbdx_dma_pdevs[i]->dev.driver) {
			/* Probe refused it (the message says why). */
			ret = -ENODEV;
			goto err_pdevs;
		}
	}
	return 0;

err_pdevs:
	lbdx_dma_unregister_pdevs();
	platform_driver_unregister(&lbdx_dma_driver);
err_wq:
	destroy_workqueue(lbdx_dma_wq);
	return ret;
}

static void __exit lbdx_dma_exit(void)
{
	lbdx_dma_unregister_pdevs();
	platform_driver_unregister(&lbdx_dma_driver);
	destroy_workqueue(lbdx_dma_wq);
}

module_init(lbdx_dma_init);
module_exit(lbdx_dma_exit);
MODULE_DESCRIPTION("dmaengine provider in front of the lbdx offload layer");
MODULE_LICENSE("GPL");

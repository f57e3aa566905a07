// SPDX-License-Identifier: GPL-2.0
/*
 * C glue of the lbdx async-offload layer: what the 7.3 kernel crate has no
 * Rust abstraction for.
 *
 * - EXPORT_SYMBOL_GPL of the C API (include/linux/lbdx_offload.h), whose
 *   functions are defined in Rust (offload/capi.rs);
 * - streaming DMA mapping of one linear buffer (dma_map_single());
 * - whether a buffer lies in the linear map, and whether the caller's
 *   context may run work such as xor_gen();
 * - the per-CPU count of the layer's call-outs under way (offload/nesting.rs);
 * - a workqueue of the module's own, which the 7.3 kernel crate cannot
 *   allocate, flush or destroy;
 * - kobject directories with show/store attributes under /sys/kernel;
 * - the layer lent to lbdx_dma.ko, the dmaengine provider
 *   (include/linux/lbdx_dma.h), for as long as this module is loaded.
 */

#include <linux/dma-mapping.h>
#include <linux/hardirq.h>
#include <linux/kobject.h>
#include <linux/lbdx_dma.h>
#include <linux/lbdx_offload.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/raid/xor.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/workqueue.h>

#include "offload_glue.h"

/*
 * checkpatch asks for each EXPORT_SYMBOL to follow its function: these
 * functions are defined in Rust (offload/capi.rs), so their exports can
 * only stand here, together.
 */
EXPORT_SYMBOL_GPL(lbdx_async_memcpy);
EXPORT_SYMBOL_GPL(lbdx_async_fill);
EXPORT_SYMBOL_GPL(lbdx_async_xor);
EXPORT_SYMBOL_GPL(lbdx_async_xor_val);
EXPORT_SYMBOL_GPL(lbdx_async_pq);
EXPORT_SYMBOL_GPL(lbdx_async_pq_val);
EXPORT_SYMBOL_GPL(__lbdx_tx_wait);
EXPORT_SYMBOL_GPL(__lbdx_tx_status);
EXPORT_SYMBOL_GPL(__lbdx_tx_put);
EXPORT_SYMBOL_GPL(lbdx_offload_set_policy);
EXPORT_SYMBOL_GPL(lbdx_backend_register);
EXPORT_SYMBOL_GPL(lbdx_backend_unregister);
EXPORT_SYMBOL_GPL(lbdx_backend_complete);
EXPORT_SYMBOL_GPL(lbdx_backend_event);

int lbdx_glue_dma_map(struct device *dev, const void *va, size_t len,
		      enum dma_data_direction dir, u64 *addr)
{
	dma_addr_t a = dma_map_single(dev, (void *)va, len, dir);

	if (dma_mapping_error(dev, a))
		return -ENOMEM;
	*addr = a;
	return 0;
}

void lbdx_glue_dma_unmap(struct device *dev, u64 addr, size_t len,
			 enum dma_data_direction dir)
{
	dma_unmap_single(dev, addr, len, dir);
}

/*
 * Whether the page of addr lies in the linear map: the generic test of
 * virt_addr_valid() (from PAGE_OFFSET up to high_memory, with a memory
 * map), written out because x86_64's __virt_addr_valid() is a call out of
 * line, which the fast path pays for twice a copy, and because it also
 * takes the kernel image, whose addresses are not for DMA
 * (Documentation/core-api/dma-api-howto.rst).
 */
static bool lbdx_linear_page(unsigned long addr)
{
	return addr >= PAGE_OFFSET && addr < (unsigned long)high_memory &&
	       pfn_valid(PHYS_PFN(__pa(addr)));
}

/*
 * Whether [va, va + len) lies in the linear map (hence is physically
 * contiguous and DMA-mappable with dma_map_single()).
 */
static bool lbdx_linear(unsigned long va, size_t len)
{
	unsigned long last = va + len - 1;

	/* The last byte is looked up only when it is on another page. */
	return len && last >= va && lbdx_linear_page(va) &&
	       (PAGE_ALIGN_DOWN(va) == PAGE_ALIGN_DOWN(last) ||
		lbdx_linear_page(last)) &&
	       !object_is_on_stack((const void *)va);
}

/* Whether the caller may run a request itself: task context, interrupts
 * and bottom halves enabled (as xor_gen() requires). */
bool lbdx_glue_may_run_work(void)
{
	return !in_interrupt() && !irqs_disabled();
}

/*
 * Call-outs of the layer (callbacks, backends' ->submit) under way on
 * each CPU. A call-out runs with preemption disabled, so the count is
 * that of the running stack and of interrupts that came on top of it.
 */
static DEFINE_PER_CPU(unsigned int, lbdx_callouts);

void lbdx_glue_callout_enter(void)
{
	preempt_disable();
	this_cpu_inc(lbdx_callouts);
}

void lbdx_glue_callout_exit(void)
{
	this_cpu_dec(lbdx_callouts);
	preempt_enable();
}

/*
 * Whether a call-out is under way on this CPU. Read with preemption
 * enabled, a count of 0 may be of a CPU the caller then leaves: it is not
 * in a call-out on any (a CPU with one under way runs nothing else).
 */
bool lbdx_glue_in_callout(void)
{
	return this_cpu_read(lbdx_callouts) != 0;
}

/*
 * The check of a request's buffers and of its submitter's context, in one
 * call (on the fast path each call is a good part of the cost): -EINVAL if
 * a buffer of len bytes is not in the linear map (lbdx_linear()); else 1 if
 * the submitter may run the request at once in its own thread, i.e.
 * lbdx_glue_may_run_work() and no call-out under way on this CPU (read as
 * in lbdx_glue_in_callout()), 0 if not. dst and q are 0 when absent.
 * Flattened: gcc otherwise leaves lbdx_linear() and pfn_valid() as calls
 * of their own, each as dear as the work under TCG.
 */
__flatten int lbdx_glue_admit(unsigned long dst, unsigned long q,
		    const unsigned long *srcs, unsigned int src_cnt, size_t len)
{
	unsigned int i;

	if ((dst && !lbdx_linear(dst, len)) || (q && !lbdx_linear(q, len)))
		return -EINVAL;
	for (i = 0; i < src_cnt; i++)
		if (!lbdx_linear(srcs[i], len))
			return -EINVAL;
	return lbdx_glue_may_run_work() && !this_cpu_read(lbdx_callouts);
}

/*
 * Requests and bytes the fast path ran, per CPU: counted without a locked
 * instruction or a shared cache line, summed when read.
 */
struct lbdx_inline_count {
	u64 requests;
	u64 bytes;
};

static DEFINE_PER_CPU(struct lbdx_inline_count, lbdx_inline_counts);

/* Each add is whole on its CPU; the two may land on different CPUs. */
void lbdx_glue_count_inline(u32 len)
{
	this_cpu_inc(lbdx_inline_counts.requests);
	this_cpu_add(lbdx_inline_counts.bytes, len);
}

/*
 * The sums over every CPU; a request counted meanwhile may be seen in one
 * of the two sums and not yet in the other.
 */
void lbdx_glue_inline_totals(u64 *requests, u64 *bytes)
{
	u64 r = 0, b = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		const struct lbdx_inline_count *c = per_cpu_ptr(&lbdx_inline_counts, cpu);

		r += READ_ONCE(c->requests);
		b += READ_ONCE(c->bytes);
	}
	*requests = r;
	*bytes = b;
}

/*
 * An unbound workqueue with a rescuer, for work that must make progress
 * under memory pressure.
 */
struct workqueue_struct *lbdx_glue_wq_alloc(const char *name)
{
	return alloc_workqueue("%s", WQ_UNBOUND | WQ_MEM_RECLAIM, 0, name);
}

/* Waits until every work item queued on @wq so far has returned. */
void lbdx_glue_wq_flush(struct workqueue_struct *wq)
{
	flush_workqueue(wq);
}

/* Waits until every work item on @wq has returned, then frees it. */
void lbdx_glue_wq_destroy(struct workqueue_struct *wq)
{
	destroy_workqueue(wq);
}

void lbdx_glue_xor_gen(void *dest, void **srcs, unsigned int src_cnt,
		       unsigned int bytes)
{
	xor_gen(dest, srcs, src_cnt, bytes);
}

/* A sysfs directory whose attributes call back into Rust. */
struct lbdx_kdir {
	struct kobject kobj;
	const void *ctx;
	lbdx_kdir_show_t show;
	lbdx_kdir_store_t store;
	struct attribute_group group;
	struct attribute **attrs;
	struct kobj_attribute *kattrs;
};

static void lbdx_kdir_release(struct kobject *kobj)
{
	struct lbdx_kdir *d = container_of(kobj, struct lbdx_kdir, kobj);

	kfree(d->attrs);
	kfree(d->kattrs);
	kfree(d);
}

static const struct kobj_type lbdx_kdir_ktype = {
	.release = lbdx_kdir_release,
	.sysfs_ops = &kobj_sysfs_ops,
};

static ssize_t lbdx_kdir_show(struct kobject *kobj, struct kobj_attribute *a,
			      char *buf)
{
	struct lbdx_kdir *d = container_of(kobj, struct lbdx_kdir, kobj);

	return d->show(d->ctx, a - d->kattrs, buf);
}

static ssize_t lbdx_kdir_store(struct kobject *kobj, struct kobj_attribute *a,
			       const char *buf, size_t len)
{
	struct lbdx_kdir *d = container_of(kobj, struct lbdx_kdir, kobj);

	return d->store(d->ctx, a - d->kattrs, buf, len);
}

/*
 * Creates directory @name under @parent (NULL: /sys/kernel) with @n
 * attributes called @names (mode 0644 where @writable, else 0444), shown
 * through @show(@ctx, index) and stored through @store(@ctx, index, ...).
 * The names must outlive the directory.
 */
int lbdx_kdir_create(struct lbdx_kdir *parent, const char *name,
		     const char *const *names, const bool *writable,
		     unsigned int n, const void *ctx, lbdx_kdir_show_t show,
		     lbdx_kdir_store_t store, struct lbdx_kdir **out)
{
	struct lbdx_kdir *d;
	unsigned int i;
	int ret;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	d->attrs = kcalloc(n + 1, sizeof(*d->attrs), GFP_KERNEL);
	d->kattrs = kcalloc(n, sizeof(*d->kattrs), GFP_KERNEL);
	if (!d->attrs || !d->kattrs) {
		kfree(d->attrs);
		kfree(d->kattrs);
		kfree(d);
		return -ENOMEM;
	}
	d->ctx = ctx;
	d->show = show;
	d->store = store;
	for (i = 0; i < n; i++) {
		struct kobj_attribute *ka = &d->kattrs[i];

		sysfs_attr_init(&ka->attr);
		ka->attr.name = names[i];
		ka->attr.mode = writable[i] ? 0644 : 0444;
		ka->show = lbdx_kdir_show;
		ka->store = writable[i] ? lbdx_kdir_store : NULL;
		d->attrs[i] = &ka->attr;
	}
	d->group.attrs = d->attrs;

	ret = kobject_init_and_add(&d->kobj, &lbdx_kdir_ktype,
				   parent ? &parent->kobj : kernel_kobj, "%s",
				   name);
	if (ret)
		goto put;
	ret = sysfs_create_group(&d->kobj, &d->group);
	if (ret)
		goto put;
	*out = d;
	return 0;
put:
	kobject_put(&d->kobj);
	return ret;
}

/* Removes @dir; no show or store runs once this returns. */
void lbdx_kdir_destroy(struct lbdx_kdir *dir)
{
	sysfs_remove_group(&dir->kobj, &dir->group);
	kobject_del(&dir->kobj);
	kobject_put(&dir->kobj);
}

static const struct lbdx_dma_layer lbdx_glue_layer = {
	.memcpy = lbdx_async_memcpy,
	.fill = lbdx_async_fill,
	.xor = lbdx_async_xor,
	.xor_val = lbdx_async_xor_val,
	.pq = lbdx_async_pq,
	.pq_val = lbdx_async_pq_val,
	.tx_put = lbdx_tx_put,
};

/* Lends the layer to lbdx_dma.ko: 0 or a negative errno. */
int lbdx_glue_dma_attach(void)
{
	return lbdx_dma_attach(&lbdx_glue_layer);
}

/* Takes it back, once no request made through it is under way. */
void lbdx_glue_dma_detach(void)
{
	lbdx_dma_detach(&lbdx_glue_layer);
}

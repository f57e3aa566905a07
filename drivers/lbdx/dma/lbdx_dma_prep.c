// SPDX-License-Identifier: GPL-2.0
/*
 * lbdx_dma: the prep functions. A client's bus addresses are for the
 * provider's own device, which lbdx_dma_main.c checked to be dma-direct
 * with bus address == physical address; each is turned back into the
 * kernel virtual address of the linear map that the layer takes (and maps
 * again for whichever engine it picks). An address outside the linear map
 * (not RAM, highmem, or a failed mapping: async_xor and async_pq never
 * call dma_mapping_error() on theirs) cannot be served and is refused:
 * prep returns NULL, with a rate-limited message. Nothing else makes prep return NULL but a
 * removal under way or no memory at all for a descriptor.
 */

#include <linux/dma-mapping.h>
#include <linux/mm.h>

#include "lbdx_dma.h"

/*
 * The linear-map address of [@a, @a + @len), or NULL. A client's failed
 * mapping (async_tx never checks its own) is refused here too.
 */
static void *lbdx_dma_va(struct dma_chan *c, dma_addr_t a, size_t len)
{
	phys_addr_t p = a;

	if (dma_mapping_error(c->device->dev, a) || !len || p + len - 1 < p ||
	    !pfn_valid(PHYS_PFN(p)) || !pfn_valid(PHYS_PFN(p + len - 1)) ||
	    PageHighMem(pfn_to_page(PHYS_PFN(p))) ||
	    PageHighMem(pfn_to_page(PHYS_PFN(p + len - 1)))) {
		dev_warn_ratelimited(c->device->dev,
				     "%s: bus address %pad (+%zu) is not in the linear map: refused\n",
				     dma_chan_name(c), &a, len);
		return NULL;
	}
	return phys_to_virt(p);
}

/* Fills @d->srcs from @src; false if one cannot be served. */
static bool lbdx_dma_set_srcs(struct lbdx_dma_desc *d, dma_addr_t *src,
			      unsigned int cnt, size_t len)
{
	unsigned int i;

	for (i = 0; i < cnt; i++) {
		d->srcs[i] = lbdx_dma_va(&d->chan->chan, src[i], len);
		if (!d->srcs[i])
			return false;
	}
	d->src_cnt = cnt;
	d->len = len;
	return true;
}

/* Returns an unused descriptor to its channel. */
static struct dma_async_tx_descriptor *lbdx_dma_refuse(struct lbdx_dma_desc *d)
{
	struct lbdx_dma_chan *lc = d->chan;
	unsigned long irqf;

	spin_lock_irqsave(&lc->lock, irqf);
	list_add(&d->node, &lc->free);
	spin_unlock_irqrestore(&lc->lock, irqf);
	return NULL;
}

static struct dma_async_tx_descriptor *
lbdx_dma_prep_memcpy(struct dma_chan *c, dma_addr_t dst, dma_addr_t src,
		     size_t len, unsigned long flags)
{
	struct lbdx_dma_desc *d = lbdx_dma_desc_get(c, LBDX_DMA_MEMCPY, flags);

	if (!d)
		return NULL;
	d->dst = lbdx_dma_va(c, dst, len);
	if (!d->dst || !lbdx_dma_set_srcs(d, &src, 1, len))
		return lbdx_dma_refuse(d);
	return &d->txd;
}

static struct dma_async_tx_descriptor *
lbdx_dma_prep_memset(struct dma_chan *c, dma_addr_t dst, int value,
		     size_t len, unsigned long flags)
{
	struct lbdx_dma_desc *d = lbdx_dma_desc_get(c, LBDX_DMA_MEMSET, flags);

	if (!d)
		return NULL;
	d->dst = lbdx_dma_va(c, dst, len);
	if (!d->dst)
		return lbdx_dma_refuse(d);
	d->len = len;
	d->pattern = (u8)value * 0x0101010101010101ULL;
	return &d->txd;
}

/*
 * xor is commutative: the destination, when it is also a source, is put
 * first (the only place the layer takes it).
 */
static struct dma_async_tx_descriptor *
lbdx_dma_prep_xor(struct dma_chan *c, dma_addr_t dst, dma_addr_t *src,
		  unsigned int cnt, size_t len, unsigned long flags)
{
	struct lbdx_dma_desc *d;
	unsigned int i;

	if (!cnt || cnt > LBDX_DMA_MAX_SRCS)
		return NULL;
	d = lbdx_dma_desc_get(c, LBDX_DMA_XOR, flags);
	if (!d)
		return NULL;
	d->dst = lbdx_dma_va(c, dst, len);
	if (!d->dst || !lbdx_dma_set_srcs(d, src, cnt, len))
		return lbdx_dma_refuse(d);
	for (i = 1; i < cnt; i++)
		if (d->srcs[i] == d->dst)
			swap(d->srcs[0], d->srcs[i]);
	return &d->txd;
}

static struct dma_async_tx_descriptor *
lbdx_dma_prep_xor_val(struct dma_chan *c, dma_addr_t *src, unsigned int cnt,
		      size_t len, enum sum_check_flags *result,
		      unsigned long flags)
{
	struct lbdx_dma_desc *d;

	if (!cnt || cnt > LBDX_DMA_MAX_SRCS || !result)
		return NULL;
	d = lbdx_dma_desc_get(c, LBDX_DMA_XOR_VAL, flags);
	if (!d)
		return NULL;
	if (!lbdx_dma_set_srcs(d, src, cnt, len))
		return lbdx_dma_refuse(d);
	d->sum = result;
	return &d->txd;
}

/* P and Q of a PQ or PQ_VAL descriptor; a disabled one is not looked at. */
static bool lbdx_dma_set_pq(struct lbdx_dma_desc *d, dma_addr_t *pq,
			    size_t len, unsigned long flags)
{
	struct dma_chan *c = &d->chan->chan;

	if (!(flags & DMA_PREP_PQ_DISABLE_P)) {
		d->dst = lbdx_dma_va(c, pq[0], len);
		if (!d->dst)
			return false;
	}
	if (!(flags & DMA_PREP_PQ_DISABLE_Q)) {
		d->q = lbdx_dma_va(c, pq[1], len);
		if (!d->q)
			return false;
	}
	return true;
}

static struct dma_async_tx_descriptor *
lbdx_dma_prep_pq(struct dma_chan *c, dma_addr_t *dst, dma_addr_t *src,
		 unsigned int cnt, const unsigned char *scf, size_t len,
		 unsigned long flags)
{
	struct lbdx_dma_desc *d;

	if (!cnt || cnt > LBDX_DMA_MAX_SRCS)
		return NULL;
	d = lbdx_dma_desc_get(c, LBDX_DMA_PQ, flags);
	if (!d)
		return NULL;
	if (!lbdx_dma_set_pq(d, dst, len, flags) ||
	    !lbdx_dma_set_srcs(d, src, cnt, len))
		return lbdx_dma_refuse(d);
	memcpy(d->coefs, scf, cnt);
	return &d->txd;
}

static struct dma_async_tx_descriptor *
lbdx_dma_prep_pq_val(struct dma_chan *c, dma_addr_t *pq, dma_addr_t *src,
		     unsigned int cnt, const unsigned char *scf, size_t len,
		     enum sum_check_flags *pqres, unsigned long flags)
{
	struct lbdx_dma_desc *d;

	if (!cnt || cnt > LBDX_DMA_MAX_SRCS || !pqres)
		return NULL;
	d = lbdx_dma_desc_get(c, LBDX_DMA_PQ_VAL, flags);
	if (!d)
		return NULL;
	if (!lbdx_dma_set_pq(d, pq, len, flags) ||
	    !lbdx_dma_set_srcs(d, src, cnt, len))
		return lbdx_dma_refuse(d);
	memcpy(d->coefs, scf, cnt);
	d->sum = pqres;
	return &d->txd;
}

static struct dma_async_tx_descriptor *
lbdx_dma_prep_interrupt(struct dma_chan *c, unsigned long flags)
{
	struct lbdx_dma_desc *d = lbdx_dma_desc_get(c, LBDX_DMA_INTERRUPT,
						    flags);

	return d ? &d->txd : NULL;
}

void lbdx_dma_set_prep(struct dma_device *dma)
{
	dma_cap_set(DMA_MEMCPY, dma->cap_mask);
	dma_cap_set(DMA_MEMSET, dma->cap_mask);
	dma_cap_set(DMA_XOR, dma->cap_mask);
	dma_cap_set(DMA_XOR_VAL, dma->cap_mask);
	dma_cap_set(DMA_PQ, dma->cap_mask);
	dma_cap_set(DMA_PQ_VAL, dma->cap_mask);
	dma_cap_set(DMA_INTERRUPT, dma->cap_mask);
	dma->max_xor = LBDX_DMA_MAX_SRCS;
	/* P and Q accumulate under DMA_PREP_CONTINUE: no implied sources. */
	dma_set_maxpq(dma, LBDX_DMA_MAX_SRCS, 1);
	dma->copy_align = DMAENGINE_ALIGN_1_BYTE;
	dma->xor_align = DMAENGINE_ALIGN_1_BYTE;
	dma->pq_align = DMAENGINE_ALIGN_1_BYTE;
	dma->fill_align = DMAENGINE_ALIGN_1_BYTE;
	dma->device_prep_dma_memcpy = lbdx_dma_prep_memcpy;
	dma->device_prep_dma_memset = lbdx_dma_prep_memset;
	dma->device_prep_dma_xor = lbdx_dma_prep_xor;
	dma->device_prep_dma_xor_val = lbdx_dma_prep_xor_val;
	dma->device_prep_dma_pq = lbdx_dma_prep_pq;
	dma->device_prep_dma_pq_val = lbdx_dma_prep_pq_val;
	dma->device_prep_dma_interrupt = lbdx_dma_prep_interrupt;
}

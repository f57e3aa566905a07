/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lbdx_dma: the dmaengine provider in front of the lbdx async-offload
 * layer (drivers/lbdx/dma/). This header is the one link between the two
 * modules: lbdx.ko attaches its layer to lbdx_dma.ko, never the reverse.
 *
 * async_tx holds a reference on the owner of every public channel for as
 * long as it is loaded, so lbdx_dma.ko cannot unload while async_tx is
 * loaded. It therefore depends on nothing of lbdx.ko: the layer lends it
 * these entry points while lbdx.ko is loaded and takes them back, waiting
 * for every request made through them, before it goes away. Meanwhile
 * lbdx_dma runs its descriptors on the CPU itself.
 *
 * Guide: Documentation/driver-api/lbdx-offload.rst, "The dmaengine
 * provider".
 */
#ifndef _LINUX_LBDX_DMA_H
#define _LINUX_LBDX_DMA_H

#include <linux/lbdx_offload.h>

/**
 * struct lbdx_dma_layer - the layer's consumer entry points, lent.
 * @memcpy: lbdx_async_memcpy().
 * @fill: lbdx_async_fill().
 * @xor: lbdx_async_xor().
 * @xor_val: lbdx_async_xor_val().
 * @pq: lbdx_async_pq().
 * @pq_val: lbdx_async_pq_val().
 * @tx_put: lbdx_tx_put().
 */
struct lbdx_dma_layer {
	struct lbdx_tx *(*memcpy)(void *dst, const void *src, size_t len,
				  const struct lbdx_submit *submit);
	struct lbdx_tx *(*fill)(void *dst, u64 pattern, size_t len,
				const struct lbdx_submit *submit);
	struct lbdx_tx *(*xor)(void *dst, void *const *srcs,
			       unsigned int src_cnt, size_t len,
			       const struct lbdx_submit *submit);
	struct lbdx_tx *(*xor_val)(void *const *srcs, unsigned int src_cnt,
				   size_t len,
				   const struct lbdx_submit *submit);
	struct lbdx_tx *(*pq)(void *p, void *q, void *const *srcs,
			      const u8 *coefs, unsigned int src_cnt,
			      size_t len, unsigned int pq_flags,
			      const struct lbdx_submit *submit);
	struct lbdx_tx *(*pq_val)(const void *p, const void *q,
				  void *const *srcs, const u8 *coefs,
				  unsigned int src_cnt, size_t len,
				  const struct lbdx_submit *submit);
	void (*tx_put)(struct lbdx_tx *tx);
};

/*
 * Lends @layer (process context). Returns 0, or -EBUSY when a layer is
 * attached already, -EINVAL when an entry point is missing.
 */
int lbdx_dma_attach(const struct lbdx_dma_layer *layer);
/*
 * Takes @layer back (process context): new descriptors run on the CPU;
 * returns once no call into @layer is under way and every request made
 * through it has completed (its callback returned). Nothing if @layer is
 * not the one attached.
 */
void lbdx_dma_detach(const struct lbdx_dma_layer *layer);

/*
 * RAID-6 arithmetic on the CPU, in lbdx_dma.ko because that module cannot
 * depend on lbdx.ko; the layer's CPU backend runs P+Q requests with them.
 *
 * lbdx_dma_pq_gen(): P = srcs[0] ^ ... ^ srcs[n - 1] and Q = the sum of
 * coefs[i] * srcs[i] over GF(2^8) (raid6_gfmul), into @p and @q (either
 * NULL: not computed), added to what they hold when @acc. No output may
 * overlap a source or the other output. Task context, or wherever
 * may_use_simd() holds (raid6_gen_syndrome() may be used).
 *
 * lbdx_dma_pq_check(): LBDX_PQ_VAL_P_BAD if @p (not NULL) differs from the
 * sources' P, LBDX_PQ_VAL_Q_BAD if @q (not NULL) differs from their Q.
 */
void lbdx_dma_pq_gen(u8 *p, u8 *q, void **srcs, const u8 *coefs,
		     unsigned int n, size_t len, bool acc);
u32 lbdx_dma_pq_check(const u8 *p, const u8 *q, void **srcs,
		      const u8 *coefs, unsigned int n, size_t len);

#endif /* _LINUX_LBDX_DMA_H */

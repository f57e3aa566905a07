// SPDX-License-Identifier: GPL-2.0
/*
 * lbdx_dma: running a descriptor on the CPU, in the channel worker (task
 * context), when no layer is attached, when the layer refused the request,
 * or when every backend failed it: a completion is always correct data.
 *
 * xor uses the kernel's xor_gen() and PQ with the standard coefficients
 * raid6_gen_syndrome() when buffers and length suit them; otherwise a
 * plain loop (the Galois field product by raid6_gfmul[]). The two RAID-6
 * routines are exported: the layer's CPU backend runs its P+Q requests
 * with them (include/linux/lbdx_dma.h).
 */

#include <linux/raid/pq.h>
#include <linux/raid/pq_tables.h>
#include <linux/raid/xor.h>
#include <linux/string.h>

#include "lbdx_dma.h"

/* What xor_gen() and raid6_gen_syndrome() ask of buffers and lengths. */
static bool lbdx_dma_simd_ok(void *const *bufs, unsigned int n, size_t len)
{
	unsigned int i;

	if (!len || len % 512 || len > UINT_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!IS_ALIGNED((unsigned long)bufs[i], 64))
			return false;
	return true;
}

/* dst = srcs[0] ^ ... ^ srcs[n - 1]; dst may be any one of the sources. */
static void lbdx_dma_cpu_xor(void *dst, void **srcs, unsigned int n,
			     size_t len)
{
	void *rest[LBDX_DMA_MAX_SRCS];
	unsigned int i, k = 0;
	bool dst_in = false;
	size_t b;

	if (lbdx_dma_simd_ok(srcs, n, len) &&
	    IS_ALIGNED((unsigned long)dst, 64)) {
		for (i = 0; i < n; i++) {
			if (srcs[i] == dst && !dst_in)
				dst_in = true;
			else
				rest[k++] = srcs[i];
		}
		if (!dst_in)
			memcpy(dst, rest[--k], len);
		if (k)
			xor_gen(dst, rest, k, len);
		return;
	}
	for (b = 0; b < len; b++) {
		u8 x = 0;

		for (i = 0; i < n; i++)
			x ^= ((u8 *)srcs[i])[b];
		((u8 *)dst)[b] = x;
	}
}

static bool lbdx_dma_cpu_xor_zero(void **srcs, unsigned int n, size_t len)
{
	unsigned int i;
	size_t b;

	for (b = 0; b < len; b++) {
		u8 x = 0;

		for (i = 0; i < n; i++)
			x ^= ((u8 *)srcs[i])[b];
		if (x)
			return false;
	}
	return true;
}

/*
 * Whether coefs[] are g^0, g^1, ... (async_gen_syndrome()'s, no block
 * skipped): then raid6_gen_syndrome() computes the same P and Q.
 */
static bool lbdx_dma_std_coefs(const u8 *coefs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (coefs[i] != raid6_gfexp[i])
			return false;
	return n + 2 >= RAID6_MIN_DISKS;
}

/**
 * lbdx_dma_pq_gen() - RAID-6 P and Q on the CPU.
 * @p: P, or NULL: not computed.
 * @q: Q, or NULL: not computed.
 * @srcs: @n sources of @len bytes; neither @p nor @q overlaps one.
 * @coefs: @n coefficients.
 * @n: sources, 1 to LBDX_MAX_XOR_SRCS.
 * @len: bytes.
 * @acc: add to the P and Q already there instead of overwriting them.
 *
 * P = xor of the sources, Q = sum of coefs[i] * srcs[i] over GF(2^8).
 * Task context, or wherever may_use_simd() holds.
 */
void lbdx_dma_pq_gen(u8 *p, u8 *q, void **srcs, const u8 *coefs,
		     unsigned int n, size_t len, bool acc)
{
	void *ptrs[LBDX_DMA_MAX_SRCS + 2];
	unsigned int i;
	size_t b;

	if (p && q && !acc && lbdx_dma_std_coefs(coefs, n) &&
	    lbdx_dma_simd_ok(srcs, n, len) &&
	    IS_ALIGNED((unsigned long)p, 64) &&
	    IS_ALIGNED((unsigned long)q, 64)) {
		memcpy(ptrs, srcs, n * sizeof(*ptrs));
		ptrs[n] = p;
		ptrs[n + 1] = q;
		raid6_gen_syndrome(n + 2, len, ptrs);
		return;
	}
	for (b = 0; b < len; b++) {
		u8 pb = acc && p ? p[b] : 0, qb = acc && q ? q[b] : 0;

		for (i = 0; i < n; i++) {
			u8 s = ((u8 *)srcs[i])[b];

			pb ^= s;
			qb ^= raid6_gfmul[coefs[i]][s];
		}
		if (p)
			p[b] = pb;
		if (q)
			q[b] = qb;
	}
}
EXPORT_SYMBOL_GPL(lbdx_dma_pq_gen);

/**
 * lbdx_dma_pq_check() - RAID-6 P and Q checked on the CPU.
 * @p: P to check, or NULL.
 * @q: Q to check, or NULL.
 * @srcs: @n sources of @len bytes.
 * @coefs: @n coefficients.
 * @n: sources.
 * @len: bytes.
 *
 * Return: SUM_CHECK_P_RESULT if @p differs from the sources' P,
 * SUM_CHECK_Q_RESULT if @q differs from their Q (the values of
 * LBDX_PQ_VAL_P_BAD and LBDX_PQ_VAL_Q_BAD); 0 if both match.
 */
u32 lbdx_dma_pq_check(const u8 *p, const u8 *q, void **srcs,
		      const u8 *coefs, unsigned int n, size_t len)
{
	u32 r = 0;
	unsigned int i;
	size_t b;

	for (b = 0; b < len; b++) {
		u8 pb = 0, qb = 0;

		for (i = 0; i < n; i++) {
			u8 s = ((u8 *)srcs[i])[b];

			pb ^= s;
			qb ^= raid6_gfmul[coefs[i]][s];
		}
		if (p && pb != p[b])
			r |= SUM_CHECK_P_RESULT;
		if (q && qb != q[b])
			r |= SUM_CHECK_Q_RESULT;
	}
	return r;
}
EXPORT_SYMBOL_GPL(lbdx_dma_pq_check);

/* Runs @d on this CPU: task context, nothing held. */
void lbdx_dma_cpu_run(struct lbdx_dma_desc *d)
{
	unsigned long f = d->txd.flags;
	u8 *p = f & DMA_PREP_PQ_DISABLE_P ? NULL : d->dst;
	u8 *q = f & DMA_PREP_PQ_DISABLE_Q ? NULL : d->q;

	switch (d->op) {
	case LBDX_DMA_MEMCPY:
		memcpy(d->dst, d->srcs[0], d->len);
		break;
	case LBDX_DMA_MEMSET:
		memset(d->dst, (u8)d->pattern, d->len);
		break;
	case LBDX_DMA_XOR:
		lbdx_dma_cpu_xor(d->dst, d->srcs, d->src_cnt, d->len);
		break;
	case LBDX_DMA_XOR_VAL:
		d->sum_val = lbdx_dma_cpu_xor_zero(d->srcs, d->src_cnt, d->len) ?
			     0 : SUM_CHECK_P_RESULT;
		break;
	case LBDX_DMA_PQ:
		lbdx_dma_pq_gen(p, q, d->srcs, d->coefs, d->src_cnt, d->len,
				f & DMA_PREP_CONTINUE);
		break;
	case LBDX_DMA_PQ_VAL:
		d->sum_val = lbdx_dma_pq_check(p, q, d->srcs, d->coefs,
					       d->src_cnt, d->len);
		break;
	case LBDX_DMA_INTERRUPT:
		break;
	}
}

#if IS_ENABLED(CONFIG_KUNIT)
#include "lbdx_dma_cpu_kunit.c"
#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite lbdx_dma_cpu: lbdx_dma's CPU path against references
 * computed here byte by byte (a Galois field product by shifts, not
 * raid6_gfmul[]), on both of its ways: xor_gen() / raid6_gen_syndrome()
 * for aligned buffers and lengths, the plain loop otherwise. dmatest only
 * checks P+Q with coefficient 1, md only with async_gen_syndrome()'s
 * coefficients on aligned pages: RAID-6 recovery's coefficients, odd
 * lengths and continuation are checked here. Included by lbdx_dma_cpu.c.
 */

#include <kunit/test.h>
#include <linux/random.h>

#define T_LEN	4096
#define T_SRCS	6

/* a * b over GF(2^8) with the RAID-6 polynomial 0x11d. */
static u8 t_gfmul(u8 a, u8 b)
{
	u8 r = 0;

	while (b) {
		if (b & 1)
			r ^= a;
		a = (a << 1) ^ (a & 0x80 ? 0x1d : 0);
		b >>= 1;
	}
	return r;
}

static void t_ref_pq(u8 *p, u8 *q, void **srcs, const u8 *coefs,
		     unsigned int n, size_t len)
{
	unsigned int i;
	size_t b;

	for (b = 0; b < len; b++) {
		p[b] = 0;
		q[b] = 0;
		for (i = 0; i < n; i++) {
			p[b] ^= ((u8 *)srcs[i])[b];
			q[b] ^= t_gfmul(coefs[i], ((u8 *)srcs[i])[b]);
		}
	}
}

/* @n random source pages, and P, Q and reference pages. */
static void **t_pages(struct kunit *test, unsigned int n)
{
	void **v = kunit_kcalloc(test, n, sizeof(*v), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, v);
	for (i = 0; i < n; i++) {
		v[i] = kunit_kmalloc(test, T_LEN, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, v[i]);
		get_random_bytes(v[i], T_LEN);
	}
	return v;
}

/* async_gen_syndrome()'s coefficients: g^0, g^1, ... */
static void t_std_coefs(u8 *coefs)
{
	unsigned int i;

	for (i = 0; i < T_SRCS; i++)
		coefs[i] = raid6_gfexp[i];
}

static void pq_matches_the_reference_both_ways(struct kunit *test)
{
	void **s = t_pages(test, T_SRCS + 4);
	u8 *p = s[T_SRCS], *q = s[T_SRCS + 1];
	u8 *rp = s[T_SRCS + 2], *rq = s[T_SRCS + 3];
	u8 coefs[T_SRCS];
	unsigned int i;

	t_std_coefs(coefs);
	/* Aligned, standard coefficients: raid6_gen_syndrome(). */
	t_ref_pq(rp, rq, s, coefs, T_SRCS, T_LEN);
	lbdx_dma_pq_gen(p, q, s, coefs, T_SRCS, T_LEN, false);
	KUNIT_EXPECT_MEMEQ(test, p, rp, T_LEN);
	KUNIT_EXPECT_MEMEQ(test, q, rq, T_LEN);
	/* An odd length: the loop. */
	t_ref_pq(rp, rq, s, coefs, T_SRCS, 1001);
	lbdx_dma_pq_gen(p, q, s, coefs, T_SRCS, 1001, false);
	KUNIT_EXPECT_MEMEQ(test, p, rp, 1001);
	KUNIT_EXPECT_MEMEQ(test, q, rq, 1001);
	/* Any coefficients (RAID-6 recovery's). */
	for (i = 0; i < T_SRCS; i++)
		coefs[i] = get_random_u8();
	t_ref_pq(rp, rq, s, coefs, T_SRCS, T_LEN);
	lbdx_dma_pq_gen(p, q, s, coefs, T_SRCS, T_LEN, false);
	KUNIT_EXPECT_MEMEQ(test, p, rp, T_LEN);
	KUNIT_EXPECT_MEMEQ(test, q, rq, T_LEN);
}

static void pq_continuation_accumulates_and_disabled_outputs_stay(struct kunit *test)
{
	void **s = t_pages(test, T_SRCS + 4);
	u8 *p = s[T_SRCS], *q = s[T_SRCS + 1];
	u8 *rp = s[T_SRCS + 2], *rq = s[T_SRCS + 3];
	u8 coefs[T_SRCS];
	unsigned int i;

	t_std_coefs(coefs);
	t_ref_pq(rp, rq, s, coefs, T_SRCS, T_LEN);
	/* Two descriptors, the second with DMA_PREP_CONTINUE. */
	lbdx_dma_pq_gen(p, q, s, coefs, 2, T_LEN, false);
	lbdx_dma_pq_gen(p, q, s + 2, coefs + 2, T_SRCS - 2, T_LEN, true);
	KUNIT_EXPECT_MEMEQ(test, p, rp, T_LEN);
	KUNIT_EXPECT_MEMEQ(test, q, rq, T_LEN);
	/* Q only (P disabled, as async_mult() asks): P untouched. */
	memcpy(rp, p, T_LEN);
	lbdx_dma_pq_gen(NULL, q, s, coefs, 1, T_LEN, false);
	KUNIT_EXPECT_MEMEQ(test, p, rp, T_LEN);
	for (i = 0; i < T_LEN; i++)
		KUNIT_ASSERT_EQ(test, q[i], t_gfmul(coefs[0], ((u8 *)s[0])[i]));
}

static void pq_val_names_the_wrong_syndrome(struct kunit *test)
{
	void **s = t_pages(test, T_SRCS + 2);
	u8 *p = s[T_SRCS], *q = s[T_SRCS + 1];
	u8 coefs[T_SRCS];
	unsigned int i;

	for (i = 0; i < T_SRCS; i++)
		coefs[i] = get_random_u8();
	t_ref_pq(p, q, s, coefs, T_SRCS, T_LEN);
	KUNIT_EXPECT_EQ(test, lbdx_dma_pq_check(p, q, s, coefs, T_SRCS, T_LEN), 0);
	p[77] ^= 4;
	KUNIT_EXPECT_EQ(test, lbdx_dma_pq_check(p, q, s, coefs, T_SRCS, T_LEN),
			SUM_CHECK_P_RESULT);
	KUNIT_EXPECT_EQ(test, lbdx_dma_pq_check(NULL, q, s, coefs, T_SRCS, T_LEN), 0);
	p[77] ^= 4;
	q[T_LEN - 1] ^= 1;
	KUNIT_EXPECT_EQ(test, lbdx_dma_pq_check(p, q, s, coefs, T_SRCS, T_LEN),
			SUM_CHECK_Q_RESULT);
}

static void xor_takes_its_destination_among_the_sources(struct kunit *test)
{
	void **s = t_pages(test, T_SRCS + 1);
	u8 *ref = s[T_SRCS];
	size_t lens[] = { T_LEN, 999 };
	unsigned int i, k;
	size_t b;

	for (k = 0; k < ARRAY_SIZE(lens); k++) {
		for (b = 0; b < lens[k]; b++) {
			ref[b] = 0;
			for (i = 0; i < T_SRCS; i++)
				ref[b] ^= ((u8 *)s[i])[b];
		}
		/* The destination is the fourth source. */
		lbdx_dma_cpu_xor(s[3], s, T_SRCS, lens[k]);
		KUNIT_EXPECT_MEMEQ(test, s[3], ref, lens[k]);
		/* s[2] = s[0] ^ s[1]: the three xor to zero, until one changes. */
		lbdx_dma_cpu_xor(s[2], s, 2, lens[k]);
		KUNIT_EXPECT_TRUE(test, lbdx_dma_cpu_xor_zero(s, 3, lens[k]));
		((u8 *)s[1])[lens[k] - 1] ^= 0x40;
		KUNIT_EXPECT_FALSE(test, lbdx_dma_cpu_xor_zero(s, 3, lens[k]));
	}
}

static struct kunit_case lbdx_dma_cpu_cases[] = {
	KUNIT_CASE(pq_matches_the_reference_both_ways),
	KUNIT_CASE(pq_continuation_accumulates_and_disabled_outputs_stay),
	KUNIT_CASE(pq_val_names_the_wrong_syndrome),
	KUNIT_CASE(xor_takes_its_destination_among_the_sources),
	{}
};

static struct kunit_suite lbdx_dma_cpu_suite = {
	.name = "lbdx_dma_cpu",
	.test_cases = lbdx_dma_cpu_cases,
};
kunit_test_suite(lbdx_dma_cpu_suite);

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interface of offload_glue.c, the C glue of the async-offload layer; its
 * Rust mirror is the `extern "C"` block in offload/glue.rs.
 */
#ifndef LBDX_OFFLOAD_GLUE_H
#define LBDX_OFFLOAD_GLUE_H

#include <linux/dma-direction.h>
#include <linux/types.h>

struct device;
struct lbdx_kdir;
struct workqueue_struct;

int lbdx_glue_dma_map(struct device *dev, const void *va, size_t len,
		      enum dma_data_direction dir, u64 *addr);
void lbdx_glue_dma_unmap(struct device *dev, u64 addr, size_t len,
			 enum dma_data_direction dir);
bool lbdx_glue_may_run_work(void);
void lbdx_glue_callout_enter(void);
void lbdx_glue_callout_exit(void);
bool lbdx_glue_in_callout(void);
int lbdx_glue_admit(unsigned long dst, unsigned long q,
		    const unsigned long *srcs, unsigned int src_cnt, size_t len);
void lbdx_glue_count_inline(u32 len);
void lbdx_glue_inline_totals(u64 *requests, u64 *bytes);
struct workqueue_struct *lbdx_glue_wq_alloc(const char *name);
void lbdx_glue_wq_flush(struct workqueue_struct *wq);
void lbdx_glue_wq_destroy(struct workqueue_struct *wq);
void lbdx_glue_xor_gen(void *dest, void **srcs, unsigned int src_cnt,
		       unsigned int bytes);

typedef ssize_t (*lbdx_kdir_show_t)(const void *ctx, unsigned int id,
				    char *buf);
typedef ssize_t (*lbdx_kdir_store_t)(const void *ctx, unsigned int id,
				     const char *buf, size_t len);

int lbdx_kdir_create(struct lbdx_kdir *parent, const char *name,
		     const char *const *names, const bool *writable,
		     unsigned int n, const void *ctx, lbdx_kdir_show_t show,
		     lbdx_kdir_store_t store, struct lbdx_kdir **out);
void lbdx_kdir_destroy(struct lbdx_kdir *dir);

int lbdx_glue_dma_attach(void);
void lbdx_glue_dma_detach(void);

#endif /* LBDX_OFFLOAD_GLUE_H */

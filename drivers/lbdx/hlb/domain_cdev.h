/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interface of domain_cdev.c; its Rust mirror is the `extern "C"` block in
 * hlb/domain_cdev.rs.
 */
#ifndef LBDX_HLB_DOMAIN_CDEV_H
#define LBDX_HLB_DOMAIN_CDEV_H

#include <linux/types.h>

struct device;
struct lbdx_hlb_cdev;

/* What an mmap() maps (filled in by the Rust mmap callback). */
enum lbdx_hlb_map_kind {
	LBDX_HLB_MAP_IO = 1,	/* device memory at @phys */
	LBDX_HLB_MAP_DMA = 2,	/* coherent memory @cpu/@dma of @dma_dev, mapped from @cpu */
	LBDX_HLB_MAP_PAGE = 3,	/* @pages pages from @page */
};

struct lbdx_hlb_map {
	u32 kind;
	u32 writable;
	u64 phys;
	void *cpu;
	u64 dma;
	struct device *dma_dev;
	struct page *page;
	u64 pages;
};

/*
 * Callbacks; @priv is what @open stored. All but @open run only on a file
 * @open succeeded for; @release runs once per such file, even after the
 * device was removed.
 */
struct lbdx_hlb_cdev_ops {
	int (*open)(void *ctx, void **priv);
	void (*release)(void *priv);
	long (*ioctl)(void *priv, unsigned int cmd, unsigned long arg);
	int (*mmap)(void *priv, unsigned long pgoff, unsigned long pages,
		    bool write, struct lbdx_hlb_map *out);
	__poll_t (*poll)(void *priv);
	ssize_t (*read)(void *priv, char __user *buf, size_t len);
};

int lbdx_hlb_cdev_init(void);
void lbdx_hlb_cdev_exit(void);
int lbdx_hlb_cdev_create(struct device *parent, const char *name,
			 const char *nodename, u32 uid, u32 gid, u16 mode,
			 const struct lbdx_hlb_cdev_ops *ops, void *ctx,
			 struct lbdx_hlb_cdev **out);
struct device *lbdx_hlb_cdev_device(struct lbdx_hlb_cdev *cd);
void lbdx_hlb_cdev_wake(struct lbdx_hlb_cdev *cd);
void lbdx_hlb_cdev_remove(struct lbdx_hlb_cdev *cd);

#endif /* LBDX_HLB_DOMAIN_CDEV_H */

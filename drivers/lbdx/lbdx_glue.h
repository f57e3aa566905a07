/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interface of lbdx_glue.c, the module's C glue; its Rust mirrors are the
 * `extern "C"` blocks in sysfs.rs, hlb/configfs.rs and dxe/pci_stop.rs.
 */
#ifndef LBDX_GLUE_H
#define LBDX_GLUE_H

#include <linux/types.h>

struct config_group;
struct config_item;
struct device;
struct lbdx_attr_group;

/* What a group's attributes do: see lbdx_attr_group_create(). */
struct lbdx_attr_ops {
	ssize_t (*show)(const void *ctx, unsigned int id, char *buf);
	ssize_t (*store)(const void *ctx, unsigned int id, const char *buf,
			 size_t count);
	umode_t (*mode)(const void *ctx, unsigned int id);
};

int lbdx_attr_group_create(struct device *dev, const char *name,
			   const char *const *names, unsigned int n,
			   const void *ctx, const struct lbdx_attr_ops *ops,
			   struct lbdx_attr_group **out);
void lbdx_attr_group_destroy(struct lbdx_attr_group *g);
void lbdx_configfs_add_default_group(struct config_group *child,
				     struct config_group *parent);
void lbdx_configfs_tree_lock(struct config_group *subsys);
void lbdx_configfs_tree_unlock(struct config_group *subsys);
int lbdx_configfs_depend(struct config_group *subsys, struct config_item *item);
int lbdx_pci_clear_master(struct device *dev);
int lbdx_pci_try_reset_function(struct device *dev);

#endif /* LBDX_GLUE_H */

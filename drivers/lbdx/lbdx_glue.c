// SPDX-License-Identifier: GPL-2.0
/*
 * lbdx_glue.c - the only C in the lbdx module.
 *
 * Why it exists: the Rust `kernel` crate of Linux 7.3 has no abstraction
 * for three things the driver needs:
 *
 * - sysfs attributes of a device. This file builds read-only attribute
 *   groups at run time from a table of names and hands every read to one
 *   Rust callback, which formats the value. The Rust side (sysfs.rs) owns
 *   the group's lifetime: it destroys the group before the data the
 *   callback reads goes away, and sysfs_remove_group() waits for readers in
 *   flight.
 * - configfs default groups and item dependencies (the kernel crate's
 *   configfs support has neither). configfs_add_default_group() is a static
 *   inline, and a dependency needs the item's subsystem and, to be safe
 *   against a racing rmdir(), the subsystem's mutex; the wrappers below
 *   are used by hlb/configfs.rs.
 * - stopping the DMA of a PCI function the driver gives up on: the crate's
 *   pci::Device has set_master() but neither a clear_master() nor a
 *   function reset; the wrappers at the end are used by dxe/pci_stop.rs.
 */

#include <linux/configfs.h>
#include <linux/device.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "lbdx_glue.h"

struct lbdx_attr {
	struct device_attribute dattr;
	struct lbdx_attr_group *group;
	unsigned int id;
};

struct lbdx_attr_group {
	struct kobject *kobj;
	struct attribute_group grp;
	const void *ctx;
	const struct lbdx_attr_ops *ops;
	struct attribute **attrs;
	struct lbdx_attr attr[];
};

static ssize_t lbdx_attr_show(struct device *dev, struct device_attribute *da,
			      char *buf)
{
	struct lbdx_attr *a = container_of(da, struct lbdx_attr, dattr);

	return a->group->ops->show(a->group->ctx, a->id, buf);
}

static ssize_t lbdx_attr_store(struct device *dev, struct device_attribute *da,
			       const char *buf, size_t count)
{
	struct lbdx_attr *a = container_of(da, struct lbdx_attr, dattr);

	return a->group->ops->store(a->group->ctx, a->id, buf, count);
}

static umode_t lbdx_attr_is_visible(struct kobject *kobj,
				    struct attribute *attr, int n)
{
	struct lbdx_attr *a = container_of(attr, struct lbdx_attr, dattr.attr);

	return a->group->ops->mode(a->group->ctx, a->id);
}

/**
 * lbdx_attr_group_create() - add an attribute group to a device
 * @dev: the device whose sysfs directory gets the group
 * @name: subdirectory name, or NULL to put the files in @dev's directory
 * @names: @n attribute names; must outlive the group
 * @n: number of attributes
 * @ctx: passed back to @ops
 * @ops: ->show formats attribute number @id into a PAGE_SIZE buffer,
 *	->store parses a write to it, ->mode gives its mode (0: no file),
 *	asked once, when the group is made; must outlive the group
 * @out: receives the group
 *
 * Return: 0 or a negative errno.
 */
int lbdx_attr_group_create(struct device *dev, const char *name,
			   const char *const *names, unsigned int n,
			   const void *ctx, const struct lbdx_attr_ops *ops,
			   struct lbdx_attr_group **out)
{
	struct lbdx_attr_group *g;
	unsigned int i;
	int ret;

	g = kzalloc(struct_size(g, attr, n), GFP_KERNEL);
	if (!g)
		return -ENOMEM;
	g->attrs = kcalloc(n + 1, sizeof(*g->attrs), GFP_KERNEL);
	if (!g->attrs) {
		kfree(g);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		struct lbdx_attr *a = &g->attr[i];

		sysfs_attr_init(&a->dattr.attr);
		a->dattr.attr.name = names[i];
		a->dattr.attr.mode = 0644;
		a->dattr.show = lbdx_attr_show;
		a->dattr.store = lbdx_attr_store;
		a->group = g;
		a->id = i;
		g->attrs[i] = &a->dattr.attr;
	}
	g->kobj = &dev->kobj;
	g->ctx = ctx;
	g->ops = ops;
	g->grp.name = name;
	g->grp.attrs = g->attrs;
	g->grp.is_visible = lbdx_attr_is_visible;
	ret = sysfs_create_group(g->kobj, &g->grp);
	if (ret) {
		kfree(g->attrs);
		kfree(g);
		return ret;
	}
	*out = g;
	return 0;
}

/**
 * lbdx_attr_group_destroy() - remove a group made by lbdx_attr_group_create()
 * @g: the group
 *
 * Waits for reads and writes in flight; no ->show or ->store call starts
 * after this returns.
 */
void lbdx_attr_group_destroy(struct lbdx_attr_group *g)
{
	sysfs_remove_group(g->kobj, &g->grp);
	kfree(g->attrs);
	kfree(g);
}

/**
 * lbdx_configfs_add_default_group() - make @child a default group of @parent
 * @child: an initialized group, not yet linked anywhere
 * @parent: a group being made (in its make_group callback)
 *
 * configfs creates the directory with @parent's and drops its reference with
 * configfs_remove_default_groups(@parent).
 */
void lbdx_configfs_add_default_group(struct config_group *child,
				     struct config_group *parent)
{
	configfs_add_default_group(child, parent);
}

/*
 * The tree lock is the subsystem's su_mutex: configfs' mkdir and rmdir
 * make and unlink items under it, so while it is held an item is either
 * linked into the tree or visibly unlinked (ci_group NULL). Lock order:
 * su_mutex, then the HLB control-plane mutex (configfs calls make_group and
 * drop_item with su_mutex held). Taken from attribute stores, where
 * configfs holds no inode lock and not su_mutex, and from the link ioctls
 * of a domain's character device, which hold no configfs lock at all.
 */
static struct configfs_subsystem *lbdx_subsys_of(struct config_group *group)
{
	return container_of(group, struct configfs_subsystem, su_group);
}

/**
 * lbdx_configfs_tree_lock() - keep configfs from making or unlinking items
 * @subsys: the su_group of a registered subsystem
 */
void lbdx_configfs_tree_lock(struct config_group *subsys)
{
	mutex_lock(&lbdx_subsys_of(subsys)->su_mutex);
}

/**
 * lbdx_configfs_tree_unlock() - undo lbdx_configfs_tree_lock()
 * @subsys: the su_group of a registered subsystem
 */
void lbdx_configfs_tree_unlock(struct config_group *subsys)
{
	mutex_unlock(&lbdx_subsys_of(subsys)->su_mutex);
}

/**
 * lbdx_configfs_depend() - keep @item from being removed (rmdir: EBUSY)
 * @subsys: the su_group of the subsystem @item belongs to, tree-locked
 * @item: an item of it, possibly already unlinked by rmdir()
 *
 * configfs_depend_item_unlocked() follows @item->ci_group up to the root,
 * which an item rmdir() unlinked no longer has: such an item is refused
 * here instead. One rmdir() has only tagged as dropping is refused by
 * configfs itself (its tree walk skips it); once this succeeded, rmdir()
 * fails with EBUSY.
 *
 * Return: 0, -ENOENT for an item that is being or has been removed, or
 * another negative errno.
 */
int lbdx_configfs_depend(struct config_group *subsys, struct config_item *item)
{
	struct configfs_subsystem *s = lbdx_subsys_of(subsys);

	lockdep_assert_held(&s->su_mutex);
	if (!item->ci_group)
		return -ENOENT;
	return configfs_depend_item_unlocked(s, item);
}

/**
 * lbdx_pci_clear_master() - keep a PCI function from starting DMA
 * @dev: the struct device of a PCI function
 *
 * Clears Bus Master Enable, then reads the command register back.
 *
 * Return: 0 if the read-back shows bus mastering off; -EIO if it does not,
 * or if config space does not answer (reads all ones).
 */
int lbdx_pci_clear_master(struct device *dev)
{
	struct pci_dev *pdev = to_pci_dev(dev);
	u16 cmd;

	pci_clear_master(pdev);
	if (pci_read_config_word(pdev, PCI_COMMAND, &cmd) ||
	    PCI_POSSIBLE_ERROR(cmd))
		return -EIO;
	return cmd & PCI_COMMAND_MASTER ? -EIO : 0;
}

/**
 * lbdx_pci_try_reset_function() - reset a PCI function unless it is locked
 * @dev: the struct device of a PCI function
 *
 * pci_try_reset_function(): saves config space, resets the function (FLR
 * or another method the PCI core finds), restores config space. Fails with
 * -EAGAIN instead of waiting when the device lock is held, e.g. by an
 * unbind that waits for the caller's work item. Process context; sleeps.
 *
 * Return: 0 or a negative errno.
 */
int lbdx_pci_try_reset_function(struct device *dev)
{
	might_sleep();
	return pci_try_reset_function(to_pci_dev(dev));
}

// SPDX-License-Identifier: GPL-2.0
/*
 * domain_cdev.c - the character device of a started HLB domain: the file
 * plumbing the Rust side (hlb/domain_cdev.rs) cannot do with the 7.3 kernel
 * crate.
 *
 * Why C: the crate's miscdevice has no poll(), no per-device owner or
 * group for the node, and its mmap cannot insert I/O or DMA pages lazily.
 * This file therefore owns the chrdev region, the "lbdx_hlb" class, the
 * node's name, owner and mode (devnode), the wait queue poll() and read()
 * sleep on, and the mappings. Every decision (which port, which offset,
 * which error, what is readable) is taken by the Rust callbacks in
 * struct lbdx_hlb_cdev_ops.
 *
 * Every mapping's pages (producer windows: device pages; the credit page;
 * CQ rings: DMA-coherent memory) are inserted page by page from a fault
 * handler, under mem_lock held for reading, never at mmap() time: the
 * kernel links a new VMA into the file's i_mmap tree only after ->mmap
 * returned (mm/vma.c, __mmap_new_vma(): mmap_file(), then vma_link_file()),
 * so pages inserted by ->mmap could escape the unmap_mapping_range() of a
 * removal running in between, and stay mapped after they were freed.
 * lbdx_hlb_cdev_remove() takes mem_lock for writing, marks the device gone
 * and zaps every open file's mappings, so after it returns no process can
 * reach the device's pages (a later access gets SIGBUS), as vfio-pci does
 * for BARs of a reset device.
 *
 * A mapping's description (struct lbdx_hlb_vma) is shared by the VMAs the
 * kernel may make of it (mremap copies a VMA before it unmaps the old one)
 * and counted; mremap() moves are refused anyway.
 */

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>

#include "domain_cdev.h"

#define LBDX_HLB_MINORS 256

static dev_t lbdx_hlb_devt;
static DEFINE_IDA(lbdx_hlb_minors);

struct lbdx_hlb_cdev {
	struct device dev;
	struct cdev cdev;
	wait_queue_head_t wq;
	const struct lbdx_hlb_cdev_ops *ops;
	void *ctx;
	kuid_t uid;
	kgid_t gid;
	umode_t mode;
	const char *nodename;
	/* Held for reading by faults, for writing by remove. */
	struct rw_semaphore mem_lock;
	/* Serializes open with remove, guards files. */
	struct mutex lock;
	bool gone;
	struct list_head files;
};

struct lbdx_hlb_file {
	struct list_head node;
	struct file *file;
	struct lbdx_hlb_cdev *cd;
	void *priv;
};

/* One mapping: what its pages are (from the Rust mmap callback). */
struct lbdx_hlb_vma {
	refcount_t users;
	struct lbdx_hlb_cdev *cd;
	struct lbdx_hlb_map map;
};

static char *lbdx_hlb_devnode(const struct device *dev, umode_t *mode,
			      kuid_t *uid, kgid_t *gid)
{
	const struct lbdx_hlb_cdev *cd =
		container_of(dev, struct lbdx_hlb_cdev, dev);

	if (mode)
		*mode = cd->mode;
	if (uid)
		*uid = cd->uid;
	if (gid)
		*gid = cd->gid;
	return kstrdup(cd->nodename, GFP_KERNEL);
}

static void lbdx_hlb_release_dev(struct device *dev)
{
	struct lbdx_hlb_cdev *cd = container_of(dev, struct lbdx_hlb_cdev, dev);

	ida_free(&lbdx_hlb_minors, MINOR(dev->devt));
	kfree(cd->nodename);
	kfree(cd);
}

static const struct device_type lbdx_hlb_type = {
	.name = "lbdx_hlb_domain",
	.devnode = lbdx_hlb_devnode,
	.release = lbdx_hlb_release_dev,
};

static const struct class lbdx_hlb_class = {
	.name = "lbdx_hlb",
};

/*
 * The pfn of page @idx of a CQ ring, DMA-coherent memory of the HLB (a
 * cache-coherent PCI function): in the linear map (dma-direct), or pages
 * remapped into vmalloc space (an IOMMU's non-contiguous allocation, or
 * DMA_DIRECT_REMAP), as ALSA's fault handler assumes of such buffers.
 * dma_mmap_coherent() cannot serve a fault: its remap_pfn_range() of the
 * whole VMA wants mmap_lock held for writing. Unlike it, the fault maps
 * with the VMA's protection as is: a memory-encrypting guest (SEV, TDX)
 * would need the decrypted protection dma_mmap_coherent() gives; not done.
 */
static unsigned long lbdx_hlb_dma_pfn(const struct lbdx_hlb_map *map,
				      unsigned long idx)
{
	void *addr = map->cpu + (idx << PAGE_SHIFT);

	if (is_vmalloc_addr(addr))
		return vmalloc_to_pfn(addr);
	return PHYS_PFN(virt_to_phys(addr));
}

/*
 * Runs with mem_lock held for reading: while the device is not gone, the
 * pages are not freed (remove() waits for the lock before it marks the
 * device gone and zaps; the CQ rings go only after every domain's device
 * was removed).
 */
static vm_fault_t lbdx_hlb_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct lbdx_hlb_vma *v = vma->vm_private_data;
	unsigned long idx = (vmf->address - vma->vm_start) >> PAGE_SHIFT;
	unsigned long pfn;
	vm_fault_t ret = VM_FAULT_SIGBUS;

	down_read(&v->cd->mem_lock);
	if (v->cd->gone || idx >= v->map.pages)
		goto out;
	switch (v->map.kind) {
	case LBDX_HLB_MAP_IO:
		pfn = PHYS_PFN(v->map.phys) + idx;
		break;
	case LBDX_HLB_MAP_PAGE:
		pfn = page_to_pfn(v->map.page) + idx;
		break;
	case LBDX_HLB_MAP_DMA:
		pfn = lbdx_hlb_dma_pfn(&v->map, idx);
		break;
	default:
		goto out;
	}
	ret = vmf_insert_pfn_prot(vma, vmf->address, pfn, vma->vm_page_prot);
out:
	up_read(&v->cd->mem_lock);
	return ret;
}

static int lbdx_hlb_may_split(struct vm_area_struct *vma, unsigned long addr)
{
	return -EINVAL;
}

static int lbdx_hlb_vm_mremap(struct vm_area_struct *vma)
{
	return -EINVAL;
}

static void lbdx_hlb_vm_open(struct vm_area_struct *vma)
{
	struct lbdx_hlb_vma *v = vma->vm_private_data;

	refcount_inc(&v->users);
}

static void lbdx_hlb_vm_close(struct vm_area_struct *vma)
{
	struct lbdx_hlb_vma *v = vma->vm_private_data;

	if (!refcount_dec_and_test(&v->users))
		return;
	put_device(&v->cd->dev);
	kfree(v);
}

static const struct vm_operations_struct lbdx_hlb_vm_ops = {
	.open = lbdx_hlb_vm_open,
	.close = lbdx_hlb_vm_close,
	.fault = lbdx_hlb_fault,
	.may_split = lbdx_hlb_may_split,
	.mremap = lbdx_hlb_vm_mremap,
};

static int lbdx_hlb_open(struct inode *inode, struct file *file)
{
	struct lbdx_hlb_cdev *cd =
		container_of(inode->i_cdev, struct lbdx_hlb_cdev, cdev);
	struct lbdx_hlb_file *f;
	int ret;

	f = kzalloc_obj(*f);
	if (!f)
		return -ENOMEM;
	mutex_lock(&cd->lock);
	ret = cd->gone ? -ENODEV : cd->ops->open(cd->ctx, &f->priv);
	if (!ret) {
		f->file = file;
		f->cd = cd;
		list_add(&f->node, &cd->files);
		get_device(&cd->dev);
		file->private_data = f;
	}
	mutex_unlock(&cd->lock);
	if (ret)
		kfree(f);
	return ret;
}

static int lbdx_hlb_release(struct inode *inode, struct file *file)
{
	struct lbdx_hlb_file *f = file->private_data;
	struct lbdx_hlb_cdev *cd = f->cd;

	mutex_lock(&cd->lock);
	list_del(&f->node);
	mutex_unlock(&cd->lock);
	cd->ops->release(f->priv);
	kfree(f);
	put_device(&cd->dev);
	return 0;
}

static long lbdx_hlb_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct lbdx_hlb_file *f = file->private_data;

	if (READ_ONCE(f->cd->gone))
		return -ENODEV;
	return f->cd->ops->ioctl(f->priv, cmd, arg);
}

static __poll_t lbdx_hlb_poll(struct file *file, poll_table *pt)
{
	struct lbdx_hlb_file *f = file->private_data;

	poll_wait(file, &f->cd->wq, pt);
	if (READ_ONCE(f->cd->gone))
		return EPOLLERR | EPOLLHUP;
	return f->cd->ops->poll(f->priv);
}

static ssize_t lbdx_hlb_read(struct file *file, char __user *buf, size_t len,
			     loff_t *ppos)
{
	struct lbdx_hlb_file *f = file->private_data;
	struct lbdx_hlb_cdev *cd = f->cd;
	ssize_t ret;

	for (;;) {
		if (READ_ONCE(cd->gone))
			return -ENODEV;
		ret = cd->ops->read(f->priv, buf, len);
		if (ret != -EAGAIN || (file->f_flags & O_NONBLOCK))
			return ret;
		ret = wait_event_interruptible(cd->wq, READ_ONCE(cd->gone) ||
					       (cd->ops->poll(f->priv) & EPOLLPRI));
		if (ret)
			return ret;
	}
}

static int lbdx_hlb_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct lbdx_hlb_file *f = file->private_data;
	struct lbdx_hlb_cdev *cd = f->cd;
	unsigned long pages = vma_pages(vma);
	struct lbdx_hlb_vma *v;
	int ret;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	v = kzalloc_obj(*v);
	if (!v)
		return -ENOMEM;
	down_read(&cd->mem_lock);
	ret = cd->gone ? -ENODEV :
		cd->ops->mmap(f->priv, vma->vm_pgoff, pages,
			      !!(vma->vm_flags & VM_WRITE), &v->map);
	up_read(&cd->mem_lock);
	if (ret) {
		kfree(v);
		return ret;
	}
	if (!v->map.writable)
		vm_flags_clear(vma, VM_MAYWRITE);
	if (v->map.kind == LBDX_HLB_MAP_IO)
		vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	vm_flags_set(vma, VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP |
			  VM_DONTCOPY);
	/* No page is inserted here, see the top of this file. */
	refcount_set(&v->users, 1);
	v->cd = cd;
	get_device(&cd->dev);
	vma->vm_private_data = v;
	vma->vm_ops = &lbdx_hlb_vm_ops;
	return 0;
}

static const struct file_operations lbdx_hlb_fops = {
	.owner = THIS_MODULE,
	.open = lbdx_hlb_open,
	.release = lbdx_hlb_release,
	.unlocked_ioctl = lbdx_hlb_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.poll = lbdx_hlb_poll,
	.read = lbdx_hlb_read,
	.mmap = lbdx_hlb_mmap,
	.llseek = noop_llseek,
};

/**
 * lbdx_hlb_cdev_init() - register the class and the chrdev region
 *
 * Return: 0 or a negative errno.
 */
int lbdx_hlb_cdev_init(void)
{
	int ret;

	ret = alloc_chrdev_region(&lbdx_hlb_devt, 0, LBDX_HLB_MINORS, "lbdx_hlb");
	if (ret)
		return ret;
	ret = class_register(&lbdx_hlb_class);
	if (ret)
		unregister_chrdev_region(lbdx_hlb_devt, LBDX_HLB_MINORS);
	return ret;
}

/** lbdx_hlb_cdev_exit() - undo lbdx_hlb_cdev_init() */
void lbdx_hlb_cdev_exit(void)
{
	class_unregister(&lbdx_hlb_class);
	unregister_chrdev_region(lbdx_hlb_devt, LBDX_HLB_MINORS);
	ida_destroy(&lbdx_hlb_minors);
}

/**
 * lbdx_hlb_cdev_create() - make the character device of a domain
 * @parent: the HLB's PCI device
 * @name: device name in the class (unique), e.g. "0000:00:10.0:d0"
 * @nodename: node path below /dev, e.g. "lbdx/0000:00:10.0/d0"
 * @uid, @gid, @mode: owner, group and permission bits of the node
 * @ops: the Rust callbacks
 * @ctx: passed to @ops->open until lbdx_hlb_cdev_remove() returns
 * @out: receives the device
 *
 * Return: 0 or a negative errno.
 */
int lbdx_hlb_cdev_create(struct device *parent, const char *name,
			 const char *nodename, u32 uid, u32 gid, u16 mode,
			 const struct lbdx_hlb_cdev_ops *ops, void *ctx,
			 struct lbdx_hlb_cdev **out)
{
	struct lbdx_hlb_cdev *cd;
	int minor, ret;

	cd = kzalloc_obj(*cd);
	if (!cd)
		return -ENOMEM;
	cd->nodename = kstrdup(nodename, GFP_KERNEL);
	minor = ida_alloc_max(&lbdx_hlb_minors, LBDX_HLB_MINORS - 1, GFP_KERNEL);
	if (!cd->nodename || minor < 0) {
		if (minor >= 0)
			ida_free(&lbdx_hlb_minors, minor);
		kfree(cd->nodename);
		kfree(cd);
		return minor < 0 ? minor : -ENOMEM;
	}
	init_waitqueue_head(&cd->wq);
	init_rwsem(&cd->mem_lock);
	mutex_init(&cd->lock);
	INIT_LIST_HEAD(&cd->files);
	cd->ops = ops;
	cd->ctx = ctx;
	cd->uid = make_kuid(&init_user_ns, uid);
	cd->gid = make_kgid(&init_user_ns, gid);
	cd->mode = mode & 0777;
	device_initialize(&cd->dev);
	cd->dev.class = &lbdx_hlb_class;
	cd->dev.type = &lbdx_hlb_type;
	cd->dev.parent = parent;
	cd->dev.devt = MKDEV(MAJOR(lbdx_hlb_devt), minor);
	cdev_init(&cd->cdev, &lbdx_hlb_fops);
	cd->cdev.owner = THIS_MODULE;
	ret = dev_set_name(&cd->dev, "%s", name);
	if (!ret)
		ret = cdev_device_add(&cd->cdev, &cd->dev);
	if (ret) {
		put_device(&cd->dev);
		return ret;
	}
	*out = cd;
	return 0;
}

/**
 * lbdx_hlb_cdev_device() - the struct device of @cd (for sysfs groups)
 * @cd: the character device
 */
struct device *lbdx_hlb_cdev_device(struct lbdx_hlb_cdev *cd)
{
	return &cd->dev;
}

/**
 * lbdx_hlb_cdev_wake() - wake poll() and read() sleepers; any context
 * @cd: the character device
 */
void lbdx_hlb_cdev_wake(struct lbdx_hlb_cdev *cd)
{
	wake_up_all(&cd->wq);
}

/**
 * lbdx_hlb_cdev_remove() - remove the node and cut every user off
 * @cd: the character device; the caller's reference is dropped
 *
 * No open starts after this returns and no ->open is in progress; open
 * files get ENODEV (poll: EPOLLHUP) and their mappings are zapped (a later
 * access gets SIGBUS). ->release still runs for each file when it is
 * closed.
 */
void lbdx_hlb_cdev_remove(struct lbdx_hlb_cdev *cd)
{
	struct lbdx_hlb_file *f;

	cdev_device_del(&cd->cdev, &cd->dev);
	mutex_lock(&cd->lock);
	down_write(&cd->mem_lock);
	cd->gone = true;
	list_for_each_entry(f, &cd->files, node)
		unmap_mapping_range(f->file->f_mapping, 0, 0, 1);
	up_write(&cd->mem_lock);
	mutex_unlock(&cd->lock);
	wake_up_all(&cd->wq);
	put_device(&cd->dev);
}

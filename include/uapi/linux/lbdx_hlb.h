/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * lbdx_hlb.h - user-space ABI of the HLB domain character device.
 *
 * A started scheduling domain has a character device,
 * /dev/lbdx/<pci address>/<domain name>, made when the domain starts and
 * removed when it stops. A process opens it, attaches ports of that domain,
 * mmap()s each attached port's producer window and (read-only) its
 * consumer-queue ring, and sleeps in poll()/epoll until a CQ has an entry.
 * A file that is closed (or whose process dies) while other files of the
 * domain stay open gives its ports back: the driver stops each one, drops
 * the events it held, returns its credits and makes it attachable again
 * while the other ports keep running. When the last file of the domain is
 * closed, the driver drains the domain: every event is dropped, every
 * credit returns to the domain's pools, every port is detached, and the
 * domain can be used again.
 *
 * Documentation/userspace-api/lbdx-hlb.rst describes the ABI;
 * Documentation/hw/hlb.rst ("Data plane") the QE and CQ formats.
 */
#ifndef _UAPI_LINUX_LBDX_HLB_H
#define _UAPI_LINUX_LBDX_HLB_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* The ABI version LBDX_HLB_IOC_DOMAIN_INFO reports. */
#define LBDX_HLB_ABI_VERSION 2

/* Port types. */
#define LBDX_HLB_PORT_LDB 0
#define LBDX_HLB_PORT_DIR 1

/* Producer window: a 4 KiB QE ring (256 slots) then a 4 KiB doorbell page. */
#define LBDX_HLB_PP_SIZE 8192
#define LBDX_HLB_QE_RING_SLOTS 256
#define LBDX_HLB_DOORBELL_OFFSET 4096

/* LBDX_HLB_IOC_DOMAIN_INFO: what the domain holds. */
struct lbdx_hlb_domain_info {
	__u32 abi_version;	/* LBDX_HLB_ABI_VERSION */
	__u32 domain_id;	/* the device's domain number */
	__u32 ldb_credits;	/* the domain's reservation */
	__u32 dir_credits;
	__u32 num_ldb_queues;
	__u32 num_ldb_ports;
	__u32 num_dir_ports;
	__u32 reserved;		/* 0 */
	__u64 credits_offset;	/* mmap offset of the credit page */
};

/*
 * The credit page: one 4 KiB page per domain, shared read-write by every
 * process that maps it (mmap 4096 bytes at credits_offset). The driver
 * sets both counters to the domain's reservation when the domain starts
 * and when it is drained; nothing else in the kernel or the device touches
 * them. They are the domain's *software* credit pools: a producer takes
 * credits from them (atomically, in batches) before enqueueing, and a
 * consumer gives one back to the pool of each event it takes from a CQ
 * (the device returned the event's credit when it wrote the CQ entry). As
 * long as every producer does so, the device's pool never runs dry under a
 * producer and no QE raises NoCredit. Directed events (sched 3) use
 * dir_credits, all others ldb_credits.
 *
 * From ABI version 2 the page also holds one ledger per port (at
 * LBDX_HLB_LEDGER_OFFSET, record type * 128 + id), written only by the
 * port's user, read by the driver when it takes the port back from a file
 * that went away (the driver cannot ask a dead process what it held):
 *
 *   held[0], held[1]  credits the port took from ldb_credits / dir_credits
 *                     and has not spent on a QE yet;
 *   cq_credited       the CQ entries (free-running, like the read index)
 *                     whose credit the consumer gave back.
 *
 * The driver gives back held[] and one credit per CQ entry after
 * cq_credited the device wrote (to the pool of the entry's sched type).
 * A user updates its ledger so that a death between two of its stores
 * loses credits rather than invents them: after taking from a pool, and
 * before giving back or writing a QE.
 */
#define LBDX_HLB_CREDIT_PAGE_SIZE 4096
#define LBDX_HLB_LEDGER_OFFSET 2048

struct lbdx_hlb_credit_page {
	__u32 ldb_credits;
	__u32 dir_credits;
};

struct lbdx_hlb_port_ledger {
	__u16 held[2];		/* credits cached: LDB, DIR */
	__u32 cq_credited;	/* CQ entries whose credit went back */
};

/*
 * LBDX_HLB_IOC_ATTACH: attach one port of this domain to this file.
 *
 * In: type, id (the device's port number, the "id" file of the port's
 * configfs directory), flags (0). Out: the rest. Errors: EINVAL (bad type
 * or flags), ENOENT (no such port in this domain), EBUSY (attached by a
 * file already; on a device without port reset, before HLB 1.3, also a
 * port detached since the domain last drained, which waits for the drain
 * that follows the last close of the domain), EFAULT (the request cannot
 * be read or the result written back: nothing attached). A port given back
 * by a closed file starts afresh: CQ read index 0, QE ring slot 0.
 *
 * pp_offset and cq_offset are mmap() offsets: map pp_size bytes at
 * pp_offset read-write (the QE ring and the doorbell page) and cq_size
 * bytes at cq_offset read-only (the CQ ring, cq_depth entries of 16 bytes).
 */
struct lbdx_hlb_port_attach {
	__u32 type;		/* in: LBDX_HLB_PORT_LDB or LBDX_HLB_PORT_DIR */
	__u32 id;		/* in: device port number */
	__u32 flags;		/* in: 0 */
	__u32 cq_depth;		/* out: CQ entries (power of two) */
	__u64 pp_offset;	/* out: mmap offset of the producer window */
	__u64 cq_offset;	/* out: mmap offset of the CQ ring */
	__u32 pp_size;		/* out: LBDX_HLB_PP_SIZE */
	__u32 cq_size;		/* out: bytes of the CQ mapping (page multiple) */
};

/*
 * LBDX_HLB_IOC_ARM: a consumer about to sleep on an attached port.
 *
 * read_index is the consumer's free-running read index (entries it has
 * taken from the CQ since the domain (re)started). The driver remembers it
 * and arms the port's CQ interrupt; poll() then reports EPOLLIN while the
 * CQ entry at read_index (slot read_index % cq_depth) carries the
 * generation bit of its lap. Return the tokens of every entry read before
 * arming, or the interrupt fires at once and the consumer wakes for
 * nothing. Errors: EINVAL (bad type or reserved bits), ENOENT (port not
 * attached to this file), ENODEV (the device is gone).
 */
struct lbdx_hlb_arm {
	__u32 type;
	__u32 id;
	__u32 read_index;
	__u32 reserved;		/* 0 */
};

/*
 * read() returns whole records of this type, one per alert the device
 * raised for the domain (a QE refused with an alarm). poll() reports
 * EPOLLPRI while alerts are queued; read() blocks for one unless the file is
 * O_NONBLOCK (then EAGAIN). A buffer shorter than one record: EINVAL.
 * At most 32 alerts are queued per file; further ones are counted in
 * "dropped" of the next record.
 */
struct lbdx_hlb_alert {
	/* alarm code: 0x0c NoCredit, 0x0d BadQe, 0x0e NoHistory, 0x0f BadToken */
	__u32 code;
	__u32 port_type;	/* LBDX_HLB_PORT_* of the port that wrote the QE */
	__u32 port_id;		/* its device port number */
	__u32 dropped;		/* alerts lost before this one (queue full) */
	__u64 timestamp_ns;	/* ktime_get_ns() when the driver saw it */
};

/*
 * LBDX_HLB_IOC_LINK, LBDX_HLB_IOC_UNLINK and LBDX_HLB_IOC_UNLINKS_PENDING:
 * links at run time (HLB 1.5), like eventdev's rte_event_port_link(),
 * rte_event_port_unlink() and rte_event_port_unlinks_in_progress(). Any
 * opener of the domain may change the links of any of its LDB ports (the
 * domain is the unit of trust, as for ATTACH); configfs shows the result
 * (links, links_pending) as if written there.
 *
 * LINK links LDB queue queue_id to LDB port port_id at priority (0 to 7,
 * 0 the highest), changes the priority of an existing link, or cancels a
 * pending unlink of that queue; it takes effect at once (an atomic flow
 * another port holds stays there until released). UNLINK unlinks the
 * queue: the port is given nothing more of it at once, and the unlink
 * stays pending while the port holds events of that queue it has not
 * completed (none of its atomic flows goes to another port before).
 * Neither waits. UNLINKS_PENDING (queue_id and priority 0) writes back in
 * pending how many unlinks of the port are still pending; LINK and UNLINK
 * copy nothing back (pending must be 0). A failed call changes nothing.
 * Errors: EINVAL (not an LDB port or queue of the domain, a bad priority,
 * a nonzero field that must be 0), ENOENT (UNLINK of a queue the port
 * does not link), ENOSPC (LINK with the port's 8 link slots taken; a
 * pending unlink holds its slot), EOPNOTSUPP (an HLB before 1.5, or a
 * virtual function), EFAULT, ENODEV (the device is gone).
 */
struct lbdx_hlb_link {
	__u32 port_id;		/* in: LDB port (device number) */
	__u32 queue_id;		/* in: LDB queue (device number); PENDING: 0 */
	__u32 priority;		/* in: LINK: 0 to 7; otherwise 0 */
	__u32 pending;		/* in: 0; out (PENDING): pending unlinks */
};

#define LBDX_HLB_IOC_MAGIC 0xE1
#define LBDX_HLB_IOC_DOMAIN_INFO _IOR(LBDX_HLB_IOC_MAGIC, 0x00, struct lbdx_hlb_domain_info)
#define LBDX_HLB_IOC_ATTACH _IOWR(LBDX_HLB_IOC_MAGIC, 0x01, struct lbdx_hlb_port_attach)
#define LBDX_HLB_IOC_ARM _IOW(LBDX_HLB_IOC_MAGIC, 0x02, struct lbdx_hlb_arm)
#define LBDX_HLB_IOC_LINK _IOW(LBDX_HLB_IOC_MAGIC, 0x03, struct lbdx_hlb_link)
#define LBDX_HLB_IOC_UNLINK _IOW(LBDX_HLB_IOC_MAGIC, 0x04, struct lbdx_hlb_link)
#define LBDX_HLB_IOC_UNLINKS_PENDING _IOWR(LBDX_HLB_IOC_MAGIC, 0x05, struct lbdx_hlb_link)

#endif /* _UAPI_LINUX_LBDX_HLB_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lbdx async-offload layer: copy, fill, xor, xor-validate, RAID-6 P+Q and
 * P+Q-validate requests that the layer runs, one by one, on the backend it
 * picks (a DXE engine or the CPU), failing over to another backend when one
 * fails or disappears.
 *
 * Guide: Documentation/driver-api/lbdx-offload.rst. Implementation:
 * drivers/lbdx/offload/ (Rust) behind the exports of
 * drivers/lbdx/offload/offload_glue.c.
 *
 * Every symbol here starts with lbdx_ so that it never collides with
 * Linux's own async_tx (async_memcpy(), async_xor(), ...), which may be
 * loaded at the same time.
 */
#ifndef _LINUX_LBDX_OFFLOAD_H
#define _LINUX_LBDX_OFFLOAD_H

#include <linux/types.h>

struct device;

/* ---- Consumers ----------------------------------------------------------- */

/**
 * struct lbdx_tx - one request: opaque, reference counted.
 *
 * Every function below that returns a request returns it with one
 * reference, which the caller drops with lbdx_tx_put() (also after a
 * callback ran). On bad arguments they return ERR_PTR(-EINVAL); without
 * memory, ERR_PTR(-ENOMEM). Such a request never existed: no callback runs.
 */
struct lbdx_tx;

/* Most sources of one lbdx_async_xor() / lbdx_async_xor_val(). */
#define LBDX_MAX_XOR_SRCS	64
/* Most bytes of one request. */
#define LBDX_MAX_LEN		(1U << 30)

/* Result of a successful lbdx_async_xor_val(). */
#define LBDX_XOR_VAL_ZERO	0	/* the sources xor to zero */
#define LBDX_XOR_VAL_NONZERO	1	/* they do not */

/* Result bits of a successful lbdx_async_pq_val(); 0: both match. */
#define LBDX_PQ_VAL_P_BAD	(1U << 0)	/* P differs */
#define LBDX_PQ_VAL_Q_BAD	(1U << 1)	/* Q differs */

/* lbdx_async_pq() pq_flags */
/* Add to the P and Q already there (read them, then write them). */
#define LBDX_PQ_ACCUMULATE	(1U << 0)

/**
 * typedef lbdx_callback_t - completion callback.
 * @param: lbdx_submit.callback_param.
 * @status: 0 on success; -EIO when every capable backend failed or none
 *	    exists; -ECANCELED when the request depended on one that did
 *	    not succeed.
 * @result: with @status 0: for xor-validate LBDX_XOR_VAL_ZERO or
 *	    LBDX_XOR_VAL_NONZERO, for P+Q-validate LBDX_PQ_VAL_* bits; 0
 *	    otherwise.
 *
 * Runs exactly once per request, in the context that completed it: the
 * submitter's own (before lbdx_async_*() returns, when the CPU ran the
 * request inline), a worker thread or an engine's threaded interrupt
 * handler. It must not sleep (it runs with preemption disabled). It may
 * submit new requests: they start once it returned, never inside it, so a
 * chain of callbacks each submitting the next uses the stack of one (the
 * same holds for a report from inside lbdx_backend_ops.submit). A
 * request's callback returns before any request depending on it starts,
 * and before lbdx_tx_wait() on it returns or lbdx_tx_status() stops
 * answering -EINPROGRESS.
 */
typedef void (*lbdx_callback_t)(void *param, int status, u32 result);

/* lbdx_submit.flags */
/*
 * The caller waits for the request right after submitting it (as
 * lbdx_tx_wait() does): when the layer picks the CPU, it runs the request
 * in the caller's thread at once, whatever its size.
 */
#define LBDX_SUBMIT_WILL_WAIT	(1U << 0)

/**
 * struct lbdx_submit - how to run a request; may be NULL (no dependency,
 *			no callback, no flags).
 * @depend: start only once this earlier request completed successfully;
 *	    if it fails, this one completes with -ECANCELED. The layer takes
 *	    its own reference; the caller keeps its own. NULL: none; an
 *	    ERR_PTR() (a failed submission) is refused with -EINVAL.
 * @callback: called once at completion; NULL: none.
 * @callback_param: passed to @callback.
 * @flags: LBDX_SUBMIT_*.
 */
struct lbdx_submit {
	struct lbdx_tx *depend;
	lbdx_callback_t callback;
	void *callback_param;
	unsigned int flags;
};

/*
 * Buffers are kernel virtual addresses of the linear map (kmalloc(),
 * page_address() of a lowmem page, __get_free_pages()), not vmalloc(), stack
 * memory or static data of the kernel or a module (EINVAL); any alignment;
 * 1 to LBDX_MAX_LEN bytes. The layer maps them
 * for DMA for the backend it picks. The caller must not touch a destination
 * (nor change a source) until the request completed.
 *
 * Submission does not sleep: callable from any context but hard interrupt
 * context and NMI.
 */

/* Copies @len bytes from @src to @dst (they must not overlap). */
struct lbdx_tx *lbdx_async_memcpy(void *dst, const void *src, size_t len,
				  const struct lbdx_submit *submit);
/* Fills @len bytes at @dst with the 8 bytes of @pattern, little endian. */
struct lbdx_tx *lbdx_async_fill(void *dst, u64 pattern, size_t len,
				const struct lbdx_submit *submit);
/* dst[i] = srcs[0][i] ^ ... ^ srcs[src_cnt - 1][i]; 2 <= src_cnt. */
struct lbdx_tx *lbdx_async_xor(void *dst, void *const *srcs,
			       unsigned int src_cnt, size_t len,
			       const struct lbdx_submit *submit);
/*
 * Whether srcs[0] ^ ... ^ srcs[src_cnt - 1] is all zero; the answer is
 * the callback's or lbdx_tx_wait()'s result, not an error.
 */
struct lbdx_tx *lbdx_async_xor_val(void *const *srcs, unsigned int src_cnt,
				   size_t len,
				   const struct lbdx_submit *submit);

/*
 * RAID-6 syndrome: P = srcs[0] ^ ... ^ srcs[src_cnt - 1] and
 * Q = coefs[0] * srcs[0] + ... over GF(2^8) (the raid6 field of
 * include/linux/raid/pq.h), written to @p and @q; either may be NULL (not
 * computed), not both. With LBDX_PQ_ACCUMULATE in @pq_flags, added to the
 * P and Q already there (a syndrome computed in parts). 1 <= src_cnt <=
 * LBDX_MAX_XOR_SRCS; @p and @q overlap no source and not each other.
 */
struct lbdx_tx *lbdx_async_pq(void *p, void *q, void *const *srcs,
			      const u8 *coefs, unsigned int src_cnt,
			      size_t len, unsigned int pq_flags,
			      const struct lbdx_submit *submit);
/*
 * Checks @p and @q (either may be NULL: not checked, not both) against
 * the syndrome of the sources; the answer is the result (LBDX_PQ_VAL_*
 * bits), not an error.
 */
struct lbdx_tx *lbdx_async_pq_val(const void *p, const void *q,
				  void *const *srcs, const u8 *coefs,
				  unsigned int src_cnt, size_t len,
				  const struct lbdx_submit *submit);

/*
 * A request that ran and succeeded at submission, in the caller's thread
 * (the layer's fast path), comes back as the handle LBDX_TX_DONE plus its
 * result (0 to 3). No object lies behind it (the page at 0 is never
 * mapped): lbdx_tx_wait(), lbdx_tx_status() and lbdx_tx_put() recognise
 * it by address, inline, without a call, and it holds no reference. Do
 * not compare handles.
 */
#define LBDX_TX_DONE		0x100UL

static inline bool lbdx_tx_done_at_submit(const struct lbdx_tx *tx)
{
	return (unsigned long)tx - LBDX_TX_DONE < 4;
}

/* lbdx_tx_wait(), lbdx_tx_status() and lbdx_tx_put() of other handles. */
int __lbdx_tx_wait(struct lbdx_tx *tx, u32 *result);
int __lbdx_tx_status(struct lbdx_tx *tx);
void __lbdx_tx_put(struct lbdx_tx *tx);

/*
 * Sleeps until @tx completed; returns its status and, if @result is not
 * NULL, stores its result. Process context only. Not killable (the layer
 * does not own the buffers); every request ends, at worst once the
 * layer's deadline (5 s plus 8 times the backend's estimate) expired on
 * each capable backend.
 */
static inline int lbdx_tx_wait(struct lbdx_tx *tx, u32 *result)
{
	if (!lbdx_tx_done_at_submit(tx))
		return __lbdx_tx_wait(tx, result);
	if (result)
		*result = (unsigned long)tx - LBDX_TX_DONE;
	return 0;
}

/* -EINPROGRESS until @tx completed, then its status. Does not sleep. */
static inline int lbdx_tx_status(struct lbdx_tx *tx)
{
	return lbdx_tx_done_at_submit(tx) ? 0 : __lbdx_tx_status(tx);
}

/* Drops the caller's reference to @tx. NULL and ERR_PTR() are ignored. */
static inline void lbdx_tx_put(struct lbdx_tx *tx)
{
	if (!lbdx_tx_done_at_submit(tx))
		__lbdx_tx_put(tx);
}

/*
 * Selects the policy by its sysfs name ("earliest-completion",
 * "round-robin", "cpu-only", "weighted", "engines-first"), as writing
 * /sys/kernel/lbdx_offload/policy does. Returns 0 or -EINVAL.
 */
int lbdx_offload_set_policy(const char *name);

/* ---- Backends ------------------------------------------------------------ */

/*
 * Operations, as bits of lbdx_backend_desc.ops_mask and values of
 * lbdx_job.op.
 */
enum lbdx_op {
	LBDX_OP_COPY = 0,
	LBDX_OP_FILL = 1,
	LBDX_OP_XOR = 2,
	LBDX_OP_XOR_VAL = 3,
	LBDX_OP_PQ = 4,
	LBDX_OP_PQ_VAL = 5,
};

/**
 * struct lbdx_job - one attempt at a request, as a backend gets it.
 * @op: the operation.
 * @src_cnt: sources in @srcs (1 for copy, 0 for fill).
 * @len: bytes.
 * @dst: destination (copy, fill, xor); P (P+Q and its validation), 0 for
 *	 none.
 * @srcs: source addresses; valid only during lbdx_backend_ops.submit().
 * @pattern: fill pattern.
 * @ticket: hand back to lbdx_backend_complete().
 * @q: Q (P+Q and its validation), 0 for none.
 * @coefs: @src_cnt coefficients of a P+Q or its validation, NULL
 *	   otherwise; valid only during lbdx_backend_ops.submit().
 * @pq_flags: LBDX_PQ_ACCUMULATE for a P+Q that adds to P and Q.
 *
 * Addresses are DMA addresses for lbdx_backend_desc.dev when it is set,
 * kernel virtual addresses when it is NULL.
 */
struct lbdx_job {
	enum lbdx_op op;
	unsigned int src_cnt;
	u32 len;
	u64 dst;
	const u64 *srcs;
	u64 pattern;
	u64 ticket;
	u64 q;
	const u8 *coefs;
	unsigned int pq_flags;
};

/**
 * struct lbdx_backend_ops - what the layer calls.
 * @submit: required. Queue @job and return 0, then report it exactly once
 *	    with lbdx_backend_complete() (possibly before ->submit returns:
 *	    the layer then acts on the report once ->submit returned);
 *	    or refuse it at once with -EBUSY (full) or any other negative
 *	    errno (going away, dead) and never report it. An attempt not
 *	    reported by the layer's deadline (5 s plus 8 times the backend's
 *	    estimate for its queue) is failed over and its report then
 *	    ignored: the backend must have stopped touching its buffers by
 *	    then. Must not sleep or
 *	    call any other layer function.
 *
 * A backend is never asked whether it can take work: it says so when
 * that changes, with lbdx_backend_event().
 */
struct lbdx_backend_ops {
	int (*submit)(void *priv, const struct lbdx_job *job);
};

/**
 * struct lbdx_backend_desc - a backend, at registration.
 * @name: unique, at most 31 characters of [a-z0-9_.:-].
 * @dev: device to map buffers for, or NULL for a backend that takes
 *	 kernel virtual addresses.
 * @ops_mask: BIT(LBDX_OP_*) of the operations offered (not 0).
 * @max_xor_srcs: most sources of an xor, xor-validate, P+Q or
 *		  P+Q-validate (>= 2 if one is offered).
 * @max_len: most bytes of one job (>= 1).
 * @align: alignment every buffer address needs, a power of two (0: none).
 * @bandwidth: initial estimate, bytes per second (>= 1).
 * @request_cost_ns: fixed cost of one job, nanoseconds.
 * @ops: the ops table; registration fails with -EINVAL without ->submit.
 * @priv: passed to the ops.
 */
struct lbdx_backend_desc {
	const char *name;
	struct device *dev;
	u32 ops_mask;
	u32 max_xor_srcs;
	u32 max_len;
	u32 align;
	u64 bandwidth;
	u64 request_cost_ns;
	const struct lbdx_backend_ops *ops;
	void *priv;
};

struct lbdx_backend;

/*
 * Registers a backend (process context). Returns ERR_PTR(-EINVAL) for a
 * bad descriptor, ERR_PTR(-EEXIST) for a name in use, ERR_PTR(-ENOSPC) when
 * the layer is full.
 */
struct lbdx_backend *lbdx_backend_register(const struct lbdx_backend_desc *desc);
/*
 * Unregisters (process context): selection stops picking the backend and
 * ->submit calls already under way are waited for; then every job it still
 * holds is failed over to another backend (never dropped) and later
 * reports of those jobs are ignored. The backend must stop touching their
 * buffers, and refuse new jobs, before calling this.
 */
void lbdx_backend_unregister(struct lbdx_backend *backend);
/*
 * Reports the end of the job with @ticket, once the backend no longer
 * touches its buffers (the layer unmaps them and may run the request
 * elsewhere at once): @status 0 (done; @result is the xor-validate or
 * P+Q-validate answer, ignored for other operations), -ETIMEDOUT (the backend gave up on it),
 * -ECANCELED (aborted through no fault of the job, e.g. a channel reset:
 * not counted as a failure), any other value (failed). Any context but
 * hard interrupt and NMI: failover and callbacks run in the caller's.
 */
void lbdx_backend_complete(u64 ticket, int status, u32 result);
/**
 * enum lbdx_backend_event_type - what a backend reports of itself.
 * @LBDX_BACKEND_HALTED: stopped taking work for a while (a recovery under
 *			 way): never selected until LBDX_BACKEND_RUNNING. The
 *			 jobs it holds are still its own to report. A request
 *			 that no running backend can do but this one could
 *			 waits for it (until it runs again, dies, unregisters
 *			 or is disabled) instead of failing.
 * @LBDX_BACKEND_RUNNING: takes work again (the state at registration).
 * @LBDX_BACKEND_DEAD: will never take work again: never selected until it
 *		       unregisters. The jobs it holds are still its own to
 *		       report, or are failed over at unregistration.
 * @LBDX_BACKEND_BANDWIDTH: measured bandwidth, bytes per second (>= 1, in
 *			    the event's @arg): replaces the estimate.
 * @LBDX_BACKEND_DRIVE_COST: the CPU time one of its requests takes from the
 *			     CPU, nanoseconds (0 to 1000000000 in @arg; 0: not
 *			     counted): fixes the drive cost as sysfs
 *			     drive_cost_ns does, until "auto" is written there.
 * @LBDX_BACKEND_HANDLING: its driver spent @arg nanoseconds (<= 1000000000)
 *			   learning that one of its jobs finished (interrupt
 *			   to job collected): part of the learnt drive cost.
 */
enum lbdx_backend_event_type {
	LBDX_BACKEND_HALTED,
	LBDX_BACKEND_RUNNING,
	LBDX_BACKEND_DEAD,
	LBDX_BACKEND_BANDWIDTH,
	LBDX_BACKEND_DRIVE_COST,
	LBDX_BACKEND_HANDLING,
};

/*
 * Reports @event (enum lbdx_backend_event_type; @arg 0 except for
 * LBDX_BACKEND_BANDWIDTH, _DRIVE_COST and _HANDLING) when it happens. The layer caches the state and
 * reads only that when it selects; LBDX_BACKEND_RUNNING after a halt
 * retries the requests waiting for room, in the caller's context. Repeating a state
 * changes nothing; after LBDX_BACKEND_DEAD only measurements are taken. Any
 * context but hard interrupt and NMI. Returns 0, or -EINVAL (unknown
 * event, bad @arg, @backend NULL or an error pointer) and changes nothing.
 */
int lbdx_backend_event(struct lbdx_backend *backend, unsigned int event,
		       u64 arg);

#endif /* _LINUX_LBDX_OFFLOAD_H */

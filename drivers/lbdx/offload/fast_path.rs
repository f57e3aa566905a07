// SPDX-License-Identifier: GPL-2.0

//! The fast path of a request without dependency: when the submitter may
//! run work and the selection policy would pick the CPU backend for a
//! request of that length, the request runs at once in the submitter's
//! thread, with no lock, no allocation and no atomic read-modify-write
//! (the C API then hands out a constant handle, `LBDX_TX_DONE` plus the
//! result, which waits, status reads and puts recognise by address,
//! inline in the header), counted in per-CPU
//! counters added to the CPU backend's `requests` and `bytes`. This keeps
//! a small copy close to the cost of the copy itself. The limits are
//! computed under the layer's lock by `Inner::refresh` at every change of
//! policy, availability and registration, and by `Inner::queues_changed`
//! as queues and bandwidth estimates move (at most 1 ms behind them under
//! load).

use super::{
    backend::{Job, Outcome, Ticket},
    backend_select::Op,
    cpu, glue,
    layer::{INLINE_MIN, OPS},
    mapping::MAX_SRCS,
    request::{Finish, Operands, SUBMIT_WILL_WAIT},
};
use core::sync::atomic::{AtomicU32, Ordering};

/// A request about to be submitted, before any allocation: what the fast
/// path needs.
pub(crate) struct Shape<'a> {
    /// Operation.
    pub(crate) op: Op,
    /// Bytes.
    pub(crate) len: u32,
    /// Buffers (kernel virtual addresses) and parameters.
    pub(crate) o: &'a Operands<'a>,
    /// `LBDX_SUBMIT_*`.
    pub(crate) flags: u32,
}

/// Per operation (`Op::index`), the longest request the fast path
/// may run; recomputed under the layer's lock whenever availability,
/// policy or registrations change, and as queues move
/// (`Inner::refresh`, `Inner::queues_changed`).
static LIMITS: [AtomicU32; OPS] = [const { AtomicU32::new(0) }; OPS];
/// The longest request without `LBDX_SUBMIT_WILL_WAIT` that may run in
/// the submitter's thread (`layer::inline_max`).
static INLINE: AtomicU32 = AtomicU32::new(INLINE_MIN);

/// Publishes new limits (under the layer's lock).
pub(super) fn set_limits(limits: [u32; OPS], inline: u32) {
    for (l, v) in LIMITS.iter().zip(limits) {
        l.store(v, Ordering::Relaxed);
    }
    INLINE.store(inline, Ordering::Relaxed);
}

/// Whether a request of `len` bytes with `flags` may run in the
/// submitter's thread (given the submitter may run work at all).
pub(super) fn may_inline(len: u32, flags: u32) -> bool {
    len <= INLINE.load(Ordering::Relaxed) || flags & SUBMIT_WILL_WAIT != 0
}

/// Requests and bytes the fast path ran (per-CPU counters, summed).
pub(super) fn counters() -> (u64, u64) {
    glue::inline_totals()
}

// The sources are handed to the CPU backend as they came: an address is a
// `u64` to a job, a `usize` to a submitter.
const _: () = assert!(
    core::mem::size_of::<usize>() == core::mem::size_of::<u64>()
        && core::mem::align_of::<usize>() == core::mem::align_of::<u64>()
);

/// The fast path of a request without dependency whose submitter may run
/// it now (`glue::admit`): if it is within the limit for its operation
/// (the length up to which the selection policy would pick the CPU, see
/// `BackendTable::inline_limit`), runs it now on the CPU, without a lock,
/// an allocation or an atomic read-modify-write. `None`: take the normal
/// path. Not taken under round-robin (limits 0), whose cursor must see
/// every request.
#[inline(always)]
pub(crate) fn try_inline(shape: &Shape<'_>) -> Option<Finish> {
    let limit = LIMITS[shape.op.index()].load(Ordering::Relaxed);
    if shape.len > limit || !may_inline(shape.len, shape.flags) {
        return None;
    }
    let o = shape.o;
    // SAFETY: `usize` and `u64` have the same size and alignment (checked
    // above at compile time), so `o.srcs` is a valid `[u64]` of the same
    // length, borrowed for as long.
    let srcs = unsafe { core::slice::from_raw_parts(o.srcs.as_ptr().cast::<u64>(), o.srcs.len()) };
    let job = Job {
        op: shape.op,
        len: shape.len,
        dst: o.dst as u64,
        q: o.q as u64,
        srcs: srcs.get(..MAX_SRCS).unwrap_or(srcs),
        coefs: o.coefs,
        pattern: o.pattern,
        accumulate: o.accumulate,
        ticket: Ticket(0),
    };
    // SAFETY: The C API checked the buffers (linear map, `len` bytes, kept
    // by the caller until completion, no forbidden overlap); this is the
    // CPU backend's own execution of a job with kernel virtual addresses.
    let outcome = unsafe { cpu::execute(&job) };
    let Outcome::Done { result } = outcome else {
        // Run again on the normal path, with failover.
        return None;
    };
    glue::count_inline(shape.len);
    Some(Finish {
        status: 0,
        result: result & shape.op.result_mask(),
    })
}

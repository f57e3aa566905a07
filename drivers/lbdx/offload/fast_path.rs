// SPDX-License-Identifier: GPL-2.0

//! The fast path of a request without dependency: when the submitter may
//! run work and selection picks the CPU backend, the request runs at once
//! in the submitter's thread, accounted like any attempt, without
//! allocating a request (the C API then hands out a shared, pre-completed
//! handle). This keeps a small copy close to the cost of the copy itself.

use super::{
    backend::{Job, Outcome, Ticket},
    backend_select::{ExcludeSet, Op, Policy, Request},
    glue,
    layer::{INLINE_MAX, LAYER},
    mapping::{Addrs, MAX_SRCS},
    request::{Finish, SUBMIT_WILL_WAIT},
};

/// A request about to be submitted, before any allocation: what the fast
/// path needs.
pub(crate) struct Shape<'a> {
    /// Operation.
    pub(crate) op: Op,
    /// Bytes.
    pub(crate) len: u32,
    /// Destination (kernel virtual address), 0 for xor-validate.
    pub(crate) dst: usize,
    /// Sources (kernel virtual addresses).
    pub(crate) srcs: &'a [usize],
    /// Fill pattern.
    pub(crate) pattern: u64,
    /// `LBDX_SUBMIT_*`.
    pub(crate) flags: u32,
}

/// The fast path of a request without dependency: if the submitter may run
/// it and selection picks the CPU backend, runs it now, accounts it like
/// any attempt and returns how it ended, without allocating a request.
/// `None`: take the normal path. Not taken under round-robin, whose cursor
/// a selection here would move.
pub(crate) fn try_inline(shape: &Shape<'_>) -> Option<Finish> {
    if (shape.len > INLINE_MAX && shape.flags & SUBMIT_WILL_WAIT == 0) || !glue::may_run_work() {
        return None;
    }
    let addr_or = shape
        .srcs
        .iter()
        .fold(shape.dst as u64, |a, s| a | *s as u64);
    let req = Request {
        op: shape.op,
        len: shape.len.into(),
        sources: shape.srcs.len() as u32,
        align: Request::align_of(addr_or),
    };
    let start = glue::now_ns();
    let (id, ops) = {
        let mut g = LAYER.lock();
        if g.table.policy() == Policy::RoundRobin {
            return None;
        }
        g.refresh();
        let none = ExcludeSet::new();
        let candidates = g.candidates(shape.op);
        let id = g.table.select_in(&req, candidates, &none, start)?;
        if !g.table.desc(id).is_ok_and(|d| d.is_cpu) || g.table.on_submit(id, req.len).is_err() {
            return None;
        }
        let slot = g.slot_mut(id)?;
        slot.stats.requests += 1;
        slot.stats.in_flight += 1;
        slot.submitting += 1;
        (id, slot.ops.clone())
    };
    let mut addrs = Addrs {
        dst: shape.dst as u64,
        srcs: [0; MAX_SRCS],
        n: shape.srcs.len().min(MAX_SRCS),
    };
    for (d, s) in addrs.srcs.iter_mut().zip(shape.srcs) {
        *d = *s as u64;
    }
    let job = Job {
        op: shape.op,
        len: shape.len,
        dst: addrs.dst,
        srcs: addrs.srcs.get(..addrs.n).unwrap_or(&[]),
        pattern: shape.pattern,
        ticket: Ticket(0),
    };
    let outcome = ops.run_inline(&job);
    drop(ops);
    let now = glue::now_ns();
    let mut g = LAYER.lock();
    let ok = matches!(outcome, Some(Outcome::Done { .. }));
    let elapsed = g.table.service_ns(id, start, now);
    if outcome.is_some() {
        let _ = g.table.on_complete(id, req.len, ok, elapsed, now);
    } else {
        let _ = g.table.release(id, req.len);
    }
    if let Some(slot) = g.slot_mut(id) {
        slot.stats.in_flight = slot.stats.in_flight.saturating_sub(1);
        slot.submitting -= 1;
        match outcome {
            Some(Outcome::Done { .. }) => slot.stats.bytes += req.len,
            Some(_) => slot.stats.errors += 1,
            None => slot.stats.requests -= 1,
        }
    }
    match outcome {
        Some(Outcome::Done { xor_nonzero }) => Some(Finish {
            status: 0,
            result: u32::from(xor_nonzero && shape.op == Op::XorVal),
        }),
        // Run again on the normal path, with failover.
        _ => None,
    }
}

// SPDX-License-Identifier: GPL-2.0

//! Bounded nesting: what keeps a chain of completions from growing the
//! kernel stack, however long the chain.
//!
//! A *call-out* is the layer calling code it does not own that may call
//! back into it: a consumer's completion callback (which may submit) or a
//! backend's `->submit` (which may report the job before it returns). The
//! layer counts its call-outs under way per CPU, with preemption disabled
//! for their length (neither may sleep anyway), so the count is that of the
//! current stack and of the interrupts that came on top of it.
//!
//! A step the layer would carry out while a call-out is under way on this
//! CPU (a submission from a callback, a report from inside `->submit`, a
//! completion in an interrupt that came during a call-out) is *deferred*:
//! queued here, and carried out by the outermost `flow::run()` of this CPU
//! once the call-out returned (any outermost `run()` may take it: each one
//! empties the queue before it returns). So a kernel stack holds at most
//! one call-out of the layer, and a step that waits here waits only for the
//! call-out it came from.
//!
//! The queue is intrusive: every request has room for one deferred step
//! ([`Link`]), so deferring needs no memory and cannot fail. A request
//! never has two steps waiting: a step is the one next action of its
//! request (submit its current attempt, or finish it); while a submission
//! waits here its backend does not have the job, so no report of it can
//! come, and unregistration waits for it (the backend's `submitting`);
//! finishing is a request's last step.

use super::{glue, layer::Step, request::Req};
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::{
    prelude::*,
    sync::{Arc, GlobalLockedBy},
};

/// The deferred steps, oldest first.
pub(crate) struct Queue {
    head: Option<Arc<Req>>,
    tail: Option<Arc<Req>>,
}

kernel::sync::global_lock! {
    // SAFETY: Initialized by `init()` in module init, before any request
    // exists.
    pub(crate) unsafe(uninit) static DEFERRED: SpinLockIrq<Queue> = Queue {
        head: None,
        tail: None,
    };
}

/// Steps in [`DEFERRED`]: an empty queue is seen without its lock.
static QUEUED: AtomicU32 = AtomicU32::new(0);

/// A request's room in the queue.
pub(crate) struct Room {
    step: Option<(Step, bool)>,
    next: Option<Arc<Req>>,
}

/// A request's room in the queue, under the queue's lock.
pub(crate) type Link = GlobalLockedBy<Room, DEFERRED>;

/// An empty [`Link`].
pub(crate) fn link() -> Link {
    GlobalLockedBy::new(Room {
        step: None,
        next: None,
    })
}

/// Initializes the queue.
///
/// # Safety
///
/// Called once, in module init, before any other function of this file.
pub(crate) unsafe fn init() {
    // SAFETY: By the function's safety requirements.
    unsafe { DEFERRED.init() };
}

/// Whether a call-out of the layer is under way on this CPU: what the
/// layer would carry out now must be deferred.
pub(super) fn in_callout() -> bool {
    glue::in_callout()
}

/// Runs `f`, a call-out (a callback or a backend's `->submit`), counted
/// for this CPU and with preemption disabled.
pub(super) fn callout<R>(f: impl FnOnce() -> R) -> R {
    let _guard = Callout::enter();
    f()
}

/// A call-out under way on this CPU.
struct Callout;

impl Callout {
    fn enter() -> Self {
        glue::callout_enter();
        Self
    }
}

impl Drop for Callout {
    fn drop(&mut self) {
        glue::callout_exit();
    }
}

/// Queues `step` (whose request may run inline if `inline_ok`) for the
/// outermost `run()`. Gives it back if its request has a step waiting
/// already, which the rules above exclude: the caller then carries it out
/// itself rather than lose it.
pub(super) fn defer(step: Step, inline_ok: bool) -> Result<(), (Step, bool)> {
    let req = match &step {
        Step::None => return Ok(()),
        Step::Submit(s) => s.req.clone(),
        Step::Finish(r, _) => r.clone(),
    };
    let mut g = DEFERRED.lock();
    let room = req.deferred.as_mut(&mut g);
    if room.step.is_some() {
        return Err((step, inline_ok));
    }
    room.step = Some((step, inline_ok));
    match g.tail.take() {
        Some(t) => t.deferred.as_mut(&mut g).next = Some(req.clone()),
        None => g.head = Some(req.clone()),
    }
    g.tail = Some(req);
    QUEUED.fetch_add(1, Ordering::Release);
    Ok(())
}

/// Whether any step is deferred (for an outermost `run()` to carry out).
pub(super) fn any_deferred() -> bool {
    QUEUED.load(Ordering::Acquire) != 0
}

/// The oldest deferred step, taken from the queue.
pub(super) fn next() -> Option<(Step, bool)> {
    if !any_deferred() {
        return None;
    }
    let mut g = DEFERRED.lock();
    let req = g.head.take()?;
    let room = req.deferred.as_mut(&mut g);
    let next = room.next.take();
    let step = room.step.take();
    if next.is_none() {
        g.tail = None;
    }
    g.head = next;
    QUEUED.fetch_sub(1, Ordering::Relaxed);
    drop(g);
    // The request may go with its last reference here, out of the lock.
    drop(req);
    step
}

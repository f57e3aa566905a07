// SPDX-License-Identifier: GPL-2.0

//! The life of a request in the kernel: selection, mapping, submission,
//! completion, failover, finishing and starting dependents. Each function
//! computes a [`Step`] under [`LAYER`] (`layer.rs`) and carries it out
//! after dropping the lock; a backend's mapping of an attempt is dropped
//! (unmapped) before the next attempt of the same request runs. Callbacks
//! and backends' `->submit` are call-outs: a step due while one is under
//! way on this CPU is deferred to the outermost [`run`] (`nesting.rs`), so
//! nothing here nests on the stack.

use super::{
    backend::{Job, Outcome, Refusal, Ticket},
    backend_select::Op,
    fast_path::{may_inline, try_inline, Shape},
    glue,
    layer::{Step, Submit, Waiting, LAYER, MAX_LEN},
    mapping::{Addrs, Mapping},
    nesting,
    request::{Finish, Notify, Operands, Req},
};
use kernel::{prelude::*, sync::Arc};

/// Selects a backend for a pending `req`.
pub(super) fn start_step(req: &Arc<Req>) -> Step {
    let now = glue::now_ns();
    let mut g = LAYER.lock();
    let candidates = g.candidates(req.op);
    let mut rm = req.inner.lock();
    let action = rm.state.start_in(&mut g.table, candidates, now);
    let step = g.apply(req, &mut rm, action, now);
    g.queues_changed(now);
    step
}

/// How an attempt ended, as the layer sees it.
#[derive(Clone, Copy)]
enum End {
    /// The backend reported it.
    Reported(Outcome),
    /// It never reached the backend: refused at submission (or its
    /// buffers could not be mapped). `busy`: for now (full, mapping), not
    /// for good (going away).
    Refused { busy: bool },
}

/// Ends the attempt of ticket `t` with `outcome`; returns what follows.
pub(super) fn complete_step(t: Ticket, outcome: Outcome) -> Step {
    end_step(t, End::Reported(outcome))
}

/// Ends the attempt of ticket `t`; returns what follows. A reported
/// attempt made room on its backend: the requests waiting for room are
/// retried, their steps deferred to the `run()` that carries this one out.
fn end_step(t: Ticket, end: End) -> Step {
    let now = glue::now_ns();
    let (step, mapping, waiting) = {
        let mut g = LAYER.lock();
        let Some(f) = g.take_flight(t) else {
            return Step::None;
        };
        let len = u64::from(f.req.len);
        if let Some(s) = g.slot_mut(f.attempt.backend) {
            s.stats.in_flight = s.stats.in_flight.saturating_sub(1);
            match end {
                End::Reported(Outcome::Done { .. }) => s.stats.bytes += len,
                End::Reported(Outcome::Failed | Outcome::TimedOut) => {
                    s.stats.errors += 1;
                    s.stats.failovers += 1;
                }
                End::Reported(Outcome::Aborted) | End::Refused { busy: false } => {
                    s.stats.failovers += 1
                }
                End::Refused { busy: true } => {
                    s.stats.failovers += 1;
                    s.stats.busy += 1;
                }
            }
        }
        let mut rm = f.req.inner.lock();
        let mapping = rm.mapping.take();
        let table = &mut g.table;
        let action = match end {
            End::Reported(Outcome::Done { result }) => {
                rm.result = result & f.req.op.result_mask();
                rm.state.complete(table, f.attempt, true, now)
            }
            End::Reported(Outcome::Failed) => rm.state.complete(table, f.attempt, false, now),
            End::Reported(Outcome::TimedOut) => rm.state.timeout(table, f.attempt, now),
            End::Reported(Outcome::Aborted) | End::Refused { busy: false } => {
                rm.state.unplug(table, f.attempt.backend, now)
            }
            End::Refused { busy: true } => rm.state.busy(table, f.attempt, now),
        };
        let step = g.apply(&f.req, &mut rm, action, now);
        drop(rm);
        g.queues_changed(now);
        let waiting = matches!(end, End::Reported(_)).then(|| g.take_waiting());
        (step, mapping, waiting)
    };
    // Unmap before any next attempt touches the buffers.
    drop(mapping);
    if let Some(w) = waiting {
        retry(w);
    }
    step
}

/// Retries `waiting`, oldest first: their steps are deferred to the
/// `run()` under way on this CPU, or carried out now if there is none.
pub(super) fn retry(waiting: Waiting) {
    for req in waiting.oldest_first() {
        let step = retry_step(&req);
        if let Err((step, inline)) = nesting::defer(step, false) {
            carry_out(step, inline, false);
        }
    }
}

/// A request that waited for room tries again.
fn retry_step(req: &Arc<Req>) -> Step {
    let now = glue::now_ns();
    let mut g = LAYER.lock();
    let mut rm = req.inner.lock();
    let action = rm.state.retry(&mut g.table, now);
    let step = g.apply(req, &mut rm, action, now);
    g.queues_changed(now);
    step
}

impl Submit {
    /// Maps the buffers and gives the job to the backend (or runs it now,
    /// if `inline_ok` and the backend can); returns what follows.
    fn run(self, inline_ok: bool) -> Step {
        let req = &self.req;
        let start = self.timed.then(glue::now_ns);
        let addrs = match &self.dev {
            Some(dev) => match Mapping::new(dev, req) {
                Ok((m, a)) => {
                    req.inner.lock().mapping = Some(m);
                    a
                }
                Err(_) => {
                    let t = self.ticket;
                    return self.done(end_step(t, End::Refused { busy: true }), None);
                }
            },
            None => Addrs::virtual_of(req),
        };
        let job = Job {
            op: req.op,
            len: req.len,
            dst: addrs.dst,
            q: addrs.q,
            srcs: addrs.srcs.get(..addrs.n).unwrap_or(&[]),
            coefs: &req.coefs,
            pattern: req.pattern,
            accumulate: req.accumulate,
            ticket: self.ticket,
        };
        let inline = inline_ok && may_inline(req.len, req.flags) && glue::may_run_work();
        let ran = if inline {
            self.ops.run_inline(&job)
        } else {
            None
        };
        let (step, took) = match ran {
            Some(outcome) => (complete_step(self.ticket, outcome), None),
            None => match nesting::callout(|| self.ops.submit(&job)) {
                Ok(()) => (Step::None, start.map(|t| glue::now_ns().saturating_sub(t))),
                Err(r) => (
                    end_step(
                        self.ticket,
                        End::Refused {
                            busy: r == Refusal::Busy,
                        },
                    ),
                    None,
                ),
            },
        };
        self.done(step, took)
    }

    /// The submission is over: drops the backend references, then lets an
    /// unregistration waiting for it go on. `took`: how long the mapping
    /// and the backend's `->submit` took, if timed and taken.
    fn done(self, step: Step, took: Option<u64>) -> Step {
        let Self { id, ops, dev, .. } = self;
        drop(ops);
        drop(dev);
        let mut g = LAYER.lock();
        if let Some(s) = g.slot_mut(id) {
            s.submitting -= 1;
        }
        if let Some(ns) = took {
            g.learn_drive(id, |d| d.add_submission(ns));
        }
        step
    }
}

/// Carries out `first` and everything that follows from it: submissions,
/// completions, the dependents of completed requests; then, if this is the
/// outermost `run` of the CPU, every deferred step. Only `first`'s own
/// submissions may run inline (`inline_ok`). Inside a call-out, `first` is
/// deferred instead (`nesting.rs`).
pub(super) fn run(first: Step, inline_ok: bool) {
    if nesting::in_callout() {
        if let Err((step, inline)) = nesting::defer(first, inline_ok) {
            carry_out(step, inline, false);
        }
        return;
    }
    carry_out(first, inline_ok, true);
}

/// Carries out `first` and what follows, then (if `drain`) the deferred
/// steps, one after the other on this stack. Dependents of a finished
/// request are deferred too, so that their order is the queue's.
fn carry_out(first: Step, inline_ok: bool, drain: bool) {
    let mut next = Some((first, inline_ok));
    loop {
        let Some((step, inline)) = next.take().or_else(|| drain.then(nesting::next).flatten())
        else {
            return;
        };
        match step {
            Step::None => {}
            Step::Submit(s) => next = Some((s.run(inline), inline)),
            Step::Finish(req, fin) => {
                for dep in req.finish(fin) {
                    let step = if fin.status == 0 {
                        start_step(&dep)
                    } else {
                        Step::Finish(
                            dep,
                            Finish {
                                status: ECANCELED.to_errno(),
                                result: 0,
                            },
                        )
                    };
                    if let Err((step, _)) = nesting::defer(step, false) {
                        carry_out(step, false, false);
                    }
                }
            }
        }
    }
}

/// How a submission went.
pub(crate) enum Submitted {
    /// The fast path ran it already (its callback too).
    Done(Finish),
    /// It is under way (or waiting for its dependency).
    Started(Arc<Req>),
}

/// Checks the buffers (1 to `LBDX_MAX_LEN` bytes each, in the linear map),
/// then runs the request on the fast path (no dependency) or builds and
/// submits it. `notify` is called exactly once either way, unless this
/// returns an error. Inlined into each entry of the C API, with the checks
/// and the context in one call of the glue (`glue::admit`): on the fast
/// path the calls are most of the cost.
#[inline(always)]
pub(crate) fn start(
    op: Op,
    len: usize,
    o: &Operands<'_>,
    flags: u32,
    notify: Option<Notify>,
    depend: Option<&Arc<Req>>,
) -> Result<Submitted> {
    if len == 0
        || len as u64 > MAX_LEN
        || o.coefs.len() != if op.is_pq() { o.srcs.len() } else { 0 }
    {
        return Err(EINVAL);
    }
    let may_run_now = glue::admit(o.dst, o.q, o.srcs, len)?;
    // Inside a call-out, even a request the CPU would run at once waits for
    // it to return (`nesting.rs`): `glue::admit` says it may not run now,
    // and the normal path defers it.
    if depend.is_none() && may_run_now {
        let shape = Shape {
            op,
            len: len as u32,
            o,
            flags,
        };
        if let Some(fin) = try_inline(&shape) {
            if let Some(n) = &notify {
                n.call(fin);
                // What the callback submitted waited for it to return
                // (deferred, if anything).
                if nesting::any_deferred() {
                    run(Step::None, false);
                }
            }
            return Ok(Submitted::Done(fin));
        }
    }
    start_req(op, len, o, flags, notify, depend)
}

/// Builds the request of [`start`] that the fast path did not run, and
/// submits it.
#[inline(never)]
fn start_req(
    op: Op,
    len: usize,
    o: &Operands<'_>,
    flags: u32,
    notify: Option<Notify>,
    depend: Option<&Arc<Req>>,
) -> Result<Submitted> {
    let req = Req::new(op, len as u32, o, flags, notify)?;
    submit(req.clone(), depend)?;
    Ok(Submitted::Started(req))
}

/// Starts `req` once `depend` (if any) completed successfully; cancels it
/// if `depend` failed. If `depend` already succeeded (or there is none),
/// the request starts in the caller's thread and may run there (see
/// [`Submit::run`]).
fn submit(req: Arc<Req>, depend: Option<&Arc<Req>>) -> Result {
    if let Some(d) = depend {
        let mut dm = d.inner.lock();
        match dm.finished {
            Some(f) if f.status == 0 => {}
            Some(_) => {
                drop(dm);
                let fin = Finish {
                    status: ECANCELED.to_errno(),
                    result: 0,
                };
                run(Step::Finish(req, fin), false);
                return Ok(());
            }
            None => {
                dm.dependents.push(req, GFP_ATOMIC)?;
                return Ok(());
            }
        }
    }
    run(start_step(&req), true);
    Ok(())
}

/// A backend reports how the attempt `ticket` ended. Reports of attempts
/// that are over are ignored.
pub(crate) fn complete(ticket: Ticket, outcome: Outcome) {
    run(complete_step(ticket, outcome), false);
}

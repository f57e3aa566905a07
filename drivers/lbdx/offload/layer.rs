// SPDX-License-Identifier: GPL-2.0

//! The async-offload layer's shared state and the life of every request in
//! the kernel: registration of backends, selection, submission, completion,
//! failover and unregistration.
//!
//! One IRQ-safe spinlock, [`LAYER`], guards the backend table
//! (`backend_select.rs`), the registered backends and the *flights*: one
//! entry per attempt a backend holds, found again by the attempt's
//! [`Ticket`] (slot index and stamp), so that a late or repeated report of
//! an attempt that is over finds nothing and is ignored. A request's own
//! lock (`request.rs`) nests inside it; no lock is held while a backend or
//! a callback runs.
//!
//! Every state change computes a [`Step`] under the lock and carries it
//! out after dropping the lock: map and submit to a backend, or finish the
//! request. Finishing starts (or cancels) its dependents from a work list,
//! so a chain of any length never recurses.
//!
//! A backend's buffers mapping of an attempt is dropped (unmapped) before
//! the next attempt of the same request runs.

use super::{
    backend::{Backend, Desc, Job, Outcome, Ticket, NAME_LEN},
    backend_select::{BackendDesc, BackendId, BackendTable, HealthRules, Policy, MAX_BACKENDS},
    glue,
    mapping::{Addrs, Mapping},
    request::{Finish, Req, ReqMut, SUBMIT_WILL_WAIT},
    request_state::{Action, Attempt, Status},
};
use kernel::{
    device::Device,
    prelude::*,
    sync::{aref::ARef, Arc},
    time::{delay::fsleep, Delta},
};

/// Requests up to this size may run in the submitter's thread when the CPU
/// is picked; larger ones only with `LBDX_SUBMIT_WILL_WAIT`.
const INLINE_MAX: u32 = 4096;

/// Counters of one backend, shown in sysfs.
#[derive(Clone, Copy, Default)]
pub(crate) struct Stats {
    /// Attempts given to it.
    pub(crate) requests: u64,
    /// Bytes it completed successfully.
    pub(crate) bytes: u64,
    /// Attempts it failed or timed out.
    pub(crate) errors: u64,
    /// Attempts taken from it and sent back to selection (errors,
    /// timeouts, aborts, refusals, unplug).
    pub(crate) failovers: u64,
    /// Attempts it holds now.
    pub(crate) in_flight: u64,
}

/// A backend's name: at most [`NAME_LEN`] bytes of `[a-z0-9_.:-]`.
#[derive(Clone, Copy)]
pub(crate) struct Name {
    bytes: [u8; NAME_LEN + 1],
    len: usize,
}

impl Name {
    /// `s` if it is a valid name.
    pub(crate) fn new(s: &[u8]) -> Result<Self> {
        let ok = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit() || b"_.:-".contains(c);
        if s.is_empty() || s.len() > NAME_LEN || !s.iter().all(ok) {
            return Err(EINVAL);
        }
        let mut bytes = [0u8; NAME_LEN + 1];
        bytes[..s.len()].copy_from_slice(s);
        Ok(Self {
            bytes,
            len: s.len(),
        })
    }

    /// The name, NUL-terminated.
    pub(crate) fn as_cstr(&self) -> &CStr {
        CStr::from_bytes_with_nul(&self.bytes[..=self.len]).unwrap_or(c"?")
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// A registered backend.
struct Slot {
    id: BackendId,
    ops: Arc<dyn Backend>,
    dev: Option<ARef<Device>>,
    name: Name,
    stats: Stats,
    // Submissions under way outside the lock; unregistering waits for 0.
    submitting: u32,
    // Unregistering: never selected again.
    closing: bool,
    // The operator's `enabled` switch.
    enabled: bool,
}

/// An attempt a backend holds.
struct Flight {
    req: Arc<Req>,
    attempt: Attempt,
    stamp: u32,
}

/// What the layer's lock guards.
pub(crate) struct Inner {
    table: BackendTable,
    slots: [Option<Slot>; MAX_BACKENDS],
    // INVARIANT: `free` lists exactly the `None` entries of `flights`.
    flights: KVec<Option<Flight>>,
    free: KVec<u32>,
    stamp: u32,
}

kernel::sync::global_lock! {
    // SAFETY: Initialized by `init()` in module init before any backend or
    // consumer can reach the layer.
    pub(crate) unsafe(uninit) static LAYER: SpinLockIrq<Inner> = Inner::new();
}

/// Initializes the layer.
///
/// # Safety
///
/// Called once, in module init, before any other function of this file.
pub(crate) unsafe fn init() {
    // SAFETY: By the function's safety requirements.
    unsafe { LAYER.init() };
}

/// What to do once the lock is dropped.
pub(super) enum Step {
    /// Nothing.
    None,
    /// Map the buffers and give the job to a backend.
    Submit(Submit),
    /// Complete the request.
    Finish(Arc<Req>, Finish),
}

/// A job about to be given to a backend. Counted in the backend's
/// `submitting` until [`Submit::done`].
pub(super) struct Submit {
    req: Arc<Req>,
    ticket: Ticket,
    id: BackendId,
    ops: Arc<dyn Backend>,
    dev: Option<ARef<Device>>,
}

fn ticket(index: u32, stamp: u32) -> Ticket {
    Ticket((u64::from(index) << 32) | u64::from(stamp))
}

impl Inner {
    const fn new() -> Self {
        Self {
            table: BackendTable::new(HealthRules {
                fail_threshold: 3,
                cooldown_ns: 1_000_000_000,
            }),
            slots: [const { None }; MAX_BACKENDS],
            flights: KVec::new(),
            free: KVec::new(),
            stamp: 0,
        }
    }

    fn slot_mut(&mut self, id: BackendId) -> Option<&mut Slot> {
        self.slots
            .get_mut(id.slot())
            .and_then(Option::as_mut)
            .filter(|s| s.id == id)
    }

    /// Tells the table which backends may be selected now.
    fn refresh(&mut self) {
        for s in self.slots.iter().flatten() {
            let available = s.enabled && !s.closing && s.ops.healthy();
            let _ = self.table.set_available(s.id, available);
        }
    }

    /// Records a flight for `attempt` of `req`; `None` without memory.
    fn add_flight(&mut self, req: &Arc<Req>, attempt: Attempt) -> Option<Ticket> {
        self.stamp = self.stamp.wrapping_add(1);
        let flight = Flight {
            req: req.clone(),
            attempt,
            stamp: self.stamp,
        };
        let index = match self.free.pop() {
            Some(i) => i,
            None => {
                let i = u32::try_from(self.flights.len()).ok()?;
                // Reserve the free-list room now so that removal never
                // needs memory: room for every entry, the new one
                // included, since all of them may be free at once.
                let room = (self.flights.len() + 1).saturating_sub(self.free.len());
                self.free.reserve(room, GFP_ATOMIC).ok()?;
                self.flights.push(None, GFP_ATOMIC).ok()?;
                i
            }
        };
        let entry = self.flights.get_mut(index as usize)?;
        *entry = Some(flight);
        Some(ticket(index, self.stamp))
    }

    /// Removes and returns the flight of `t`, if it is still there.
    fn take_flight(&mut self, t: Ticket) -> Option<Flight> {
        let index = (t.0 >> 32) as u32;
        let stamp = t.0 as u32;
        let entry = self.flights.get_mut(index as usize)?;
        if entry.as_ref()?.stamp != stamp {
            return None;
        }
        let f = entry.take();
        // Cannot fail: room was reserved when the entry was created.
        let _ = self.free.push_within_capacity(index);
        f
    }

    /// The ticket of a flight of backend `id`, if it holds one.
    fn any_flight_of(&self, id: BackendId) -> Option<Ticket> {
        self.flights.iter().enumerate().find_map(|(i, f)| {
            let f = f.as_ref()?;
            (f.attempt.backend == id).then(|| ticket(i as u32, f.stamp))
        })
    }

    /// Turns the state machine's `action` for `req` into a [`Step`].
    fn apply(&mut self, req: &Arc<Req>, rm: &mut ReqMut, mut action: Action, now: u64) -> Step {
        loop {
            match action {
                Action::Ignore => return Step::None,
                Action::Complete(Status::Ok) => {
                    return Step::Finish(
                        req.clone(),
                        Finish {
                            status: 0,
                            result: rm.result,
                        },
                    )
                }
                Action::Complete(Status::NoBackend) => {
                    return Step::Finish(
                        req.clone(),
                        Finish {
                            status: EIO.to_errno(),
                            result: 0,
                        },
                    )
                }
                Action::Submit(attempt) => {
                    let ticket = self.add_flight(req, attempt);
                    match (ticket, self.slot_mut(attempt.backend)) {
                        (Some(ticket), Some(slot)) => {
                            slot.stats.requests += 1;
                            slot.stats.in_flight += 1;
                            slot.submitting += 1;
                            return Step::Submit(Submit {
                                req: req.clone(),
                                ticket,
                                id: slot.id,
                                ops: slot.ops.clone(),
                                dev: slot.dev.clone(),
                            });
                        }
                        (ticket, _) => {
                            // No memory for the flight: try elsewhere.
                            if let Some(t) = ticket {
                                drop(self.take_flight(t));
                            }
                            action = rm.state.unplug(&mut self.table, attempt.backend, now);
                        }
                    }
                }
            }
        }
    }
}

/// Selects a backend for a pending `req`.
fn start_step(req: &Arc<Req>) -> Step {
    let now = glue::now_ns();
    let mut g = LAYER.lock();
    g.refresh();
    let mut rm = req.inner.lock();
    let action = rm.state.start(&mut g.table, now);
    g.apply(req, &mut rm, action, now)
}

/// Ends the attempt of ticket `t` with `outcome`; returns what follows.
fn complete_step(t: Ticket, outcome: Outcome) -> Step {
    let now = glue::now_ns();
    let (step, mapping) = {
        let mut g = LAYER.lock();
        let Some(f) = g.take_flight(t) else {
            return Step::None;
        };
        let len = u64::from(f.req.len);
        if let Some(s) = g.slot_mut(f.attempt.backend) {
            s.stats.in_flight = s.stats.in_flight.saturating_sub(1);
            match outcome {
                Outcome::Done { .. } => s.stats.bytes += len,
                Outcome::Failed | Outcome::TimedOut => {
                    s.stats.errors += 1;
                    s.stats.failovers += 1;
                }
                Outcome::Aborted => s.stats.failovers += 1,
            }
        }
        g.refresh();
        let mut rm = f.req.inner.lock();
        let mapping = rm.mapping.take();
        let action = match outcome {
            Outcome::Done { xor_nonzero } => {
                rm.result = u32::from(xor_nonzero);
                rm.state.complete(&mut g.table, f.attempt, true, now)
            }
            Outcome::Failed | Outcome::TimedOut => {
                rm.state.complete(&mut g.table, f.attempt, false, now)
            }
            Outcome::Aborted => rm.state.unplug(&mut g.table, f.attempt.backend, now),
        };
        (g.apply(&f.req, &mut rm, action, now), mapping)
    };
    // Unmap before any next attempt touches the buffers.
    drop(mapping);
    step
}

impl Submit {
    /// Maps the buffers and gives the job to the backend (or runs it now,
    /// if `inline_ok` and the backend can); returns what follows.
    fn run(self, inline_ok: bool) -> Step {
        let req = &self.req;
        let addrs = match &self.dev {
            Some(dev) => match Mapping::new(dev, req) {
                Ok((m, a)) => {
                    req.inner.lock().mapping = Some(m);
                    a
                }
                Err(_) => {
                    let t = self.ticket;
                    return self.done(complete_step_refused(t));
                }
            },
            None => Addrs::virtual_of(req),
        };
        let job = Job {
            op: req.op,
            len: req.len,
            dst: addrs.dst,
            srcs: addrs.srcs.get(..addrs.n).unwrap_or(&[]),
            pattern: req.pattern,
            ticket: self.ticket,
        };
        let inline = inline_ok
            && (req.len <= INLINE_MAX || req.flags & SUBMIT_WILL_WAIT != 0)
            && glue::may_run_work();
        let ran = if inline {
            self.ops.run_inline(&job)
        } else {
            None
        };
        let step = match ran {
            Some(outcome) => complete_step(self.ticket, outcome),
            None => match self.ops.submit(&job) {
                Ok(()) => Step::None,
                Err(_) => complete_step_refused(self.ticket),
            },
        };
        self.done(step)
    }

    /// The submission is over: drops the backend references, then lets an
    /// unregistration waiting for it go on.
    fn done(self, step: Step) -> Step {
        let Self { id, ops, dev, .. } = self;
        drop(ops);
        drop(dev);
        if let Some(s) = LAYER.lock().slot_mut(id) {
            s.submitting -= 1;
        }
        step
    }
}

/// A backend refused the job (or it could not be mapped): back to
/// selection without counting a failure.
fn complete_step_refused(t: Ticket) -> Step {
    complete_step(t, Outcome::Aborted)
}

/// Carries out `first` and everything that follows from it: submissions,
/// completions, the dependents of completed requests. Only `first`'s own
/// submissions may run inline (`inline_ok`).
pub(super) fn run(first: Step, inline_ok: bool) {
    let mut todo: KVec<Step> = KVec::new();
    let mut next = Some((first, inline_ok));
    while let Some((step, inline)) = next.take().or_else(|| todo.pop().map(|s| (s, false))) {
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
                    if todo.reserve(1, GFP_ATOMIC).is_err() {
                        // No memory for the list: go deeper instead.
                        run(step, false);
                    } else if let Err(e) = todo.push_within_capacity(step) {
                        run(e.0, false);
                    }
                }
            }
        }
    }
}

/// Starts `req` once `depend` (if any) completed successfully; cancels it
/// if `depend` failed. Inline execution is allowed for a request without a
/// dependency whose submitter may run work.
pub(crate) fn submit(req: Arc<Req>, depend: Option<&Arc<Req>>) -> Result {
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

/// Sets the selection policy.
pub(crate) fn set_policy(policy: Policy) {
    LAYER.lock().table.set_policy(policy);
}

/// The selection policy.
pub(crate) fn policy() -> Policy {
    LAYER.lock().table.policy()
}

/// The registration generation.
pub(crate) fn generation() -> u64 {
    LAYER.lock().table.generation()
}

/// What sysfs shows about one backend.
pub(crate) struct Report {
    /// Counters.
    pub(crate) stats: Stats,
    /// Bytes queued.
    pub(crate) queued: u64,
    /// Bandwidth estimate, bytes per second.
    pub(crate) bandwidth: u64,
    /// Health word.
    pub(crate) health: &'static str,
    /// The operator's switch.
    pub(crate) enabled: bool,
}

/// The report on backend `id`; `None` once it is gone.
pub(crate) fn report(id: BackendId) -> Option<Report> {
    let mut g = LAYER.lock();
    let st = g.table.status(id).ok()?;
    let s = g.slot_mut(id)?;
    let health = if !s.enabled {
        "disabled"
    } else if !s.ops.healthy() {
        "dead"
    } else if st.health != super::backend_select::Health::Healthy {
        "degraded"
    } else {
        "healthy"
    };
    Some(Report {
        stats: s.stats,
        queued: st.queued,
        bandwidth: st.bandwidth,
        health,
        enabled: s.enabled,
    })
}

/// The backend registered as `name`.
#[cfg(CONFIG_KUNIT)]
pub(crate) fn find(name: &[u8]) -> Option<BackendId> {
    let g = LAYER.lock();
    g.slots
        .iter()
        .flatten()
        .find(|s| s.name.as_bytes() == name)
        .map(|s| s.id)
}

/// Sets the operator's `enabled` switch of backend `id`.
pub(crate) fn set_enabled(id: BackendId, enabled: bool) -> Result {
    let mut g = LAYER.lock();
    g.slot_mut(id).ok_or(ENODEV)?.enabled = enabled;
    g.refresh();
    Ok(())
}

/// Registers a backend; returns its identifier.
pub(crate) fn register(desc: Desc, ops: Arc<dyn Backend>) -> Result<(BackendId, Name)> {
    let name = Name::new(&desc.name)?;
    let mut g = LAYER.lock();
    if g.slots
        .iter()
        .flatten()
        .any(|s| s.name.as_bytes() == name.as_bytes())
    {
        return Err(EEXIST);
    }
    let id = g
        .table
        .register(BackendDesc {
            caps: desc.caps,
            bandwidth: desc.bandwidth,
            request_cost_ns: desc.request_cost_ns,
            is_cpu: desc.is_cpu,
        })
        .map_err(|e| Error::from_errno(-e.errno()))?;
    let slot = Slot {
        id,
        ops,
        dev: desc.dev,
        name,
        stats: Stats::default(),
        submitting: 0,
        closing: false,
        enabled: true,
    };
    match g.slots.get_mut(id.slot()) {
        Some(s) => *s = Some(slot),
        None => {
            let _ = g.table.unregister(id);
            return Err(EINVAL);
        }
    }
    Ok((id, name))
}

/// Unregisters backend `id` (process context): selection stops picking it,
/// submissions under way finish, then every attempt it still holds goes
/// back to selection (or completes with `EIO` if no backend is left).
pub(crate) fn unregister(id: BackendId) {
    if let Some(s) = LAYER.lock().slot_mut(id) {
        s.closing = true;
    }
    while LAYER.lock().slot_mut(id).is_some_and(|s| s.submitting != 0) {
        fsleep(Delta::from_micros(100));
    }
    let slot = {
        let mut g = LAYER.lock();
        let _ = g.table.unregister(id);
        g.slots.get_mut(id.slot()).and_then(Option::take)
    };
    // Fail over, one at a time, what the backend still holds. The table no
    // longer knows the backend, so it is never picked again.
    loop {
        let Some(t) = LAYER.lock().any_flight_of(id) else {
            break;
        };
        complete(t, Outcome::Aborted);
    }
    // The backend's last layer reference goes here, in process context.
    drop(slot);
}

/// Replaces the bandwidth estimate of backend `id`.
pub(crate) fn set_bandwidth(id: BackendId, bytes_per_sec: u64) {
    let _ = LAYER.lock().table.set_bandwidth(id, bytes_per_sec);
}

// SPDX-License-Identifier: GPL-2.0

//! The async-offload layer's shared state: the backend table, the
//! registered backends and the flights, under one lock, and how a failover
//! state machine's action becomes a [`Step`]. `flow.rs` carries steps out
//! (a request's life), `fast_path.rs` runs small requests on the CPU
//! without allocating, `registry.rs` registers and unregisters backends and
//! answers sysfs.
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
    backend::{Backend, Ticket, NAME_LEN},
    backend_select::{
        BackendId, BackendTable, CandidateCache, HealthRules, Op, Policy, Request, SlotMask,
        MAX_BACKENDS,
    },
    deadline,
    drive_estimate::DriveEstimate,
    fast_path, glue,
    request::{Finish, Req, ReqMut},
    request_state::{Action, Attempt, Status},
};
use kernel::{
    device::Device,
    prelude::*,
    sync::{aref::ARef, Arc},
};

/// Requests up to this size may always run in the submitter's thread when
/// the CPU is picked. Up to the bytes the CPU moves in the time a hand-off
/// to its worker costs (see [`inline_max`]) they may too: waiting for the
/// worker would take longer. Larger ones only with
/// `LBDX_SUBMIT_WILL_WAIT`.
pub(super) const INLINE_MIN: u32 = 4096;

/// Never more than this runs inline without `LBDX_SUBMIT_WILL_WAIT`.
const INLINE_CAP: u64 = 1 << 20;

/// The inline limit for a CPU backend of `bandwidth` bytes per second whose
/// worker hand-off costs `handoff_ns`: what it copies in that time, within
/// `INLINE_MIN..=INLINE_CAP`.
pub(super) fn inline_max(bandwidth: u64, handoff_ns: u64) -> u32 {
    let bytes = (bandwidth / 1000).saturating_mul(handoff_ns) / 1_000_000;
    bytes.clamp(u64::from(INLINE_MIN), INLINE_CAP) as u32
}

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
    /// Of the failovers, refusals for now (full, or buffers that could
    /// not be mapped): the request went elsewhere or waited for room.
    pub(crate) busy: u64,
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

    pub(super) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// A registered backend.
pub(super) struct Slot {
    pub(super) id: BackendId,
    pub(super) ops: Arc<dyn Backend>,
    pub(super) dev: Option<ARef<Device>>,
    pub(super) name: Name,
    pub(super) stats: Stats,
    // Submissions under way outside the lock; unregistering waits for 0.
    pub(super) submitting: u32,
    // Unregistering: never selected again.
    pub(super) closing: bool,
    // The operator's `enabled` switch.
    pub(super) enabled: bool,
    // What the backend last reported of itself (`Event`).
    pub(super) state: BackendState,
    // Its drive cost as learnt from its requests (never for the CPU
    // backend, whose copies are its own CPU time).
    pub(super) drive: DriveEstimate,
    // The table's drive cost follows `drive` (the operator did not set one).
    pub(super) drive_auto: bool,
    // Not the CPU backend: its submissions are timed.
    pub(super) learns: bool,
}

/// A backend's own state, as its last [`super::backend::Event`] said.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum BackendState {
    /// Takes work.
    Running,
    /// A recovery under way.
    Halted,
    /// Never again.
    Dead,
}

/// An attempt a backend holds.
pub(super) struct Flight {
    pub(super) req: Arc<Req>,
    pub(super) attempt: Attempt,
    pub(super) stamp: u32,
    // When the layer gives up on it (`deadline.rs`), monotonic ns.
    pub(super) deadline: u64,
}

/// What the layer's lock guards.
pub(crate) struct Inner {
    pub(super) table: BackendTable,
    // Per operation, the backends offering it; rebuilt when the table's
    // generation moves (a backend registered or unregistered).
    pub(super) caches: [CandidateCache; OPS],
    pub(super) slots: [Option<Slot>; MAX_BACKENDS],
    // INVARIANT: `free` lists exactly the `None` entries of `flights`.
    pub(super) flights: KVec<Option<Flight>>,
    pub(super) free: KVec<u32>,
    pub(super) stamp: u32,
    // Requests waiting for a busy backend to make room, newest first,
    // linked through `ReqMut::wait_next`; retried at the next completion.
    pub(super) waiting: Option<Arc<Req>>,
    // When the fast path's limits were last computed, monotonic ns.
    pub(super) limits_at: u64,
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

/// Frees what the layer's state owns (module exit, after every backend
/// unregistered and every request ended): a `static` is never dropped, so
/// the heap its vectors hold would outlive the module.
pub(crate) fn release() {
    let old = core::mem::replace(&mut *LAYER.lock(), Inner::new());
    drop(old);
}

impl Inner {
    /// Takes the requests waiting for room (a completion made some).
    pub(super) fn take_waiting(&mut self) -> Waiting {
        Waiting(self.waiting.take())
    }
}

/// Requests taken from the waiting list, linked through their
/// `ReqMut::wait_next` (each request's lock taken in turn, never two at
/// once, and never under the layer's lock).
pub(super) struct Waiting(Option<Arc<Req>>);

impl Waiting {
    /// The same requests, oldest first (the list is newest first).
    pub(super) fn oldest_first(self) -> Self {
        let mut prev = None;
        let mut cur = self.0;
        while let Some(r) = cur {
            cur = core::mem::replace(&mut r.inner.lock().wait_next, prev);
            prev = Some(r);
        }
        Self(prev)
    }
}

impl Iterator for Waiting {
    type Item = Arc<Req>;

    fn next(&mut self) -> Option<Arc<Req>> {
        let r = self.0.take()?;
        self.0 = r.inner.lock().wait_next.take();
        Some(r)
    }
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
    pub(super) req: Arc<Req>,
    pub(super) ticket: Ticket,
    pub(super) id: BackendId,
    pub(super) ops: Arc<dyn Backend>,
    pub(super) dev: Option<ARef<Device>>,
    /// Time the mapping and the backend's `->submit` (for its drive cost).
    pub(super) timed: bool,
}

/// Operations: the length of per-operation arrays.
pub(super) const OPS: usize = Op::ALL.len();

/// Longest the fast path's limits lag queues and bandwidth estimates
/// under load: 1 ms ([`Inner::queues_changed`]).
const LIMITS_PERIOD_NS: u64 = 1_000_000;

/// Most bytes of one request (`LBDX_MAX_LEN`).
pub(super) const MAX_LEN: u64 = 1 << 30;

/// The smallest request of `op`: what every backend offering `op` can do.
const fn template(op: Op) -> Request {
    Request {
        op,
        len: 1,
        sources: 2,
        align: 1 << 31,
    }
}

pub(super) fn ticket(index: u32, stamp: u32) -> Ticket {
    Ticket((u64::from(index) << 32) | u64::from(stamp))
}

impl Inner {
    const fn new() -> Self {
        Self {
            table: BackendTable::new(HealthRules {
                fail_threshold: 3,
                cooldown_ns: 1_000_000_000,
            }),
            caches: [
                CandidateCache::new(template(Op::ALL[0])),
                CandidateCache::new(template(Op::ALL[1])),
                CandidateCache::new(template(Op::ALL[2])),
                CandidateCache::new(template(Op::ALL[3])),
                CandidateCache::new(template(Op::ALL[4])),
                CandidateCache::new(template(Op::ALL[5])),
            ],
            slots: [const { None }; MAX_BACKENDS],
            flights: KVec::new(),
            free: KVec::new(),
            stamp: 0,
            waiting: None,
            limits_at: 0,
        }
    }

    /// The backends that offer `op` at all.
    pub(super) fn candidates(&mut self, op: Op) -> SlotMask {
        self.caches[op.index()].candidates(&self.table)
    }

    pub(super) fn slot_mut(&mut self, id: BackendId) -> Option<&mut Slot> {
        self.table_and_slot(id).map(|(_, s)| s)
    }

    /// The table and backend `id`'s slot, to change both at once.
    pub(super) fn table_and_slot(
        &mut self,
        id: BackendId,
    ) -> Option<(&mut BackendTable, &mut Slot)> {
        let slot = self
            .slots
            .get_mut(id.slot())
            .and_then(Option::as_mut)
            .filter(|s| s.id == id)?;
        Some((&mut self.table, slot))
    }

    /// Feeds backend `id`'s drive estimate with `sample` and, if a window
    /// closed and the operator did not set the cost, gives the table the
    /// new estimate and recomputes the fast path's limits (a stale `id`
    /// is ignored).
    pub(super) fn learn_drive(
        &mut self,
        id: BackendId,
        sample: impl FnOnce(&mut DriveEstimate) -> Option<u64>,
    ) {
        let Some((table, s)) = self.table_and_slot(id) else {
            return;
        };
        if let (Some(ns), true) = (sample(&mut s.drive), s.drive_auto) {
            if table.set_drive_cost(id, ns).is_ok() {
                self.compute_limits(glue::now_ns());
            }
        }
    }

    /// Tells the table which backends may be selected, from what the
    /// operator and the backends themselves last said (never by asking a
    /// backend), and recomputes the fast path's limits. Called when one of
    /// those changes: a registration, an [`super::backend::Event`], the
    /// `enabled` switch, the policy.
    pub(super) fn refresh(&mut self, now: u64) {
        for s in self.slots.iter().flatten() {
            let usable = s.enabled && !s.closing;
            let _ = self
                .table
                .set_available(s.id, usable && s.state == BackendState::Running);
            let _ = self
                .table
                .set_paused(s.id, usable && s.state == BackendState::Halted);
        }
        self.compute_limits(now);
    }

    /// After a selection or a completion at `now` changed queues or
    /// bandwidth estimates: recomputes the fast path's limits if the last
    /// computation is [`LIMITS_PERIOD_NS`] old, or if the layer just went
    /// idle (nothing queued anywhere: the fast path may then be all that
    /// runs, and must not keep limits computed under load). Otherwise the
    /// limits lag the queues by less than the period.
    pub(super) fn queues_changed(&mut self, now: u64) {
        if now.saturating_sub(self.limits_at) >= LIMITS_PERIOD_NS || self.table.idle() {
            self.compute_limits(now);
        }
    }

    /// Recomputes, per operation, up to which length the fast path may run
    /// a request on the CPU (`fast_path.rs`).
    fn compute_limits(&mut self, now: u64) {
        self.limits_at = now;
        let cpu = self
            .slots
            .iter()
            .flatten()
            .map(|s| s.id)
            .find(|id| self.table.desc(*id).is_ok_and(|d| d.is_cpu));
        let mut limits = [0u32; OPS];
        for (op, limit) in Op::ALL.into_iter().zip(&mut limits) {
            let candidates = self.candidates(op);
            *limit = match (cpu, self.table.policy()) {
                (None, _) | (_, Policy::RoundRobin | Policy::Weighted) => 0,
                (Some(cpu), Policy::CpuOnly) => self.table.inline_limit(cpu, 0, MAX_LEN) as u32,
                (Some(cpu), Policy::EarliestCompletion | Policy::EnginesFirst) => {
                    self.table.inline_limit(cpu, candidates, MAX_LEN) as u32
                }
            };
        }
        let inline = cpu
            .and_then(|c| Some((self.table.status(c).ok()?, self.table.desc(c).ok()?)))
            .map_or(INLINE_MIN, |(st, d)| {
                inline_max(st.bandwidth, d.request_cost_ns)
            });
        fast_path::set_limits(limits, inline);
    }

    /// Records a flight for `attempt` of `req`, submitted at `now`, and
    /// makes sure its deadline is watched; `None` without memory.
    pub(super) fn add_flight(
        &mut self,
        req: &Arc<Req>,
        attempt: Attempt,
        now: u64,
    ) -> Option<Ticket> {
        self.stamp = self.stamp.wrapping_add(1);
        let flight = Flight {
            req: req.clone(),
            attempt,
            stamp: self.stamp,
            deadline: self
                .table
                .deadline_ns(attempt.backend, now, deadline::floor_ns())
                .unwrap_or(u64::MAX),
        };
        deadline::arm();
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
    pub(super) fn take_flight(&mut self, t: Ticket) -> Option<Flight> {
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

    /// Up to `out.len()` tickets of flights past their deadline at `now`,
    /// into `out`: how many, and whether any flight is left to watch.
    pub(super) fn expired(&self, now: u64, out: &mut [Ticket]) -> (usize, bool) {
        let mut n = 0;
        let mut any = false;
        for (i, f) in self.flights.iter().enumerate() {
            let Some(f) = f else { continue };
            any = true;
            if f.deadline <= now && n < out.len() {
                out[n] = ticket(i as u32, f.stamp);
                n += 1;
            }
        }
        (n, any)
    }

    /// The ticket of a flight of backend `id`, if it holds one.
    pub(super) fn any_flight_of(&self, id: BackendId) -> Option<Ticket> {
        self.flights.iter().enumerate().find_map(|(i, f)| {
            let f = f.as_ref()?;
            (f.attempt.backend == id).then(|| ticket(i as u32, f.stamp))
        })
    }

    /// Turns the state machine's `action` for `req` into a [`Step`].
    pub(super) fn apply(
        &mut self,
        req: &Arc<Req>,
        rm: &mut ReqMut,
        mut action: Action,
        now: u64,
    ) -> Step {
        loop {
            match action {
                Action::Ignore => return Step::None,
                Action::Wait => {
                    rm.wait_next = self.waiting.replace(req.clone());
                    return Step::None;
                }
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
                    let ticket = self.add_flight(req, attempt, now);
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
                                timed: slot.learns,
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

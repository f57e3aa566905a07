// SPDX-License-Identifier: GPL-2.0

//! Failover state machine of one async-offload request.
//!
//! This file owns a request's life from selection to its single
//! completion: `Pending -> Submitted(attempt) -> Done(status)`, with
//! `Waiting` between two attempts when every backend left is busy. Each
//! event (start, completion, timeout, unplug of a backend, a refusal for
//! now, a retry) is a method that returns the one [`Action`] the caller
//! must take: submit to a backend, complete the request with a status,
//! wait for room, or ignore the event. The choice of
//! backend and the per-backend accounting belong to `backend_select.rs`;
//! this file calls them so that queued bytes stay exact.
//!
//! Rules:
//! - Every submission is an [`Attempt`] with a fresh sequence number; an
//!   event that names an attempt other than the current one is stale and
//!   ignored, and every event after `Done` is ignored. So a request
//!   completes exactly once, whatever arrives late or twice.
//! - An error completion or a timeout counts as a failure of the backend,
//!   excludes it for this request and goes back to selection; the late
//!   completion of a timed-out attempt is stale.
//! - An unplug takes the request back from the backend without judging it,
//!   excludes it, and goes back to selection.
//! - A refusal for now (a full queue, buffers that could not be mapped)
//!   means "later", not "never": if the backend holds other attempts
//!   (bytes queued in the table), whose completions make room, it is only
//!   *skipped* until the next [`RequestState::retry`]; the request goes to
//!   another backend, or waits ([`Action::Wait`]) when none is left but a
//!   skipped one that still holds attempts (so a completion will come and
//!   the caller retries then; skipped ones that hold nothing any more are
//!   tried again at once). Under the earliest-completion policy it also
//!   waits when a skipped one that holds attempts is estimated to finish
//!   it sooner than the other backend would
//!   ([`BackendTable::better_to_wait`]). A backend that holds nothing
//!   cannot make room by completing: its refusal excludes it like an
//!   unplug.
//! - The request completes with [`Status::NoBackend`] only when selection
//!   finds no capable backend outside its exclusions and none is skipped.
//!
//! Kernel-free (`core` only, no allocation, no panic reachable from an
//! argument): compiled into the driver and into the host crate
//! `tools/lbdx-logic`, whose tests check every rule. The caller serializes
//! the events of one request together with the calls on the table.

use super::backend_select::{BackendId, BackendTable, ExcludeSet, Request, SlotMask, ALL_SLOTS};

/// How a request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// A backend did it.
    Ok,
    /// Every capable backend failed, timed out, was unplugged or was never
    /// there (`EIO` to the submitter).
    NoBackend,
}

/// One submission of a request to one backend: the ticket the backend
/// hands back with its completion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// The backend it was submitted to.
    pub backend: BackendId,
    /// Sequence number of the attempt within its request, from 1.
    pub seq: u32,
}

/// Where a request is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Not started.
    Pending,
    /// Submitted; waiting for this attempt's completion.
    Submitted(Attempt),
    /// Every backend left was busy: waiting for [`RequestState::retry`].
    Waiting,
    /// Completed; nothing more happens.
    Done(Status),
}

/// What the caller must do after an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Action {
    /// Submit the request to `attempt.backend`, tagged with `attempt`.
    Submit(Attempt),
    /// Complete the request with this status (happens once per request).
    Complete(Status),
    /// Keep the request until a backend that refused it for now completes
    /// an attempt, then call [`RequestState::retry`].
    Wait,
    /// Nothing: the event was stale or the request is already done.
    Ignore,
}

/// The failover state of one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestState {
    req: Request,
    // INVARIANT: `Submitted(a)` has `a.seq == last_seq` and `req.len` bytes
    // accounted on `a.backend` in the table; `Done` is never left.
    state: State,
    excluded: ExcludeSet,
    // Busy backends, selectable again at the next retry.
    skipped: ExcludeSet,
    candidates: SlotMask,
    last_seq: u32,
    submitted_ns: u64,
}

impl RequestState {
    /// A pending request.
    pub const fn new(req: Request) -> Self {
        Self {
            req,
            state: State::Pending,
            excluded: ExcludeSet::new(),
            skipped: ExcludeSet::new(),
            candidates: ALL_SLOTS,
            last_seq: 0,
            submitted_ns: 0,
        }
    }

    /// The request.
    pub const fn request(&self) -> &Request {
        &self.req
    }

    /// Where it is.
    pub const fn state(&self) -> State {
        self.state
    }

    /// The backends it may no longer use.
    pub const fn excluded(&self) -> &ExcludeSet {
        &self.excluded
    }

    /// Attempts made so far.
    pub const fn attempts(&self) -> u32 {
        self.last_seq
    }

    /// Starts a pending request: selects a backend at `now_ns`.
    pub fn start(&mut self, table: &mut BackendTable, now_ns: u64) -> Action {
        self.start_in(table, ALL_SLOTS, now_ns)
    }

    /// Starts a pending request, selecting now and at every failover only
    /// among the slots of `candidates` (from a
    /// [`super::backend_select::CandidateCache`]).
    pub fn start_in(
        &mut self,
        table: &mut BackendTable,
        candidates: SlotMask,
        now_ns: u64,
    ) -> Action {
        match self.state {
            State::Pending => {
                self.candidates = candidates;
                self.reselect(table, now_ns)
            }
            State::Submitted(_) | State::Waiting | State::Done(_) => Action::Ignore,
        }
    }

    /// The backend of `attempt` refused it for now at `now_ns`. If it holds
    /// other attempts (whose completion makes room), it is skipped until
    /// [`RequestState::retry`]; otherwise excluded, as by an unplug.
    pub fn busy(&mut self, table: &mut BackendTable, attempt: Attempt, now_ns: u64) -> Action {
        if !self.is_current(attempt) {
            return Action::Ignore;
        }
        // A stale backend is unregistered: its bytes are gone with it.
        let _ = table.release(attempt.backend, self.req.len);
        if table.holds_any(attempt.backend) {
            table.exclude(&mut self.skipped, attempt.backend);
        } else {
            table.exclude(&mut self.excluded, attempt.backend);
        }
        self.reselect(table, now_ns)
    }

    /// A waiting request tries again at `now_ns`, the busy backends
    /// selectable again.
    pub fn retry(&mut self, table: &mut BackendTable, now_ns: u64) -> Action {
        if self.state != State::Waiting {
            return Action::Ignore;
        }
        self.skipped = ExcludeSet::new();
        self.reselect(table, now_ns)
    }

    /// A backend reported `attempt` finished, successfully or not, at
    /// `now_ns`.
    pub fn complete(
        &mut self,
        table: &mut BackendTable,
        attempt: Attempt,
        ok: bool,
        now_ns: u64,
    ) -> Action {
        if !self.is_current(attempt) {
            return Action::Ignore;
        }
        let elapsed = table.service_ns(attempt.backend, self.submitted_ns, now_ns);
        // A stale backend is unregistered: its bytes are gone with it.
        let _ = table.on_complete(attempt.backend, self.req.len, ok, elapsed, now_ns);
        if ok {
            return self.finish(Status::Ok);
        }
        table.exclude(&mut self.excluded, attempt.backend);
        self.reselect(table, now_ns)
    }

    /// The caller gave up waiting for `attempt` at `now_ns`: a failure of
    /// its backend. Its completion, if it ever comes, is then stale.
    pub fn timeout(&mut self, table: &mut BackendTable, attempt: Attempt, now_ns: u64) -> Action {
        self.complete(table, attempt, false, now_ns)
    }

    /// `backend` is going away (called before or after it is unregistered):
    /// if the request is on it, it goes back to selection.
    pub fn unplug(&mut self, table: &mut BackendTable, backend: BackendId, now_ns: u64) -> Action {
        let State::Submitted(a) = self.state else {
            return Action::Ignore;
        };
        if a.backend != backend {
            return Action::Ignore;
        }
        // A stale backend is unregistered: its bytes are gone with it.
        let _ = table.release(backend, self.req.len);
        table.exclude(&mut self.excluded, backend);
        self.reselect(table, now_ns)
    }

    fn is_current(&self, attempt: Attempt) -> bool {
        self.state == State::Submitted(attempt)
    }

    fn finish(&mut self, status: Status) -> Action {
        self.state = State::Done(status);
        Action::Complete(status)
    }

    /// Submits to the backend selection picks; when there is none, waits
    /// if a busy backend was skipped or a capable one is paused (halted,
    /// expected back), or completes with [`Status::NoBackend`].
    fn reselect(&mut self, table: &mut BackendTable, now_ns: u64) -> Action {
        let Some(seq) = self.last_seq.checked_add(1) else {
            return self.finish(Status::NoBackend);
        };
        let mut avoid = self.excluded;
        table.merge(&mut avoid, &self.skipped);
        // Each failed accounting excludes one more backend, and the busy
        // ones are let in again once at most, so this ends.
        loop {
            let Some(backend) = table.select_in(&self.req, self.candidates, &avoid, now_ns) else {
                if table.any_holding(&self.skipped)
                    || table.any_paused(&self.req, self.candidates, &self.excluded)
                {
                    self.state = State::Waiting;
                    return Action::Wait;
                }
                if !table.any_excluded(&self.skipped) {
                    return self.finish(Status::NoBackend);
                }
                // The busy ones hold nothing now: no completion will come
                // to retry; try them again at once.
                self.skipped = ExcludeSet::new();
                avoid = self.excluded;
                continue;
            };
            if table.better_to_wait(&self.req, &self.skipped, backend) {
                self.state = State::Waiting;
                return Action::Wait;
            }
            if table.on_submit(backend, self.req.len).is_err() {
                table.exclude(&mut self.excluded, backend);
                table.exclude(&mut avoid, backend);
                continue;
            }
            let attempt = Attempt { backend, seq };
            self.last_seq = seq;
            self.submitted_ns = now_ns;
            self.state = State::Submitted(attempt);
            return Action::Submit(attempt);
        }
    }
}

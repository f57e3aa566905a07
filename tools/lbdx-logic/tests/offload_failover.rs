// SPDX-License-Identifier: GPL-2.0

//! The per-request failover state machine
//! (`drivers/lbdx/offload/request_state.rs`): one test per transition, then
//! a simulation with a clock that drives random backend sets through random
//! request streams, failures, timeouts, late completions, unplugs and
//! re-registrations, checking that every request completes exactly once,
//! with an error only when no capable backend was left, that no request
//! goes to a backend that cannot do it or was excluded, and that queued
//! bytes always equal what is in flight.

use std::collections::{BTreeMap, BTreeSet};

use lbdx_logic::offload::backend_select::{
    BackendDesc, BackendId, BackendTable, Caps, HealthRules, Op, OpSet, Policy, Request, MAX_WEIGHT,
};
use lbdx_logic::offload::request_state::{Action, Attempt, RequestState, State, Status};
use proptest::prelude::*;

const GB: u64 = 1_000_000_000;

fn engine(bandwidth: u64, max_xor_sources: u32) -> BackendDesc {
    BackendDesc {
        caps: Caps {
            ops: OpSet::ALL,
            max_xor_sources,
            max_len: u64::MAX,
            align: 1,
        },
        bandwidth,
        request_cost_ns: 1_000,
        is_cpu: false,
    }
}

fn copy(len: u64) -> Request {
    Request {
        op: Op::Copy,
        len,
        sources: 1,
        align: 64,
    }
}

fn table(descs: &[BackendDesc]) -> (BackendTable, Vec<BackendId>) {
    let mut t = BackendTable::new(HealthRules::default());
    let ids = descs.iter().map(|d| t.register(*d).unwrap()).collect();
    (t, ids)
}

fn submitted(a: Action) -> Attempt {
    match a {
        Action::Submit(a) => a,
        other => panic!("expected a submission, got {other:?}"),
    }
}

fn queued(t: &BackendTable, id: BackendId) -> u64 {
    t.status(id).unwrap().queued
}

#[test]
fn success_completes_once_and_later_events_are_ignored() {
    let (mut t, ids) = table(&[engine(GB, 8)]);
    let mut r = RequestState::new(copy(4096));
    let a = submitted(r.start(&mut t, 0));
    assert_eq!(
        a,
        Attempt {
            backend: ids[0],
            seq: 1
        }
    );
    assert_eq!(queued(&t, ids[0]), 4096);
    assert_eq!(r.start(&mut t, 0), Action::Ignore);
    assert_eq!(
        r.complete(&mut t, a, true, 10),
        Action::Complete(Status::Ok)
    );
    assert_eq!(r.state(), State::Done(Status::Ok));
    assert_eq!(queued(&t, ids[0]), 0);
    assert_eq!(r.complete(&mut t, a, true, 11), Action::Ignore);
    assert_eq!(r.complete(&mut t, a, false, 11), Action::Ignore);
    assert_eq!(r.timeout(&mut t, a, 12), Action::Ignore);
    assert_eq!(r.unplug(&mut t, ids[0], 12), Action::Ignore);
    assert_eq!(queued(&t, ids[0]), 0);
}

#[test]
fn a_request_started_among_candidates_never_leaves_them() {
    let (mut t, ids) = table(&[engine(100 * GB, 16), engine(10 * GB, 16), engine(GB, 16)]);
    let only = (1 << ids[1].slot()) | (1 << ids[2].slot());
    let mut r = RequestState::new(copy(1 << 20));
    let a = submitted(r.start_in(&mut t, only, 0));
    assert_eq!(a.backend, ids[1]);
    let b = submitted(r.complete(&mut t, a, false, 1));
    assert_eq!(b.backend, ids[2]);
    assert_eq!(
        r.complete(&mut t, b, false, 2),
        Action::Complete(Status::NoBackend)
    );
}

#[test]
fn an_error_fails_over_to_another_backend() {
    let (mut t, ids) = table(&[engine(10 * GB, 8), engine(GB, 8)]);
    let mut r = RequestState::new(copy(4096));
    let a = submitted(r.start(&mut t, 0));
    assert_eq!(a.backend, ids[0]);
    let b = submitted(r.complete(&mut t, a, false, 5));
    assert_eq!(
        b,
        Attempt {
            backend: ids[1],
            seq: 2
        }
    );
    assert!(t.excludes(r.excluded(), ids[0]));
    assert_eq!(queued(&t, ids[0]), 0);
    assert_eq!(queued(&t, ids[1]), 4096);
    assert_eq!(t.status(ids[0]).unwrap().failures, 1);
    assert_eq!(r.complete(&mut t, b, true, 9), Action::Complete(Status::Ok));
    assert_eq!(r.attempts(), 2);
}

#[test]
fn an_error_with_no_capable_backend_left_completes_with_an_error() {
    let (mut t, ids) = table(&[engine(10 * GB, 8), engine(GB, 2)]);
    let xor = Request {
        op: Op::Xor,
        sources: 4,
        ..copy(4096)
    };
    let mut r = RequestState::new(xor);
    let a = submitted(r.start(&mut t, 0));
    assert_eq!(a.backend, ids[0]);
    assert_eq!(
        r.complete(&mut t, a, false, 1),
        Action::Complete(Status::NoBackend)
    );
    assert_eq!(queued(&t, ids[0]), 0);
    assert_eq!(queued(&t, ids[1]), 0);
}

#[test]
fn no_capable_backend_at_start_completes_with_an_error() {
    let (mut t, _) = table(&[engine(GB, 2)]);
    let mut r = RequestState::new(Request {
        op: Op::Xor,
        sources: 3,
        ..copy(64)
    });
    assert_eq!(r.start(&mut t, 0), Action::Complete(Status::NoBackend));
    let mut empty = BackendTable::new(HealthRules::default());
    let mut r = RequestState::new(copy(64));
    assert_eq!(r.start(&mut empty, 0), Action::Complete(Status::NoBackend));
}

#[test]
fn a_timeout_fails_over_and_the_late_completion_is_ignored() {
    let (mut t, ids) = table(&[engine(10 * GB, 8), engine(GB, 8)]);
    let mut r = RequestState::new(copy(4096));
    let a = submitted(r.start(&mut t, 0));
    let b = submitted(r.timeout(&mut t, a, 1_000_000));
    assert_eq!(b.backend, ids[1]);
    assert_eq!(
        queued(&t, ids[0]),
        0,
        "timed-out bytes are released at once"
    );
    assert_eq!(r.complete(&mut t, a, true, 1_000_001), Action::Ignore);
    assert_eq!(r.complete(&mut t, a, false, 1_000_001), Action::Ignore);
    assert_eq!(queued(&t, ids[0]), 0);
    assert_eq!(
        r.complete(&mut t, b, true, 1_000_002),
        Action::Complete(Status::Ok)
    );
}

#[test]
fn an_unplug_after_unregistering_resubmits_elsewhere() {
    let (mut t, ids) = table(&[engine(10 * GB, 8), engine(GB, 8)]);
    let mut r = RequestState::new(copy(4096));
    let a = submitted(r.start(&mut t, 0));
    assert_eq!(t.unregister(ids[0]), Ok(4096));
    let b = submitted(r.unplug(&mut t, ids[0], 5));
    assert_eq!(
        b,
        Attempt {
            backend: ids[1],
            seq: 2
        }
    );
    assert_eq!(r.complete(&mut t, a, true, 6), Action::Ignore);
    assert_eq!(r.complete(&mut t, b, true, 7), Action::Complete(Status::Ok));
    assert_eq!(queued(&t, ids[1]), 0);
}

#[test]
fn an_unplug_before_unregistering_does_not_pick_the_same_backend() {
    let (mut t, ids) = table(&[engine(10 * GB, 8), engine(GB, 8)]);
    let mut r = RequestState::new(copy(4096));
    let a = submitted(r.start(&mut t, 0));
    let b = submitted(r.unplug(&mut t, ids[0], 5));
    assert_eq!(b.backend, ids[1]);
    assert_eq!(queued(&t, ids[0]), 0);
    assert_eq!(
        t.status(ids[0]).unwrap().failures,
        0,
        "unplug is no failure"
    );
    assert_eq!(t.unregister(ids[0]), Ok(0));
    assert_eq!(r.complete(&mut t, a, false, 6), Action::Ignore);
}

#[test]
fn an_unplug_of_the_last_backend_completes_with_an_error() {
    let (mut t, ids) = table(&[engine(GB, 8)]);
    let mut r = RequestState::new(copy(4096));
    submitted(r.start(&mut t, 0));
    t.unregister(ids[0]).unwrap();
    assert_eq!(
        r.unplug(&mut t, ids[0], 1),
        Action::Complete(Status::NoBackend)
    );
}

#[test]
fn an_unplug_of_another_backend_is_ignored() {
    let (mut t, ids) = table(&[engine(10 * GB, 8), engine(GB, 8)]);
    let mut r = RequestState::new(copy(4096));
    let a = submitted(r.start(&mut t, 0));
    assert_eq!(r.unplug(&mut t, ids[1], 1), Action::Ignore);
    assert_eq!(r.state(), State::Submitted(a));
    assert_eq!(
        RequestState::new(copy(1)).unplug(&mut t, ids[0], 1),
        Action::Ignore
    );
}

#[test]
fn a_backend_registered_again_in_a_failed_slot_is_eligible() {
    let (mut t, ids) = table(&[engine(GB, 8)]);
    let mut r = RequestState::new(copy(4096));
    let a = submitted(r.start(&mut t, 0));
    let b_id = {
        t.unregister(ids[0]).unwrap();
        t.register(engine(GB, 8)).unwrap()
    };
    assert_eq!(b_id.slot(), ids[0].slot());
    // The old backend's failure arrives as an unplug: the new one takes over.
    let b = submitted(r.unplug(&mut t, ids[0], 1));
    assert_eq!(b.backend, b_id);
    assert_eq!(r.complete(&mut t, a, true, 2), Action::Ignore);
    assert_eq!(r.complete(&mut t, b, true, 2), Action::Complete(Status::Ok));
}

#[test]
fn repeated_failures_degrade_and_requests_avoid_the_backend() {
    let (mut t, ids) = table(&[engine(10 * GB, 8), engine(GB, 8)]);
    for now in 0..3 {
        let mut r = RequestState::new(copy(4096));
        let a = submitted(r.start(&mut t, now));
        assert_eq!(a.backend, ids[0]);
        let b = submitted(r.complete(&mut t, a, false, now));
        assert_eq!(
            r.complete(&mut t, b, true, now),
            Action::Complete(Status::Ok)
        );
    }
    let mut r = RequestState::new(copy(4096));
    assert_eq!(submitted(r.start(&mut t, 3)).backend, ids[1]);
}

// ---- Simulation ----------------------------------------------------------

/// One step of the simulation. Indices are taken modulo what they index.
#[derive(Clone, Debug)]
enum Step {
    /// A new request is started.
    New(Request),
    /// The backend of the `n`th request in flight refuses it for now.
    Busy(usize),
    /// Every waiting request tries again (the layer does after a
    /// completion).
    Retry,
    /// The `n`th request in flight completes.
    Complete(usize, bool),
    /// The `n`th request in flight times out.
    Timeout(usize),
    /// A stale attempt (timed out or unplugged) reports late.
    Late(usize, bool),
    /// The backend in slot `n` goes away; `true`: requests are told before
    /// it is unregistered.
    Unplug(usize, bool),
    /// A backend registers.
    Register(BackendDesc),
    /// A backend is taken out of selection or put back.
    Available(usize, bool),
    /// The policy changes.
    Policy(Policy),
    /// The backend in slot `n` gets a weight (0 included).
    Weight(usize, u32),
    /// The clock advances.
    Advance(u64),
}

#[test]
fn a_busy_backend_holding_others_is_skipped_until_the_retry() {
    let (mut t, ids) = table(&[engine(GB, 8), engine(GB, 8)]);
    let mut r = RequestState::new(copy(4096));
    // Two other requests keep both engines holding something.
    let mut others: Vec<_> = (0..2).map(|_| RequestState::new(copy(100))).collect();
    let held: Vec<_> = others
        .iter_mut()
        .map(|o| submitted(o.start(&mut t, 0)))
        .collect();
    assert_ne!(held[0].backend, held[1].backend);
    let a1 = submitted(r.start(&mut t, 0));
    // Busy while holding other jobs: goes to the other engine.
    let a2 = submitted(r.busy(&mut t, a1, 0));
    assert_ne!(a2.backend, a1.backend);
    assert_eq!(queued(&t, a1.backend), 100);
    // The other one busy too: the request waits, its bytes released.
    assert_eq!(r.busy(&mut t, a2, 0), Action::Wait);
    assert_eq!(r.state(), State::Waiting);
    assert!(ids.iter().all(|id| queued(&t, *id) == 100));
    // Events of the refused attempts are stale; an unplug is ignored.
    assert_eq!(r.complete(&mut t, a2, true, 0), Action::Ignore);
    assert_eq!(r.unplug(&mut t, a1.backend, 0), Action::Ignore);
    // The retry may pick either again, and succeeds there.
    let a3 = submitted(r.retry(&mut t, 0));
    assert_eq!(a3.seq, 3);
    assert_eq!(
        r.complete(&mut t, a3, true, 0),
        Action::Complete(Status::Ok)
    );
    assert_eq!(r.retry(&mut t, 0), Action::Ignore);
}

/// Under earliest completion a request a fast engine refused for now
/// waits for it when the engine, its queue included, would still finish
/// it before the slow backend; under round-robin it goes to the other
/// backend at once.
#[test]
fn a_busy_engine_that_would_still_finish_first_is_waited_for() {
    let slow = BackendDesc {
        is_cpu: true,
        ..engine(GB / 10, 8)
    };
    for (policy, waits) in [
        (Policy::EarliestCompletion, true),
        (Policy::RoundRobin, false),
    ] {
        let (mut t, ids) = table(&[engine(10 * GB, 8), slow]);
        t.set_policy(policy);
        // The fast engine holds 1 MiB of another request.
        t.on_submit(ids[0], 1 << 20).unwrap();
        // Round-robin may start on the slow one: take the engine's turn.
        let mut r = RequestState::new(copy(1 << 20));
        let mut a1 = submitted(r.start(&mut t, 0));
        if a1.backend != ids[0] {
            t.release(a1.backend, 1 << 20).unwrap();
            r = RequestState::new(copy(1 << 20));
            a1 = submitted(r.start(&mut t, 0));
        }
        assert_eq!(a1.backend, ids[0], "{policy:?}");
        let act = r.busy(&mut t, a1, 0);
        if waits {
            assert_eq!(act, Action::Wait, "{policy:?}");
            assert_eq!(queued(&t, ids[1]), 0);
            // Room made: the retry goes to the engine.
            t.release(ids[0], 1 << 20).unwrap();
            assert_eq!(submitted(r.retry(&mut t, 0)).backend, ids[0]);
        } else {
            assert_eq!(submitted(act).backend, ids[1], "{policy:?}");
        }
    }
}

#[test]
fn a_busy_backend_holding_nothing_is_excluded_like_an_unplug() {
    let (mut t, _) = table(&[engine(GB, 8)]);
    let mut r = RequestState::new(copy(4096));
    let a1 = submitted(r.start(&mut t, 0));
    assert_eq!(r.busy(&mut t, a1, 0), Action::Complete(Status::NoBackend));
    assert_eq!(queued(&t, a1.backend), 0);
}

#[test]
fn a_waiting_request_whose_busy_backend_left_fails_at_the_retry() {
    let (mut t, ids) = table(&[engine(GB, 8)]);
    let mut other = RequestState::new(copy(100));
    let _held = submitted(other.start(&mut t, 0));
    let mut r = RequestState::new(copy(4096));
    let a1 = submitted(r.start(&mut t, 0));
    assert_eq!(r.busy(&mut t, a1, 0), Action::Wait);
    let _ = t.unregister(ids[0]).unwrap();
    assert_eq!(r.retry(&mut t, 0), Action::Complete(Status::NoBackend));
}

/// A request no running backend can take waits while a capable one is
/// paused (halted, expected back), is submitted to it once it runs, and
/// fails once it is no longer expected back; a paused backend that cannot
/// do the request, or that the policy leaves out, is not waited for.
#[test]
fn a_request_waits_for_a_paused_backend_until_it_runs_or_leaves() {
    let (mut t, ids) = table(&[engine(GB, 8)]);
    t.set_available(ids[0], false).unwrap();
    t.set_paused(ids[0], true).unwrap();
    let mut r = RequestState::new(copy(4096));
    assert_eq!(r.start(&mut t, 0), Action::Wait);
    assert_eq!(r.retry(&mut t, 0), Action::Wait);
    t.set_paused(ids[0], false).unwrap();
    t.set_available(ids[0], true).unwrap();
    assert_eq!(submitted(r.retry(&mut t, 0)).backend, ids[0]);

    let mut r = RequestState::new(copy(4096));
    t.set_available(ids[0], false).unwrap();
    t.set_paused(ids[0], true).unwrap();
    assert_eq!(r.start(&mut t, 0), Action::Wait);
    // Dead: no longer paused, not available.
    t.set_paused(ids[0], false).unwrap();
    assert_eq!(r.retry(&mut t, 0), Action::Complete(Status::NoBackend));

    t.set_paused(ids[0], true).unwrap();
    let mut xor = RequestState::new(Request {
        op: Op::Xor,
        sources: 9,
        ..copy(64)
    });
    assert_eq!(xor.start(&mut t, 0), Action::Complete(Status::NoBackend));
    t.set_policy(Policy::CpuOnly);
    let mut r = RequestState::new(copy(64));
    assert_eq!(r.start(&mut t, 0), Action::Complete(Status::NoBackend));
}

fn any_desc() -> impl Strategy<Value = BackendDesc> {
    (
        1u8..64,
        1u32..10,
        prop_oneof![Just(4096u64), Just(1 << 20), Just(u64::MAX)],
        prop_oneof![Just(1u32), Just(8), Just(64)],
        1_000_000u64..20 * GB,
        0u64..20_000,
        any::<bool>(),
    )
        .prop_map(
            |(ops, xs, max_len, align, bandwidth, cost, is_cpu)| BackendDesc {
                caps: Caps {
                    ops: OpSet(ops),
                    max_xor_sources: xs,
                    max_len,
                    align,
                },
                bandwidth,
                request_cost_ns: cost,
                is_cpu,
            },
        )
}

fn any_request() -> impl Strategy<Value = Request> {
    (
        prop_oneof![
            Just(Op::Copy),
            Just(Op::Fill),
            Just(Op::Xor),
            Just(Op::XorVal),
            Just(Op::Pq),
            Just(Op::PqVal)
        ],
        prop_oneof![3 => 0u64..8192, 1 => 0u64..(2 << 20)],
        0u32..12,
        prop_oneof![Just(0u32), Just(1), Just(4), Just(64), Just(4096)],
    )
        .prop_map(|(op, len, sources, align)| Request {
            op,
            len,
            sources,
            align,
        })
}

fn any_policy() -> impl Strategy<Value = Policy> {
    prop_oneof![
        Just(Policy::EarliestCompletion),
        Just(Policy::RoundRobin),
        Just(Policy::CpuOnly),
        Just(Policy::Weighted)
    ]
}

fn any_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => any_request().prop_map(Step::New),
        8 => (any::<usize>(), prop::bool::weighted(0.7)).prop_map(|(n, ok)| Step::Complete(n, ok)),
        2 => any::<usize>().prop_map(Step::Timeout),
        3 => any::<usize>().prop_map(Step::Busy),
        2 => Just(Step::Retry),
        2 => (any::<usize>(), any::<bool>()).prop_map(|(n, ok)| Step::Late(n, ok)),
        1 => (0usize..16, any::<bool>()).prop_map(|(s, early)| Step::Unplug(s, early)),
        1 => any_desc().prop_map(Step::Register),
        1 => (0usize..16, any::<bool>()).prop_map(|(s, ok)| Step::Available(s, ok)),
        1 => any_policy().prop_map(Step::Policy),
        1 => (0usize..16, prop_oneof![Just(0u32), 1u32..=MAX_WEIGHT]).prop_map(|(s, w)| Step::Weight(s, w)),
        2 => (0u64..2_000_000).prop_map(Step::Advance),
    ]
}

/// Capability rule written out again, independently of `Caps::allows`.
fn can_do(d: &BackendDesc, r: &Request) -> bool {
    let bit = match r.op {
        Op::Copy => 1,
        Op::Fill => 2,
        Op::Xor => 4,
        Op::XorVal => 8,
        Op::Pq => 16,
        Op::PqVal => 32,
    };
    let xor = matches!(r.op, Op::Xor | Op::XorVal | Op::Pq | Op::PqVal);
    let aligned = d.caps.align <= 1 || (r.align != 0 && r.align.is_multiple_of(d.caps.align));
    d.caps.ops.0 & bit != 0
        && r.len <= d.caps.max_len
        && (!xor || (1..=d.caps.max_xor_sources).contains(&r.sources))
        && aligned
}

struct Sim {
    t: BackendTable,
    now: u64,
    /// Registered backends as the test knows them.
    live: BTreeMap<BackendId, BackendDesc>,
    /// Backends taken out of selection.
    unavailable: BTreeSet<BackendId>,
    reqs: Vec<RequestState>,
    /// Completions delivered per request.
    done: Vec<u32>,
    /// Backends each request has failed on, timed out on or been unplugged
    /// from.
    tried: Vec<Vec<BackendId>>,
    /// Requests in flight and their current attempt.
    flight: Vec<(usize, Attempt)>,
    /// Attempts that were superseded.
    stale: Vec<(usize, Attempt)>,
    /// Submissions per backend.
    submissions: BTreeMap<BackendId, u32>,
    /// Requests waiting for a busy backend.
    waiting: Vec<usize>,
}

impl Sim {
    fn new(descs: &[BackendDesc], policy: Policy, rules: HealthRules) -> Self {
        let mut t = BackendTable::new(rules);
        t.set_policy(policy);
        let mut live = BTreeMap::new();
        for d in descs {
            live.insert(t.register(*d).unwrap(), *d);
        }
        Self {
            t,
            now: 0,
            live,
            unavailable: BTreeSet::new(),
            reqs: Vec::new(),
            done: Vec::new(),
            tried: Vec::new(),
            flight: Vec::new(),
            stale: Vec::new(),
            submissions: BTreeMap::new(),
            waiting: Vec::new(),
        }
    }

    /// Checks the action taken by request `i` and records its effect.
    fn act(&mut self, i: usize, action: Action) -> Result<(), TestCaseError> {
        let req = *self.reqs[i].request();
        match action {
            Action::Ignore => {}
            Action::Wait => {
                prop_assert_eq!(self.reqs[i].state(), State::Waiting);
                prop_assert!(!self.waiting.contains(&i), "request {} waits twice", i);
                self.waiting.push(i);
            }
            Action::Submit(a) => {
                let d = self.live.get(&a.backend);
                prop_assert!(d.is_some(), "request {i} sent to unregistered {a:?}");
                let d = d.unwrap();
                prop_assert!(
                    can_do(d, &req),
                    "request {i} {req:?} sent to incapable {d:?}"
                );
                prop_assert!(
                    !self.tried[i].contains(&a.backend),
                    "request {i} sent again to {a:?} after it failed there"
                );
                if self.t.policy() == Policy::CpuOnly {
                    prop_assert!(d.is_cpu, "cpu-only sent request {i} to an engine");
                }
                prop_assert!(
                    !self.unavailable.contains(&a.backend),
                    "request {i} sent to unavailable {a:?}"
                );
                prop_assert_eq!(a.seq, self.reqs[i].attempts());
                *self.submissions.entry(a.backend).or_default() += 1;
                self.flight.push((i, a));
            }
            Action::Complete(status) => {
                self.done[i] += 1;
                prop_assert_eq!(self.done[i], 1, "request {} completed twice", i);
                if status == Status::NoBackend {
                    let cpu_only = self.t.policy() == Policy::CpuOnly;
                    for (id, d) in &self.live {
                        prop_assert!(
                            !can_do(d, &req)
                                || self.tried[i].contains(id)
                                || self.unavailable.contains(id)
                                || (cpu_only && !d.is_cpu),
                            "request {i} {req:?} failed while {id:?} {d:?} could do it"
                        );
                    }
                }
            }
        }
        Ok(())
    }

    fn take_flight(&mut self, n: usize) -> Option<(usize, Attempt)> {
        if self.flight.is_empty() {
            return None;
        }
        Some(self.flight.swap_remove(n % self.flight.len()))
    }

    fn step(&mut self, step: Step) -> Result<(), TestCaseError> {
        match step {
            Step::New(req) => {
                let i = self.reqs.len();
                self.reqs.push(RequestState::new(req));
                self.done.push(0);
                self.tried.push(Vec::new());
                let a = self.reqs[i].start(&mut self.t, self.now);
                self.act(i, a)?;
            }
            Step::Complete(n, ok) => {
                if let Some((i, a)) = self.take_flight(n) {
                    if !ok {
                        self.tried[i].push(a.backend);
                    }
                    let act = self.reqs[i].complete(&mut self.t, a, ok, self.now);
                    prop_assert!(act != Action::Ignore, "current attempt ignored");
                    self.act(i, act)?;
                }
            }
            Step::Busy(n) => {
                if let Some((i, a)) = self.take_flight(n) {
                    // What the table sees: bytes queued (the kernel's
                    // requests have at least one byte; these may have 0).
                    let holds = self
                        .flight
                        .iter()
                        .any(|(j, f)| f.backend == a.backend && self.reqs[*j].request().len > 0);
                    if !holds {
                        self.tried[i].push(a.backend);
                    }
                    self.stale.push((i, a));
                    let act = self.reqs[i].busy(&mut self.t, a, self.now);
                    prop_assert!(act != Action::Ignore, "refusal ignored");
                    // Waiting needs a completion to come: some backend
                    // must hold an attempt.
                    prop_assert!(
                        act != Action::Wait || !self.flight.is_empty(),
                        "request {} waits with nothing in flight",
                        i
                    );
                    self.act(i, act)?;
                }
            }
            Step::Retry => self.retry()?,
            Step::Timeout(n) => {
                if let Some((i, a)) = self.take_flight(n) {
                    self.tried[i].push(a.backend);
                    self.stale.push((i, a));
                    let act = self.reqs[i].timeout(&mut self.t, a, self.now);
                    self.act(i, act)?;
                }
            }
            Step::Late(n, ok) => {
                if !self.stale.is_empty() {
                    let (i, a) = self.stale[n % self.stale.len()];
                    let act = self.reqs[i].complete(&mut self.t, a, ok, self.now);
                    prop_assert_eq!(act, Action::Ignore, "stale attempt {:?} acted on", a);
                }
            }
            Step::Unplug(slot, early) => self.unplug(slot, early)?,
            Step::Register(d) => {
                if let Ok(id) = self.t.register(d) {
                    self.live.insert(id, d);
                }
            }
            Step::Available(slot, ok) => {
                if let Some(id) = self.t.id_at(slot) {
                    self.t.set_available(id, ok).unwrap();
                    if ok {
                        self.unavailable.remove(&id);
                    } else {
                        self.unavailable.insert(id);
                    }
                }
            }
            Step::Policy(p) => self.t.set_policy(p),
            Step::Weight(slot, w) => {
                if let Some(id) = self.t.id_at(slot) {
                    self.t.set_weight(id, w).unwrap();
                }
            }
            Step::Advance(dt) => self.now += dt,
        }
        self.check_queued()
    }

    /// Unplugs slot `slot`, telling the requests on it before or after
    /// unregistering it, as the driver may.
    fn unplug(&mut self, slot: usize, early: bool) -> Result<(), TestCaseError> {
        let Some(id) = self.t.id_at(slot) else {
            return Ok(());
        };
        let gen = self.t.generation();
        if !early {
            self.t.unregister(id).unwrap();
            self.live.remove(&id);
        }
        let on_it: Vec<_> = self
            .flight
            .iter()
            .filter(|(_, a)| a.backend == id)
            .copied()
            .collect();
        self.flight.retain(|(_, a)| a.backend != id);
        for (i, a) in on_it {
            self.tried[i].push(id);
            self.stale.push((i, a));
            let act = self.reqs[i].unplug(&mut self.t, id, self.now);
            prop_assert!(act != Action::Ignore, "unplug ignored by request {i}");
            self.act(i, act)?;
        }
        if early {
            prop_assert_eq!(self.t.unregister(id), Ok(0));
            self.live.remove(&id);
        }
        prop_assert_eq!(self.t.generation(), gen + 1);
        Ok(())
    }

    /// Queued bytes of every backend equal the bytes in flight on it.
    fn check_queued(&self) -> Result<(), TestCaseError> {
        for id in self.live.keys() {
            let want: u64 = self
                .flight
                .iter()
                .filter(|(_, a)| a.backend == *id)
                .map(|(i, _)| self.reqs[*i].request().len)
                .sum();
            prop_assert_eq!(self.t.status(*id).unwrap().queued, want, "{:?}", id);
        }
        prop_assert_eq!(
            self.live.len(),
            (0..16).filter(|&s| self.t.id_at(s).is_some()).count()
        );
        Ok(())
    }

    /// Every waiting request tries again; a retry never waits again.
    fn retry(&mut self) -> Result<(), TestCaseError> {
        for i in core::mem::take(&mut self.waiting) {
            let act = self.reqs[i].retry(&mut self.t, self.now);
            prop_assert!(
                act != Action::Ignore && act != Action::Wait,
                "retry gave {:?}",
                act
            );
            self.act(i, act)?;
        }
        Ok(())
    }

    /// Completes everything in flight successfully (retrying the waiting
    /// requests after each round), then checks the end.
    fn drain(&mut self) -> Result<(), TestCaseError> {
        while !self.flight.is_empty() || !self.waiting.is_empty() {
            while let Some((i, a)) = self.take_flight(0) {
                let act = self.reqs[i].complete(&mut self.t, a, true, self.now);
                prop_assert_eq!(act, Action::Complete(Status::Ok));
                self.act(i, act)?;
            }
            self.retry()?;
        }
        for (i, n) in self.done.iter().enumerate() {
            prop_assert_eq!(*n, 1, "request {} completed {} times", i, n);
            prop_assert!(matches!(self.reqs[i].state(), State::Done(_)));
        }
        for id in self.live.keys() {
            prop_assert_eq!(self.t.status(*id).unwrap().queued, 0);
        }
        Ok(())
    }
}

fn any_rules() -> impl Strategy<Value = HealthRules> {
    (0u32..5, 0u64..5_000_000).prop_map(|(k, c)| HealthRules {
        fail_threshold: k,
        cooldown_ns: c,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Every request completes exactly once, with an error only when no
    /// capable backend was left, and nothing is ever sent where it cannot
    /// go; queued bytes track what is in flight and end at zero.
    #[test]
    fn every_request_completes_exactly_once(
        descs in prop::collection::vec(any_desc(), 0..8),
        policy in any_policy(),
        rules in any_rules(),
        steps in prop::collection::vec(any_step(), 1..300),
    ) {
        let mut sim = Sim::new(&descs, policy, rules);
        for s in steps {
            sim.step(s)?;
        }
        sim.drain()?;
    }

    /// With every backend able to do everything and never failing, every
    /// request succeeds.
    #[test]
    fn nothing_fails_while_capable_backends_stay(
        n in 1usize..8,
        reqs in prop::collection::vec(any_request(), 1..200),
        policy in any_policy(),
    ) {
        let all = BackendDesc {
            caps: Caps { ops: OpSet::ALL, max_xor_sources: 16, max_len: u64::MAX, align: 1 },
            bandwidth: GB,
            request_cost_ns: 100,
            is_cpu: true,
        };
        let mut sim = Sim::new(&vec![all; n], policy, HealthRules::default());
        for r in reqs {
            let r = Request { sources: r.sources.clamp(1, 16), ..r };
            sim.step(Step::New(r))?;
            prop_assert!(sim.done.iter().all(|&d| d == 0));
        }
        sim.drain()?;
    }

    /// Round-robin over equal backends: per-backend counts differ by at
    /// most one, whatever completes when.
    #[test]
    fn round_robin_spreads_evenly_over_equal_backends(
        n in 2usize..=16,
        steps in prop::collection::vec((any::<bool>(), any::<usize>()), 1..400),
    ) {
        let mut sim = Sim::new(&vec![engine(GB, 8); n], Policy::RoundRobin, HealthRules::default());
        for (start, k) in steps {
            let step = if start { Step::New(copy(4096)) } else { Step::Complete(k, true) };
            sim.step(step)?;
        }
        sim.drain()?;
        let total: u32 = sim.submissions.values().sum();
        let counts: Vec<u32> = sim.live.keys().map(|id| sim.submissions.get(id).copied().unwrap_or(0)).collect();
        let (lo, hi) = (counts.iter().min().copied(), counts.iter().max().copied());
        prop_assert!(hi.unwrap() - lo.unwrap() <= 1, "{} requests spread as {:?}", total, counts);
    }

    /// The default policy spreads a stream of large requests over idle
    /// engines in proportion to their bandwidth: no engine's queue, in
    /// time, passes another's by more than one request (1% slack for the
    /// fixed-point estimate), and every engine gets its share to within
    /// the engine count.
    #[test]
    fn earliest_completion_splits_by_bandwidth(
        bws in prop::collection::vec(1u64..=16, 2..6),
        count in 50usize..300,
    ) {
        let descs: Vec<_> = bws.iter().map(|b| engine(b * GB / 4, 0)).collect();
        let mut sim = Sim::new(&descs, Policy::EarliestCompletion, HealthRules::default());
        for _ in 0..count {
            sim.step(Step::New(copy(1 << 20)))?;
        }
        let n: Vec<u64> = sim
            .live
            .keys()
            .map(|id| u64::from(sim.submissions.get(id).copied().unwrap_or(0)))
            .collect();
        for (i, (ni, bi)) in n.iter().zip(&bws).enumerate() {
            for (j, (nj, bj)) in n.iter().zip(&bws).enumerate() {
                prop_assert!(
                    ni * bj * 100 <= (nj + 1) * bi * 101,
                    "engine {} (bw {}) got {}, engine {} (bw {}) got {}", i, bi, ni, j, bj, nj
                );
            }
            let share = count as f64 * *bi as f64 / bws.iter().sum::<u64>() as f64;
            prop_assert!((*ni as f64 - share).abs() <= bws.len() as f64, "{:?} for {:?}", n, bws);
        }
        sim.drain()?;
    }
}

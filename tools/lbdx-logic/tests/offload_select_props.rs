// SPDX-License-Identifier: GPL-2.0

//! Property tests of the backend choice's masks
//! (`drivers/lbdx/offload/backend_select.rs`): after any sequence of
//! registrations, unregistrations, availability changes, policy changes,
//! failures, submissions and completions, every choice is a registered,
//! available backend able to do the request, outside the exclusions, a
//! CPU backend under cpu-only, healthy whenever a healthy one qualifies;
//! and there is no choice only when nothing qualifies. The table keeps
//! availability, health, CPU and occupancy as slot masks beside each
//! backend's own fields: this checks them against the public view.

use lbdx_logic::offload::backend_select::{
    BackendDesc, BackendId, BackendTable, Caps, ExcludeSet, Health, HealthRules, Op, OpSet, Policy,
    Request,
};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Step {
    Register { cpu: bool, xor: bool, bw: u64 },
    Unregister(usize),
    Available(usize, bool),
    Policy(usize),
    Fail(usize),
    Submit(usize, u64),
    CompleteAll,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (any::<bool>(), any::<bool>(), 1u64..50).prop_map(|(cpu, xor, bw)| Step::Register {
            cpu,
            xor,
            bw: bw * 100_000_000
        }),
        (0usize..20).prop_map(Step::Unregister),
        (0usize..20, any::<bool>()).prop_map(|(i, a)| Step::Available(i, a)),
        (0usize..Policy::ALL.len()).prop_map(Step::Policy),
        (0usize..20).prop_map(Step::Fail),
        (0usize..20, 1u64..(1 << 20)).prop_map(|(i, n)| Step::Submit(i, n)),
        Just(Step::CompleteAll),
    ]
}

fn desc(cpu: bool, xor: bool, bw: u64) -> BackendDesc {
    BackendDesc {
        caps: Caps {
            ops: if xor { OpSet::ALL } else { OpSet::COPY },
            max_xor_sources: 8,
            max_len: 1 << 30,
            align: 1,
        },
        bandwidth: bw,
        request_cost_ns: 1_000,
        is_cpu: cpu,
    }
}

/// Whether `id` qualifies for `req` under `policy`, outside `ex`.
fn qualifies(t: &BackendTable, id: BackendId, req: &Request, ex: &ExcludeSet) -> bool {
    let (Ok(s), Ok(d)) = (t.status(id), t.desc(id)) else {
        return false;
    };
    s.available
        && t.capable(id, req)
        && !t.excludes(ex, id)
        && (d.is_cpu || t.policy() != Policy::CpuOnly)
}

fn healthy(t: &BackendTable, id: BackendId) -> bool {
    t.status(id).is_ok_and(|s| s.health == Health::Healthy)
}

proptest! {
    #[test]
    fn every_choice_qualifies_and_none_only_when_nothing_does(
        steps in proptest::collection::vec(step(), 1..60),
        exclude_first in any::<bool>(),
    ) {
        let rules = HealthRules { fail_threshold: 2, cooldown_ns: u64::MAX };
        let mut t = BackendTable::new(rules);
        let mut ids: Vec<BackendId> = Vec::new();
        let mut queued: Vec<(BackendId, u64)> = Vec::new();
        let pick = |ids: &[BackendId], i: usize| ids.get(i % ids.len().max(1)).copied();
        for st in steps {
            match st {
                Step::Register { cpu, xor, bw } => {
                    if let Ok(id) = t.register(desc(cpu, xor, bw)) {
                        ids.push(id);
                    }
                }
                Step::Unregister(i) => {
                    if let Some(id) = pick(&ids, i) {
                        t.unregister(id).unwrap();
                        ids.retain(|&x| x != id);
                        queued.retain(|&(x, _)| x != id);
                    }
                }
                Step::Available(i, a) => {
                    if let Some(id) = pick(&ids, i) {
                        t.set_available(id, a).unwrap();
                    }
                }
                Step::Policy(p) => t.set_policy(Policy::ALL[p]),
                Step::Fail(i) => {
                    if let Some(id) = pick(&ids, i) {
                        t.on_submit(id, 1).unwrap();
                        t.on_complete(id, 1, false, 10, 0).unwrap();
                    }
                }
                Step::Submit(i, n) => {
                    if let Some(id) = pick(&ids, i) {
                        t.on_submit(id, n).unwrap();
                        queued.push((id, n));
                    }
                }
                Step::CompleteAll => {
                    for (id, n) in queued.drain(..) {
                        t.on_complete(id, n, true, n, 0).unwrap();
                    }
                }
            }
            let mut ex = ExcludeSet::new();
            if exclude_first {
                if let Some(&id) = ids.first() {
                    t.exclude(&mut ex, id);
                }
            }
            for req in [
                Request { op: Op::Copy, len: 4096, sources: 0, align: 64 },
                Request { op: Op::Xor, len: 65536, sources: 4, align: 64 },
            ] {
                let ok: Vec<BackendId> =
                    ids.iter().copied().filter(|&id| qualifies(&t, id, &req, &ex)).collect();
                match t.select(&req, &ex, 0) {
                    None => prop_assert!(ok.is_empty(), "no choice, but {ok:?} qualify"),
                    Some(id) => {
                        prop_assert!(ok.contains(&id), "{id:?} chosen, {ok:?} qualify");
                        let any_healthy = ok.iter().any(|&x| healthy(&t, x));
                        prop_assert!(healthy(&t, id) || !any_healthy);
                    }
                }
            }
        }
    }
}

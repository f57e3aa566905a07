// SPDX-License-Identifier: GPL-2.0

//! offload-sim: the async-offload layer's per-request choice of backend,
//! judged where TCG cannot judge it.
//!
//! A discrete-event model of N backends (true bandwidth, per-request
//! cost, queue limit, error rate, and the possibly wrong figures they
//! register with) and of a workload (sizes, arrivals) runs every request
//! through the driver's own `backend_select.rs` and `request_state.rs`
//! (compiled from `drivers/lbdx/offload/` by `tools/lbdx-logic`), under
//! each policy, and compares the outcome with references computed with
//! full knowledge (`reference.rs`) over many random scenarios
//! ([`evaluate`]). `offload-sim` prints the distributions; `make bench`
//! runs it.

pub mod reference;
pub mod rng;
pub mod scenario;
pub mod sim;

use lbdx_logic::offload::backend_select::Policy;
use rng::Rng;
use scenario::{Arrivals, Scenario, Workload};
use sim::Outcome;

/// The policies of the layer, in report order.
pub const POLICIES: [Policy; 4] = [
    Policy::EarliestCompletion,
    Policy::RoundRobin,
    Policy::CpuOnly,
    Policy::EnginesFirst,
];

/// What one scenario gave: each policy's online outcome (in
/// [`POLICIES`] order), the references and the bounds.
#[derive(Clone, Debug)]
pub struct Trial {
    /// Online, per policy.
    pub online: Vec<Outcome>,
    /// [`reference::earliest_finish`].
    pub full_knowledge: Outcome,
    /// [`reference::best_static_split`].
    pub static_split: Outcome,
    /// [`reference::lower_bound`]: makespan, mean response.
    pub bound: (u64, f64),
    /// [`reference::online_oracle`], for scenarios whose engines cost
    /// the CPU time (the references above do not model it).
    pub oracle: Option<Outcome>,
    /// For those: [`sim::run_drive_aware`].
    pub drive_aware: Option<Outcome>,
    /// Batch (makespan counts) or stream (mean response counts).
    pub arrivals: Arrivals,
}

impl Trial {
    /// The figure that counts for this workload (lower is better).
    pub fn figure(&self, o: &Outcome) -> f64 {
        o.figure(self.arrivals)
    }

    /// The bound on [`Trial::figure`].
    pub fn bound_figure(&self) -> f64 {
        match self.arrivals {
            Arrivals::Batch => self.bound.0 as f64,
            Arrivals::Poisson { .. } => self.bound.1,
        }
    }
}

/// Runs scenario `s` under every policy and computes its references.
pub fn trial(s: &Scenario, seed: u64) -> Trial {
    Trial {
        online: POLICIES.iter().map(|&p| sim::run(s, p, seed)).collect(),
        full_knowledge: reference::earliest_finish(s),
        static_split: reference::best_static_split(s),
        bound: reference::lower_bound(s),
        oracle: (s.drive_ns > 0).then(|| reference::online_oracle(s, seed)),
        drive_aware: (s.drive_ns > 0).then(|| sim::run_drive_aware(s, seed)),
        arrivals: s.arrivals,
    }
}

/// `n` random scenarios of workload `w` from `seed`, each run.
pub fn evaluate(w: &Workload, n: usize, seed: u64) -> Vec<Trial> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            let s = Scenario::random(&mut rng, w);
            trial(&s, rng.next_u64())
        })
        .collect()
}

/// The `q` quantile (0 to 1) of `v`, nearest rank; 0 for none.
pub fn quantile(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let k = ((v.len() - 1) as f64 * q).round() as usize;
    v[k.min(v.len() - 1)]
}

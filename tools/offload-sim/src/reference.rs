// SPDX-License-Identifier: GPL-2.0

//! What the online choice is judged against, each computed with full
//! knowledge of the true speeds and costs (and no errors, no queue
//! limits: both only constrain a schedule):
//!
//! - [`earliest_finish`]: every request, in arrival order (a batch
//!   largest first, LPT), on the backend where it would truly finish
//!   first: a schedule that exists.
//! - [`best_static_split`]: the best fixed split of the bytes over the
//!   backends, found by a sweep of the shares in tenths: the oracle of
//!   `make bench`'s static split.
//! - [`lower_bound`]: no schedule finishes sooner (makespan) or answers
//!   faster on average (mean response).
//! - [`online_oracle`]: the weighted policy run online with the best of
//!   a sweep of weights, for scenarios whose engines cost the CPU time
//!   ([`Scenario::drive_ns`]), which the schedules above do not model.

use crate::scenario::{Arrivals, Scenario, NS_PER_SEC};
use crate::sim::Outcome;

/// When each backend could next start a request, and its pipe: the
/// earliest-free lane per backend.
struct Lanes {
    free: Vec<Vec<u64>>,
    pipe: Vec<u64>,
}

impl Lanes {
    fn new(s: &Scenario) -> Self {
        Self {
            free: s
                .backends
                .iter()
                .map(|b| vec![0; b.lanes.max(1) as usize])
                .collect(),
            pipe: vec![0; s.backends.len()],
        }
    }

    /// The lane of backend `i` free first.
    fn lane(&self, i: usize) -> usize {
        (0..self.free[i].len())
            .min_by_key(|&k| self.free[i][k])
            .unwrap_or(0)
    }

    /// When a request of `len` bytes arriving at `arrival` would end on
    /// backend `i`.
    fn end(&self, s: &Scenario, i: usize, arrival: u64, len: u64) -> u64 {
        let start = self.free[i][self.lane(i)].max(arrival);
        s.backends[i].end_ns(start, self.pipe[i], len)
    }

    /// Puts it there.
    fn take(&mut self, s: &Scenario, i: usize, arrival: u64, len: u64) -> u64 {
        let end = self.end(s, i, arrival, len);
        let k = self.lane(i);
        self.free[i][k] = end;
        self.pipe[i] = end;
        end
    }
}

/// Schedules the requests of `s` in `order`, each on the backend `pick`
/// chooses given the lanes so far; FIFO per backend.
fn schedule(
    s: &Scenario,
    order: &[usize],
    mut pick: impl FnMut(usize, &Lanes) -> usize,
) -> Outcome {
    let mut lanes = Lanes::new(s);
    let mut done = vec![0u64; s.jobs.len()];
    let mut per_backend = vec![0u64; s.backends.len()];
    for &j in order {
        let job = s.jobs[j];
        let i = pick(j, &lanes);
        done[j] = lanes.take(s, i, job.arrival_ns, job.len);
        per_backend[i] += 1;
    }
    let mut out = Outcome::from_times(s.jobs.iter().map(|j| j.arrival_ns), &done);
    out.per_backend = per_backend;
    out.attempts = s.jobs.len() as u64;
    out
}

/// Arrival order; for a batch, largest first.
fn order(s: &Scenario) -> Vec<usize> {
    let mut o: Vec<usize> = (0..s.jobs.len()).collect();
    if s.arrivals == Arrivals::Batch {
        o.sort_by_key(|&j| std::cmp::Reverse(s.jobs[j].len));
    }
    o
}

/// Earliest true finish per request, with full knowledge.
pub fn earliest_finish(s: &Scenario) -> Outcome {
    schedule(s, &order(s), |j, lanes| {
        let job = s.jobs[j];
        (0..s.backends.len())
            .min_by_key(|&i| lanes.end(s, i, job.arrival_ns, job.len))
            .unwrap_or(0)
    })
}

/// Every split of `parts` equal shares over `n` backends.
fn splits(n: usize, parts: u32) -> Vec<Vec<u32>> {
    fn rec(n: usize, left: u32, cur: &mut Vec<u32>, out: &mut Vec<Vec<u32>>) {
        if n == 1 {
            cur.push(left);
            out.push(cur.clone());
            cur.pop();
            return;
        }
        for k in 0..=left {
            cur.push(k);
            rec(n - 1, left - k, cur, out);
            cur.pop();
        }
    }
    let mut out = Vec::new();
    rec(n.max(1), parts, &mut Vec::new(), &mut out);
    out
}

/// The fixed split of the bytes (shares in tenths, each request to the
/// backend furthest below its share so far) with the smallest makespan
/// for a batch, the smallest mean response for a stream.
pub fn best_static_split(s: &Scenario) -> Outcome {
    let arrival = (0..s.jobs.len()).collect::<Vec<_>>();
    let key = |o: &Outcome| o.figure(s.arrivals);
    let mut best: Option<Outcome> = None;
    for shares in splits(s.backends.len(), 10) {
        let mut given = vec![0u64; s.backends.len()];
        let mut total = 0u64;
        let o = schedule(s, &arrival, |j, _| {
            let len = s.jobs[j].len;
            total += len;
            // Deficit of each backend against its share of the bytes so far.
            let i = (0..shares.len())
                .filter(|&i| shares[i] > 0)
                .max_by_key(|&i| {
                    (u128::from(total) * u128::from(shares[i])) as i128 / 10 - i128::from(given[i])
                })
                .unwrap_or(0);
            given[i] += len;
            i
        });
        if best.as_ref().is_none_or(|b| key(&o) < key(b)) {
            best = Some(o);
        }
    }
    best.unwrap_or_default()
}

/// Bounds no schedule beats: `(makespan, mean response)`, nanoseconds.
///
/// Makespan: the latest arrival plus its fastest service; and the
/// smallest `T` in which the backends could move every byte even if
/// requests could be split, each backend used paying its cost once
/// (`sum_i bw_i * max(0, T - cost_i) >= bytes`). Mean response: each
/// request alone on its fastest backend.
pub fn lower_bound(s: &Scenario) -> (u64, f64) {
    let fastest = |len: u64| {
        s.backends
            .iter()
            .map(|b| b.service_ns(len))
            .min()
            .unwrap_or(0)
    };
    let one = s
        .jobs
        .iter()
        .map(|j| j.arrival_ns + fastest(j.len))
        .max()
        .unwrap_or(0);
    let bytes: u64 = s.jobs.iter().map(|j| j.len).sum();
    let movable = |t: u64| -> u128 {
        s.backends
            .iter()
            .map(|b| u128::from(b.bandwidth) * u128::from(t.saturating_sub(b.cost_ns)))
            .sum::<u128>()
            / u128::from(NS_PER_SEC)
    };
    let (mut lo, mut hi) = (0u64, one.max(1));
    while movable(hi) < u128::from(bytes) {
        hi *= 2;
    }
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if movable(mid) >= u128::from(bytes) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    let mean =
        s.jobs.iter().map(|j| fastest(j.len) as f64).sum::<f64>() / s.jobs.len().max(1) as f64;
    (one.max(lo), mean)
}

/// The best outcome of the weighted policy run online (the model of
/// [`crate::sim`], `drive_ns` included) over every split of the weights
/// in fifths: `make bench`'s oracle, searched in the same model as the
/// policies it judges.
pub fn online_oracle(s: &Scenario, seed: u64) -> Outcome {
    let key = |o: &Outcome| o.figure(s.arrivals);
    splits(s.backends.len(), 5)
        .into_iter()
        .map(|w| crate::sim::run_weighted(s, &w, seed))
        .min_by(|a, b| key(a).total_cmp(&key(b)))
        .unwrap_or_default()
}

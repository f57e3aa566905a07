// SPDX-License-Identifier: GPL-2.0

//! select-bench: the cost of one backend choice of the layer
//! (`BackendTable::select`, the driver's own file) with 1, 4, 8 and 16
//! backends registered, on this host, for `make bench`:
//!
//! ```text
//! select-bench [--iters N] [--reps R]
//! ```
//!
//! Each figure is the median over R repetitions of N selections of a
//! 4 KiB copy, with the table holding some queued bytes on every backend
//! (so the estimate is computed, not short-cut), under the
//! earliest-completion policy: `select` over every slot, and `select_in`
//! over the slots a `CandidateCache` keeps (the layer's fast path); both
//! again with a drive cost on every engine, as the layer learns one by
//! default (`drive_estimate.rs`).

use std::hint::black_box;
use std::time::Instant;

use lbdx_logic::offload::backend_select::{
    BackendDesc, BackendTable, CandidateCache, Caps, ExcludeSet, HealthRules, Op, OpSet, Request,
};

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A table of `n` backends: the CPU and `n - 1` engines of different
/// speeds, each holding a few requests; with `drive`, each engine's
/// request costs the CPU 20 us.
fn table(n: usize, drive: bool) -> BackendTable {
    let mut t = BackendTable::new(HealthRules::default());
    for i in 0..n {
        let d = BackendDesc {
            caps: Caps {
                ops: OpSet::ALL,
                max_xor_sources: 16,
                max_len: 1 << 30,
                align: 1,
            },
            bandwidth: 1_000_000_000 * (i as u64 + 2),
            request_cost_ns: 500 + 1_000 * i as u64,
            is_cpu: i == 0,
        };
        if let Ok(id) = t.register(d) {
            if drive && i > 0 {
                let _ = t.set_drive_cost(id, 20_000);
            }
            for _ in 0..3 {
                let _ = t.on_submit(id, 64 << 10);
            }
        }
    }
    t
}

/// Nanoseconds per call of `f`, median of `reps` runs of `iters` calls.
fn per_call(iters: u64, reps: u64, mut f: impl FnMut(u64)) -> f64 {
    let mut runs: Vec<f64> = (0..reps.max(1))
        .map(|_| {
            let t = Instant::now();
            for i in 0..iters {
                f(i);
            }
            t.elapsed().as_nanos() as f64 / iters.max(1) as f64
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    runs[runs.len() / 2]
}

fn main() {
    let (iters, reps) = (arg("--iters", 1_000_000), arg("--reps", 7));
    let req = Request {
        op: Op::Copy,
        len: 4096,
        sources: 0,
        align: 64,
    };
    let none = ExcludeSet::new();
    println!(
        "select-bench: median of {reps} x {iters} selections of a 4 KiB copy, earliest-completion"
    );
    println!(
        "{:>9} {:>14} {:>22} {:>16} {:>22}",
        "backends", "select ns", "select_in cached ns", "drive: select", "drive: select_in cached"
    );
    for n in [1, 4, 8, 16] {
        let mut cols = Vec::new();
        for drive in [false, true] {
            let mut t = table(n, drive);
            cols.push(per_call(iters, reps, |i| {
                black_box(t.select(black_box(&req), &none, i));
            }));
            let mut cache = CandidateCache::new(req);
            let mut t = table(n, drive);
            cols.push(per_call(iters, reps, |i| {
                let c = cache.candidates(&t);
                black_box(t.select_in(black_box(&req), c, &none, i));
            }));
        }
        println!(
            "{n:>9} {:>14.1} {:>22.1} {:>16.1} {:>22.1}",
            cols[0], cols[1], cols[2], cols[3]
        );
    }
}

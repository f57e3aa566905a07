// SPDX-License-Identifier: GPL-2.0

//! offload-sim: prints, per workload, the distribution over random
//! scenarios of each policy's figure against the references (see the
//! crate docs), for `make bench`:
//!
//! ```text
//! offload-sim [--scenarios N] [--seed S]
//! ```
//!
//! A ratio is reference / policy on the figure that counts (batch: time
//! to finish everything; stream: mean response), so 1.0 is "as good as
//! the reference" and higher is better; against the lower bound it is at
//! most 1. In the last two workloads an engine's request takes CPU time
//! (`Scenario::drive_ns`): the policies are judged against the weighted
//! policy with the best weights of a sweep, and earliest-completion runs
//! twice, once told that CPU time (`BackendTable::set_drive_cost`).

use std::process::ExitCode;

use offload_sim::scenario::{Arrivals, Sizes, Workload};
use offload_sim::{evaluate, quantile, Trial, POLICIES};

/// The CPU time an engine's request takes from the CPU in the last two
/// workloads: what `make bench` measures under TCG (40-50 us per request
/// with one vCPU), where the CPU is the bottleneck of a stream.
const DRIVE_NS: u64 = 40_000;

const WORKLOADS: [Workload; 6] = [
    Workload {
        name: "mixed 64 B..1 MiB, batch",
        sizes: Sizes::Mixed,
        arrivals: Arrivals::Batch,
        jobs: 400,
        drive_ns: 0,
    },
    Workload {
        name: "256 KiB copies, batch",
        sizes: Sizes::Fixed(256 << 10),
        arrivals: Arrivals::Batch,
        jobs: 400,
        drive_ns: 0,
    },
    Workload {
        name: "mixed, stream at 0.7 of the summed bandwidth",
        sizes: Sizes::Mixed,
        arrivals: Arrivals::Poisson { load: 0.7 },
        jobs: 400,
        drive_ns: 0,
    },
    Workload {
        name: "4 KiB copies, stream at 0.5",
        sizes: Sizes::Fixed(4 << 10),
        arrivals: Arrivals::Poisson { load: 0.5 },
        jobs: 400,
        drive_ns: 0,
    },
    Workload {
        name: "256 KiB copies, batch, 40 us of CPU per engine request",
        sizes: Sizes::Fixed(256 << 10),
        arrivals: Arrivals::Batch,
        jobs: 400,
        drive_ns: DRIVE_NS,
    },
    Workload {
        name: "mixed 64 B..1 MiB, batch, 40 us of CPU per engine request",
        sizes: Sizes::Mixed,
        arrivals: Arrivals::Batch,
        jobs: 400,
        drive_ns: DRIVE_NS,
    },
];

fn arg(name: &str, default: u64) -> Result<u64, String> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .ok_or(format!("{name} wants a number")),
    }
}

/// "median [p10 .. p90] min" of `f` over the trials.
fn dist(trials: &[Trial], f: impl Fn(&Trial) -> f64) -> String {
    dist_of(trials.iter().map(f).collect())
}

/// "median [p10 .. p90] min max" of `v`.
fn dist_of(mut v: Vec<f64>) -> String {
    format!(
        "{:5.3} [{:5.3} .. {:5.3}] min {:5.3} max {:5.3}",
        quantile(&mut v, 0.5),
        quantile(&mut v, 0.1),
        quantile(&mut v, 0.9),
        quantile(&mut v, 0.0),
        quantile(&mut v, 1.0)
    )
}

/// A workload whose engines cost the CPU time: the policies against the
/// weighted policy with the best weights of a sweep, run in the same
/// model (the references do not model that CPU time).
fn report_driven(trials: &[Trial]) {
    println!(
        "{:<24} vs the online oracle (best weights in fifths)",
        "policy"
    );
    let oracle = |t: &Trial| t.oracle.as_ref().map_or(f64::NAN, |o| t.figure(o));
    for (k, p) in POLICIES.iter().enumerate() {
        println!(
            "{:<24} {}",
            p.name(),
            dist(trials, |t| oracle(t) / t.figure(&t.online[k]))
        );
    }
    println!(
        "{:<24} {}",
        "earliest-completion, engines' CPU time known",
        dist(trials, |t| t
            .drive_aware
            .as_ref()
            .map_or(f64::NAN, |o| oracle(t) / t.figure(o)))
    );
    let share = |o: &offload_sim::sim::Outcome| {
        o.per_backend.first().copied().unwrap_or(0) as f64 / o.done.max(1) as f64
    };
    println!(
        "CPU's share of the requests: earliest-completion {}; known {}; oracle {}",
        dist(trials, |t| share(&t.online[0])),
        dist(trials, |t| t.drive_aware.as_ref().map_or(f64::NAN, share)),
        dist(trials, |t| t.oracle.as_ref().map_or(f64::NAN, share))
    );
}

fn main() -> ExitCode {
    let (n, seed) = match (arg("--scenarios", 500), arg("--seed", 1)) {
        (Ok(n), Ok(s)) => (n as usize, s),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("offload-sim: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("offload-sim: {n} random scenarios per workload, seed {seed}");
    println!("ratios: reference / policy (higher is better); median [p10 .. p90] min");
    for w in &WORKLOADS {
        if w.drive_ns > 0 {
            // Each scenario sweeps the oracle's weights online: a fifth
            // of the scenarios.
            let trials = evaluate(w, (n / 5).max(1), seed);
            println!();
            println!("## {} ({} scenarios)", w.name, trials.len());
            report_driven(&trials);
            continue;
        }
        let trials = evaluate(w, n, seed);
        println!();
        println!("## {}", w.name);
        println!(
            "{:<24} {:<40} vs lower bound",
            "policy", "vs full knowledge"
        );
        for (k, p) in POLICIES.iter().enumerate() {
            println!(
                "{:<24} {:<40} {}",
                p.name(),
                dist(&trials, |t| t.figure(&t.full_knowledge)
                    / t.figure(&t.online[k])),
                dist(&trials, |t| t.bound_figure() / t.figure(&t.online[k]))
            );
        }
        println!(
            "{:<24} {:<40} {}",
            "best static split",
            dist(&trials, |t| t.figure(&t.full_knowledge)
                / t.figure(&t.static_split)),
            dist(&trials, |t| t.bound_figure() / t.figure(&t.static_split))
        );
        println!(
            "earliest-completion over round-robin: {}",
            dist(&trials, |t| t.figure(&t.online[1]) / t.figure(&t.online[0]))
        );
        println!(
            "earliest-completion over the best static split: {}",
            dist(&trials, |t| t.figure(&t.static_split)
                / t.figure(&t.online[0]))
        );
        println!(
            "earliest-completion: engines' learnt bandwidth / true at the end: {}",
            dist_of(
                trials
                    .iter()
                    .flat_map(|t| t.online[0].learnt_bandwidth.iter().skip(1).copied())
                    .collect()
            )
        );
        let failed: usize = trials.iter().map(|t| t.online[0].failed).sum();
        let attempts: u64 = trials.iter().map(|t| t.online[0].attempts).sum();
        let jobs: usize = trials
            .iter()
            .map(|t| t.online[0].done + t.online[0].failed)
            .sum();
        println!(
            "earliest-completion: {jobs} requests, {attempts} submissions, {failed} with no backend left"
        );
    }
    ExitCode::SUCCESS
}

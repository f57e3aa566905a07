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
//! most 1.

use std::process::ExitCode;

use offload_sim::scenario::{Arrivals, Sizes, Workload};
use offload_sim::{evaluate, quantile, Trial, POLICIES};

const WORKLOADS: [Workload; 4] = [
    Workload {
        name: "mixed 64 B..1 MiB, batch",
        sizes: Sizes::Mixed,
        arrivals: Arrivals::Batch,
        jobs: 400,
    },
    Workload {
        name: "256 KiB copies, batch",
        sizes: Sizes::Fixed(256 << 10),
        arrivals: Arrivals::Batch,
        jobs: 400,
    },
    Workload {
        name: "mixed, stream at 0.7 of the summed bandwidth",
        sizes: Sizes::Mixed,
        arrivals: Arrivals::Poisson { load: 0.7 },
        jobs: 400,
    },
    Workload {
        name: "4 KiB copies, stream at 0.5",
        sizes: Sizes::Fixed(4 << 10),
        arrivals: Arrivals::Poisson { load: 0.5 },
        jobs: 400,
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

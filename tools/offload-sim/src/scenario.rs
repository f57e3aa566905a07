// SPDX-License-Identifier: GPL-2.0

//! Scenarios: the backends (true speed, per-request cost, queue limit,
//! error rate, and what the layer is told of them at registration), the
//! requests (sizes, arrival times) and what an engine's request costs the
//! CPU.

use crate::rng::Rng;

/// Nanoseconds per second.
pub const NS_PER_SEC: u64 = 1_000_000_000;

/// One backend as it really is, and as registered.
#[derive(Clone, Debug)]
pub struct Backend {
    /// True bandwidth, bytes per second.
    pub bandwidth: u64,
    /// True fixed cost of one request, nanoseconds.
    pub cost_ns: u64,
    /// Most requests it holds at once (queued and running); one more is
    /// refused for now, as a full descriptor ring refuses it.
    pub queue_limit: u32,
    /// Requests it works on at once: their fixed costs (descriptor fetch,
    /// completion write) overlap, their bytes go through one pipe at
    /// `bandwidth`, in order ([`Backend::end_ns`]).
    pub lanes: u32,
    /// Probability that a request fails (after taking its time).
    pub error_rate: f64,
    /// The bandwidth it registers with (the layer learns the rest).
    pub est_bandwidth: u64,
    /// The per-request cost it registers with.
    pub est_cost_ns: u64,
    /// Whether it is the CPU backend.
    pub is_cpu: bool,
}

impl Backend {
    /// True time of one request of `len` bytes, alone.
    pub fn service_ns(&self, len: u64) -> u64 {
        self.cost_ns + self.transfer_ns(len)
    }

    /// Time `len` bytes take through the pipe.
    pub fn transfer_ns(&self, len: u64) -> u64 {
        (u128::from(len) * u128::from(NS_PER_SEC) / u128::from(self.bandwidth.max(1))) as u64
    }

    /// When a request of `len` bytes started on a lane at `start_ns` ends,
    /// the pipe being free from `pipe_free_ns`: its fixed cost, then its
    /// bytes once the pipe is free.
    pub fn end_ns(&self, start_ns: u64, pipe_free_ns: u64, len: u64) -> u64 {
        (start_ns + self.cost_ns).max(pipe_free_ns) + self.transfer_ns(len)
    }
}

/// One request.
#[derive(Clone, Copy, Debug)]
pub struct Job {
    /// When it is submitted, nanoseconds from the start.
    pub arrival_ns: u64,
    /// Its length in bytes (a copy).
    pub len: u64,
}

/// How request sizes are drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Sizes {
    /// Log-uniform from 64 B to 1 MiB.
    Mixed,
    /// All of this many bytes.
    Fixed(u64),
}

/// How requests arrive.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Arrivals {
    /// All at time 0: the figure is the time to finish them all.
    Batch,
    /// A Poisson stream offering `load` times the backends' summed
    /// bandwidth: the figure is the mean response time.
    Poisson {
        /// Offered bytes per second over the summed bandwidth.
        load: f64,
    },
}

/// A workload: sizes, arrivals and how many requests.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Workload {
    /// Its name in reports.
    pub name: &'static str,
    /// Request sizes.
    pub sizes: Sizes,
    /// Arrivals.
    pub arrivals: Arrivals,
    /// Requests.
    pub jobs: usize,
    /// [`Scenario::drive_ns`].
    pub drive_ns: u64,
}

/// Backends and requests.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The backends, the CPU backend first.
    pub backends: Vec<Backend>,
    /// The requests, in arrival order.
    pub jobs: Vec<Job>,
    /// How they arrive.
    pub arrivals: Arrivals,
    /// CPU time each request an engine completes takes from the CPU
    /// backend (the driver's share: submission, interrupt, completion),
    /// nanoseconds; 0: engines cost the CPU nothing. With one vCPU under
    /// TCG `make bench` measures 40-50 us per request against 110-190 us
    /// for the CPU's own copy of its 256 KiB.
    pub drive_ns: u64,
}

/// Registration figures within a factor of 2 of the truth either way, as
/// a nominal figure of a data sheet or a guess before any measurement.
fn guess(rng: &mut Rng, truth: u64) -> u64 {
    ((truth as f64) * rng.range(0.5, 2.0)).max(1.0) as u64
}

impl Scenario {
    /// A random scenario: the CPU (1.5-6 GB/s, 0.2-1 us a request, one at
    /// a time) and 1 to 3 engines (1-32 GB/s, 1-20 us a request, 1-4 at
    /// once, 4-64 requests queued, in a third of the scenarios each with
    /// up to 5% errors), with requests of `w`.
    pub fn random(rng: &mut Rng, w: &Workload) -> Self {
        let mut backends = Vec::new();
        let cpu_bw = rng.log_uniform(1_500_000_000, 6_000_000_000);
        let cpu_cost = rng.int(200, 1_000);
        backends.push(Backend {
            bandwidth: cpu_bw,
            cost_ns: cpu_cost,
            queue_limit: 1024,
            lanes: 1,
            error_rate: 0.0,
            est_bandwidth: cpu_bw,
            est_cost_ns: cpu_cost,
            is_cpu: true,
        });
        let errors = rng.unit() < 1.0 / 3.0;
        for _ in 0..rng.int(1, 3) {
            let bandwidth = rng.log_uniform(1_000_000_000, 32_000_000_000);
            let cost_ns = rng.log_uniform(1_000, 20_000);
            backends.push(Backend {
                bandwidth,
                cost_ns,
                queue_limit: rng.int(4, 64) as u32,
                lanes: rng.int(1, 4) as u32,
                error_rate: if errors { rng.range(0.0, 0.05) } else { 0.0 },
                est_bandwidth: guess(rng, bandwidth),
                est_cost_ns: guess(rng, cost_ns),
                is_cpu: false,
            });
        }
        let lens: Vec<u64> = (0..w.jobs)
            .map(|_| match w.sizes {
                Sizes::Mixed => rng.log_uniform(64, 1 << 20),
                Sizes::Fixed(n) => n,
            })
            .collect();
        let jobs = match w.arrivals {
            Arrivals::Batch => lens
                .into_iter()
                .map(|len| Job { arrival_ns: 0, len })
                .collect(),
            Arrivals::Poisson { load } => {
                let capacity: u64 = backends.iter().map(|b| b.bandwidth).sum();
                let total: u64 = lens.iter().sum();
                let span_ns = total as f64 * NS_PER_SEC as f64 / capacity as f64 / load;
                let mean_gap = span_ns / lens.len().max(1) as f64;
                let mut t = 0.0;
                lens.into_iter()
                    .map(|len| {
                        t += rng.exp(mean_gap);
                        Job {
                            arrival_ns: t as u64,
                            len,
                        }
                    })
                    .collect()
            }
        };
        Self {
            backends,
            jobs,
            arrivals: w.arrivals,
            drive_ns: w.drive_ns,
        }
    }
}

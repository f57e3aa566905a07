// SPDX-License-Identifier: GPL-2.0

//! The drive cost of a backend learnt from its own requests: the CPU time
//! one of them takes from the CPU (see `BackendTable::set_drive_cost`),
//! in two parts measured apart,
//!
//! - *submission*: the layer's mapping of the buffers and the backend's
//!   `->submit`, timed by the layer for every attempt it hands over;
//! - *handling*: what the backend's driver spends per job to learn that it
//!   finished (for a DXE engine, from its completion interrupt to the jobs
//!   collected, before they are reported), reported by the driver in
//!   batches.
//!
//! Each part is a mean over a window of [`WINDOW`] jobs, folded into a
//! moving average (gain 1/[`GAIN`]). A sample above [`CLAMP`] times the
//! part's estimate counts as that much: the times are wall-clock, and a
//! submitter preempted by an interrupt thread would otherwise charge it
//! twice; none counts more than [`MAX_NS`] per job. The estimate is the
//! sum of the parts learnt so far.
//!
//! Kernel-free (`core` only): also compiled by the host crate
//! `tools/lbdx-logic`, whose tests check it.

use super::backend_select::toward;

/// Jobs of one part per window.
pub const WINDOW: u32 = 32;
/// A new window's mean moves the estimate by 1/`GAIN` of the difference.
pub const GAIN: u64 = 4;
/// A sample counts at most `CLAMP` times the part's estimate per job.
pub const CLAMP: u64 = 4;
/// A sample counts at most one second per job (the largest drive cost the
/// operator may set).
pub const MAX_NS: u64 = 1_000_000_000;

/// One part of the estimate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Part {
    /// Nanoseconds of the open window.
    sum: u64,
    /// Jobs of the open window.
    jobs: u32,
    /// The estimate per job; `None` before the first window closed.
    est: Option<u64>,
}

impl Part {
    /// Adds `ns` spent on `jobs` jobs; returns whether a window closed.
    fn add(&mut self, ns: u64, jobs: u32) -> bool {
        if jobs == 0 {
            return false;
        }
        let most = match self.est {
            Some(e) => e.saturating_mul(CLAMP).min(MAX_NS),
            None => MAX_NS,
        };
        let ns = ns.min(most.saturating_mul(u64::from(jobs)));
        self.sum = self.sum.saturating_add(ns);
        self.jobs = self.jobs.saturating_add(jobs);
        if self.jobs < WINDOW {
            return false;
        }
        let mean = self.sum / u64::from(self.jobs);
        self.est = Some(match self.est {
            None => mean,
            Some(e) => toward(e, mean, GAIN),
        });
        self.sum = 0;
        self.jobs = 0;
        true
    }
}

/// A backend's learnt drive cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DriveEstimate {
    submission: Part,
    handling: Part,
}

impl DriveEstimate {
    /// Nothing learnt yet.
    pub const fn new() -> Self {
        let empty = Part {
            sum: 0,
            jobs: 0,
            est: None,
        };
        Self {
            submission: empty,
            handling: empty,
        }
    }

    /// One attempt's submission took `ns`; returns the new estimate if a
    /// window closed.
    pub fn add_submission(&mut self, ns: u64) -> Option<u64> {
        self.submission.add(ns, 1).then(|| self.value())
    }

    /// The backend's driver spent `ns` handling the completions of `jobs`
    /// jobs; returns the new estimate if a window closed.
    pub fn add_handling(&mut self, ns: u64, jobs: u32) -> Option<u64> {
        self.handling.add(ns, jobs).then(|| self.value())
    }

    /// The estimate, nanoseconds per request: the parts learnt so far
    /// (0 if none).
    pub fn value(&self) -> u64 {
        let part = |p: &Part| p.est.unwrap_or(0);
        part(&self.submission).saturating_add(part(&self.handling))
    }
}

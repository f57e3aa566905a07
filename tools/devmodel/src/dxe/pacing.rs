// SPDX-License-Identifier: GPL-2.0

//! Bandwidth pacing: the device never moves more than `rate` bytes per
//! second on average.
//!
//! A virtual clock: each descriptor of `n` bytes occupies the engine for
//! `n / rate` seconds after the later of "now" and the end of the previous
//! one; the worker sleeps until then before completing it. The clock is
//! passed in, so the arithmetic is testable without sleeping.

use std::time::{Duration, Instant};

/// Pacing state of one device.
#[derive(Clone, Debug)]
pub struct Pacer {
    rate: u64,
    busy_until: Option<Instant>,
}

impl Pacer {
    /// A pacer for `rate` bytes per second (0: unlimited).
    pub fn new(rate: u64) -> Self {
        Self {
            rate,
            busy_until: None,
        }
    }

    /// Accounts `bytes` started at `now`; returns when they are done.
    pub fn account(&mut self, now: Instant, bytes: u64) -> Instant {
        if self.rate == 0 {
            return now;
        }
        let start = match self.busy_until {
            Some(t) if t > now => t,
            _ => now,
        };
        let nanos = u128::from(bytes) * 1_000_000_000 / u128::from(self.rate);
        let cost = Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX));
        let end = start.checked_add(cost).unwrap_or(start);
        self.busy_until = Some(end);
        end
    }

    /// Forgets past work (device reset).
    pub fn reset(&mut self) {
        self.busy_until = None;
    }
}

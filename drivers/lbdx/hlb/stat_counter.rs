// SPDX-License-Identifier: GPL-2.0

//! A 64-bit, resettable statistics counter kept from a 32-bit device
//! counter. Kernel-free (`core` only), shared with the host tests.
//!
//! The HLB's data-plane counters are 32 bits wide, wrap, and go back to 0
//! when the device restarts them: at every domain start (a drain) and, for
//! a port's counters, at a port reset. A [`Folded`] counter adds up what
//! the register moved between two reads (modulo 2^32), so its total is
//! exact as long as it is read at least once per 2^32 counts and told of
//! every restart *after* a read that saw the last value before it (the
//! device holds a stopped port's or domain's counters still, so the driver
//! reads them, restarts, and calls [`Folded::restarted`]). A reset of the
//! statistics only moves the base the value is shown from.

/// One counter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Folded {
    /// The register's value at the last [`Folded::update`] (0 after a
    /// restart).
    last: u32,
    /// Counts since the driver started counting.
    total: u64,
    /// `total` at the last [`Folded::reset`].
    base: u64,
}

impl Folded {
    /// The register reads `now`: adds what it moved since the last read.
    pub fn update(&mut self, now: u32) {
        self.total = self
            .total
            .wrapping_add(u64::from(now.wrapping_sub(self.last)));
        self.last = now;
    }

    /// The device set the register back to 0 (after the read that saw its
    /// last value).
    pub fn restarted(&mut self) {
        self.last = 0;
    }

    /// Adds `n` counts the driver saw itself (no register).
    pub fn add(&mut self, n: u64) {
        self.total = self.total.wrapping_add(n);
    }

    /// Counts since the last reset.
    pub fn value(&self) -> u64 {
        self.total.wrapping_sub(self.base)
    }

    /// Counts since the driver started counting, resets ignored.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Starts [`Folded::value`] from 0 again.
    pub fn reset(&mut self) {
        self.base = self.total;
    }
}

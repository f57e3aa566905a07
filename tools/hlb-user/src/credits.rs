// SPDX-License-Identifier: GPL-2.0

//! A port's credit cache: credits taken from the domain's shared software
//! pools (the credit page) in quanta, spent one per NEW or FORWARD QE, and
//! given back to the pool when the port goes away. Consumers return one
//! credit per event they take from a CQ straight to the shared pool.
//!
//! The cache is mirrored in the port's ledger, which the driver reads if
//! the process dies. The ledger is written after credits are taken and
//! before they are spent or given back, so a death between the two
//! stores loses credits and never invents them.

use std::sync::atomic::Ordering;

use crate::mem::PortMem;

/// Default credits taken from a shared pool at once.
pub const DEFAULT_QUANTA: u32 = 32;

/// Credits a port holds, per pool (0: LDB, 1: DIR).
#[derive(Debug, Default)]
pub struct CreditCache {
    cache: [u32; 2],
    quanta: u32,
}

impl CreditCache {
    /// An empty cache filling itself `quanta` credits at a time (at most
    /// `u16::MAX`, what the ledger records).
    pub fn new(quanta: u32) -> Self {
        Self {
            cache: [0; 2],
            quanta: quanta.clamp(1, u16::MAX.into()),
        }
    }

    /// Credits held for the pool.
    pub fn held(&self, dir: bool) -> u32 {
        self.cache[dir as usize]
    }

    /// Makes sure the cache holds at least one credit of the pool, taking
    /// up to a quantum from the shared pool (less if it has less). False
    /// if the cache and the shared pool are both empty.
    /// The shared pool is not taken below `floor` (a producer's
    /// new-event threshold; 0 for forwards).
    pub fn reserve_one(&mut self, mem: &PortMem, dir: bool, floor: u32) -> bool {
        if self.cache[dir as usize] > 0 {
            return true;
        }
        let pool = mem.credit_pool(dir);
        let mut avail = pool.load(Ordering::Acquire);
        loop {
            let take = avail.saturating_sub(floor).min(self.quanta);
            if take == 0 {
                return false;
            }
            match pool.compare_exchange_weak(
                avail,
                avail - take,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    self.cache[dir as usize] = take;
                    mem.set_ledger_held(self.cache);
                    return true;
                }
                Err(now) => avail = now,
            }
        }
    }

    /// Spends one credit reserved with [`Self::reserve_one`], before the
    /// QE it pays for is written.
    pub fn spend(&mut self, mem: &PortMem, dir: bool) {
        self.cache[dir as usize] = self.cache[dir as usize].saturating_sub(1);
        mem.set_ledger_held(self.cache);
    }

    /// Takes back a credit [`Self::spend`] spent on a QE that could not be
    /// written.
    pub fn unspend(&mut self, mem: &PortMem, dir: bool) {
        self.cache[dir as usize] += 1;
        mem.set_ledger_held(self.cache);
    }

    /// Gives `n` credits of a pool to the shared pool (a consumer's return).
    pub fn give_back(mem: &PortMem, dir: bool, n: u32) {
        if n > 0 {
            mem.credit_pool(dir).fetch_add(n, Ordering::AcqRel);
        }
    }

    /// Returns everything the cache holds to the shared pools.
    pub fn release_all(&mut self, mem: &PortMem) {
        let held = core::mem::take(&mut self.cache);
        if held != [0; 2] {
            mem.set_ledger_held(self.cache);
        }
        for dir in [false, true] {
            Self::give_back(mem, dir, held[dir as usize]);
        }
    }
}

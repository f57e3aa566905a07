// SPDX-License-Identifier: GPL-2.0

//! Where scheduled entries go: the [`CqSink`] the scheduler writes CQ
//! entries and interrupts through, and [`MemCqs`], CQ rings in plain
//! memory with the consumer's side (generation-bit polling) for tests and
//! benchmarks.

use alloc::vec;
use alloc::vec::Vec;

use lbdx_logic::hw::hlb_regs::{CqEntry, CQ_GEN, QE_SIZE};

/// Receives what the scheduler delivers. Ports are the domain's port
/// indexes ([`crate::Domain::port_index`]).
pub trait CqSink {
    /// Writes `entry` at free-running index `index` of `port`'s CQ ring
    /// (slot `index % depth`; `entry.gen` already set for that lap).
    fn write(&mut self, port: usize, index: u32, entry: &CqEntry);
    /// [`CqSink::write`] with the entry already in its byte layout
    /// ([`CqEntry::to_bytes`]); the scheduler calls this one. The default
    /// decodes it and calls [`CqSink::write`].
    #[inline]
    fn write_bytes(&mut self, port: usize, index: u32, entry: &[u8; QE_SIZE]) {
        self.write(port, index, &CqEntry::from_bytes(entry));
    }
    /// `port`'s armed CQ interrupt fires (the model raises `CQ_VECTOR`).
    fn interrupt(&mut self, _port: usize) {}
}

/// One CQ ring in memory and its consumer's read position.
#[derive(Clone, Debug)]
struct MemCq {
    slots: Vec<[u8; QE_SIZE]>,
    read: u32,
    interrupts: u32,
}

/// CQ rings of every port of a domain in plain memory, as the device would
/// write them into guest memory, with the consumer's side.
#[derive(Clone, Debug)]
pub struct MemCqs {
    cqs: Vec<MemCq>,
}

impl MemCqs {
    /// Zeroed rings of the given depths (port index order, see
    /// [`crate::Domain::cq_depths`]).
    pub fn new(depths: impl IntoIterator<Item = u32>) -> Self {
        let cqs = depths
            .into_iter()
            .map(|d| MemCq {
                slots: vec![[0; QE_SIZE]; d as usize],
                read: 0,
                interrupts: 0,
            })
            .collect();
        Self { cqs }
    }

    /// Consumer side: the next entry of `port`'s ring, if the device wrote
    /// one (its generation bit is the one expected for this lap).
    #[inline]
    pub fn pop(&mut self, port: usize) -> Option<CqEntry> {
        let cq = &mut self.cqs[port];
        let depth = cq.slots.len() as u32;
        if depth == 0 {
            return None;
        }
        // Depths are powers of two: masks instead of `%` and `gen_for`.
        let e = CqEntry::from_bytes(&cq.slots[(cq.read & (depth - 1)) as usize]);
        if e.gen != (cq.read & depth == 0) {
            return None;
        }
        cq.read = cq.read.wrapping_add(1);
        Some(e)
    }

    /// Consumer side, a burst: copies up to `out.len()` entries the
    /// device wrote into `port`'s ring (generation bit checked for each)
    /// into `out`, in their byte layout; returns how many.
    #[inline]
    pub fn pop_burst(&mut self, port: usize, out: &mut [[u8; QE_SIZE]]) -> usize {
        let Some(cq) = self.cqs.get_mut(port) else {
            return 0;
        };
        let depth = cq.slots.len() as u32;
        if depth == 0 {
            return 0;
        }
        let mut n = 0;
        for o in out.iter_mut() {
            let slot = &cq.slots[(cq.read & (depth - 1)) as usize];
            if (slot[QE_SIZE - 1] & CQ_GEN != 0) != (cq.read & depth == 0) {
                break;
            }
            *o = *slot;
            cq.read = cq.read.wrapping_add(1);
            n += 1;
        }
        n
    }

    /// What a driver does to `port`'s ring after a port reset: zeroes it,
    /// and the next user reads from index 0.
    pub fn reset(&mut self, port: usize) {
        let cq = &mut self.cqs[port];
        cq.slots.iter_mut().for_each(|s| *s = [0; QE_SIZE]);
        cq.read = 0;
    }

    /// Interrupts `port` received so far.
    pub fn interrupts(&self, port: usize) -> u32 {
        self.cqs[port].interrupts
    }
}

impl CqSink for MemCqs {
    #[inline]
    fn write(&mut self, port: usize, index: u32, entry: &CqEntry) {
        let cq = &mut self.cqs[port];
        let depth = cq.slots.len() as u32;
        cq.slots[(index & (depth - 1)) as usize] = entry.to_bytes();
    }

    #[inline]
    fn write_bytes(&mut self, port: usize, index: u32, entry: &[u8; QE_SIZE]) {
        let cq = &mut self.cqs[port];
        let depth = cq.slots.len() as u32;
        cq.slots[(index & (depth - 1)) as usize] = *entry;
    }

    fn interrupt(&mut self, port: usize) {
        self.cqs[port].interrupts += 1;
    }
}

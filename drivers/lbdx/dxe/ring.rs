// SPDX-License-Identifier: GPL-2.0

//! The DMA-coherent memory of one DXE channel: the descriptor ring, one
//! completion record per ring slot, and per slot the array of source
//! addresses an xor or xor-validate descriptor points at.
//!
//! Slot `i` of the three belongs to the descriptor in ring slot `i`. No
//! locking here: the channel (`channel.rs`) decides who owns a slot.

use crate::hw::dxe_regs::{Completion, Descriptor, COMPLETION_SIZE, DESC_SIZE};
use kernel::{
    device::{Bound, Device},
    dma::{Coherent, CoherentBox},
    io::{io_project, io_read, io_write, Io},
    prelude::*,
};

/// The memory of one channel's ring.
///
/// # Invariants
///
/// `descs` and `completions` have `slots` entries, a power of two of at
/// least 2; `sources` has `slots * max_srcs` entries.
pub(crate) struct Ring {
    descs: Coherent<[[u8; DESC_SIZE]]>,
    completions: Coherent<[[u8; COMPLETION_SIZE]]>,
    sources: Coherent<[u64]>,
    slots: u32,
    max_srcs: usize,
}

impl Ring {
    /// Allocates a ring of `slots` descriptors (a power of two, at least
    /// 2) with room for `max_srcs` xor sources per slot, all zeroed.
    /// Coherent allocations are page aligned, which covers the 64-byte
    /// alignment of the ring and the 16-byte one of the records.
    pub(crate) fn new(dev: &Device<Bound>, slots: u32, max_srcs: usize) -> Result<Self> {
        if slots < 2 || !slots.is_power_of_two() {
            return Err(EINVAL);
        }
        let n = slots as usize;
        let srcs = n.checked_mul(max_srcs.max(1)).ok_or(EINVAL)?;
        // INVARIANT: Sizes as checked and allocated here.
        Ok(Self {
            descs: CoherentBox::<[[u8; DESC_SIZE]]>::zeroed_slice(dev, n, GFP_KERNEL)?.into(),
            completions: CoherentBox::<[[u8; COMPLETION_SIZE]]>::zeroed_slice(dev, n, GFP_KERNEL)?
                .into(),
            sources: CoherentBox::<[u64]>::zeroed_slice(dev, srcs, GFP_KERNEL)?.into(),
            slots,
            max_srcs,
        })
    }

    /// Number of descriptors in the ring: a power of two.
    pub(crate) fn slots(&self) -> u32 {
        self.slots
    }

    /// DMA address of the ring (the channel's `CH_RING_BASE`).
    pub(crate) fn base(&self) -> u64 {
        self.descs.dma_address()
    }

    /// DMA address of slot `slot`'s completion record.
    pub(crate) fn completion_addr(&self, slot: u32) -> u64 {
        self.completions.dma_address() + u64::from(slot) * COMPLETION_SIZE as u64
    }

    /// Writes `srcs` (at most [`Ring::max_srcs`]) into slot `slot`'s
    /// source array, little endian; returns the array's DMA address.
    pub(crate) fn write_sources(&self, slot: u32, srcs: &[u64]) -> Result<u64> {
        if srcs.len() > self.max_srcs {
            return Err(EINVAL);
        }
        let first = slot as usize * self.max_srcs;
        for (i, s) in srcs.iter().enumerate() {
            io_write!(&self.sources, [try: first + i], s.to_le());
        }
        Ok(self.sources.dma_address() + (first * core::mem::size_of::<u64>()) as u64)
    }

    /// Writes `desc` into slot `slot` and zeroes the slot's completion
    /// record. The caller orders these writes before the doorbell.
    pub(crate) fn write(&self, slot: u32, desc: &Descriptor) -> Result {
        io_project!(&self.completions, [try: slot as usize]).copy_write([0u8; COMPLETION_SIZE]);
        io_project!(&self.descs, [try: slot as usize]).copy_write(desc.to_bytes());
        Ok(())
    }

    /// Status byte of slot `slot`'s completion record (0 while pending).
    pub(crate) fn status(&self, slot: u32) -> Result<u8> {
        Ok(io_read!(&self.completions, [try: slot as usize][try: 0]))
    }

    /// Slot `slot`'s whole completion record. Read it only after a
    /// non-zero [`Ring::status`] and a read barrier.
    pub(crate) fn completion(&self, slot: u32) -> Result<Completion> {
        let raw: [u8; COMPLETION_SIZE] =
            io_project!(&self.completions, [try: slot as usize]).copy_read();
        Ok(Completion::from_bytes(&raw))
    }
}

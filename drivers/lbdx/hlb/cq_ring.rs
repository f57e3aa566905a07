// SPDX-License-Identifier: GPL-2.0

//! The consumer-queue ring of one port: DMA-coherent memory the device
//! writes CQ entries into and the port's user maps read-only.
//!
//! Every port of the device gets a ring of the largest depth
//! (`CQ_DEPTH_MAX` entries, 16 KiB) when the HLB is probed, so starting a
//! domain allocates nothing and cannot fail for memory; 2 MiB for the
//! default 64 + 64 ports.

use crate::hw::hlb_regs::{CqEntry, SchedType, CQ_DEPTH_MAX, CQ_GEN, CQ_SCHED_BYTE, QE_SIZE};
use kernel::{
    device::{Bound, Device},
    dma::{Coherent, CoherentBox},
    page::PAGE_SIZE,
    prelude::*,
};

/// One port's CQ ring.
pub(crate) struct CqRing {
    mem: Coherent<[[u8; QE_SIZE]]>,
}

impl CqRing {
    /// A zeroed ring of `CQ_DEPTH_MAX` entries for `dev`.
    pub(crate) fn new(dev: &Device<Bound>) -> Result<Self> {
        let mem =
            CoherentBox::<[[u8; QE_SIZE]]>::zeroed_slice(dev, CQ_DEPTH_MAX as usize, GFP_KERNEL)?;
        Ok(Self { mem: mem.into() })
    }

    /// The bus address the device writes to (`CQ_ADDR_*`; page aligned,
    /// so 64-byte aligned as the device requires).
    pub(crate) fn dma_address(&self) -> u64 {
        self.mem.dma_address()
    }

    /// The kernel address of the ring (the character device's fault
    /// handler maps its pages from it).
    pub(crate) fn cpu_address(&self) -> *mut u8 {
        self.mem.as_mut_ptr().cast::<u8>()
    }

    /// Bytes a process maps for a ring of `depth` entries.
    pub(crate) fn map_size(depth: u32) -> usize {
        (depth as usize * QE_SIZE).next_multiple_of(PAGE_SIZE)
    }

    /// Byte `byte` of the entry of free-running index `index` of a ring of
    /// `depth` entries (`None` for a depth the ring cannot have).
    fn entry_byte(&self, index: u32, depth: u32, byte: usize) -> Option<u8> {
        if depth == 0 || depth > CQ_DEPTH_MAX || !depth.is_power_of_two() || byte >= QE_SIZE {
            return None;
        }
        let slot = (index & (depth - 1)) as usize;
        // SAFETY: `slot < depth <= CQ_DEPTH_MAX`, the ring's length, and
        // `byte < QE_SIZE`, so the byte is inside the allocation; the device
        // writes it concurrently, hence the volatile read of a plain byte.
        Some(unsafe { core::ptr::read_volatile(self.cpu_address().add(slot * QE_SIZE + byte)) })
    }

    /// Whether the device has written the entry of free-running index
    /// `index` of a ring of `depth` entries (its generation bit is the one
    /// of that lap).
    pub(crate) fn written(&self, index: u32, depth: u32) -> bool {
        self.entry_byte(index, depth, QE_SIZE - 1)
            .is_some_and(|flags| (flags & CQ_GEN != 0) == CqEntry::gen_for(index, depth))
    }

    /// Whether the entry of free-running index `index` holds a directed
    /// event (its credit is a DIR credit).
    pub(crate) fn directed(&self, index: u32, depth: u32) -> bool {
        self.entry_byte(index, depth, CQ_SCHED_BYTE)
            .is_some_and(|b| matches!(SchedType::from_bits(b), SchedType::Directed))
    }

    /// Zeroes the ring. Only while the device does not write it (its domain
    /// is stopped).
    pub(crate) fn clear(&self) {
        // SAFETY: The allocation is `CQ_DEPTH_MAX * QE_SIZE` bytes, and the
        // caller guarantees no DMA into it; user mappings are read-only.
        unsafe { core::ptr::write_bytes(self.cpu_address(), 0, CQ_DEPTH_MAX as usize * QE_SIZE) };
    }
}

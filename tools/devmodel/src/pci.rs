// SPDX-License-Identifier: GPL-2.0

//! The seam between a device model and the bus: what a PCI function shows
//! in config space and how its BARs are accessed (BAR0 registers, and an
//! optional BAR4 of shared memory with trapped parts).

use std::os::fd::RawFd;

/// Identity of a PCI function, from which the transport builds config
/// space (BAR0 for registers, BAR2 for the MSI-X table and PBA).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PciIdentity {
    /// Vendor ID.
    pub vendor: u16,
    /// Device ID.
    pub device: u16,
    /// Class code (base class, subclass, prog-if) in bits 23:0.
    pub class: u32,
    /// Revision ID.
    pub revision: u8,
    /// Size of BAR0 in bytes (a power of two).
    pub bar0_size: u64,
    /// Number of MSI-X vectors.
    pub msix_vectors: u16,
    /// Size of BAR4 in bytes (a power of two; 0: no BAR4). BAR4 is a
    /// 64-bit prefetchable memory BAR.
    pub bar4_size: u64,
}

/// How a client may map parts of BAR4 directly: the file backing BAR4
/// (file offset = BAR4 offset) and the areas it may mmap. Accesses
/// outside the areas reach [`PciFunction::bar4_read`] and
/// [`PciFunction::bar4_write`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedBar {
    /// Descriptor of the backing file, owned by the function and open as
    /// long as the function lives.
    pub fd: RawFd,
    /// `(offset, size)` of each mmap-able area, page aligned.
    pub areas: Vec<(u64, u64)>,
}

/// A PCI function as the transport sees it.
///
/// Register accessors take `&self`: models use interior mutability so that
/// a worker thread (DXE) and the transport can share one instance.
pub trait PciFunction: Send + Sync {
    /// Config-space identity.
    fn identity(&self) -> PciIdentity;
    /// Reads the 32-bit register at `offset` (4-byte aligned, inside BAR0).
    fn bar0_read(&self, offset: u64) -> u32;
    /// Writes the 32-bit register at `offset` (4-byte aligned, inside BAR0).
    fn bar0_write(&self, offset: u64, value: u32);
    /// Function-level reset (vfio-user `DEVICE_RESET`, FLR, disconnect).
    fn reset(&self);
    /// The mmap-able parts of BAR4, if the function has a BAR4 backed by
    /// shared memory.
    fn bar4_shared(&self) -> Option<SharedBar> {
        None
    }
    /// Reads `data.len()` bytes of BAR4 at `offset` (any width; the
    /// caller checked the access lies inside BAR4).
    fn bar4_read(&self, _offset: u64, data: &mut [u8]) {
        data.fill(0);
    }
    /// Writes `data` to BAR4 at `offset` (any width, inside BAR4).
    fn bar4_write(&self, _offset: u64, _data: &[u8]) {}
    /// The command register's Bus Master Enable changed to `on` (the
    /// transport tells; a function that gates its DMA on it listens).
    fn bus_master(&self, _on: bool) {}
}

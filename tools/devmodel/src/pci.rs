// SPDX-License-Identifier: GPL-2.0

//! The seam between a device model and the bus: what a PCI function shows
//! in config space and how its BAR0 registers are accessed.

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
}

// SPDX-License-Identifier: GPL-2.0

//! Register-level models of the lbdx devices (HLB load balancer and DXE
//! DMA/XOR engine) and the vfio-user transport that serves them to QEMU.
//!
//! The device logic ([`hlb`], [`dxe`]) only sees three small traits:
//! [`pci::PciFunction`] (what a PCI function looks like from the bus),
//! [`mem::GuestMemory`] (DMA) and [`irq::IrqSink`] (MSI-X). The
//! [`transport`] module adapts them to the `vfio_user` crate; tests use
//! the in-memory implementations instead.

pub mod cli;
pub mod describe;
pub mod dxe;
pub mod hlb;
pub mod irq;
pub mod logging;
pub mod mem;
pub mod mmio;
pub mod pci;
pub mod serve;
pub mod sync;
pub mod transport;

pub use lbdx_logic::hw::hlb_vf_regs;
pub use lbdx_logic::hw::{dxe_regs, hlb_regs};

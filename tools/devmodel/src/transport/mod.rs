// SPDX-License-Identifier: GPL-2.0

//! vfio-user transport: serves a [`PciFunction`](crate::pci::PciFunction)
//! to QEMU's `vfio-user-pci` client through the `vfio_user` crate.
//!
//! The crate handles the protocol; this module supplies what it leaves to
//! the server: PCI config space ([`config_space`]), guest memory from the
//! client's DMA mappings ([`memory`]), interrupts through the client's
//! eventfds ([`irqs`]), the `ServerBackend` glue ([`backend`]) and the
//! accept loop ([`server`]).

pub mod backend;
pub mod config_space;
pub mod irqs;
pub mod memory;
pub mod server;

// SPDX-License-Identifier: GPL-2.0

//! Register maps of the lbdx devices (HLB load balancer, DXE DMA/XOR
//! engine) for host-side tools.
//!
//! The maps are not copied: this crate compiles the driver's own
//! `drivers/lbdx/hw/*.rs` files, so the device model and the driver agree
//! on every offset and bit by construction.

#[path = "../../../drivers/lbdx/hw/hlb_regs.rs"]
pub mod hlb_regs;

#[path = "../../../drivers/lbdx/hw/dxe_regs.rs"]
pub mod dxe_regs;

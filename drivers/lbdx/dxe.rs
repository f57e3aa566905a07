// SPDX-License-Identifier: GPL-2.0

//! DXE DMA/XOR engine driver (`lbdx_dxe`).
//!
//! `driver.rs` binds the PCI function; `caps.rs` holds what the engine
//! reports it can do; `selftest.rs` proves DMA works before binding;
//! `sysfs.rs` shows it. Register map: `hw/dxe_regs.rs`,
//! specified in `Documentation/hw/dxe.rst`.

mod caps;
mod driver;
mod selftest;
mod sysfs;

pub(crate) use driver::DxeDriver;

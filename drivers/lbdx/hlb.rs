// SPDX-License-Identifier: GPL-2.0

//! HLB load-balancer driver (`lbdx_hlb`).
//!
//! `driver.rs` binds the PCI function; `resources.rs` holds what the device
//! reports it has; `sysfs.rs` shows it. Register map: `hw/hlb_regs.rs`,
//! specified in `Documentation/hw/hlb.rst`.

mod driver;
mod resources;
mod sysfs;

pub(crate) use driver::HlbDriver;

// SPDX-License-Identifier: GPL-2.0

//! DXE DMA/XOR engine driver (`lbdx_dxe`).
//!
//! `driver.rs` binds the PCI function and owns the teardown order;
//! `caps.rs` holds what the engine reports it can do; `engine.rs` runs it
//! (channel choice, recoveries, where jobs are reported); `channel.rs` is
//! one channel (slots in flight, doorbell, retirement, channel reset) over
//! `ring.rs`, its DMA-coherent memory; `irq.rs` holds the channel
//! completion interrupts; `watchdog.rs` the periodic check for stuck
//! channels and a dead device; `backend.rs` the offload-layer backend;
//! `selftest.rs` proves DMA works before binding; `sysfs.rs` shows it.
//! Register map: `hw/dxe_regs.rs`, specified in `Documentation/hw/dxe.rst`.

mod backend;
mod caps;
mod channel;
mod driver;
mod engine;
mod irq;
mod pci_stop;
mod ring;
mod selftest;
mod sysfs;
mod watchdog;

pub(crate) use driver::DxeDriver;

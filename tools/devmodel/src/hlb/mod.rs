// SPDX-License-Identifier: GPL-2.0

//! The HLB load balancer model.
//!
//! BAR0 is split into the ranges `hlb_regs` reserves; each range is served
//! by its own module so that later work (alarms at `0x0100`, resource
//! programming at `0x1000`, per-port data-plane registers at `0x8000`)
//! adds a module and a match arm here without touching the others.

mod config;
mod control;

pub use config::HlbConfig;

use std::sync::{Arc, Mutex};

use crate::hlb_regs as regs;
use crate::irq::IrqSink;
use crate::pci::{PciFunction, PciIdentity};
use crate::sync::lock;
use control::Control;

/// MSI-X vectors of the HLB: vector 0 (alarm) and 32 consumer-queue vectors.
pub const NUM_VECTORS: u32 = 33;

/// An HLB instance.
pub struct Hlb {
    name: String,
    config: HlbConfig,
    irq: Arc<dyn IrqSink>,
    control: Mutex<Control>,
}

impl Hlb {
    /// A device named `name` (for logs) with `config`, raising interrupts
    /// through `irq`. The device starts out of reset.
    pub fn new(name: &str, config: HlbConfig, irq: Arc<dyn IrqSink>) -> Self {
        Self {
            name: name.to_string(),
            config,
            irq,
            control: Mutex::new(Control::default()),
        }
    }

    /// The configuration the device was built with.
    pub fn config(&self) -> &HlbConfig {
        &self.config
    }

    fn reset_all(&self) {
        *lock(&self.control) = Control::default();
        log::info!("{}: reset", self.name);
    }
}

impl PciFunction for Hlb {
    fn identity(&self) -> PciIdentity {
        PciIdentity {
            vendor: regs::PCI_VENDOR_ID,
            device: regs::PCI_DEVICE_ID,
            class: regs::PCI_CLASS,
            revision: 1,
            bar0_size: regs::BAR0_SIZE,
            msix_vectors: NUM_VECTORS as u16,
        }
    }

    fn bar0_read(&self, offset: u64) -> u32 {
        let Ok(off) = usize::try_from(offset) else {
            return 0;
        };
        match off {
            0..regs::ALARM_CODE => lock(&self.control).read(off, &self.config),
            // Alarm, resource-programming and port ranges: not yet defined.
            _ => 0,
        }
    }

    fn bar0_write(&self, offset: u64, value: u32) {
        let Ok(off) = usize::try_from(offset) else {
            return;
        };
        if off >= regs::ALARM_CODE {
            return;
        }
        let effect = lock(&self.control).write(off, value);
        match effect {
            control::Effect::None => {}
            control::Effect::Reset => self.reset_all(),
            control::Effect::Raise(v) => self.irq.raise(v),
            control::Effect::BadVector(v) => {
                log::warn!("{}: IRQ_TEST vector {v} out of range, ignored", self.name)
            }
        }
    }

    fn reset(&self) {
        self.reset_all();
    }
}

// SPDX-License-Identifier: GPL-2.0

//! The HLB load balancer model.
//!
//! BAR0 is split into the ranges `hlb_regs` reserves; each range is served
//! by its own module: [`control`] (identity, control, self-test, resource
//! counts at `0x0000`), [`alarm`] (`0x0100`), [`resources`] (SN group
//! modes at `0x0200`, resource programming at `0x1000`). Per-port
//! data-plane registers at `0x8000` are not modelled yet and read 0.
//!
//! All of it is plain state behind one lock ([`State`]), so that a refused
//! write, its alarm and `IRQ_CAUSE.ALARM` change together.

mod alarm;
mod config;
mod control;
mod resources;

pub use config::HlbConfig;

use std::sync::{Arc, Mutex};

use crate::hlb_regs::{self as regs, AlarmCode};
use crate::irq::IrqSink;
use crate::pci::{PciFunction, PciIdentity};
use crate::sync::lock;
use alarm::Alarms;
use control::Control;
use resources::Resources;

/// MSI-X vectors of the HLB: vector 0 (alarm) and 32 consumer-queue vectors.
pub const NUM_VECTORS: u32 = 33;
/// The alarm vector.
pub const ALARM_VECTOR: u32 = 0;

/// What a register write asks the device to do besides updating state.
#[derive(Debug, PartialEq, Eq)]
pub enum Effect {
    /// Nothing.
    None,
    /// Reset the whole device.
    Reset,
    /// Raise this MSI-X vector.
    Raise(u32),
    /// `IRQ_TEST` named a vector the device does not have.
    BadVector(u32),
    /// The write was refused: raise this alarm.
    Alarm(AlarmCode),
}

/// Every register of one HLB, routed by offset range; `new` gives the
/// reset state.
#[derive(Debug)]
struct State {
    control: Control,
    alarms: Alarms,
    resources: Resources,
}

impl State {
    fn new(config: &HlbConfig) -> Self {
        Self {
            control: Control::default(),
            alarms: Alarms::default(),
            resources: Resources::new(config),
        }
    }

    fn read(&self, off: usize, config: &HlbConfig) -> u32 {
        match off {
            0..regs::ALARM_CODE => self.control.read(off, config),
            regs::ALARM_CODE..resources::BASE => self.alarms.read(off),
            resources::BASE..regs::PORT_REGS_BASE => self.resources.read(off),
            _ => 0,
        }
    }

    /// Writes `value` at `off`; a refused write is latched as an alarm
    /// here, and the caller raises its vector.
    fn write(&mut self, off: usize, value: u32) -> Effect {
        let effect = match off {
            0..regs::ALARM_CODE => self.control.write(off, value),
            regs::ALARM_CODE..resources::BASE => {
                self.alarms.write(off, value);
                Effect::None
            }
            resources::BASE..regs::PORT_REGS_BASE => self.resources.write(off, value),
            _ => Effect::None,
        };
        if let Effect::Alarm(code) = effect {
            self.alarms.raise(code, off);
            self.control.set_cause(regs::IRQ_CAUSE_ALARM);
        }
        effect
    }
}

/// An HLB instance.
pub struct Hlb {
    name: String,
    config: HlbConfig,
    irq: Arc<dyn IrqSink>,
    state: Mutex<State>,
}

impl Hlb {
    /// A device named `name` (for logs) with `config`, raising interrupts
    /// through `irq`. The device starts out of reset.
    pub fn new(name: &str, config: HlbConfig, irq: Arc<dyn IrqSink>) -> Self {
        Self {
            name: name.to_string(),
            state: Mutex::new(State::new(&config)),
            config,
            irq,
        }
    }

    /// The configuration the device was built with.
    pub fn config(&self) -> &HlbConfig {
        &self.config
    }

    fn reset_all(&self) {
        *lock(&self.state) = State::new(&self.config);
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
            bar4_size: 0,
        }
    }

    fn bar0_read(&self, offset: u64) -> u32 {
        let Ok(off) = usize::try_from(offset) else {
            return 0;
        };
        lock(&self.state).read(off, &self.config)
    }

    fn bar0_write(&self, offset: u64, value: u32) {
        let Ok(off) = usize::try_from(offset) else {
            return;
        };
        let effect = lock(&self.state).write(off, value);
        match effect {
            Effect::None => {}
            Effect::Reset => self.reset_all(),
            Effect::Raise(v) => self.irq.raise(v),
            Effect::BadVector(v) => {
                log::warn!("{}: IRQ_TEST vector {v} out of range, ignored", self.name)
            }
            Effect::Alarm(code) => {
                log::warn!("{}: alarm {code:?} at {off:#x} value {value:#x}", self.name);
                self.irq.raise(ALARM_VECTOR);
            }
        }
    }

    fn reset(&self) {
        self.reset_all();
    }
}

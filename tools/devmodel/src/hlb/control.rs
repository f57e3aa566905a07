// SPDX-License-Identifier: GPL-2.0

//! HLB identity, control, self-test and resource-count registers
//! (`0x0000 .. 0x0100`).

use super::{Effect, HlbConfig, NUM_VECTORS};
use crate::hlb_regs as regs;

/// Mutable state of the control block; `Default` is the reset state.
#[derive(Debug, Default)]
pub struct Control {
    irq_cause: u32,
    irq_test_count: u32,
}

impl Control {
    /// Reads the register at `off`.
    pub fn read(&self, off: usize, config: &HlbConfig) -> u32 {
        match off {
            regs::ID => regs::ID_MAGIC,
            regs::VERSION => config.version,
            // The reset completes within the write, so RESET always reads 0.
            regs::CTRL => 0,
            regs::STATUS => regs::STATUS_READY,
            regs::IRQ_CAUSE => self.irq_cause,
            regs::IRQ_TEST_COUNT => self.irq_test_count,
            regs::NUM_VECTORS => NUM_VECTORS,
            _ => config.resource(off).unwrap_or(0),
        }
    }

    /// Sets `IRQ_CAUSE` bits `bits`.
    pub fn set_cause(&mut self, bits: u32) {
        self.irq_cause |= bits;
    }

    /// Writes `value` to the register at `off`.
    pub fn write(&mut self, off: usize, value: u32) -> Effect {
        match off {
            regs::CTRL if value & regs::CTRL_RESET != 0 => Effect::Reset,
            regs::IRQ_TEST if value < NUM_VECTORS => {
                self.irq_cause |= regs::IRQ_CAUSE_TEST;
                self.irq_test_count = self.irq_test_count.wrapping_add(1);
                Effect::Raise(value)
            }
            regs::IRQ_TEST => Effect::BadVector(value),
            regs::IRQ_CAUSE => {
                self.irq_cause &= !value;
                Effect::None
            }
            _ => Effect::None,
        }
    }
}

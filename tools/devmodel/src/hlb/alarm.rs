// SPDX-License-Identifier: GPL-2.0

//! HLB alarm registers (`ALARM_CODE` .. `ALARM_ACK`): the first refused
//! programming write or QE since the last acknowledgement, and a count of
//! all.

use crate::hlb_regs::{self as regs, AlarmCode};

/// `ALARM_ACK.ACK`: write 1 to clear `ALARM_CODE` and `ALARM_INFO`.
const ALARM_ACK_ACK: u32 = 1 << 0;

/// Alarm latch and counter; `Default` is the reset state.
#[derive(Debug, Default)]
pub struct Alarms {
    code: u32,
    info: u32,
    count: u32,
}

impl Alarms {
    /// Reads the register at `off` (undefined offsets and `ALARM_ACK` read 0).
    pub fn read(&self, off: usize) -> u32 {
        match off {
            regs::ALARM_CODE => self.code,
            regs::ALARM_INFO => self.info,
            regs::ALARM_COUNT => self.count,
            _ => 0,
        }
    }

    /// Writes `value` to the register at `off`: only `ALARM_ACK` is writable.
    pub fn write(&mut self, off: usize, value: u32) {
        if off == regs::ALARM_ACK && value & ALARM_ACK_ACK != 0 {
            self.code = 0;
            self.info = 0;
        }
    }

    /// Records an alarm raised by a write to BAR0 offset `off`: latches it
    /// unless an earlier one is still latched, and counts it either way.
    pub fn raise(&mut self, code: AlarmCode, off: usize) {
        // BAR0 is 64 KiB, so every offset fits.
        self.raise_info(code, off as u32);
    }

    /// Records an alarm whose `ALARM_INFO` is `info` (for a refused QE:
    /// `ALARM_INFO_QE` | the BAR4 offset of its slot).
    pub fn raise_info(&mut self, code: AlarmCode, info: u32) {
        if self.code == AlarmCode::None as u32 {
            self.code = code as u32;
            self.info = info;
        }
        self.count = self.count.wrapping_add(1);
    }
}

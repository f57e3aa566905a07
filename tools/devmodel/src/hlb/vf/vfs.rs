// SPDX-License-Identifier: GPL-2.0

//! The VF state of one HLB, under the device lock with the rest of
//! [`State`](super::super::state::State): the PF's VF registers
//! (`VF_ENABLE`, the pending bits), and per VF its maps, mailbox, counters
//! and function state (what a VF function-level reset returns to its reset
//! values).

use super::mailbox::Mailbox;
use super::maps::Maps;
use crate::hlb::alarm::Alarms;
use crate::hlb_regs::AlarmCode;
use crate::hlb_vf_regs as vregs;

/// What a VF's function-level reset resets, besides its mailbox side and
/// BAR4 memory; `Default` is the reset state.
#[derive(Debug, Default)]
pub struct Function {
    /// The VF's `IRQ_CAUSE`.
    pub irq_cause: u32,
    /// The VF's alarm registers.
    pub alarms: Alarms,
    /// The VF's `IRQ_TEST_COUNT`.
    pub irq_test_count: u32,
}

/// One VF as the device keeps it.
#[derive(Debug, Default)]
pub struct Vf {
    /// Its translation tables.
    pub maps: Maps,
    /// Its mailbox.
    pub mbox: Mailbox,
    /// Function state.
    pub func: Function,
    /// The config-space Bus Master Enable of its function, as the
    /// transport reports it.
    pub bus_master: bool,
    /// `VFB_ALARM_COUNT` (since the PF's reset).
    pub alarm_count: u32,
    /// `VFB_ALARM_CODE` and `VFB_ALARM_INFO`: the VF's most recent alarm
    /// (since the PF's reset; the VF's acknowledgement and resets keep it).
    pub last_alarm: (u32, u32),
}

impl Vf {
    /// Resets the function's state (not its maps, counters since the PF's
    /// reset, the PF's mailbox buffers or its Bus Master Enable).
    pub fn reset_function(&mut self) {
        self.func = Function::default();
        self.mbox.f = Default::default();
    }

    /// Latches `code` with `info` in the VF's alarm registers, counts it
    /// in `VFB_ALARM_COUNT`, keeps it for the PF and sets the VF's
    /// `IRQ_CAUSE.ALARM`.
    pub fn alarm(&mut self, code: AlarmCode, info: u32) {
        self.func.alarms.raise_info(code, info);
        self.func.irq_cause |= vregs::IRQ_CAUSE_ALARM;
        self.alarm_count = self.alarm_count.wrapping_add(1);
        self.last_alarm = (code as u32, info);
    }
}

/// The VFs of one HLB; `new` gives the reset state.
#[derive(Debug)]
pub struct Vfs {
    /// `VF_ENABLE`.
    pub enable: u32,
    /// `VF_RESET_PENDING`.
    pub reset_pending: u32,
    /// `VF_ALARM_PENDING`.
    pub alarm_pending: u32,
    /// VF `n` is `vf[n]`; as many as `NUM_VFS`.
    pub vf: Vec<Vf>,
}

impl Vfs {
    /// The reset state of `count` VFs, with the Bus Master Enable bits
    /// `bus_master` (config space is not the device's to reset).
    pub fn new(count: u32, bus_master: &[bool]) -> Self {
        Self {
            enable: 0,
            reset_pending: 0,
            alarm_pending: 0,
            vf: (0..count as usize)
                .map(|n| Vf {
                    bus_master: bus_master.get(n).copied().unwrap_or(false),
                    ..Vf::default()
                })
                .collect(),
        }
    }

    /// Bus Master Enable of every VF.
    pub fn bus_masters(&self) -> Vec<bool> {
        self.vf.iter().map(|v| v.bus_master).collect()
    }

    /// Whether VF `n` exists and is enabled.
    pub fn enabled(&self, n: u32) -> bool {
        (n as usize) < self.vf.len() && self.enable & (1 << n) != 0
    }

    /// VF `n` if it is enabled.
    pub fn active(&self, n: u32) -> Option<&Vf> {
        self.vf.get(n as usize).filter(|_| self.enabled(n))
    }

    /// Whether VF `n` may write its CQs: enabled with Bus Master Enable.
    pub fn may_dma(&self, n: u32) -> bool {
        self.active(n).is_some_and(|v| v.bus_master)
    }

    /// Mask of the bits `VF_ENABLE` may have.
    pub fn mask(&self) -> u32 {
        (1u32 << self.vf.len()) - 1
    }
}

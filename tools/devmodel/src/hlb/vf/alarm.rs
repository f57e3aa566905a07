// SPDX-License-Identifier: GPL-2.0

//! Alarms of a VF: latched in the VF's own alarm registers and shown to
//! the PF (`VFB_ALARM_COUNT`, `VF_ALARM_PENDING`, `IRQ_CAUSE.VF_ALARM`),
//! with vector 0 of both functions.

use crate::hlb::dataplane::Pending;
use crate::hlb::state::State;
use crate::hlb::ALARM_VECTOR;
use crate::hlb_regs::{self as regs, AlarmCode};

impl State {
    /// VF `n` latches `code` with `ALARM_INFO` `info` (a QE's, a data-plane
    /// block write's or a mailbox post's).
    pub(in crate::hlb) fn vf_alarm(
        &mut self,
        n: u32,
        code: AlarmCode,
        info: u32,
        out: &mut Pending,
    ) {
        let Some(vf) = self.vfs.vf.get_mut(n as usize) else {
            return;
        };
        vf.alarm(code, info);
        self.vfs.alarm_pending |= 1 << n;
        self.control.set_cause(regs::IRQ_CAUSE_VF_ALARM);
        out.raise(Some(n), ALARM_VECTOR);
        out.raise(None, ALARM_VECTOR);
    }
}

// SPDX-License-Identifier: GPL-2.0

//! Resets of one VF ("Reset" in `Documentation/hw/hlb-vf.rst`): its
//! function state and BAR4 memory, on its function-level reset (which
//! the PF sees in `VF_RESET_PENDING`) and when the PF clears its
//! `VF_ENABLE` bit. Maps, domains and the PF's state stay.

use crate::hlb::dataplane::{Io, Pending};
use crate::hlb::state::State;
use crate::hlb::ALARM_VECTOR;
use crate::hlb_regs::{self as regs, PP_BAR_SIZE};

impl State {
    /// Resets VF `n`'s function: mailbox (a pending request is dropped),
    /// alarms, `IRQ_CAUSE`, overruns, BAR4 memory.
    pub(in crate::hlb) fn reset_vf(&mut self, n: usize, io: &Io<'_>) {
        if let Some(vf) = self.vfs.vf.get_mut(n) {
            vf.reset_function();
        }
        if let Some(v) = io.vfs.get(n) {
            v.ring.zero(0, PP_BAR_SIZE as usize);
        }
    }

    /// A function-level reset of VF `n`: Bus Master Enable cleared, then
    /// [`State::vf_reset_reported`].
    pub(in crate::hlb) fn vf_flr(&mut self, n: u32, io: &Io<'_>, out: &mut Pending) {
        let Some(vf) = self.vfs.vf.get_mut(n as usize) else {
            return;
        };
        vf.bus_master = false;
        self.vf_reset_reported(n, io, out);
    }

    /// A reset of VF `n`'s function the PF is told about (its FLR, or
    /// `CTRL.RESET`, which leaves config space alone): [`State::reset_vf`]
    /// and, if the VF was enabled, `VF_RESET_PENDING` bit `n` and the PF's
    /// `IRQ_CAUSE.VF_RESET` (vector 0, in `out`).
    pub(in crate::hlb) fn vf_reset_reported(&mut self, n: u32, io: &Io<'_>, out: &mut Pending) {
        if self.vfs.enabled(n) {
            self.vfs.reset_pending |= 1 << n;
            self.control.set_cause(regs::IRQ_CAUSE_VF_RESET);
            out.raise(None, ALARM_VECTOR);
        }
        self.reset_vf(n as usize, io);
    }
}

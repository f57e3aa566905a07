// SPDX-License-Identifier: GPL-2.0

//! The PF's side of the VF mailboxes (`Documentation/hw/hlb-vf.rst`,
//! "Mailbox"; protocol: `hlb-mbox.rst`): reads each posted request from
//! the VF's block in BAR0, has the control plane answer it, writes the
//! reply; handles VF function-level resets (telling a VF reset under its
//! driver) and VF alarms; tells registered VFs when the PF driver goes
//! away.
//!
//! Runs in the control vector's interrupt thread (process context). One
//! pass answers at most one request per VF, in VF order: the device holds
//! at most one request per VF, so a VF that floods its mailbox gets one
//! answer per pass like every other VF and delays none of them.

use super::control_plane::HlbCtl;
use crate::{
    bringup::{Bar0, SharedBar0},
    hw::{
        hlb_mbox::{self, AlertCode, DecodeError, PfMsg, Request, ResetReason, Status},
        hlb_regs::{self as regs, vf_block_reg},
    },
};
use kernel::{io::Io, prelude::*, sync::Arc};

/// The PF's mailbox service of one HLB.
pub(crate) struct VfMailbox {
    bar: SharedBar0,
    ctl: Arc<HlbCtl>,
}

impl VfMailbox {
    /// The service of the device behind `bar`, answering through `ctl`.
    pub(crate) fn new(bar: SharedBar0, ctl: Arc<HlbCtl>) -> Result<Arc<Self>> {
        Ok(Arc::new(Self { bar, ctl }, GFP_KERNEL)?)
    }

    /// Handles the VF causes among `causes` (`IRQ_CAUSE` bits).
    pub(crate) fn service(&self, causes: u32) {
        if causes & regs::IRQ_CAUSE_VF_RESET != 0 {
            self.handle_resets();
        }
        if causes & regs::IRQ_CAUSE_VF_ALARM != 0 {
            for vf in self.take_bits(regs::VF_ALARM_PENDING) {
                self.log_alarm(vf);
            }
        }
        if causes & regs::IRQ_CAUSE_VF_MBOX != 0 {
            self.answer_pending();
        }
    }

    /// Answers every pending request, one per VF per pass, until none is
    /// pending (a VF may post again while the PF answers another).
    fn answer_pending(&self) {
        // Each pass answers every VF pending at its start; a VF can post
        // again only after its answer, so this ends when they stop.
        for _ in 0..64 {
            let pending = self.read(regs::VF_MBOX_PENDING).unwrap_or(0);
            if pending == 0 {
                return;
            }
            // A VF reset before it posted a pending request (a VF driver
            // resets its function, then registers) is latched by now but
            // may not have been handled: it must end the old session
            // before the request, not the new one after it.
            self.handle_resets();
            for vf in 0..self.ctl.num_vfs() {
                if pending & (1 << vf) != 0 {
                    self.answer(vf);
                }
            }
        }
    }

    /// Ends the session of every VF whose function was reset, and tells a
    /// VF that was registered (its driver did not reset it itself: the
    /// PCI core or a user did) that all its domains are gone.
    fn handle_resets(&self) {
        for vf in self.take_bits(regs::VF_RESET_PENDING) {
            dev_info!(
                self.bar.device(),
                "VF {}: function reset; resetting its domains\n",
                vf
            );
            let registered = self.ctl.vf_registered(vf);
            self.ctl.end_vf_session(vf);
            let alert = PfMsg::Alert {
                domain: hlb_mbox::ALL_DOMAINS,
                code: AlertCode::VfReset,
            };
            if registered && self.send(vf, &alert).is_err() {
                dev_warn!(self.bar.device(), "VF {}: ALERT not sent\n", vf);
            }
        }
    }

    /// Bits of W1C register `reg` (which VFs), cleared.
    fn take_bits(&self, reg: usize) -> impl Iterator<Item = u32> {
        let bits = self.read(reg).unwrap_or(0);
        if bits != 0 {
            let _ = self.write(bits, reg);
        }
        (0..regs::VFS_MAX).filter(move |vf| bits & (1 << vf) != 0)
    }

    fn log_alarm(&self, vf: u32) {
        let code = self
            .read(vf_block_reg(vf, regs::VFB_ALARM_CODE))
            .unwrap_or(0);
        let info = self
            .read(vf_block_reg(vf, regs::VFB_ALARM_INFO))
            .unwrap_or(0);
        let count = self
            .read(vf_block_reg(vf, regs::VFB_ALARM_COUNT))
            .unwrap_or(0);
        dev_warn!(
            self.bar.device(),
            "VF {}: alarm {:?} ({:#x}) at {:#x}, {} since reset\n",
            vf,
            regs::AlarmCode::from_u32(code),
            code,
            info,
            count
        );
    }

    fn with_bar<R>(&self, f: impl FnOnce(&Bar0<'_>) -> Result<R>) -> Result<R> {
        let bar = self.bar.try_access().ok_or(ENODEV)?;
        f(&bar)
    }

    fn read(&self, reg: usize) -> Result<u32> {
        self.with_bar(|b| b.try_read32(reg))
    }

    fn write(&self, v: u32, reg: usize) -> Result {
        self.with_bar(|b| b.try_write32(v, reg))
    }

    /// Reads VF `vf`'s request, answers it.
    fn answer(&self, vf: u32) {
        let mut words = [0u32; hlb_mbox::MSG_WORDS];
        let Ok(n) = self.read_request(vf, &mut words) else {
            return;
        };
        let mut out = [0u32; hlb_mbox::MSG_WORDS];
        let len = match Request::header(&words[..n]) {
            Err(DecodeError::NoHeader) => return,
            Ok((tag, op)) => {
                let registered = self.ctl.vf_registered(vf);
                let status = match op {
                    None => Err(Status::UnknownCommand),
                    Some(op) if !registered && op != hlb_mbox::Opcode::Register => {
                        Err(Status::NotRegistered)
                    }
                    Some(_) => Ok(()),
                };
                match status.and_then(|()| match Request::decode(&words[..n]) {
                    Ok((_, req)) => Ok(req),
                    Err(DecodeError::Status(_, s)) => Err(s),
                    Err(DecodeError::NoHeader) => Err(Status::BadLength),
                }) {
                    Ok(req) => {
                        let r = self.ctl.vf_request(vf, &req);
                        hlb_mbox::encode_reply(tag, r.status, &r.payload[..r.len], &mut out)
                    }
                    Err(s) => hlb_mbox::encode_reply(tag, s, &[], &mut out),
                }
            }
            Err(DecodeError::Status(tag, s)) => hlb_mbox::encode_reply(tag, s, &[], &mut out),
        };
        let _ = self.write_reply(vf, &out[..len]);
    }

    /// Copies the posted request of VF `vf` into `words`; its word count.
    fn read_request(&self, vf: u32, words: &mut [u32; hlb_mbox::MSG_WORDS]) -> Result<usize> {
        self.with_bar(|b| {
            let len = b.try_read32(vf_block_reg(vf, regs::VFB_REQ_LEN))?;
            if !regs::mbox_len_ok(len, regs::MBOX_MSG_MAX) {
                return Err(EINVAL);
            }
            let n = len as usize / 4;
            for (i, w) in words.iter_mut().take(n).enumerate() {
                *w = b.try_read32(vf_block_reg(vf, regs::VFB_REQ) + 4 * i)?;
            }
            Ok(n)
        })
    }

    fn write_reply(&self, vf: u32, words: &[u32]) -> Result {
        self.with_bar(|b| {
            for (i, &w) in words.iter().enumerate() {
                b.try_write32(w, vf_block_reg(vf, regs::VFB_REPLY) + 4 * i)?;
            }
            b.try_write32(
                (words.len() * 4) as u32,
                vf_block_reg(vf, regs::VFB_REPLY_LEN),
            )
        })
    }

    /// The PF driver is going away: tells every registered VF (`PRE_RESET`)
    /// and ends its session.
    pub(crate) fn pf_going(&self) {
        let msg = PfMsg::PreReset {
            reason: ResetReason::PfGone,
        };
        for vf in 0..self.ctl.num_vfs() {
            if !self.ctl.vf_registered(vf) {
                continue;
            }
            if self.send(vf, &msg).is_err() {
                dev_warn!(self.bar.device(), "VF {}: PRE_RESET not sent\n", vf);
            }
            self.ctl.end_vf_session(vf);
        }
    }

    /// Sends `msg` to VF `vf` (registered, so enabled); `EBUSY` while it
    /// has not acknowledged the previous one (the device would refuse it
    /// with an alarm).
    fn send(&self, vf: u32, msg: &PfMsg) -> Result {
        let mut words = [0u32; hlb_mbox::PF_MSG_WORDS];
        let n = msg.encode(&mut words);
        self.with_bar(|b| {
            let status = b.try_read32(vf_block_reg(vf, regs::VFB_STATUS))?;
            if status & regs::VFB_STATUS_MSG_PENDING != 0 {
                return Err(EBUSY);
            }
            for (i, &w) in words[..n].iter().enumerate() {
                b.try_write32(w, vf_block_reg(vf, regs::VFB_MSG) + 4 * i)?;
            }
            b.try_write32((n * 4) as u32, vf_block_reg(vf, regs::VFB_MSG_LEN))
        })
    }
}

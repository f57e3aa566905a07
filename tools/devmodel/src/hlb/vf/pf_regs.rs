// SPDX-License-Identifier: GPL-2.0

//! The PF's VF registers ("PF registers" in `Documentation/hw/hlb-vf.rst`):
//! `NUM_VFS` .. `VF_ALARM_PENDING` in the identity range, and the VF blocks
//! at `0xc000 + 0x1000 * n` (mailbox buffers, status, counters, the map
//! tables with their write checks). Refused writes are PF alarms: the
//! caller ([`State::write`]) latches the returned [`Effect::Alarm`].

use super::mailbox::{set_word, word, MSG_WORDS, PF_MSG_WORDS};
use super::maps::{self, Table};
use crate::hlb::dataplane::{Io, Pending};
use crate::hlb::resources::PortKind;
use crate::hlb::state::State;
use crate::hlb::{Effect, HlbConfig, ALARM_VECTOR};
use crate::hlb_regs::{self as regs, AlarmCode};
use crate::hlb_vf_regs as vregs;

/// End of the VF blocks' room.
const VF_BLOCKS_END: usize = regs::vf_block_reg(regs::VFS_MAX, 0);

/// Word `i` of the buffer at `base` of `words` words holding `reg`.
fn in_buf(reg: usize, base: usize, words: usize) -> Option<usize> {
    let rel = reg.checked_sub(base)?;
    (rel < 4 * words).then_some(rel / 4)
}

/// The result of a check as an effect.
fn effect(res: Result<(), AlarmCode>) -> Effect {
    match res {
        Ok(()) => Effect::None,
        Err(code) => Effect::Alarm(code),
    }
}

impl State {
    /// The VF and register of PF offset `off`, if in the block of a VF
    /// the device has.
    fn vf_block(&self, off: usize) -> Option<(usize, usize)> {
        if !(regs::VF_BLOCK_BASE..VF_BLOCKS_END).contains(&off) {
            return None;
        }
        let rel = off - regs::VF_BLOCK_BASE;
        let n = rel / regs::VF_BLOCK_STRIDE;
        (n < self.vfs.vf.len()).then_some((n, rel % regs::VF_BLOCK_STRIDE))
    }

    /// `NUM_VFS` .. `VF_ALARM_PENDING`.
    pub(in crate::hlb) fn read_vf_pf(&self, off: usize, config: &HlbConfig) -> u32 {
        match off {
            regs::NUM_VFS => config.vfs,
            regs::VF_ENABLE => self.vfs.enable,
            regs::VF_MBOX_PENDING => self
                .vfs
                .vf
                .iter()
                .enumerate()
                .filter(|(_, v)| v.mbox.busy())
                .fold(0, |m, (n, _)| m | 1 << n),
            regs::VF_RESET_PENDING => self.vfs.reset_pending,
            regs::VF_ALARM_PENDING => self.vfs.alarm_pending,
            _ => 0,
        }
    }

    /// Writes `NUM_VFS` .. `VF_ALARM_PENDING`. Clearing a `VF_ENABLE` bit
    /// resets that VF's function (without `VF_RESET_PENDING`).
    pub(in crate::hlb) fn write_vf_pf(&mut self, off: usize, value: u32, io: &Io<'_>) -> Effect {
        match off {
            regs::VF_ENABLE if value & !self.vfs.mask() != 0 => Effect::Alarm(AlarmCode::BadValue),
            regs::VF_ENABLE => {
                let cleared = self.vfs.enable & !value;
                self.vfs.enable = value;
                for n in (0..self.vfs.vf.len()).filter(|n| cleared & (1 << n) != 0) {
                    self.reset_vf(n, io);
                }
                Effect::None
            }
            regs::VF_RESET_PENDING => {
                self.vfs.reset_pending &= !value;
                Effect::None
            }
            regs::VF_ALARM_PENDING => {
                self.vfs.alarm_pending &= !value;
                Effect::None
            }
            _ => Effect::None,
        }
    }

    /// A register of the VF blocks (0 for VFs the device does not have).
    pub(in crate::hlb) fn read_vf_block(&self, off: usize) -> u32 {
        let Some((n, reg)) = self.vf_block(off) else {
            return 0;
        };
        let vf = &self.vfs.vf[n];
        let mb = &vf.mbox;
        if let Some(i) = in_buf(reg, regs::VFB_REQ, MSG_WORDS) {
            return word(&mb.f.posted, i);
        }
        if let Some(i) = in_buf(reg, regs::VFB_REPLY, MSG_WORDS) {
            return word(&mb.reply_buf, i);
        }
        if let Some(i) = in_buf(reg, regs::VFB_MSG, PF_MSG_WORDS) {
            return word(&mb.msg_buf, i);
        }
        if let Some((t, v)) = Table::decode(reg) {
            return vf.maps.entry(t, v);
        }
        match reg {
            regs::VFB_REQ_LEN => mb.f.posted_len,
            regs::VFB_STATUS => {
                let bits = [
                    (mb.busy(), regs::VFB_STATUS_REQ_PENDING),
                    (mb.f.msg_valid, regs::VFB_STATUS_MSG_PENDING),
                    (self.vfs.enabled(n as u32), regs::VFB_STATUS_ENABLED),
                    (vf.bus_master, regs::VFB_STATUS_BUS_MASTER),
                ];
                bits.iter().filter(|b| b.0).fold(0, |s, b| s | b.1)
            }
            regs::VFB_ALARM_COUNT => vf.alarm_count,
            regs::VFB_ALARM_CODE => vf.last_alarm.0,
            regs::VFB_ALARM_INFO => vf.last_alarm.1,
            regs::VFB_OVERRUNS => mb.overruns,
            _ => 0,
        }
    }

    /// Writes a register of the VF blocks; a delivered reply or message
    /// raises the VF's vector 0 (in `out`).
    pub(in crate::hlb) fn write_vf_block(
        &mut self,
        off: usize,
        value: u32,
        out: &mut Pending,
    ) -> Effect {
        let Some((n, reg)) = self.vf_block(off) else {
            return Effect::None;
        };
        if let Some((t, v)) = Table::decode(reg) {
            return effect(self.write_map(n, t, v, value));
        }
        let enabled = self.vfs.enabled(n as u32);
        let vf = &mut self.vfs.vf[n];
        if let Some(i) = in_buf(reg, regs::VFB_REPLY, MSG_WORDS) {
            set_word(&mut vf.mbox.reply_buf, i, value);
            return Effect::None;
        }
        if let Some(i) = in_buf(reg, regs::VFB_MSG, PF_MSG_WORDS) {
            set_word(&mut vf.mbox.msg_buf, i, value);
            return Effect::None;
        }
        let (res, cause) = match reg {
            regs::VFB_REPLY_LEN => (vf.mbox.reply(value), vregs::IRQ_CAUSE_MBOX_REPLY),
            regs::VFB_MSG_LEN => (vf.mbox.message(value, enabled), vregs::IRQ_CAUSE_PF_MSG),
            _ => return Effect::None,
        };
        if res.is_ok() {
            vf.func.irq_cause |= cause;
            out.raise(u32::try_from(n).ok(), ALARM_VECTOR);
        }
        effect(res)
    }

    /// Writes entry `v` of VF `n`'s table `t`, with the checks of "Map
    /// entries" in order: value, physical number, owner, started.
    fn write_map(&mut self, n: usize, t: Table, v: usize, value: u32) -> Result<(), AlarmCode> {
        maps::check_value(value)?;
        let new = maps::phys(value);
        if let Some(p) = new {
            if p >= self.count(t) {
                return Err(AlarmCode::BadId);
            }
            let taken = self.vfs.vf.iter().enumerate().any(|(m, o)| {
                (0..t.entries())
                    .any(|w| (m, w) != (n, v) && maps::phys(o.maps.entry(t, w)) == Some(p))
            });
            if taken {
                return Err(AlarmCode::Owned);
            }
        }
        let cur = maps::phys(self.vfs.vf[n].maps.entry(t, v));
        if [cur, new]
            .into_iter()
            .flatten()
            .any(|p| self.in_started(t, p))
        {
            return Err(AlarmCode::Started);
        }
        self.vfs.vf[n].maps.set(t, v, value);
        Ok(())
    }

    /// How many physical objects of table `t`'s kind the device has.
    fn count(&self, t: Table) -> u32 {
        let c = self.resources.config();
        match t {
            Table::LdbPort => c.ldb_ports,
            Table::DirPort => c.dir_ports,
            Table::LdbQueue => c.ldb_queues,
            Table::Domain => c.domains,
        }
    }

    /// Whether physical object `p` of table `t`'s kind is (in) a started
    /// domain.
    fn in_started(&self, t: Table, p: u32) -> bool {
        let res = &self.resources;
        let owner = match t {
            Table::LdbPort => res.port_owner(PortKind::Ldb, p),
            Table::DirPort => res.port_owner(PortKind::Dir, p),
            Table::LdbQueue => res.queue_owner(p),
            Table::Domain => Some(p),
        };
        owner.is_some_and(|d| res.started(d))
    }
}

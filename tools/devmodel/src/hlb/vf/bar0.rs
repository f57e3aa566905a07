// SPDX-License-Identifier: GPL-2.0

//! BAR0 of a VF ("VF registers" in `Documentation/hw/hlb-vf.rst`): all
//! ones while the VF is disabled; identity, `IRQ_CAUSE`, mailbox, its own
//! alarm registers; the read-only credit and depth registers by virtual
//! id; the ports' data-plane blocks by virtual port, onto the mapped
//! physical port.

use std::ops::RangeInclusive;

use super::mailbox::{word, Post, MSG_WORDS, PF_MSG_WORDS};
use super::maps::Table;
use super::translate;
use crate::hlb::dataplane::{Io, Pending};
use crate::hlb::resources::{self, PortKind};
use crate::hlb::state::{self, State};
use crate::hlb::{HlbConfig, ALARM_VECTOR};
use crate::hlb_regs::{self as regs, AlarmCode};
use crate::hlb_vf_regs as vregs;

/// `CQ_VECTOR` values of a VF's ports: 0 (none) or one of its CQ vectors.
const VF_CQ_VECTORS: RangeInclusive<u32> = 0..=vregs::CQ_VECTOR_MAX;
/// The programming range a VF sees only the counters of.
const COUNTERS: std::ops::Range<usize> = regs::DOMAIN_BASE..regs::PORT_REGS_BASE;

/// Word `i` of the buffer at `base` of `words` words holding `off`.
fn in_buf(off: usize, base: usize, words: usize) -> Option<usize> {
    let rel = off.checked_sub(base)?;
    (rel < 4 * words).then_some(rel / 4)
}

/// The map table naming ports of `kind`.
fn port_table(kind: PortKind) -> Table {
    match kind {
        PortKind::Ldb => Table::LdbPort,
        PortKind::Dir => Table::DirPort,
    }
}

impl State {
    /// Reads VF `n`'s register at `off`.
    pub(in crate::hlb) fn vf_read(&self, n: u32, off: usize, config: &HlbConfig) -> u32 {
        let Some(vf) = self.vfs.active(n) else {
            return vregs::ABSENT;
        };
        let f = &vf.mbox.f;
        if let Some(i) = in_buf(off, vregs::MBOX_REQ, MSG_WORDS) {
            return word(&f.req, i);
        }
        if let Some(i) = in_buf(off, vregs::MBOX_REPLY, MSG_WORDS) {
            return word(&f.reply, i);
        }
        if let Some(i) = in_buf(off, vregs::PF_MSG, PF_MSG_WORDS) {
            return word(&f.msg, i);
        }
        match off {
            regs::ID => vregs::ID_MAGIC,
            regs::VERSION => config.version,
            regs::STATUS => regs::STATUS_READY,
            regs::IRQ_CAUSE => vf.func.irq_cause,
            regs::IRQ_TEST_COUNT => vf.func.irq_test_count,
            regs::NUM_VECTORS => vregs::NUM_VECTORS,
            vregs::MBOX_STATUS => vf.mbox.status(),
            vregs::MBOX_REPLY_LEN => f.reply_len,
            vregs::PF_MSG_LEN => f.msg_len,
            vregs::MBOX_OVERRUNS => f.overruns,
            regs::ALARM_CODE..=regs::ALARM_ACK => vf.func.alarms.read(off),
            _ if COUNTERS.contains(&off) => self.vf_counter(n, off).unwrap_or(0),
            regs::PORT_REGS_BASE..state::PP_REGS_END if self.dp_enabled => {
                let Some((kind, v, reg)) = state::pp_reg(off) else {
                    return 0;
                };
                vf.maps
                    .to_phys(port_table(kind), v)
                    .map_or(0, |p| self.read_port_pp(kind, p, reg))
            }
            _ => 0,
        }
    }

    /// `DOM_*_CREDITS_AVAIL`, `LQ_DEPTH`, `DQ_DEPTH` of VF `n` at `off`,
    /// by virtual id: the PF's register of the mapped object.
    fn vf_counter(&self, n: u32, off: usize) -> Option<u32> {
        let maps = &self.vfs.active(n)?.maps;
        let phys_off = if let Some((v, reg)) = state::domain_reg(off) {
            if !matches!(
                reg,
                regs::DOM_LDB_CREDITS_AVAIL | regs::DOM_DIR_CREDITS_AVAIL
            ) {
                return None;
            }
            regs::domain_reg(maps.to_phys(Table::Domain, v)?, reg)
        } else if let Some(v) = state::object_with_reg(off, regs::LDB_QUEUE_BASE, regs::LQ_DEPTH) {
            let p = maps.to_phys(Table::LdbQueue, v)?;
            regs::object_reg(regs::LDB_QUEUE_BASE, p, regs::LQ_DEPTH)
        } else {
            let v = state::object_with_reg(off, regs::DIR_PORT_BASE, regs::DQ_DEPTH)?;
            let p = maps.to_phys(Table::DirPort, v)?;
            regs::object_reg(regs::DIR_PORT_BASE, p, regs::DQ_DEPTH)
        };
        self.read_dp_counter(phys_off)
    }

    /// Writes `value` to VF `n`'s register at `off`. Vectors (the PF's
    /// for a post, both functions' for an alarm, CQ vectors of a
    /// `CQ_ARM`) are left in `out`; returns the alarm the write raised,
    /// for the log.
    pub(in crate::hlb) fn vf_write(
        &mut self,
        n: u32,
        off: usize,
        value: u32,
        io: &Io<'_>,
        out: &mut Pending,
    ) -> Option<AlarmCode> {
        let dp = self.dp_enabled;
        if !self.vfs.enabled(n) {
            return None;
        }
        let vf = self.vfs.vf.get_mut(n as usize)?;
        if let Some(i) = in_buf(off, vregs::MBOX_REQ, MSG_WORDS) {
            vf.mbox.write_req(i, value);
            return None;
        }
        let res = match off {
            regs::CTRL if value & regs::CTRL_RESET != 0 => {
                self.vf_reset_reported(n, io, out);
                Ok(())
            }
            regs::IRQ_TEST if value < vregs::NUM_VECTORS => {
                vf.func.irq_cause |= regs::IRQ_CAUSE_TEST;
                vf.func.irq_test_count = vf.func.irq_test_count.wrapping_add(1);
                out.raise(Some(n), value);
                Ok(())
            }
            regs::IRQ_CAUSE => {
                vf.func.irq_cause &= !value;
                Ok(())
            }
            vregs::MBOX_REQ_LEN => match vf.mbox.post(value) {
                Ok(Post::Posted) => {
                    self.control.set_cause(regs::IRQ_CAUSE_VF_MBOX);
                    out.raise(None, ALARM_VECTOR);
                    Ok(())
                }
                Ok(Post::Overrun) => Ok(()),
                Err(code) => Err(code),
            },
            vregs::PF_MSG_ACK => {
                vf.mbox.ack(value);
                Ok(())
            }
            regs::ALARM_CODE..=regs::ALARM_ACK => {
                vf.func.alarms.write(off, value);
                Ok(())
            }
            regs::PORT_REGS_BASE..state::PP_REGS_END if dp => {
                self.vf_write_pp(n, off, value, io, out)
            }
            _ => Ok(()),
        };
        let code = res.err()?;
        // BAR0 is 64 KiB, so every offset fits.
        self.vf_alarm(n, code, off as u32, out);
        Some(code)
    }

    /// A VF write to virtual port `v`'s data-plane block: `BadId` if not
    /// mapped, then the PF's rules with the VF's vectors.
    fn vf_write_pp(
        &mut self,
        n: u32,
        off: usize,
        value: u32,
        io: &Io<'_>,
        out: &mut Pending,
    ) -> Result<(), AlarmCode> {
        let Some((kind, v, reg)) =
            state::pp_reg(off).filter(|r| resources::pp_writable(r.2) && self.has_pp_reg(r.2))
        else {
            return Ok(());
        };
        let p = self
            .vfs
            .active(n)
            .and_then(|vf| vf.maps.to_phys(port_table(kind), v))
            .ok_or(AlarmCode::BadId)?;
        self.write_port_pp(kind, p, reg, value, &VF_CQ_VECTORS, io, out)
    }

    /// A doorbell in VF `n`'s window of virtual port `vport`.
    pub(in crate::hlb) fn vf_doorbell(
        &mut self,
        n: u32,
        vport: hlb_sched::PortId,
        io: &Io<'_>,
        out: &mut Pending,
    ) {
        let Some(port) = self
            .vfs
            .active(n)
            .and_then(|vf| translate::port_to_phys(&vf.maps, vport))
        else {
            return;
        };
        self.doorbell(port, Some(n), io, out);
    }
}

// SPDX-License-Identifier: GPL-2.0

//! The configuration registers of the ports' data-plane blocks
//! (`0x8000 + 0x40 * p` LDB, `0xa000 + 0x40 * p` DIR): `CQ_ADDR_LO`,
//! `CQ_ADDR_HI`, `CQ_VECTOR`, and the checks of `CQ_ARM` and `PORT_CTRL`.
//! The read-only counters of the block (statistics included: `PP_EVENTS`,
//! `CQ_IRQS`) and the state `PORT_CTRL` changes belong to the running
//! domain (`hlb::dataplane`). Writes to the read-only registers and to
//! the offsets no register occupies (`0x2c-0x3f`) are ignored without an
//! alarm.

use std::ops::RangeInclusive;

use super::export::PortKind;
use super::{Check, Resources};
use crate::hlb_regs::{self as regs, AlarmCode};

/// Bits of `CQ_ADDR_LO` that must be 0 (64-byte alignment).
const CQ_ADDR_ALIGN_MASK: u32 = 0x3f;
/// `CQ_ARM` value that arms.
const CQ_ARM_ARM: u32 = 1;

/// One port's data-plane configuration; `Default` is the reset state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct PortDp {
    pub(crate) cq_addr_lo: u32,
    pub(crate) cq_addr_hi: u32,
    pub(crate) cq_vector: u32,
}

impl PortDp {
    /// Guest-physical address of the CQ ring.
    pub(crate) fn cq_addr(&self) -> u64 {
        u64::from(self.cq_addr_hi) << 32 | u64::from(self.cq_addr_lo)
    }
}

/// What an accepted write to a data-plane block asks of the data plane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PpWrite {
    /// Nothing beyond the stored value.
    None,
    /// `CQ_ARM` = 1 on a port of domain `.0`: arm its CQ interrupt (if the
    /// domain is started).
    Arm(u32),
    /// `PORT_CTRL` = `.1` (a valid value) on a port of domain `.0`: stop,
    /// reset or run it (if the domain is started).
    Ctrl(u32, u32),
}

impl Resources {
    /// Owner and data-plane block of port `p` of `kind`, if the device has
    /// the port.
    fn port_dp(&self, kind: PortKind, p: u32) -> Option<(Option<u32>, &PortDp)> {
        let i = p as usize;
        match kind {
            PortKind::Ldb => self.ldb_ports.get(i).map(|x| (x.owner, &x.dp)),
            PortKind::Dir => self.dir_ports.get(i).map(|x| (x.owner, &x.dp)),
        }
    }

    /// Reads configuration register `reg` of port `p`'s data-plane block
    /// (`None` for the counters, which the data plane answers; 0 for a
    /// port the device does not have).
    pub fn read_pp(&self, kind: PortKind, p: u32, reg: usize) -> Option<u32> {
        let dp = self.port_dp(kind, p).map(|(_, dp)| *dp).unwrap_or_default();
        Some(match reg {
            regs::CQ_ADDR_LO => dp.cq_addr_lo,
            regs::CQ_ADDR_HI => dp.cq_addr_hi,
            regs::CQ_VECTOR => dp.cq_vector,
            regs::CQ_OCCUPANCY
            | regs::HL_USED
            | regs::PP_CONSUMED
            | regs::CQ_WRITTEN
            | regs::PORT_CTRL
            | regs::PP_EVENTS
            | regs::CQ_IRQS => return None,
            _ => 0,
        })
    }

    /// Writes `value` to register `reg` of port `p`'s data-plane block:
    /// `BadId` for a port the device does not have, `NotOwned` for an
    /// unassigned one, `Started` for configuration of a started domain's
    /// port, then the value rules (`CQ_VECTOR` in `vectors`: the writing
    /// function's). Read-only and undefined offsets ignore writes without
    /// an alarm.
    pub fn write_pp(
        &mut self,
        kind: PortKind,
        p: u32,
        reg: usize,
        value: u32,
        vectors: &RangeInclusive<u32>,
    ) -> Result<PpWrite, AlarmCode> {
        if !writable(reg) {
            return Ok(PpWrite::None);
        }
        let (owner, _) = self.port_dp(kind, p).ok_or(AlarmCode::BadId)?;
        let d = owner.ok_or(AlarmCode::NotOwned)?;
        if reg == regs::CQ_ARM {
            return Ok(if value == CQ_ARM_ARM {
                PpWrite::Arm(d)
            } else {
                PpWrite::None
            });
        }
        if reg == regs::PORT_CTRL {
            let known = regs::PORT_CTRL_STOPPED | regs::PORT_CTRL_RESET;
            let reset_running =
                value & regs::PORT_CTRL_RESET != 0 && value & regs::PORT_CTRL_STOPPED == 0;
            if value & !known != 0 || reset_running {
                return Err(AlarmCode::BadValue);
            }
            return Ok(PpWrite::Ctrl(d, value));
        }
        self.configurable(owner)?;
        check_pp(reg, value, vectors)?;
        let i = p as usize;
        let dp = match kind {
            PortKind::Ldb => &mut self.ldb_ports[i].dp,
            PortKind::Dir => &mut self.dir_ports[i].dp,
        };
        match reg {
            regs::CQ_ADDR_LO => dp.cq_addr_lo = value,
            regs::CQ_ADDR_HI => dp.cq_addr_hi = value,
            _ => dp.cq_vector = value,
        }
        Ok(PpWrite::None)
    }
}

/// Whether `reg` of a data-plane block takes writes (the others ignore
/// them without an alarm).
pub fn writable(reg: usize) -> bool {
    matches!(
        reg,
        regs::CQ_ADDR_LO | regs::CQ_ADDR_HI | regs::CQ_VECTOR | regs::CQ_ARM | regs::PORT_CTRL
    )
}

/// Value rules of the configuration registers.
fn check_pp(reg: usize, value: u32, vectors: &RangeInclusive<u32>) -> Check {
    let ok = match reg {
        regs::CQ_ADDR_LO => value & CQ_ADDR_ALIGN_MASK == 0,
        regs::CQ_VECTOR => vectors.contains(&value),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(AlarmCode::BadValue)
    }
}

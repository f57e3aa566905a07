// SPDX-License-Identifier: GPL-2.0

//! Domain blocks: the reservation (credits, atomic in-flights, history-list
//! block) and `DOM_CTRL` (validate/release, start/stop, reset).

use super::{overlaps, within, Check, Resources};
use crate::hlb_regs::{self as regs, AlarmCode};

/// One domain's registers; `Default` is the reset state.
#[derive(Clone, Debug, Default)]
pub(super) struct Domain {
    pub(super) valid: bool,
    pub(super) started: bool,
    pub(super) ldb_credits: u32,
    pub(super) dir_credits: u32,
    pub(super) atomic_inflights: u32,
    pub(super) hl_base: u32,
    pub(super) hl_size: u32,
}

impl Domain {
    pub(super) fn read(&self, reg: usize) -> u32 {
        match reg {
            regs::DOM_CTRL => {
                let mut v = 0;
                if self.valid {
                    v |= regs::DOM_CTRL_VALID;
                }
                if self.started {
                    v |= regs::DOM_CTRL_STARTED;
                }
                v
            }
            regs::DOM_LDB_CREDITS => self.ldb_credits,
            regs::DOM_DIR_CREDITS => self.dir_credits,
            regs::DOM_ATOMIC_INFLIGHTS => self.atomic_inflights,
            regs::DOM_HL_BASE => self.hl_base,
            regs::DOM_HL_SIZE => self.hl_size,
            _ => 0,
        }
    }

    /// The reservation register `reg`, for writing.
    fn field(&mut self, reg: usize) -> Option<&mut u32> {
        Some(match reg {
            regs::DOM_LDB_CREDITS => &mut self.ldb_credits,
            regs::DOM_DIR_CREDITS => &mut self.dir_credits,
            regs::DOM_ATOMIC_INFLIGHTS => &mut self.atomic_inflights,
            regs::DOM_HL_BASE => &mut self.hl_base,
            regs::DOM_HL_SIZE => &mut self.hl_size,
            _ => return None,
        })
    }
}

impl Resources {
    pub(super) fn write_domain(&mut self, d: u32, reg: usize, value: u32) -> Check {
        if reg == regs::DOM_CTRL {
            return self.write_dom_ctrl(d, value);
        }
        let cur = &self.domains[d as usize];
        let mut next = cur.clone();
        let Some(field) = next.field(reg) else {
            return Ok(());
        };
        *field = value;
        if cur.valid {
            if cur.started {
                return Err(AlarmCode::Started);
            }
            self.check_reservation(d, &next)?;
        }
        self.domains[d as usize] = next;
        Ok(())
    }

    /// `DOM_CTRL`: `RESET` alone if set; else the new `VALID`/`STARTED`.
    fn write_dom_ctrl(&mut self, d: u32, value: u32) -> Check {
        if value & regs::DOM_CTRL_RESET != 0 {
            self.reset_domain(d);
            return Ok(());
        }
        let valid = value & regs::DOM_CTRL_VALID != 0;
        let started = value & regs::DOM_CTRL_STARTED != 0;
        let cur = &self.domains[d as usize];
        if started && !valid {
            return Err(AlarmCode::BadDomain);
        }
        if valid && !cur.valid {
            self.check_reservation(d, cur)?;
        }
        if !valid && cur.valid && self.owns_objects(d) {
            return Err(AlarmCode::InUse);
        }
        let dom = &mut self.domains[d as usize];
        dom.valid = valid;
        dom.started = started;
        Ok(())
    }

    /// Checks that domain `d` may hold reservation `next` while valid:
    /// device totals (`OverCommit`), its history-list block inside the
    /// device and apart from other valid domains' (`Overlap`), and still
    /// covering what its objects use (port ranges: `Overlap`; queue atomic
    /// in-flights: `OverCommit`).
    fn check_reservation(&self, d: u32, next: &Domain) -> Check {
        let others = || {
            self.domains
                .iter()
                .enumerate()
                .filter(move |&(i, o)| i != d as usize && o.valid)
                .map(|(_, o)| o)
        };
        let sum = |f: fn(&Domain) -> u32| -> u64 {
            others().map(|o| u64::from(f(o))).sum::<u64>() + u64::from(f(next))
        };
        let c = &self.config;
        if sum(|o| o.ldb_credits) > u64::from(c.ldb_credits)
            || sum(|o| o.dir_credits) > u64::from(c.dir_credits)
            || sum(|o| o.atomic_inflights) > u64::from(c.atomic_inflights)
        {
            return Err(AlarmCode::OverCommit);
        }
        if next.hl_size != 0 {
            if !within(next.hl_base, next.hl_size, 0, c.hist_list) {
                return Err(AlarmCode::Overlap);
            }
            if others().any(|o| overlaps(next.hl_base, next.hl_size, o.hl_base, o.hl_size)) {
                return Err(AlarmCode::Overlap);
            }
        }
        let ports_fit = self
            .ldb_ports
            .iter()
            .filter(|p| p.owner == Some(d) && p.hl_size != 0)
            .all(|p| within(p.hl_base, p.hl_size, next.hl_base, next.hl_size));
        if !ports_fit {
            return Err(AlarmCode::Overlap);
        }
        if self.queue_atomic_sum(d, None) > u64::from(next.atomic_inflights) {
            return Err(AlarmCode::OverCommit);
        }
        Ok(())
    }

    /// Whether any queue or port belongs to domain `d`.
    fn owns_objects(&self, d: u32) -> bool {
        let mine = |o: Option<u32>| o == Some(d);
        self.queues.iter().any(|q| mine(q.owner))
            || self.dir_ports.iter().any(|p| mine(p.owner))
            || self.ldb_ports.iter().any(|p| mine(p.owner))
    }

    /// `DOM_CTRL.RESET`: returns every object of domain `d` to its reset
    /// state (unassigned, unconfigured, unlinked, no SN slot) and stops the
    /// domain; the reservation and `VALID` stay.
    fn reset_domain(&mut self, d: u32) {
        let mine = |o: Option<u32>| o == Some(d);
        self.queues
            .iter_mut()
            .filter(|q| mine(q.owner))
            .for_each(|q| *q = Default::default());
        self.dir_ports
            .iter_mut()
            .filter(|p| mine(p.owner))
            .for_each(|p| *p = Default::default());
        self.ldb_ports
            .iter_mut()
            .filter(|p| mine(p.owner))
            .for_each(|p| *p = Default::default());
        self.domains[d as usize].started = false;
    }
}

// SPDX-License-Identifier: GPL-2.0

//! LDB queue blocks: configuration and sequence-number slots (`LQ_SN`).

use super::object::obj_domain;
use super::{config, Block, Check, Resources};
use crate::hlb_regs::{self as regs, AlarmCode};

/// Mask of the count in `LQ_SN`.
const SN_COUNT_MASK: u32 = 0xffff;
/// Shift and mask of the group in `LQ_SN`.
const SN_GROUP_SHIFT: u32 = 16;
const SN_GROUP_MASK: u32 = 0xff;
/// Shift of the slot in `LQ_SN`.
const SN_SLOT_SHIFT: u32 = 24;

/// One LDB queue's registers; `Default` is the reset (unassigned) state.
#[derive(Clone, Debug, Default)]
pub(super) struct LdbQueue {
    pub(super) owner: Option<u32>,
    /// `LQ_SN` as written (0 unless the count is non-zero).
    sn: u32,
    pub(super) inflight_limit: u32,
    pub(super) atomic_inflights: u32,
    pub(super) lock_id_comp: u32,
    pub(super) depth_threshold: u32,
}

impl LdbQueue {
    pub(super) fn read(&self, reg: usize) -> u32 {
        match reg {
            regs::OBJ_DOMAIN => obj_domain(self.owner),
            regs::LQ_SN => self.sn,
            regs::LQ_INFLIGHT_LIMIT => self.inflight_limit,
            regs::LQ_ATOMIC_INFLIGHTS => self.atomic_inflights,
            regs::LQ_LOCK_ID_COMP => self.lock_id_comp,
            regs::LQ_DEPTH_THRESHOLD => self.depth_threshold,
            _ => 0,
        }
    }

    /// Sequence numbers of the queue (count of `LQ_SN`; 0: unordered).
    pub(super) fn sn_count(&self) -> u32 {
        self.sn & SN_COUNT_MASK
    }

    /// The `(group, slot)` this queue holds, if it is ordered.
    pub(super) fn sn_slot(&self) -> Option<(u32, u32)> {
        let group = (self.sn >> SN_GROUP_SHIFT) & SN_GROUP_MASK;
        (self.sn & SN_COUNT_MASK != 0).then_some((group, self.sn >> SN_SLOT_SHIFT))
    }
}

impl Resources {
    pub(super) fn write_queue(&mut self, q: u32, reg: usize, value: u32) -> Check {
        if reg == regs::OBJ_DOMAIN {
            return self.write_obj_domain(Block::LdbQueue, q, value);
        }
        let d = self.configurable(self.queues[q as usize].owner)?;
        let mut value = value;
        match reg {
            regs::LQ_SN => {
                self.check_sn(q, value)?;
                if value & SN_COUNT_MASK == 0 {
                    value = 0;
                }
            }
            regs::LQ_INFLIGHT_LIMIT => {
                if !(1..=self.config.hist_list).contains(&value) {
                    return Err(AlarmCode::BadValue);
                }
            }
            regs::LQ_ATOMIC_INFLIGHTS => {
                let sum = self.queue_atomic_sum(d, Some(q)) + u64::from(value);
                if sum > u64::from(self.domains[d as usize].atomic_inflights) {
                    return Err(AlarmCode::OverCommit);
                }
            }
            regs::LQ_LOCK_ID_COMP => {
                if value != 0 && !regs::LOCK_ID_COMP_LEVELS.contains(&value) {
                    return Err(AlarmCode::BadValue);
                }
            }
            regs::LQ_DEPTH_THRESHOLD => {
                if value > regs::DEPTH_THRESHOLD_MAX {
                    return Err(AlarmCode::BadValue);
                }
            }
            _ => return Ok(()),
        }
        let queue = &mut self.queues[q as usize];
        *match reg {
            regs::LQ_SN => &mut queue.sn,
            regs::LQ_INFLIGHT_LIMIT => &mut queue.inflight_limit,
            regs::LQ_ATOMIC_INFLIGHTS => &mut queue.atomic_inflights,
            regs::LQ_LOCK_ID_COMP => &mut queue.lock_id_comp,
            _ => &mut queue.depth_threshold,
        } = value;
        Ok(())
    }

    /// Sum of `LQ_ATOMIC_INFLIGHTS` over domain `d`'s queues, leaving out
    /// queue `except`.
    pub(super) fn queue_atomic_sum(&self, d: u32, except: Option<u32>) -> u64 {
        self.queues
            .iter()
            .enumerate()
            .filter(|&(i, q)| q.owner == Some(d) && Some(i as u32) != except)
            .map(|(_, q)| u64::from(q.atomic_inflights))
            .sum()
    }

    /// `LQ_SN` of queue `q`: a count of 0 frees its slot; otherwise the
    /// group must exist (`BadId`), the count be its mode (`BadValue`), and
    /// the slot be one of the group's and free (`SnConflict`).
    fn check_sn(&self, q: u32, value: u32) -> Check {
        let count = value & SN_COUNT_MASK;
        if count == 0 {
            return Ok(());
        }
        let group = (value >> SN_GROUP_SHIFT) & SN_GROUP_MASK;
        let slot = value >> SN_SLOT_SHIFT;
        let Some(&mode) = self.sn_modes.get(group as usize) else {
            return Err(AlarmCode::BadId);
        };
        if count != mode {
            return Err(AlarmCode::BadValue);
        }
        if slot >= config::SN_PER_GROUP / mode {
            return Err(AlarmCode::SnConflict);
        }
        let taken = self
            .queues
            .iter()
            .enumerate()
            .any(|(i, o)| i as u32 != q && o.sn_slot() == Some((group, slot)));
        if taken {
            return Err(AlarmCode::SnConflict);
        }
        Ok(())
    }
}

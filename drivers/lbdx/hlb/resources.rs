// SPDX-License-Identifier: GPL-2.0

//! The resource totals an HLB reports in its `NUM_*` registers, read once at
//! probe, or for a VF what its PF assigned it (`GET_RESOURCES`). Nothing
//! here is hard-coded: another device with other counts works unchanged.

use super::resource_pool;
use crate::{
    bringup::Bar0,
    hw::{hlb_mbox::Resources, hlb_regs},
};
use kernel::{io::Io, prelude::*};

/// Number of resource kinds in [`hlb_regs::RESOURCE_REGS`].
pub(crate) const NUM_RESOURCES: usize = hlb_regs::RESOURCE_REGS.len();

/// Device-wide resource totals, in [`hlb_regs::RESOURCE_REGS`] order.
pub(crate) struct Totals {
    /// `counts[i]` is the value of `RESOURCE_REGS[i]`.
    pub(crate) counts: [u32; NUM_RESOURCES],
    /// VF functions (`NUM_VFS`, minor version 2; at most `VFS_MAX`).
    pub(crate) num_vfs: u32,
}

impl Totals {
    /// Reads every `NUM_*` register of a device of minor version `minor`.
    /// A device reporting no domains, no ports or no queues is unusable and
    /// refused with `ENODEV`.
    pub(crate) fn read(bar: &Bar0<'_>, minor: u16) -> Result<Self> {
        let mut counts = [0u32; NUM_RESOURCES];
        for (c, (_, reg)) in counts.iter_mut().zip(hlb_regs::RESOURCE_REGS.iter()) {
            *c = bar.try_read32(*reg)?;
        }
        let num_vfs = if minor >= hlb_regs::VERSION_MINOR_VFS {
            bar.try_read32(hlb_regs::NUM_VFS)?.min(hlb_regs::VFS_MAX)
        } else {
            0
        };
        Self { counts, num_vfs }.usable()
    }

    /// What a VF was assigned, in its virtual ids: one class of service of
    /// LDB ports, no VFs of its own. `ENODEV` if that is nothing usable.
    pub(crate) fn of_vf(r: &Resources) -> Result<Self> {
        let mut t = Self {
            counts: [0; NUM_RESOURCES],
            num_vfs: 0,
        };
        for (reg, v) in [
            (hlb_regs::NUM_DOMAINS, r.domains),
            (hlb_regs::NUM_LDB_QUEUES, r.ldb_queues),
            (hlb_regs::NUM_DIR_PORTS, r.dir_ports),
            (hlb_regs::NUM_LDB_PORTS, r.ldb_ports),
            (hlb_regs::NUM_LDB_CREDITS, r.ldb_credits),
            (hlb_regs::NUM_DIR_CREDITS, r.dir_credits),
            (hlb_regs::NUM_HIST_LIST, r.hist_list_entries),
            (hlb_regs::NUM_ATOMIC_INFLIGHTS, r.atomic_inflights),
            (hlb_regs::NUM_SN_GROUPS, r.sn_groups),
            (hlb_regs::SN_PER_GROUP, r.sn_per_group),
            (hlb_regs::NUM_LDB_PORT_COS, 1),
            (hlb_regs::MAX_QUEUES_PER_PORT, r.max_queues_per_port),
            (hlb_regs::NUM_PRIORITIES, r.priorities),
        ] {
            if let Some(i) = hlb_regs::RESOURCE_REGS.iter().position(|&(_, x)| x == reg) {
                t.counts[i] = v;
            }
        }
        t.usable()
    }

    /// `self`, unless it has no domains, no ports or no queues.
    fn usable(self) -> Result<Self> {
        let t = self;
        if t.get(hlb_regs::NUM_DOMAINS) == 0
            || (t.get(hlb_regs::NUM_LDB_QUEUES) == 0 && t.get(hlb_regs::NUM_DIR_PORTS) == 0)
            || (t.get(hlb_regs::NUM_LDB_PORTS) == 0 && t.get(hlb_regs::NUM_DIR_PORTS) == 0)
        {
            return Err(ENODEV);
        }
        Ok(t)
    }

    /// The totals in the resource pool's terms.
    pub(crate) fn pool_totals(&self) -> resource_pool::Totals {
        resource_pool::Totals {
            domains: self.get(hlb_regs::NUM_DOMAINS),
            ldb_queues: self.get(hlb_regs::NUM_LDB_QUEUES),
            dir_ports: self.get(hlb_regs::NUM_DIR_PORTS),
            ldb_ports: self.get(hlb_regs::NUM_LDB_PORTS),
            ldb_port_cos: self.get(hlb_regs::NUM_LDB_PORT_COS),
            ldb_credits: self.get(hlb_regs::NUM_LDB_CREDITS),
            dir_credits: self.get(hlb_regs::NUM_DIR_CREDITS),
            hist_list: self.get(hlb_regs::NUM_HIST_LIST),
            atomic_inflights: self.get(hlb_regs::NUM_ATOMIC_INFLIGHTS),
            sn_groups: self.get(hlb_regs::NUM_SN_GROUPS),
            sn_per_group: self.get(hlb_regs::SN_PER_GROUP),
            max_queues_per_port: self.get(hlb_regs::MAX_QUEUES_PER_PORT),
            priorities: self.get(hlb_regs::NUM_PRIORITIES),
        }
    }

    /// The total held by register `reg` (one of `RESOURCE_REGS`), or 0.
    pub(crate) fn get(&self, reg: usize) -> u32 {
        hlb_regs::RESOURCE_REGS
            .iter()
            .position(|&(_, r)| r == reg)
            .map_or(0, |i| self.counts[i])
    }
}

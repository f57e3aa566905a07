// SPDX-License-Identifier: GPL-2.0

//! The resource totals an HLB reports in its `NUM_*` registers, read once at
//! probe. Nothing here is hard-coded: another device with other counts
//! works unchanged.

use crate::{bringup::Bar0, hw::hlb_regs};
use kernel::{io::Io, prelude::*};

/// Number of resource kinds in [`hlb_regs::RESOURCE_REGS`].
pub(crate) const NUM_RESOURCES: usize = hlb_regs::RESOURCE_REGS.len();

/// Device-wide resource totals, in [`hlb_regs::RESOURCE_REGS`] order.
pub(crate) struct Totals {
    /// `counts[i]` is the value of `RESOURCE_REGS[i]`.
    pub(crate) counts: [u32; NUM_RESOURCES],
}

impl Totals {
    /// Reads every `NUM_*` register. A device reporting no domains, no
    /// ports or no queues is unusable and refused with `ENODEV`.
    pub(crate) fn read(bar: &Bar0<'_>) -> Result<Self> {
        let mut counts = [0u32; NUM_RESOURCES];
        for (c, (_, reg)) in counts.iter_mut().zip(hlb_regs::RESOURCE_REGS.iter()) {
            *c = bar.try_read32(*reg)?;
        }
        let t = Self { counts };
        if t.get(hlb_regs::NUM_DOMAINS) == 0
            || (t.get(hlb_regs::NUM_LDB_QUEUES) == 0 && t.get(hlb_regs::NUM_DIR_PORTS) == 0)
            || (t.get(hlb_regs::NUM_LDB_PORTS) == 0 && t.get(hlb_regs::NUM_DIR_PORTS) == 0)
        {
            return Err(ENODEV);
        }
        Ok(t)
    }

    /// The total held by register `reg` (one of `RESOURCE_REGS`), or 0.
    pub(crate) fn get(&self, reg: usize) -> u32 {
        hlb_regs::RESOURCE_REGS
            .iter()
            .position(|&(_, r)| r == reg)
            .map_or(0, |i| self.counts[i])
    }
}

// SPDX-License-Identifier: GPL-2.0

//! The four translation tables of one VF (`VFB_LDB_PORT_MAP`,
//! `VFB_DIR_PORT_MAP`, `VFB_LDB_QUEUE_MAP`, `VFB_DOMAIN_MAP` in
//! `Documentation/hw/hlb-vf.rst`): entries as written, lookups both ways,
//! and the value rule of an entry. The checks that need the device
//! (counts, ownership across VFs, started domains) are
//! [`super::pf_regs`]'s.

use crate::hlb_regs::{self as regs, AlarmCode, VF_MAP_VALID};

/// Entries of the port and queue tables.
pub const OBJECT_ENTRIES: usize = regs::OBJECTS_MAX as usize;
/// Entries of the domain table.
pub const DOMAIN_ENTRIES: usize = regs::DOMAINS_MAX as usize;
/// Bits of an entry that hold the physical number.
const PHYS_MASK: u32 = 0xff;

/// One of the tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    /// Virtual LDB ports.
    LdbPort,
    /// Virtual DIR ports (and their directed queues).
    DirPort,
    /// Virtual LDB queues.
    LdbQueue,
    /// Virtual domains.
    Domain,
}

impl Table {
    /// Every table, in register order.
    pub const ALL: [Table; 4] = [
        Table::LdbPort,
        Table::DirPort,
        Table::LdbQueue,
        Table::Domain,
    ];

    /// Offset of the table in a VF block.
    pub fn base(self) -> usize {
        match self {
            Table::LdbPort => regs::VFB_LDB_PORT_MAP,
            Table::DirPort => regs::VFB_DIR_PORT_MAP,
            Table::LdbQueue => regs::VFB_LDB_QUEUE_MAP,
            Table::Domain => regs::VFB_DOMAIN_MAP,
        }
    }

    /// Number of entries.
    pub fn entries(self) -> usize {
        match self {
            Table::Domain => DOMAIN_ENTRIES,
            _ => OBJECT_ENTRIES,
        }
    }

    /// The table and entry of VF block offset `reg`, if it is a map entry.
    pub fn decode(reg: usize) -> Option<(Table, usize)> {
        Table::ALL.into_iter().find_map(|t| {
            let rel = reg.checked_sub(t.base())?;
            (rel < 4 * t.entries()).then_some((t, rel / 4))
        })
    }
}

/// Physical number of an entry, if valid.
pub fn phys(entry: u32) -> Option<u32> {
    (entry & VF_MAP_VALID != 0).then_some(entry & PHYS_MASK)
}

/// The value rule of an entry: 0, or `VALID` with bits 30:8 clear.
pub fn check_value(value: u32) -> Result<(), AlarmCode> {
    if value == 0 || (value & VF_MAP_VALID != 0 && value & !(VF_MAP_VALID | PHYS_MASK) == 0) {
        Ok(())
    } else {
        Err(AlarmCode::BadValue)
    }
}

/// The tables of one VF; `Default` is the reset state (nothing mapped).
#[derive(Clone, Debug)]
pub struct Maps {
    ldb_port: [u32; OBJECT_ENTRIES],
    dir_port: [u32; OBJECT_ENTRIES],
    ldb_queue: [u32; OBJECT_ENTRIES],
    domain: [u32; DOMAIN_ENTRIES],
}

impl Default for Maps {
    fn default() -> Self {
        Self {
            ldb_port: [0; OBJECT_ENTRIES],
            dir_port: [0; OBJECT_ENTRIES],
            ldb_queue: [0; OBJECT_ENTRIES],
            domain: [0; DOMAIN_ENTRIES],
        }
    }
}

impl Maps {
    fn table(&self, t: Table) -> &[u32] {
        match t {
            Table::LdbPort => &self.ldb_port,
            Table::DirPort => &self.dir_port,
            Table::LdbQueue => &self.ldb_queue,
            Table::Domain => &self.domain,
        }
    }

    /// Entry `v` of table `t` as written (0 outside the table).
    pub fn entry(&self, t: Table, v: usize) -> u32 {
        self.table(t).get(v).copied().unwrap_or(0)
    }

    /// Stores `value` in entry `v` of table `t` (already checked).
    pub fn set(&mut self, t: Table, v: usize, value: u32) {
        let table = match t {
            Table::LdbPort => &mut self.ldb_port[..],
            Table::DirPort => &mut self.dir_port[..],
            Table::LdbQueue => &mut self.ldb_queue[..],
            Table::Domain => &mut self.domain[..],
        };
        if let Some(e) = table.get_mut(v) {
            *e = value;
        }
    }

    /// Physical number of virtual `v` in table `t`, if mapped.
    pub fn to_phys(&self, t: Table, v: u32) -> Option<u32> {
        phys(self.entry(t, v as usize))
    }

    /// Virtual number of physical `p` in table `t`, if mapped.
    pub fn to_virt(&self, t: Table, p: u32) -> Option<u32> {
        let v = self.table(t).iter().position(|&e| phys(e) == Some(p))?;
        u32::try_from(v).ok()
    }
}

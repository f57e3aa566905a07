// SPDX-License-Identifier: GPL-2.0

//! The HLB's sysfs attributes (ABI: `Documentation/ABI/testing/sysfs-driver-lbdx-hlb`):
//! `version` and `irq_vectors` in the PCI device's directory, and one file
//! per resource in `total_resources/`.

use super::resources::{Totals, NUM_RESOURCES};
use crate::{bringup::Version, hw::hlb_regs::RESOURCE_REGS, sysfs::AttrSource};
use core::fmt::Write;
use kernel::{prelude::*, str::Formatter};

/// Attributes in the device's own directory.
pub(crate) struct DeviceAttrs {
    pub(crate) version: Version,
    pub(crate) irq_vectors: usize,
}

impl AttrSource for DeviceAttrs {
    const NAMES: &'static [&'static CStr] = &[c"version", c"irq_vectors"];

    fn show(&self, id: usize, out: &mut Formatter<'_>) -> core::fmt::Result {
        match id {
            0 => write!(out, "{}", self.version),
            _ => write!(out, "{}", self.irq_vectors),
        }
    }
}

/// Names of `total_resources/` files, in `RESOURCE_REGS` order.
const TOTAL_NAMES: [&CStr; NUM_RESOURCES] = [
    c"domains",
    c"ldb_queues",
    c"dir_ports",
    c"ldb_ports",
    c"ldb_credits",
    c"dir_credits",
    c"hist_list_entries",
    c"atomic_inflights",
    c"sn_groups",
    c"sn_per_group",
    c"ldb_port_cos",
    c"max_queues_per_port",
    c"priorities",
];

// The file names are the names the register map gives each resource.
const _: () = {
    let mut i = 0;
    while i < NUM_RESOURCES {
        let (a, b) = (TOTAL_NAMES[i].to_bytes(), RESOURCE_REGS[i].0.as_bytes());
        assert!(a.len() == b.len());
        let mut j = 0;
        while j < a.len() {
            assert!(a[j] == b[j]);
            j += 1;
        }
        i += 1;
    }
};

impl AttrSource for Totals {
    const NAMES: &'static [&'static CStr] = &TOTAL_NAMES;

    fn show(&self, id: usize, out: &mut Formatter<'_>) -> core::fmt::Result {
        write!(out, "{}", self.counts.get(id).copied().unwrap_or(0))
    }
}

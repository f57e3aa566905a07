// SPDX-License-Identifier: GPL-2.0

//! The HLB's sysfs attributes (ABI: `Documentation/ABI/testing/sysfs-driver-lbdx-hlb`):
//! `version` and `irq_vectors` in the PCI device's directory, one file per
//! resource in `total_resources/`, and what is free in `avail_resources/`.

use super::{
    control_plane::HlbCtl,
    resources::{Totals, NUM_RESOURCES},
};
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

impl AttrSource for HlbCtl {
    const NAMES: &'static [&'static CStr] = &[
        c"domains",
        c"ldb_queues",
        c"ldb_ports",
        c"ldb_ports_cos0",
        c"ldb_ports_cos1",
        c"ldb_ports_cos2",
        c"ldb_ports_cos3",
        c"dir_ports",
        c"ldb_credits",
        c"dir_credits",
        c"hist_list_entries",
        c"max_contiguous_hist_list_entries",
        c"atomic_inflights",
    ];

    fn show(&self, id: usize, out: &mut Formatter<'_>) -> core::fmt::Result {
        let (a, largest) = self.with_pool(|p| (p.available(), p.largest_free_hist_list_block()));
        let v = match id {
            0 => a.domains,
            1 => a.ldb_queues,
            2 => a.ldb_ports,
            3..=6 => a.ldb_ports_cos.get(id - 3).copied().unwrap_or(0),
            7 => a.dir_ports,
            8 => a.ldb_credits,
            9 => a.dir_credits,
            10 => a.hist_list,
            11 => largest,
            _ => a.atomic_inflights,
        };
        write!(out, "{v}")
    }
}

// SPDX-License-Identifier: GPL-2.0

//! The PF's read-only sysfs view of its VFs (ABI:
//! `Documentation/ABI/testing/sysfs-driver-lbdx-hlb`):
//! `/sys/bus/pci/devices/<pf>/vf<n>/` with the VF's state, what it was
//! assigned and the physical ids behind its virtual ones, the values of
//! configfs `vfs/vf<n>/` (`vf_configfs.rs`) for tools that only read sysfs.

use super::{control_plane::HlbCtl, resource_pool::vf_slice::VFS, vf_configfs::show_vf};
use crate::sysfs::AttrSource;
use core::fmt::Write;
use kernel::{prelude::*, str::Formatter, sync::Arc};

/// Names of the groups, `vf<n>` for VF `n`.
pub(crate) const GROUP_NAMES: [&CStr; VFS] = [c"vf0", c"vf1", c"vf2", c"vf3"];

/// What one VF's group shows.
pub(crate) struct VfView {
    ctl: Arc<HlbCtl>,
    vf: u32,
    name: &'static CStr,
}

impl VfView {
    /// The views of every VF of `ctl`'s device.
    pub(crate) fn all(ctl: &Arc<HlbCtl>) -> Result<KVec<Self>> {
        let mut v = KVec::with_capacity(ctl.num_vfs() as usize, GFP_KERNEL)?;
        // A device has at most `VFS` VFs (`HlbCtl::num_vfs`), each named.
        for (vf, &name) in (0..ctl.num_vfs()).zip(GROUP_NAMES.iter()) {
            v.push(
                Self {
                    ctl: ctl.clone(),
                    vf,
                    name,
                },
                GFP_KERNEL,
            )?;
        }
        Ok(v)
    }

    /// The group's name.
    pub(crate) fn name(&self) -> &'static CStr {
        self.name
    }
}

/// Assigned counts (ids 0 to 8 of `show_vf`), then `state` and the
/// physical ids (ids 11 to 17).
impl AttrSource for VfView {
    const NAMES: &'static [&'static CStr] = &[
        c"domains",
        c"ldb_queues",
        c"ldb_ports",
        c"dir_ports",
        c"ldb_credits",
        c"dir_credits",
        c"hist_list_entries",
        c"atomic_inflights",
        c"sn_groups",
        c"state",
        c"phys_domains",
        c"phys_ldb_queues",
        c"phys_ldb_ports",
        c"phys_dir_ports",
        c"phys_sn_groups",
        c"phys_hist_list_base",
    ];

    fn show(&self, id: usize, out: &mut Formatter<'_>) -> core::fmt::Result {
        let rec = self.ctl.vf(self.vf).map_err(|_| core::fmt::Error)?;
        match id {
            // What is assigned, not what is staged.
            0..=8 if !rec.assigned => write!(out, "0"),
            0..=8 => show_vf(&self.ctl, self.vf, id as u64, out).map_err(|_| core::fmt::Error),
            _ => show_vf(&self.ctl, self.vf, id as u64 + 2, out).map_err(|_| core::fmt::Error),
        }
    }
}

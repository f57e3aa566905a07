// SPDX-License-Identifier: GPL-2.0

//! The VF part of the HLB configfs tree (ABI:
//! `Documentation/ABI/testing/configfs-lbdx-hlb`):
//!
//! ```text
//! /sys/kernel/config/lbdx/<bdf>/vfs/vf<n>/
//! ```
//!
//! `vfs/` and one `vf<n>/` per VF function the device has come with the
//! device directory (default groups: VFs are fixed by the device). Each
//! holds the VF's staged counts, `commit` (carve the slice and write the
//! device's maps), `enable` (its `VF_ENABLE` bit), `state`, and read-only
//! lists of the physical ids its virtual ids stand for, in virtual order,
//! so the PF operator sees where each VF's objects are.

use super::{
    configfs::{add_default, attribute_ops, flag, num, raw_group, Attrs},
    control_plane::HlbCtl,
    resource_pool::vf_slice::{VfObject, VfRequest},
};
use core::fmt::Write;
use kernel::{
    bindings, configfs, configfs_attrs,
    page::PAGE_SIZE,
    prelude::*,
    str::{CString, Formatter},
    sync::Arc,
};

/// Adds `vfs/` and its `vf<n>/` directories to the device directory
/// `parent` (nothing if the device has no VFs).
pub(super) fn add_vfs_dir(parent: *mut bindings::config_group, ctl: &Arc<HlbCtl>) -> Result {
    if ctl.num_vfs() == 0 {
        return Ok(());
    }
    let item_type = configfs_attrs! {
        container: configfs::Group<VfsDir>,
        data: VfsDir,
        attributes: [],
    };
    let ctl = ctl.clone();
    add_default(
        parent,
        configfs::Group::new(c"vfs".try_into()?, item_type, Ok::<_, Error>(VfsDir)).pin_chain(
            move |g| {
                let vfs = raw_group(&g);
                let added = (0..ctl.num_vfs()).try_for_each(|vf| add_vf_dir(vfs, &ctl, vf));
                if added.is_err() {
                    // SAFETY: `vfs` is being made; release what was added.
                    unsafe { bindings::configfs_remove_default_groups(vfs) };
                }
                added
            },
        ),
    )
}

fn add_vf_dir(parent: *mut bindings::config_group, ctl: &Arc<HlbCtl>, vf: u32) -> Result {
    let name = CString::try_from_fmt(fmt!("vf{vf}"))?;
    let item_type = configfs_attrs! {
        container: configfs::Group<VfDir>,
        data: VfDir,
        attributes: [
            num_domains: 0,
            num_ldb_queues: 1,
            num_ldb_ports: 2,
            num_dir_ports: 3,
            num_ldb_credits: 4,
            num_dir_credits: 5,
            num_hist_list_entries: 6,
            num_atomic_inflights: 7,
            num_sn_groups: 8,
            commit: 9,
            enable: 10,
            state: 11,
            phys_domains: 12,
            phys_ldb_queues: 13,
            phys_ldb_ports: 14,
            phys_dir_ports: 15,
            phys_sn_groups: 16,
            phys_hist_list_base: 17,
        ],
    };
    let dir = VfDir {
        ctl: ctl.clone(),
        vf,
    };
    add_default(
        parent,
        configfs::Group::new(name, item_type, Ok::<_, Error>(dir)),
    )
}

/// `vfs/`: the device's VFs.
pub(crate) struct VfsDir;

/// `vf<n>/`: one VF's assignment.
pub(crate) struct VfDir {
    ctl: Arc<HlbCtl>,
    vf: u32,
}

/// The staged count attribute `id` of `r`.
fn count_mut(r: &mut VfRequest, id: u64) -> Option<&mut u32> {
    Some(match id {
        0 => &mut r.domains,
        1 => &mut r.ldb_queues,
        2 => &mut r.ldb_ports,
        3 => &mut r.dir_ports,
        4 => &mut r.ldb_credits,
        5 => &mut r.dir_credits,
        6 => &mut r.hist_list,
        7 => &mut r.atomic_inflights,
        8 => &mut r.sn_groups,
        _ => return None,
    })
}

/// Writes attribute `id` of VF `vf`'s directory (numbered as in
/// [`add_vf_dir`]'s table; no newline): also what the PF's sysfs view
/// (`vf_sysfs.rs`) shows.
pub(super) fn show_vf(ctl: &HlbCtl, vf: u32, id: u64, out: &mut Formatter<'_>) -> Result {
    let rec = ctl.vf(vf)?;
    let kind = match id {
        0..=8 => {
            let mut req = rec.req;
            let v = count_mut(&mut req, id).map_or(0, |c| *c);
            return Ok(write!(out, "{v}")?);
        }
        9 => return Ok(write!(out, "{}", u32::from(rec.assigned))?),
        10 => return Ok(write!(out, "{}", u32::from(rec.enabled))?),
        11 => {
            let a = if rec.assigned {
                "assigned"
            } else {
                "unassigned"
            };
            let e = if rec.enabled { " enabled" } else { "" };
            let r = if ctl.vf_registered(vf) {
                " registered"
            } else {
                ""
            };
            return Ok(write!(out, "{a}{e}{r}")?);
        }
        12 => VfObject::Domain,
        13 => VfObject::LdbQueue,
        14 => VfObject::LdbPort,
        15 => VfObject::DirPort,
        16 => VfObject::SnGroup,
        _ => {
            return match ctl.vf_hist_list_base(vf) {
                Some(b) => Ok(write!(out, "{b}")?),
                None => Ok(write!(out, "-1")?),
            }
        }
    };
    let mut first = true;
    ctl.vf_ids(vf, kind, &mut |p| {
        let sep = if first { "" } else { " " };
        first = false;
        write!(out, "{sep}{p}")?;
        Ok(())
    })
}

impl Attrs for VfDir {
    fn show(&self, id: u64, out: &mut Formatter<'_>) -> Result {
        show_vf(&self.ctl, self.vf, id, out)?;
        Ok(writeln!(out)?)
    }

    fn store(&self, id: u64, input: &[u8]) -> Result {
        let t = self.ctl.totals();
        let max = match id {
            0 => t.domains,
            1 => t.ldb_queues,
            2 => t.ldb_ports,
            3 => t.dir_ports,
            4 => t.ldb_credits,
            5 => t.dir_credits,
            6 => t.hist_list,
            7 => t.atomic_inflights,
            8 => t.sn_groups,
            9 => return self.ctl.commit_vf(self.vf, flag(input)?),
            10 => return self.ctl.enable_vf(self.vf, flag(input)?),
            _ => return Err(EPERM),
        };
        let v = num(input, 0, max)?;
        self.ctl.set_vf_request(self.vf, |r| {
            if let Some(c) = count_mut(r, id) {
                *c = v;
            }
        })
    }
}

attribute_ops!(VfDir; rw: 0 1 2 3 4 5 6 7 8 9 10; ro: 11 12 13 14 15 16 17);

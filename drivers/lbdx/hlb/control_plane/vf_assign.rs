// SPDX-License-Identifier: GPL-2.0

//! Assigning the device's resources to its virtual functions
//! (`Documentation/hw/hlb-vf.rst`), under the control-plane mutex.
//!
//! An operator stages a VF's counts, then commits: the pool carves the
//! slice out of what the PF has available (`resource_pool/vf_slice.rs`)
//! and the device's map registers are written from it, virtual id `v` of
//! each kind to the `v`-th physical object of the slice. Uncommitting
//! clears the maps and gives the slice back. Staged counts cannot change
//! while committed (`EBUSY`), like a domain's.

use super::{pool_err, HlbCtl};
use crate::hlb::resource_pool::{
    vf_slice::{VfObject, VfRequest, VFS},
    Pool,
};
use kernel::prelude::*;

/// What the PF knows of one VF.
#[derive(Clone, Copy, Default)]
pub(crate) struct VfRec {
    /// Staged (or, once committed, assigned) counts.
    pub(crate) req: VfRequest,
    /// The slice is carved and the maps written.
    pub(crate) assigned: bool,
    /// `VF_ENABLE` bit set.
    pub(crate) enabled: bool,
}

/// The kinds the device translates, in the order their maps are written.
const MAPPED: [VfObject; 4] = [
    VfObject::Domain,
    VfObject::LdbQueue,
    VfObject::LdbPort,
    VfObject::DirPort,
];

fn count(req: &VfRequest, kind: VfObject) -> u32 {
    match kind {
        VfObject::Domain => req.domains,
        VfObject::LdbQueue => req.ldb_queues,
        VfObject::LdbPort => req.ldb_ports,
        VfObject::DirPort => req.dir_ports,
        VfObject::SnGroup => req.sn_groups,
    }
}

/// The map entries of VF `vf`'s slice in `pool` for `req`'s counts: the
/// physical ids, or (`clear`) `None` for each.
fn map_entries(
    pool: &Pool,
    vf: u32,
    req: &VfRequest,
    clear: bool,
) -> Result<KVec<(VfObject, u32, Option<u32>)>> {
    let mut entries = KVec::new();
    for kind in MAPPED {
        for v in 0..count(req, kind) {
            let phys = if clear {
                None
            } else {
                pool.vf_physical(vf, kind, v)
            };
            entries.push((kind, v, phys), GFP_KERNEL)?;
        }
    }
    Ok(entries)
}

impl HlbCtl {
    /// VF functions the device has.
    pub(crate) fn num_vfs(&self) -> u32 {
        self.num_vfs
    }

    /// What the PF knows of VF `vf` (`ENOENT`: no such VF).
    pub(crate) fn vf(&self, vf: u32) -> Result<VfRec> {
        if vf >= self.num_vfs {
            return Err(ENOENT);
        }
        self.state
            .lock()
            .vfs
            .get(vf as usize)
            .copied()
            .ok_or(ENOENT)
    }

    /// Calls `f` with the physical id of each virtual id of `kind` in VF
    /// `vf`'s slice, in virtual order (nothing if it has none).
    pub(crate) fn vf_ids(
        &self,
        vf: u32,
        kind: VfObject,
        f: &mut dyn FnMut(u32) -> Result,
    ) -> Result {
        let st = self.state.lock();
        let Some(g) = st.pool.vf_grant(vf) else {
            return Ok(());
        };
        for v in 0..count(&g.req, kind) {
            if let Some(p) = st.pool.vf_physical(vf, kind, v) {
                f(p)?;
            }
        }
        Ok(())
    }

    /// First physical history-list entry of VF `vf`'s block, if assigned.
    pub(crate) fn vf_hist_list_base(&self, vf: u32) -> Option<u32> {
        self.state
            .lock()
            .pool
            .vf_grant(vf)
            .map(|g| g.hist_list_base)
    }

    /// Whether VF `vf` has a registered driver (its assignment is then
    /// locked).
    fn registered(st: &super::CtlState, vf: u32) -> bool {
        st.sessions
            .get(vf as usize)
            .is_some_and(|s| s.version.is_some())
    }

    /// Changes VF `vf`'s staged counts: `EBUSY` once committed.
    pub(crate) fn set_vf_request(&self, vf: u32, f: impl FnOnce(&mut VfRequest)) -> Result {
        self.vf(vf)?;
        let mut st = self.state.lock();
        if st.removed {
            return Err(ENODEV);
        }
        let rec = st.vfs.get_mut(vf as usize).ok_or(ENOENT)?;
        if rec.assigned {
            return Err(EBUSY);
        }
        f(&mut rec.req);
        Ok(())
    }

    /// Writes 1 (assign) or 0 (give back) to VF `vf`'s `commit`. Assigning
    /// fails with the pool's error (`ENOSPC`, nothing changed) or, if the
    /// device refuses a map entry, `EIO` with everything undone. Either
    /// is `EBUSY` while a VF driver is registered.
    pub(crate) fn commit_vf(&self, vf: u32, commit: bool) -> Result {
        self.vf(vf)?;
        let mut st = self.state.lock();
        if st.removed {
            return Err(ENODEV);
        }
        if Self::registered(&st, vf) {
            return Err(EBUSY);
        }
        let prog = &*self.device;
        let rec = *st.vfs.get(vf as usize).ok_or(ENOENT)?;
        match (commit, rec.assigned) {
            (true, true) | (false, false) => return Ok(()),
            (true, false) => {
                st.pool.assign_vf(vf, &rec.req).map_err(pool_err)?;
                let written = map_entries(&st.pool, vf, &rec.req, false)
                    .and_then(|e| prog.write_vf_maps(vf, &e));
                if let Err(e) = written {
                    if let Ok(clear) = map_entries(&st.pool, vf, &rec.req, true) {
                        let _ = prog.write_vf_maps(vf, &clear);
                    }
                    let _ = st.pool.unassign_vf(vf);
                    return Err(e);
                }
            }
            (false, true) => {
                let clear = map_entries(&st.pool, vf, &rec.req, true)?;
                prog.write_vf_maps(vf, &clear)?;
                st.pool.unassign_vf(vf).map_err(pool_err)?;
            }
        }
        if let Some(r) = st.vfs.get_mut(vf as usize) {
            r.assigned = commit;
        }
        Ok(())
    }

    /// Writes VF `vf`'s `enable`: sets or clears its `VF_ENABLE` bit.
    /// Disabling is `EBUSY` while a VF driver is registered.
    pub(crate) fn enable_vf(&self, vf: u32, on: bool) -> Result {
        self.vf(vf)?;
        let mut st = self.state.lock();
        if st.removed {
            return Err(ENODEV);
        }
        if !on && Self::registered(&st, vf) {
            return Err(EBUSY);
        }
        let mask = (0u32..)
            .zip(st.vfs.iter())
            .filter(|&(n, r)| if n == vf { on } else { r.enabled })
            .fold(0u32, |m, (n, _)| m | (1 << n));
        self.device.write_vf_enable(mask)?;
        if let Some(r) = st.vfs.get_mut(vf as usize) {
            r.enabled = on;
        }
        Ok(())
    }
}

/// The reset state of every VF record.
pub(super) const NO_VFS: [VfRec; VFS] = [VfRec {
    req: VfRequest {
        domains: 0,
        ldb_queues: 0,
        ldb_ports: 0,
        dir_ports: 0,
        ldb_credits: 0,
        dir_credits: 0,
        hist_list: 0,
        atomic_inflights: 0,
        sn_groups: 0,
    },
    assigned: false,
    enabled: false,
}; VFS];

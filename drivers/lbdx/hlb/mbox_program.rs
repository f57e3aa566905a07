// SPDX-License-Identifier: GPL-2.0

//! [`Program`] of a VF: each programming step is one mailbox request to
//! the PF (`Documentation/hw/hlb-mbox.rst`), which checks it against the
//! VF's assignment, translates its virtual ids and programs the device.
//! The VF's control plane is the PF's (`control_plane.rs`) over the VF's
//! slice in virtual ids; only this last step differs.

use super::{
    control_plane::ObjectAttrs,
    pf_mailbox::PfMailbox,
    program::Program,
    resource_pool::{
        vf_slice::VfObject, DomainGrant, DomainRequest, ObjectKind, PortGrant, QueueGrant,
    },
};
use crate::hw::hlb_mbox::{Attrs, DomainReservation, ObjKind, Request};
use kernel::{prelude::*, sync::Arc};

/// [`Program`] through the VF's mailbox.
pub(crate) struct MboxProgram {
    mbox: Arc<PfMailbox>,
}

impl MboxProgram {
    /// Programs through `mbox`.
    pub(crate) fn new(mbox: Arc<PfMailbox>) -> Self {
        Self { mbox }
    }

    /// Sends a request whose failure the caller cannot act on (undoing
    /// steps): the PF resets the VF's domains when its session ends, so
    /// nothing is left behind for long.
    fn best_effort(&self, req: &Request) {
        match self.mbox.send(req) {
            // The registration ended: the PF reset everything already.
            Ok(()) | Err(ENODEV) => {}
            Err(e) => dev_warn!(self.mbox.device(), "{:?} refused ({:?})\n", req.opcode(), e),
        }
    }
}

impl Program for MboxProgram {
    fn commit_domain(&self, g: DomainGrant, req: &DomainRequest) -> Result {
        let ldb_ports = req
            .ldb_ports_cos
            .iter()
            .try_fold(0u32, |s, &n| s.checked_add(n))
            .ok_or(EINVAL)?;
        self.mbox.send(&Request::DomainCommit {
            domain: g.id,
            res: DomainReservation {
                hist_list_base: g.hist_list_base,
                ldb_queues: req.ldb_queues,
                ldb_ports,
                dir_ports: req.dir_ports,
                ldb_credits: req.ldb_credits,
                dir_credits: req.dir_credits,
                hist_list_entries: req.hist_list,
                atomic_inflights: req.atomic_inflights,
            },
        })
    }

    fn release_domain(&self, d: u32) {
        self.best_effort(&Request::DomainRelease { domain: d });
    }

    fn start_domain(&self, d: u32, start: bool) -> Result {
        self.mbox.send(&Request::DomainStart { domain: d, start })
    }

    fn reset_domain(&self, d: u32) {
        self.best_effort(&Request::DomainReset { domain: d });
    }

    fn commit_ldb_queue(&self, d: u32, g: &QueueGrant, a: &ObjectAttrs) -> Result {
        let sn =
            g.sn.map(|s| Ok::<_, Error>((u8::try_from(s.group)?, u16::try_from(s.slot)?)))
                .transpose()?;
        let group_mode = g
            .set_group_mode
            .map(|(grp, mode)| Ok::<_, Error>((u8::try_from(grp)?, u16::try_from(mode)?)))
            .transpose()?;
        self.mbox.send(&Request::LdbQueueCommit {
            domain: d,
            queue: g.id,
            sn,
            group_mode,
            attrs: Attrs::from(a),
        })
    }

    fn commit_ldb_port(
        &self,
        d: u32,
        g: &PortGrant,
        hist_list_size: u32,
        a: &ObjectAttrs,
    ) -> Result {
        self.mbox.send(&Request::LdbPortCommit {
            domain: d,
            port: g.id,
            hist_list_base: g.hist_list_base,
            hist_list_size,
            attrs: Attrs::from(a),
        })
    }

    fn commit_dir_port(&self, d: u32, p: u32, a: &ObjectAttrs) -> Result {
        self.mbox.send(&Request::DirPortCommit {
            domain: d,
            port: p,
            attrs: Attrs::from(a),
        })
    }

    fn unassign(&self, kind: ObjectKind, id: u32) {
        self.best_effort(&Request::Unassign {
            kind: ObjKind::from(kind),
            id,
        });
    }

    fn write_link(&self, port: u32, slot: u32, link: Option<(u32, u32)>) -> Result {
        self.mbox.send(&Request::WriteLink { port, slot, link })
    }

    /// The PF refuses a VF's link changes on a started domain.
    fn runtime_links(&self) -> bool {
        false
    }

    /// Never asked: a VF's links change only while stopped.
    fn link_pending(&self, _port: u32, _slot: u32) -> Result<bool> {
        Ok(false)
    }

    /// A VF has no VFs.
    fn write_vf_maps(&self, _vf: u32, _entries: &[(VfObject, u32, Option<u32>)]) -> Result {
        Err(EOPNOTSUPP)
    }

    /// A VF has no VFs.
    fn write_vf_enable(&self, _mask: u32) -> Result {
        Err(EOPNOTSUPP)
    }
}

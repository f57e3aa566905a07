// SPDX-License-Identifier: GPL-2.0

//! The VFs' mailbox sessions under the control-plane mutex: each request
//! is checked and translated by `vf_requests.rs` (kernel-free), whose
//! device steps run here through the same [`Program`] the PF's own
//! domains use.

use super::{HlbCtl, ObjectAttrs};
use crate::hlb::{
    program::Program,
    resource_pool::{DomainGrant, DomainRequest, ObjectKind, PortGrant},
    vf_requests::{Reply, Step, VfSession},
};
use crate::hw::hlb_mbox::{Request, Status};
use kernel::prelude::*;

/// Runs one translated step on the device; `Err` if it refused.
fn run_step(prog: &dyn Program, s: Step) -> core::result::Result<(), ()> {
    let done = match s {
        Step::CommitDomain {
            d,
            hist_list_base,
            hist_list,
            ldb_credits,
            dir_credits,
            atomic_inflights,
        } => {
            let req = DomainRequest {
                ldb_credits,
                dir_credits,
                hist_list,
                atomic_inflights,
                ..DomainRequest::default()
            };
            prog.commit_domain(
                DomainGrant {
                    id: d,
                    hist_list_base,
                },
                &req,
            )
        }
        Step::ReleaseDomain(d) => {
            prog.release_domain(d);
            Ok(())
        }
        Step::StartDomain(d, start) => prog.start_domain(d, start),
        Step::ResetDomain(d) => {
            prog.reset_domain(d);
            Ok(())
        }
        Step::CommitQueue { d, g, attrs } => {
            prog.commit_ldb_queue(d, &g, &ObjectAttrs::from(&attrs))
        }
        Step::CommitLdbPort {
            d,
            port,
            hist_list_base,
            hist_list_size,
            attrs,
        } => prog.commit_ldb_port(
            d,
            &PortGrant {
                id: port,
                hist_list_base,
            },
            hist_list_size,
            &ObjectAttrs::from(&attrs),
        ),
        Step::CommitDirPort { d, port, attrs } => {
            prog.commit_dir_port(d, port, &ObjectAttrs::from(&attrs))
        }
        Step::Unassign(kind, id) => {
            prog.unassign(ObjectKind::from(kind), id);
            Ok(())
        }
        Step::WriteLink { port, slot, link } => prog.write_link(port, slot, link),
    };
    done.map_err(|_| ())
}

impl HlbCtl {
    /// Handles VF `vf`'s decoded request; `DEVICE_ERROR` once the device
    /// is gone.
    pub(crate) fn vf_request(&self, vf: u32, req: &Request) -> Reply {
        let mut st = self.state.lock();
        let st = &mut *st;
        let prog = &*self.device;
        match (st.removed, st.sessions.get_mut(vf as usize)) {
            (false, Some(s)) => s.handle(&st.pool, vf, req, &mut |step| run_step(prog, step)),
            _ => Reply::status(Status::DeviceError),
        }
    }

    /// Ends VF `vf`'s session, resetting what it made (its function was
    /// reset, or the PF is going away).
    pub(crate) fn end_vf_session(&self, vf: u32) {
        let mut st = self.state.lock();
        let st = &mut *st;
        let prog = &*self.device;
        if let (false, Some(s)) = (st.removed, st.sessions.get_mut(vf as usize)) {
            s.end(&st.pool, vf, &mut |step| run_step(prog, step));
        }
    }

    /// Whether VF `vf` is registered.
    pub(crate) fn vf_registered(&self, vf: u32) -> bool {
        self.state
            .lock()
            .sessions
            .get(vf as usize)
            .is_some_and(|s| s.version.is_some())
    }

    /// A session for each VF the device may have.
    pub(super) fn new_sessions() -> Result<KVec<VfSession>> {
        let mut v = KVec::with_capacity(crate::hlb::resource_pool::vf_slice::VFS, GFP_KERNEL)?;
        for _ in 0..crate::hlb::resource_pool::vf_slice::VFS {
            v.push(VfSession::default(), GFP_KERNEL)?;
        }
        Ok(v)
    }
}

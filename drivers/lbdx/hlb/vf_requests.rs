// SPDX-License-Identifier: GPL-2.0

//! What the PF does with a VF's mailbox request
//! (`Documentation/hw/hlb-mbox.rst`): checks it against the VF's slice,
//! translates its virtual ids to physical ones, and hands the programming
//! steps to the caller, which runs them on the device.
//!
//! Kernel-free (`core` only): the PF driver runs it under its control-plane
//! mutex; host tests drive it with hostile requests and check that no step
//! ever names a physical object outside the VF's slice.
//!
//! A VF driver is not trusted. What the device cannot check, because it
//! does not know the slices, is checked here: every virtual id is below
//! the VF's count of that kind, history-list blocks lie inside the VF's
//! block, and the VF's domains together reserve no more credits and
//! atomic in-flights than it was assigned. Everything else (a started
//! domain, an object assigned twice, a port's history list outside its
//! domain's block) the device refuses with an alarm, which the caller
//! reports as `DEVICE_ERROR`.

use super::resource_pool::{
    vf_slice::{VfGrant, VfObject},
    Pool, QueueGrant, SnSlot,
};
use crate::hw::{
    hlb_mbox::{self, Attrs, ObjKind, Request, Resources, Status},
    hlb_regs,
};

/// Virtual domains a VF may have (the domain map's room).
pub const VF_DOMAINS: usize = hlb_regs::DOMAINS_MAX as usize;

/// One programming step on the device, in physical ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Reserve domain `d`: credits, atomic in-flights, history-list block.
    CommitDomain {
        /// Physical domain.
        d: u32,
        /// First physical history-list entry.
        hist_list_base: u32,
        /// History-list entries.
        hist_list: u32,
        /// LDB credits.
        ldb_credits: u32,
        /// DIR credits.
        dir_credits: u32,
        /// Atomic in-flights.
        atomic_inflights: u32,
    },
    /// Release domain `d`.
    ReleaseDomain(u32),
    /// Start (`true`) or stop domain `d`.
    StartDomain(u32, bool),
    /// Reset and release domain `d`.
    ResetDomain(u32),
    /// Assign and configure LDB queue `g.id` in domain `d`.
    CommitQueue {
        /// Physical domain.
        d: u32,
        /// Physical queue, SN slot and group mode.
        g: QueueGrant,
        /// Attributes.
        attrs: Attrs,
    },
    /// Assign and configure LDB port `port` in domain `d`.
    CommitLdbPort {
        /// Physical domain.
        d: u32,
        /// Physical port.
        port: u32,
        /// First physical history-list entry.
        hist_list_base: u32,
        /// History-list entries.
        hist_list_size: u32,
        /// Attributes.
        attrs: Attrs,
    },
    /// Assign and configure DIR port `port` in domain `d`.
    CommitDirPort {
        /// Physical domain.
        d: u32,
        /// Physical port.
        port: u32,
        /// Attributes.
        attrs: Attrs,
    },
    /// Unassign object `id` (physical) of `kind`.
    Unassign(ObjKind, u32),
    /// Write link slot `slot` of physical LDB port `port`: `(physical
    /// queue, priority)` or empty.
    WriteLink {
        /// Physical port.
        port: u32,
        /// Slot.
        slot: u32,
        /// The link.
        link: Option<(u32, u32)>,
    },
}

/// The reservation of one of the VF's virtual domains.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Reservation {
    ldb_credits: u32,
    dir_credits: u32,
    atomic_inflights: u32,
}

/// What the PF remembers of one VF between requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VfSession {
    /// The negotiated version, once registered.
    pub version: Option<u32>,
    // INVARIANT: `Some` exactly for the virtual domains whose physical
    // domain was reserved on the device by a `DOMAIN_COMMIT` and not
    // released or reset since.
    domains: [Option<Reservation>; VF_DOMAINS],
}

impl Default for VfSession {
    fn default() -> Self {
        Self {
            version: None,
            domains: [None; VF_DOMAINS],
        }
    }
}

/// A reply: status and payload words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply {
    /// Status.
    pub status: Status,
    /// Payload (the first `len` words).
    pub payload: [u32; hlb_mbox::RESOURCES_WORDS],
    /// Payload words.
    pub len: usize,
}

impl Reply {
    /// A reply with `status` and no payload.
    pub fn status(status: Status) -> Self {
        Self {
            status,
            payload: [0; hlb_mbox::RESOURCES_WORDS],
            len: 0,
        }
    }

    fn words(w: &[u32]) -> Self {
        let mut r = Self::status(Status::Ok);
        let n = w.len().min(r.payload.len());
        r.payload[..n].copy_from_slice(&w[..n]);
        r.len = n;
        r
    }
}

/// The lowest and highest protocol versions this PF speaks.
pub const PF_VERSIONS: (u32, u32) = (hlb_mbox::VERSION, hlb_mbox::VERSION);

/// The VF's view of its slice, the `GET_RESOURCES` reply.
pub fn resources(pool: &Pool, g: &VfGrant) -> Resources {
    let t = pool.totals();
    Resources {
        domains: g.req.domains,
        ldb_queues: g.req.ldb_queues,
        ldb_ports: g.req.ldb_ports,
        dir_ports: g.req.dir_ports,
        ldb_credits: g.req.ldb_credits,
        dir_credits: g.req.dir_credits,
        hist_list_entries: g.req.hist_list,
        atomic_inflights: g.req.atomic_inflights,
        sn_groups: g.req.sn_groups,
        sn_per_group: t.sn_per_group,
        max_queues_per_port: t.max_queues_per_port,
        priorities: t.priorities,
    }
}

/// The caller's device: runs one step, `Err` if the device refused it
/// (having undone its own writes).
pub type Run<'a> = &'a mut dyn FnMut(Step) -> Result<(), ()>;

impl VfSession {
    /// Handles request `req` of VF `vf`, whose slice is in `pool`, running
    /// the device steps it needs through `run`. The session changes only
    /// with what the device accepted.
    ///
    /// A VF without a slice can register (and is told it has nothing) but
    /// make nothing.
    pub fn handle(&mut self, pool: &Pool, vf: u32, req: &Request, run: Run<'_>) -> Reply {
        let grant = pool.vf_grant(vf);
        let phys = |kind, v| pool.vf_physical(vf, kind, v);
        match *req {
            Request::Register { min, max } => {
                self.end(pool, vf, run);
                match hlb_mbox::negotiate(PF_VERSIONS.0, PF_VERSIONS.1, min, max) {
                    Some(v) => {
                        self.version = Some(v);
                        Reply::words(&[v, vf])
                    }
                    None => {
                        self.version = None;
                        let mut r = Reply::words(&[PF_VERSIONS.0, PF_VERSIONS.1]);
                        r.status = Status::BadVersion;
                        r
                    }
                }
            }
            _ if self.version.is_none() => Reply::status(Status::NotRegistered),
            Request::Unregister => {
                self.end(pool, vf, run);
                Reply::status(Status::Ok)
            }
            Request::GetResources => match grant {
                Some(g) => Reply::words(&resources(pool, &g).to_words()),
                None => Reply::words(&[0; hlb_mbox::RESOURCES_WORDS]),
            },
            _ => match grant {
                Some(g) => self.program(&g, &phys, req, run),
                None => Reply::status(Status::Invalid),
            },
        }
    }

    /// Ends the session: resets and releases every domain the VF made (a
    /// new driver starts clean; after a VF function-level reset, its
    /// domains must not run on), and forgets the registration.
    pub fn end(&mut self, pool: &Pool, vf: u32, run: Run<'_>) {
        self.version = None;
        for (v, slot) in (0u32..).zip(self.domains.iter_mut()) {
            if slot.take().is_some() {
                if let Some(d) = pool.vf_physical(vf, VfObject::Domain, v) {
                    let _ = run(Step::ResetDomain(d));
                }
            }
        }
    }

    /// The programming requests, for a VF with slice `g`.
    fn program(
        &mut self,
        g: &VfGrant,
        phys: &dyn Fn(VfObject, u32) -> Option<u32>,
        req: &Request,
        run: Run<'_>,
    ) -> Reply {
        match self.steps(g, phys, req, run) {
            Ok(()) => Reply::status(Status::Ok),
            Err(s) => Reply::status(s),
        }
    }

    fn steps(
        &mut self,
        g: &VfGrant,
        phys: &dyn Fn(VfObject, u32) -> Option<u32>,
        req: &Request,
        run: Run<'_>,
    ) -> Result<(), Status> {
        let id = |kind, v| phys(kind, v).ok_or(Status::Invalid);
        let mut device = |s| run(s).map_err(|()| Status::DeviceError);
        match *req {
            Request::DomainCommit { domain, res } => {
                let d = id(VfObject::Domain, domain)?;
                let slot = self.domains.get(domain as usize).ok_or(Status::Invalid)?;
                if slot.is_some() {
                    return Err(Status::Busy);
                }
                let sum = |f: fn(&Reservation) -> u32| {
                    self.domains
                        .iter()
                        .flatten()
                        .fold(0u64, |s, r| s + u64::from(f(r)))
                };
                let fits =
                    |used: u64, want: u32, have: u32| used + u64::from(want) <= u64::from(have);
                let end = u64::from(res.hist_list_base) + u64::from(res.hist_list_entries);
                if !fits(sum(|r| r.ldb_credits), res.ldb_credits, g.req.ldb_credits)
                    || !fits(sum(|r| r.dir_credits), res.dir_credits, g.req.dir_credits)
                    || !fits(
                        sum(|r| r.atomic_inflights),
                        res.atomic_inflights,
                        g.req.atomic_inflights,
                    )
                    || (res.hist_list_entries != 0 && end > u64::from(g.req.hist_list))
                {
                    return Err(Status::NoSpace);
                }
                let hist_list_base = match res.hist_list_entries {
                    0 => 0,
                    _ => g.hist_list_base + res.hist_list_base,
                };
                device(Step::CommitDomain {
                    d,
                    hist_list_base,
                    hist_list: res.hist_list_entries,
                    ldb_credits: res.ldb_credits,
                    dir_credits: res.dir_credits,
                    atomic_inflights: res.atomic_inflights,
                })?;
                if let Some(s) = self.domains.get_mut(domain as usize) {
                    *s = Some(Reservation {
                        ldb_credits: res.ldb_credits,
                        dir_credits: res.dir_credits,
                        atomic_inflights: res.atomic_inflights,
                    });
                }
                Ok(())
            }
            Request::DomainRelease { domain } | Request::DomainReset { domain } => {
                let d = id(VfObject::Domain, domain)?;
                self.made(domain)?;
                match req {
                    Request::DomainRelease { .. } => device(Step::ReleaseDomain(d))?,
                    _ => device(Step::ResetDomain(d))?,
                }
                if let Some(s) = self.domains.get_mut(domain as usize) {
                    *s = None;
                }
                Ok(())
            }
            Request::DomainStart { domain, start } => {
                let d = id(VfObject::Domain, domain)?;
                self.made(domain)?;
                device(Step::StartDomain(d, start))
            }
            Request::LdbQueueCommit {
                domain,
                queue,
                sn,
                group_mode,
                attrs,
            } => {
                let d = id(VfObject::Domain, domain)?;
                self.made(domain)?;
                let group = |vg: u8| id(VfObject::SnGroup, u32::from(vg));
                let sn = match sn {
                    Some((vg, slot)) => Some(SnSlot {
                        group: group(vg)?,
                        slot: u32::from(slot),
                    }),
                    None => None,
                };
                let set_group_mode = match group_mode {
                    Some((vg, mode)) => Some((group(vg)?, u32::from(mode))),
                    None => None,
                };
                let g = QueueGrant {
                    id: id(VfObject::LdbQueue, queue)?,
                    sn,
                    set_group_mode,
                };
                device(Step::CommitQueue { d, g, attrs })
            }
            Request::LdbPortCommit {
                domain,
                port,
                hist_list_base,
                hist_list_size,
                attrs,
            } => {
                let d = id(VfObject::Domain, domain)?;
                self.made(domain)?;
                let port = id(VfObject::LdbPort, port)?;
                let end = u64::from(hist_list_base) + u64::from(hist_list_size);
                if end > u64::from(g.req.hist_list) {
                    return Err(Status::Invalid);
                }
                device(Step::CommitLdbPort {
                    d,
                    port,
                    hist_list_base: g.hist_list_base + hist_list_base,
                    hist_list_size,
                    attrs,
                })
            }
            Request::DirPortCommit {
                domain,
                port,
                attrs,
            } => {
                let d = id(VfObject::Domain, domain)?;
                self.made(domain)?;
                let port = id(VfObject::DirPort, port)?;
                device(Step::CommitDirPort { d, port, attrs })
            }
            Request::Unassign { kind, id: v } => {
                let k = match kind {
                    ObjKind::LdbQueue => VfObject::LdbQueue,
                    ObjKind::LdbPort => VfObject::LdbPort,
                    ObjKind::DirPort => VfObject::DirPort,
                };
                device(Step::Unassign(kind, id(k, v)?))
            }
            Request::WriteLink { port, slot, link } => {
                let port = id(VfObject::LdbPort, port)?;
                let link = match link {
                    Some((q, prio)) => Some((id(VfObject::LdbQueue, q)?, prio)),
                    None => None,
                };
                device(Step::WriteLink { port, slot, link })
            }
            Request::Register { .. } | Request::Unregister | Request::GetResources => Ok(()),
        }
    }

    /// `NOT_FOUND` unless virtual domain `v` was committed.
    fn made(&self, v: u32) -> Result<(), Status> {
        match self.domains.get(v as usize) {
            Some(Some(_)) => Ok(()),
            _ => Err(Status::NotFound),
        }
    }

    /// Forgets every domain without touching the device (the device or
    /// the VF function was reset, which reset them).
    pub fn forget(&mut self) {
        *self = Self::default();
    }
}

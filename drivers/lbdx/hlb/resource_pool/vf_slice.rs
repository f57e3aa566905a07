// SPDX-License-Identifier: GPL-2.0

//! Virtual functions' slices of the device (`Documentation/hw/hlb-vf.rst`).
//!
//! An operator assigns each VF a slice: specific domains, LDB queues, LDB
//! ports and DIR ports, whole sequence-number groups, one contiguous
//! history-list block, and amounts of credits and atomic in-flights.
//! [`Pool::assign_vf`] takes them from what is available, as
//! [`Pool::reserve_domain`] does for a domain, so the PF's
//! [`Pool::available`] drops by exactly the assignment and the PF's own
//! domains can never take a VF's objects; [`Pool::unassign_vf`] gives them
//! back.
//!
//! The slice is also the VF's translation table: the VF's virtual id `v`
//! of a kind is the `v`-th lowest physical id of that kind in its slice
//! ([`Pool::vf_physical`], [`Pool::vf_virtual`]); the PF driver writes the
//! device's map registers from it.

use super::{bit, count_ids, Owner, Pool, PoolError, Resource, DOMAINS};
use crate::hw::hlb_regs;

/// Most VFs a device has.
pub const VFS: usize = hlb_regs::VFS_MAX as usize;

/// What an operator assigns to one VF.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VfRequest {
    /// Scheduling domains.
    pub domains: u32,
    /// Load-balanced queues.
    pub ldb_queues: u32,
    /// Load-balanced ports, of any class of service (a VF's ports form one
    /// class).
    pub ldb_ports: u32,
    /// Directed ports.
    pub dir_ports: u32,
    /// Load-balanced credits.
    pub ldb_credits: u32,
    /// Directed credits.
    pub dir_credits: u32,
    /// History-list entries, as one contiguous block.
    pub hist_list: u32,
    /// Atomic in-flight slots.
    pub atomic_inflights: u32,
    /// Whole sequence-number groups.
    pub sn_groups: u32,
}

/// An assigned slice: the request and where its block is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VfGrant {
    /// What was assigned.
    pub req: VfRequest,
    /// First physical entry of the VF's history-list block (0 if empty).
    pub hist_list_base: u32,
}

/// Kinds of object a VF's slice holds, for translation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VfObject {
    /// Scheduling domain.
    Domain,
    /// Load-balanced queue.
    LdbQueue,
    /// Load-balanced port.
    LdbPort,
    /// Directed port (and its queue).
    DirPort,
    /// Sequence-number group.
    SnGroup,
}

// INVARIANT: `domains` and `sn_groups` have exactly `grant.req.domains`
// and `grant.req.sn_groups` bits set, below the device's counts, and no
// two holds share a bit; no PF domain exists at a bit of `domains`; the
// groups of `sn_groups` hold no slot; the pool's objects owned by
// `Owner::Vf(n)` are exactly `grant.req`'s counts; the history-list block
// is marked in the pool's domain map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct VfHold {
    pub(super) grant: VfGrant,
    pub(super) domains: u64,
    pub(super) sn_groups: u64,
}

impl Pool {
    /// The hold of VF `vf`, if it has a slice.
    pub(super) fn vf_hold(&self, vf: u32) -> Option<&VfHold> {
        self.vfs.get(vf as usize)?.as_ref()
    }

    /// Whether domain `d` belongs to a VF's slice.
    pub(super) fn domain_carved(&self, d: u32) -> bool {
        self.vfs.iter().flatten().any(|h| h.domains & bit(d) != 0)
    }

    /// Whether SN group `g` belongs to a VF's slice.
    pub(super) fn group_carved(&self, g: u32) -> bool {
        self.vfs.iter().flatten().any(|h| h.sn_groups & bit(g) != 0)
    }

    /// Sum of `f` over every VF's request.
    pub(super) fn vf_sum(&self, f: fn(&VfRequest) -> u32) -> u32 {
        self.vfs
            .iter()
            .flatten()
            .fold(0u32, |s, h| s.saturating_add(f(&h.grant.req)))
    }

    /// VF `vf`'s slice, if it has one.
    pub fn vf_grant(&self, vf: u32) -> Option<VfGrant> {
        self.vf_hold(vf).map(|h| h.grant)
    }

    /// Assigns VF `vf` a slice: the lowest available domains, objects and
    /// empty SN groups, the best-fitting free history-list block.
    ///
    /// `Invalid` (`vf` beyond [`VFS`]), `Busy` (the VF has a slice: unassign
    /// it first), `NoSpace` naming the first resource short, in the order
    /// of [`VfRequest`]'s fields. On error nothing changed.
    pub fn assign_vf(&mut self, vf: u32, req: &VfRequest) -> Result<VfGrant, PoolError> {
        if vf as usize >= VFS {
            return Err(PoolError::Invalid);
        }
        if self.vf_hold(vf).is_some() {
            return Err(PoolError::Busy);
        }
        let t = self.totals;
        let avail = self.available();
        let short = |want: u32, have: u32, r: Resource| match want > have {
            true => Err(PoolError::NoSpace(r)),
            false => Ok(()),
        };
        short(req.domains, avail.domains, Resource::Domains)?;
        short(req.ldb_queues, avail.ldb_queues, Resource::LdbQueues)?;
        short(req.ldb_ports, avail.ldb_ports, Resource::AnyLdbPorts)?;
        short(req.dir_ports, avail.dir_ports, Resource::DirPorts)?;
        short(req.ldb_credits, avail.ldb_credits, Resource::LdbCredits)?;
        short(req.dir_credits, avail.dir_credits, Resource::DirCredits)?;
        let hist_base = match req.hist_list {
            0 => 0,
            n => self
                .hist_domains
                .best_fit(0, t.hist_list, n)
                .ok_or(PoolError::NoSpace(Resource::HistList))?,
        };
        short(
            req.atomic_inflights,
            avail.atomic_inflights,
            Resource::AtomicInflights,
        )?;
        let empty_groups = (0..t.sn_groups).filter(|&g| self.group_free(g));
        if (empty_groups.clone().count() as u64) < u64::from(req.sn_groups) {
            return Err(PoolError::NoSpace(Resource::SequenceNumbers));
        }

        let sn_groups = empty_groups
            .take(req.sn_groups as usize)
            .fold(0, |m, g| m | bit(g));
        let domains = (0..t.domains)
            .filter(|&d| self.domain(d).is_err() && !self.domain_carved(d))
            .take(req.domains as usize)
            .fold(0, |m, d| m | bit(d));
        let owner = Owner::Vf(vf);
        let take = |want: &mut u32, o: &mut Owner| {
            if *want > 0 && *o == Owner::Free {
                *want -= 1;
                *o = owner;
            }
        };
        let mut want = req.ldb_queues;
        for q in self.ldb_queues.iter_mut().take(t.ldb_queues as usize) {
            take(&mut want, &mut q.owner);
        }
        let mut want = req.ldb_ports;
        for p in self.ldb_ports.iter_mut().take(t.ldb_ports as usize) {
            take(&mut want, &mut p.owner);
        }
        let mut want = req.dir_ports;
        for p in self.dir_ports.iter_mut().take(t.dir_ports as usize) {
            take(&mut want, p);
        }
        self.hist_domains.fill(hist_base, req.hist_list, true);
        let grant = VfGrant {
            req: *req,
            hist_list_base: hist_base,
        };
        if let Some(slot) = self.vfs.get_mut(vf as usize) {
            *slot = Some(VfHold {
                grant,
                domains,
                sn_groups,
            });
        }
        Ok(grant)
    }

    /// Whether SN group `g` is empty and nobody's.
    fn group_free(&self, g: u32) -> bool {
        !self.group_carved(g) && self.sn_groups.get(g as usize).is_some_and(|x| x.used == 0)
    }

    /// Returns VF `vf`'s whole slice to the device. `NotFound` if it has
    /// none.
    pub fn unassign_vf(&mut self, vf: u32) -> Result<(), PoolError> {
        let hold = self
            .vfs
            .get_mut(vf as usize)
            .and_then(Option::take)
            .ok_or(PoolError::NotFound)?;
        let owner = Owner::Vf(vf);
        for q in self.ldb_queues.iter_mut().filter(|q| q.owner == owner) {
            q.owner = Owner::Free;
        }
        for p in self.ldb_ports.iter_mut().filter(|p| p.owner == owner) {
            p.owner = Owner::Free;
        }
        for p in self.dir_ports.iter_mut().filter(|p| **p == owner) {
            *p = Owner::Free;
        }
        let g = hold.grant;
        self.hist_domains
            .fill(g.hist_list_base, g.req.hist_list, false);
        Ok(())
    }

    /// Whether physical `id` of `kind` is in VF `vf`'s slice.
    fn vf_holds(&self, vf: u32, kind: VfObject, id: u32) -> bool {
        let i = id as usize;
        let owner = Owner::Vf(vf);
        match kind {
            VfObject::Domain => self.vf_hold(vf).is_some_and(|h| h.domains & bit(id) != 0),
            VfObject::SnGroup => self.vf_hold(vf).is_some_and(|h| h.sn_groups & bit(id) != 0),
            VfObject::LdbQueue => self.ldb_queues.get(i).is_some_and(|q| q.owner == owner),
            VfObject::LdbPort => self.ldb_ports.get(i).is_some_and(|p| p.owner == owner),
            VfObject::DirPort => self.dir_ports.get(i).is_some_and(|&o| o == owner),
        }
    }

    /// Physical ids of `kind` the device has room for.
    fn vf_room(kind: VfObject) -> u32 {
        match kind {
            VfObject::Domain => DOMAINS as u32,
            VfObject::SnGroup => hlb_regs::SN_GROUPS_MAX,
            _ => hlb_regs::OBJECTS_MAX,
        }
    }

    /// The physical id of VF `vf`'s virtual `kind` number `virt`: the
    /// `virt`-th lowest of its slice. `None` if the slice has fewer.
    pub fn vf_physical(&self, vf: u32, kind: VfObject, virt: u32) -> Option<u32> {
        (0..Self::vf_room(kind))
            .filter(|&id| self.vf_holds(vf, kind, id))
            .nth(virt as usize)
    }

    /// The virtual number VF `vf` knows physical `kind` `id` by, if the
    /// object is in its slice.
    pub fn vf_virtual(&self, vf: u32, kind: VfObject, id: u32) -> Option<u32> {
        self.vf_holds(vf, kind, id)
            .then(|| count_ids(id, |i| self.vf_holds(vf, kind, i)))
    }

    /// Checks the invariants of the VF holds (part of
    /// [`Pool::check_invariants`]).
    pub(super) fn check_vf_holds(&self) -> Result<(), &'static str> {
        let t = &self.totals;
        let mut domains = 0u64;
        let mut groups = 0u64;
        for (vf, h) in (0u32..).zip(&self.vfs) {
            let Some(h) = h else {
                let none = |kind| (0..Self::vf_room(kind)).all(|id| !self.vf_holds(vf, kind, id));
                if !none(VfObject::LdbQueue) || !none(VfObject::LdbPort) || !none(VfObject::DirPort)
                {
                    return Err("objects owned by a VF without a slice");
                }
                continue;
            };
            let r = &h.grant.req;
            if h.domains.count_ones() != r.domains
                || h.sn_groups.count_ones() != r.sn_groups
                || h.domains & domains != 0
                || h.sn_groups & groups != 0
                || h.domains.checked_shr(t.domains).unwrap_or(0) != 0
                || h.sn_groups.checked_shr(t.sn_groups).unwrap_or(0) != 0
            {
                return Err("VF domains or SN groups miscounted, shared or beyond the device");
            }
            domains |= h.domains;
            groups |= h.sn_groups;
            let count = |kind| count_ids(Self::vf_room(kind), |id| self.vf_holds(vf, kind, id));
            if count(VfObject::LdbQueue) != r.ldb_queues
                || count(VfObject::LdbPort) != r.ldb_ports
                || count(VfObject::DirPort) != r.dir_ports
            {
                return Err("VF objects differ from its assignment");
            }
        }
        for d in 0..t.domains {
            if domains & bit(d) != 0 && self.domain(d).is_ok() {
                return Err("a PF domain in a VF's slice");
            }
        }
        for (g, x) in (0u32..).zip(&self.sn_groups) {
            if groups & bit(g) != 0 && x.used != 0 {
                return Err("a VF's SN group holds a PF queue's slot");
            }
        }
        Ok(())
    }
}

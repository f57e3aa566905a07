// SPDX-License-Identifier: GPL-2.0

//! Links of LDB ports to queues, under the control-plane mutex: configfs'
//! `links` writes (by name) and the domain file's `LBDX_HLB_IOC_LINK`,
//! `UNLINK` and `UNLINKS_PENDING` (by device number, [`DomainLinks`]).
//!
//! On a stopped domain a link or unlink takes effect in the pool and the
//! device at once. On a started one ("Links at run time",
//! `Documentation/hw/hlb.rst`, minor version 5) a link, a change of
//! priority or the cancel of a pending unlink does too; an unlink takes
//! effect in the device once the port's history list holds no entry of
//! the queue. Until then the record stays, marked pending, with its slot
//! kept in the pool and its queue pinned; [`DomainRec::reap_unlinks`]
//! completes it once the slot no longer reads `PENDING`, lazily, on the
//! next link change or read of the links, and at the domain's stop.

use super::{
    pin, pool_err, unpin, DomainRec, Handle, HlbCtl, Link, ObjectKind, Pool, Program, TreeLock,
};
use crate::hlb::domain_run::RunLinks;
use kernel::{io::poll::read_poll_timeout, prelude::*, sync::Arc, time::Delta};

/// How long a configfs unlink on a started domain waits for the device to
/// take it before it is left pending, and how often it looks meanwhile.
const UNLINK_WAIT: Delta = Delta::from_millis(100);
const UNLINK_POLL: Delta = Delta::from_millis(1);

/// Indices of the domain, the LDB port and the LDB queue a change names.
type Target = (usize, usize, usize);

impl DomainRec {
    /// Completes the pending unlinks the device has taken, or all of them
    /// (`all`: the domain stopped, which takes them): frees their slots in
    /// the pool and unpins their queues.
    pub(super) fn reap_unlinks(&mut self, pool: &mut Pool, prog: &dyn Program, all: bool) {
        let Some(dom) = self.id else { return };
        for pi in 0..self.objects.len() {
            let Some(port_id) = self.objects[pi].id else {
                continue;
            };
            let mut k = 0;
            while let Some(l) = self.objects[pi].links.get(k) {
                let q_id = l.pending.then(|| super::queue_id(&self.objects, l.queue));
                let taken = match q_id {
                    None => false,
                    Some(None) => true,
                    Some(Some(q)) => {
                        all || pool.link_slot(dom, port_id, q).map_or(true, |slot| {
                            // A device gone took it with everything else.
                            !prog.link_pending(port_id, slot).unwrap_or(false)
                        })
                    }
                };
                if !taken {
                    k += 1;
                    continue;
                }
                if let Some(Some(q)) = q_id {
                    let _ = pool.unlink_started(dom, port_id, q);
                }
                if let Ok(l) = self.objects[pi].links.remove(k) {
                    l.pinned.iter().for_each(|it| unpin(*it));
                }
            }
        }
    }

    /// The pending unlinks of LDB port `pi`.
    fn pending_unlinks(&self, pi: usize) -> u32 {
        self.objects[pi].links.iter().filter(|l| l.pending).count() as u32
    }
}

impl HlbCtl {
    /// Links (`priority` given) or unlinks (`None`) the queue named `queue`
    /// to LDB port `port`; linking a linked queue at another priority
    /// changes its priority, at the same one is `EEXIST`. A linked queue is
    /// pinned (rmdir: `EBUSY`); one being removed cannot be linked
    /// (`ENOENT`).
    ///
    /// On a started domain (`EBUSY` unless the device links at run time)
    /// an unlink waits up to [`UNLINK_WAIT`] for the device to take it
    /// and is left pending otherwise: `links_pending` shows it until the
    /// device takes it or the domain stops, and linking the queue again
    /// cancels it.
    pub(crate) fn link(
        &self,
        tree: &TreeLock,
        port: Handle,
        queue: &[u8],
        priority: Option<u32>,
    ) -> Result {
        self.change_link(
            tree,
            |domains| {
                let (di, pi) = super::locate(domains, port)?;
                let qi = domains[di]
                    .objects
                    .iter()
                    .position(|o| {
                        o.kind == ObjectKind::LdbQueue
                            && o.name.to_bytes() == queue
                            && o.id.is_some()
                    })
                    .ok_or(ENOENT)?;
                Ok((di, pi, qi))
            },
            priority,
            Some(UNLINK_WAIT),
        )
    }

    /// The change of [`Self::link`] on the target `find` names; an unlink
    /// on a started domain waits up to `wait` (`None`: looks once).
    fn change_link(
        &self,
        tree: &TreeLock,
        find: impl FnOnce(&[DomainRec]) -> Result<Target>,
        priority: Option<u32>,
        wait: Option<Delta>,
    ) -> Result {
        let priorities = self.totals.priorities;
        self.live(|pool, domains, prog| {
            let (di, pi, qi) = find(domains)?;
            let d = &mut domains[di];
            let started = d.started;
            if started && !prog.runtime_links() {
                return Err(EBUSY);
            }
            let dom = d.id.ok_or(EINVAL)?;
            let port_id = d.objects[pi].id.ok_or(EINVAL)?;
            let (q_handle, q_item) = (d.objects[qi].handle, d.objects[qi].item);
            let q_id = d.objects[qi].id.ok_or(ENOENT)?;
            d.reap_unlinks(pool, prog, false);
            let links = &mut d.objects[pi].links;
            let at = links.iter().position(|l| l.queue == q_handle);
            match (priority, at) {
                (Some(prio), _) if prio >= priorities => Err(EINVAL),
                (Some(prio), Some(k)) => {
                    let l = &mut links[k];
                    if !l.pending && l.priority == prio {
                        return Err(EEXIST);
                    }
                    // Another priority, or the cancel of a pending unlink:
                    // the same slot, written again.
                    let slot = pool
                        .set_link_priority(dom, port_id, q_id, prio)
                        .map_err(pool_err)?;
                    if let Err(e) = prog.write_link(port_id, slot, Some((q_id, prio))) {
                        let _ = pool.set_link_priority(dom, port_id, q_id, l.priority);
                        return Err(e);
                    }
                    l.priority = prio;
                    l.pending = false;
                    Ok(())
                }
                (Some(prio), None) => {
                    links.reserve(1, GFP_KERNEL)?;
                    if let Some(item) = q_item {
                        pin(tree, item)?;
                    }
                    let unpin_queue = || q_item.iter().for_each(|it| unpin(*it));
                    let slot = if started {
                        pool.link_started(dom, port_id, q_id, prio)
                    } else {
                        pool.link(dom, port_id, q_id, prio)
                    }
                    .map_err(pool_err)
                    .inspect_err(|_| unpin_queue())?;
                    if let Err(e) = prog.write_link(port_id, slot, Some((q_id, prio))) {
                        let _ = pool.unlink_started(dom, port_id, q_id);
                        unpin_queue();
                        return Err(e);
                    }
                    links.push(
                        Link {
                            queue: q_handle,
                            priority: prio,
                            pinned: q_item,
                            pending: false,
                        },
                        GFP_KERNEL,
                    )?;
                    Ok(())
                }
                (None, Some(k)) if !links[k].pending => {
                    if started {
                        let slot = pool.link_slot(dom, port_id, q_id).map_err(pool_err)?;
                        prog.write_link(port_id, slot, None)?;
                        let taken = match wait {
                            Some(wait) => read_poll_timeout(
                                || prog.link_pending(port_id, slot),
                                |pending| !*pending,
                                UNLINK_POLL,
                                wait,
                            )
                            .is_ok(),
                            None => prog.link_pending(port_id, slot) == Ok(false),
                        };
                        if !taken {
                            links[k].pending = true;
                            return Ok(());
                        }
                        pool.unlink_started(dom, port_id, q_id).map_err(pool_err)?;
                    } else {
                        let slot = pool.unlink(dom, port_id, q_id).map_err(pool_err)?;
                        let _ = prog.write_link(port_id, slot, None);
                    }
                    if let Ok(l) = links.remove(k) {
                        l.pinned.iter().for_each(|it| unpin(*it));
                    }
                    Ok(())
                }
                (None, _) => Err(ENOENT),
            }
        })
    }
}

/// The links of one started domain as its file changes them
/// (`LBDX_HLB_IOC_LINK` and the others): ports and queues by device
/// number, `EINVAL` for one not of the domain, and no wait for an unlink.
///
/// The domain's run-time state holds this, and this holds the control
/// plane: the cycle ends when the domain stops or is reset, or the device
/// goes, each of which drops the run-time state from the domain's record.
pub(crate) struct DomainLinks {
    ctl: Arc<HlbCtl>,
    domain: Handle,
}

impl DomainLinks {
    /// The links of domain `domain` of `ctl`.
    pub(crate) fn of(ctl: Arc<HlbCtl>, domain: Handle) -> Result<Arc<dyn RunLinks>> {
        Ok(Arc::new(Self { ctl, domain }, GFP_KERNEL)?)
    }

    /// Indices of this domain and of its LDB port with device number
    /// `port`; `ENODEV` once the domain is not started (its file outlived
    /// it: the device went away).
    fn port_of(&self, domains: &[DomainRec], port: u32) -> Result<(usize, usize)> {
        let di = domains
            .iter()
            .position(|d| d.handle == self.domain && d.started)
            .ok_or(ENODEV)?;
        let pi = object_of(&domains[di], ObjectKind::LdbPort, port)?;
        Ok((di, pi))
    }
}

/// The index of the committed object of `kind` with device number `id` in
/// `d`; `EINVAL` if it has none.
fn object_of(d: &DomainRec, kind: ObjectKind, id: u32) -> Result<usize> {
    d.objects
        .iter()
        .position(|o| o.kind == kind && o.id == Some(id))
        .ok_or(EINVAL)
}

impl RunLinks for DomainLinks {
    fn link(&self, port: u32, queue: u32, priority: Option<u32>) -> Result {
        let tree = TreeLock::lock()?;
        let find = |domains: &[DomainRec]| {
            let (di, pi) = self.port_of(domains, port)?;
            let qi = object_of(&domains[di], ObjectKind::LdbQueue, queue)?;
            Ok((di, pi, qi))
        };
        match self.ctl.change_link(&tree, find, priority, None) {
            // Linked already at that priority: eventdev's link succeeds.
            Err(e) if e == EEXIST => Ok(()),
            r => r,
        }
    }

    fn unlinks_pending(&self, port: u32) -> Result<u32> {
        self.ctl.live(|pool, domains, prog| {
            let (di, pi) = self.port_of(domains, port)?;
            let d = &mut domains[di];
            d.reap_unlinks(pool, prog, false);
            Ok(d.pending_unlinks(pi))
        })
    }
}

// SPDX-License-Identifier: GPL-2.0

//! The HLB control plane: the driver's record of every domain, queue and
//! port an operator made (staged or committed), the resource pool they draw
//! from, and the commits that make them real in the device.
//!
//! configfs (`configfs.rs`) is the user interface; this file holds the
//! rules. Everything runs under one mutex per device. A commit reserves in
//! the pool, programs the device (`program.rs`) and keeps both only if the
//! device raised no alarm; otherwise both are undone and the commit fails
//! with `EIO`. When the device goes away the state is marked removed and
//! every later operation fails with `ENODEV`.

use super::{
    configfs::{pin, unpin, TreeLock},
    dataplane::DataPlane,
    domain_run::{DomainRun, RunConfig, RunLinks, RunPort},
    program::Program,
    resource_pool::{
        vf_slice::VFS, DomainRequest, ObjectKind, Pool, PoolError, QueueRequest, Totals,
    },
    uapi,
    vf_requests::VfSession,
};
use crate::hw::{
    hlb_mbox::{Attrs, ObjKind},
    hlb_regs,
};
use core::ptr::NonNull;

pub(crate) mod links;
mod vf_assign;
mod vf_session;
use kernel::{
    bindings, new_mutex,
    prelude::*,
    str::CString,
    sync::{Arc, Mutex},
};
pub(crate) use vf_assign::VfRec;

/// A handle naming one record (domain or object); never reused.
pub(crate) type Handle = u32;

/// The `configfs` item of a record, for `configfs_depend_item()`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct ItemRef(pub(crate) NonNull<bindings::config_item>);

// SAFETY: An `ItemRef` is only an address handed back to configfs under the
// control-plane mutex; configfs items may be depended on from any thread.
unsafe impl Send for ItemRef {}

/// Staged or committed attributes of a domain.
#[derive(Clone, Copy)]
pub(crate) struct DomainAttrs {
    pub(crate) req: DomainRequest,
    /// Owner, group and permission bits of the domain's node.
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    pub(crate) mode: u16,
}

impl Default for DomainAttrs {
    fn default() -> Self {
        Self {
            req: DomainRequest::default(),
            uid: 0,
            gid: 0,
            mode: 0o600,
        }
    }
}

/// Staged attributes of a queue or port (unused ones stay at defaults).
#[derive(Clone, Copy)]
pub(crate) struct ObjectAttrs {
    pub(crate) sequence_numbers: u32,
    pub(crate) inflight_limit: u32,
    pub(crate) atomic_inflights: u32,
    pub(crate) lock_id_comp: u32,
    pub(crate) depth_threshold: u32,
    pub(crate) cq_depth: u32,
    pub(crate) hist_list_size: u32,
    pub(crate) cos: u32,
}

/// The attributes a mailbox request carries (`hlb-mbox.rst`, *attrs*)
/// are these, in this order: a VF sends its own, the PF programs them.
impl From<&Attrs> for ObjectAttrs {
    fn from(a: &Attrs) -> Self {
        Self {
            sequence_numbers: a.sequence_numbers,
            inflight_limit: a.inflight_limit,
            atomic_inflights: a.atomic_inflights,
            lock_id_comp: a.lock_id_comp,
            depth_threshold: a.depth_threshold,
            cq_depth: a.cq_depth,
            hist_list_size: a.hist_list_size,
            cos: a.cos,
        }
    }
}

impl From<&ObjectAttrs> for Attrs {
    fn from(a: &ObjectAttrs) -> Self {
        Self {
            sequence_numbers: a.sequence_numbers,
            inflight_limit: a.inflight_limit,
            atomic_inflights: a.atomic_inflights,
            lock_id_comp: a.lock_id_comp,
            depth_threshold: a.depth_threshold,
            cq_depth: a.cq_depth,
            hist_list_size: a.hist_list_size,
            cos: a.cos,
        }
    }
}

/// The object kinds a mailbox `UNASSIGN` names (`hlb-mbox.rst`).
impl From<ObjKind> for ObjectKind {
    fn from(k: ObjKind) -> Self {
        match k {
            ObjKind::LdbQueue => Self::LdbQueue,
            ObjKind::LdbPort => Self::LdbPort,
            ObjKind::DirPort => Self::DirPort,
        }
    }
}

impl From<ObjectKind> for ObjKind {
    fn from(k: ObjectKind) -> Self {
        match k {
            ObjectKind::LdbQueue => Self::LdbQueue,
            ObjectKind::LdbPort => Self::LdbPort,
            ObjectKind::DirPort => Self::DirPort,
        }
    }
}

impl Default for ObjectAttrs {
    fn default() -> Self {
        Self {
            sequence_numbers: 0,
            inflight_limit: 64,
            atomic_inflights: 0,
            lock_id_comp: 0,
            depth_threshold: 0,
            cq_depth: 64,
            hist_list_size: 0,
            cos: 0,
        }
    }
}

/// Lifecycle of a record as the `state` attribute shows it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Staged,
    Committed,
    Started,
    Removed,
}

impl State {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Staged => "staged",
            Self::Committed => "committed",
            Self::Started => "started",
            Self::Removed => "removed",
        }
    }
}

struct Link {
    queue: Handle,
    priority: u32,
    /// The queue's item, pinned (rmdir: `EBUSY`) while the link exists.
    pinned: Option<ItemRef>,
    /// Unlinked on a started domain and not taken by the device yet (its
    /// slot reads `PENDING`); the pool keeps the slot until it is.
    pending: bool,
}

struct ObjectRec {
    handle: Handle,
    kind: ObjectKind,
    name: CString,
    item: Option<ItemRef>,
    attrs: ObjectAttrs,
    /// Device number while committed.
    id: Option<u32>,
    /// LDB ports: committed links.
    links: KVec<Link>,
}

struct DomainRec {
    handle: Handle,
    name: CString,
    item: Option<ItemRef>,
    /// Run-time state while started on a device with a data plane.
    run: Option<Arc<DomainRun>>,
    attrs: DomainAttrs,
    /// Device number while committed.
    id: Option<u32>,
    started: bool,
    /// Items pinned while the domain is started: itself and its objects.
    pinned: KVec<ItemRef>,
    objects: KVec<ObjectRec>,
}

impl DomainRec {
    /// Returns everything the domain holds to the pool and resets it in the
    /// device; it and its objects go back to staged, unpinned.
    fn reset(&mut self, pool: &mut Pool, prog: &dyn Program) {
        if let Some(run) = self.run.take() {
            run.kill();
        }
        self.unpin_all(true);
        self.started = false;
        if let Some(id) = self.id.take() {
            prog.reset_domain(id);
            pool.reset_domain(id);
        }
        for o in self.objects.iter_mut() {
            o.id = None;
            o.links.clear();
        }
    }

    /// Unpins what starting the domain and its links pinned.
    fn unpin_all(&mut self, links_too: bool) {
        for item in self.pinned.drain_all() {
            unpin(item);
        }
        if links_too {
            for o in self.objects.iter_mut() {
                for l in o.links.iter_mut() {
                    if let Some(item) = l.pinned.take() {
                        unpin(item);
                    }
                }
            }
        }
    }
}

struct CtlState {
    pool: KBox<Pool>,
    /// The device's data plane (none before version 1.1, or in tests).
    runtime: Option<Arc<DataPlane>>,
    removed: bool,
    next_handle: Handle,
    domains: KVec<DomainRec>,
    vfs: [VfRec; VFS],
    /// The VFs' mailbox sessions, one per VF the device may have.
    sessions: KVec<VfSession>,
}

/// The control plane of one HLB.
#[pin_data]
pub(crate) struct HlbCtl {
    device: Arc<dyn Program>,
    totals: Totals,
    /// VF functions the device has (`NUM_VFS`, 0 before version 1.2).
    num_vfs: u32,
    #[pin]
    state: Mutex<CtlState>,
}

fn pool_err(e: PoolError) -> Error {
    Error::from_errno(-e.errno())
}

impl HlbCtl {
    /// A control plane for a device with `totals` and `num_vfs` VF
    /// functions, programmed by `device`.
    pub(crate) fn new(device: Arc<dyn Program>, totals: Totals, num_vfs: u32) -> Result<Arc<Self>> {
        let mut slot = KBox::<Pool>::new_uninit(GFP_KERNEL)?;
        // SAFETY: `slot` is a valid, aligned allocation for a `Pool`.
        unsafe { Pool::init_at(slot.as_mut_ptr(), totals) }.map_err(|_| ENODEV)?;
        // SAFETY: `init_at` returned `Ok`: the pool is initialized.
        let pool = unsafe { slot.assume_init() };
        Arc::pin_init(
            try_pin_init!(Self {
                device,
                totals,
                num_vfs: num_vfs.min(VFS as u32),
                state <- new_mutex!(CtlState {
                    pool,
                    runtime: None,
                    removed: false,
                    next_handle: 1,
                    domains: KVec::new(),
                    vfs: vf_assign::NO_VFS,
                    sessions: Self::new_sessions()?,
                }),
            }? Error),
            GFP_KERNEL,
        )
    }

    /// Sets the data plane started domains get (`None` when it goes).
    pub(crate) fn set_runtime(&self, runtime: Option<Arc<DataPlane>>) {
        self.state.lock().runtime = runtime;
    }

    /// What programs the device (shared with the data plane, which stops
    /// and restarts domains to drain them).
    pub(crate) fn program(&self) -> &Arc<dyn Program> {
        &self.device
    }

    /// The device's totals.
    pub(crate) fn totals(&self) -> &Totals {
        &self.totals
    }

    /// Runs `f` on the pool (for sysfs accounting).
    pub(crate) fn with_pool<R>(&self, f: impl FnOnce(&Pool) -> R) -> R {
        f(&self.state.lock().pool)
    }

    /// The device is going away: resets every committed domain in the
    /// device, returns everything to the pool, unpins every item and marks
    /// every record removed.
    pub(crate) fn remove(&self) {
        let mut st = self.state.lock();
        let prog = &*self.device;
        let CtlState {
            pool,
            domains,
            removed,
            ..
        } = &mut *st;
        for d in domains.iter_mut() {
            d.reset(pool, prog);
        }
        *removed = true;
    }

    /// Runs `f` under the lock with the pool, the records and the device;
    /// `ENODEV` once the device is gone.
    fn live<R>(
        &self,
        f: impl FnOnce(&mut Pool, &mut KVec<DomainRec>, &dyn Program) -> Result<R>,
    ) -> Result<R> {
        self.live_with_runtime(|pool, domains, prog, _| f(pool, domains, prog))
    }

    /// [`Self::live`], with the data plane.
    fn live_with_runtime<R>(
        &self,
        f: impl FnOnce(
            &mut Pool,
            &mut KVec<DomainRec>,
            &dyn Program,
            Option<&Arc<DataPlane>>,
        ) -> Result<R>,
    ) -> Result<R> {
        let mut st = self.state.lock();
        if st.removed {
            return Err(ENODEV);
        }
        let CtlState {
            pool,
            domains,
            runtime,
            ..
        } = &mut *st;
        f(pool, domains, &*self.device, runtime.as_ref())
    }

    fn alloc_handle(st: &mut CtlState) -> Handle {
        let h = st.next_handle;
        st.next_handle = st.next_handle.wrapping_add(1).max(1);
        h
    }

    /// mkdir of a domain.
    pub(crate) fn new_domain(&self, name: &CStr) -> Result<Handle> {
        let name = CString::try_from(name)?;
        let mut st = self.state.lock();
        if st.removed {
            return Err(ENODEV);
        }
        let handle = Self::alloc_handle(&mut st);
        st.domains.push(
            DomainRec {
                handle,
                name,
                run: None,
                item: None,
                attrs: DomainAttrs::default(),
                id: None,
                started: false,
                pinned: KVec::new(),
                objects: KVec::new(),
            },
            GFP_KERNEL,
        )?;
        Ok(handle)
    }

    /// mkdir of a queue or port in domain `domain`.
    pub(crate) fn new_object(
        &self,
        domain: Handle,
        kind: ObjectKind,
        name: &CStr,
    ) -> Result<Handle> {
        let mut st = self.state.lock();
        if st.removed {
            return Err(ENODEV);
        }
        let handle = Self::alloc_handle(&mut st);
        let d = find_domain(&mut st.domains, domain)?;
        if d.started {
            return Err(EBUSY);
        }
        d.objects.push(
            ObjectRec {
                handle,
                kind,
                name: CString::try_from(name)?,
                item: None,
                attrs: ObjectAttrs::default(),
                id: None,
                links: KVec::new(),
            },
            GFP_KERNEL,
        )?;
        Ok(handle)
    }

    /// Records the configfs item of `handle` once configfs made it.
    pub(crate) fn set_item(&self, handle: Handle, item: ItemRef) {
        let mut st = self.state.lock();
        for d in st.domains.iter_mut() {
            if d.handle == handle {
                d.item = Some(item);
                return;
            }
            if let Some(o) = d.objects.iter_mut().find(|o| o.handle == handle) {
                o.item = Some(item);
                return;
            }
        }
    }

    /// configfs is removing `item` (rmdir): its record, and what it holds,
    /// goes now rather than when the item's last reference does (an open
    /// attribute file keeps that for as long as it likes), so a record
    /// never names an item that left the tree.
    pub(crate) fn forget(&self, item: ItemRef) {
        let is = |it: &Option<ItemRef>| *it == Some(item);
        let found = self.state.lock().domains.iter().find_map(|d| {
            if is(&d.item) {
                return Some((d.handle, true));
            }
            let o = d.objects.iter().find(|o| is(&o.item))?;
            Some((o.handle, false))
        });
        // Handles are never reused: the record found is the one dropped.
        match found {
            Some((h, true)) => self.drop_domain(h),
            Some((h, false)) => self.drop_object(h),
            None => (),
        }
    }

    /// rmdir of a domain (configfs refuses it while started or non-empty).
    pub(crate) fn drop_domain(&self, domain: Handle) {
        let mut st = self.state.lock();
        let prog = &*self.device;
        let CtlState { pool, domains, .. } = &mut *st;
        if let Some(pos) = domains.iter().position(|d| d.handle == domain) {
            if let Ok(mut d) = domains.remove(pos) {
                d.reset(pool, prog);
            }
        }
    }

    /// rmdir of a queue or port (configfs refuses it while in use).
    pub(crate) fn drop_object(&self, object: Handle) {
        let mut st = self.state.lock();
        let prog = &*self.device;
        let CtlState { pool, domains, .. } = &mut *st;
        let Ok((di, oi)) = locate(domains, object) else {
            return;
        };
        let d = &mut domains[di];
        let Ok(o) = d.objects.remove(oi) else {
            return;
        };
        // A port's links go with it: unlink in the pool and the device and
        // unpin the queues.
        for l in o.links.iter() {
            if let (Some(dom), Some(port_id), Some(q_id)) =
                (d.id, o.id, queue_id(&d.objects, l.queue))
            {
                if let Ok(slot) = pool.unlink(dom, port_id, q_id) {
                    let _ = prog.write_link(port_id, slot, None);
                }
            }
            l.pinned.iter().for_each(|it| unpin(*it));
        }
        if let (Some(dom), Some(id)) = (d.id, o.id) {
            match release(pool, dom, o.kind, id) {
                Ok(()) => prog.unassign(o.kind, id),
                Err(e) => pr_err!("lbdx_hlb: object {} not released: {:?}\n", id, e),
            }
        }
    }

    /// Reads the attributes and state of domain `domain`.
    pub(crate) fn domain(&self, domain: Handle) -> Result<(DomainAttrs, State, Option<u32>)> {
        let st = self.state.lock();
        let d = st
            .domains
            .iter()
            .find(|d| d.handle == domain)
            .ok_or(ENOENT)?;
        Ok((d.attrs, domain_state(d, st.removed), d.id))
    }

    /// Changes the owner or mode of a domain's node: `EBUSY` while it is
    /// started (the node exists).
    pub(crate) fn set_node_attrs(
        &self,
        domain: Handle,
        f: impl FnOnce(&mut DomainAttrs),
    ) -> Result {
        self.edit_domain(domain, |d| d.started, f)
    }

    /// Changes a staged domain attribute: `EBUSY` once committed.
    pub(crate) fn set_domain_attrs(
        &self,
        domain: Handle,
        f: impl FnOnce(&mut DomainAttrs),
    ) -> Result {
        self.edit_domain(domain, |d| d.id.is_some(), f)
    }

    /// Applies `f` to a domain's attributes unless `busy` says the domain
    /// is past changing them (`EBUSY`).
    fn edit_domain(
        &self,
        domain: Handle,
        busy: impl FnOnce(&DomainRec) -> bool,
        f: impl FnOnce(&mut DomainAttrs),
    ) -> Result {
        let mut st = self.state.lock();
        if st.removed {
            return Err(ENODEV);
        }
        let d = find_domain(&mut st.domains, domain)?;
        if busy(d) {
            return Err(EBUSY);
        }
        f(&mut d.attrs);
        Ok(())
    }

    /// Writes 1 (`commit`) or 0 (`uncommit`) to a domain's `commit`.
    pub(crate) fn commit_domain(&self, domain: Handle, commit: bool) -> Result {
        self.live(|pool, domains, prog| {
            let d = find_domain(domains, domain)?;
            match (commit, d.id) {
                (true, Some(_)) | (false, None) => Ok(()),
                (true, None) => {
                    let grant = pool.reserve_domain(&d.attrs.req).map_err(pool_err)?;
                    if let Err(e) = prog.commit_domain(grant, &d.attrs.req) {
                        pool.reset_domain(grant.id);
                        return Err(e);
                    }
                    d.id = Some(grant.id);
                    Ok(())
                }
                (false, Some(id)) => {
                    if d.started || d.objects.iter().any(|o| o.id.is_some()) {
                        return Err(EBUSY);
                    }
                    pool.release_domain(id).map_err(pool_err)?;
                    prog.release_domain(id);
                    d.id = None;
                    Ok(())
                }
            }
        })
    }

    /// Writes to a domain's `start`. Starting pins the domain and all its
    /// objects (rmdir: `EBUSY`) until it stops; it fails with `ENOENT`,
    /// changing nothing, if one of them is being removed.
    pub(crate) fn start_domain(
        this: &Arc<Self>,
        tree: &TreeLock,
        domain: Handle,
        start: bool,
    ) -> Result {
        this.live_with_runtime(|pool, domains, prog, runtime| {
            let d = find_domain(domains, domain)?;
            if start == d.started {
                return Ok(());
            }
            let id = d.id.ok_or(EINVAL)?;
            if start {
                let mut items = KVec::with_capacity(d.objects.len() + 1, GFP_KERNEL)?;
                for item in Iterator::chain(
                    d.item.iter(),
                    d.objects.iter().filter_map(|o| o.item.as_ref()),
                ) {
                    items.push(*item, GFP_KERNEL)?;
                }
                for (i, item) in items.iter().enumerate() {
                    if let Err(e) = pin(tree, *item) {
                        items.iter().take(i).for_each(|it| unpin(*it));
                        return Err(e);
                    }
                }
                let links = match prog.runtime_links() {
                    true => Some(links::DomainLinks::of(this.clone(), domain)?),
                    false => None,
                };
                let run = match runtime
                    .map(|rt| rt.prepare(run_config(d, id, links)?))
                    .transpose()
                {
                    Ok(run) => run,
                    Err(e) => {
                        items.iter().for_each(|it| unpin(*it));
                        return Err(e);
                    }
                };
                if let Err(e) = pool.start(id).map_err(pool_err) {
                    run.inspect(|r| r.kill());
                    items.iter().for_each(|it| unpin(*it));
                    return Err(e);
                }
                let started = prog
                    .start_domain(id, true)
                    .and_then(|()| run.as_ref().map_or(Ok(()), |r| r.publish()));
                if let Err(e) = started {
                    let _ = prog.start_domain(id, false);
                    run.inspect(|r| r.kill());
                    let _ = pool.stop(id);
                    items.iter().for_each(|it| unpin(*it));
                    return Err(e);
                }
                d.pinned = items;
                d.run = run;
            } else {
                if let Some(run) = &d.run {
                    run.retire()?;
                }
                d.run = None;
                pool.stop(id).map_err(pool_err)?;
                d.unpin_all(false);
                // Stopping fails only when the device is gone, which stopped it.
                let _ = prog.start_domain(id, false);
                d.reap_unlinks(pool, prog, true);
            }
            d.started = start;
            Ok(())
        })
    }

    /// Writes 1 to a domain's `reset`: everything it holds goes back to the
    /// device; the domain and its objects return to staged, unpinned.
    pub(crate) fn reset_domain(&self, domain: Handle) -> Result {
        self.live(|pool, domains, prog| {
            let d = find_domain(domains, domain)?;
            if let Some(run) = &d.run {
                run.retire()?;
            }
            d.run = None;
            d.reset(pool, prog);
            Ok(())
        })
    }

    /// Reads the attributes, state and device number of an object.
    pub(crate) fn object(&self, object: Handle) -> Result<(ObjectAttrs, State, Option<u32>)> {
        let st = self.state.lock();
        let (di, oi) = locate(&st.domains, object)?;
        let o = &st.domains[di].objects[oi];
        let state = match (st.removed, o.id) {
            (true, _) => State::Removed,
            (_, None) => State::Staged,
            (_, Some(_)) => State::Committed,
        };
        Ok((o.attrs, state, o.id))
    }

    /// Changes a staged object attribute: `EBUSY` once committed or while
    /// its domain is started.
    pub(crate) fn set_object_attrs(
        &self,
        object: Handle,
        f: impl FnOnce(&mut ObjectAttrs),
    ) -> Result {
        let mut st = self.state.lock();
        if st.removed {
            return Err(ENODEV);
        }
        let (di, oi) = locate(&st.domains, object)?;
        let started = st.domains[di].started;
        let o = &mut st.domains[di].objects[oi];
        if o.id.is_some() || started {
            return Err(EBUSY);
        }
        f(&mut o.attrs);
        Ok(())
    }

    /// Writes 1 or 0 to an object's `commit`.
    pub(crate) fn commit_object(&self, object: Handle, commit: bool) -> Result {
        let hist_total = self.totals.hist_list;
        self.live(|pool, domains, prog| {
            let (di, oi) = locate(domains, object)?;
            let (dom, started) = (domains[di].id, domains[di].started);
            if started {
                return Err(EBUSY);
            }
            let dom = dom.ok_or(EINVAL)?;
            let o = &mut domains[di].objects[oi];
            match (commit, o.id) {
                (true, Some(_)) | (false, None) => Ok(()),
                (false, Some(id)) => {
                    if !o.links.is_empty() {
                        return Err(EBUSY);
                    }
                    release(pool, dom, o.kind, id).map_err(pool_err)?;
                    prog.unassign(o.kind, id);
                    o.id = None;
                    Ok(())
                }
                (true, None) => {
                    let a = o.attrs;
                    let id = match o.kind {
                        ObjectKind::LdbQueue => {
                            if a.inflight_limit == 0 || a.inflight_limit > hist_total {
                                return Err(EINVAL);
                            }
                            let req = QueueRequest {
                                sequence_numbers: a.sequence_numbers,
                                atomic_inflights: a.atomic_inflights,
                            };
                            let g = pool.create_ldb_queue(dom, req).map_err(pool_err)?;
                            prog.commit_ldb_queue(dom, &g, &a)
                                .map(|()| g.id)
                                .inspect_err(|_| {
                                    let _ = pool.release_ldb_queue(dom, g.id);
                                })?
                        }
                        ObjectKind::LdbPort => {
                            let hl = if a.hist_list_size == 0 {
                                a.cq_depth
                            } else {
                                a.hist_list_size
                            };
                            if hl < a.cq_depth {
                                return Err(EINVAL);
                            }
                            let g = pool.create_ldb_port(dom, a.cos, hl).map_err(pool_err)?;
                            prog.commit_ldb_port(dom, &g, hl, &a)
                                .map(|()| g.id)
                                .inspect_err(|_| {
                                    let _ = pool.release_ldb_port(dom, g.id);
                                })?
                        }
                        ObjectKind::DirPort => {
                            let p = pool.create_dir_port(dom).map_err(pool_err)?;
                            prog.commit_dir_port(dom, p, &a)
                                .map(|()| p)
                                .inspect_err(|_| {
                                    let _ = pool.release_dir_port(dom, p);
                                })?
                        }
                    };
                    o.id = Some(id);
                    Ok(())
                }
            }
        })
    }

    /// Writes the `links` (`pending` false) or `links_pending` lines of
    /// LDB port `port` with `f`, having completed the unlinks the device
    /// took meanwhile.
    pub(crate) fn show_links(
        &self,
        port: Handle,
        pending: bool,
        f: &mut dyn FnMut(&CStr, u32) -> Result,
    ) -> Result {
        let mut st = self.state.lock();
        let CtlState { pool, domains, .. } = &mut *st;
        let (di, oi) = locate(domains, port)?;
        let d = &mut domains[di];
        d.reap_unlinks(pool, &*self.device, false);
        for l in d.objects[oi].links.iter().filter(|l| l.pending == pending) {
            if let Some(q) = d.objects.iter().find(|q| q.handle == l.queue) {
                f(&q.name, l.priority)?;
            }
        }
        Ok(())
    }
}

/// What the data plane needs of domain `d` (device number `id`) to start,
/// with what its file changes links through.
fn run_config(d: &DomainRec, id: u32, links: Option<Arc<dyn RunLinks>>) -> Result<RunConfig> {
    let mut queues = KVec::new();
    let mut ports = KVec::new();
    for o in d.objects.iter() {
        let Some(oid) = o.id else { continue };
        let kind = match o.kind {
            ObjectKind::LdbQueue => {
                queues.push(oid, GFP_KERNEL)?;
                continue;
            }
            ObjectKind::LdbPort => uapi::PORT_LDB,
            ObjectKind::DirPort => uapi::PORT_DIR,
        };
        ports.push(
            RunPort {
                kind,
                id: oid,
                depth: o.attrs.cq_depth,
            },
            GFP_KERNEL,
        )?;
    }
    Ok(RunConfig {
        id,
        name: CString::try_from(&*d.name)?,
        uid: d.attrs.uid,
        gid: d.attrs.gid,
        mode: d.attrs.mode,
        ldb_credits: d.attrs.req.ldb_credits,
        dir_credits: d.attrs.req.dir_credits,
        queues,
        ports,
        links,
    })
}

/// The device number of queue `h` among `objects`, if committed.
fn queue_id(objects: &[ObjectRec], h: Handle) -> Option<u32> {
    objects.iter().find(|q| q.handle == h).and_then(|q| q.id)
}

fn find_domain(domains: &mut KVec<DomainRec>, h: Handle) -> Result<&mut DomainRec> {
    domains.iter_mut().find(|d| d.handle == h).ok_or(ENOENT)
}

/// Indices of the domain holding object `h` and of the object in it.
fn locate(domains: &[DomainRec], h: Handle) -> Result<(usize, usize)> {
    domains
        .iter()
        .enumerate()
        .find_map(|(di, d)| {
            d.objects
                .iter()
                .position(|o| o.handle == h)
                .map(|oi| (di, oi))
        })
        .ok_or(ENOENT)
}

fn domain_state(d: &DomainRec, removed: bool) -> State {
    match (removed, d.id, d.started) {
        (true, _, _) => State::Removed,
        (_, None, _) => State::Staged,
        (_, Some(_), true) => State::Started,
        (_, Some(_), false) => State::Committed,
    }
}

fn release(pool: &mut Pool, dom: u32, kind: ObjectKind, id: u32) -> Result<(), PoolError> {
    match kind {
        ObjectKind::LdbQueue => pool.release_ldb_queue(dom, id),
        ObjectKind::LdbPort => pool.release_ldb_port(dom, id),
        ObjectKind::DirPort => pool.release_dir_port(dom, id),
    }
}

const _: () = assert!(hlb_regs::OBJECTS_MAX <= 255);

// SPDX-License-Identifier: GPL-2.0

//! The HLB configfs tree (ABI: `Documentation/ABI/testing/configfs-lbdx-hlb`):
//!
//! ```text
//! /sys/kernel/config/lbdx/<bdf>/domains/<domain>/{queues,ldb_ports,dir_ports}/<name>/
//! ```
//!
//! The operator makes the device directory (named after a bound HLB), the
//! domains and the queues and ports; `domains/` and the three object
//! directories come with their parents (default groups). Every attribute
//! goes to the device's control plane (`control_plane.rs`), which holds the
//! rules; this file parses input, formats output and keeps configfs' view
//! of what is in use (item dependencies: rmdir then fails with `EBUSY`).
//! Every name (mkdir of a domain, queue or port, a queue in a `links`
//! write) must pass `attr_value::check_name`; mkdir of any other fails
//! with `EINVAL` before anything is made.

use super::{
    control_plane::{Handle, HlbCtl, ItemRef, ObjectAttrs, State},
    resource_pool::ObjectKind,
    vf_configfs::add_vfs_dir,
};
use crate::{
    attr_value::{check_name, parse_link, parse_u32, parse_u32_in, LinkRequest},
    hw::hlb_regs,
};
use core::{
    ffi::c_void,
    fmt::Write,
    ptr::NonNull,
    sync::atomic::{AtomicPtr, Ordering},
};
use kernel::{
    bindings,
    configfs::{self, HasGroup},
    configfs_attrs,
    page::PAGE_SIZE,
    prelude::*,
    str::{CString, Formatter},
    sync::{Arc, ArcBorrow},
};

// Pointers are passed untyped: the Rust bindings of these structs are not
// FFI-safe.
extern "C" {
    fn lbdx_configfs_add_default_group(child: *mut c_void, parent: *mut c_void);
    fn lbdx_configfs_tree_lock(subsys: *mut c_void);
    fn lbdx_configfs_tree_unlock(subsys: *mut c_void);
    fn lbdx_configfs_depend(subsys: *mut c_void, item: *mut c_void) -> i32;
}

/// The `su_group` of the `lbdx` subsystem while it is registered.
static SUBSYS: AtomicPtr<bindings::config_group> = AtomicPtr::new(core::ptr::null_mut());

kernel::sync::global_lock! {
    // SAFETY: Initialized by `Registry::init()` in module init, before the
    // drivers register.
    unsafe(uninit) static HLBS: Mutex<KVec<(CString, Arc<HlbCtl>)>> = KVec::new();
}

/// The registry of bound HLBs; dropping it (module exit, after the HLB
/// driver unregistered) frees the registry's storage, which a `static`
/// would keep past the module's unload.
pub(crate) struct HlbRegistry(());

impl HlbRegistry {
    /// Initializes the registry of bound HLBs.
    ///
    /// # Safety
    ///
    /// Call exactly once, in module init, before any other function here.
    pub(crate) unsafe fn init() -> Self {
        // SAFETY: By the function's safety requirements.
        unsafe { HLBS.init() };
        Self(())
    }
}

impl Drop for HlbRegistry {
    fn drop(&mut self) {
        drop(core::mem::take(&mut *HLBS.lock()));
    }
}

/// Makes the control plane of the HLB named `bdf` available to configfs.
pub(crate) fn register(bdf: &CStr, ctl: Arc<HlbCtl>) -> Result {
    let name = CString::try_from(bdf)?;
    HLBS.lock().push((name, ctl), GFP_KERNEL)?;
    Ok(())
}

/// The HLB is going away: takes it out of the registry, resets its domains
/// and unpins every item of its tree.
pub(crate) fn unregister(ctl: &Arc<HlbCtl>) {
    {
        let mut list = HLBS.lock();
        if let Some(pos) = list.iter().position(|(_, c)| Arc::ptr_eq(c, ctl)) {
            let _ = list.remove(pos);
        }
    }
    ctl.remove();
}

/// configfs' lock of the `lbdx` tree (the subsystem's mutex), held while
/// items are pinned: configfs makes and unlinks items under it, so under
/// it an item the control plane still records is either in the tree or
/// known to be leaving it, never half gone. Taken before the control
/// plane's mutex (the order configfs' mkdir and rmdir take them in), from
/// attribute stores, where configfs holds neither.
///
/// # Invariants
///
/// `0` is the `su_group` of the registered `lbdx` subsystem, whose mutex
/// this value holds.
pub(crate) struct TreeLock(NonNull<bindings::config_group>);

impl TreeLock {
    /// Takes the lock; `ENODEV` if the subsystem is not registered.
    pub(crate) fn lock() -> Result<Self> {
        let subsys = NonNull::new(SUBSYS.load(Ordering::Acquire)).ok_or(ENODEV)?;
        // SAFETY: `SUBSYS` holds the registered subsystem's group until the
        // subsystem is unregistered at module exit. Our callers are configfs
        // file operations, which the unregistration waits for, and the
        // ioctls of a domain's file, whose open file holds the module.
        unsafe { lbdx_configfs_tree_lock(subsys.as_ptr().cast()) };
        // INVARIANT: the mutex was just taken.
        Ok(Self(subsys))
    }
}

impl Drop for TreeLock {
    fn drop(&mut self) {
        // SAFETY: By the type invariant, this value holds the mutex.
        unsafe { lbdx_configfs_tree_unlock(self.0.as_ptr().cast()) };
    }
}

/// Pins `item`: configfs refuses its rmdir (`EBUSY`) until [`unpin`];
/// `ENOENT` if the item is being or has been removed.
pub(crate) fn pin(tree: &TreeLock, item: ItemRef) -> Result {
    // SAFETY: `tree` holds the subsystem's mutex; `item` is an item of the
    // subsystem recorded when configfs made it, whose memory lives until
    // its record goes (`ObjectDir`'s and `DomainDir`'s drop).
    let ret = unsafe { lbdx_configfs_depend(tree.0.as_ptr().cast(), item.0.as_ptr().cast()) };
    if ret != 0 {
        return Err(Error::from_errno(ret));
    }
    Ok(())
}

/// Undoes one [`pin`] of `item`.
pub(crate) fn unpin(item: ItemRef) {
    // SAFETY: `item` was pinned by `pin()`, which keeps it alive.
    unsafe { bindings::configfs_undepend_item(item.0.as_ptr()) };
}

/// The `config_item` of a group.
fn item_of<T>(group: &configfs::Group<T>) -> ItemRef {
    let cg = raw_group(group);
    // SAFETY: `cg` points to the group's embedded `config_group`, so the
    // address of its `cg_item` field is valid and not null.
    ItemRef(unsafe { NonNull::new_unchecked(&raw mut (*cg).cg_item) })
}

/// Adds `child` as a default group of `parent` (being made); configfs
/// releases it through `configfs_remove_default_groups(parent)`.
pub(super) fn add_default<C: 'static>(
    parent: *mut bindings::config_group,
    child: impl PinInit<configfs::Group<C>, Error>,
) -> Result {
    let child = Arc::pin_init(child, GFP_KERNEL)?;
    let raw = Arc::into_raw(child);
    // SAFETY: `raw` comes from `Arc::into_raw` of a `Group<C>`; its reference
    // now belongs to configfs, which drops it (through the group's release)
    // when `configfs_remove_default_groups(parent)` is called.
    unsafe {
        let cg = <configfs::Group<C> as HasGroup<C>>::group(raw).cast_mut();
        lbdx_configfs_add_default_group(cg.cast(), parent.cast());
    }
    Ok(())
}

/// The `config_group` a `Group` embeds.
pub(super) fn raw_group<T>(g: &configfs::Group<T>) -> *mut bindings::config_group {
    // SAFETY: `g` is a valid `Group<T>`.
    unsafe { <configfs::Group<T> as HasGroup<T>>::group(g) }.cast_mut()
}

/// Drops the default groups of a child being removed.
fn remove_defaults<T>(child: ArcBorrow<'_, configfs::Group<T>>) {
    // SAFETY: `child` is a group whose default groups were added by
    // `add_default`; configfs has unlinked them already.
    unsafe { bindings::configfs_remove_default_groups(raw_group(&child)) };
}

// ---------------------------------------------------------------------------
// Attribute plumbing.

/// A directory's attributes, by the ids given in its `configfs_attrs!`.
pub(super) trait Attrs {
    fn show(&self, id: u64, out: &mut Formatter<'_>) -> Result;
    fn store(&self, id: u64, input: &[u8]) -> Result;
}

macro_rules! attribute_ops {
    ($ty:ty; rw: $($rw:literal)*; ro: $($ro:literal)*) => {
        $(
            #[vtable]
            impl configfs::AttributeOperations<$rw> for $ty {
                type Data = $ty;

                fn show(data: &$ty, page: &mut [u8; PAGE_SIZE]) -> Result<usize> {
                    let mut out = Formatter::new(page);
                    Attrs::show(data, $rw, &mut out)?;
                    Ok(out.bytes_written())
                }

                fn store(data: &$ty, page: &[u8]) -> Result {
                    Attrs::store(data, $rw, page)
                }
            }
        )*
        $(
            #[vtable]
            impl configfs::AttributeOperations<$ro> for $ty {
                type Data = $ty;

                fn show(data: &$ty, page: &mut [u8; PAGE_SIZE]) -> Result<usize> {
                    let mut out = Formatter::new(page);
                    Attrs::show(data, $ro, &mut out)?;
                    Ok(out.bytes_written())
                }
            }
        )*
    };
}
pub(super) use attribute_ops;

pub(super) fn num(input: &[u8], min: u32, max: u32) -> Result<u32> {
    parse_u32_in(input, min, max).ok_or(EINVAL)
}

/// `UID:GID` (decimal) of a domain's `owner`; `UID` alone keeps group 0.
pub(crate) fn owner(input: &[u8]) -> Result<(u32, u32)> {
    let input = input.strip_suffix(b"\n").unwrap_or(input);
    let mut parts = input.splitn(2, |&b| b == b':');
    let uid = parts.next().ok_or(EINVAL)?;
    let gid = parts.next().unwrap_or(b"0");
    // `(uid_t)-1` means "no change" to chown(); refuse it as an owner.
    let max = u32::MAX - 1;
    let dec = |s: &[u8]| -> Result<u32> {
        if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
            return Err(EINVAL);
        }
        num(s, 0, max)
    };
    Ok((dec(uid)?, dec(gid)?))
}

/// Permission bits of a domain's `mode`: octal, at most `0777`.
pub(crate) fn octal_mode(input: &[u8]) -> Result<u16> {
    let input = input.strip_suffix(b"\n").unwrap_or(input);
    if input.is_empty() || input.len() > 4 {
        return Err(EINVAL);
    }
    let mut mode = 0u16;
    for &b in input {
        if !(b'0'..=b'7').contains(&b) {
            return Err(EINVAL);
        }
        mode = mode * 8 + u16::from(b - b'0');
    }
    if mode > 0o777 {
        return Err(EINVAL);
    }
    Ok(mode)
}

pub(super) fn flag(input: &[u8]) -> Result<bool> {
    Ok(num(input, 0, 1)? == 1)
}

fn show_id(out: &mut Formatter<'_>, id: Option<u32>) -> Result {
    match id {
        Some(id) => writeln!(out, "{id}")?,
        None => writeln!(out, "-1")?,
    }
    Ok(())
}

fn show_state(out: &mut Formatter<'_>, s: State) -> Result {
    writeln!(out, "{}", s.name())?;
    Ok(())
}

// ---------------------------------------------------------------------------
// /sys/kernel/config/lbdx

/// Data of the subsystem: makes device directories.
#[pin_data(PinnedDrop)]
pub(crate) struct Registry {}

/// The `lbdx` configfs subsystem.
pub(crate) fn subsystem() -> impl PinInit<configfs::Subsystem<Registry>, Error> {
    let item_type = configfs_attrs! {
        container: configfs::Subsystem<Registry>,
        data: Registry,
        child: DeviceDir,
        attributes: [],
    };
    configfs::Subsystem::new(c"lbdx", item_type, try_pin_init!(Registry {})).pin_chain(|s| {
        // SAFETY: `s` is an initialized, registered subsystem.
        let group = unsafe {
            <configfs::Subsystem<Registry> as HasGroup<Registry>>::group(core::ptr::from_ref(&*s))
        };
        SUBSYS.store(group.cast_mut(), Ordering::Release);
        Ok(())
    })
}

#[pinned_drop]
impl PinnedDrop for Registry {
    fn drop(self: Pin<&mut Self>) {
        // The subsystem was unregistered (it drops its data after that):
        // no configfs operation of ours is left to use it.
        SUBSYS.store(core::ptr::null_mut(), Ordering::Release);
    }
}

#[vtable]
impl configfs::GroupOperations for Registry {
    type Child = DeviceDir;

    fn make_group(&self, name: &CStr) -> Result<impl PinInit<configfs::Group<DeviceDir>, Error>> {
        let ctl = HLBS
            .lock()
            .iter()
            .find(|(n, _)| n.to_bytes() == name.to_bytes())
            .map(|(_, c)| c.clone())
            .ok_or(ENODEV)?;
        let item_type = configfs_attrs! {
            container: configfs::Group<DeviceDir>,
            data: DeviceDir,
            attributes: [],
        };
        let for_children = ctl.clone();
        Ok(configfs::Group::new(
            name.try_into()?,
            item_type,
            Ok::<_, Error>(DeviceDir { _ctl: ctl }),
        )
        .pin_chain(move |g| {
            let domains_type = configfs_attrs! {
                container: configfs::Group<DomainsDir>,
                data: DomainsDir,
                child: DomainDir,
                attributes: [],
            };
            let dev = raw_group(&g);
            let vfs_ctl = for_children.clone();
            add_default(
                dev,
                configfs::Group::new(
                    c"domains".try_into()?,
                    domains_type,
                    Ok::<_, Error>(DomainsDir { ctl: for_children }),
                ),
            )
            .and_then(|()| add_vfs_dir(dev, &vfs_ctl))
        }))
    }

    fn drop_item(&self, child: ArcBorrow<'_, configfs::Group<DeviceDir>>) {
        remove_defaults(child);
    }
}

/// `<bdf>/`: holds the device's control plane while the directory exists.
pub(crate) struct DeviceDir {
    _ctl: Arc<HlbCtl>,
}

// ---------------------------------------------------------------------------
// <bdf>/domains/

/// `<bdf>/domains/`: makes domains.
pub(crate) struct DomainsDir {
    ctl: Arc<HlbCtl>,
}

#[vtable]
impl configfs::GroupOperations for DomainsDir {
    type Child = DomainDir;

    fn make_group(&self, name: &CStr) -> Result<impl PinInit<configfs::Group<DomainDir>, Error>> {
        check_name(name.to_bytes()).map_err(|_| EINVAL)?;
        let name: CString = name.try_into()?;
        let handle = self.ctl.new_domain(&name)?;
        let dir = DomainDir {
            ctl: self.ctl.clone(),
            handle,
        };
        let ctl = self.ctl.clone();
        let item_type = configfs_attrs! {
            container: configfs::Group<DomainDir>,
            data: DomainDir,
            attributes: [
                num_ldb_queues: 0,
                num_ldb_ports_cos0: 1,
                num_ldb_ports_cos1: 2,
                num_ldb_ports_cos2: 3,
                num_ldb_ports_cos3: 4,
                num_dir_ports: 5,
                num_ldb_credits: 6,
                num_dir_credits: 7,
                num_hist_list_entries: 8,
                num_atomic_inflights: 9,
                commit: 10,
                start: 11,
                reset: 12,
                state: 13,
                id: 14,
                owner: 15,
                mode: 16,
            ],
        };
        Ok(
            configfs::Group::new(name, item_type, Ok::<_, Error>(dir)).pin_chain(move |g| {
                ctl.set_item(handle, item_of(&g));
                let parent = raw_group(&g);
                let added = add_objects_dir(parent, &ctl, handle, ObjectKind::LdbQueue)
                    .and_then(|()| add_objects_dir(parent, &ctl, handle, ObjectKind::LdbPort))
                    .and_then(|()| add_objects_dir(parent, &ctl, handle, ObjectKind::DirPort));
                if added.is_err() {
                    // SAFETY: `parent` is being made; release what was added.
                    unsafe { bindings::configfs_remove_default_groups(parent) };
                }
                added
            }),
        )
    }

    fn drop_item(&self, child: ArcBorrow<'_, configfs::Group<DomainDir>>) {
        self.ctl.forget(item_of(&child));
        remove_defaults(child);
    }
}

fn add_objects_dir(
    parent: *mut bindings::config_group,
    ctl: &Arc<HlbCtl>,
    domain: Handle,
    kind: ObjectKind,
) -> Result {
    let name = match kind {
        ObjectKind::LdbQueue => c"queues",
        ObjectKind::LdbPort => c"ldb_ports",
        ObjectKind::DirPort => c"dir_ports",
    };
    let dir = ObjectsDir {
        ctl: ctl.clone(),
        domain,
        kind,
    };
    let item_type = configfs_attrs! {
        container: configfs::Group<ObjectsDir>,
        data: ObjectsDir,
        child: ObjectDir,
        attributes: [],
    };
    add_default(
        parent,
        configfs::Group::new(name.try_into()?, item_type, Ok::<_, Error>(dir)),
    )
}

/// `<domain>/`: a domain's reservation and lifecycle.
pub(crate) struct DomainDir {
    ctl: Arc<HlbCtl>,
    handle: Handle,
}

impl Drop for DomainDir {
    fn drop(&mut self) {
        // rmdir dropped the record already (`drop_item`); this one goes
        // for a directory configfs never linked (its making failed).
        self.ctl.drop_domain(self.handle);
    }
}

impl Attrs for DomainDir {
    fn show(&self, id: u64, out: &mut Formatter<'_>) -> Result {
        let (a, state, dev_id) = self.ctl.domain(self.handle)?;
        let r = &a.req;
        let v = match id {
            0 => r.ldb_queues,
            1..=4 => r.ldb_ports_cos.get(id as usize - 1).copied().unwrap_or(0),
            5 => r.dir_ports,
            6 => r.ldb_credits,
            7 => r.dir_credits,
            8 => r.hist_list,
            9 => r.atomic_inflights,
            10 => u32::from(state != State::Staged && state != State::Removed),
            11 => u32::from(state == State::Started),
            12 => 0,
            13 => return show_state(out, state),
            15 => {
                writeln!(out, "{}:{}", a.uid, a.gid)?;
                return Ok(());
            }
            16 => {
                writeln!(out, "{:04o}", a.mode)?;
                return Ok(());
            }
            _ => return show_id(out, dev_id),
        };
        writeln!(out, "{v}")?;
        Ok(())
    }

    fn store(&self, id: u64, input: &[u8]) -> Result {
        let t = self.ctl.totals();
        match id {
            0..=9 => {
                let max = match id {
                    0 => t.ldb_queues,
                    1..=4 => t.ldb_ports,
                    5 => t.dir_ports,
                    6 => t.ldb_credits,
                    7 => t.dir_credits,
                    8 => t.hist_list,
                    _ => t.atomic_inflights,
                };
                // A class the device does not have takes only 0.
                let max = if (1..=4).contains(&id) && id > u64::from(t.ldb_port_cos.max(1)) {
                    0
                } else {
                    max
                };
                let v = num(input, 0, max)?;
                self.ctl.set_domain_attrs(self.handle, |a| {
                    let r = &mut a.req;
                    match id {
                        0 => r.ldb_queues = v,
                        1..=4 => {
                            if let Some(c) = r.ldb_ports_cos.get_mut(id as usize - 1) {
                                *c = v;
                            }
                        }
                        5 => r.dir_ports = v,
                        6 => r.ldb_credits = v,
                        7 => r.dir_credits = v,
                        8 => r.hist_list = v,
                        _ => r.atomic_inflights = v,
                    }
                })
            }
            10 => self.ctl.commit_domain(self.handle, flag(input)?),
            15 => {
                let (uid, gid) = owner(input)?;
                self.ctl.set_node_attrs(self.handle, |a| {
                    a.uid = uid;
                    a.gid = gid;
                })
            }
            16 => {
                let mode = octal_mode(input)?;
                self.ctl.set_node_attrs(self.handle, |a| a.mode = mode)
            }
            11 => {
                let start = flag(input)?;
                HlbCtl::start_domain(&self.ctl, &TreeLock::lock()?, self.handle, start)
            }
            12 => {
                if !flag(input)? {
                    return Err(EINVAL);
                }
                self.ctl.reset_domain(self.handle)
            }
            _ => Err(EPERM),
        }
    }
}

attribute_ops!(DomainDir; rw: 0 1 2 3 4 5 6 7 8 9 10 11 12 15 16; ro: 13 14);

// ---------------------------------------------------------------------------
// <domain>/{queues,ldb_ports,dir_ports}/

/// `queues/`, `ldb_ports/` or `dir_ports/` of a domain: makes objects.
pub(crate) struct ObjectsDir {
    ctl: Arc<HlbCtl>,
    domain: Handle,
    kind: ObjectKind,
}

#[vtable]
impl configfs::GroupOperations for ObjectsDir {
    type Child = ObjectDir;

    fn make_group(&self, name: &CStr) -> Result<impl PinInit<configfs::Group<ObjectDir>, Error>> {
        check_name(name.to_bytes()).map_err(|_| EINVAL)?;
        let cname: CString = name.try_into()?;
        let handle = self.ctl.new_object(self.domain, self.kind, name)?;
        let dir = ObjectDir {
            ctl: self.ctl.clone(),
            handle,
        };
        let ctl = self.ctl.clone();
        let item_type = match self.kind {
            ObjectKind::LdbQueue => configfs_attrs! {
                container: configfs::Group<ObjectDir>,
                data: ObjectDir,
                attributes: [
                    sequence_numbers: 0,
                    inflight_limit: 1,
                    atomic_inflights: 2,
                    lock_id_comp: 3,
                    depth_threshold: 4,
                    commit: 10,
                    state: 13,
                    id: 14,
                ],
            },
            ObjectKind::LdbPort => configfs_attrs! {
                container: configfs::Group<ObjectDir>,
                data: ObjectDir,
                attributes: [
                    cq_depth: 5,
                    depth_threshold: 4,
                    hist_list_size: 6,
                    cos: 7,
                    links: 8,
                    links_pending: 15,
                    commit: 10,
                    state: 13,
                    id: 14,
                ],
            },
            ObjectKind::DirPort => configfs_attrs! {
                container: configfs::Group<ObjectDir>,
                data: ObjectDir,
                attributes: [
                    cq_depth: 5,
                    depth_threshold: 4,
                    commit: 10,
                    state: 13,
                    id: 14,
                ],
            },
        };
        Ok(
            configfs::Group::new(cname, item_type, Ok::<_, Error>(dir)).pin_chain(move |g| {
                ctl.set_item(handle, item_of(&g));
                Ok(())
            }),
        )
    }

    fn drop_item(&self, child: ArcBorrow<'_, configfs::Group<ObjectDir>>) {
        self.ctl.forget(item_of(&child));
    }
}

/// A queue or port.
pub(crate) struct ObjectDir {
    ctl: Arc<HlbCtl>,
    handle: Handle,
}

impl Drop for ObjectDir {
    fn drop(&mut self) {
        // rmdir dropped the record already (`drop_item`); this one goes
        // for a directory configfs never linked (its making failed).
        self.ctl.drop_object(self.handle);
    }
}

impl Attrs for ObjectDir {
    fn show(&self, id: u64, out: &mut Formatter<'_>) -> Result {
        let (a, state, dev_id) = self.ctl.object(self.handle)?;
        let v = match id {
            0 => a.sequence_numbers,
            1 => a.inflight_limit,
            2 => a.atomic_inflights,
            3 => a.lock_id_comp,
            4 => a.depth_threshold,
            5 => a.cq_depth,
            6 => a.hist_list_size,
            7 => a.cos,
            8 | 15 => {
                return self.ctl.show_links(self.handle, id == 15, &mut |q, prio| {
                    writeln!(out, "{} {}", q.to_str().unwrap_or("?"), prio)?;
                    Ok(())
                })
            }
            10 => u32::from(state != State::Staged && state != State::Removed),
            13 => return show_state(out, state),
            _ => return show_id(out, dev_id),
        };
        writeln!(out, "{v}")?;
        Ok(())
    }

    fn store(&self, id: u64, input: &[u8]) -> Result {
        let t = self.ctl.totals();
        let set = |f: &dyn Fn(&mut ObjectAttrs)| self.ctl.set_object_attrs(self.handle, |a| f(a));
        match id {
            0 => {
                let v = parse_u32(input).filter(|v| *v == 0 || hlb_regs::SN_MODES.contains(v));
                let v = v.ok_or(EINVAL)?;
                set(&|a| a.sequence_numbers = v)
            }
            1 => {
                let v = num(input, 1, t.hist_list)?;
                set(&|a| a.inflight_limit = v)
            }
            2 => {
                let v = num(input, 0, t.atomic_inflights)?;
                set(&|a| a.atomic_inflights = v)
            }
            3 => {
                let v = parse_u32(input)
                    .filter(|v| *v == 0 || hlb_regs::LOCK_ID_COMP_LEVELS.contains(v));
                let v = v.ok_or(EINVAL)?;
                set(&|a| a.lock_id_comp = v)
            }
            4 => {
                let v = num(input, 0, hlb_regs::DEPTH_THRESHOLD_MAX)?;
                set(&|a| a.depth_threshold = v)
            }
            5 => {
                let v = num(input, hlb_regs::CQ_DEPTH_MIN, hlb_regs::CQ_DEPTH_MAX)?;
                if !v.is_power_of_two() {
                    return Err(EINVAL);
                }
                set(&|a| a.cq_depth = v)
            }
            6 => {
                let v = num(input, 0, t.hist_list)?;
                set(&|a| a.hist_list_size = v)
            }
            7 => {
                let v = num(input, 0, t.ldb_port_cos.max(1) - 1)?;
                set(&|a| a.cos = v)
            }
            8 => {
                let (q, prio) = match parse_link(input).ok_or(EINVAL)? {
                    LinkRequest::Link(q, prio) => (q, Some(prio)),
                    LinkRequest::Unlink(q) => (q, None),
                };
                self.ctl.link(&TreeLock::lock()?, self.handle, q, prio)
            }
            10 => self.ctl.commit_object(self.handle, flag(input)?),
            _ => Err(EPERM),
        }
    }
}

attribute_ops!(ObjectDir; rw: 0 1 2 3 4 5 6 7 8 10; ro: 13 14 15);

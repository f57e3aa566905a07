// SPDX-License-Identifier: GPL-2.0

//! The character device of a started domain, `/dev/lbdx/<bdf>/<domain>`:
//! the Rust half of `domain_cdev.c`. The C half owns the file plumbing
//! (node, owner and mode, wait queue, fault-time mapping); the callbacks
//! here decode every request and hand it to the domain's [`DomainRun`].
//!
//! The ABI is `include/uapi/linux/lbdx_hlb.h`, documented in
//! `Documentation/userspace-api/lbdx-hlb.rst`.

use super::{
    domain_run::{ioctl_err, DomainRun, Mapping, RunConfig},
    uapi,
};
use core::{
    ffi::{c_char, c_int, c_long, c_uint, c_ulong, c_void},
    ptr::NonNull,
};
use kernel::{
    device,
    error::to_result,
    page::PAGE_SIZE,
    prelude::*,
    str::CString,
    sync::{Arc, ArcBorrow},
    uaccess::{UserPtr, UserSlice},
};

#[repr(C)]
struct RawCdev {
    _opaque: [u8; 0],
}

/// `struct lbdx_hlb_map`.
#[repr(C)]
struct RawMap {
    kind: u32,
    writable: u32,
    phys: u64,
    cpu: *mut c_void,
    dma: u64,
    dma_dev: *mut c_void,
    page: *mut c_void,
    pages: u64,
}

const MAP_IO: u32 = 1;
const MAP_DMA: u32 = 2;
const MAP_PAGE: u32 = 3;

/// `struct lbdx_hlb_cdev_ops`.
#[repr(C)]
struct Ops {
    open: unsafe extern "C" fn(*mut c_void, *mut *mut c_void) -> c_int,
    release: unsafe extern "C" fn(*mut c_void),
    ioctl: unsafe extern "C" fn(*mut c_void, c_uint, c_ulong) -> c_long,
    mmap: unsafe extern "C" fn(*mut c_void, c_ulong, c_ulong, bool, *mut RawMap) -> c_int,
    poll: unsafe extern "C" fn(*mut c_void) -> c_uint,
    read: unsafe extern "C" fn(*mut c_void, *mut c_char, usize) -> isize,
}

extern "C" {
    fn lbdx_hlb_cdev_init() -> c_int;
    fn lbdx_hlb_cdev_exit();
    fn lbdx_hlb_cdev_create(
        parent: *mut c_void,
        name: *const u8,
        nodename: *const u8,
        uid: u32,
        gid: u32,
        mode: u16,
        ops: *const Ops,
        ctx: *mut c_void,
        out: *mut *mut RawCdev,
    ) -> c_int;
    fn lbdx_hlb_cdev_device(cd: *mut RawCdev) -> *mut c_void;
    fn lbdx_hlb_cdev_wake(cd: *mut RawCdev);
    fn lbdx_hlb_cdev_remove(cd: *mut RawCdev);
}

static OPS: Ops = Ops {
    open,
    release,
    ioctl,
    mmap,
    poll,
    read,
};

/// The class and chrdev region, registered while the module is loaded.
pub(crate) struct CdevClass(());

impl CdevClass {
    /// Registers the `lbdx_hlb` class and the chrdev region.
    pub(crate) fn register() -> Result<Self> {
        // SAFETY: Called once at module init; undone by `drop`.
        to_result(unsafe { lbdx_hlb_cdev_init() })?;
        Ok(Self(()))
    }
}

impl Drop for CdevClass {
    fn drop(&mut self) {
        // SAFETY: `register` succeeded; every device of the class is gone
        // (the HLB driver unregistered before this drops).
        unsafe { lbdx_hlb_cdev_exit() };
    }
}

/// Wakes a character device's sleepers; valid until the device is
/// removed (the data plane drops it first).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Waker(NonNull<RawCdev>);

// SAFETY: `lbdx_hlb_cdev_wake` may be called from any context and thread.
unsafe impl Send for Waker {}
// SAFETY: As above.
unsafe impl Sync for Waker {}

impl Waker {
    /// Wakes `poll` and `read` sleepers.
    pub(crate) fn wake(self) {
        // SAFETY: By the type's contract the device is not removed yet.
        unsafe { lbdx_hlb_cdev_wake(self.0.as_ptr()) };
    }
}

/// A domain's character device.
///
/// INVARIANT: `raw` was made by `lbdx_hlb_cdev_create` and not removed; its
/// `ctx` is the `DomainRun` it was made for, which its control-plane record
/// (`DomainRec::run`) keeps alive until `retire` or `kill` has called
/// `remove`.
pub(crate) struct Cdev {
    raw: NonNull<RawCdev>,
}

// SAFETY: The C device may be used and removed from any thread.
unsafe impl Send for Cdev {}
// SAFETY: As above.
unsafe impl Sync for Cdev {}

impl Cdev {
    /// Makes the node of the domain `cfg` describes, under `parent` (the
    /// HLB), opening into `run`.
    pub(crate) fn create(
        parent: &device::Device,
        run: &Arc<DomainRun>,
        cfg: &RunConfig,
    ) -> Result<Self> {
        let bdf = parent.name().to_str().map_err(|_| EINVAL)?;
        let domain = cfg.name.to_str().map_err(|_| EINVAL)?;
        let name = CString::try_from_fmt(fmt!("{bdf}:{domain}"))?;
        let node = CString::try_from_fmt(fmt!("lbdx/{bdf}/{domain}"))?;
        let mut raw = core::ptr::null_mut();
        // SAFETY: `parent` is a valid device, the strings are NUL
        // terminated and copied by the callee, `OPS` is static, and `run`
        // stays valid as `ctx` until `remove` (the caller's contract).
        to_result(unsafe {
            lbdx_hlb_cdev_create(
                core::ptr::from_ref(parent).cast_mut().cast(),
                name.as_char_ptr(),
                node.as_char_ptr(),
                cfg.uid,
                cfg.gid,
                cfg.mode,
                &OPS,
                Arc::as_ptr(run).cast_mut().cast(),
                &mut raw,
            )
        })?;
        Ok(Self {
            raw: NonNull::new(raw).ok_or(ENOMEM)?,
        })
    }

    /// The node's `struct device` (its sysfs directory holds `stats/`).
    pub(crate) fn device(&self) -> &device::Device {
        // SAFETY: The device lives at least until `remove`, which consumes
        // `self`, so it outlives this borrow.
        unsafe { device::Device::from_raw(lbdx_hlb_cdev_device(self.raw.as_ptr()).cast()) }
    }

    /// The device's waker.
    pub(crate) fn waker(&self) -> Waker {
        Waker(self.raw)
    }

    /// Removes the node and cuts users off (see `domain_cdev.c`).
    pub(crate) fn remove(self) {
        // SAFETY: By the type invariant the device is not removed yet; it
        // is not used after this.
        unsafe { lbdx_hlb_cdev_remove(self.raw.as_ptr()) };
    }
}

/// What an open file holds.
struct FileCtx {
    run: Arc<DomainRun>,
    file: u64,
}

/// # Safety
///
/// `priv_` is what `open` stored, not yet released.
unsafe fn ctx<'a>(priv_: *mut c_void) -> &'a FileCtx {
    // SAFETY: Per the function's contract.
    unsafe { &*priv_.cast::<FileCtx>() }
}

/// # Safety
///
/// Called by `domain_cdev.c` only, with the arguments its `struct
/// lbdx_hlb_cdev_ops` documents.
unsafe extern "C" fn open(ctx_: *mut c_void, out: *mut *mut c_void) -> c_int {
    // SAFETY: The C side calls this only before `remove`, so `ctx_` is the
    // `DomainRun` the data plane still holds (`Cdev::create`).
    let run: Arc<DomainRun> = unsafe { ArcBorrow::from_raw(ctx_.cast::<DomainRun>()) }.into();
    let file = match run.open() {
        Ok(f) => f,
        Err(e) => return e.to_errno(),
    };
    match KBox::new(FileCtx { run, file }, GFP_KERNEL) {
        Ok(b) => {
            // SAFETY: `out` is valid for writes (C contract).
            unsafe { *out = KBox::into_raw(b).cast() };
            0
        }
        Err(_) => ENOMEM.to_errno(),
    }
}

/// # Safety
///
/// Called by `domain_cdev.c` only, with the arguments its `struct
/// lbdx_hlb_cdev_ops` documents.
unsafe extern "C" fn release(priv_: *mut c_void) {
    // SAFETY: `priv_` came from `KBox::into_raw` in `open` and is released
    // once.
    let f = unsafe { KBox::from_raw(priv_.cast::<FileCtx>()) };
    f.run.release(f.file);
}

/// Copies `v` to user memory at `user` (`EFAULT` if it cannot be written).
fn put<T: kernel::transmute::AsBytes>(user: UserPtr, v: &T) -> Result {
    UserSlice::new(user, size_of::<T>()).writer().write(v)
}

/// A failed call changes nothing. Of the calls that copy results back,
/// `DOMAIN_INFO` changes no state (a fault is just `EFAULT`); `ATTACH`
/// writes the unchanged request back before it attaches, so a buffer that
/// cannot be written fails with `EFAULT` and nothing attached, and if the
/// copy of the result faults anyway (the buffer was made read-only in
/// between) the attach is undone. `ARM` copies nothing back. `read`
/// (below) handles its records the same way.
fn do_ioctl(f: &FileCtx, cmd: u32, arg: usize) -> Result {
    let user = UserPtr::from_addr(arg);
    match cmd {
        uapi::IOC_DOMAIN_INFO => put(user, &f.run.info()),
        uapi::IOC_ATTACH => {
            let req: uapi::PortAttach = UserSlice::new(user, size_of::<uapi::PortAttach>())
                .reader()
                .read()?;
            put(user, &req)?;
            let mut a = req;
            f.run.attach(f.file, &mut a)?;
            put(user, &a).inspect_err(|_| f.run.undo_attach(f.file, &a))
        }
        uapi::IOC_ARM => {
            let a: uapi::Arm = UserSlice::new(user, size_of::<uapi::Arm>())
                .reader()
                .read()?;
            f.run.arm(f.file, &a)
        }
        uapi::IOC_LINK | uapi::IOC_UNLINK | uapi::IOC_UNLINKS_PENDING => {
            let mut l: uapi::Link = UserSlice::new(user, size_of::<uapi::Link>())
                .reader()
                .read()?;
            let links = f.run.cfg.links.as_ref().ok_or(EOPNOTSUPP)?;
            match cmd {
                uapi::IOC_LINK if l.pending == 0 => {
                    links.link(l.port_id, l.queue_id, Some(l.priority))
                }
                uapi::IOC_UNLINK if l.pending == 0 && l.priority == 0 => {
                    links.link(l.port_id, l.queue_id, None)
                }
                uapi::IOC_UNLINKS_PENDING
                    if l.queue_id == 0 && l.priority == 0 && l.pending == 0 =>
                {
                    l.pending = links.unlinks_pending(l.port_id)?;
                    put(user, &l)
                }
                _ => Err(EINVAL),
            }
        }
        _ => Err(ENOTTY),
    }
}

/// # Safety
///
/// Called by `domain_cdev.c` only, with the arguments its `struct
/// lbdx_hlb_cdev_ops` documents.
unsafe extern "C" fn ioctl(priv_: *mut c_void, cmd: c_uint, arg: c_ulong) -> c_long {
    // SAFETY: Called on an open file (C contract).
    let f = unsafe { ctx(priv_) };
    match do_ioctl(f, cmd, arg as usize) {
        Ok(()) => 0,
        Err(e) => ioctl_err(e) as c_long,
    }
}

/// # Safety
///
/// Called by `domain_cdev.c` only, with the arguments its `struct
/// lbdx_hlb_cdev_ops` documents.
unsafe extern "C" fn mmap(
    priv_: *mut c_void,
    pgoff: c_ulong,
    pages: c_ulong,
    write: bool,
    out: *mut RawMap,
) -> c_int {
    // SAFETY: Called on an open file (C contract).
    let f = unsafe { ctx(priv_) };
    let raw = RawMap {
        kind: 0,
        writable: 0,
        phys: 0,
        cpu: core::ptr::null_mut(),
        dma: 0,
        dma_dev: core::ptr::null_mut(),
        page: core::ptr::null_mut(),
        pages,
    };
    let (Some(offset), Some(bytes)) = (
        pgoff.checked_mul(PAGE_SIZE as u64),
        (pages as usize).checked_mul(PAGE_SIZE),
    ) else {
        return EINVAL.to_errno();
    };
    let m = match f.run.mapping(f.file, offset, bytes, write) {
        Ok(m) => m,
        Err(e) => return e.to_errno(),
    };
    let raw = match m {
        Mapping::Io(phys) => RawMap {
            kind: MAP_IO,
            writable: 1,
            phys,
            ..raw
        },
        Mapping::Dma { cpu, dma } => RawMap {
            kind: MAP_DMA,
            cpu: cpu.cast(),
            dma,
            dma_dev: core::ptr::from_ref(f.run.dma_device()).cast_mut().cast(),
            ..raw
        },
        Mapping::Page(page) => RawMap {
            kind: MAP_PAGE,
            writable: 1,
            page: page.cast(),
            ..raw
        },
    };
    // SAFETY: `out` is valid for writes (C contract).
    unsafe { out.write(raw) };
    0
}

/// # Safety
///
/// Called by `domain_cdev.c` only, with the arguments its `struct
/// lbdx_hlb_cdev_ops` documents.
unsafe extern "C" fn poll(priv_: *mut c_void) -> c_uint {
    // SAFETY: Called on an open file (C contract).
    let f = unsafe { ctx(priv_) };
    f.run.poll(f.file)
}

/// # Safety
///
/// Called by `domain_cdev.c` only, with the arguments its `struct
/// lbdx_hlb_cdev_ops` documents.
unsafe extern "C" fn read(priv_: *mut c_void, buf: *mut c_char, len: usize) -> isize {
    // SAFETY: Called on an open file (C contract).
    let f = unsafe { ctx(priv_) };
    let rec = size_of::<uapi::Alert>();
    if len < rec {
        return ioctl_err(EINVAL);
    }
    let mut n = 0;
    while n + rec <= len {
        let slot = UserPtr::from_addr((buf as usize).wrapping_add(n));
        // A record goes only where it can be written: probe the slot with
        // a zeroed record first, so that a fault loses no alert.
        let probed = f
            .run
            .peek_alert(f.file)
            .and_then(|()| put(slot, &uapi::Alert::default()));
        let taken = probed.and_then(|()| f.run.take_alert(f.file));
        let done = taken.and_then(|a| {
            // The slot became unwritable since the probe: put the alert
            // back at the head of the queue.
            put(slot, &a).inspect_err(|_| f.run.untake_alert(f.file, a))
        });
        match done {
            Ok(()) => n += rec,
            // Report what was copied before, or the error.
            Err(e) if n == 0 => return ioctl_err(e),
            Err(_) => break,
        }
    }
    n as isize
}

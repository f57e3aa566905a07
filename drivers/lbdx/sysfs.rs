// SPDX-License-Identifier: GPL-2.0

//! sysfs attribute groups on a device.
//!
//! The `kernel` crate has no sysfs attribute abstraction, so the groups are
//! built by the C glue (`lbdx_glue.c`); this file is its safe face. A driver
//! implements [`AttrSource`] for the state it wants to show (and, for a
//! writable attribute, change) and keeps the returned [`AttrGroup`] no
//! longer than that state: dropping the group removes the files and waits
//! for reads and writes in flight.

use core::{ffi::c_void, fmt::Write, marker::PhantomData, ptr::NonNull};
use kernel::{device, error::to_result, page::PAGE_SIZE, prelude::*, str::Formatter};

/// Opaque group made by the C glue.
#[repr(C)]
struct RawGroup {
    _opaque: [u8; 0],
}

/// `struct lbdx_attr_ops` of `lbdx_glue.h`.
#[repr(C)]
struct RawOps {
    show: unsafe extern "C" fn(ctx: *const c_void, id: u32, buf: *mut u8) -> isize,
    store: unsafe extern "C" fn(ctx: *const c_void, id: u32, buf: *const u8, count: usize) -> isize,
    mode: unsafe extern "C" fn(ctx: *const c_void, id: u32) -> u16,
}

extern "C" {
    fn lbdx_attr_group_create(
        // `struct device *`, passed untyped: its Rust binding is not FFI-safe.
        dev: *mut c_void,
        name: *const u8,
        names: *const *const u8,
        n: u32,
        ctx: *const c_void,
        ops: *const RawOps,
        out: *mut *mut RawGroup,
    ) -> i32;
    fn lbdx_attr_group_destroy(group: *mut RawGroup);
}

/// State shown through a group of attributes.
pub(crate) trait AttrSource: Sync {
    /// Attribute names; attribute `id` is `NAMES[id]`.
    const NAMES: &'static [&'static CStr];

    /// Writes attribute `id`'s value (without the trailing newline).
    fn show(&self, id: usize, out: &mut Formatter<'_>) -> core::fmt::Result;

    /// Mode of attribute `id`'s file (`0o444`, `0o644` or `0o200`; 0: no
    /// file), asked once, when the group is made.
    fn mode(&self, _id: usize) -> u16 {
        0o444
    }

    /// A write of `value` to attribute `id` (only called for a mode that
    /// allows writes).
    fn store(&self, _id: usize, _value: &[u8]) -> Result {
        Err(EACCES)
    }
}

/// A group of attribute files reading from a `T` that lives at least `'a`.
///
/// # Invariants
///
/// `raw` is a live group made by `lbdx_attr_group_create` whose context is a
/// `&'a T`; it is destroyed exactly once, in `drop`.
pub(crate) struct AttrGroup<'a, T: AttrSource> {
    raw: NonNull<RawGroup>,
    _src: PhantomData<&'a T>,
}

// SAFETY: The group is only ever destroyed through `drop`, which the C glue
// allows from any thread; `T: Sync` makes the shared context usable from the
// readers' threads.
unsafe impl<T: AttrSource> Send for AttrGroup<'_, T> {}
// SAFETY: `AttrGroup` offers no methods taking `&self`.
unsafe impl<T: AttrSource> Sync for AttrGroup<'_, T> {}

impl<'a, T: AttrSource> AttrGroup<'a, T> {
    const OPS: RawOps = RawOps {
        show: show::<T>,
        store: store::<T>,
        mode: mode::<T>,
    };

    /// Adds the attributes of `T` to `dev`'s sysfs directory, or to its
    /// subdirectory `name`.
    ///
    /// # Safety
    ///
    /// The returned group must not be leaked (`mem::forget` or otherwise):
    /// its `drop` is what stops reads of `src`.
    pub(crate) unsafe fn new(
        dev: &device::Device,
        name: Option<&'a CStr>,
        src: &'a T,
    ) -> Result<Self> {
        let mut names = KVec::with_capacity(T::NAMES.len(), GFP_KERNEL)?;
        for n in T::NAMES {
            names.push(n.as_char_ptr().cast::<u8>(), GFP_KERNEL)?;
        }
        // The C glue keeps pointers to the names themselves (all 'static)
        // and to `name` (which lives at least `'a`), not to this array,
        // which it only reads during the call.
        let n = u32::try_from(names.len())?;
        // `device::Device` is `#[repr(transparent)]` over `struct device`.
        let raw_dev = core::ptr::from_ref(dev).cast::<c_void>().cast_mut();
        let mut raw = core::ptr::null_mut();
        // SAFETY: `dev` is a valid device; `names` holds `n` pointers to
        // NUL-terminated static strings; `name` and `src` outlive the group
        // (`'a`); `OPS` is a static whose callbacks match their types;
        // `raw` is writable.
        to_result(unsafe {
            lbdx_attr_group_create(
                raw_dev,
                name.map_or(core::ptr::null(), |s| s.as_char_ptr().cast::<u8>()),
                names.as_ptr(),
                n,
                core::ptr::from_ref(src).cast::<c_void>(),
                &Self::OPS,
                &mut raw,
            )
        })?;
        let raw = NonNull::new(raw).ok_or(ENOMEM)?;
        // INVARIANT: `raw` is a live group with context `src: &'a T`.
        Ok(Self {
            raw,
            _src: PhantomData,
        })
    }
}

impl<T: AttrSource> Drop for AttrGroup<'_, T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant `raw` is live and destroyed only here.
        unsafe { lbdx_attr_group_destroy(self.raw.as_ptr()) };
    }
}

/// Callback the C glue calls for every read.
///
/// # Safety
///
/// `ctx` must be the `&T` given to [`AttrGroup::new`], still alive, and `buf`
/// a writable buffer of `PAGE_SIZE` bytes.
unsafe extern "C" fn show<T: AttrSource>(ctx: *const c_void, id: u32, buf: *mut u8) -> isize {
    // SAFETY: By the function's safety requirements.
    let src = unsafe { &*ctx.cast::<T>() };
    // SAFETY: By the function's safety requirements.
    let page = unsafe { core::slice::from_raw_parts_mut(buf, PAGE_SIZE) };
    let mut out = Formatter::new(page);
    let id = id as usize;
    if id >= T::NAMES.len() {
        return EINVAL.to_errno() as isize;
    }
    match src.show(id, &mut out).and_then(|()| out.write_char('\n')) {
        Ok(()) => out.bytes_written() as isize,
        Err(_) => EOVERFLOW.to_errno() as isize,
    }
}

/// Callback the C glue calls for every write.
///
/// # Safety
///
/// `ctx` must be the `&T` given to [`AttrGroup::new`], still alive, and `buf`
/// valid for reading `count` bytes.
unsafe extern "C" fn store<T: AttrSource>(
    ctx: *const c_void,
    id: u32,
    buf: *const u8,
    count: usize,
) -> isize {
    // SAFETY: By the function's safety requirements.
    let src = unsafe { &*ctx.cast::<T>() };
    // SAFETY: By the function's safety requirements.
    let value = unsafe { core::slice::from_raw_parts(buf, count) };
    let id = id as usize;
    if id >= T::NAMES.len() {
        return EINVAL.to_errno() as isize;
    }
    match src.store(id, value) {
        // sysfs writes are at most a page: `count` fits.
        Ok(()) => count as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// Callback the C glue calls for every attribute when it makes the group.
///
/// # Safety
///
/// `ctx` must be the `&T` given to [`AttrGroup::new`], still alive.
unsafe extern "C" fn mode<T: AttrSource>(ctx: *const c_void, id: u32) -> u16 {
    // SAFETY: By the function's safety requirements.
    let src = unsafe { &*ctx.cast::<T>() };
    match id as usize {
        id if id < T::NAMES.len() => src.mode(id),
        _ => 0,
    }
}

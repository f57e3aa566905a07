// SPDX-License-Identifier: GPL-2.0

//! The layer's sysfs files, `/sys/kernel/lbdx_offload/`:
//!
//! ```text
//! policy                   rw  [earliest-completion] round-robin cpu-only
//!                              weighted engines-first
//! generation               ro  bumps at every (un)registration
//! cpu_yields               ro  1 while the CPU backend gives way to the
//!                              engines under earliest-completion
//! throughput_cpu_competing ro  bytes/s earliest-completion was measured
//! throughput_cpu_yielding  ro  to deliver either way (0: not yet)
//! backends/<name>/         one directory per registered backend:
//!   requests bytes errors failovers in_flight queued_bytes bandwidth
//!   health                 ro  healthy | degraded | halted | dead | disabled
//!   enabled                rw  0 takes the backend out of selection
//!   busy                   ro  refusals for now (part of failovers)
//!   weight                 rw  0..=10000, its share of the bytes under
//!                              weighted
//!   request_cost_ns        ro  the fixed cost of one request it registered
//!   drive_cost_ns          rw  0..=1000000000, the CPU time one of its
//!                              requests takes from the CPU; `auto` (the
//!                              default): as learnt
//!   drive_cost_learnt_ns   ro  that time as learnt from its requests
//! ```
//!
//! Documented in `Documentation/ABI/testing/sysfs-kernel-lbdx-offload`.
//! [`Dir`] wraps one directory of the C glue (`lbdx_kdir_*`).

use super::{
    backend_select::{BackendId, Policy},
    cpu_yield::Mode,
    drive_estimate, registry,
};
use crate::attr_value::{parse_u32, parse_u32_in};
use core::{ffi::c_void, fmt::Write, marker::PhantomData};
use kernel::{prelude::*, str::Formatter};

/// `struct lbdx_kdir` of the glue.
#[repr(C)]
pub(crate) struct RawDir {
    _private: [u8; 0],
}

type ShowFn = unsafe extern "C" fn(ctx: *const c_void, id: u32, buf: *mut u8) -> isize;
type StoreFn =
    unsafe extern "C" fn(ctx: *const c_void, id: u32, buf: *const u8, len: usize) -> isize;

extern "C" {
    fn lbdx_kdir_create(
        parent: *mut RawDir,
        name: *const u8,
        names: *const *const u8,
        writable: *const bool,
        n: u32,
        ctx: *const c_void,
        show: ShowFn,
        store: StoreFn,
        out: *mut *mut RawDir,
    ) -> i32;
    fn lbdx_kdir_destroy(dir: *mut RawDir);
}

/// What a directory's files show and accept.
pub(crate) trait Source: Sync {
    /// File names, by index.
    const NAMES: &'static [&'static CStr];
    /// Whether each file is writable.
    const WRITABLE: &'static [bool];
    /// Writes file `id`'s value (without the newline).
    fn show(&self, id: usize, out: &mut Formatter<'_>) -> Result;
    /// Takes a write of `input` to file `id`.
    fn store(&self, _id: usize, _input: &[u8]) -> Result {
        Err(EPERM)
    }
}

/// A directory in sysfs; removed on drop, after which no show or store
/// runs.
pub(crate) struct Dir<T: Source> {
    // INVARIANT: a live directory of the glue whose context is `_src`.
    raw: *mut RawDir,
    // Read by the files through the glue's context pointer.
    _src: KBox<T>,
    _p: PhantomData<T>,
}

// SAFETY: The glue's directory may be removed from any thread; `T: Sync`
// is shared with the sysfs callbacks.
unsafe impl<T: Source + Send> Send for Dir<T> {}
// SAFETY: No method takes `&self` besides accessors of `T: Sync`.
unsafe impl<T: Source + Send> Sync for Dir<T> {}

impl<T: Source> Dir<T> {
    /// Creates directory `name` under `parent` (`/sys/kernel` if `None`).
    pub(crate) fn new(parent: Option<*mut RawDir>, name: &CStr, src: T) -> Result<Self> {
        let src = KBox::new(src, GFP_KERNEL)?;
        let mut names = KVec::with_capacity(T::NAMES.len(), GFP_KERNEL)?;
        for n in T::NAMES {
            names.push(n.as_char_ptr(), GFP_KERNEL)?;
        }
        if T::WRITABLE.len() != T::NAMES.len() {
            return Err(EINVAL);
        }
        let mut raw = core::ptr::null_mut();
        // SAFETY: `names` and `WRITABLE` hold `n` entries; the names are
        // static; `src` outlives the directory (dropped after it).
        let ret = unsafe {
            lbdx_kdir_create(
                parent.unwrap_or(core::ptr::null_mut()),
                name.as_char_ptr(),
                names.as_ptr(),
                T::WRITABLE.as_ptr(),
                T::NAMES.len() as u32,
                core::ptr::from_ref::<T>(&*src).cast(),
                show::<T>,
                store::<T>,
                &mut raw,
            )
        };
        if ret < 0 {
            return Err(Error::from_errno(ret));
        }
        Ok(Self {
            raw,
            _src: src,
            _p: PhantomData,
        })
    }

    /// The directory, as a parent for others.
    pub(crate) fn raw(&self) -> *mut RawDir {
        self.raw
    }
}

impl<T: Source> Drop for Dir<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant; `_src` drops after this.
        unsafe { lbdx_kdir_destroy(self.raw) };
    }
}

/// # Safety
///
/// `ctx` must be the `T` of a live [`Dir`], `buf` a sysfs page.
unsafe extern "C" fn show<T: Source>(ctx: *const c_void, id: u32, buf: *mut u8) -> isize {
    // SAFETY: By the function's safety requirements.
    let src = unsafe { &*ctx.cast::<T>() };
    // SAFETY: By the function's safety requirements.
    let page = unsafe { core::slice::from_raw_parts_mut(buf, kernel::page::PAGE_SIZE) };
    let mut out = Formatter::new(page);
    match src
        .show(id as usize, &mut out)
        .and_then(|()| out.write_char('\n').map_err(|_| EOVERFLOW))
    {
        Ok(()) => out.bytes_written() as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// # Safety
///
/// `ctx` must be the `T` of a live [`Dir`], `buf` valid for `len` bytes.
unsafe extern "C" fn store<T: Source>(
    ctx: *const c_void,
    id: u32,
    buf: *const u8,
    len: usize,
) -> isize {
    // SAFETY: By the function's safety requirements.
    let src = unsafe { &*ctx.cast::<T>() };
    // SAFETY: By the function's safety requirements.
    let input = unsafe { core::slice::from_raw_parts(buf, len) };
    match src.store(id as usize, input) {
        Ok(()) => len as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// `/sys/kernel/lbdx_offload`.
pub(crate) struct Root;

impl Source for Root {
    const NAMES: &'static [&'static CStr] = &[
        c"policy",
        c"generation",
        c"cpu_yields",
        c"throughput_cpu_competing",
        c"throughput_cpu_yielding",
    ];
    const WRITABLE: &'static [bool] = &[true, false, false, false, false];

    fn show(&self, id: usize, out: &mut Formatter<'_>) -> Result {
        let r = match id {
            0 => {
                let current = registry::policy();
                Policy::ALL.iter().enumerate().try_for_each(|(i, p)| {
                    let sep = if i == 0 { "" } else { " " };
                    if *p == current {
                        write!(out, "{sep}[{}]", p.name())
                    } else {
                        write!(out, "{sep}{}", p.name())
                    }
                })
            }
            1 => write!(out, "{}", registry::generation()),
            2 => write!(out, "{}", u8::from(registry::cpu_yields())),
            3 => write!(out, "{}", registry::delivered(Mode::Compete)),
            4 => write!(out, "{}", registry::delivered(Mode::Yield)),
            _ => return Err(EINVAL),
        };
        r.map_err(|_| EOVERFLOW)
    }

    fn store(&self, id: usize, input: &[u8]) -> Result {
        match id {
            0 => {
                registry::set_policy(Policy::parse(input).ok_or(EINVAL)?);
                Ok(())
            }
            _ => Err(EPERM),
        }
    }
}

/// `/sys/kernel/lbdx_offload/backends`.
pub(crate) struct Backends;

impl Source for Backends {
    const NAMES: &'static [&'static CStr] = &[];
    const WRITABLE: &'static [bool] = &[];

    fn show(&self, _id: usize, _out: &mut Formatter<'_>) -> Result {
        Err(EINVAL)
    }
}

/// Largest `drive_cost_ns`: one second (fits `u32`).
const MAX_DRIVE_COST_NS: u32 = drive_estimate::MAX_NS as u32;

/// `/sys/kernel/lbdx_offload/backends/<name>`.
pub(crate) struct BackendDir {
    /// The backend it shows.
    pub(crate) id: BackendId,
}

impl Source for BackendDir {
    const NAMES: &'static [&'static CStr] = &[
        c"requests",
        c"bytes",
        c"errors",
        c"failovers",
        c"in_flight",
        c"queued_bytes",
        c"bandwidth",
        c"health",
        c"enabled",
        c"busy",
        c"weight",
        c"request_cost_ns",
        c"drive_cost_ns",
        c"drive_cost_learnt_ns",
    ];
    const WRITABLE: &'static [bool] = &[
        false, false, false, false, false, false, false, false, true, false, true, false, true,
        false,
    ];

    fn show(&self, id: usize, out: &mut Formatter<'_>) -> Result {
        let r = registry::report(self.id).ok_or(ENODEV)?;
        let s = &r.stats;
        match id {
            0 => write!(out, "{}", s.requests),
            1 => write!(out, "{}", s.bytes),
            2 => write!(out, "{}", s.errors),
            3 => write!(out, "{}", s.failovers),
            4 => write!(out, "{}", s.in_flight),
            5 => write!(out, "{}", r.queued),
            6 => write!(out, "{}", r.bandwidth),
            7 => write!(out, "{}", r.health),
            8 => write!(out, "{}", u8::from(r.enabled)),
            9 => write!(out, "{}", s.busy),
            10 => write!(out, "{}", r.weight),
            11 => write!(out, "{}", r.request_cost_ns),
            12 => write!(out, "{}", r.drive_cost_ns),
            13 => write!(out, "{}", r.drive_cost_learnt_ns),
            _ => return Err(EINVAL),
        }
        .map_err(|_| EOVERFLOW)
    }

    fn store(&self, id: usize, input: &[u8]) -> Result {
        match id {
            8 => registry::set_enabled(
                self.id,
                match input.strip_suffix(b"\n").unwrap_or(input) {
                    b"0" => false,
                    b"1" => true,
                    _ => return Err(EINVAL),
                },
            ),
            10 => registry::set_weight(self.id, parse_u32(input).ok_or(EINVAL)?),
            12 => registry::set_drive_cost(
                self.id,
                match input.strip_suffix(b"\n").unwrap_or(input) {
                    b"auto" => None,
                    _ => Some(u64::from(
                        parse_u32_in(input, 0, MAX_DRIVE_COST_NS).ok_or(EINVAL)?,
                    )),
                },
            ),
            _ => Err(EPERM),
        }
    }
}

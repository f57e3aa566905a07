// SPDX-License-Identifier: GPL-2.0

//! Safe wrappers over `offload_glue.c`: streaming DMA mapping, buffer and
//! context checks, the per-CPU count of call-outs, a workqueue of the
//! module's own ([`OwnedQueue`]), the kernel's `xor_gen()`, the clock, and
//! the layer lent to the dmaengine provider `lbdx_dma.ko` ([`DmaLend`]).
//! The sysfs directories of the same glue are wrapped in `sysfs.rs`.

use core::{ffi::c_void, ptr::NonNull};
use kernel::{bindings, device::Device, prelude::*, workqueue::Queue};

/// `dev` as the C `struct device *` (`Device` wraps it transparently),
/// passed untyped: its Rust binding is not FFI-safe.
fn raw(dev: &Device) -> *mut c_void {
    core::ptr::from_ref(dev).cast::<c_void>().cast_mut()
}

extern "C" {
    fn lbdx_glue_dma_map(
        dev: *mut c_void,
        va: *const c_void,
        len: usize,
        dir: Dir,
        addr: *mut u64,
    ) -> i32;
    fn lbdx_glue_dma_unmap(dev: *mut c_void, addr: u64, len: usize, dir: Dir);
    fn lbdx_glue_may_run_work() -> bool;
    fn lbdx_glue_callout_enter();
    fn lbdx_glue_callout_exit();
    fn lbdx_glue_in_callout() -> bool;
    fn lbdx_glue_admit(dst: usize, q: usize, srcs: *const usize, src_cnt: u32, len: usize) -> i32;
    fn lbdx_glue_count_inline(len: u32);
    fn lbdx_glue_inline_totals(requests: *mut u64, bytes: *mut u64);
    fn lbdx_glue_wq_alloc(name: *const kernel::ffi::c_char) -> *mut bindings::workqueue_struct;
    fn lbdx_glue_wq_flush(wq: *mut bindings::workqueue_struct);
    fn lbdx_glue_wq_destroy(wq: *mut bindings::workqueue_struct);
    fn lbdx_glue_xor_gen(dest: *mut c_void, srcs: *mut *mut c_void, src_cnt: u32, bytes: u32);
    fn lbdx_dma_pq_gen(
        p: *mut u8,
        q: *mut u8,
        srcs: *mut *mut c_void,
        coefs: *const u8,
        src_cnt: u32,
        len: usize,
        accumulate: bool,
    );
    fn lbdx_dma_pq_check(
        p: *const u8,
        q: *const u8,
        srcs: *mut *mut c_void,
        coefs: *const u8,
        src_cnt: u32,
        len: usize,
    ) -> u32;
    fn ktime_get_mono_fast_ns() -> u64;
    fn lbdx_glue_dma_attach() -> i32;
    fn lbdx_glue_dma_detach();
}

/// Which way a mapped buffer's data goes: `enum dma_data_direction`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub(super) enum Dir {
    /// The device reads and writes it (`DMA_BIDIRECTIONAL`).
    Both = 0,
    /// The device reads it (`DMA_TO_DEVICE`).
    ToDevice = 1,
    /// The device writes it (`DMA_FROM_DEVICE`).
    FromDevice = 2,
}

/// Maps `len` bytes at kernel virtual address `va` for DMA by `dev`, the
/// data going `dir`.
///
/// # Safety
///
/// `[va, va + len)` must lie in the linear map (checked by [`admit`]) and stay
/// allocated until [`dma_unmap`] of the returned address.
pub(super) unsafe fn dma_map(dev: &Device, va: usize, len: usize, dir: Dir) -> Result<u64> {
    let mut addr = 0u64;
    // SAFETY: `dev` is a valid device; the buffer is valid by the caller's
    // guarantee; `addr` is a valid place to write.
    let ret = unsafe { lbdx_glue_dma_map(raw(dev), va as *const c_void, len, dir, &mut addr) };
    if ret < 0 {
        return Err(Error::from_errno(ret));
    }
    Ok(addr)
}

/// Undoes [`dma_map`].
///
/// # Safety
///
/// `addr`, `len` and `dir` must be those of a mapping for `dev` made by
/// [`dma_map`] and not yet unmapped.
pub(super) unsafe fn dma_unmap(dev: &Device, addr: u64, len: usize, dir: Dir) {
    // SAFETY: By the function's safety requirements.
    unsafe { lbdx_glue_dma_unmap(raw(dev), addr, len, dir) }
}

/// Checks a request's buffers of `len` bytes each (`dst` and `q` 0 when
/// absent) and its submitter's context, in one call: `EINVAL` if a buffer
/// does not lie in the kernel's linear map or lies on a stack (the buffers
/// the layer accepts); else whether the submitter may run the request at
/// once in its own thread: [`may_run_work`] and no call-out under way on
/// this CPU ([`in_callout`]).
pub(super) fn admit(dst: usize, q: usize, srcs: &[usize], len: usize) -> Result<bool> {
    let n = u32::try_from(srcs.len()).map_err(|_| EINVAL)?;
    // SAFETY: `srcs` is valid for `n` addresses; only the addresses are
    // examined, never dereferenced.
    match unsafe { lbdx_glue_admit(dst, q, srcs.as_ptr(), n, len) } {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(EINVAL),
    }
}

/// Whether the current context may run a request itself: task context
/// with interrupts and bottom halves enabled.
pub(super) fn may_run_work() -> bool {
    // SAFETY: No arguments; reads the current context only.
    unsafe { lbdx_glue_may_run_work() }
}

/// Counts a request of `len` bytes the fast path ran, in this CPU's
/// counters (no atomic read-modify-write, no shared cache line).
pub(super) fn count_inline(len: u32) {
    // SAFETY: Adds to this CPU's counters only.
    unsafe { lbdx_glue_count_inline(len) }
}

/// Requests and bytes the fast path ran, summed over every CPU.
pub(super) fn inline_totals() -> (u64, u64) {
    let (mut requests, mut bytes) = (0, 0);
    // SAFETY: Both pointers are valid for a write.
    unsafe { lbdx_glue_inline_totals(&mut requests, &mut bytes) };
    (requests, bytes)
}

/// Counts a call-out of the layer on this CPU and disables preemption
/// until [`callout_exit`] (`nesting.rs`).
pub(super) fn callout_enter() {
    // SAFETY: No arguments; paired with `callout_exit` by the caller.
    unsafe { lbdx_glue_callout_enter() }
}

/// Ends the call-out [`callout_enter`] began.
pub(super) fn callout_exit() {
    // SAFETY: The caller began a call-out on this CPU (preemption has been
    // disabled since).
    unsafe { lbdx_glue_callout_exit() }
}

/// Whether a call-out of the layer is under way on this CPU.
pub(super) fn in_callout() -> bool {
    // SAFETY: No arguments; reads a per-CPU counter.
    unsafe { lbdx_glue_in_callout() }
}

/// A workqueue of this module's own (unbound, with a rescuer). Unlike a
/// system workqueue it can be waited for: [`OwnedQueue::flush`] and its
/// drop return only once every work item queued on it has returned, so no
/// code of the module runs on it afterwards.
pub(super) struct OwnedQueue {
    // INVARIANT: A workqueue from `lbdx_glue_wq_alloc`, destroyed on drop.
    wq: NonNull<bindings::workqueue_struct>,
}

// SAFETY: Workqueues may be used and destroyed from any thread.
unsafe impl Send for OwnedQueue {}
// SAFETY: Queueing and flushing are thread-safe.
unsafe impl Sync for OwnedQueue {}

impl OwnedQueue {
    /// A new workqueue named `name` (process context).
    pub(super) fn new(name: &CStr) -> Result<Self> {
        // SAFETY: `name` is NUL-terminated; the workqueue copies it.
        let wq = unsafe { lbdx_glue_wq_alloc(name.as_char_ptr()) };
        Ok(Self {
            wq: NonNull::new(wq).ok_or(ENOMEM)?,
        })
    }

    /// The queue, to queue work on.
    pub(super) fn queue(&self) -> &Queue {
        // SAFETY: By the type invariant, valid until `self` is dropped,
        // which the borrow outlives not.
        unsafe { Queue::from_raw(self.wq.as_ptr()) }
    }

    /// Sleeps until every work item queued so far has returned.
    pub(super) fn flush(&self) {
        // SAFETY: By the type invariant.
        unsafe { lbdx_glue_wq_flush(self.wq.as_ptr()) }
    }
}

impl Drop for OwnedQueue {
    fn drop(&mut self) {
        // SAFETY: By the type invariant; nothing uses it after this.
        unsafe { lbdx_glue_wq_destroy(self.wq.as_ptr()) }
    }
}

/// `dest[i] ^= srcs[0][i] ^ ... ^ srcs[n - 1][i]` for `i < bytes`, by the
/// kernel's fastest xor routine.
///
/// # Safety
///
/// [`may_run_work`] must hold; `dest` and every source must be 64-byte
/// aligned and valid for `bytes` bytes, `bytes` a non-zero multiple of 512;
/// `srcs` must not be empty.
pub(super) unsafe fn xor_gen(dest: *mut u8, srcs: &mut [*mut c_void], bytes: u32) {
    // SAFETY: By the function's safety requirements.
    unsafe { lbdx_glue_xor_gen(dest.cast(), srcs.as_mut_ptr(), srcs.len() as u32, bytes) }
}

/// RAID-6 P and Q of `srcs` with `coefs` (one each) into `p` and `q`
/// (either may be null: not computed), added to what they hold if
/// `accumulate`: `lbdx_dma_pq_gen()` of `lbdx_dma.ko`
/// (`include/linux/lbdx_dma.h`).
///
/// # Safety
///
/// Task context or [`may_run_work`]; `p` and `q` null or valid for `len`
/// bytes, every source valid for `len` bytes, no output overlapping a
/// source or the other; `coefs` as long as `srcs`.
pub(super) unsafe fn pq_gen(
    p: *mut u8,
    q: *mut u8,
    srcs: &mut [*mut c_void],
    coefs: &[u8],
    len: usize,
    accumulate: bool,
) {
    let n = srcs.len().min(coefs.len()) as u32;
    // SAFETY: By the function's safety requirements.
    unsafe { lbdx_dma_pq_gen(p, q, srcs.as_mut_ptr(), coefs.as_ptr(), n, len, accumulate) }
}

/// Which of `p` and `q` (null: not checked) differ from the P and Q of
/// `srcs` with `coefs`: `LBDX_PQ_VAL_P_BAD | LBDX_PQ_VAL_Q_BAD` bits,
/// `lbdx_dma_pq_check()` of `lbdx_dma.ko`.
///
/// # Safety
///
/// `p` and `q` null or valid for `len` bytes, every source valid for `len`
/// bytes; `coefs` as long as `srcs`.
pub(super) unsafe fn pq_check(
    p: *const u8,
    q: *const u8,
    srcs: &mut [*mut c_void],
    coefs: &[u8],
    len: usize,
) -> u32 {
    let n = srcs.len().min(coefs.len()) as u32;
    // SAFETY: By the function's safety requirements.
    unsafe { lbdx_dma_pq_check(p, q, srcs.as_mut_ptr(), coefs.as_ptr(), n, len) }
}

/// Nanoseconds of the monotonic clock.
pub(super) fn now_ns() -> u64 {
    // SAFETY: Callable from any context, NMI included.
    unsafe { ktime_get_mono_fast_ns() }
}

/// The layer lent to `lbdx_dma.ko` (`include/linux/lbdx_dma.h`): its
/// dmaengine channels send their descriptors here while this lives.
pub(super) struct DmaLend(());

impl DmaLend {
    /// Lends the layer (process context).
    pub(super) fn new() -> Result<Self> {
        // SAFETY: No arguments; process context (module init).
        kernel::error::to_result(unsafe { lbdx_glue_dma_attach() })?;
        Ok(Self(()))
    }
}

impl Drop for DmaLend {
    /// Takes the layer back: returns once no request made through it is
    /// under way (they run on the layer's backends until then).
    fn drop(&mut self) {
        // SAFETY: The layer was lent by `new`; process context (unload).
        unsafe { lbdx_glue_dma_detach() }
    }
}

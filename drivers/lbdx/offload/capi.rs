// SPDX-License-Identifier: GPL-2.0

//! The layer's C API, `include/linux/lbdx_offload.h`: consumer calls
//! (`lbdx_async_*`, `lbdx_tx_*`, `lbdx_offload_set_policy`) and backend
//! registration for C drivers (`lbdx_backend_*`). The glue exports these
//! symbols; this file checks every argument, turns C types into the
//! layer's and back, and is the only place a `struct lbdx_tx *` is made or
//! taken apart (`Arc::into_raw` / `Arc::from_raw` of a [`Req`]).

use super::{
    backend::{Backend, Desc, Event, Job, Refusal, Ticket},
    backend_select::{Caps, Op, OpSet, Policy},
    drive_estimate,
    flow::{self, Submitted},
    mapping::MAX_SRCS,
    registry,
    request::{Callback, Finish, Notify, Operands, Req},
    Outcome, Registration,
};
use kernel::ffi::{c_char, c_int, c_uint, c_void};
use kernel::{bindings, device::Device, prelude::*, sync::Arc};

/// `struct lbdx_submit`.
#[repr(C)]
pub(super) struct LbdxSubmit {
    pub(super) depend: *const Req,
    pub(super) callback: Option<Callback>,
    pub(super) callback_param: *mut c_void,
    pub(super) flags: c_uint,
}

/// `struct lbdx_job`.
#[repr(C)]
pub(super) struct LbdxJob {
    op: c_uint,
    src_cnt: c_uint,
    len: u32,
    dst: u64,
    srcs: *const u64,
    pattern: u64,
    ticket: u64,
    q: u64,
    coefs: *const u8,
    pq_flags: c_uint,
}

/// `LBDX_PQ_ACCUMULATE`.
const PQ_ACCUMULATE: c_uint = 1 << 0;

/// `struct lbdx_backend_ops`.
#[repr(C)]
pub(super) struct LbdxBackendOps {
    submit: Option<unsafe extern "C" fn(*mut c_void, *const LbdxJob) -> c_int>,
}

/// `struct lbdx_backend_desc`.
#[repr(C)]
pub(super) struct LbdxBackendDesc {
    name: *const c_char,
    dev: *mut bindings::device,
    ops_mask: u32,
    max_xor_srcs: u32,
    max_len: u32,
    align: u32,
    bandwidth: u64,
    request_cost_ns: u64,
    ops: *const LbdxBackendOps,
    priv_: *mut c_void,
}

fn err_ptr<T>(e: Error) -> *mut T {
    e.to_errno() as isize as *mut T
}

fn is_err_or_null<T>(p: *const T) -> bool {
    p.is_null() || (p as isize) < 0 && (p as isize) >= -4095
}

/// Checks the common arguments, then runs the request on the fast path
/// (CPU, in the caller's thread, no allocation) or builds it and submits it.
///
/// # Safety
///
/// `submit` is null or valid; its `depend` is null or a live request
/// handle.
#[inline(always)]
unsafe fn submit_req(op: Op, len: usize, o: &Operands<'_>, submit: *const LbdxSubmit) -> *mut Req {
    // SAFETY: By the function's safety requirements.
    let s = unsafe { submit.as_ref() };
    let notify = s.and_then(|s| {
        s.callback.map(|func| Notify {
            func,
            param: s.callback_param as usize,
        })
    });
    let flags = s.map_or(0, |s| s.flags);
    let mut depend = s.map_or(core::ptr::null(), |s| s.depend);
    if !depend.is_null() && is_err_or_null(depend) {
        // An error pointer: the submission it came from failed.
        return err_ptr(EINVAL);
    }
    if done_result(depend).is_some() {
        // Completed successfully: nothing to wait for.
        depend = core::ptr::null();
    }
    // SAFETY: `depend` is a live handle (an `Arc::into_raw` of a `Req` whose
    // reference the caller holds) or null.
    let depend = (!depend.is_null()).then(|| unsafe { Arc::from_raw(depend) });
    let r = flow::start(op, len, o, flags, notify, depend.as_ref());
    // The caller's reference to `depend` stays the caller's.
    if let Some(d) = depend {
        let _ = Arc::into_raw(d);
    }
    match r {
        Ok(Submitted::Done(fin)) => done_handle(fin.result),
        Ok(Submitted::Started(req)) => Arc::into_raw(req).cast_mut(),
        Err(e) => err_ptr(e),
    }
}

/// `LBDX_TX_DONE`: the handles of requests that completed successfully on
/// the fast path are this address plus their result (0 to 3: an
/// xor-validate's answer, a P+Q-validate's two bits). No object lies
/// behind them (the page at 0 is never mapped): the header's inline
/// `lbdx_tx_wait()`, `lbdx_tx_status()` and `lbdx_tx_put()` and this file
/// ([`done_result`]) recognise them by address, so the fast path touches
/// no reference count and its consumer makes no call after submission.
const TX_DONE: usize = 0x100;

/// The handle of a fast-path request with `result`.
fn done_handle(result: u32) -> *mut Req {
    // Results are at most 3 (`Op::result_mask`).
    (TX_DONE + (result & 3) as usize) as *mut Req
}

/// The result of `tx` if it is the handle of a fast-path request
/// ([`TX_DONE`]), which completed successfully.
fn done_result(tx: *const Req) -> Option<u32> {
    let i = (tx as usize).wrapping_sub(TX_DONE);
    (i < 4).then_some(i as u32)
}

/// Collects `src_cnt` source pointers from `srcs`: `min` to
/// `LBDX_MAX_XOR_SRCS` of them, none null.
///
/// # Safety
///
/// `srcs` is null or valid for `src_cnt` pointers.
unsafe fn sources(srcs: *const *mut c_void, src_cnt: c_uint, min: usize) -> Result<Sources> {
    let n = src_cnt as usize;
    if srcs.is_null() || !(min..=MAX_SRCS).contains(&n) {
        return Err(EINVAL);
    }
    // SAFETY: By the function's safety requirements.
    let s = unsafe { core::slice::from_raw_parts(srcs, n) };
    let mut v = Sources {
        addrs: [0; MAX_SRCS],
        n,
    };
    for (a, p) in v.addrs.iter_mut().zip(s) {
        if p.is_null() {
            return Err(EINVAL);
        }
        *a = *p as usize;
    }
    Ok(v)
}

/// Source addresses of an xor, on the stack.
struct Sources {
    addrs: [usize; MAX_SRCS],
    n: usize,
}

impl Sources {
    fn as_slice(&self) -> &[usize] {
        self.addrs.get(..self.n).unwrap_or(&[])
    }
}

/// `lbdx_async_memcpy()`.
///
/// # Safety
///
/// As the header says: linear-map buffers of `len` bytes kept until
/// completion; `submit` null or valid.
#[no_mangle]
pub(super) unsafe extern "C" fn lbdx_async_memcpy(
    dst: *mut c_void,
    src: *const c_void,
    len: usize,
    submit: *const LbdxSubmit,
) -> *mut Req {
    if dst.is_null() || src.is_null() {
        return err_ptr(EINVAL);
    }
    let d = dst as usize;
    let s = src as usize;
    if d < s.saturating_add(len) && s < d.saturating_add(len) {
        return err_ptr(EINVAL);
    }
    let o = Operands {
        dst: d,
        srcs: &[s],
        ..Operands::default()
    };
    // SAFETY: Forwarded from the caller.
    unsafe { submit_req(Op::Copy, len, &o, submit) }
}

/// `lbdx_async_fill()`.
///
/// # Safety
///
/// As for [`lbdx_async_memcpy`].
#[no_mangle]
pub(super) unsafe extern "C" fn lbdx_async_fill(
    dst: *mut c_void,
    pattern: u64,
    len: usize,
    submit: *const LbdxSubmit,
) -> *mut Req {
    if dst.is_null() {
        return err_ptr(EINVAL);
    }
    let o = Operands {
        dst: dst as usize,
        pattern,
        ..Operands::default()
    };
    // SAFETY: Forwarded from the caller.
    unsafe { submit_req(Op::Fill, len, &o, submit) }
}

/// `lbdx_async_xor()`.
///
/// # Safety
///
/// As for [`lbdx_async_memcpy`]; `srcs` valid for `src_cnt` pointers.
#[no_mangle]
pub(super) unsafe extern "C" fn lbdx_async_xor(
    dst: *mut c_void,
    srcs: *const *mut c_void,
    src_cnt: c_uint,
    len: usize,
    submit: *const LbdxSubmit,
) -> *mut Req {
    // SAFETY: Forwarded from the caller.
    let v = match unsafe { sources(srcs, src_cnt, 2) } {
        Ok(v) => v,
        Err(e) => return err_ptr(e),
    };
    let d = dst as usize;
    let v = v.as_slice();
    // The destination may be the first source, and overlap no other.
    let overlaps = v
        .iter()
        .skip(1)
        .any(|s| d < s.saturating_add(len) && *s < d.saturating_add(len));
    let first_partial = v
        .first()
        .is_some_and(|s| *s != d && d < s.saturating_add(len) && *s < d.saturating_add(len));
    if dst.is_null() || overlaps || first_partial {
        return err_ptr(EINVAL);
    }
    let o = Operands {
        dst: d,
        srcs: v,
        ..Operands::default()
    };
    // SAFETY: Forwarded from the caller.
    unsafe { submit_req(Op::Xor, len, &o, submit) }
}

/// `lbdx_async_xor_val()`.
///
/// # Safety
///
/// As for [`lbdx_async_xor`].
#[no_mangle]
pub(super) unsafe extern "C" fn lbdx_async_xor_val(
    srcs: *const *mut c_void,
    src_cnt: c_uint,
    len: usize,
    submit: *const LbdxSubmit,
) -> *mut Req {
    // SAFETY: Forwarded from the caller.
    match unsafe { sources(srcs, src_cnt, 2) } {
        Ok(v) => {
            let o = Operands {
                srcs: v.as_slice(),
                ..Operands::default()
            };
            // SAFETY: Forwarded from the caller.
            unsafe { submit_req(Op::XorVal, len, &o, submit) }
        }
        Err(e) => err_ptr(e),
    }
}

/// The P+Q operands of `lbdx_async_pq()` and `lbdx_async_pq_val()`,
/// checked: a coefficient per source, P or Q or both; for a P+Q (`writes`),
/// no output overlapping a source or the other output.
///
/// # Safety
///
/// `coefs` null or valid for `v.n` bytes, for `'a`.
unsafe fn pq_operands<'a>(
    p: usize,
    q: usize,
    v: &'a Sources,
    coefs: *const u8,
    len: usize,
    writes: bool,
) -> Result<Operands<'a>> {
    if coefs.is_null() || (p | q) == 0 {
        return Err(EINVAL);
    }
    let overlap = |a: usize, b: usize| {
        a != 0 && b != 0 && a < b.saturating_add(len) && b < a.saturating_add(len)
    };
    let srcs = v.as_slice();
    if writes && (overlap(p, q) || srcs.iter().any(|s| overlap(p, *s) || overlap(q, *s))) {
        return Err(EINVAL);
    }
    Ok(Operands {
        dst: p,
        q,
        srcs,
        // SAFETY: By the function's safety requirements.
        coefs: unsafe { core::slice::from_raw_parts(coefs, srcs.len()) },
        ..Operands::default()
    })
}

/// `lbdx_async_pq()`.
///
/// # Safety
///
/// As for [`lbdx_async_memcpy`]; `srcs` valid for `src_cnt` pointers and
/// `coefs` for `src_cnt` bytes.
#[no_mangle]
pub(super) unsafe extern "C" fn lbdx_async_pq(
    p: *mut c_void,
    q: *mut c_void,
    srcs: *const *mut c_void,
    coefs: *const u8,
    src_cnt: c_uint,
    len: usize,
    pq_flags: c_uint,
    submit: *const LbdxSubmit,
) -> *mut Req {
    if pq_flags & !PQ_ACCUMULATE != 0 {
        return err_ptr(EINVAL);
    }
    // SAFETY: Forwarded from the caller.
    let v = match unsafe { sources(srcs, src_cnt, 1) } {
        Ok(v) => v,
        Err(e) => return err_ptr(e),
    };
    // SAFETY: Forwarded from the caller.
    let o = unsafe { pq_operands(p as usize, q as usize, &v, coefs, len, true) };
    match o {
        Ok(o) => {
            let o = Operands {
                accumulate: pq_flags & PQ_ACCUMULATE != 0,
                ..o
            };
            // SAFETY: Forwarded from the caller.
            unsafe { submit_req(Op::Pq, len, &o, submit) }
        }
        Err(e) => err_ptr(e),
    }
}

/// `lbdx_async_pq_val()`.
///
/// # Safety
///
/// As for [`lbdx_async_pq`].
#[no_mangle]
pub(super) unsafe extern "C" fn lbdx_async_pq_val(
    p: *const c_void,
    q: *const c_void,
    srcs: *const *mut c_void,
    coefs: *const u8,
    src_cnt: c_uint,
    len: usize,
    submit: *const LbdxSubmit,
) -> *mut Req {
    // SAFETY: Forwarded from the caller.
    let v = match unsafe { sources(srcs, src_cnt, 1) } {
        Ok(v) => v,
        Err(e) => return err_ptr(e),
    };
    // SAFETY: Forwarded from the caller.
    let o = unsafe { pq_operands(p as usize, q as usize, &v, coefs, len, false) };
    match o {
        // SAFETY: Forwarded from the caller.
        Ok(o) => unsafe { submit_req(Op::PqVal, len, &o, submit) },
        Err(e) => err_ptr(e),
    }
}

/// # Safety
///
/// `tx` is null, an error pointer or a live handle.
unsafe fn handle<'a>(tx: *const Req) -> Option<&'a Req> {
    if is_err_or_null(tx) {
        return None;
    }
    // SAFETY: A live handle holds a reference.
    Some(unsafe { &*tx })
}

/// `lbdx_tx_wait()` of a handle the header did not recognise as
/// [`TX_DONE`].
///
/// # Safety
///
/// `tx` a live handle; `result` null or valid. Process context.
#[no_mangle]
pub(super) unsafe extern "C" fn __lbdx_tx_wait(tx: *const Req, result: *mut u32) -> c_int {
    let fin = match done_result(tx) {
        Some(result) => Finish { status: 0, result },
        // SAFETY: By the function's safety requirements.
        None => match unsafe { handle(tx) } {
            Some(req) => req.wait(),
            None => return EINVAL.to_errno(),
        },
    };
    if !result.is_null() {
        // SAFETY: By the function's safety requirements.
        unsafe { *result = fin.result };
    }
    fin.status
}

/// `lbdx_tx_status()` of a handle the header did not recognise as
/// [`TX_DONE`].
///
/// # Safety
///
/// `tx` a live handle.
#[no_mangle]
pub(super) unsafe extern "C" fn __lbdx_tx_status(tx: *const Req) -> c_int {
    if done_result(tx).is_some() {
        return 0;
    }
    // SAFETY: By the function's safety requirements.
    match unsafe { handle(tx) } {
        Some(req) => req.finished().map_or(EINPROGRESS.to_errno(), |f| f.status),
        None => EINVAL.to_errno(),
    }
}

/// `lbdx_tx_put()` of a handle the header did not recognise as
/// [`TX_DONE`].
///
/// # Safety
///
/// `tx` null, an error pointer, or a live handle whose reference the caller
/// gives up.
#[no_mangle]
pub(super) unsafe extern "C" fn __lbdx_tx_put(tx: *const Req) {
    // A handle of the fast path holds no reference.
    if !is_err_or_null(tx) && done_result(tx).is_none() {
        // SAFETY: By the function's safety requirements.
        drop(unsafe { Arc::from_raw(tx) });
    }
}

/// `lbdx_offload_set_policy()`.
///
/// # Safety
///
/// `name` null or a NUL-terminated string.
#[no_mangle]
pub(super) unsafe extern "C" fn lbdx_offload_set_policy(name: *const c_char) -> c_int {
    if name.is_null() {
        return EINVAL.to_errno();
    }
    // SAFETY: By the function's safety requirements.
    let name = unsafe { CStr::from_char_ptr(name) };
    match Policy::parse(name.to_bytes()) {
        Some(p) => {
            registry::set_policy(p);
            0
        }
        None => EINVAL.to_errno(),
    }
}

/// A backend registered from C: its ops table.
struct CBackend {
    submit: unsafe extern "C" fn(*mut c_void, *const LbdxJob) -> c_int,
    priv_: usize,
}

impl Backend for CBackend {
    fn submit(&self, job: &Job<'_>) -> Result<(), Refusal> {
        let c = LbdxJob {
            op: job.op.index() as c_uint,
            src_cnt: job.srcs.len() as c_uint,
            len: job.len,
            dst: job.dst,
            srcs: job.srcs.as_ptr(),
            pattern: job.pattern,
            ticket: job.ticket.0,
            q: job.q,
            coefs: if job.op.is_pq() {
                job.coefs.as_ptr()
            } else {
                core::ptr::null()
            },
            pq_flags: if job.accumulate { PQ_ACCUMULATE } else { 0 },
        };
        // SAFETY: The driver registered this function for `priv_`; `c` is
        // valid for the call.
        match unsafe { (self.submit)(self.priv_ as *mut c_void, &c) } {
            0 => Ok(()),
            e if e == EBUSY.to_errno() => Err(Refusal::Busy),
            _ => Err(Refusal::Gone),
        }
    }
}

/// Checks a C descriptor and turns it into the layer's.
///
/// # Safety
///
/// `d` valid; its pointers null or valid.
unsafe fn c_desc(d: &LbdxBackendDesc) -> Result<(Desc, CBackend)> {
    // SAFETY: By the function's safety requirements.
    let ops = unsafe { d.ops.as_ref() }.ok_or(EINVAL)?;
    let submit = ops.submit.ok_or(EINVAL)?;
    let with_sources = Op::ALL
        .iter()
        .filter(|op| op.has_sources())
        .fold(0u32, |m, op| m | u32::from(op.bit()));
    if d.name.is_null()
        || d.ops_mask == 0
        || d.ops_mask & !u32::from(OpSet::ALL.0) != 0
        || d.max_len == 0
        || d.bandwidth == 0
        || (d.align != 0 && !d.align.is_power_of_two())
        || (d.ops_mask & with_sources != 0 && !(2..=MAX_SRCS as u32).contains(&d.max_xor_srcs))
    {
        return Err(EINVAL);
    }
    // SAFETY: By the function's safety requirements.
    let name = unsafe { CStr::from_char_ptr(d.name) }.to_bytes();
    let mut n = KVec::new();
    n.extend_from_slice(name, GFP_KERNEL)?;
    let dev = if d.dev.is_null() {
        None
    } else {
        // SAFETY: A valid device; `get_device` takes a reference.
        Some(unsafe { Device::get_device(d.dev) })
    };
    let desc = Desc {
        name: n,
        dev,
        caps: Caps {
            ops: OpSet(d.ops_mask as u8),
            max_xor_sources: d.max_xor_srcs,
            max_len: d.max_len.into(),
            align: d.align,
        },
        bandwidth: d.bandwidth,
        request_cost_ns: d.request_cost_ns,
        is_cpu: false,
    };
    let b = CBackend {
        submit,
        priv_: d.priv_ as usize,
    };
    Ok((desc, b))
}

/// `lbdx_backend_register()`.
///
/// # Safety
///
/// `desc` null or valid, as the header says. Process context.
#[no_mangle]
pub(super) unsafe extern "C" fn lbdx_backend_register(
    desc: *const LbdxBackendDesc,
) -> *mut Registration {
    // SAFETY: By the function's safety requirements.
    let Some(d) = (unsafe { desc.as_ref() }) else {
        return err_ptr(EINVAL);
    };
    // SAFETY: By the function's safety requirements.
    let r = unsafe { c_desc(d) }.and_then(|(desc, b)| {
        let b: Arc<dyn Backend> = Arc::new(b, GFP_KERNEL)?;
        let reg = Registration::new(desc, b)?;
        Ok(KBox::new(reg, GFP_KERNEL)?)
    });
    match r {
        Ok(reg) => KBox::into_raw(reg),
        Err(e) => err_ptr(e),
    }
}

/// `lbdx_backend_unregister()`.
///
/// # Safety
///
/// `backend` a registration from [`lbdx_backend_register`], not used again.
#[no_mangle]
pub(super) unsafe extern "C" fn lbdx_backend_unregister(backend: *mut Registration) {
    if !is_err_or_null(backend) {
        // SAFETY: By the function's safety requirements.
        drop(unsafe { KBox::from_raw(backend) });
    }
}

/// `lbdx_backend_complete()`.
#[no_mangle]
pub(super) extern "C" fn lbdx_backend_complete(ticket: u64, status: c_int, result: u32) {
    let outcome = match status {
        0 => Outcome::Done { result },
        s if s == ETIMEDOUT.to_errno() => Outcome::TimedOut,
        s if s == ECANCELED.to_errno() => Outcome::Aborted,
        _ => Outcome::Failed,
    };
    super::complete(Ticket(ticket), outcome);
}

/// `LBDX_BACKEND_*`, the events of `lbdx_backend_event()`.
const EVENT_HALTED: c_uint = 0;
const EVENT_RUNNING: c_uint = 1;
const EVENT_DEAD: c_uint = 2;
const EVENT_BANDWIDTH: c_uint = 3;
const EVENT_DRIVE_COST: c_uint = 4;
const EVENT_HANDLING: c_uint = 5;

/// `lbdx_backend_event()`.
///
/// # Safety
///
/// `backend` null, an error pointer or a live registration.
#[no_mangle]
pub(super) unsafe extern "C" fn lbdx_backend_event(
    backend: *const Registration,
    event: c_uint,
    arg: u64,
) -> c_int {
    let event = match (event, arg) {
        (EVENT_HALTED, 0) => Event::Halted,
        (EVENT_RUNNING, 0) => Event::Running,
        (EVENT_DEAD, 0) => Event::Dead,
        (EVENT_BANDWIDTH, bw) if bw != 0 => Event::Bandwidth(bw),
        (EVENT_DRIVE_COST, ns) if ns <= drive_estimate::MAX_NS => Event::DriveCost(ns),
        (EVENT_HANDLING, ns) if ns <= drive_estimate::MAX_NS => Event::Handling { ns, jobs: 1 },
        _ => return EINVAL.to_errno(),
    };
    if is_err_or_null(backend) {
        return EINVAL.to_errno();
    }
    // SAFETY: By the function's safety requirements, not null nor an error
    // pointer: a live registration.
    let r = unsafe { &*backend };
    r.reporter().report(event);
    0
}

// SPDX-License-Identifier: GPL-2.0

//! The CPU software backend: a backend like any other, registered as
//! `cpu`, doing copy and fill with the kernel's `memcpy()`, xor and
//! xor-validate with the kernel's fastest xor routine (`xor_gen()`, chosen
//! at boot by `lib/raid/xor`) where buffers allow, and plain word loops
//! elsewhere; P+Q and its validation with `lbdx_dma.ko`'s RAID-6 routines
//! (the kernel's `raid6_gen_syndrome()` where coefficients and buffers
//! allow, a loop over the GF(2^8) product table elsewhere).
//!
//! It runs a job in the submitter's thread when the layer allows
//! ([`Backend::run_inline`]), and otherwise on a workqueue of its own
//! (unbound, with a rescuer), one work item per job, so that it competes
//! with the engines as a device with its own queue. [`Cpu::shut_down`]
//! waits until every work item returned, so no code of the module runs on
//! that queue after it. Its bandwidth estimate starts from a calibration
//! copy at registration.

use super::{
    backend::{Backend, Job, Outcome, Refusal, Ticket},
    backend_select::Op,
    glue::{self, OwnedQueue},
    mapping::MAX_SRCS,
};
use core::{
    ffi::c_void,
    ptr,
    sync::atomic::{AtomicBool, AtomicU32, Ordering},
};
use kernel::{
    impl_has_work, new_work,
    prelude::*,
    sync::{Arc, Completion},
    time::{delay::fsleep, Delta},
    workqueue::{Work, WorkItem},
};

/// Block of `xor_gen()`: lengths must be multiples of it.
const XOR_BLOCK: usize = 512;
/// Alignment `xor_gen()` needs.
const XOR_ALIGN: u64 = 64;

/// The CPU backend.
pub(crate) struct Cpu {
    queue: OwnedQueue,
    closed: AtomicBool,
    // Calls of `submit` under way: `shut_down` waits for them.
    submitting: AtomicU32,
}

impl Cpu {
    /// A CPU backend (process context).
    pub(crate) fn new() -> Result<Arc<Self>> {
        Ok(Arc::new(
            Self {
                queue: OwnedQueue::new(c"lbdx_cpu")?,
                closed: AtomicBool::new(false),
                submitting: AtomicU32::new(0),
            },
            GFP_KERNEL,
        )?)
    }

    /// Refuses new jobs, waits for the submissions under way, then until
    /// every queued job ran and its work item returned (process context):
    /// after this, no work item of this backend is left and none runs.
    pub(crate) fn shut_down(&self) {
        self.closed.store(true, Ordering::SeqCst);
        while self.submitting.load(Ordering::SeqCst) != 0 {
            fsleep(Delta::from_micros(10));
        }
        self.queue.flush();
    }

    /// Nanoseconds from queueing a work item on this backend's workqueue
    /// to a thread waiting for it waking up: the fixed cost of a job this
    /// backend does not run inline. The least of a few tries; `None` if it
    /// cannot be measured. Its work items are waited for by
    /// [`Cpu::shut_down`] like jobs.
    pub(crate) fn measure_handoff(&self) -> Option<u64> {
        const TRIES: usize = 8;
        let mut best = u64::MAX;
        for _ in 0..TRIES {
            let done = Arc::pin_init(Completion::new(), GFP_KERNEL).ok()?;
            let signal = done.clone();
            let start = glue::now_ns();
            self.queue
                .queue()
                .try_spawn(GFP_KERNEL, move || signal.complete_all())
                .ok()?;
            done.wait_for_completion();
            best = best.min(glue::now_ns().saturating_sub(start));
        }
        Some(best)
    }

    /// Bytes per second of `memcpy()` here, measured by copying a 64 KiB
    /// buffer a few times; `None` if it cannot be measured.
    pub(crate) fn calibrate() -> Option<u64> {
        const LEN: usize = 64 * 1024;
        const ROUNDS: u64 = 8;
        let src = KVec::<u8>::from_elem(0x5a, LEN, GFP_KERNEL).ok()?;
        let mut dst = KVec::<u8>::from_elem(0, LEN, GFP_KERNEL).ok()?;
        let start = glue::now_ns();
        for _ in 0..ROUNDS {
            dst.copy_from_slice(&src);
        }
        let ns = glue::now_ns().saturating_sub(start).max(1);
        Some((LEN as u64 * ROUNDS).saturating_mul(1_000_000_000) / ns)
    }
}

/// A job the CPU backend runs on the workqueue.
#[pin_data]
struct CpuJob {
    op: Op,
    len: u32,
    dst: u64,
    q: u64,
    srcs: [u64; MAX_SRCS],
    coefs: [u8; MAX_SRCS],
    n: usize,
    pattern: u64,
    accumulate: bool,
    ticket: Ticket,
    #[pin]
    work: Work<CpuJob>,
}

impl_has_work! {
    impl HasWork<Self> for CpuJob { self.work }
}

impl WorkItem for CpuJob {
    type Pointer = Arc<CpuJob>;

    fn run(this: Arc<CpuJob>) {
        let job = Job {
            op: this.op,
            len: this.len,
            dst: this.dst,
            q: this.q,
            srcs: this.srcs.get(..this.n).unwrap_or(&[]),
            coefs: if this.op.is_pq() {
                this.coefs.get(..this.n).unwrap_or(&[])
            } else {
                &[]
            },
            pattern: this.pattern,
            accumulate: this.accumulate,
            ticket: this.ticket,
        };
        // SAFETY: The layer gave these addresses in a job of this backend,
        // which takes kernel virtual addresses; the buffers stay valid
        // until the job is reported, below.
        let outcome = unsafe { execute(&job) };
        super::complete(this.ticket, outcome);
    }
}

impl Backend for Cpu {
    fn submit(&self, job: &Job<'_>) -> Result<(), Refusal> {
        // Counted before `closed` is read: `shut_down` sets `closed`, then
        // waits for the count, so a job it does not see refused is queued
        // before it flushes.
        self.submitting.fetch_add(1, Ordering::SeqCst);
        let r = self.queue_job(job);
        self.submitting.fetch_sub(1, Ordering::SeqCst);
        r
    }

    fn run_inline(&self, job: &Job<'_>) -> Option<Outcome> {
        // SAFETY: As in `CpuJob::run`; the layer calls this only with a
        // job of this backend, before the job is reported.
        Some(unsafe { execute(job) })
    }
}

impl Cpu {
    /// Queues `job` on the workqueue, unless shutting down.
    fn queue_job(&self, job: &Job<'_>) -> Result<(), Refusal> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(Refusal::Gone);
        }
        let mut srcs = [0u64; MAX_SRCS];
        let n = job.srcs.len().min(MAX_SRCS);
        srcs[..n].copy_from_slice(&job.srcs[..n]);
        let mut coefs = [0u8; MAX_SRCS];
        for (d, c) in coefs.iter_mut().zip(job.coefs) {
            *d = *c;
        }
        let item = Arc::pin_init(
            pin_init!(CpuJob {
                op: job.op,
                len: job.len,
                dst: job.dst,
                q: job.q,
                srcs,
                coefs,
                n,
                pattern: job.pattern,
                accumulate: job.accumulate,
                ticket: job.ticket,
                work <- new_work!("lbdx_offload::CpuJob::work"),
            }),
            GFP_ATOMIC,
        )
        .map_err(|_| Refusal::Busy)?;
        // A fresh item cannot be queued already.
        let _ = self.queue.queue().enqueue(item);
        Ok(())
    }
}

/// Runs one job (its ticket is not used). A copy is inlined where the job
/// is run (the fast path's copy then costs a single call, to `memcpy()`);
/// the other operations are not.
///
/// # Safety
///
/// The job's destination, P and Q (those not 0) and every source must be
/// kernel virtual addresses of `len` valid bytes; an output must not
/// overlap a source except by being equal to the first one (xor), nor
/// another output.
#[inline(always)]
pub(super) unsafe fn execute(job: &Job<'_>) -> Outcome {
    if job.op != Op::Copy {
        // SAFETY: By the function's safety requirements.
        return unsafe { execute_other(job) };
    }
    match job.srcs.first() {
        Some(&src) if src != 0 => {
            // SAFETY: By the function's safety requirements.
            unsafe {
                ptr::copy_nonoverlapping(
                    src as usize as *const u8,
                    job.dst as usize as *mut u8,
                    job.len as usize,
                )
            };
            Outcome::Done { result: 0 }
        }
        _ => Outcome::Failed,
    }
}

/// [`execute`] of any operation but a copy.
///
/// # Safety
///
/// As for [`execute`].
#[inline(never)]
unsafe fn execute_other(job: &Job<'_>) -> Outcome {
    let (len, srcs) = (job.len as usize, job.srcs);
    let d = job.dst as usize as *mut u8;
    match job.op {
        // Run by `execute`.
        Op::Copy => return Outcome::Failed,
        // SAFETY: By the function's safety requirements.
        Op::Fill => unsafe { fill(d, len, job.pattern) },
        Op::Xor => {
            if srcs.len() < 2 {
                return Outcome::Failed;
            }
            // SAFETY: By the function's safety requirements.
            unsafe { xor(d, srcs, len) };
        }
        Op::XorVal => {
            if srcs.len() < 2 {
                return Outcome::Failed;
            }
            // SAFETY: By the function's safety requirements.
            let nonzero = unsafe { xor_nonzero(srcs, len) };
            return Outcome::Done {
                result: u32::from(nonzero),
            };
        }
        Op::Pq | Op::PqVal => {
            if srcs.is_empty() || job.coefs.len() != srcs.len() || (job.dst | job.q) == 0 {
                return Outcome::Failed;
            }
            let mut ptrs = [ptr::null_mut::<c_void>(); MAX_SRCS];
            for (p, a) in ptrs.iter_mut().zip(srcs) {
                *p = *a as usize as *mut c_void;
            }
            let ptrs = &mut ptrs[..srcs.len()];
            let (p, q) = (job.dst as usize as *mut u8, job.q as usize as *mut u8);
            if job.op == Op::PqVal {
                // SAFETY: By the function's safety requirements.
                let result = unsafe { glue::pq_check(p, q, ptrs, job.coefs, len) };
                return Outcome::Done { result };
            }
            // SAFETY: By the function's safety requirements; the layer
            // runs jobs in task context or checked `may_run_work()`.
            unsafe { glue::pq_gen(p, q, ptrs, job.coefs, len, job.accumulate) };
        }
    }
    Outcome::Done { result: 0 }
}

/// Fills `len` bytes at `d` with `pattern` (little endian): one pattern,
/// then copies doubling the filled prefix.
///
/// # Safety
///
/// `d` must be valid for `len` bytes.
unsafe fn fill(d: *mut u8, len: usize, pattern: u64) {
    let bytes = pattern.to_le_bytes();
    let first = len.min(bytes.len());
    // SAFETY: `first <= len`.
    unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), d, first) };
    let mut filled = first;
    while filled < len {
        let n = filled.min(len - filled);
        // SAFETY: `[0, filled)` and `[filled, filled + n)` are disjoint parts
        // of the buffer; `filled` is a multiple of 8 here, so the pattern
        // continues.
        unsafe { ptr::copy_nonoverlapping(d, d.add(filled), n) };
        filled += n;
    }
}

/// `d[i] = s0[i] ^ ... ^ sn[i]`.
///
/// # Safety
///
/// As for [`execute`].
unsafe fn xor(d: *mut u8, srcs: &[u64], len: usize) {
    let first = srcs[0] as usize as *const u8;
    if first != d.cast_const() {
        // SAFETY: Disjoint by the safety requirements.
        unsafe { ptr::copy_nonoverlapping(first, d, len) };
    }
    let rest = &srcs[1..];
    let fast = if aligned(d as u64, rest) && glue::may_run_work() {
        len - len % XOR_BLOCK
    } else {
        0
    };
    if fast != 0 {
        let mut ptrs = [ptr::null_mut::<c_void>(); MAX_SRCS];
        for (p, a) in ptrs.iter_mut().zip(rest) {
            *p = *a as usize as *mut c_void;
        }
        // SAFETY: Aligned, in task context, `fast` a non-zero multiple of
        // 512 within the buffers.
        unsafe { glue::xor_gen(d, &mut ptrs[..rest.len()], fast as u32) };
    }
    for a in rest {
        // SAFETY: The tail `[fast, len)` of valid buffers.
        unsafe {
            xor_into(
                d.add(fast),
                (*a as usize as *const u8).add(fast),
                len - fast,
            )
        };
    }
}

/// Whether the sources xor to anything but zero, computed block by block
/// in a scratch buffer, stopping at the first non-zero block.
///
/// # Safety
///
/// As for [`execute`].
unsafe fn xor_nonzero(srcs: &[u64], len: usize) -> bool {
    #[repr(C, align(64))]
    struct Scratch([u8; XOR_BLOCK]);
    let mut scratch = Scratch([0; XOR_BLOCK]);
    let mut off = 0;
    while off < len {
        let n = XOR_BLOCK.min(len - off);
        let mut ptrs = [0u64; MAX_SRCS];
        for (p, a) in ptrs.iter_mut().zip(srcs) {
            *p = a + off as u64;
        }
        let sp = scratch.0.as_mut_ptr();
        // SAFETY: `n` bytes at `off` of valid sources into the scratch
        // block; the scratch is not a source.
        unsafe { xor(sp, &ptrs[..srcs.len()], n) };
        if scratch.0[..n].iter().any(|b| *b != 0) {
            return true;
        }
        off += n;
    }
    false
}

fn aligned(d: u64, srcs: &[u64]) -> bool {
    srcs.iter().fold(d, |a, s| a | s) % XOR_ALIGN == 0
}

/// `d[i] ^= s[i]` for `i < len`, a word at a time.
///
/// # Safety
///
/// `d` and `s` valid for `len` bytes, not overlapping unless equal.
unsafe fn xor_into(d: *mut u8, s: *const u8, len: usize) {
    const W: usize = core::mem::size_of::<u64>();
    let words = len / W;
    for i in 0..words {
        // SAFETY: Within the buffers; unaligned accesses are allowed.
        unsafe {
            let dp = d.add(i * W).cast::<u64>();
            let v = dp.read_unaligned() ^ s.add(i * W).cast::<u64>().read_unaligned();
            dp.write_unaligned(v);
        }
    }
    for i in words * W..len {
        // SAFETY: Within the buffers.
        unsafe { *d.add(i) ^= *s.add(i) };
    }
}

// SPDX-License-Identifier: GPL-2.0

//! One request of the async-offload layer as the kernel holds it: the
//! operation and its buffers (immutable), its failover state and
//! dependents (under its lock), and the completion its waiters sleep on.
//!
//! `layer.rs` drives it; `capi.rs` hands it to C as `struct lbdx_tx *`.

use super::{
    backend_select::{Op, Request},
    mapping::Mapping,
    nesting::{self, Link},
    request_state::RequestState,
};
use core::ffi::c_void;
use kernel::{
    new_spinlock_irq,
    prelude::*,
    sync::{Arc, Completion, SpinLockIrq},
};

/// A completion callback: `lbdx_callback_t`.
pub(crate) type Callback = unsafe extern "C" fn(param: *mut c_void, status: i32, result: u32);

/// Who to tell when the request completes.
pub(crate) struct Notify {
    /// The function.
    pub(crate) func: Callback,
    /// Its argument, an opaque pointer kept as an integer.
    pub(crate) param: usize,
}

impl Notify {
    /// Calls the callback with how its request ended, as a call-out
    /// (`nesting.rs`): what it submits runs once it returned.
    pub(super) fn call(&self, fin: Finish) {
        // SAFETY: The submitter gave a valid callback that may run in any
        // context but hard interrupt and NMI; the layer calls it exactly
        // once per request, through here.
        nesting::callout(|| unsafe {
            (self.func)(self.param as *mut c_void, fin.status, fin.result)
        });
    }
}

/// How a request ended: the status and result the callback and waiters see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Finish {
    /// 0, or a negative errno (`EIO`: no backend left; `ECANCELED`: its
    /// dependency failed).
    pub(crate) status: i32,
    /// When `status` is 0: the xor-validate answer (`LBDX_XOR_VAL_*`), the
    /// P+Q-validate answer (`LBDX_PQ_VAL_*` bits), 0 otherwise.
    pub(crate) result: u32,
}

/// The buffers and parameters of a request as its submitter gives them:
/// kernel virtual addresses, borrowed until the request is built.
#[derive(Clone, Copy, Default)]
pub(crate) struct Operands<'a> {
    /// Destination (copy, fill, xor), P (P+Q and its validation); 0 for
    /// none (xor-validate, P not computed or checked).
    pub(crate) dst: usize,
    /// Q (P+Q and its validation); 0 for none.
    pub(crate) q: usize,
    /// Sources: one for a copy, 2.. for xor and xor-validate, 1.. for P+Q
    /// and its validation, none for fill.
    pub(crate) srcs: &'a [usize],
    /// P+Q coefficients, one per source; empty otherwise.
    pub(crate) coefs: &'a [u8],
    /// Fill pattern.
    pub(crate) pattern: u64,
    /// P+Q: the P and Q already there are added to (read, then written).
    pub(crate) accumulate: bool,
}

/// The part of a request that changes, under [`Req::inner`].
pub(crate) struct ReqMut {
    /// Failover state; changed only with the layer lock held too.
    pub(super) state: RequestState,
    /// DMA mapping of the current attempt, if its backend needs one.
    pub(super) mapping: Option<Mapping>,
    /// Requests waiting for this one.
    pub(super) dependents: KVec<Arc<Req>>,
    /// The xor-validate answer of the successful attempt.
    pub(super) result: u32,
    /// Set once, when the request completed.
    pub(super) finished: Option<Finish>,
    /// The next request on the layer's waiting list (`Inner::waiting`).
    pub(super) wait_next: Option<Arc<Req>>,
}

/// A request.
#[pin_data]
pub(crate) struct Req {
    /// Operation.
    pub(crate) op: Op,
    /// Bytes of the destination and of each source.
    pub(crate) len: u32,
    /// Destination or P, a kernel virtual address (see [`Operands::dst`]).
    pub(crate) dst: usize,
    /// Q, a kernel virtual address, or 0.
    pub(crate) q: usize,
    /// Sources, kernel virtual addresses.
    pub(crate) srcs: KVec<usize>,
    /// P+Q coefficients, one per source; empty otherwise.
    pub(crate) coefs: KVec<u8>,
    /// Fill pattern.
    pub(crate) pattern: u64,
    /// See [`Operands::accumulate`].
    pub(crate) accumulate: bool,
    /// `LBDX_SUBMIT_*` flags.
    pub(crate) flags: u32,
    /// Completion callback.
    pub(crate) notify: Option<Notify>,
    #[pin]
    pub(super) inner: SpinLockIrq<ReqMut>,
    /// Room for one deferred step (`nesting.rs`).
    pub(super) deferred: Link,
    #[pin]
    done: Completion,
}

/// `LBDX_SUBMIT_WILL_WAIT`.
pub(crate) const SUBMIT_WILL_WAIT: u32 = 1 << 0;

impl Req {
    /// A new, pending request of `op` on `len` bytes of the buffers `o`.
    pub(crate) fn new(
        op: Op,
        len: u32,
        o: &Operands<'_>,
        flags: u32,
        notify: Option<Notify>,
    ) -> Result<Arc<Self>> {
        let addr_or = o
            .srcs
            .iter()
            .fold((o.dst | o.q) as u64, |a, s| a | *s as u64);
        let shape = Request {
            op,
            len: len.into(),
            sources: o.srcs.len() as u32,
            align: Request::align_of(addr_or),
        };
        let mut srcs = KVec::new();
        srcs.extend_from_slice(o.srcs, GFP_ATOMIC)?;
        let mut coefs = KVec::new();
        coefs.extend_from_slice(o.coefs, GFP_ATOMIC)?;
        Arc::pin_init(
            pin_init!(Self {
                op,
                len,
                dst: o.dst,
                q: o.q,
                srcs,
                coefs,
                pattern: o.pattern,
                accumulate: o.accumulate,
                flags,
                notify,
                inner <- new_spinlock_irq!(ReqMut {
                    state: RequestState::new(shape),
                    mapping: None,
                    dependents: KVec::new(),
                    result: 0,
                    finished: None,
                    wait_next: None,
                }),
                deferred: nesting::link(),
                done <- Completion::new(),
            }),
            GFP_ATOMIC,
        )
    }

    /// Completes the request: runs the callback (a call-out, see
    /// `nesting.rs`), then records `fin` and wakes the waiters. Returns the
    /// requests that waited for it. Called once.
    ///
    /// The callback runs before `fin` is recorded, so that a dependent
    /// submitted meanwhile still waits (and is returned here), and no
    /// dependent's callback can overtake this one's.
    pub(super) fn finish(&self, fin: Finish) -> KVec<Arc<Req>> {
        if let Some(n) = &self.notify {
            n.call(fin);
        }
        let dependents = {
            let mut m = self.inner.lock();
            m.finished = Some(fin);
            core::mem::take(&mut m.dependents)
        };
        self.done.complete_all();
        dependents
    }

    /// How it ended, or `None` while it runs.
    pub(crate) fn finished(&self) -> Option<Finish> {
        self.inner.lock().finished
    }

    /// Sleeps until it completed; returns how it ended.
    pub(crate) fn wait(&self) -> Finish {
        if let Some(f) = self.finished() {
            return f;
        }
        self.done.wait_for_completion();
        // `finished` is set before `done` completes.
        self.finished().unwrap_or(Finish {
            status: EIO.to_errno(),
            result: 0,
        })
    }
}

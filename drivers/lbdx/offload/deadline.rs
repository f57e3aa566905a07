// SPDX-License-Identifier: GPL-2.0

//! The layer's own deadline: an attempt that its backend has not reported
//! by its deadline (`BackendTable::deadline_ns`: 5 s plus eight times the
//! estimated time of everything queued on the backend, computed at
//! submission) is ended as timed out: a failure of the backend, failed
//! over to another one, its late report ignored (its ticket is gone). So a
//! backend that never reports cannot hang a request, nor
//! `lbdx_tx_wait()`, for ever.
//!
//! This is the last resort, far beyond a backend's own timeouts (a DXE
//! stops a stuck channel, waits for it to go quiet and reports its jobs
//! itself within about a second): the layer cannot stop a backend's work,
//! so what a backend still does to the buffers after its deadline is its
//! own fault; the contract (`lbdx_backend_ops.submit`) says so.
//!
//! One delayed work item, on the system workqueue, scans the flights every
//! 100 ms while there are any: armed by the first flight (`Inner::add_flight`,
//! under the layer's lock), it stops re-arming itself when a scan finds no
//! flight (under the same lock, so no new flight is missed). [`stop`]
//! returns once it has returned for good.

use super::{backend::Outcome, backend::Ticket, flow::complete, glue, layer::LAYER};
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};
use kernel::{
    impl_has_delayed_work, new_delayed_work,
    prelude::*,
    sync::{Arc, ArcBorrow},
    time::msecs_to_jiffies,
    workqueue::{self, DelayedWork, WorkItem},
};

/// Time between two scans, in milliseconds.
const PERIOD_MS: u32 = 100;
/// Most attempts one scan ends (the next scan takes the rest).
const PER_SCAN: usize = 32;

/// Least time an attempt may take, nanoseconds (changed only by KUnit).
static FLOOR_NS: AtomicU64 = AtomicU64::new(super::backend_select::DEADLINE_FLOOR_NS);
/// The scanner, while the layer runs; null before [`start`] and after
/// [`stop`]. Read under the layer's lock only.
static SCANNER: AtomicPtr<Scanner> = AtomicPtr::new(core::ptr::null_mut());
/// Whether the scan is queued or running (set under the layer's lock).
static ARMED: AtomicBool = AtomicBool::new(false);

/// The deadline scan.
#[pin_data]
pub(crate) struct Scanner {
    stopping: AtomicBool,
    #[pin]
    work: DelayedWork<Scanner>,
}

impl_has_delayed_work! {
    impl HasDelayedWork<Self> for Scanner { self.work }
}

/// The least time an attempt may take before the layer gives up on it.
pub(super) fn floor_ns() -> u64 {
    FLOOR_NS.load(Ordering::Relaxed)
}

/// Replaces that least time (KUnit: a deadline test must not wait 5 s).
#[cfg(CONFIG_KUNIT)]
pub(crate) fn set_floor_ns(ns: u64) -> u64 {
    FLOOR_NS.swap(ns, Ordering::Relaxed)
}

/// Starts watching deadlines (module init). The layer keeps the returned
/// reference until [`stop`].
pub(crate) fn start() -> Result<Arc<Scanner>> {
    let s = Arc::pin_init(
        pin_init!(Scanner {
            stopping: AtomicBool::new(false),
            work <- new_delayed_work!("lbdx_offload_deadline"),
        }),
        GFP_KERNEL,
    )?;
    let _guard = LAYER.lock();
    SCANNER.store(Arc::as_ptr(&s).cast_mut(), Ordering::Release);
    Ok(s)
}

/// Makes sure the scan runs within [`PERIOD_MS`]. Called under the layer's
/// lock, when a flight is added.
pub(super) fn arm() {
    if ARMED.swap(true, Ordering::AcqRel) {
        return;
    }
    let p = SCANNER.load(Ordering::Acquire);
    if p.is_null() {
        ARMED.store(false, Ordering::Release);
        return;
    }
    // SAFETY: `SCANNER` holds a pointer of an `Arc` the layer keeps until
    // `stop()`, which clears `SCANNER` under the layer's lock (held here)
    // before dropping it.
    let s: Arc<Scanner> = unsafe { ArcBorrow::from_raw(p) }.into();
    queue(s);
}

fn queue(s: Arc<Scanner>) {
    // Only `arm` (once per `ARMED`) and the scan itself queue it, so it is
    // never queued already.
    let _ = workqueue::system().enqueue_delayed(s, msecs_to_jiffies(PERIOD_MS));
}

/// Stops the scan and waits until its work function, if queued or
/// running, has returned (process context, module exit, once every
/// request ended).
pub(crate) fn stop(s: &Scanner) {
    {
        let _guard = LAYER.lock();
        SCANNER.store(core::ptr::null_mut(), Ordering::Release);
    }
    s.stopping.store(true, Ordering::Release);
    crate::work_sync::flush_until_idle(&s.work);
}

impl WorkItem for Scanner {
    type Pointer = Arc<Self>;

    fn run(this: Arc<Self>) {
        if this.stopping.load(Ordering::Acquire) {
            ARMED.store(false, Ordering::Release);
            return;
        }
        let mut late = [Ticket(0); PER_SCAN];
        let (n, more) = {
            let g = LAYER.lock();
            let (n, any) = g.expired(glue::now_ns(), &mut late);
            if !any {
                // Under the lock: the next flight arms it again.
                ARMED.store(false, Ordering::Release);
            }
            (n, any)
        };
        for t in late.iter().take(n) {
            // A report that came meanwhile took the flight: then nothing.
            complete(*t, Outcome::TimedOut);
        }
        if more {
            queue(this);
        }
    }
}

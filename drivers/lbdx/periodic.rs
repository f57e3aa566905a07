// SPDX-License-Identifier: GPL-2.0

//! A check run every few milliseconds on the unbound system workqueue:
//! the DXE watchdog (`dxe/watchdog.rs`) and a VF's look for messages of
//! its PF (`hlb/pf_mailbox.rs`). Unbound, so that a CPU spinning with
//! preemption off cannot hold it up. It ends by itself when the check says
//! so, or when stopped: [`Periodic::stop`] returns only once the work
//! function has returned, so no code of the module runs on the workqueue
//! after it (an unload may follow at once).

use core::sync::atomic::{AtomicBool, Ordering};
use kernel::{
    impl_has_delayed_work, new_delayed_work,
    prelude::*,
    sync::Arc,
    time::msecs_to_jiffies,
    workqueue::{self, DelayedWork, WorkItem},
};

/// What a [`Periodic`] runs.
pub(crate) trait Check: Send + Sync + 'static {
    /// One pass; `false` ends the series.
    fn check(&self) -> bool;
}

/// `T`'s check, every `period_ms` milliseconds.
#[pin_data]
pub(crate) struct Periodic<T: Check> {
    what: T,
    period_ms: u32,
    /// Asked to stop.
    stopping: AtomicBool,
    #[pin]
    work: DelayedWork<Periodic<T>>,
}

impl_has_delayed_work! {
    impl{T: Check} HasDelayedWork<Periodic<T>> for Periodic<T> { self.work }
}

impl<T: Check> Periodic<T> {
    /// Starts running `what`'s check every `period_ms` milliseconds, the
    /// first one period from now.
    pub(crate) fn start(what: T, period_ms: u32) -> Result<Arc<Self>> {
        let this = Arc::pin_init(
            pin_init!(Self {
                what,
                period_ms,
                stopping: AtomicBool::new(false),
                work <- new_delayed_work!("lbdx_periodic"),
            }),
            GFP_KERNEL,
        )?;
        Self::schedule(this.clone());
        Ok(this)
    }

    fn schedule(this: Arc<Self>) {
        let delay = msecs_to_jiffies(this.period_ms);
        // Only the work function queues it again, so it is never queued
        // already.
        let _ = workqueue::system_unbound().enqueue_delayed(this, delay);
    }

    /// Stops the series and waits until its work function, if queued or
    /// running, has returned. Process context; may be called more than
    /// once.
    pub(crate) fn stop(&self) {
        self.stopping.store(true, Ordering::Release);
        crate::work_sync::flush_until_idle(&self.work);
    }
}

impl<T: Check> WorkItem for Periodic<T> {
    type Pointer = Arc<Self>;

    fn run(this: Arc<Self>) {
        if this.stopping.load(Ordering::Acquire) || !this.what.check() {
            return;
        }
        Self::schedule(this);
    }
}

/// A running [`Periodic`] stopped (and waited for) when this is dropped.
pub(crate) struct Running<T: Check>(Arc<Periodic<T>>);

impl<T: Check> Running<T> {
    /// Starts `what`'s check every `period_ms` milliseconds.
    pub(crate) fn start(what: T, period_ms: u32) -> Result<Self> {
        Ok(Self(Periodic::start(what, period_ms)?))
    }

    /// Stops the series ([`Periodic::stop`]) before the drop does.
    pub(crate) fn stop(&self) {
        self.0.stop();
    }
}

impl<T: Check> Drop for Running<T> {
    fn drop(&mut self) {
        self.0.stop();
    }
}

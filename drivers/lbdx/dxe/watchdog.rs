// SPDX-License-Identifier: GPL-2.0

//! The DXE watchdog: every 100 ms, on the unbound system workqueue, one
//! [`Engine::check`] pass (stuck channels, a device that stopped
//! answering, completions no interrupt announced). Unbound, because the
//! CPU of the engine's threaded interrupt handler may be one spinning with
//! preemption off in `dma_sync_wait()` (md raid456 under its `local_lock`,
//! through `lbdx_dma`) on a job of this engine: another CPU's watchdog pass
//! reaps it within 100 ms. It ends by itself when
//! the engine is closed or dead, or when stopped: [`Watchdog::stop`]
//! returns only once the work function has returned, so no code of the
//! module runs on the workqueue after it (an unload may follow at once).

use super::engine::Engine;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::{
    impl_has_delayed_work, new_delayed_work,
    prelude::*,
    sync::Arc,
    time::msecs_to_jiffies,
    workqueue::{self, DelayedWork, WorkItem},
};

/// Time between two checks, in milliseconds.
const PERIOD_MS: u32 = 100;

/// The watchdog of one engine.
#[pin_data]
pub(crate) struct Watchdog {
    engine: Arc<Engine>,
    /// Asked to stop.
    stopping: AtomicBool,
    #[pin]
    work: DelayedWork<Watchdog>,
}

impl_has_delayed_work! {
    impl HasDelayedWork<Self> for Watchdog { self.work }
}

impl Watchdog {
    /// Starts watching `engine`.
    pub(crate) fn start(engine: Arc<Engine>) -> Result<Arc<Self>> {
        let this = Arc::pin_init(
            pin_init!(Self {
                engine,
                stopping: AtomicBool::new(false),
                work <- new_delayed_work!("lbdx_dxe_watchdog"),
            }),
            GFP_KERNEL,
        )?;
        Self::schedule(this.clone());
        Ok(this)
    }

    fn schedule(this: Arc<Self>) {
        let delay = msecs_to_jiffies(PERIOD_MS);
        // Only the watchdog queues itself, so it is never queued already.
        let _ = workqueue::system_unbound().enqueue_delayed(this, delay);
    }

    /// Stops the watchdog and waits until its work function, if queued or
    /// running, has returned. Process context; may be called more than
    /// once.
    pub(crate) fn stop(&self) {
        self.stopping.store(true, Ordering::Release);
        crate::work_sync::flush_until_idle(&self.work);
    }
}

impl WorkItem for Watchdog {
    type Pointer = Arc<Self>;

    fn run(this: Arc<Self>) {
        if this.stopping.load(Ordering::Acquire) || !this.engine.check() {
            return;
        }
        Self::schedule(this);
    }
}

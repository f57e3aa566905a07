// SPDX-License-Identifier: GPL-2.0

//! The DXE watchdog: every 100 ms, one [`Engine::check`] pass (stuck
//! channels, a device that stopped answering, completions no interrupt
//! announced), on the unbound system workqueue ([`Periodic`]): the CPU of
//! the engine's threaded interrupt handler may be one spinning with
//! preemption off in `dma_sync_wait()` (md raid456 under its `local_lock`,
//! through `lbdx_dma`) on a job of this engine, and another CPU's pass
//! reaps it within 100 ms. It ends by itself when the engine is closed or
//! dead, or when stopped.

use super::engine::Engine;
use crate::periodic::{Check, Periodic};
use kernel::{prelude::*, sync::Arc};

/// Time between two checks, in milliseconds.
const PERIOD_MS: u32 = 100;

/// The watchdog of one engine.
pub(crate) type Watchdog = Periodic<Arc<Engine>>;

impl Check for Arc<Engine> {
    fn check(&self) -> bool {
        Engine::check(self)
    }
}

/// Starts watching `engine`.
pub(crate) fn start(engine: Arc<Engine>) -> Result<Arc<Watchdog>> {
    Periodic::start(engine, PERIOD_MS)
}

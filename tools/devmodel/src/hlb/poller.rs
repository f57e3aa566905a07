// SPDX-License-Identifier: GPL-2.0

//! The polling thread of one HLB: the guest's QE stores reach the model's
//! memory without a message, so while any domain is started the thread
//! takes the QEs waiting in every window of every started domain and
//! schedules, every [`POLL_PERIOD`]. With no domain started it sleeps on
//! the device's condition variable until a start (or the device's drop)
//! wakes it.

use std::io;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::Shared;
use crate::sync::{lock, wait_timeout};

/// Time between two passes while a domain is started (the spec asks for
/// at least one pass per millisecond).
pub const POLL_PERIOD: Duration = Duration::from_micros(500);
/// Longest sleep with no domain started; a start notifies the thread, this
/// only bounds the cost of a missed wake-up.
const IDLE_PERIOD: Duration = Duration::from_secs(1);

/// Starts the thread of `shared`'s device.
pub(super) fn spawn(shared: Arc<Shared>) -> io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name(format!("{}-poll", shared.name))
        .spawn(move || run(&shared))
}

fn run(shared: &Shared) {
    loop {
        let running = shared.poll();
        let st = lock(&shared.state);
        if shared.stop.load(Ordering::Acquire) {
            break;
        }
        let period = if running || st.any_running() {
            POLL_PERIOD
        } else {
            IDLE_PERIOD
        };
        drop(wait_timeout(&shared.wake, st, period));
        if shared.stop.load(Ordering::Acquire) {
            break;
        }
    }
}

// SPDX-License-Identifier: GPL-2.0

//! Links at run time under load: a loop that takes a worker away from its
//! queue and gives it back, period after period, while other threads run
//! traffic on the domain: through the library's [`Domain::unlink`] and
//! [`Domain::link`] (LINK and UNLINK of the domain device) or the
//! simulated device's ([`LinkControl`]). What it did is its
//! [`RelinkReport`].

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::sim::SimDevice;
use crate::Domain;

/// What changes links at run time (`rte_event_port_link` and friends).
pub trait LinkControl {
    /// Links LDB queue `queue` to LDB port `port` at `priority`.
    fn link(&self, port: u8, queue: u8, priority: u8) -> io::Result<()>;
    /// Unlinks LDB queue `queue` from LDB port `port`.
    fn unlink(&self, port: u8, queue: u8) -> io::Result<()>;
    /// Unlinks of LDB port `port` still pending.
    fn unlinks_in_progress(&self, port: u8) -> io::Result<u32>;
}

impl LinkControl for Domain {
    fn link(&self, port: u8, queue: u8, priority: u8) -> io::Result<()> {
        Domain::link(self, port, queue, priority)
    }
    fn unlink(&self, port: u8, queue: u8) -> io::Result<()> {
        Domain::unlink(self, port, queue)
    }
    fn unlinks_in_progress(&self, port: u8) -> io::Result<u32> {
        Domain::unlinks_in_progress(self, port)
    }
}

impl LinkControl for SimDevice {
    fn link(&self, port: u8, queue: u8, priority: u8) -> io::Result<()> {
        SimDevice::link(self, port, queue, priority)
    }
    fn unlink(&self, port: u8, queue: u8) -> io::Result<()> {
        SimDevice::unlink(self, port, queue)
    }
    fn unlinks_in_progress(&self, port: u8) -> io::Result<u32> {
        SimDevice::unlinks_in_progress(self, port)
    }
}

/// What [`relink_until`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RelinkReport {
    /// LINK and UNLINK calls made.
    pub calls: u64,
    /// Of those, the ones refused.
    pub failed: u64,
    /// The first refusal.
    pub first_error: Option<String>,
    /// UNLINKs after which UNLINKS_PENDING reported the unlink pending.
    pub pending_seen: u64,
}

/// Unlinks each `(port, queue)` of `links`, waits `period`, links each
/// again at priority 0, and (after `period`) again, until `stop` is seen
/// after a round; so at least one round, and it ends with every link in
/// place (unless a call failed, which the report says).
pub fn relink_until(
    dom: &impl LinkControl,
    links: &[(u8, u8)],
    period: Duration,
    stop: &AtomicBool,
) -> RelinkReport {
    let mut r = RelinkReport::default();
    loop {
        for &(port, queue) in links {
            note(&mut r, dom.unlink(port, queue), "UNLINK");
            if dom.unlinks_in_progress(port).is_ok_and(|n| n > 0) {
                r.pending_seen += 1;
            }
        }
        std::thread::sleep(period);
        for &(port, queue) in links {
            note(&mut r, dom.link(port, queue, 0), "LINK");
        }
        if stop.load(Ordering::Acquire) {
            return r;
        }
        std::thread::sleep(period);
    }
}

/// Counts a call and its outcome.
fn note(r: &mut RelinkReport, res: io::Result<()>, what: &str) {
    r.calls += 1;
    if let Err(e) = res {
        r.failed += 1;
        r.first_error.get_or_insert_with(|| format!("{what}: {e}"));
    }
}

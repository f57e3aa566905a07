// SPDX-License-Identifier: GPL-2.0

//! Statistics of a started domain (ABI: `sysfs-class-lbdx_hlb`): per port,
//! per queue and for the whole domain, from the device's counters ("Data
//! plane" and, from minor version 4, "Statistics" in
//! `Documentation/hw/hlb.rst`) made 64-bit and resettable
//! (`stat_counter.rs`), and the alerts the driver routes to each port.
//!
//! A counter is read when its file is read, when the domain drains, when
//! one of its ports is taken back, and every [`FOLD_PERIOD_MS`]. Around a
//! drain or a port reset (which set the device's counters back to 0) the
//! counters concerned are *frozen*: read one last time while the device
//! holds them still, shown as they were, and told of the restart once it
//! happened, so that no read sees the 0 in between as a wrap.

use super::{domain_run::RunPort, stat_counter::Folded, uapi};
use crate::hw::hlb_regs::{self as regs, object_reg, QE_PRIORITIES, QUEUE_STRIDE};
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::{new_mutex, prelude::*, sync::Mutex};

/// How often every counter is read, so that none wraps unseen: well
/// below 2^32 events at any rate a port sustains.
pub(crate) const FOLD_PERIOD_MS: u32 = 1000;

/// A port's device counters, in [`PORT_REGS`] order.
#[derive(Clone, Copy)]
pub(crate) enum PortStat {
    /// Events enqueued (`PP_EVENTS`).
    Enqueued,
    /// CQ entries written (`CQ_WRITTEN`).
    Dequeued,
    /// QEs accepted, commands included (`PP_CONSUMED`).
    Qes,
    /// CQ interrupts raised (`CQ_IRQS`).
    Interrupts,
}

/// Register of each [`PortStat`] in a port's data-plane block.
const PORT_REGS: [usize; 4] = [
    regs::PP_EVENTS,
    regs::CQ_WRITTEN,
    regs::PP_CONSUMED,
    regs::CQ_IRQS,
];

/// A queue's device counters: events scheduled, then events entered per
/// QE priority.
const QUEUE_COUNTERS: usize = 1 + QE_PRIORITIES as usize;

/// A queue of the domain: an LDB queue or the directed queue of a DIR port.
#[derive(Clone, Copy)]
pub(crate) struct RunQueue {
    /// `uapi::PORT_LDB` (an LDB queue) or `uapi::PORT_DIR`.
    pub(crate) kind: u32,
    /// Device queue (or DIR port) number.
    pub(crate) id: u32,
}

impl RunQueue {
    /// BAR0 offset of counter `c` (0: scheduled, 1 + k: priority k).
    fn counter_reg(&self, c: usize) -> usize {
        let (block, scheduled, stats) = if self.kind == uapi::PORT_LDB {
            (
                regs::LDB_QUEUE_BASE,
                regs::LQ_SCHEDULED,
                regs::LDB_QUEUE_STATS_BASE,
            )
        } else {
            (
                regs::DIR_PORT_BASE,
                regs::DQ_SCHEDULED,
                regs::DIR_QUEUE_STATS_BASE,
            )
        };
        match c {
            0 => object_reg(block, self.id, scheduled),
            k => stats + self.id as usize * QUEUE_STRIDE + regs::qs_enqueued(k as u32 - 1),
        }
    }

    /// BAR0 offset of the queue's depth.
    pub(crate) fn depth_reg(&self) -> usize {
        if self.kind == uapi::PORT_LDB {
            object_reg(regs::LDB_QUEUE_BASE, self.id, regs::LQ_DEPTH)
        } else {
            object_reg(regs::DIR_PORT_BASE, self.id, regs::DQ_DEPTH)
        }
    }

    /// `"ldb"` or `"dir"`.
    pub(crate) fn kind_name(&self) -> &'static str {
        if self.kind == uapi::PORT_LDB {
            "ldb"
        } else {
            "dir"
        }
    }
}

/// Counters of the whole domain that are not sums over its objects.
#[derive(Clone, Copy)]
pub(crate) enum DomainStat {
    Drains,
    Reclaims,
    ReclaimDropped,
}

/// What the device-wide totals add up, per domain
/// (`dataplane::DeviceTotals`): [`PortStat`]s summed over the ports, then
/// alerts, drains and port reclaims.
pub(crate) const DEVICE_STATS: usize = 7;

struct PortBook {
    dev: [Folded; 4],
    /// Alerts at the last reset (the count itself is an atomic, bumped
    /// where alarms are routed, which may not take the book's lock).
    alerts_base: u64,
    frozen: bool,
}

struct QueueBook {
    dev: [Folded; QUEUE_COUNTERS],
    frozen: bool,
}

/// The counters, under the lock of [`RunStats`].
pub(crate) struct Book {
    ports: KVec<PortBook>,
    queues: KVec<QueueBook>,
    domain: [Folded; 3],
}

/// What [`RunStats`] counts: the domain's ports and queues, and the book.
pub(crate) struct Objects {
    ports: KVec<RunPort>,
    queues: KVec<RunQueue>,
    alerts: KVec<AtomicU64>,
    book: Book,
}

impl Objects {
    /// The objects of a domain with `ports` and LDB queues `ldb_queues`
    /// (the queues of its DIR ports follow them), counters at 0.
    pub(crate) fn new(ports: &[RunPort], ldb_queues: &[u32]) -> Result<Self> {
        let n = ports.len();
        let dir = || ports.iter().filter(|p| p.kind == uapi::PORT_DIR);
        let nq = ldb_queues.len() + dir().count();
        let mut o = Self {
            ports: KVec::with_capacity(n, GFP_KERNEL)?,
            queues: KVec::with_capacity(nq, GFP_KERNEL)?,
            alerts: KVec::with_capacity(n, GFP_KERNEL)?,
            book: Book {
                ports: KVec::with_capacity(n, GFP_KERNEL)?,
                queues: KVec::with_capacity(nq, GFP_KERNEL)?,
                domain: [Folded::default(); 3],
            },
        };
        for p in ports {
            o.ports.push(*p, GFP_KERNEL)?;
            o.alerts.push(AtomicU64::new(0), GFP_KERNEL)?;
            o.book.ports.push(
                PortBook {
                    dev: [Folded::default(); 4],
                    alerts_base: 0,
                    frozen: false,
                },
                GFP_KERNEL,
            )?;
        }
        let ldb = ldb_queues.iter().map(|&id| RunQueue {
            kind: uapi::PORT_LDB,
            id,
        });
        let dirq = dir().map(|p| RunQueue {
            kind: uapi::PORT_DIR,
            id: p.id,
        });
        for q in Iterator::chain(ldb, dirq) {
            o.queues.push(q, GFP_KERNEL)?;
            o.book.queues.push(
                QueueBook {
                    dev: [Folded::default(); QUEUE_COUNTERS],
                    frozen: false,
                },
                GFP_KERNEL,
            )?;
        }
        Ok(o)
    }
}

/// Reads a BAR0 register; `None` once the device is gone.
pub(crate) type Read<'a> = &'a dyn Fn(usize) -> Option<u32>;

/// The statistics of one started domain.
#[pin_data]
pub(crate) struct RunStats {
    ports: KVec<RunPort>,
    queues: KVec<RunQueue>,
    /// Alerts routed to each port (in `ports` order).
    alerts: KVec<AtomicU64>,
    /// The device has the minor-version-4 counters.
    has_stats: bool,
    /// This function sees its queues' counters (not a VF).
    queue_stats: bool,
    #[pin]
    book: Mutex<Book>,
}

impl PortBook {
    fn update(&mut self, rd: Read<'_>, p: &RunPort) {
        if self.frozen {
            return;
        }
        for (c, r) in self.dev.iter_mut().zip(PORT_REGS) {
            if let Some(v) = rd(p.reg(r)) {
                c.update(v);
            }
        }
    }
}

impl QueueBook {
    fn update(&mut self, rd: Read<'_>, q: &RunQueue) {
        if self.frozen {
            return;
        }
        for (i, c) in self.dev.iter_mut().enumerate() {
            if let Some(v) = rd(q.counter_reg(i)) {
                c.update(v);
            }
        }
    }
}

/// Counters `dev`, frozen, are read again (from 0 if `restarted`).
fn thaw(dev: &mut [Folded], frozen: &mut bool, restarted: bool) {
    if restarted {
        dev.iter_mut().for_each(Folded::restarted);
    }
    *frozen = false;
}

impl RunStats {
    /// Statistics of `objects`, on a device with (`has_stats`) or without
    /// the minor-version-4 counters, on a function that sees its queues'
    /// counters (`queue_stats`) or not.
    pub(crate) fn new(objects: Objects, has_stats: bool, queue_stats: bool) -> impl PinInit<Self> {
        pin_init!(Self {
            ports: objects.ports,
            queues: objects.queues,
            alerts: objects.alerts,
            has_stats,
            queue_stats,
            book <- new_mutex!(objects.book),
        })
    }

    /// Whether the device has the minor-version-4 counters.
    pub(crate) fn has_stats(&self) -> bool {
        self.has_stats
    }

    /// Whether this function sees its queues' counters.
    pub(crate) fn queue_stats(&self) -> bool {
        self.queue_stats
    }

    /// The domain's queues: its LDB queues, then its DIR ports' queues.
    pub(crate) fn queues(&self) -> &[RunQueue] {
        &self.queues
    }

    /// Counter `s` of port `i` (in the domain's port order).
    pub(crate) fn port(&self, rd: Read<'_>, i: usize, s: PortStat) -> u64 {
        let mut book = self.book.lock();
        match (book.ports.get_mut(i), self.ports.get(i)) {
            (Some(b), Some(p)) => {
                b.update(rd, p);
                b.dev[s as usize].value()
            }
            _ => 0,
        }
    }

    /// Alerts of port `i` since the last reset.
    pub(crate) fn port_alerts(&self, i: usize) -> u64 {
        let base = self.book.lock().ports.get(i).map_or(0, |b| b.alerts_base);
        self.alerts
            .get(i)
            .map_or(0, |a| a.load(Ordering::Relaxed).wrapping_sub(base))
    }

    /// An alert was routed to port `i`. Takes no lock (alarm routing holds
    /// locks a drain takes after the book's).
    pub(crate) fn alert(&self, i: usize) {
        if let Some(a) = self.alerts.get(i) {
            a.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counter `c` of queue `q` (0: scheduled, 1 + k: entered with
    /// priority k).
    pub(crate) fn queue(&self, rd: Read<'_>, q: usize, c: usize) -> u64 {
        let mut book = self.book.lock();
        match (book.queues.get_mut(q), self.queues.get(q)) {
            (Some(b), Some(queue)) => {
                b.update(rd, queue);
                b.dev.get(c).map_or(0, Folded::value)
            }
            _ => 0,
        }
    }

    /// Events that entered queue `q`, all priorities.
    pub(crate) fn queue_enqueued(&self, rd: Read<'_>, q: usize) -> u64 {
        let mut book = self.book.lock();
        match (book.queues.get_mut(q), self.queues.get(q)) {
            (Some(b), Some(queue)) => {
                b.update(rd, queue);
                b.dev[1..].iter().map(Folded::value).sum()
            }
            _ => 0,
        }
    }

    /// Sum of counter `s` over the domain's ports.
    pub(crate) fn port_sum(&self, rd: Read<'_>, s: PortStat) -> u64 {
        let mut book = self.book.lock();
        book.ports
            .iter_mut()
            .zip(self.ports.iter())
            .map(|(b, p)| {
                b.update(rd, p);
                b.dev[s as usize].value()
            })
            .sum()
    }

    /// Alerts of every port since the last reset.
    pub(crate) fn alerts(&self) -> u64 {
        (0..self.ports.len()).map(|i| self.port_alerts(i)).sum()
    }

    /// Domain counter `s` since the last reset.
    pub(crate) fn domain(&self, s: DomainStat) -> u64 {
        self.book.lock().domain[s as usize].value()
    }

    /// Adds `n` to domain counter `s`.
    pub(crate) fn add(&self, s: DomainStat, n: u64) {
        self.book.lock().domain[s as usize].add(n);
    }

    /// Reads every counter (none wraps unseen).
    pub(crate) fn fold(&self, rd: Read<'_>) {
        let mut book = self.book.lock();
        let Book { ports, queues, .. } = &mut *book;
        for (b, p) in ports.iter_mut().zip(self.ports.iter()) {
            b.update(rd, p);
        }
        for (b, q) in queues.iter_mut().zip(self.queues.iter()) {
            b.update(rd, q);
        }
    }

    /// Port `i` is stopped and about to be reset: its counters are read a
    /// last time and held until [`Self::thaw_port`].
    pub(crate) fn freeze_port(&self, rd: Read<'_>, i: usize) {
        let mut book = self.book.lock();
        if let (Some(b), Some(p)) = (book.ports.get_mut(i), self.ports.get(i)) {
            b.update(rd, p);
            b.frozen = true;
        }
    }

    /// Port `i` runs again; the device set its counters to 0 if `reset`.
    pub(crate) fn thaw_port(&self, i: usize, reset: bool) {
        if let Some(b) = self.book.lock().ports.get_mut(i) {
            thaw(&mut b.dev, &mut b.frozen, reset);
        }
    }

    /// The domain is about to stop: every counter is read a last time and
    /// held until [`Self::thaw`].
    pub(crate) fn freeze(&self, rd: Read<'_>) {
        self.fold(rd);
        let mut book = self.book.lock();
        book.ports.iter_mut().for_each(|b| b.frozen = true);
        book.queues.iter_mut().for_each(|b| b.frozen = true);
    }

    /// The domain started again (every device counter at 0 if `restarted`).
    pub(crate) fn thaw(&self, restarted: bool) {
        let mut book = self.book.lock();
        for b in book.ports.iter_mut() {
            thaw(&mut b.dev, &mut b.frozen, restarted);
        }
        for b in book.queues.iter_mut() {
            thaw(&mut b.dev, &mut b.frozen, restarted);
        }
    }

    /// Starts every counter of the domain, its ports and queues from 0.
    pub(crate) fn reset(&self, rd: Read<'_>) {
        self.fold(rd);
        let mut book = self.book.lock();
        let Book {
            ports,
            queues,
            domain,
        } = &mut *book;
        for (b, a) in ports.iter_mut().zip(self.alerts.iter()) {
            b.dev.iter_mut().for_each(Folded::reset);
            b.alerts_base = a.load(Ordering::Relaxed);
        }
        for b in queues.iter_mut() {
            b.dev.iter_mut().for_each(Folded::reset);
        }
        domain.iter_mut().for_each(Folded::reset);
    }

    /// What the device totals add up for this domain, resets ignored.
    pub(crate) fn totals(&self, rd: Read<'_>) -> [u64; DEVICE_STATS] {
        self.fold(rd);
        let book = self.book.lock();
        let sum =
            |s: PortStat| -> u64 { book.ports.iter().map(|b| b.dev[s as usize].total()).sum() };
        let alerts = self.alerts.iter().map(|a| a.load(Ordering::Relaxed)).sum();
        [
            sum(PortStat::Enqueued),
            sum(PortStat::Qes),
            sum(PortStat::Dequeued),
            sum(PortStat::Interrupts),
            alerts,
            book.domain[DomainStat::Drains as usize].total(),
            book.domain[DomainStat::Reclaims as usize].total(),
        ]
    }
}

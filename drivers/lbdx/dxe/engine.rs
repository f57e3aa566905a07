// SPDX-License-Identifier: GPL-2.0

//! A DXE engine at run time: its channels, whether it takes work and
//! where finished jobs go. Its recoveries (halted channels, channels that
//! make no progress, a device that stopped answering) are in
//! `engine/recovery.rs`.
//!
//! Life: *self-test* (probe: only the self-test submits, its jobs are
//! tallied here), *open* (the offload layer submits, jobs are reported to
//! it), then *closed* (unbind) or *dead* (the device stopped answering).
//! Closed and dead refuse every job ([`Refusal::Gone`]).

mod recovery;

use super::{
    caps::Caps,
    channel::{Channel, Finished},
};
use crate::{
    bringup::{ControlNotifier, SharedBar0},
    hw::dxe_regs as regs,
    offload::{self, Job, Outcome, Refusal},
};
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering};
use kernel::{
    device::{Bound, Device},
    pci,
    prelude::*,
    sync::{aref::ARef, Arc},
};

/// Descriptors per channel ring (fewer if the device's rings are smaller).
const RING_SLOTS: u32 = 256;
/// Most xor sources one slot holds: the offload layer's own limit.
const MAX_SRCS: u32 = 64;
/// Bandwidth assumed for an engine that states none, bytes per second.
const DEFAULT_BANDWIDTH: u64 = 16 << 30;

const SELF_TEST: u8 = 0;
const OPEN: u8 = 1;
const CLOSED: u8 = 2;
const DEAD: u8 = 3;

/// Event counters, shown in sysfs.
#[derive(Default)]
pub(crate) struct Stats {
    /// Jobs done.
    pub(crate) completed: AtomicU64,
    /// Jobs failed or timed out.
    pub(crate) failed: AtomicU64,
    /// Jobs aborted (failed over without blame).
    pub(crate) aborted: AtomicU64,
    /// Channel halts recovered.
    pub(crate) halts: AtomicU64,
    /// Channels reset because they made no progress.
    pub(crate) timeouts: AtomicU64,
    /// Device resets because a channel reset did not end in time.
    pub(crate) escalations: AtomicU64,
    /// Jobs kept, unreported, because the device could not be stopped
    /// (see `recovery.rs`, quarantine).
    pub(crate) quarantined: AtomicU64,
}

/// What the self-test's jobs came to.
#[derive(Default)]
struct Tally {
    /// Jobs finished.
    finished: AtomicU32,
    /// The first job that did not succeed: `1 << 16 | channel << 8 |
    /// status`; 0 if none.
    first_bad: AtomicU32,
    /// Bit `t` set if the job with ticket `t` (< 64) answered "non-zero"
    /// to an xor-validate.
    nonzero: AtomicU64,
}

/// A bound DXE engine.
pub(crate) struct Engine {
    dev: ARef<Device>,
    /// The same device as a PCI function, for bus-master control and
    /// function reset.
    pdev: ARef<pci::Device>,
    bar: SharedBar0,
    caps: Caps,
    channels: KVec<Pin<KBox<Channel>>>,
    /// Descriptors per ring.
    slots: u32,
    /// Jobs come from the offload layer (the self-test is over); set once.
    layer_jobs: AtomicBool,
    /// Fixed cost of one job as the self-test measured it, nanoseconds.
    job_cost_ns: AtomicU64,
    /// Descriptors ask for completion interrupts (`CAPS.INTR`).
    intr: bool,
    state: AtomicU8,
    /// The device could not be stopped when it died: its jobs and rings
    /// are kept (see `recovery.rs`).
    quarantined: AtomicBool,
    /// Tells the offload layer of halts, recoveries and death; set once the
    /// engine registered ([`Engine::link`]).
    reporter: offload::ReporterCell,
    stats: Stats,
    tally: Tally,
}

impl Engine {
    /// Allocates one ring per channel and starts every channel, in the
    /// self-test state. `vectors` is the number of MSI-X vectors: one
    /// per channel after the error vector.
    pub(crate) fn new(
        pdev: &pci::Device<Bound>,
        bar: SharedBar0,
        caps: Caps,
        vectors: usize,
    ) -> Result<Arc<Self>> {
        let dev: &Device<Bound> = pdev.as_ref();
        if vectors <= caps.channels as usize {
            dev_err!(
                dev,
                "{} channels but only {} MSI-X vectors; not binding\n",
                caps.channels,
                vectors
            );
            return Err(ENODEV);
        }
        let slots = RING_SLOTS.min(caps.max_ring_size);
        let max_srcs = if caps.ops & (regs::CAP_XOR | regs::CAP_XOR_VAL) != 0 {
            caps.max_xor_srcs.min(MAX_SRCS) as usize
        } else {
            0
        };
        let mut channels = KVec::with_capacity(caps.channels as usize, GFP_KERNEL)?;
        for c in 0..caps.channels {
            let ch = Channel::new(dev, c, slots, max_srcs, caps.quiescent)?;
            channels.push(KBox::pin_init(ch, GFP_KERNEL)?, GFP_KERNEL)?;
        }
        let bar0 = bar.access(dev)?;
        for ch in &channels {
            ch.start(bar0).inspect_err(|_| {
                dev_err!(
                    dev,
                    "channel {} not quiescent {} ms after its reset; not binding\n",
                    ch.index(),
                    regs::CH_RESET_TIMEOUT_MS
                );
            })?;
        }
        Ok(Arc::new(
            Self {
                dev: dev.into(),
                pdev: pdev.into(),
                bar,
                caps,
                channels,
                slots,
                layer_jobs: AtomicBool::new(false),
                job_cost_ns: AtomicU64::new(0),
                intr: caps.ops & regs::CAP_INTR != 0,
                state: AtomicU8::new(SELF_TEST),
                quarantined: AtomicBool::new(false),
                reporter: offload::ReporterCell::new(),
                stats: Stats::default(),
                tally: Tally::default(),
            },
            GFP_KERNEL,
        )?)
    }

    /// The engine's capabilities.
    pub(crate) fn caps(&self) -> &Caps {
        &self.caps
    }

    /// The engine's channels.
    pub(crate) fn channels(&self) -> impl Iterator<Item = &Channel> {
        self.channels.iter().map(|c| &**c)
    }

    /// Descriptors per ring.
    pub(crate) fn ring_slots(&self) -> u32 {
        self.slots
    }

    /// Most xor sources of one job.
    pub(crate) fn max_srcs(&self) -> u32 {
        self.caps.max_xor_srcs.min(MAX_SRCS)
    }

    /// Event counters.
    pub(crate) fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Throughput of the whole engine, bytes per second.
    pub(crate) fn bandwidth(&self) -> u64 {
        match self.caps.nominal_bw {
            0 => DEFAULT_BANDWIDTH,
            mib => u64::from(mib) << 20,
        }
    }

    /// The state's name, as sysfs shows it.
    pub(crate) fn state_name(&self) -> &'static str {
        match self.state.load(Ordering::Acquire) {
            SELF_TEST => "self-test",
            OPEN => "running",
            CLOSED => "stopped",
            _ => "dead",
        }
    }

    /// Whether the engine takes jobs from the offload layer.
    pub(crate) fn is_open(&self) -> bool {
        self.state.load(Ordering::Acquire) == OPEN
    }

    /// Keeps the reporter of the engine's registration with the offload
    /// layer, and reports the engine dead if it died or closed before
    /// (a death after this reports itself: `SeqCst` on both sides makes
    /// at least one of them see the other).
    pub(crate) fn link(&self, reporter: offload::Reporter) {
        self.reporter.set(reporter);
        if !matches!(self.state.load(Ordering::SeqCst), SELF_TEST | OPEN) {
            reporter.report(offload::Event::Dead);
        }
    }

    /// Fixed cost of one job as the self-test measured it, nanoseconds.
    pub(crate) fn job_cost_ns(&self) -> u64 {
        self.job_cost_ns.load(Ordering::Relaxed)
    }

    /// Ends the self-test, which measured `job_cost_ns`: from now on jobs
    /// come from, and are reported to, the offload layer.
    pub(crate) fn open(&self, job_cost_ns: u64) {
        self.job_cost_ns.store(job_cost_ns, Ordering::Relaxed);
        self.layer_jobs.store(true, Ordering::Release);
        let _ = self
            .state
            .compare_exchange(SELF_TEST, OPEN, Ordering::AcqRel, Ordering::Acquire);
    }

    /// Reports a finished job: to the self-test's tally or the layer. Jobs
    /// of the self-test all finish before [`Engine::open`]; if the engine
    /// never opens, no job came from the layer.
    fn deliver(&self, chan: u32, f: &Finished) {
        let counter = match f.outcome {
            Outcome::Done { .. } => &self.stats.completed,
            Outcome::Failed | Outcome::TimedOut => &self.stats.failed,
            Outcome::Aborted => &self.stats.aborted,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if self.layer_jobs.load(Ordering::Acquire) {
            offload::complete(f.ticket, f.outcome);
            return;
        }
        match f.outcome {
            Outcome::Done { result } => {
                if result != 0 && f.ticket.0 < 64 {
                    self.tally
                        .nonzero
                        .fetch_or(1 << f.ticket.0, Ordering::Relaxed);
                }
            }
            _ => {
                let bad = 1 << 16 | chan << 8 | u32::from(f.status);
                let _ = self.tally.first_bad.compare_exchange(
                    0,
                    bad,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                );
            }
        }
        self.tally.finished.fetch_add(1, Ordering::Release);
    }

    /// Retires and reports the jobs channel `chan` completed. Process
    /// context (the channel's interrupt thread, the watchdog).
    pub(crate) fn reap(&self, chan: usize) {
        if let Some(ch) = self.channels.get(chan) {
            ch.reap(
                |ns, jobs| self.note_handling(ns, jobs),
                |f| self.deliver(ch.index(), f),
            );
        }
    }

    /// Tells the layer the CPU time `jobs` of its jobs took to handle
    /// (the handling part of the engine's drive cost): from their
    /// interrupt to the jobs collected, not the reporting that follows.
    fn note_handling(&self, ns: u64, jobs: usize) {
        if jobs > 0 && self.layer_jobs.load(Ordering::Acquire) {
            self.reporter.report(offload::Event::Handling {
                ns,
                jobs: u32::try_from(jobs).unwrap_or(u32::MAX),
            });
        }
    }

    /// Counts a completion interrupt of channel `chan`.
    pub(crate) fn note_interrupt(&self, chan: usize) {
        if let Some(ch) = self.channels.get(chan) {
            ch.note_interrupt();
        }
    }

    /// Queues a self-test job on channel `chan`.
    pub(crate) fn submit_self_test(&self, chan: usize, job: &Job<'_>) -> Result<(), Refusal> {
        if self.state.load(Ordering::Acquire) != SELF_TEST {
            return Err(Refusal::Gone);
        }
        let ch = self.channels.get(chan).ok_or(Refusal::Gone)?;
        ch.submit(&self.bar, job, self.intr)
    }

    /// Self-test jobs finished so far, the first that failed (`(channel,
    /// status)`) and the xor-validate answers (bit per ticket).
    pub(crate) fn self_test_tally(&self) -> (u32, Option<(u32, u8)>, u64) {
        let bad = self.tally.first_bad.load(Ordering::Relaxed);
        (
            self.tally.finished.load(Ordering::Acquire),
            (bad != 0).then_some(((bad >> 8) & 0xff, bad as u8)),
            self.tally.nonzero.load(Ordering::Relaxed),
        )
    }

    /// Queues a job of the offload layer on the least occupied channel, or
    /// on any other with room.
    pub(crate) fn submit(&self, job: &Job<'_>) -> Result<(), Refusal> {
        if !self.is_open() {
            return Err(Refusal::Gone);
        }
        let n = self.channels.len();
        let start = self
            .channels
            .iter()
            .enumerate()
            .min_by_key(|(_, c)| c.occupancy())
            .map_or(0, |(i, _)| i);
        for k in 0..n {
            let Some(ch) = self.channels.get((start + k) % n) else {
                break;
            };
            match ch.submit(&self.bar, job, self.intr) {
                Err(Refusal::Busy) => continue,
                r => return r,
            }
        }
        Err(Refusal::Busy)
    }
}

impl ControlNotifier for Engine {
    fn control_causes(&self, causes: u32) {
        if causes & regs::IRQ_CAUSE_CHAN_HALT != 0 {
            self.recover_halted();
        }
    }
}

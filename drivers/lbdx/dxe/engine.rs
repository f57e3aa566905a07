// SPDX-License-Identifier: GPL-2.0

//! A DXE engine at run time: its channels, whether it takes work, where
//! finished jobs go, and its recoveries: halted channels (error vector),
//! channels that make no progress and a device that stopped answering
//! (both found by the watchdog, `watchdog.rs`).
//!
//! Life: *self-test* (probe: only the self-test submits, its jobs are
//! tallied here), *open* (the offload layer submits, jobs are reported to
//! it), then *closed* (unbind) or *dead* (the device stopped answering).
//! Closed and dead refuse every job ([`Refusal::Gone`]).

use super::{
    caps::Caps,
    channel::{Channel, Finished, Why},
};
use crate::{
    bringup::{ControlNotifier, SharedBar0},
    hw::dxe_regs as regs,
    offload::{self, Job, Outcome, Refusal},
};
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering};
use kernel::{
    device::{Bound, Device},
    io::{poll::read_poll_timeout, Io},
    pci,
    prelude::*,
    sync::{aref::ARef, Arc},
    time::Delta,
};

/// Descriptors per channel ring (fewer if the device's rings are smaller).
const RING_SLOTS: u32 = 256;
/// Most xor sources one slot holds: the offload layer's own limit.
const MAX_SRCS: u32 = 64;
/// Bandwidth assumed for an engine that states none, bytes per second.
const DEFAULT_BANDWIDTH: u64 = 16 << 30;
/// Least time a channel may hold jobs without finishing one.
const STALL_FLOOR_MS: u64 = 1000;
/// How many times the nominal transfer time of the bytes queued in the
/// whole engine a channel may wait on top of the floor.
const STALL_MARGIN: u64 = 2;

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
            let ch = KBox::pin_init(Channel::new(dev, c, slots, max_srcs)?, GFP_KERNEL)?;
            channels.push(ch, GFP_KERNEL)?;
        }
        let regs = bar.access(dev)?;
        for ch in &channels {
            ch.start(regs);
        }
        Ok(Arc::new(
            Self {
                dev: dev.into(),
                bar,
                caps,
                channels,
                slots,
                layer_jobs: AtomicBool::new(false),
                job_cost_ns: AtomicU64::new(0),
                intr: caps.ops & regs::CAP_INTR != 0,
                state: AtomicU8::new(SELF_TEST),
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
            Outcome::Done { xor_nonzero } => {
                if xor_nonzero && f.ticket.0 < 64 {
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
            ch.reap(|f| self.deliver(ch.index(), f));
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

    /// Whether recoveries may touch the device.
    fn serving(&self) -> bool {
        matches!(self.state.load(Ordering::Acquire), SELF_TEST | OPEN)
    }

    /// Recovers every halted channel: resets it, reports the job at its
    /// head failed and the rest aborted, and starts it again. Process
    /// context.
    pub(crate) fn recover_halted(&self) {
        if !self.serving() {
            return;
        }
        let Some(halted) = self
            .bar
            .try_access()
            .map(|b| b.read32(regs::HALTED_CHANNELS))
        else {
            return;
        };
        if halted == u32::MAX {
            // Not answering: the watchdog declares it dead.
            return;
        }
        for ch in self.channels() {
            if halted & (1 << ch.index()) == 0 {
                continue;
            }
            let Some(r) = ch.reset(&self.bar, Why::Halted, |f| self.deliver(ch.index(), f)) else {
                continue;
            };
            self.stats.halts.fetch_add(1, Ordering::Relaxed);
            dev_warn!(
                self.dev,
                "channel {} halted (cause {:#04x}); reset and restarted it, {} job(s) failed over (the first failed, the rest aborted)\n",
                ch.index(),
                r.cause,
                r.ended
            );
        }
    }

    /// How long a channel may hold jobs without finishing one, with
    /// `queued` bytes waiting in the whole engine: a floor of one second
    /// (emulated devices are slow) plus twice their nominal transfer time.
    fn stall_limit(&self, queued: u64) -> Delta {
        let ms = queued.saturating_mul(STALL_MARGIN * 1000) / self.bandwidth().max(1);
        Delta::from_millis(i64::try_from(STALL_FLOOR_MS.saturating_add(ms)).unwrap_or(i64::MAX))
    }

    /// One watchdog pass: declares the engine dead if the device stopped
    /// answering, retires what the interrupts have not, recovers halted
    /// channels whose interrupt was missed and resets channels stuck for
    /// longer than their limit. Returns whether to keep watching.
    pub(crate) fn check(&self) -> bool {
        if !self.serving() {
            return false;
        }
        let regs = self
            .bar
            .try_access()
            .map(|b| (b.read32(regs::ID), b.read32(regs::HALTED_CHANNELS)));
        let halted = match regs {
            Some((id, halted)) if id != u32::MAX => halted,
            _ => {
                self.die(regs.map_or(u32::MAX, |(id, _)| id));
                return false;
            }
        };
        for i in 0..self.channels.len() {
            self.reap(i);
        }
        if halted != 0 {
            self.recover_halted();
        }
        let queued = self.channels().map(|c| c.load().queued).sum();
        let limit = self.stall_limit(queued);
        for ch in self.channels() {
            let load = ch.load();
            if load.outstanding == 0 || load.waiting <= limit {
                continue;
            }
            let why = Why::Stuck(limit);
            let Some(r) = ch.reset(&self.bar, why, |f| self.deliver(ch.index(), f)) else {
                continue;
            };
            self.stats.timeouts.fetch_add(1, Ordering::Relaxed);
            dev_warn!(
                self.dev,
                "channel {} made no progress for {} ms with {} job(s), {} bytes queued; reset and restarted it, {} job(s) failed over (the first timed out, the rest aborted)\n",
                ch.index(),
                load.waiting.as_millis(),
                load.outstanding,
                load.queued,
                r.ended
            );
        }
        true
    }

    /// Takes a device that stopped answering out of service: every job is
    /// aborted and every later one refused.
    fn die(&self, id: u32) {
        let Ok(_) = self
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| {
                matches!(s, SELF_TEST | OPEN).then_some(DEAD)
            })
        else {
            return;
        };
        let aborted: usize = self
            .channels()
            .map(|ch| ch.close(|f| self.deliver(ch.index(), f)))
            .sum();
        dev_err!(
            self.dev,
            "DXE stopped answering (ID reads {:#010x}); {} job(s) aborted, engine out of service until rebound\n",
            id,
            aborted
        );
    }

    /// First step of shutdown: refuses every job from now on.
    pub(crate) fn close(&self) {
        self.state.store(CLOSED, Ordering::Release);
    }

    /// Resets the whole device, so that it no longer touches any buffer;
    /// waits up to 100 ms for the reset to end. Process context.
    pub(crate) fn reset_device(&self) {
        if let Some(b) = self.bar.try_access() {
            b.write32(regs::CTRL_RESET, regs::CTRL);
        }
        let done = read_poll_timeout(
            || Ok(self.bar.try_access().map(|b| b.read32(regs::CTRL))),
            |ctrl| ctrl.is_none_or(|c| c & regs::CTRL_RESET == 0 || c == u32::MAX),
            Delta::from_millis(1),
            Delta::from_millis(100),
        );
        if done.is_err() {
            dev_warn!(self.dev, "DXE reset did not end within 100 ms\n");
        }
    }

    /// Last step of shutdown, after [`Engine::close`] and once nothing else
    /// runs recoveries: resets the device and aborts every job still in a
    /// ring. Process context.
    pub(crate) fn quiesce(&self) {
        self.reset_device();
        for ch in self.channels() {
            ch.close(|f| self.deliver(ch.index(), f));
        }
    }
}

impl ControlNotifier for Engine {
    fn control_causes(&self, causes: u32) {
        if causes & regs::IRQ_CAUSE_CHAN_HALT != 0 {
            self.recover_halted();
        }
    }
}

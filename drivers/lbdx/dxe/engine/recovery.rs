// SPDX-License-Identifier: GPL-2.0

//! Recoveries of a DXE engine: halted channels (error vector), channels
//! that make no progress and a device that stopped answering (both found
//! by the watchdog, `watchdog.rs`), and shutdown.
//!
//! The rule throughout: a job is ended (reported to the offload layer,
//! which unmaps its buffers and fails it over) only once the device
//! cannot touch its buffers any more (`Documentation/hw/dxe.rst`,
//! "Resets"):
//!
//! - a channel reset is waited for (`channel/reset.rs`); one that does not
//!   end within `CH_RESET_TIMEOUT` escalates to a device reset, and the
//!   jobs of every channel are ended once that is over;
//! - a device that stopped answering, or whose reset does not end, is
//!   stopped first: bus mastering cleared and read back, then a
//!   function-level reset. If neither can be confirmed its jobs are
//!   quarantined: kept in the rings, unreported, their buffers left
//!   mapped, for as long as the driver is bound; and its rings are never
//!   freed.

use super::{Engine, CLOSED, DEAD, OPEN, SELF_TEST};
use crate::{
    dxe::{
        channel::{Channel, ResetResult, Why},
        pci_stop,
    },
    hw::dxe_regs as regs,
    offload::{Event, Outcome},
};
use core::sync::atomic::Ordering;
use kernel::{
    io::{poll::read_poll_timeout, Io},
    prelude::*,
    time::Delta,
};

/// Least time a channel may hold jobs without finishing one.
const STALL_FLOOR_MS: u64 = 1000;
/// How many times the nominal transfer time of the bytes queued in the
/// whole engine a channel may wait on top of the floor.
const STALL_MARGIN: u64 = 2;
/// Longest a device reset (`CTRL.RESET`) may take, milliseconds.
const DEVICE_RESET_TIMEOUT_MS: i64 = 100;

impl Engine {
    /// Whether recoveries may touch the device.
    fn serving(&self) -> bool {
        matches!(self.state.load(Ordering::Acquire), SELF_TEST | OPEN)
    }

    /// Recovers every halted channel: resets it, reports the job at its
    /// head failed and the rest aborted once the channel is quiescent, and
    /// starts it again. Process context.
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
            let r = match ch.reset(&self.bar, Why::Halted, |f| self.deliver(ch.index(), f)) {
                None => continue,
                Some(ResetResult::Done(r)) => r,
                Some(ResetResult::NotQuiescent { first }) => {
                    self.stats.halts.fetch_add(1, Ordering::Relaxed);
                    self.escalate(ch, first);
                    continue;
                }
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
    /// longer than their limit. Returns whether to keep watching. Process
    /// context (a work item).
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
            let r = match ch.reset(&self.bar, why, |f| self.deliver(ch.index(), f)) {
                None => continue,
                Some(ResetResult::Done(r)) => r,
                Some(ResetResult::NotQuiescent { first }) => {
                    self.stats.timeouts.fetch_add(1, Ordering::Relaxed);
                    self.escalate(ch, first);
                    continue;
                }
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
        self.serving()
    }

    /// Channel `failed` did not go quiescent after its reset: resets the
    /// whole device, then ends the jobs of every channel (`failed`'s head
    /// job with `first`, the rest aborted) and starts them again. If the
    /// device reset does not end either, the device is taken out of
    /// service as one that stopped answering. Process context.
    fn escalate(&self, failed: &Channel, first: Outcome) {
        self.stats.escalations.fetch_add(1, Ordering::Relaxed);
        // No doorbell rings across the device reset, and the layer sends
        // its jobs elsewhere meanwhile.
        self.reporter.report(Event::Halted);
        self.channels().for_each(Channel::block);
        if !self.reset_device() {
            let id = self
                .bar
                .try_access()
                .map_or(u32::MAX, |b| b.read32(regs::ID));
            dev_err!(
                self.dev,
                "channel {} not quiescent {} ms after its reset, and the device reset did not end within {} ms\n",
                failed.index(),
                regs::CH_RESET_TIMEOUT_MS,
                DEVICE_RESET_TIMEOUT_MS
            );
            self.die(id);
            return;
        }
        let ended: usize = self
            .channels()
            .map(|ch| {
                let first = (ch.index() == failed.index()).then_some(first);
                ch.restart(&self.bar, first, |f| self.deliver(ch.index(), f))
            })
            .sum();
        self.reporter.report(Event::Running);
        dev_warn!(
            self.dev,
            "channel {} not quiescent {} ms after its reset; reset the device and restarted every channel, {} job(s) failed over\n",
            failed.index(),
            regs::CH_RESET_TIMEOUT_MS,
            ended
        );
    }

    /// Takes a device that stopped answering out of service. Before any
    /// job is ended it stops the device: clears bus mastering (confirmed
    /// by reading the command register back) and resets the function
    /// (confirmed by `ID` answering again). If either is confirmed every
    /// job is aborted (failed over); otherwise every job is quarantined
    /// (see the module documentation). Every later job is refused.
    /// Process context (the watchdog's work item, or a recovery); sleeps.
    /// The function reset is skipped (`EAGAIN`) while the device lock is
    /// held, e.g. by an unbind waiting for the watchdog.
    fn die(&self, id: u32) {
        let Ok(_) = self
            .state
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |s| {
                matches!(s, SELF_TEST | OPEN).then_some(DEAD)
            })
        else {
            return;
        };
        self.reporter.report(Event::Dead);
        let master_off = pci_stop::clear_master(&self.pdev);
        let flr = pci_stop::try_reset_function(&self.pdev);
        let answering = self
            .bar
            .try_access()
            .is_some_and(|b| b.read32(regs::ID) == regs::ID_MAGIC);
        let reset = flr.is_ok() && answering;
        // The reset restored the command register as saved after the
        // clear above; clear it once more all the same.
        let master_off = if flr.is_ok() {
            pci_stop::clear_master(&self.pdev) || master_off
        } else {
            master_off
        };
        let flr_errno = flr.err().map_or(0, |e| e.to_errno());
        if !master_off && !reset {
            self.quarantined.store(true, Ordering::Release);
            let kept: usize = self.channels().map(Channel::quarantine).sum();
            self.stats
                .quarantined
                .fetch_add(kept as u64, Ordering::Relaxed);
            dev_crit!(
                self.dev,
                "DXE stopped answering (ID reads {:#010x}) and could not be stopped: bus mastering not confirmed off, function reset {} (errno {}); {} job(s) quarantined: kept, with their buffers mapped, while the device is bound; its rings are never freed\n",
                id,
                if flr.is_ok() { "without ID answering" } else { "failed" },
                flr_errno,
                kept
            );
            return;
        }
        let aborted: usize = self
            .channels()
            .map(|ch| ch.close(|f| self.deliver(ch.index(), f)))
            .sum();
        dev_err!(
            self.dev,
            "DXE stopped answering (ID reads {:#010x}); bus mastering {}, function reset {} (errno {}); {} job(s) aborted, engine out of service until rebound\n",
            id,
            if master_off { "off" } else { "not confirmed off" },
            if reset { "done" } else { "not done" },
            flr_errno,
            aborted
        );
    }

    /// First step of shutdown: refuses every job from now on.
    pub(crate) fn close(&self) {
        self.state.store(CLOSED, Ordering::SeqCst);
        self.reporter.report(Event::Dead);
    }

    /// Resets the whole device, so that it no longer touches any buffer;
    /// waits up to 100 ms for the reset to end. Whether it ended (`CTRL`
    /// read back with `RESET` clear from a device that answers). Process
    /// context.
    pub(crate) fn reset_device(&self) -> bool {
        if let Some(b) = self.bar.try_access() {
            b.write32(regs::CTRL_RESET, regs::CTRL);
        }
        let done = read_poll_timeout(
            || Ok(self.bar.try_access().map(|b| b.read32(regs::CTRL))),
            |ctrl| ctrl.is_none_or(|c| c & regs::CTRL_RESET == 0 || c == u32::MAX),
            Delta::from_millis(1),
            Delta::from_millis(DEVICE_RESET_TIMEOUT_MS),
        );
        let ended = matches!(done, Ok(Some(c)) if c & regs::CTRL_RESET == 0);
        if !ended {
            dev_warn!(
                self.dev,
                "DXE reset did not end within {} ms\n",
                DEVICE_RESET_TIMEOUT_MS
            );
        }
        ended
    }

    /// Last step of shutdown, after [`Engine::close`] and once nothing else
    /// runs recoveries: resets the device and aborts every job still in a
    /// ring. If the device reset does not end, bus mastering is cleared
    /// first (no function reset: the unbind holds the device lock), and
    /// if that cannot be confirmed either the jobs are quarantined. Jobs
    /// of a quarantined engine are not reported by the driver (the offload
    /// layer fails them over as the engine unregisters). Process context.
    pub(crate) fn quiesce(&self) {
        if !self.reset_device() && !pci_stop::clear_master(&self.pdev) {
            let kept: usize = self.channels().map(Channel::quarantine).sum();
            if !self.quarantined.swap(true, Ordering::AcqRel) {
                self.stats
                    .quarantined
                    .fetch_add(kept as u64, Ordering::Relaxed);
                dev_crit!(
                    self.dev,
                    "DXE reset did not end and bus mastering is not confirmed off; {} job(s) quarantined, rings never freed\n",
                    kept
                );
            }
        }
        if self.quarantined.load(Ordering::Acquire) {
            return;
        }
        for ch in self.channels() {
            ch.close(|f| self.deliver(ch.index(), f));
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        if !self.quarantined.load(Ordering::Acquire) {
            return;
        }
        // The device may still write the rings and completion records.
        let channels = core::mem::replace(&mut self.channels, KVec::new());
        dev_crit!(
            self.dev,
            "{} quarantined ring(s) and their completion records left allocated, never freed\n",
            channels.len()
        );
        core::mem::forget(channels);
    }
}

// SPDX-License-Identifier: GPL-2.0

//! Resetting one DXE channel, and ending its jobs only once the device no
//! longer touches their buffers (`Documentation/hw/dxe.rst`, "Resets").
//!
//! A reset runs in three steps: under `slots`, decide, block submissions
//! (`resetting`) and write `CH_CTRL.RESET`; with `slots` released, read
//! `CH_STATUS` back (which flushes the posted write) and, on a 1.1 device,
//! poll it until `QUIESCENT`, for at most `CH_RESET_TIMEOUT`; then, under
//! `slots` again, end the jobs and program the channel. A channel that
//! does not go quiescent keeps its jobs and stays blocked: the engine
//! resets the device and then calls [`Channel::restart`] on every
//! channel. `reaped` is held throughout, so the channel's completions are
//! not reported meanwhile and no other recovery of the channel runs.

use super::{Channel, Finished, Why};
use crate::{
    bringup::{Bar0, SharedBar0},
    hw::dxe_regs as regs,
    offload::Outcome,
};
use kernel::{io::poll::read_poll_timeout, prelude::*, time::Delta};

/// What a completed channel reset found and did.
pub(crate) struct Reset {
    /// The halt cause in `CH_STATUS` before the reset (0: not halted).
    pub(crate) cause: u8,
    /// Jobs ended by the driver (the first with the given outcome, the
    /// rest aborted).
    pub(crate) ended: usize,
}

/// How a channel reset went.
pub(crate) enum ResetResult {
    /// The channel went quiescent; its jobs are ended and it runs again.
    Done(Reset),
    /// The channel did not go quiescent within `CH_RESET_TIMEOUT` (or the
    /// device stopped answering): its jobs are kept and it takes none
    /// until a device reset and [`Channel::restart`].
    NotQuiescent {
        /// How the head job is to end after the device reset.
        first: Outcome,
    },
}

/// Whether `status` says the channel is reset and quiescent: disabled, not
/// halted, `QUIESCENT` set, and the device answering.
fn quiescent(status: u32) -> bool {
    let mask = regs::CH_STATUS_ENABLED | regs::CH_STATUS_HALTED | regs::CH_STATUS_QUIESCENT;
    status != u32::MAX && status & mask == regs::CH_STATUS_QUIESCENT
}

impl Channel {
    /// After a `CH_CTRL.RESET` write: reads `CH_STATUS` back through
    /// `read` (`None`: the device is gone), which flushes the write, and
    /// on a device with `QUIESCENT` polls until the channel is quiescent,
    /// for at most `CH_RESET_TIMEOUT`. Whether the reset is over. Sleeps.
    pub(super) fn wait_quiescent(&self, mut read: impl FnMut() -> Option<u32>) -> bool {
        if !self.has_quiescent {
            // DXE 1.0: the reset is over once a later read returned.
            return read().is_some_and(|s| s != u32::MAX);
        }
        let done = read_poll_timeout(
            || Ok(read()),
            |s| s.is_none_or(quiescent),
            Delta::from_millis(1),
            Delta::from_millis(i64::from(regs::CH_RESET_TIMEOUT_MS)),
        );
        matches!(done, Ok(Some(s)) if quiescent(s))
    }

    /// Under `slots`, after the device reset the channel: retires what the
    /// device completed, ends the rest (the first with `first` if given,
    /// the others aborted), and programs the channel again if it is open
    /// and `bar` is given. Returns the number of jobs ended.
    fn end_and_program(
        &self,
        bar: Option<&Bar0<'_>>,
        first: Option<Outcome>,
        batch: &mut KVec<Finished>,
    ) -> usize {
        let mut s = self.slots.lock();
        self.collect(&mut s, batch);
        let completed = batch.len();
        self.end_all(&mut s, batch, first);
        s.generation = s.generation.wrapping_add(1);
        // INVARIANT: The reset zeroed the device's indices.
        s.head = 0;
        s.tail = 0;
        s.resetting = false;
        if s.open {
            if let Some(bar) = bar {
                self.program(bar);
            }
        }
        batch.len() - completed
    }

    /// Resets the channel if `why` still holds, which abandons the
    /// descriptor in progress, waits until the device is quiescent, and
    /// only then ends every job in it: those the device completed as it
    /// reported them, the next one (the one that halted the channel or
    /// made no progress) failed or timed out, the rest aborted. Then
    /// starts the channel on its empty ring again, unless it is closed.
    /// `None` if `why` no longer holds (another path recovered the
    /// channel, or it made progress meanwhile), a reset is already under
    /// way, or the device is gone. Process context; sleeps up to
    /// `CH_RESET_TIMEOUT`.
    pub(crate) fn reset(
        &self,
        bar: &SharedBar0,
        why: Why,
        report: impl Fn(&Finished),
    ) -> Option<ResetResult> {
        let mut batch = self.reaped.lock();
        let result = self.reset_locked(bar, why, &mut batch);
        batch.iter().for_each(&report);
        batch.clear();
        result
    }

    fn reset_locked(
        &self,
        bar: &SharedBar0,
        why: Why,
        batch: &mut KVec<Finished>,
    ) -> Option<ResetResult> {
        let (cause, first) = {
            let b = bar.try_access()?;
            let mut s = self.slots.lock();
            if s.resetting {
                return None;
            }
            let status = self.read_reg(&b, regs::CH_STATUS);
            let (go, first) = match why {
                Why::Halted => (
                    status != u32::MAX && status & regs::CH_STATUS_HALTED != 0,
                    Outcome::Failed,
                ),
                Why::Stuck(limit) => {
                    self.collect(&mut s, batch);
                    (
                        s.head != s.tail && s.progress.elapsed() > limit,
                        Outcome::TimedOut,
                    )
                }
            };
            if !go {
                return None;
            }
            // Nothing rings the doorbell from now until the jobs are ended.
            s.resetting = true;
            self.write_reg(&b, regs::CH_CTRL, regs::CH_CTRL_RESET);
            let cause = if status & regs::CH_STATUS_HALTED != 0 {
                (status >> regs::CH_STATUS_HALT_CAUSE_SHIFT) as u8
            } else {
                0
            };
            (cause, first)
        };
        let quiet =
            self.wait_quiescent(|| bar.try_access().map(|b| self.read_reg(&b, regs::CH_STATUS)));
        if !quiet {
            return Some(ResetResult::NotQuiescent { first });
        }
        let b = bar.try_access();
        let ended = self.end_and_program(b.as_deref(), Some(first), batch);
        Some(ResetResult::Done(Reset { cause, ended }))
    }

    /// Refuses submissions (`Busy`) until [`Channel::restart`]: before a
    /// device reset, so that nothing rings a doorbell across it.
    pub(crate) fn block(&self) {
        self.slots.lock().resetting = true;
    }

    /// After a completed device reset: ends every job (the first with
    /// `first` if given, the rest aborted; those the device completed as
    /// it reported them) and starts the channel again unless it is closed.
    /// Returns the number of jobs ended. Process context.
    pub(crate) fn restart(
        &self,
        bar: &SharedBar0,
        first: Option<Outcome>,
        report: impl Fn(&Finished),
    ) -> usize {
        let mut batch = self.reaped.lock();
        let b = bar.try_access();
        let ended = self.end_and_program(b.as_deref(), first, &mut batch);
        drop(b);
        batch.iter().for_each(&report);
        batch.clear();
        ended
    }

    /// Stops taking jobs but keeps those in the ring, unreported: for a
    /// device that may still be running them and could not be stopped.
    /// Returns the number of jobs kept.
    pub(crate) fn quarantine(&self) -> usize {
        let _batch = self.reaped.lock();
        let mut s = self.slots.lock();
        s.open = false;
        s.resetting = true;
        s.tail.wrapping_sub(s.head) as usize
    }
}

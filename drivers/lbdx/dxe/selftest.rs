// SPDX-License-Identifier: GPL-2.0

//! Probe-time DMA self-test of a DXE engine, in the spirit of ioatdma's,
//! run through the engine's own rings, doorbells and completion
//! interrupts before the engine is offered to anyone:
//!
//! 1. on every channel, one copy on its own, timed;
//! 2. a burst of copies on every channel at once, timed: the engine's
//!    fixed cost of a job that the offload layer is told is the lower of
//!    the burst's time per copy and the mean of step 1. A layer that keeps
//!    an engine busy pays the first (jobs overlap, the engine works while
//!    the driver reaps); the single copies' latency includes the first
//!    touches of the buffers and every wake-up of the waiter. The layer
//!    counts the cost once per request estimate (the jobs ahead are in
//!    the bandwidth it learns);
//! 3. on channel 0, if the engine offers them: a fill of an odd length, an
//!    xor of two sources and two xor-validates, one whose sources xor to
//!    zero and one whose do not.
//!
//! Every completion, every byte written and (with `CAPS.INTR`) every
//! channel's vector is checked; a device that fails is not bound.

use super::engine::Engine;
use crate::{
    hw::dxe_regs as regs,
    offload::{backend_select::Op, Job, Ticket},
};
use kernel::{
    device::Bound,
    dma::{Coherent, CoherentBox},
    io::{io_read, poll::read_poll_timeout},
    pci,
    prelude::*,
    time::{Delta, Instant, Monotonic},
};

/// Bytes of one copy.
const CHUNK: usize = 4096;
/// Copies per channel in the burst (at most the ring size).
const BURST: usize = 8;
/// Longest wait for the jobs of one step.
const TIMEOUT_MS: i64 = 2000;
/// Fill pattern.
const FILL: u64 = 0x0123_4567_89ab_cdef;
/// Tickets of the xor-validates whose sources xor to zero, and not.
const XOR_VAL_ZERO: u64 = 0;
const XOR_VAL_NONZERO: u64 = 1;

/// The byte the source holds at offset `i`.
fn pattern(i: usize) -> u8 {
    (i as u8) ^ ((i >> 8) as u8) ^ 0xa5
}

/// A job of `len` bytes.
fn job(op: Op, len: usize, dst: u64, srcs: &[u64], pattern: u64, ticket: u64) -> Result<Job<'_>> {
    Ok(Job {
        op,
        len: u32::try_from(len)?,
        dst,
        q: 0,
        srcs,
        coefs: &[],
        pattern,
        accumulate: false,
        ticket: Ticket(ticket),
    })
}

/// Resets the device if the self-test ends early, so that nothing it
/// queued still runs when its buffers are freed.
struct ResetOnExit<'a> {
    engine: &'a Engine,
    armed: bool,
}

impl Drop for ResetOnExit<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.engine.reset_device();
        }
    }
}

/// The self-test's buffers and progress.
struct Test<'a> {
    pdev: &'a pci::Device<Bound>,
    engine: &'a Engine,
    src: Coherent<[u8]>,
    dst: Coherent<[u8]>,
    submitted: u32,
}

impl Test<'_> {
    /// Queues `job` on channel `chan`.
    fn submit(&mut self, chan: usize, job: Result<Job<'_>>) -> Result {
        self.engine.submit_self_test(chan, &job?).map_err(|why| {
            dev_err!(
                self.pdev,
                "DMA self-test: channel {} refused a job ({:?})\n",
                chan,
                why
            );
            EIO
        })?;
        self.submitted += 1;
        Ok(())
    }

    fn src_at(&self, off: usize) -> u64 {
        self.src.dma_address() + off as u64
    }

    fn dst_at(&self, off: usize) -> u64 {
        self.dst.dma_address() + off as u64
    }

    /// Waits until every job submitted so far finished, and succeeded.
    fn wait(&self) -> Result {
        let engine = self.engine;
        let channels = engine.channels().count();
        let r = read_poll_timeout(
            || {
                // Polled as well, for engines without completion interrupts.
                (0..channels).for_each(|c| engine.reap(c));
                Ok(engine.self_test_tally())
            },
            |(finished, bad, _)| *finished >= self.submitted || bad.is_some(),
            Delta::from_micros(20),
            Delta::from_millis(TIMEOUT_MS),
        );
        match r {
            Ok((_, None, _)) => Ok(()),
            Ok((_, Some((chan, 0)), _)) => {
                dev_err!(
                    self.pdev,
                    "DMA self-test: a job on channel {} never completed (timed out or aborted)\n",
                    chan
                );
                Err(EIO)
            }
            Ok((_, Some((chan, status)), _)) => {
                dev_err!(
                    self.pdev,
                    "DMA self-test: completion status {:#x} on channel {}\n",
                    status,
                    chan
                );
                Err(EIO)
            }
            Err(_) => {
                dev_err!(
                    self.pdev,
                    "DMA self-test: no completion within {} ms ({} of {} jobs finished)\n",
                    TIMEOUT_MS,
                    engine.self_test_tally().0,
                    self.submitted
                );
                Err(EIO)
            }
        }
    }

    /// Checks that `len` bytes at `dst` of the destination are `want(i)`.
    fn check(&self, what: &str, dst: usize, len: usize, want: impl Fn(usize) -> u8) -> Result {
        for i in 0..len {
            let got = io_read!(&self.dst, [try: dst + i]);
            if got != want(i) {
                dev_err!(
                    self.pdev,
                    "DMA self-test: {}: byte {} is {:#x}, not {:#x}\n",
                    what,
                    i,
                    got,
                    want(i)
                );
                return Err(EIO);
            }
        }
        Ok(())
    }

    /// Step 1: one copy per channel, alone; returns the mean time one
    /// took, in nanoseconds.
    fn single_copies(&mut self) -> Result<u64> {
        let channels = self.engine.channels().count();
        let mut total: u64 = 0;
        for c in 0..channels {
            let (from, to) = ((BURST - 1) * CHUNK, c * BURST * CHUNK);
            let start = Instant::<Monotonic>::now();
            let src = self.src_at(from);
            self.submit(c, job(Op::Copy, CHUNK, self.dst_at(to), &[src], 0, 2))?;
            self.wait()?;
            total += u64::try_from(start.elapsed().as_nanos()).unwrap_or(0);
            self.check("single copy", to, CHUNK, |i| pattern(from + i))?;
        }
        Ok(total / channels.max(1) as u64)
    }

    /// Step 2: `burst` copies on every channel at once; returns the time
    /// per copy, in nanoseconds.
    fn burst(&mut self, burst: usize) -> Result<u64> {
        let channels = self.engine.channels().count();
        let start = Instant::<Monotonic>::now();
        for k in 0..burst {
            for c in 0..channels {
                let (from, to) = (k * CHUNK, (c * BURST + k) * CHUNK);
                let src = self.src_at(from);
                self.submit(c, job(Op::Copy, CHUNK, self.dst_at(to), &[src], 0, 2))?;
            }
        }
        self.wait()?;
        let elapsed = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        for c in 0..channels {
            for k in 0..burst {
                let (from, to) = (k * CHUNK, (c * BURST + k) * CHUNK);
                self.check("burst copy", to, CHUNK, |i| pattern(from + i))?;
            }
        }
        Ok(elapsed / (burst * channels).max(1) as u64)
    }

    /// Step 3: the other operations the engine offers, on channel 0.
    fn other_ops(&mut self, ops: u32) -> Result {
        let (s0, s1) = (self.src_at(0), self.src_at(CHUNK));
        if ops & regs::CAP_FILL != 0 {
            let len = CHUNK - 3;
            self.submit(0, job(Op::Fill, len, self.dst_at(2 * CHUNK), &[], FILL, 2))?;
            self.wait()?;
            let bytes = FILL.to_le_bytes();
            self.check("fill", 2 * CHUNK, len, |i| bytes[i % 8])?;
        }
        if ops & regs::CAP_XOR != 0 {
            self.submit(0, job(Op::Xor, CHUNK, self.dst_at(CHUNK), &[s0, s1], 0, 2))?;
            self.wait()?;
            self.check("xor", CHUNK, CHUNK, |i| pattern(i) ^ pattern(CHUNK + i))?;
        }
        if ops & regs::CAP_XOR_VAL != 0 {
            self.submit(0, job(Op::XorVal, CHUNK, 0, &[s0, s0], 0, XOR_VAL_ZERO))?;
            self.submit(0, job(Op::XorVal, CHUNK, 0, &[s0, s1], 0, XOR_VAL_NONZERO))?;
            self.wait()?;
            let nonzero = self.engine.self_test_tally().2;
            if nonzero & (1 << XOR_VAL_ZERO) != 0 || nonzero & (1 << XOR_VAL_NONZERO) == 0 {
                dev_err!(
                    self.pdev,
                    "DMA self-test: xor-validate answered {:#x} (want bit 1 only)\n",
                    nonzero
                );
                return Err(EIO);
            }
        }
        Ok(())
    }
}

/// Runs the self-test on `engine` (still in its self-test state); returns
/// the measured fixed cost of one job, in nanoseconds.
pub(crate) fn run(pdev: &pci::Device<Bound>, engine: &Engine) -> Result<u64> {
    let dev = pdev.as_ref();
    let channels = engine.channels().count();
    let mut src = CoherentBox::<[u8]>::zeroed_slice(dev, BURST * CHUNK, GFP_KERNEL)?;
    for (i, b) in src.iter_mut().enumerate() {
        *b = pattern(i);
    }
    let dst = CoherentBox::<[u8]>::zeroed_slice(dev, channels * BURST * CHUNK, GFP_KERNEL)?;
    let mut t = Test {
        pdev,
        engine,
        src: src.into(),
        dst: dst.into(),
        submitted: 0,
    };
    let mut guard = ResetOnExit {
        engine,
        armed: true,
    };

    let ops = engine.caps().ops;
    let mut per_job = 0;
    if ops & regs::CAP_COPY != 0 {
        let single = t.single_copies()?;
        per_job = single.min(t.burst(BURST.min(engine.ring_slots() as usize))?);
    }
    t.other_ops(ops)?;
    if ops & regs::CAP_INTR != 0 {
        // `wait()` also reaps completions itself, so the last interrupt of
        // a channel may still be on its way to the threaded handler when
        // the jobs are done (seen under load): give it the self-test's time.
        let quiet = || engine.channels().find(|c| c.interrupts() == 0);
        let r = read_poll_timeout(
            || Ok(quiet().is_none()),
            |&all| all,
            Delta::from_micros(100),
            Delta::from_millis(TIMEOUT_MS),
        );
        if let (Err(_), Some(ch)) = (r, quiet()) {
            dev_err!(
                pdev,
                "DMA self-test: no interrupt on channel {}'s vector within {} ms\n",
                ch.index(),
                TIMEOUT_MS
            );
            return Err(EIO);
        }
    }
    guard.armed = false;
    // What the engine needs beyond moving the bytes: doorbell, completion
    // write, interrupt, wake-up.
    let transfer = CHUNK as u64 * 1_000_000_000 / engine.bandwidth().max(1);
    Ok(per_job.saturating_sub(transfer).max(1000))
}

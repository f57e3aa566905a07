// SPDX-License-Identifier: GPL-2.0

//! The DXE register file and descriptor scheduling, single-threaded.
//!
//! [`DxeCore`] owns every register and the fault plan. Descriptor
//! processing is split in three steps so that a worker can run the DMA
//! without holding the device lock: [`DxeCore::next_job`] (fetch, validate,
//! decide injected faults), [`engine::execute`] (the data movement) and
//! [`DxeCore::finish`] (completion record, counters, interrupts, halts).
//! [`DxeCore::run_until_idle`] chains them for tests.
//!
//! The core knows which descriptor is in progress (fetched, not yet
//! finished or dropped): `CH_STATUS.QUIESCENT` depends on it, and a
//! delayed channel reset (`reset-delay`) ends only once that descriptor is
//! gone ([`DxeCore::settle`], [`DxeCore::abandon_late`]).

use std::time::Instant;

use super::channel::{self, Channel};
use super::config::DxeConfig;
use super::engine::{self, Decoded, Header, Limits, Outcome, Valid};
use super::faults::FaultState;
use crate::dxe_regs::{self as regs, Completion, CompletionStatus};
use crate::irq::IrqSink;
use crate::mem::GuestMemory;

/// What remains to be done for a fetched descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Work {
    /// Nothing to execute: complete with this outcome.
    Done(Outcome),
    /// Execute, then complete with the result.
    Execute(Valid),
    /// Stay in progress until the channel or the device is reset
    /// (`stall-len`).
    Stall(Valid),
}

/// A fetched descriptor on its way through the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Job {
    /// Channel.
    pub chan: u32,
    /// Channel generation at fetch; a reset in between drops the job.
    pub generation: u64,
    /// Where to report.
    pub header: Header,
    /// What to do.
    pub work: Work,
}

/// The DXE device state.
pub struct DxeCore {
    name: String,
    config: DxeConfig,
    irq_cause: u32,
    irq_test_count: u32,
    channels: Vec<Channel>,
    faults: FaultState,
    hung: bool,
    next_chan: usize,
    /// The descriptor in progress: (channel, generation at fetch).
    in_progress: Option<(u32, u64)>,
}

impl DxeCore {
    /// A device out of reset.
    pub fn new(name: &str, config: DxeConfig) -> Self {
        let faults = FaultState::new(config.faults.clone(), config.channels);
        Self {
            name: name.to_string(),
            channels: vec![Channel::default(); config.channels as usize],
            config,
            irq_cause: 0,
            irq_test_count: 0,
            faults,
            hung: false,
            next_chan: 0,
            in_progress: None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &DxeConfig {
        &self.config
    }

    /// `true` while the device hangs (fault plan `hang@N`).
    pub fn is_hung(&self) -> bool {
        self.hung
    }

    /// The execution limits of this device.
    pub fn limits(&self) -> Limits {
        Limits {
            caps: self.config.caps,
            max_xor_srcs: self.config.max_xor_srcs,
            max_xfer: self.config.max_xfer,
        }
    }

    /// Direct access to channel `chan`'s state, bypassing the registers
    /// (tests, e.g. to start the free-running indices near 2^32).
    pub fn channel_mut(&mut self, chan: u32) -> Option<&mut Channel> {
        self.channels.get_mut(chan as usize)
    }

    /// Channel `chan`'s generation, if it exists.
    pub fn generation(&self, chan: u32) -> Option<u64> {
        self.channels.get(chan as usize).map(|c| c.generation)
    }

    /// Whether a descriptor of channel `chan` is in progress.
    fn busy(&self, chan: usize) -> bool {
        self.in_progress.is_some_and(|(c, _)| c as usize == chan)
    }

    /// Whether channel `chan` is being reset and the reset is due at `now`.
    pub fn reset_due(&self, chan: u32, now: Instant) -> bool {
        self.channels
            .get(chan as usize)
            .is_some_and(|c| c.reset_due(now))
    }

    /// Ends the delayed channel resets due at `now` on channels without a
    /// descriptor in progress.
    pub fn settle(&mut self, now: Instant) {
        for i in 0..self.channels.len() {
            if self.channels[i].reset_due(now) && !self.busy(i) {
                self.channels[i].finish_reset();
                log::info!("{}: channel {i} reset (delayed) over", self.name);
            }
        }
    }

    /// `job` is gone (stale, or dropped by the worker): no longer in
    /// progress.
    pub fn drop_job(&mut self, job: &Job) {
        if self.in_progress == Some((job.chan, job.generation)) {
            self.in_progress = None;
        }
    }

    /// The delayed reset of `job`'s channel is due while `job` is in
    /// progress: the abandoned descriptor writes its destination one last
    /// time ([`super::faults::LATE_BYTE`] in every byte), then the reset
    /// ends.
    pub fn abandon_late(&mut self, job: &Job, mem: &dyn GuestMemory, now: Instant) {
        let dst = match job.work {
            Work::Execute(v) | Work::Stall(v) => match v.op {
                regs::Opcode::Copy | regs::Opcode::Fill | regs::Opcode::Xor => {
                    Some((v.desc.dst, v.desc.len))
                }
                _ => None,
            },
            Work::Done(_) => None,
        };
        if let Some((addr, len)) = dst {
            let late = vec![super::faults::LATE_BYTE; len as usize];
            match mem.write(addr, &late) {
                Ok(()) => log::warn!(
                    "{}: channel {} abandoned descriptor wrote {len} bytes at {addr:#x} as its reset ended",
                    self.name,
                    job.chan
                ),
                Err(e) => log::warn!("{}: late write of an abandoned descriptor: {e}", self.name),
            }
        }
        self.drop_job(job);
        self.settle(now);
    }

    fn halted_channels(&self) -> u32 {
        self.channels
            .iter()
            .enumerate()
            .filter(|(_, c)| c.halt.is_some())
            .fold(0, |m, (i, _)| m | (1 << i))
    }

    /// Splits a channel-block offset into (channel, register).
    fn channel_reg(&self, off: usize) -> Option<(usize, usize)> {
        let rel = off.checked_sub(regs::CHAN_BASE)?;
        let (chan, reg) = (rel / regs::CHAN_STRIDE, rel % regs::CHAN_STRIDE);
        (chan < self.channels.len()).then_some((chan, reg))
    }

    /// Reads the BAR0 register at `off`.
    pub fn read(&self, off: usize) -> u32 {
        if self.hung {
            return u32::MAX;
        }
        let c = &self.config;
        match off {
            regs::ID => regs::ID_MAGIC,
            regs::VERSION => c.version,
            regs::CTRL => 0,
            regs::STATUS => regs::STATUS_READY,
            regs::IRQ_CAUSE => self.irq_cause,
            regs::IRQ_TEST_COUNT => self.irq_test_count,
            regs::NUM_VECTORS => c.num_vectors(),
            regs::CAPS => c.caps,
            regs::MAX_XOR_SRCS => c.max_xor_srcs,
            regs::MAX_XFER => c.max_xfer,
            regs::NUM_CHANNELS => c.channels,
            regs::MAX_RING_SIZE => c.ring_max,
            regs::NOMINAL_BW => c.nominal_bw(),
            regs::HALTED_CHANNELS => self.halted_channels(),
            _ => match self.channel_reg(off) {
                Some((ch, reg)) => self.channels[ch].read(reg, self.busy(ch)),
                None => 0,
            },
        }
    }

    /// Writes `value` to the BAR0 register at `off`.
    pub fn write(&mut self, off: usize, value: u32, irq: &dyn IrqSink) {
        if self.hung {
            return;
        }
        match off {
            regs::CTRL if value & regs::CTRL_RESET != 0 => self.reset_registers(),
            regs::IRQ_TEST if value < self.config.num_vectors() => {
                self.irq_cause |= regs::IRQ_CAUSE_TEST;
                self.irq_test_count = self.irq_test_count.wrapping_add(1);
                irq.raise(value);
            }
            regs::IRQ_TEST => {
                log::warn!(
                    "{}: IRQ_TEST vector {value} out of range, ignored",
                    self.name
                )
            }
            regs::IRQ_CAUSE => self.irq_cause &= !value,
            _ => {
                if let Some((ch, reg)) = self.channel_reg(off) {
                    let delay = self.faults.reset_delay();
                    // A channel that is already quiescent has nothing to
                    // abandon: its reset is over at once.
                    let quiet =
                        self.channels[ch].status(self.busy(ch)) & regs::CH_STATUS_QUIESCENT != 0;
                    if reg == regs::CH_CTRL
                        && value & regs::CH_CTRL_RESET != 0
                        && !delay.is_zero()
                        && !quiet
                    {
                        let c = &mut self.channels[ch];
                        if c.resetting.is_none() {
                            c.begin_reset(Instant::now() + delay);
                            log::info!("{}: channel {ch} reset begins, takes {delay:?}", self.name);
                        }
                        return;
                    }
                    let ring_max = self.config.ring_max;
                    if let channel::Effect::Halt(cause) =
                        self.channels[ch].write(reg, value, ring_max)
                    {
                        self.halt(ch as u32, cause, irq, "invalid ring");
                    }
                }
            }
        }
    }

    /// `CTRL.RESET`: every register to its reset value; fault-plan
    /// counters keep counting.
    pub fn reset_registers(&mut self) {
        self.irq_cause = 0;
        self.irq_test_count = 0;
        for c in &mut self.channels {
            let generation = c.generation.wrapping_add(1);
            *c = Channel {
                generation,
                ..Channel::default()
            };
        }
        self.next_chan = 0;
        self.in_progress = None;
        log::info!("{}: reset", self.name);
    }

    /// Function-level reset: like `CTRL.RESET`, and also ends a hang.
    pub fn function_reset(&mut self) {
        self.hung = false;
        self.reset_registers();
    }

    fn halt(&mut self, chan: u32, cause: CompletionStatus, irq: &dyn IrqSink, why: &str) {
        if let Some(c) = self.channels.get_mut(chan as usize) {
            c.halt = Some(cause);
        }
        self.irq_cause |= regs::IRQ_CAUSE_CHAN_HALT;
        log::warn!("{}: channel {chan} halted ({cause:?}): {why}", self.name);
        irq.raise(0);
    }

    /// `true` if some channel has a descriptor to fetch.
    pub fn has_work(&self) -> bool {
        !self.hung && self.channels.iter().any(Channel::has_work)
    }

    /// Fetches and decodes the next descriptor, round robin over channels.
    /// Channels whose ring overflows or cannot be read halt on the way.
    pub fn next_job(&mut self, mem: &dyn GuestMemory, irq: &dyn IrqSink) -> Option<Job> {
        if self.hung {
            return None;
        }
        let n = self.channels.len();
        for i in 0..n {
            let ch = (self.next_chan + i) % n;
            let c = &self.channels[ch];
            if !c.has_work() {
                continue;
            }
            let chan = ch as u32;
            if c.pending() > c.ring_size {
                self.halt(
                    chan,
                    CompletionStatus::BadLength,
                    irq,
                    "TAIL more than a ring ahead of HEAD",
                );
                continue;
            }
            let (base, size, head, generation) = (c.ring_base, c.ring_size, c.head, c.generation);
            let raw = match engine::fetch(mem, base, size, head) {
                Ok(raw) => raw,
                Err(e) => {
                    self.halt(
                        chan,
                        CompletionStatus::DmaFault,
                        irq,
                        &format!("descriptor fetch: {e}"),
                    );
                    continue;
                }
            };
            self.next_chan = (ch + 1) % n;
            let (header, work) = match engine::decode(&raw, &self.limits()) {
                Decoded::Invalid(h, status) => {
                    log::warn!(
                        "{}: channel {chan} bad descriptor at index {head}: {status:?}",
                        self.name
                    );
                    (h, Work::Done(Outcome::failed(status)))
                }
                Decoded::Valid(h, v) if self.faults.on_execute() => {
                    log::info!(
                        "{}: channel {chan} injected fault at index {head} ({:?})",
                        self.name,
                        v.op
                    );
                    (h, Work::Done(Outcome::failed(CompletionStatus::Injected)))
                }
                Decoded::Valid(h, v) if self.faults.on_stall(v.desc.len) => {
                    log::warn!(
                        "{}: channel {chan} descriptor at index {head} stalls until a reset (fault plan)",
                        self.name
                    );
                    (h, Work::Stall(v))
                }
                Decoded::Valid(h, v) => (h, Work::Execute(v)),
            };
            self.in_progress = Some((chan, generation));
            return Some(Job {
                chan,
                generation,
                header,
                work,
            });
        }
        None
    }

    /// Completes `job` with `outcome`: writes the completion record (status
    /// last), advances HEAD and COMPLETED, raises the channel vector if
    /// asked, then applies fault-plan halts and hangs.
    pub fn finish(
        &mut self,
        job: &Job,
        outcome: &Outcome,
        mem: &dyn GuestMemory,
        irq: &dyn IrqSink,
    ) {
        self.drop_job(job);
        if self.hung || self.generation(job.chan) != Some(job.generation) {
            return;
        }
        if self
            .channels
            .get(job.chan as usize)
            .is_some_and(|c| c.resetting.is_some())
        {
            // Abandoned by the reset in progress: no record, no interrupt.
            return;
        }
        let record = Completion {
            status: outcome.status as u8,
            result: outcome.result,
            bytes: outcome.bytes,
            cookie: job.header.cookie,
        };
        if let Err(e) = engine::write_completion(mem, job.header.completion, &record) {
            self.halt(
                job.chan,
                CompletionStatus::DmaFault,
                irq,
                &format!("completion write: {e}"),
            );
            return;
        }
        let Some(c) = self.channels.get_mut(job.chan as usize) else {
            return;
        };
        c.head = c.head.wrapping_add(1);
        c.completed = c.completed.wrapping_add(1);
        if job.header.intr {
            irq.raise(1 + job.chan);
        }
        let t = self.faults.on_complete(job.chan);
        if t.halt {
            self.halt(job.chan, CompletionStatus::Injected, irq, "fault plan");
        }
        if t.hang {
            self.hung = true;
            log::warn!("{}: device hangs (fault plan)", self.name);
        }
    }

    /// Processes descriptors until no channel has work; returns how many
    /// were completed or dropped.
    pub fn run_until_idle(&mut self, mem: &dyn GuestMemory, irq: &dyn IrqSink) -> usize {
        let mut n = 0;
        while let Some(job) = self.next_job(mem, irq) {
            let outcome = match job.work {
                Work::Done(o) => o,
                Work::Execute(v) => engine::execute(mem, &v),
                // Stays in progress; nothing else runs meanwhile.
                Work::Stall(_) => return n,
            };
            self.finish(&job, &outcome, mem, irq);
            n += 1;
        }
        n
    }
}

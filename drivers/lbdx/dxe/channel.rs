// SPDX-License-Identifier: GPL-2.0

//! One DXE channel: which ring slot holds which job, the doorbell and the
//! completion records retired in ring order. The channel reset that
//! recovers a halted or stuck channel is in `channel/reset.rs`.
//!
//! Locking: `slots`, a spinlock taken with interrupts off, covers the ring
//! indices and the jobs in flight; submission takes only it, from any
//! context but hard interrupts. `reaped`, a mutex (process context), is
//! taken first by every path that retires jobs (the channel's interrupt
//! thread, the watchdog, recovery, shutdown): it serializes them, so that
//! jobs are reported in ring order, and holds the batch they retire. The
//! batch is reported after `slots` is released, so a report may submit
//! again.

mod reset;

pub(crate) use reset::ResetResult;

use super::ring::Ring;
use crate::{
    bringup::{Bar0, SharedBar0},
    hw::dxe_regs::{self as regs, chan_reg, CompletionStatus, Descriptor, Opcode},
    offload::{self, backend_select::Op, Job, Outcome, Refusal, Ticket},
};
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use kernel::{
    device::{Bound, Device},
    io::Io,
    new_mutex, new_spinlock_irq,
    prelude::*,
    sync::{
        barrier::{dma_mb, Read, Write},
        Mutex, SpinLockIrq,
    },
    time::{Delta, Instant, Monotonic},
};

/// A job the channel is done with.
pub(crate) struct Finished {
    /// The job's ticket.
    pub(crate) ticket: Ticket,
    /// How it ended.
    pub(crate) outcome: Outcome,
    /// The status the device wrote in its completion record; 0 if the
    /// driver ended the job (the device never completed it).
    pub(crate) status: u8,
}

/// A job in a ring slot.
#[derive(Clone, Copy)]
struct InFlight {
    ticket: Ticket,
    len: u32,
    xor_val: bool,
}

const NO_JOB: InFlight = InFlight {
    ticket: Ticket(0),
    len: 0,
    xor_val: false,
};

/// What the channel lock protects.
///
/// # Invariants
///
/// `tail - head` (modulo 2^32) is at most the ring size; the slots of
/// `head..tail` hold jobs given to the device and written in `jobs`;
/// `jobs` has one entry per ring slot; `head` and `tail` equal the
/// device's `CH_HEAD`/`CH_TAIL` after every channel reset.
struct Slots {
    head: u32,
    tail: u32,
    jobs: KVec<InFlight>,
    /// Bytes of the jobs in `head..tail`.
    queued: u64,
    /// When the oldest job started waiting: the last retirement, or the
    /// submission that found the ring empty.
    progress: Instant<Monotonic>,
    /// Taking jobs (false once the engine stops or dies).
    open: bool,
    /// Channel resets so far: the high half of every cookie, so that a
    /// record from before a reset is never taken for a later job.
    generation: u32,
    /// A channel or device reset is under way (from the resetting write
    /// until the device is quiescent and the jobs are ended): submissions
    /// are refused with `Busy`, so that nothing rings the doorbell of a
    /// channel being reset.
    resetting: bool,
}

/// How a channel is loaded, for the watchdog and channel choice.
pub(crate) struct Load {
    /// Jobs in the ring.
    pub(crate) outstanding: u32,
    /// Their bytes.
    pub(crate) queued: u64,
    /// Time since the oldest job started waiting.
    pub(crate) waiting: Delta,
}

/// Why a channel is reset.
#[derive(Clone, Copy)]
pub(crate) enum Why {
    /// It halted: its head job failed.
    Halted,
    /// It held jobs without finishing one for longer than this: its head
    /// job timed out.
    Stuck(Delta),
}

/// One channel.
///
/// # Invariants
///
/// `index` is below [`regs::CHAN_MAX`], so every register of the channel
/// lies inside BAR0; `reaped` has capacity for one entry per ring slot.
#[pin_data]
pub(crate) struct Channel {
    index: u32,
    /// The device reports `CH_STATUS.QUIESCENT` (DXE 1.1 or later).
    has_quiescent: bool,
    ring: Ring,
    #[pin]
    slots: SpinLockIrq<Slots>,
    #[pin]
    reaped: Mutex<KVec<Finished>>,
    /// `tail - head`, readable without the lock.
    occupancy: AtomicU32,
    /// Completion interrupts seen.
    interrupts: AtomicU32,
    /// When the first completion interrupt not yet reaped came (the
    /// layer's clock, nanoseconds); 0 if none.
    interrupt_at: AtomicU64,
}

fn cookie(generation: u32, index: u32) -> u64 {
    (u64::from(generation) << 32) | u64::from(index)
}

impl Channel {
    /// Allocates channel `index` with a ring of `slots` descriptors and
    /// room for `max_srcs` xor sources per descriptor; `has_quiescent`:
    /// the device reports `CH_STATUS.QUIESCENT`.
    pub(crate) fn new(
        dev: &Device<Bound>,
        index: u32,
        slots: u32,
        max_srcs: usize,
        has_quiescent: bool,
    ) -> Result<impl PinInit<Self, Error>> {
        if index >= regs::CHAN_MAX {
            return Err(EINVAL);
        }
        let ring = Ring::new(dev, slots, max_srcs)?;
        let mut jobs = KVec::with_capacity(slots as usize, GFP_KERNEL)?;
        for _ in 0..slots {
            jobs.push(NO_JOB, GFP_KERNEL)?;
        }
        let reaped = KVec::with_capacity(slots as usize, GFP_KERNEL)?;
        // INVARIANT: `index` checked above, `reaped` sized for every slot.
        Ok(try_pin_init!(Self {
            index,
            has_quiescent,
            ring,
            slots <- new_spinlock_irq!(Slots {
                head: 0,
                tail: 0,
                jobs,
                queued: 0,
                progress: Instant::now(),
                open: true,
                generation: 0,
                resetting: false,
            }),
            reaped <- new_mutex!(reaped),
            occupancy: AtomicU32::new(0),
            interrupts: AtomicU32::new(0),
            interrupt_at: AtomicU64::new(0),
        }? Error))
    }

    /// The channel's number.
    pub(crate) fn index(&self) -> u32 {
        self.index
    }

    /// Jobs in the ring, without taking the lock (may be stale).
    pub(crate) fn occupancy(&self) -> u32 {
        self.occupancy.load(Ordering::Relaxed)
    }

    /// Counts a completion interrupt, and notes its time if it is the
    /// first since the last reap. Hard interrupt context.
    pub(crate) fn note_interrupt(&self) {
        self.interrupts.fetch_add(1, Ordering::Relaxed);
        let _ = self.interrupt_at.compare_exchange(
            0,
            offload::now_ns(),
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }

    /// Completion interrupts seen.
    pub(crate) fn interrupts(&self) -> u32 {
        self.interrupts.load(Ordering::Relaxed)
    }

    /// How loaded the channel is now.
    pub(crate) fn load(&self) -> Load {
        let s = self.slots.lock();
        Load {
            outstanding: s.tail.wrapping_sub(s.head),
            queued: s.queued,
            waiting: s.progress.elapsed(),
        }
    }

    fn write_reg(&self, bar: &Bar0<'_>, reg: usize, value: u32) {
        // Cannot fail: the channel's block lies inside BAR0 (invariant).
        let _ = bar.try_write32(value, chan_reg(self.index, reg));
    }

    fn read_reg(&self, bar: &Bar0<'_>, reg: usize) -> u32 {
        // As for `write_reg`; all ones is what a device that is gone reads.
        bar.try_read32(chan_reg(self.index, reg))
            .unwrap_or(u32::MAX)
    }

    /// Points the (disabled) channel at its ring and enables it.
    fn program(&self, bar: &Bar0<'_>) {
        let base = self.ring.base();
        self.write_reg(bar, regs::CH_RING_BASE_LO, base as u32);
        self.write_reg(bar, regs::CH_RING_BASE_HI, (base >> 32) as u32);
        self.write_reg(bar, regs::CH_RING_SIZE, self.ring.slots());
        self.write_reg(bar, regs::CH_CTRL, regs::CH_CTRL_ENABLE);
    }

    /// Resets the channel, waits until it is quiescent and starts it on
    /// its (empty) ring. `ETIMEDOUT` if it does not go quiescent. Process
    /// context (probe).
    pub(crate) fn start(&self, bar: &Bar0<'_>) -> Result {
        self.write_reg(bar, regs::CH_CTRL, regs::CH_CTRL_RESET);
        if !self.wait_quiescent(|| Some(self.read_reg(bar, regs::CH_STATUS))) {
            return Err(ETIMEDOUT);
        }
        let mut s = self.slots.lock();
        // INVARIANT: The ring is empty (probe) and the reset zeroed the
        // device's indices.
        s.head = 0;
        s.tail = 0;
        self.program(bar);
        Ok(())
    }

    /// The descriptor for `job` in ring slot `slot`; an xor's sources go
    /// to the slot's source array. `None` for an operation the device
    /// has no descriptor for (P+Q, which the engine never offers).
    fn descriptor(&self, job: &Job<'_>, slot: u32, cookie: u64, intr: bool) -> Option<Descriptor> {
        let (opcode, nsrc, dst, src) = match job.op {
            Op::Copy => (
                Opcode::Copy,
                0,
                job.dst,
                job.srcs.first().copied().unwrap_or(0),
            ),
            Op::Fill => (Opcode::Fill, 0, job.dst, job.pattern),
            Op::Xor | Op::XorVal => {
                // More sources than the slot holds: nsrc 0, which the
                // device fails (BadSourceCount) without touching memory.
                let (nsrc, list) = match (
                    u8::try_from(job.srcs.len()),
                    self.ring.write_sources(slot, job.srcs),
                ) {
                    (Ok(n), Ok(list)) => (n, list),
                    _ => (0, 0),
                };
                if job.op == Op::Xor {
                    (Opcode::Xor, nsrc, job.dst, list)
                } else {
                    (Opcode::XorVal, nsrc, 0, list)
                }
            }
            Op::Pq | Op::PqVal => return None,
        };
        Some(Descriptor {
            opcode: opcode as u8,
            flags: if intr { regs::DESC_FLAG_INTR } else { 0 },
            nsrc,
            len: job.len,
            dst,
            src,
            completion: self.ring.completion_addr(slot),
            cookie,
        })
    }

    /// Puts `job` in the ring and rings the doorbell; with `intr`, the
    /// device raises the channel's vector when it completes. Does not
    /// sleep.
    pub(crate) fn submit(
        &self,
        bar: &SharedBar0,
        job: &Job<'_>,
        intr: bool,
    ) -> Result<(), Refusal> {
        let bar = bar.try_access().ok_or(Refusal::Gone)?;
        let mut s = self.slots.lock();
        if !s.open {
            return Err(Refusal::Gone);
        }
        if s.resetting {
            return Err(Refusal::Busy);
        }
        let used = s.tail.wrapping_sub(s.head);
        if used >= self.ring.slots() {
            return Err(Refusal::Busy);
        }
        let index = s.tail;
        let slot = index & (self.ring.slots() - 1);
        let desc = self
            .descriptor(job, slot, cookie(s.generation, index), intr)
            .ok_or(Refusal::Gone)?;
        self.ring.write(slot, &desc).map_err(|_| Refusal::Gone)?;
        let entry = s.jobs.get_mut(slot as usize).ok_or(Refusal::Gone)?;
        *entry = InFlight {
            ticket: job.ticket,
            len: job.len,
            xor_val: job.op == Op::XorVal,
        };
        if used == 0 {
            s.progress = Instant::now();
        }
        s.queued += u64::from(job.len);
        // INVARIANT: `used` was below the ring size; the new slot holds the
        // job, written above.
        s.tail = index.wrapping_add(1);
        self.occupancy.store(used + 1, Ordering::Relaxed);
        // The descriptor and its zeroed record reach memory before the
        // doorbell.
        dma_mb(Write);
        self.write_reg(&bar, regs::CH_TAIL, s.tail);
        Ok(())
    }

    /// Retires the job at `head` (`head != tail`) with `outcome` into
    /// `out`.
    fn retire(&self, s: &mut Slots, out: &mut KVec<Finished>, outcome: Outcome, status: u8) {
        let slot = s.head & (self.ring.slots() - 1);
        let job = s.jobs.get(slot as usize).copied().unwrap_or(NO_JOB);
        // Cannot fail: `out` has room for every slot (invariant) and holds
        // only jobs retired during this hold of `reaped`, at most one per
        // slot.
        let _ = out.push_within_capacity(Finished {
            ticket: job.ticket,
            outcome,
            status,
        });
        s.queued = s.queued.saturating_sub(u64::from(job.len));
        // INVARIANT: Only called with `head != tail`.
        s.head = s.head.wrapping_add(1);
        s.progress = Instant::now();
        self.occupancy
            .store(s.tail.wrapping_sub(s.head), Ordering::Relaxed);
    }

    /// Retires, in ring order, every job whose completion record the
    /// device wrote.
    fn collect(&self, s: &mut Slots, out: &mut KVec<Finished>) {
        while s.head != s.tail {
            let slot = s.head & (self.ring.slots() - 1);
            let status = self.ring.status(slot).unwrap_or(0);
            if status == CompletionStatus::Pending as u8 {
                break;
            }
            // The record is read only after its status said it is whole.
            dma_mb(Read);
            let Ok(rec) = self.ring.completion(slot) else {
                break;
            };
            let job = s.jobs.get(slot as usize).copied().unwrap_or(NO_JOB);
            let outcome = if rec.cookie != cookie(s.generation, s.head)
                || rec.status != CompletionStatus::Success as u8
            {
                Outcome::Failed
            } else {
                Outcome::Done {
                    result: u32::from(job.xor_val && rec.result == regs::XOR_VAL_NONZERO),
                }
            };
            self.retire(s, out, outcome, rec.status);
        }
    }

    /// Retires every job left: the first with `first` if given, the rest
    /// as aborted.
    fn end_all(&self, s: &mut Slots, out: &mut KVec<Finished>, mut first: Option<Outcome>) {
        while s.head != s.tail {
            let outcome = first.take().unwrap_or(Outcome::Aborted);
            self.retire(s, out, outcome, 0);
        }
    }

    /// Reports, through `report` and in ring order, every job the device
    /// completed. Before, tells `handled` how many there are and the
    /// nanoseconds it took to collect them, counted from the first
    /// completion interrupt since the last reap (if any came; from the
    /// start of this call otherwise). Process context.
    pub(crate) fn reap(&self, handled: impl FnOnce(u64, usize), report: impl Fn(&Finished)) {
        let start = offload::now_ns();
        let mut batch = self.reaped.lock();
        let since = match self.interrupt_at.swap(0, Ordering::Relaxed) {
            0 => start,
            at => at.min(start),
        };
        {
            let mut s = self.slots.lock();
            self.collect(&mut s, &mut batch);
        }
        handled(offload::now_ns().saturating_sub(since), batch.len());
        batch.iter().for_each(&report);
        batch.clear();
    }

    /// Stops taking jobs and ends every job in the channel: as the device
    /// reported it if it wrote a record, aborted otherwise. For a device
    /// that was reset or stopped answering, so nothing is in progress.
    /// Returns the number of jobs aborted. Process context.
    pub(crate) fn close(&self, report: impl Fn(&Finished)) -> usize {
        let mut batch = self.reaped.lock();
        let aborted = {
            let mut s = self.slots.lock();
            s.open = false;
            self.collect(&mut s, &mut batch);
            let done = batch.len();
            self.end_all(&mut s, &mut batch, None);
            batch.len() - done
        };
        batch.iter().for_each(&report);
        batch.clear();
        aborted
    }
}

// SPDX-License-Identifier: GPL-2.0

//! One DXE channel: its registers and state machine.
//!
//! States: *disabled* (ENABLE=0), *running* (ENABLE=1, not halted) and
//! *halted* (HALTED=1, whatever ENABLE says). ENABLE 0->1 latches the
//! ring; only CH_CTRL.RESET (or a device reset) leaves *halted*. With a
//! `reset-delay` fault, a channel reset passes through *resetting* (no
//! fetch, writes ignored, not quiescent) until its deadline.

use std::time::Instant;

use crate::dxe_regs::{self as regs, CompletionStatus};

/// State of one channel; `Default` is the reset state.
#[derive(Clone, Debug, Default)]
pub struct Channel {
    /// `CH_RING_BASE_LO` as written.
    pub base_lo: u32,
    /// `CH_RING_BASE_HI` as written.
    pub base_hi: u32,
    /// `CH_RING_SIZE` as written.
    pub size: u32,
    /// Ring base latched at enable.
    pub ring_base: u64,
    /// Ring size latched at enable.
    pub ring_size: u32,
    /// `CH_CTRL.ENABLE`.
    pub enabled: bool,
    /// Halt cause while halted.
    pub halt: Option<CompletionStatus>,
    /// `CH_HEAD`.
    pub head: u32,
    /// `CH_TAIL`.
    pub tail: u32,
    /// `CH_COMPLETED`.
    pub completed: u32,
    /// Bumped by every reset, so a descriptor in flight across a reset is
    /// recognised and dropped.
    pub generation: u64,
    /// While a delayed channel reset is in progress: when it ends.
    pub resetting: Option<Instant>,
}

/// What a channel register write asks of the device.
#[derive(Debug, PartialEq, Eq)]
pub enum Effect {
    /// Nothing beyond the state change.
    None,
    /// The channel must halt with this cause.
    Halt(CompletionStatus),
}

impl Channel {
    /// `true` if the channel may fetch a descriptor now.
    pub fn has_work(&self) -> bool {
        self.enabled && self.halt.is_none() && self.resetting.is_none() && self.head != self.tail
    }

    /// Descriptors between HEAD and TAIL.
    pub fn pending(&self) -> u32 {
        self.tail.wrapping_sub(self.head)
    }

    /// Channel reset: clears a halt, zeroes HEAD, TAIL and COMPLETED,
    /// clears ENABLE; ring registers keep their values.
    pub fn reset(&mut self) {
        *self = Self {
            base_lo: self.base_lo,
            base_hi: self.base_hi,
            size: self.size,
            generation: self.generation.wrapping_add(1),
            ..Self::default()
        };
    }

    /// Starts a channel reset that ends at `until` (see
    /// [`Channel::finish_reset`]); meanwhile nothing is fetched and writes
    /// are ignored.
    pub fn begin_reset(&mut self, until: Instant) {
        self.resetting = Some(until);
    }

    /// Whether a delayed reset is in progress and due at `now`.
    pub fn reset_due(&self, now: Instant) -> bool {
        self.resetting.is_some_and(|t| now >= t)
    }

    /// Ends a delayed reset: the channel reset proper.
    pub fn finish_reset(&mut self) {
        self.reset();
    }

    /// Reads register `reg` of the block; `busy`: one of its descriptors
    /// is in progress.
    pub fn read(&self, reg: usize, busy: bool) -> u32 {
        match reg {
            regs::CH_RING_BASE_LO => self.base_lo,
            regs::CH_RING_BASE_HI => self.base_hi,
            regs::CH_RING_SIZE => self.size,
            regs::CH_CTRL => u32::from(self.enabled) * regs::CH_CTRL_ENABLE,
            regs::CH_STATUS => self.status(busy),
            regs::CH_HEAD => self.head,
            regs::CH_TAIL => self.tail,
            regs::CH_COMPLETED => self.completed,
            _ => 0,
        }
    }

    /// `CH_STATUS` value; `busy`: one of the channel's descriptors is in
    /// progress.
    pub fn status(&self, busy: bool) -> u32 {
        let mut v = u32::from(self.enabled) * regs::CH_STATUS_ENABLED;
        let running = self.enabled && self.halt.is_none();
        if !running && !busy && self.resetting.is_none() {
            v |= regs::CH_STATUS_QUIESCENT;
        }
        if let Some(cause) = self.halt {
            v |= regs::CH_STATUS_HALTED
                | (u32::from(cause as u8) << regs::CH_STATUS_HALT_CAUSE_SHIFT);
        }
        v
    }

    /// Writes register `reg` of the block; `ring_max` is `MAX_RING_SIZE`.
    pub fn write(&mut self, reg: usize, value: u32, ring_max: u32) -> Effect {
        if self.resetting.is_some() {
            return Effect::None;
        }
        match reg {
            regs::CH_RING_BASE_LO => self.base_lo = value,
            regs::CH_RING_BASE_HI => self.base_hi = value,
            regs::CH_RING_SIZE => self.size = value,
            regs::CH_TAIL => self.tail = value,
            regs::CH_CTRL if value & regs::CH_CTRL_RESET != 0 => self.reset(),
            regs::CH_CTRL => {
                let enable = value & regs::CH_CTRL_ENABLE != 0;
                let rising = enable && !self.enabled;
                self.enabled = enable;
                if rising {
                    return self.latch(ring_max);
                }
            }
            _ => {}
        }
        Effect::None
    }

    /// Latches the ring registers; an invalid ring halts the channel.
    fn latch(&mut self, ring_max: u32) -> Effect {
        self.ring_base = (u64::from(self.base_hi) << 32) | u64::from(self.base_lo);
        self.ring_size = self.size;
        if self.size < 2 || self.size > ring_max || !self.size.is_power_of_two() {
            return Effect::Halt(CompletionStatus::BadLength);
        }
        if !self.ring_base.is_multiple_of(regs::DESC_SIZE as u64) {
            return Effect::Halt(CompletionStatus::DmaFault);
        }
        Effect::None
    }
}

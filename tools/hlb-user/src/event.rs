// SPDX-License-Identifier: GPL-2.0

//! [`Event`], the DPDK-like event the library enqueues and dequeues, and
//! its conversions to QEs and from CQ entries.

use lbdx_logic::hw::hlb_regs::{CqEntry, Qe, QeCommand, SchedType};

/// One event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Event {
    /// Payload.
    pub data: u64,
    /// Carried to the consumer unchanged.
    pub opaque: u16,
    /// Destination LDB queue, or DIR port for [`SchedType::Directed`];
    /// on dequeue the queue (or DIR port) it came from.
    pub queue: u8,
    /// Scheduling type.
    pub sched: SchedType,
    /// 0 (highest) to 7.
    pub priority: u8,
    /// Flow (atomic lock) id.
    pub flow: u16,
}

impl Default for Event {
    fn default() -> Self {
        Self {
            data: 0,
            opaque: 0,
            queue: 0,
            sched: SchedType::Unordered,
            priority: 0,
            flow: 0,
        }
    }
}

impl Event {
    /// The QE that enqueues (`New`) or forwards (`Forward`) this event.
    pub fn to_qe(&self, cmd: QeCommand, token: bool) -> Qe {
        Qe {
            data: self.data,
            opaque: self.opaque,
            queue: self.queue,
            sched: self.sched as u8,
            priority: self.priority,
            flow: self.flow,
            cmd: cmd as u8,
            token,
        }
    }

    /// The event a CQ entry delivers.
    pub fn from_cq(e: &CqEntry) -> Self {
        Self {
            data: e.data,
            opaque: e.opaque,
            queue: e.queue,
            sched: SchedType::from_bits(e.sched),
            priority: e.priority,
            flow: e.flow,
        }
    }

    /// Whether the event takes the DIR credit pool.
    pub fn is_directed(&self) -> bool {
        self.sched == SchedType::Directed
    }
}

/// A QE with no event: `Complete`, `ReturnTokens` (`count` in `flow`) or
/// a bare token return.
pub fn control_qe(cmd: QeCommand, count: u16, token: bool) -> Qe {
    Qe {
        flow: count,
        cmd: cmd as u8,
        token,
        ..Qe::default()
    }
}

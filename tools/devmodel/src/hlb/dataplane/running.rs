// SPDX-License-Identifier: GPL-2.0

//! One started domain: its scheduler ([`hlb_sched::Domain`]) and, per
//! port, what the model keeps around it: the window and the next QE slot
//! to look at, `PP_CONSUMED`, the CQ address, depth and vector.

use hlb_sched::{Domain, PortId, Qe, QeCommand};

use super::ring::QeRing;
use super::sink::GuestCqs;
use super::window::window;
use super::{Pending, QeAlarm};
use crate::hlb::resources::PortSetup;
use crate::hlb_regs::{self as regs, PP_SLOTS, QE_SIZE};
use crate::mem::GuestMemory;

/// The model's side of one port of a started domain.
#[derive(Clone, Debug)]
pub struct PortRt {
    /// The port, its CQ address and vector, as programmed at start.
    pub setup: PortSetup,
    /// BAR4 offset of its window.
    pub window: usize,
    /// CQ depth (0: receives nothing).
    pub depth: u32,
    /// Next QE slot to look at.
    pub slot: u32,
    /// `PP_CONSUMED`.
    pub consumed: u32,
    /// A CQ write faulted since the start (logged once).
    pub faulted: bool,
}

/// A started domain.
pub struct Running {
    pub(super) sched: Domain,
    pub(super) ports: Vec<PortRt>,
}

impl Running {
    /// The domain just started with scheduler `sched` and ports `setup` (in
    /// the scheduler's port index order): counters 0, windows emptied.
    pub fn new(sched: Domain, setup: &[PortSetup], ring: &QeRing) -> Self {
        let ports = setup
            .iter()
            .zip(sched.cq_depths())
            .map(|(s, depth)| {
                let w = window(s.id);
                ring.zero(w, regs::PP_QE_PAGE_SIZE);
                PortRt {
                    setup: *s,
                    window: w,
                    depth,
                    slot: 0,
                    consumed: 0,
                    faulted: false,
                }
            })
            .collect();
        Self { sched, ports }
    }

    /// Index of `port` in the domain.
    pub fn index(&self, port: PortId) -> Option<usize> {
        self.sched.port_index(port)
    }

    /// Takes the QEs waiting in port `i`'s window, in slot order, at most
    /// one ring's worth; refused ones become alarms in `out`.
    pub fn drain(&mut self, i: usize, ring: &QeRing, out: &mut Pending) {
        let Some(port) = self.ports.get_mut(i) else {
            return;
        };
        for _ in 0..PP_SLOTS {
            let off = port.window + port.slot as usize * QE_SIZE;
            let Some(bytes) = ring.take(off) else {
                break;
            };
            // Decoded as the device reads it (`BadQe` if it does not).
            let res = self.sched.submit_bytes(i, &bytes);
            match res {
                Ok(()) => port.consumed = port.consumed.wrapping_add(1),
                Err(code) => out.alarms.push(QeAlarm {
                    code,
                    offset: off,
                    port: port.setup.id,
                    slot: port.slot,
                    qe: bytes,
                }),
            }
            ring.release(off);
            port.slot = (port.slot + 1) % PP_SLOTS;
        }
    }

    /// Schedules what can be, writing CQ entries into `mem`.
    pub fn schedule(&mut self, name: &str, mem: &dyn GuestMemory, out: &mut Pending) {
        let mut sink = GuestCqs {
            name,
            mem,
            ports: &mut self.ports,
            vectors: &mut out.vectors,
        };
        self.sched.schedule(&mut sink);
    }

    /// Arms port `i`'s CQ interrupt (`CQ_ARM`): like an ARM QE, but not
    /// counted in `PP_CONSUMED`.
    pub fn arm(&mut self, i: usize) {
        let qe = Qe {
            cmd: QeCommand::Arm as u8,
            ..Qe::default()
        };
        // An ARM without tokens is never refused.
        let _ = self.sched.submit(i, &qe);
    }

    /// Data-plane counter `reg` of port `i`.
    pub fn counter(&self, i: usize, reg: usize) -> u32 {
        if i >= self.ports.len() {
            return 0;
        }
        match reg {
            regs::CQ_OCCUPANCY => self.sched.cq_occupancy(i),
            regs::HL_USED => self.sched.hl_used(i),
            regs::PP_CONSUMED => self.ports[i].consumed,
            regs::CQ_WRITTEN => self.sched.cq_written(i),
            _ => 0,
        }
    }
}

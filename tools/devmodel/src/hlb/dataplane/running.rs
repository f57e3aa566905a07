// SPDX-License-Identifier: GPL-2.0

//! One started domain: its scheduler ([`hlb_sched::Domain`]) and, per
//! port, what the model keeps around it: the function whose window it
//! reads (the PF's or a VF's), the window and the next QE slot to look
//! at, `PP_CONSUMED`, `CQ_IRQS`, the CQ address, depth and vector. The
//! other counters, and whether a port is stopped (`PORT_CTRL`), are the
//! scheduler's ([`Domain::stopped`]): a stopped port's window is not
//! read. Also, per LDB port link slot, the link unlinked at run time
//! (version 1.5) while the scheduler may still be draining it: the slot
//! reads `PENDING` as long as [`Domain::unlink_pending`] says so. Kept
//! here, it goes when the domain stops or resets.

use hlb_sched::{Domain, LinkError, PortId, Qe, QeCommand};

use super::sink::GuestCqs;
use super::window::window;
use super::{Io, Pending, QeAlarm};
use crate::hlb::resources::{PortSetup, LINK_SLOTS};
use crate::hlb::vf::translate::{self, VfPort};
use crate::hlb::vf::vfs::Vfs;
use crate::hlb_regs::{self as regs, PP_SLOTS, QE_SIZE};

/// The model's side of one port of a started domain.
#[derive(Clone, Debug)]
pub struct PortRt {
    /// The port, its CQ address and vector, as programmed at start.
    pub setup: PortSetup,
    /// The VF that took the port at start (`None`: the PF's port).
    pub vf: Option<VfPort>,
    /// BAR4 offset of its window, in its function's BAR4.
    pub window: usize,
    /// CQ depth (0: receives nothing).
    pub depth: u32,
    /// Next QE slot to look at.
    pub slot: u32,
    /// `PP_CONSUMED`.
    pub consumed: u32,
    /// `CQ_IRQS`: the port's armed CQ interrupt fired with a `CQ_VECTOR`
    /// other than 0 (counted by the sink, which knows the vector).
    pub cq_irqs: u32,
    /// A CQ write faulted since the start (logged once).
    pub faulted: bool,
    /// Per link slot (LDB ports): (queue, priority) of the link unlinked
    /// at run time from it, which may still be pending. Stale once the
    /// scheduler is done with it, so only read through
    /// [`Running::pending_slot`].
    pub unlinking: [Option<(u8, u8)>; LINK_SLOTS],
}

impl PortRt {
    /// The function whose window and vectors the port uses.
    pub fn func(&self) -> Option<u32> {
        self.vf.map(|v| v.n)
    }
}

/// A started domain.
pub struct Running {
    pub(super) sched: Domain,
    pub(super) ports: Vec<PortRt>,
}

impl Running {
    /// The domain just started with scheduler `sched`, ports `setup` (in
    /// the scheduler's port index order) and their VF owners `owners`:
    /// counters 0, windows emptied.
    pub fn new(sched: Domain, setup: &[PortSetup], owners: &[Option<VfPort>], io: &Io<'_>) -> Self {
        let ports = setup
            .iter()
            .zip(owners)
            .zip(sched.cq_depths())
            .map(|((s, &vf), depth)| {
                let w = window(vf.map_or(s.id, |v| v.port));
                if let Some(ring) = io.ring_of(vf.map(|v| v.n)) {
                    ring.zero(w, regs::PP_QE_PAGE_SIZE);
                }
                PortRt {
                    setup: *s,
                    vf,
                    window: w,
                    depth,
                    slot: 0,
                    consumed: 0,
                    cq_irqs: 0,
                    faulted: false,
                    unlinking: [None; LINK_SLOTS],
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
    /// one ring's worth; refused ones become alarms in `out`. The window
    /// of a disabled VF or of a stopped port is not read; a VF's QEs name
    /// virtual queues.
    pub fn drain(&mut self, i: usize, io: &Io<'_>, vfs: &Vfs, out: &mut Pending) {
        if i >= self.ports.len() || self.sched.stopped(i) {
            return;
        }
        let port = &mut self.ports[i];
        let func = port.func();
        let maps = match func {
            Some(n) => match vfs.active(n) {
                Some(vf) => Some(&vf.maps),
                None => return,
            },
            None => None,
        };
        let Some(ring) = io.ring_of(func) else {
            return;
        };
        for _ in 0..PP_SLOTS {
            let off = port.window + port.slot as usize * QE_SIZE;
            let Some(mut bytes) = ring.take(off) else {
                break;
            };
            let qe = bytes;
            let res = match maps {
                Some(m) => translate::qe_to_phys(m, &mut bytes),
                None => Ok(()),
            }
            // Decoded as the device reads it (`BadQe` if it does not).
            .and_then(|()| self.sched.submit_bytes(i, &bytes));
            match res {
                Ok(()) => port.consumed = port.consumed.wrapping_add(1),
                Err(code) => out.alarms.push(QeAlarm {
                    code,
                    offset: off,
                    port: port.setup.id,
                    vf: func,
                    slot: port.slot,
                    qe,
                }),
            }
            ring.release(off);
            port.slot = (port.slot + 1) % PP_SLOTS;
        }
    }

    /// Schedules what can be, writing CQ entries into the ports'
    /// functions' memory.
    pub fn schedule(&mut self, io: &Io<'_>, vfs: &Vfs, out: &mut Pending) {
        let mut sink = GuestCqs {
            io,
            vfs,
            ports: &mut self.ports,
            out,
        };
        self.sched.schedule(&mut sink);
    }

    /// Stops port `i`: takes the QEs waiting in its window, then reads it
    /// no more and gives it nothing.
    pub fn stop(&mut self, i: usize, io: &Io<'_>, vfs: &Vfs, out: &mut Pending) {
        if i < self.ports.len() && !self.sched.stopped(i) {
            self.drain(i, io, vfs, out);
            self.sched.set_stopped(i, true);
        }
    }

    /// Resets stopped port `i`: its history list retired, its CQ and
    /// counters (`PP_EVENTS` and `CQ_IRQS` included) from 0, the QEs written into its window since the stop
    /// discarded, the next one taken from slot 0.
    pub fn reset_port(&mut self, i: usize, io: &Io<'_>) {
        let Some(port) = self.ports.get_mut(i) else {
            return;
        };
        self.sched.reset_port(i);
        if let Some(ring) = io.ring_of(port.func()) {
            ring.zero(port.window, regs::PP_QE_PAGE_SIZE);
        }
        port.slot = 0;
        port.consumed = 0;
        port.cq_irqs = 0;
        port.faulted = false;
    }

    /// Runs port `i` again.
    pub fn run_port(&mut self, i: usize) {
        if i < self.ports.len() {
            self.sched.set_stopped(i, false);
        }
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

    /// Links `queue` to LDB port `i` at `prio` through slot `s` (a new
    /// link, a priority change or the cancel of the slot's pending
    /// unlink).
    pub fn link(&mut self, i: usize, s: usize, queue: u8, prio: u8) -> Result<(), LinkError> {
        self.sched.link(i, queue, prio)?;
        self.forget_unlinking(i, s, queue);
        Ok(())
    }

    /// Unlinks `queue` (linked at `prio`) in slot `s` from LDB port `i`;
    /// returns whether the unlink is pending, the slot remembering it.
    pub fn unlink(&mut self, i: usize, s: usize, queue: u8, prio: u8) -> Result<bool, LinkError> {
        let pending = self.sched.unlink(i, queue)?;
        self.forget_unlinking(i, s, queue);
        let slot = self.ports.get_mut(i).and_then(|p| p.unlinking.get_mut(s));
        if let (true, Some(slot)) = (pending, slot) {
            *slot = Some((queue, prio));
        }
        Ok(pending)
    }

    /// (queue, priority) of slot `s` of LDB port `i` while its run-time
    /// unlink is pending.
    pub fn pending_slot(&self, i: usize, s: usize) -> Option<(u8, u8)> {
        let (queue, prio) = (*self.ports.get(i)?.unlinking.get(s)?)?;
        self.sched.unlink_pending(i, queue).then_some((queue, prio))
    }

    /// Drops what slot `s` of port `i` remembers, and any slot's memory
    /// of `queue`: once `queue` is linked or unlinked again, an old
    /// unlink of it must not show as pending when a new one is.
    fn forget_unlinking(&mut self, i: usize, s: usize, queue: u8) {
        if let Some(port) = self.ports.get_mut(i) {
            for (k, u) in port.unlinking.iter_mut().enumerate() {
                if k == s || u.is_some_and(|(q, _)| q == queue) {
                    *u = None;
                }
            }
        }
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
            regs::PP_EVENTS => self.sched.pp_events(i),
            regs::CQ_IRQS => self.ports[i].cq_irqs,
            regs::PORT_CTRL => u32::from(self.sched.stopped(i)) * regs::PORT_CTRL_STOPPED,
            _ => 0,
        }
    }
}

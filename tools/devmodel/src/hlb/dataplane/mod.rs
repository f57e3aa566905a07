// SPDX-License-Identifier: GPL-2.0

//! The HLB data plane ("Data plane" in `Documentation/hw/hlb.rst`): one
//! [`Running`] domain per started domain, built from its registers when
//! `DOM_CTRL.STARTED` goes from 0 to 1 and dropped when it stops or
//! resets; the BAR4 memory ([`ring`]) and layout ([`window`]); CQ writes
//! into guest memory ([`sink`]). A running domain's links change at run
//! time too (version 1.5: [`DataPlane::link`], [`DataPlane::unlink`]),
//! its registers checked by the caller.
//!
//! Plain state under the device lock. What is not state (alarm logs,
//! vectors to raise on the PF or a VF) is collected in [`Pending`] for the
//! caller.
//!
//! A port a VF maps (hlb-vf.rst "Translation") is driven from that VF's
//! BAR4 memory, guest memory and vectors; its QEs and CQ entries are
//! translated around the scheduler, which works in physical ids
//! ([`crate::hlb::vf::translate`]).

pub mod ring;
mod running;
mod sink;
pub mod window;

use hlb_sched::{AlarmCode, Domain, LinkError, PortId, QueueStats};

use super::resources::Resources;
use super::vf::translate::{self, VfPort};
use super::vf::vfs::Vfs;
use super::vf::VfIo;
use crate::hlb_regs::{self as regs, QE_SIZE};
use crate::mem::GuestMemory;
use ring::QeRing;
pub use running::{PortRt, Running};

/// What the data plane works with besides the state.
pub struct Io<'a> {
    /// Device name, for logs.
    pub name: &'a str,
    /// The PF's BAR4 memory.
    pub ring: &'a QeRing,
    /// The PF's guest memory, for CQ writes.
    pub mem: &'a dyn GuestMemory,
    /// Each VF's BAR4 memory, guest memory and vectors.
    pub vfs: &'a [VfIo],
}

impl Io<'_> {
    /// BAR4 memory of the PF (`None`) or of VF `n`.
    pub fn ring_of(&self, vf: Option<u32>) -> Option<&QeRing> {
        match vf {
            None => Some(self.ring),
            Some(n) => self.vfs.get(n as usize).map(|v| &v.ring),
        }
    }
}

/// A vector to raise: on the PF (`vf` is `None`) or on VF `vf`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Irq {
    /// The function.
    pub vf: Option<u32>,
    /// Its MSI-X vector.
    pub vector: u32,
}

/// A QE the device refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QeAlarm {
    /// Why.
    pub code: AlarmCode,
    /// BAR4 offset of its slot.
    pub offset: usize,
    /// The port whose window it was in (physical id).
    pub port: PortId,
    /// The VF whose window it was in (`None`: the PF's).
    pub vf: Option<u32>,
    /// Its slot number in the window.
    pub slot: u32,
    /// The QE as read.
    pub qe: [u8; QE_SIZE],
}

/// What a data-plane step leaves to the caller: logs and interrupts.
#[derive(Debug, Default)]
pub struct Pending {
    /// Refused QEs (latched in the alarm registers by the state).
    pub alarms: Vec<QeAlarm>,
    /// Vectors to raise, in order.
    pub vectors: Vec<Irq>,
}

impl Pending {
    /// Adds `vector` of the PF (`vf` is `None`) or of VF `vf`.
    pub fn raise(&mut self, vf: Option<u32>, vector: u32) {
        self.vectors.push(Irq { vf, vector });
    }
}

/// The run-time state of every domain; `new` gives the reset state.
pub struct DataPlane {
    domains: Vec<Option<Running>>,
}

impl DataPlane {
    /// No domain running, room for `domains`.
    pub fn new(domains: usize) -> Self {
        Self {
            domains: (0..domains).map(|_| None).collect(),
        }
    }

    /// Whether any domain is running.
    pub fn any_running(&self) -> bool {
        self.domains.iter().any(Option::is_some)
    }

    /// Domain `d`, if running.
    pub fn running(&self, d: u32) -> Option<&Running> {
        self.domains.get(d as usize)?.as_ref()
    }

    /// Makes domain `d` run if and only if its `DOM_CTRL.STARTED` is set:
    /// starts it from its registers (emptying its ports' windows, each
    /// port taken by the VF that maps it, if any), or drops it with
    /// everything in flight.
    pub fn sync(&mut self, d: u32, res: &Resources, vfs: &Vfs, io: &Io<'_>) {
        let name = io.name;
        let Some(slot) = self.domains.get_mut(d as usize) else {
            return;
        };
        match (res.started(d), slot.is_some()) {
            (true, false) => {
                let (config, ports) = res.domain_config(d);
                match Domain::new(&config) {
                    Ok(sched) => {
                        let owners: Vec<Option<VfPort>> =
                            ports.iter().map(|p| translate::owner(vfs, p.id)).collect();
                        *slot = Some(Running::new(sched, &ports, &owners, io));
                        log::info!("{name}: domain {d} started, {} ports", ports.len());
                    }
                    Err(e) => log::warn!(
                        "{name}: domain {d} started without a data plane: \
                         the scheduler refuses its configuration ({e:?})"
                    ),
                }
            }
            (false, true) => {
                *slot = None;
                log::info!("{name}: domain {d} stopped");
            }
            _ => {}
        }
    }

    /// Takes QEs and schedules in domain `d`: every window of it, or only
    /// that of `only`'s port, if it is the port of that function (`None`:
    /// the PF; `Some(n)`: VF `n`).
    pub fn run(
        &mut self,
        d: u32,
        only: Option<(PortId, Option<u32>)>,
        io: &Io<'_>,
        vfs: &Vfs,
        out: &mut Pending,
    ) {
        let Some(r) = self.domains.get_mut(d as usize).and_then(Option::as_mut) else {
            return;
        };
        match only {
            Some((port, func)) => {
                let i = r
                    .index(port)
                    .filter(|&i| r.ports[i].vf.map(|v| v.n) == func);
                if let Some(i) = i {
                    r.drain(i, io, vfs, out);
                }
            }
            None => (0..r.ports.len()).for_each(|i| r.drain(i, io, vfs, out)),
        }
        r.schedule(io, vfs, out);
    }

    /// Every running domain, as [`DataPlane::run`].
    pub fn run_all(&mut self, io: &Io<'_>, vfs: &Vfs, out: &mut Pending) {
        for d in 0..self.domains.len() {
            self.run(d as u32, None, io, vfs, out);
        }
    }

    /// `CQ_ARM` = 1 on `port` of domain `d`: arms it and fires at once if
    /// the occupancy already reached the threshold. Nothing if stopped.
    pub fn arm(&mut self, d: u32, port: PortId, io: &Io<'_>, vfs: &Vfs, out: &mut Pending) {
        let Some(r) = self.domains.get_mut(d as usize).and_then(Option::as_mut) else {
            return;
        };
        if let Some(i) = r.index(port) {
            r.arm(i);
            r.schedule(io, vfs, out);
        }
    }

    /// `PORT_CTRL` = `value` (valid) on `port` of domain `d`: stops it
    /// (taking its window's QEs first), resets it, runs it, as
    /// `Documentation/hw/hlb.rst` "Port stop and reset" says; then
    /// schedules the domain. Nothing if the domain is stopped.
    pub fn port_ctrl(
        &mut self,
        d: u32,
        port: PortId,
        value: u32,
        io: &Io<'_>,
        vfs: &Vfs,
        out: &mut Pending,
    ) {
        let Some(r) = self.domains.get_mut(d as usize).and_then(Option::as_mut) else {
            return;
        };
        let Some(i) = r.index(port) else {
            return;
        };
        let stop = value & regs::PORT_CTRL_STOPPED != 0;
        if stop {
            r.stop(i, io, vfs, out);
        }
        if value & regs::PORT_CTRL_RESET != 0 {
            r.reset_port(i, io);
        }
        if !stop {
            r.run_port(i);
        }
        r.schedule(io, vfs, out);
    }

    /// Domain `d`, if running, for changing.
    fn running_mut(&mut self, d: u32) -> Option<&mut Running> {
        self.domains.get_mut(d as usize)?.as_mut()
    }

    /// Links `queue` at `prio` to LDB `port` of running domain `d` through
    /// its link slot `s` ("Links at run time"; [`DataPlane::schedule`]
    /// gives waiting events to the port). `NoPort` if the domain is not
    /// running or has no such port.
    pub fn link(
        &mut self,
        d: u32,
        port: PortId,
        s: usize,
        (queue, prio): (u8, u8),
    ) -> Result<(), LinkError> {
        let r = self.running_mut(d).ok_or(LinkError::NoPort)?;
        let i = r.index(port).ok_or(LinkError::NoPort)?;
        r.link(i, s, queue, prio)
    }

    /// Schedules running domain `d` without taking QEs (after a change
    /// of its links). Nothing if stopped.
    pub fn schedule(&mut self, d: u32, io: &Io<'_>, vfs: &Vfs, out: &mut Pending) {
        if let Some(r) = self.running_mut(d) {
            r.schedule(io, vfs, out);
        }
    }

    /// Unlinks `queue` (linked at `prio`) in link slot `s` of LDB `port`
    /// of running domain `d`; returns whether the unlink is pending.
    pub fn unlink(
        &mut self,
        d: u32,
        port: PortId,
        s: usize,
        (queue, prio): (u8, u8),
    ) -> Result<bool, LinkError> {
        let r = self.running_mut(d).ok_or(LinkError::NoPort)?;
        let i = r.index(port).ok_or(LinkError::NoPort)?;
        r.unlink(i, s, queue, prio)
    }

    /// (queue, priority) of link slot `s` of LDB `port` of domain `d`
    /// while its run-time unlink is pending (`None` once done, and
    /// whenever the domain is not running).
    pub fn pending_slot(&self, d: u32, port: PortId, s: usize) -> Option<(u8, u8)> {
        let r = self.running(d)?;
        r.pending_slot(r.index(port)?, s)
    }

    /// `DOM_LDB_CREDITS_AVAIL` / `DOM_DIR_CREDITS_AVAIL` of domain `d`.
    pub fn credits(&self, d: u32) -> (u32, u32) {
        self.running(d).map_or((0, 0), |r| r.sched.credits())
    }

    /// `LQ_DEPTH` (`PortId::Ldb(q)`) or `DQ_DEPTH` (`PortId::Dir(p)`) of a
    /// queue of domain `d`.
    pub fn queue_depth(&self, d: u32, queue: PortId) -> u32 {
        self.running(d).map_or(0, |r| r.sched.queue_depth(queue))
    }

    /// Statistics of a queue of domain `d` (`PortId::Ldb(q)`: LDB queue
    /// `q`; `PortId::Dir(p)`: DIR port `p`'s directed queue): 0 while the
    /// domain is stopped.
    pub fn queue_stats(&self, d: u32, queue: PortId) -> QueueStats {
        self.running(d)
            .and_then(|r| r.sched.queue_stats(queue))
            .unwrap_or_default()
    }

    /// Counter `reg` of `port`'s data-plane block; `port` is in domain `d`.
    pub fn counter(&self, d: u32, port: PortId, reg: usize) -> u32 {
        self.running(d)
            .and_then(|r| Some(r.counter(r.index(port)?, reg)))
            .unwrap_or(0)
    }
}

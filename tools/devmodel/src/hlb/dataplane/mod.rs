// SPDX-License-Identifier: GPL-2.0

//! The HLB data plane ("Data plane" in `Documentation/hw/hlb.rst`): one
//! [`Running`] domain per started domain, built from its registers when
//! `DOM_CTRL.STARTED` goes from 0 to 1 and dropped when it stops or
//! resets; the BAR4 memory ([`ring`]) and layout ([`window`]); CQ writes
//! into guest memory ([`sink`]).
//!
//! Plain state under the device lock. What is not state (alarm logs and
//! vector 0, CQ vectors) is collected in [`Pending`] for the caller.

pub mod ring;
mod running;
mod sink;
pub mod window;

use hlb_sched::{AlarmCode, Domain, PortId};

use super::resources::Resources;
use crate::hlb_regs::QE_SIZE;
use crate::mem::GuestMemory;
use ring::QeRing;
pub use running::{PortRt, Running};

/// A QE the device refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QeAlarm {
    /// Why.
    pub code: AlarmCode,
    /// BAR4 offset of its slot.
    pub offset: usize,
    /// The port whose window it was in.
    pub port: PortId,
    /// Its slot number in the window.
    pub slot: u32,
    /// The QE as read.
    pub qe: [u8; QE_SIZE],
}

/// What a data-plane step leaves to the caller: logs and interrupts.
#[derive(Debug, Default)]
pub struct Pending {
    /// Refused QEs (already latched in the alarm registers).
    pub alarms: Vec<QeAlarm>,
    /// CQ interrupt vectors to raise.
    pub vectors: Vec<u32>,
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
    /// starts it from its registers (emptying its ports' windows), or
    /// drops it with everything in flight.
    pub fn sync(&mut self, d: u32, res: &Resources, ring: &QeRing, name: &str) {
        let Some(slot) = self.domains.get_mut(d as usize) else {
            return;
        };
        match (res.started(d), slot.is_some()) {
            (true, false) => {
                let (config, ports) = res.domain_config(d);
                match Domain::new(&config) {
                    Ok(sched) => {
                        *slot = Some(Running::new(sched, &ports, ring));
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
    /// port `only`'s.
    pub fn run(
        &mut self,
        d: u32,
        only: Option<PortId>,
        ring: &QeRing,
        mem: &dyn GuestMemory,
        name: &str,
        out: &mut Pending,
    ) {
        let Some(r) = self.domains.get_mut(d as usize).and_then(Option::as_mut) else {
            return;
        };
        match only {
            Some(port) => {
                if let Some(i) = r.index(port) {
                    r.drain(i, ring, out);
                }
            }
            None => (0..r.ports.len()).for_each(|i| r.drain(i, ring, out)),
        }
        r.schedule(name, mem, out);
    }

    /// Every running domain, as [`DataPlane::run`].
    pub fn run_all(&mut self, ring: &QeRing, mem: &dyn GuestMemory, name: &str, out: &mut Pending) {
        for d in 0..self.domains.len() {
            self.run(d as u32, None, ring, mem, name, out);
        }
    }

    /// `CQ_ARM` = 1 on `port` of domain `d`: arms it and fires at once if
    /// the occupancy already reached the threshold. Nothing if stopped.
    pub fn arm(
        &mut self,
        d: u32,
        port: PortId,
        mem: &dyn GuestMemory,
        name: &str,
        out: &mut Pending,
    ) {
        let Some(r) = self.domains.get_mut(d as usize).and_then(Option::as_mut) else {
            return;
        };
        if let Some(i) = r.index(port) {
            r.arm(i);
            r.schedule(name, mem, out);
        }
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

    /// Counter `reg` of `port`'s data-plane block; `port` is in domain `d`.
    pub fn counter(&self, d: u32, port: PortId, reg: usize) -> u32 {
        self.running(d)
            .and_then(|r| Some(r.counter(r.index(port)?, reg)))
            .unwrap_or(0)
    }
}

// SPDX-License-Identifier: GPL-2.0

//! Every register of one HLB, routed by offset range, and the data plane
//! they drive: [`State`] is what the device lock protects, so that a
//! refused write or QE, its alarm and `IRQ_CAUSE.ALARM` change together.

use hlb_sched::PortId;

use super::alarm::Alarms;
use super::control::Control;
use super::dataplane::ring::QeRing;
use super::dataplane::{DataPlane, Pending};
use super::resources::{self, PortKind, PpWrite, Resources};
use super::{Effect, HlbConfig};
use crate::hlb_regs::{self as regs};
use crate::mem::GuestMemory;

/// End of the ports' data-plane blocks.
const PP_REGS_END: usize =
    regs::DIR_PP_REGS_BASE + regs::OBJECTS_MAX as usize * regs::PP_REGS_STRIDE;
/// End of the domain blocks the map has room for.
const DOMAIN_END: usize = regs::DOMAIN_BASE + regs::DOMAINS_MAX as usize * regs::DOMAIN_STRIDE;

/// What the data plane works with besides the state.
pub struct Io<'a> {
    /// Device name, for logs.
    pub name: &'a str,
    /// BAR4 memory.
    pub ring: &'a QeRing,
    /// Guest memory, for CQ writes.
    pub mem: &'a dyn GuestMemory,
}

/// The device's registers and data plane; `new` gives the reset state.
pub struct State {
    control: Control,
    alarms: Alarms,
    resources: Resources,
    dataplane: DataPlane,
    /// The device has the data plane (version 1.1 or later).
    dp_enabled: bool,
}

/// The port in the scheduler's terms.
fn port_id(kind: PortKind, p: u32) -> PortId {
    let p = u8::try_from(p).unwrap_or(u8::MAX);
    match kind {
        PortKind::Ldb => PortId::Ldb(p),
        PortKind::Dir => PortId::Dir(p),
    }
}

/// Decodes an offset of the ports' data-plane blocks.
fn pp_reg(off: usize) -> Option<(PortKind, u32, usize)> {
    let (kind, rel) = match off {
        regs::LDB_PP_REGS_BASE..regs::DIR_PP_REGS_BASE => {
            (PortKind::Ldb, off - regs::LDB_PP_REGS_BASE)
        }
        regs::DIR_PP_REGS_BASE..PP_REGS_END => (PortKind::Dir, off - regs::DIR_PP_REGS_BASE),
        _ => return None,
    };
    let p = u32::try_from(rel / regs::PP_REGS_STRIDE).ok()?;
    Some((kind, p, rel % regs::PP_REGS_STRIDE))
}

/// Domain of an offset in the domain blocks, and the register in it.
fn domain_reg(off: usize) -> Option<(u32, usize)> {
    (regs::DOMAIN_BASE..DOMAIN_END).contains(&off).then(|| {
        let rel = off - regs::DOMAIN_BASE;
        (
            (rel / regs::DOMAIN_STRIDE) as u32,
            rel % regs::DOMAIN_STRIDE,
        )
    })
}

/// Object number of `off` in the blocks at `base` whose register is `reg`.
fn object_with_reg(off: usize, base: usize, reg: usize) -> Option<u32> {
    let room = regs::OBJECTS_MAX as usize * regs::QUEUE_STRIDE;
    let rel = off.checked_sub(base).filter(|&r| r < room)?;
    (rel % regs::QUEUE_STRIDE == reg).then_some((rel / regs::QUEUE_STRIDE) as u32)
}

impl State {
    /// The reset state of a device with `config`.
    pub fn new(config: &HlbConfig) -> Self {
        let resources = Resources::new(config);
        let dataplane = DataPlane::new(resources.domain_count());
        Self {
            control: Control::default(),
            alarms: Alarms::default(),
            resources,
            dataplane,
            dp_enabled: config.data_plane(),
        }
    }

    /// Whether any domain is running (the poller sleeps otherwise).
    pub fn any_running(&self) -> bool {
        self.dataplane.any_running()
    }

    /// Reads the register at `off`.
    pub fn read(&self, off: usize, config: &HlbConfig) -> u32 {
        match off {
            0..regs::ALARM_CODE => self.control.read(off, config),
            regs::ALARM_CODE..resources::BASE => self.alarms.read(off),
            resources::BASE..regs::PORT_REGS_BASE => self
                .read_dp_counter(off)
                .unwrap_or_else(|| self.resources.read(off)),
            regs::PORT_REGS_BASE..PP_REGS_END if self.dp_enabled => self.read_pp(off),
            _ => 0,
        }
    }

    /// The data-plane registers in the blocks of version 1.0: credits
    /// available, queue depths.
    fn read_dp_counter(&self, off: usize) -> Option<u32> {
        if let Some((d, reg)) = domain_reg(off) {
            let (ldb, dir) = self.dataplane.credits(d);
            return match reg {
                regs::DOM_LDB_CREDITS_AVAIL => Some(ldb),
                regs::DOM_DIR_CREDITS_AVAIL => Some(dir),
                _ => None,
            };
        }
        if let Some(q) = object_with_reg(off, regs::LDB_QUEUE_BASE, regs::LQ_DEPTH) {
            let d = self.resources.queue_owner(q);
            return Some(d.map_or(0, |d| {
                self.dataplane.queue_depth(d, port_id(PortKind::Ldb, q))
            }));
        }
        if let Some(p) = object_with_reg(off, regs::DIR_PORT_BASE, regs::DQ_DEPTH) {
            let d = self.resources.port_owner(PortKind::Dir, p);
            return Some(d.map_or(0, |d| {
                self.dataplane.queue_depth(d, port_id(PortKind::Dir, p))
            }));
        }
        None
    }

    /// A register of a port's data-plane block.
    fn read_pp(&self, off: usize) -> u32 {
        let Some((kind, p, reg)) = pp_reg(off) else {
            return 0;
        };
        if let Some(v) = self.resources.read_pp(kind, p, reg) {
            return v;
        }
        self.resources
            .port_owner(kind, p)
            .map_or(0, |d| self.dataplane.counter(d, port_id(kind, p), reg))
    }

    /// Writes `value` at `off`; a refused write is latched as an alarm
    /// here, and the caller raises its vector. CQ interrupts a `CQ_ARM`
    /// fires are left in `out`.
    pub fn write(&mut self, off: usize, value: u32, io: &Io<'_>, out: &mut Pending) -> Effect {
        let effect = match off {
            0..regs::ALARM_CODE => self.control.write(off, value),
            regs::ALARM_CODE..resources::BASE => {
                self.alarms.write(off, value);
                Effect::None
            }
            resources::BASE..regs::PORT_REGS_BASE => {
                let effect = self.resources.write(off, value);
                if let (Some((d, _)), true) = (domain_reg(off), self.dp_enabled) {
                    self.dataplane.sync(d, &self.resources, io.ring, io.name);
                }
                effect
            }
            regs::PORT_REGS_BASE..PP_REGS_END if self.dp_enabled => {
                self.write_pp(off, value, io, out)
            }
            _ => Effect::None,
        };
        if let Effect::Alarm(code) = effect {
            self.alarms.raise(code, off);
            self.control.set_cause(regs::IRQ_CAUSE_ALARM);
        }
        effect
    }

    fn write_pp(&mut self, off: usize, value: u32, io: &Io<'_>, out: &mut Pending) -> Effect {
        let Some((kind, p, reg)) = pp_reg(off) else {
            return Effect::None;
        };
        match self.resources.write_pp(kind, p, reg, value) {
            Ok(PpWrite::Arm(d)) => {
                self.dataplane
                    .arm(d, port_id(kind, p), io.mem, io.name, out);
                Effect::None
            }
            Ok(PpWrite::None) => Effect::None,
            Err(code) => Effect::Alarm(code),
        }
    }

    /// One polling pass over every running domain. Returns whether any
    /// domain is running.
    pub fn poll(&mut self, io: &Io<'_>, out: &mut Pending) -> bool {
        let from = out.alarms.len();
        self.dataplane.run_all(io.ring, io.mem, io.name, out);
        self.latch(out, from);
        self.dataplane.any_running()
    }

    /// A doorbell write in `port`'s window: takes its QEs and schedules
    /// its domain (nothing if the port's domain is not running).
    pub fn doorbell(&mut self, port: PortId, io: &Io<'_>, out: &mut Pending) {
        let (kind, p) = match port {
            PortId::Ldb(p) => (PortKind::Ldb, p),
            PortId::Dir(p) => (PortKind::Dir, p),
        };
        let Some(d) = self.resources.port_owner(kind, u32::from(p)) else {
            return;
        };
        let from = out.alarms.len();
        self.dataplane
            .run(d, Some(port), io.ring, io.mem, io.name, out);
        self.latch(out, from);
    }

    /// Latches the QE alarms from `out.alarms[from..]`, in order.
    fn latch(&mut self, out: &Pending, from: usize) {
        for a in out.alarms.iter().skip(from) {
            let info = regs::ALARM_INFO_QE | u32::try_from(a.offset).unwrap_or(0);
            self.alarms.raise_info(a.code, info);
            self.control.set_cause(regs::IRQ_CAUSE_ALARM);
        }
    }
}

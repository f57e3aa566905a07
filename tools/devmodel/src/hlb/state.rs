// SPDX-License-Identifier: GPL-2.0

//! Every register of one HLB's PF, routed by offset range, and the data
//! plane they drive: [`State`] is what the device lock protects (the VFs'
//! state included, see [`super::vf`]), so that a refused write or QE, its
//! alarm and `IRQ_CAUSE.ALARM` change together.
//!
//! Link slots of a started domain (version 1.5, "Links at run time") are
//! where the two meet: [`Resources`] checks a write against the slots as
//! they read, `PENDING` from the running scheduler included, the
//! scheduler takes the change, then the registers store it.

use std::ops::RangeInclusive;

use hlb_sched::{LinkError, PortId};

use super::alarm::Alarms;
use super::control::Control;
use super::dataplane::{DataPlane, Io, Pending};
use super::resources::{self, PortKind, PpWrite, Resources, RuntimeLink, LINK_SLOTS};
use super::vf::translate;
use super::vf::vfs::Vfs;
use super::{Effect, HlbConfig};
use crate::hlb_regs::{self as regs, AlarmCode};

/// End of the ports' data-plane blocks.
pub(super) const PP_REGS_END: usize =
    regs::DIR_PP_REGS_BASE + regs::OBJECTS_MAX as usize * regs::PP_REGS_STRIDE;
/// `CQ_VECTOR` values of the PF's ports (0: none).
const PF_CQ_VECTORS: RangeInclusive<u32> = 0..=regs::CQ_VECTOR_MAX;
/// End of the domain blocks the map has room for.
const DOMAIN_END: usize = regs::DOMAIN_BASE + regs::DOMAINS_MAX as usize * regs::DOMAIN_STRIDE;

/// The device's registers and data plane; `new` gives the reset state.
pub struct State {
    pub(super) control: Control,
    pub(super) alarms: Alarms,
    pub(super) resources: Resources,
    pub(super) dataplane: DataPlane,
    pub(super) vfs: Vfs,
    /// The device has the data plane (version 1.1 or later).
    pub(super) dp_enabled: bool,
    /// The device has `PORT_CTRL` (version 1.3 or later).
    port_ctrl: bool,
    /// The device has the statistics counters (version 1.4 or later).
    stats: bool,
    /// The device takes link-slot writes on started domains (version 1.5
    /// or later).
    runtime_links: bool,
}

/// The port in the scheduler's terms.
pub(super) fn port_id(kind: PortKind, p: u32) -> PortId {
    let p = u8::try_from(p).unwrap_or(u8::MAX);
    match kind {
        PortKind::Ldb => PortId::Ldb(p),
        PortKind::Dir => PortId::Dir(p),
    }
}

/// Kind and number of `port`.
pub(super) fn port_parts(port: PortId) -> (PortKind, u32) {
    match port {
        PortId::Ldb(p) => (PortKind::Ldb, u32::from(p)),
        PortId::Dir(p) => (PortKind::Dir, u32::from(p)),
    }
}

/// Decodes an offset of the ports' data-plane blocks.
pub(super) fn pp_reg(off: usize) -> Option<(PortKind, u32, usize)> {
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
pub(super) fn domain_reg(off: usize) -> Option<(u32, usize)> {
    (regs::DOMAIN_BASE..DOMAIN_END).contains(&off).then(|| {
        let rel = off - regs::DOMAIN_BASE;
        (
            (rel / regs::DOMAIN_STRIDE) as u32,
            rel % regs::DOMAIN_STRIDE,
        )
    })
}

/// Object number of `off` in the blocks at `base` whose register is `reg`.
pub(super) fn object_with_reg(off: usize, base: usize, reg: usize) -> Option<u32> {
    let (id, r) = object_reg(off, base)?;
    (r == reg).then_some(id)
}

/// Object number and register of `off` in the `QUEUE_STRIDE` blocks at
/// `base` (as many as the map has room for).
fn object_reg(off: usize, base: usize) -> Option<(u32, usize)> {
    let room = regs::OBJECTS_MAX as usize * regs::QUEUE_STRIDE;
    let rel = off.checked_sub(base).filter(|&r| r < room)?;
    Some(((rel / regs::QUEUE_STRIDE) as u32, rel % regs::QUEUE_STRIDE))
}

/// The alarm for a run-time link the scheduler refused. The register
/// checks come first, so this is a safety net: a missing port or queue
/// is `BadId`; no free scheduler slot (`NoSlot`: pending unlinks hold
/// them), a priority it refuses, or a link it does not have to unlink
/// is `BadValue`, the value being what cannot be taken.
fn link_alarm(e: LinkError) -> AlarmCode {
    match e {
        LinkError::NoPort | LinkError::NoQueue => AlarmCode::BadId,
        LinkError::NoSlot | LinkError::BadPriority | LinkError::NotLinked => AlarmCode::BadValue,
    }
}

/// Which queue statistic a register reports.
#[derive(Clone, Copy, Debug)]
enum Stat {
    /// `LQ_SCHEDULED`, `DQ_SCHEDULED`.
    Scheduled,
    /// `QS_ENQUEUED_PRIO` of the given QE priority.
    Enqueued(usize),
}

/// The queue statistics register at `off` (version 1.4), if it is one:
/// the queue as kind and number (`Ldb`: LDB queue *n*; `Dir`: the
/// directed queue of DIR port *n*) and the statistic.
fn stats_reg(off: usize) -> Option<(PortKind, u32, Stat)> {
    if let Some(q) = object_with_reg(off, regs::LDB_QUEUE_BASE, regs::LQ_SCHEDULED) {
        return Some((PortKind::Ldb, q, Stat::Scheduled));
    }
    if let Some(p) = object_with_reg(off, regs::DIR_PORT_BASE, regs::DQ_SCHEDULED) {
        return Some((PortKind::Dir, p, Stat::Scheduled));
    }
    let (kind, (id, reg)) = match object_reg(off, regs::LDB_QUEUE_STATS_BASE) {
        Some(r) => (PortKind::Ldb, r),
        None => (PortKind::Dir, object_reg(off, regs::DIR_QUEUE_STATS_BASE)?),
    };
    // Every word of a block is a counter (`QE_PRIORITIES` of them).
    let k = (reg % 4 == 0).then_some(reg / 4)?;
    (k < regs::QE_PRIORITIES as usize).then_some((kind, id, Stat::Enqueued(k)))
}

impl State {
    /// The reset state of a device with `config`, whose VFs' Bus Master
    /// Enable bits are `bus_master` (config space is the transport's).
    pub fn new(config: &HlbConfig, bus_master: &[bool]) -> Self {
        let resources = Resources::new(config);
        let dataplane = DataPlane::new(resources.domain_count());
        Self {
            control: Control::default(),
            alarms: Alarms::default(),
            resources,
            dataplane,
            vfs: Vfs::new(config.vfs, bus_master),
            dp_enabled: config.data_plane(),
            port_ctrl: config.port_ctrl(),
            stats: config.stats(),
            runtime_links: config.runtime_links(),
        }
    }

    /// Bus Master Enable of every VF (kept across a PF reset).
    pub fn bus_masters(&self) -> Vec<bool> {
        self.vfs.bus_masters()
    }

    /// Whether any domain is running (the poller sleeps otherwise).
    pub fn any_running(&self) -> bool {
        self.dataplane.any_running()
    }

    /// Reads the register at `off`.
    pub fn read(&self, off: usize, config: &HlbConfig) -> u32 {
        match off {
            regs::NUM_VFS..=regs::VF_ALARM_PENDING => self.read_vf_pf(off, config),
            0..regs::ALARM_CODE => self.control.read(off, config),
            regs::ALARM_CODE..resources::BASE => self.alarms.read(off),
            resources::BASE..regs::PORT_REGS_BASE => self
                .read_dp_counter(off)
                .or_else(|| self.read_link(off))
                .unwrap_or_else(|| self.resources.read(off)),
            regs::PORT_REGS_BASE..PP_REGS_END if self.dp_enabled => self.read_pp(off),
            regs::VF_BLOCK_BASE.. => self.read_vf_block(off),
            _ => 0,
        }
    }

    /// The data-plane registers in the blocks of version 1.0: credits
    /// available, queue depths, and (version 1.4) the queue statistics,
    /// in those blocks and in the statistics blocks (`0x6000-0x7fff`).
    pub(super) fn read_dp_counter(&self, off: usize) -> Option<u32> {
        if let Some((kind, q, stat)) = stats_reg(off).filter(|_| self.stats) {
            let d = match kind {
                PortKind::Ldb => self.resources.queue_owner(q),
                PortKind::Dir => self.resources.port_owner(kind, q),
            };
            let s = d.map_or_else(Default::default, |d| {
                self.dataplane.queue_stats(d, port_id(kind, q))
            });
            return Some(match stat {
                Stat::Scheduled => s.scheduled,
                Stat::Enqueued(k) => s.enqueued[k],
            });
        }
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
        match pp_reg(off) {
            Some((kind, p, reg)) => self.read_port_pp(kind, p, reg),
            None => 0,
        }
    }

    /// Register `reg` of port `p`'s data-plane block.
    pub(super) fn read_port_pp(&self, kind: PortKind, p: u32, reg: usize) -> u32 {
        if !self.has_pp_reg(reg) {
            return 0;
        }
        if let Some(v) = self.resources.read_pp(kind, p, reg) {
            return v;
        }
        self.resources
            .port_owner(kind, p)
            .map_or(0, |d| self.dataplane.counter(d, port_id(kind, p), reg))
    }

    /// Whether this device's port data-plane blocks have register `reg`
    /// (`PORT_CTRL` only from version 1.3, `PP_EVENTS` and `CQ_IRQS` only
    /// from version 1.4: offsets before that which read 0 and ignore
    /// writes).
    pub(super) fn has_pp_reg(&self, reg: usize) -> bool {
        match reg {
            regs::PORT_CTRL => self.port_ctrl,
            regs::PP_EVENTS | regs::CQ_IRQS => self.stats,
            _ => true,
        }
    }

    /// Writes `value` at `off`; a refused write is latched as an alarm
    /// here, and the caller raises its vector. Vectors the write fires (CQ
    /// interrupts of a `CQ_ARM`, VF mailbox interrupts) are left in `out`.
    pub fn write(&mut self, off: usize, value: u32, io: &Io<'_>, out: &mut Pending) -> Effect {
        let effect = match off {
            regs::NUM_VFS..=regs::VF_ALARM_PENDING => self.write_vf_pf(off, value, io),
            0..regs::ALARM_CODE => self.control.write(off, value),
            regs::ALARM_CODE..resources::BASE => {
                self.alarms.write(off, value);
                Effect::None
            }
            resources::BASE..regs::PORT_REGS_BASE => match self.runtime_slot(off) {
                Some((d, p, s)) => self.write_runtime_link(d, p, s, value, io, out),
                None => {
                    let effect = self.resources.write(off, value);
                    if let (Some((d, _)), true) = (domain_reg(off), self.dp_enabled) {
                        self.dataplane.sync(d, &self.resources, &self.vfs, io);
                    }
                    effect
                }
            },
            regs::PORT_REGS_BASE..PP_REGS_END if self.dp_enabled => {
                self.write_pp(off, value, io, out)
            }
            regs::VF_BLOCK_BASE.. => self.write_vf_block(off, value, out),
            _ => Effect::None,
        };
        if let Effect::Alarm(code) = effect {
            self.alarms.raise(code, off);
            self.control.set_cause(regs::IRQ_CAUSE_ALARM);
        }
        effect
    }

    /// A link slot at `off` of an assigned LDB port, as it reads (`None`
    /// for other registers: [`Resources::read`] has them).
    fn read_link(&self, off: usize) -> Option<u32> {
        let (p, s) = self.resources.link_slot(off)?;
        let d = self.resources.port_owner(PortKind::Ldb, p)?;
        self.link_slots(d, p).get(s).copied()
    }

    /// The link slots of LDB port `p` of domain `d` as they read: as
    /// stored, or, for an empty one whose run-time unlink is still
    /// pending in the running scheduler, `PENDING` with the unlinked
    /// queue and priority. A stopped domain has nothing pending.
    fn link_slots(&self, d: u32, p: u32) -> [u32; LINK_SLOTS] {
        let port = port_id(PortKind::Ldb, p);
        let mut slots = self.resources.links(p);
        for (s, v) in slots.iter_mut().enumerate() {
            if *v == 0 {
                if let Some((q, prio)) = self.dataplane.pending_slot(d, port, s) {
                    *v = resources::pending_link(q, prio);
                }
            }
        }
        slots
    }

    /// (domain, LDB port, slot) of the link slot at `off` if a write to
    /// it is a run-time link: version 1.5, the port's domain started and
    /// running. Otherwise [`Resources::write`] takes the write (refusing
    /// it with `Started` on a started domain).
    fn runtime_slot(&self, off: usize) -> Option<(u32, u32, usize)> {
        if !self.runtime_links {
            return None;
        }
        let (p, s) = self.resources.link_slot(off)?;
        let d = self.resources.port_owner(PortKind::Ldb, p)?;
        let running = self.resources.started(d) && self.dataplane.running(d).is_some();
        running.then_some((d, p, s))
    }

    /// Writes `value` into link slot `s` of LDB port `p` of running domain
    /// `d`: checked by [`Resources::runtime_link`], taken by the
    /// scheduler, then stored, so that the domain starts with it next
    /// time (0 for an unlink, pending or not). A refusal, the
    /// scheduler's included, changes nothing.
    fn write_runtime_link(
        &mut self,
        d: u32,
        p: u32,
        s: usize,
        value: u32,
        io: &Io<'_>,
        out: &mut Pending,
    ) -> Effect {
        let port = port_id(PortKind::Ldb, p);
        let slots = self.link_slots(d, p);
        let taken = match self.resources.runtime_link(p, s, value, &slots) {
            Ok(RuntimeLink::Link { queue, prio }) => self
                .dataplane
                .link(d, port, s, (queue, prio))
                .map(|()| value),
            Ok(RuntimeLink::Unlink { queue, prio }) => self
                .dataplane
                .unlink(d, port, s, (queue, prio))
                .map(|_pending| 0),
            Ok(RuntimeLink::None) => return Effect::None,
            Err(code) => return Effect::Alarm(code),
        };
        match taken {
            Ok(stored) => {
                self.resources.set_link(p, s, stored);
                // A new link may give events waiting in its queue to the
                // port at once, without waiting for a doorbell or a poll.
                self.dataplane.schedule(d, io, &self.vfs, out);
                Effect::None
            }
            Err(e) => Effect::Alarm(link_alarm(e)),
        }
    }

    /// A PF write to a port's data-plane block: refused with `Owned` for
    /// a port a VF maps.
    fn write_pp(&mut self, off: usize, value: u32, io: &Io<'_>, out: &mut Pending) -> Effect {
        let Some((kind, p, reg)) = pp_reg(off) else {
            return Effect::None;
        };
        if !self.has_pp_reg(reg) {
            return Effect::None;
        }
        // Only a port the device has can be in a map.
        let owned = translate::owner(&self.vfs, port_id(kind, p)).is_some();
        let res = if owned && resources::pp_writable(reg) {
            Err(AlarmCode::Owned)
        } else {
            self.write_port_pp(kind, p, reg, value, &PF_CQ_VECTORS, io, out)
        };
        match res {
            Ok(()) => Effect::None,
            Err(code) => Effect::Alarm(code),
        }
    }

    /// Writes register `reg` of port `p`'s data-plane block (for the PF or
    /// a VF, whose `CQ_VECTOR` values are `vectors`) and arms its CQ, or
    /// stops, resets or runs the port, if asked.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn write_port_pp(
        &mut self,
        kind: PortKind,
        p: u32,
        reg: usize,
        value: u32,
        vectors: &RangeInclusive<u32>,
        io: &Io<'_>,
        out: &mut Pending,
    ) -> Result<(), AlarmCode> {
        match self.resources.write_pp(kind, p, reg, value, vectors)? {
            PpWrite::Arm(d) => self.dataplane.arm(d, port_id(kind, p), io, &self.vfs, out),
            PpWrite::Ctrl(d, value) => {
                // A stop takes the window's QEs: their alarms are latched.
                let from = out.alarms.len();
                self.dataplane
                    .port_ctrl(d, port_id(kind, p), value, io, &self.vfs, out);
                self.latch(out, from);
            }
            PpWrite::None => {}
        }
        Ok(())
    }

    /// One polling pass over every running domain. Returns whether any
    /// domain is running.
    pub fn poll(&mut self, io: &Io<'_>, out: &mut Pending) -> bool {
        let from = out.alarms.len();
        self.dataplane.run_all(io, &self.vfs, out);
        self.latch(out, from);
        self.dataplane.any_running()
    }

    /// A doorbell write in the window of `port` (physical) of function
    /// `func` (`None`: the PF; `Some(n)`: VF `n`): takes its QEs and
    /// schedules its domain (nothing if the port's domain is not running
    /// or the port is another function's).
    pub fn doorbell(&mut self, port: PortId, func: Option<u32>, io: &Io<'_>, out: &mut Pending) {
        let (kind, p) = port_parts(port);
        let Some(d) = self.resources.port_owner(kind, p) else {
            return;
        };
        let from = out.alarms.len();
        self.dataplane
            .run(d, Some((port, func)), io, &self.vfs, out);
        self.latch(out, from);
    }

    /// Latches the QE alarms from `out.alarms[from..]`, in order, in the
    /// alarm registers of the function whose window held the QE, and adds
    /// their vectors.
    fn latch(&mut self, out: &mut Pending, from: usize) {
        let new: Vec<_> = out
            .alarms
            .iter()
            .skip(from)
            .map(|a| (a.vf, a.code, a.offset))
            .collect();
        for (vf, code, offset) in new {
            let info = regs::ALARM_INFO_QE | u32::try_from(offset).unwrap_or(0);
            match vf {
                Some(n) => self.vf_alarm(n, code, info, out),
                None => {
                    self.alarms.raise_info(code, info);
                    self.control.set_cause(regs::IRQ_CAUSE_ALARM);
                    out.raise(None, super::ALARM_VECTOR);
                }
            }
        }
    }
}

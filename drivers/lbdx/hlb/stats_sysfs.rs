// SPDX-License-Identifier: GPL-2.0

//! The sysfs face of a started domain's statistics (`run_stats.rs`; ABI:
//! `Documentation/ABI/testing/sysfs-class-lbdx_hlb`), in the domain's
//! class device: `stats/` for the domain, with its `reset`, and one
//! directory per port (`ldb_port<N>`, `dir_port<N>`) and per queue
//! (`ldb_queue<N>`, `dir_queue<N>`: the directed queue of DIR port N).
//! Counters need the device's minor version 4 and have no file before it;
//! a VF has no queue counters (its queues' registers are the PF's).
//! The device-wide totals are `stats/` in the HLB's PCI device directory.

use super::{
    dataplane::DataPlane,
    domain_run::{DomainRun, RunPort},
    run_stats::{DomainStat, PortStat, RunQueue},
};
use crate::{
    attr_value::parse_u32,
    hw::hlb_regs::{self as regs, domain_reg},
    sysfs::{AttrGroup, AttrSource},
};
use core::fmt::Write;
use kernel::{device, prelude::*, str::CString, str::Formatter};

/// Mode of a counter file: none on a device without the counters.
fn counter_mode(has: bool) -> u16 {
    if has {
        0o444
    } else {
        0
    }
}

/// The files of one port.
pub(crate) struct PortView {
    run: &'static DomainRun,
    /// Index in the domain's ports.
    i: usize,
    name: CString,
}

impl PortView {
    fn port(&self) -> &RunPort {
        &self.run.cfg.ports[self.i]
    }
}

impl AttrSource for PortView {
    const NAMES: &'static [&'static CStr] = &[
        c"enqueued",
        c"dequeued",
        c"qes",
        c"interrupts",
        c"alerts",
        c"inflight",
        c"cq_occupancy",
        c"ldb_credits_held",
        c"dir_credits_held",
    ];

    fn mode(&self, id: usize) -> u16 {
        counter_mode(!matches!(id, 0 | 3) || self.run.stats().has_stats())
    }

    fn show(&self, id: usize, out: &mut Formatter<'_>) -> core::fmt::Result {
        let stats = self.run.stats();
        let rd = &|off| self.run.counter(off);
        let p = self.port();
        let v = match id {
            0 => stats.port(rd, self.i, PortStat::Enqueued),
            1 => stats.port(rd, self.i, PortStat::Dequeued),
            2 => stats.port(rd, self.i, PortStat::Qes),
            3 => stats.port(rd, self.i, PortStat::Interrupts),
            4 => stats.port_alerts(self.i),
            5 => self.run.reg(p.reg(regs::HL_USED)).into(),
            6 => self.run.reg(p.reg(regs::CQ_OCCUPANCY)).into(),
            k => self.run.credits_held(p, k == 8).into(),
        };
        write!(out, "{v}")
    }
}

/// The files of one queue.
pub(crate) struct QueueView {
    run: &'static DomainRun,
    /// Index in the domain's queues ([`super::run_stats::RunStats::queues`]).
    q: usize,
    name: CString,
}

impl AttrSource for QueueView {
    const NAMES: &'static [&'static CStr] = &[
        c"depth",
        c"enqueued",
        c"scheduled",
        c"enqueued_prio0",
        c"enqueued_prio1",
        c"enqueued_prio2",
        c"enqueued_prio3",
        c"enqueued_prio4",
        c"enqueued_prio5",
        c"enqueued_prio6",
        c"enqueued_prio7",
    ];

    fn mode(&self, id: usize) -> u16 {
        counter_mode(id == 0 || self.run.stats().queue_stats())
    }

    fn show(&self, id: usize, out: &mut Formatter<'_>) -> core::fmt::Result {
        let stats = self.run.stats();
        let rd = &|off| self.run.counter(off);
        let v = match id {
            0 => stats
                .queues()
                .get(self.q)
                .map_or(0, |q: &RunQueue| self.run.reg(q.depth_reg()))
                .into(),
            1 => stats.queue_enqueued(rd, self.q),
            // 2: scheduled (counter 0); 3 + k: priority k (counter 1 + k).
            k => stats.queue(rd, self.q, k - 2),
        };
        write!(out, "{v}")
    }
}

/// A group of files and what it reads; the group goes first.
struct Files<T: AttrSource + 'static> {
    _group: AttrGroup<'static, T>,
    _view: KBox<T>,
}

impl<T: AttrSource + 'static> Files<T> {
    /// # Safety
    ///
    /// As [`AttrGroup::new`]; the view's references must outlive the
    /// returned value.
    unsafe fn new(dev: &device::Device, view: KBox<T>, name: impl Fn(&T) -> &CStr) -> Result<Self> {
        // SAFETY: The box's contents do not move and are dropped after the
        // group (field order), which stops reading them when it drops.
        let v: &'static T = unsafe { &*core::ptr::from_ref::<T>(&view) };
        // SAFETY: The name is the view's and lives as long; not leaked (the
        // caller's requirement).
        let group = unsafe { AttrGroup::new(dev, Some(name(v)), v)? };
        Ok(Self {
            _group: group,
            _view: view,
        })
    }
}

/// Every statistics file of a started domain; dropping it removes them.
pub(crate) struct StatsFiles {
    _domain: AttrGroup<'static, DomainRun>,
    _ports: KVec<Files<PortView>>,
    _queues: KVec<Files<QueueView>>,
}

impl StatsFiles {
    /// Adds the files of `run` to `dev`, its class device.
    ///
    /// # Safety
    ///
    /// The returned value must be dropped before `run` is, and not leaked.
    pub(crate) unsafe fn new(dev: &device::Device, run: &DomainRun) -> Result<Self> {
        // SAFETY: By the function's safety requirements, `run` outlives
        // every group made here.
        let run: &'static DomainRun = unsafe { &*core::ptr::from_ref(run) };
        // SAFETY: As above; the group is dropped with `Self`.
        let domain = unsafe { AttrGroup::new(dev, Some(c"stats"), run)? };
        let mut ports = KVec::with_capacity(run.cfg.ports.len(), GFP_KERNEL)?;
        for (i, p) in run.cfg.ports.iter().enumerate() {
            let name = CString::try_from_fmt(fmt!("{}_port{}", p.kind_name(), p.id))?;
            let view = KBox::new(PortView { run, i, name }, GFP_KERNEL)?;
            // SAFETY: `run` outlives the files (above); not leaked.
            ports.push(unsafe { Files::new(dev, view, |v| &v.name)? }, GFP_KERNEL)?;
        }
        let queues_of = run.stats().queues();
        let mut queues = KVec::with_capacity(queues_of.len(), GFP_KERNEL)?;
        for (q, queue) in queues_of.iter().enumerate() {
            let name = CString::try_from_fmt(fmt!("{}_queue{}", queue.kind_name(), queue.id))?;
            let view = KBox::new(QueueView { run, q, name }, GFP_KERNEL)?;
            // SAFETY: `run` outlives the files (above); not leaked.
            queues.push(unsafe { Files::new(dev, view, |v| &v.name)? }, GFP_KERNEL)?;
        }
        Ok(Self {
            _domain: domain,
            _ports: ports,
            _queues: queues,
        })
    }
}

/// Index of `reset` in the domain's `stats/`.
const DOMAIN_RESET: usize = 13;

impl AttrSource for DomainRun {
    const NAMES: &'static [&'static CStr] = &[
        c"users",
        c"drains",
        c"reclaims",
        c"reclaim_dropped",
        c"alerts",
        c"enqueued",
        c"scheduled",
        c"ldb_credits_avail",
        c"dir_credits_avail",
        c"queue_depth",
        c"port_inflight",
        c"qes",
        c"interrupts",
        c"reset",
    ];

    fn mode(&self, id: usize) -> u16 {
        match id {
            DOMAIN_RESET => 0o200,
            5 | 12 => counter_mode(self.stats().has_stats()),
            _ => 0o444,
        }
    }

    fn store(&self, id: usize, value: &[u8]) -> Result {
        if id != DOMAIN_RESET || parse_u32(value) != Some(1) {
            return Err(EINVAL);
        }
        self.stats().reset(&|off| self.counter(off));
        Ok(())
    }

    fn show(&self, id: usize, out: &mut Formatter<'_>) -> core::fmt::Result {
        let stats = self.stats();
        let rd = &|off| self.counter(off);
        let d = self.cfg.id;
        match id {
            0 => write!(out, "{}", self.users()),
            1 => write!(out, "{}", stats.domain(DomainStat::Drains)),
            2 => write!(out, "{}", stats.domain(DomainStat::Reclaims)),
            3 => write!(out, "{}", stats.domain(DomainStat::ReclaimDropped)),
            4 => write!(out, "{}", stats.alerts()),
            5 => write!(out, "{}", stats.port_sum(rd, PortStat::Enqueued)),
            6 => write!(out, "{}", stats.port_sum(rd, PortStat::Dequeued)),
            7 => write!(
                out,
                "{}",
                self.reg(domain_reg(d, regs::DOM_LDB_CREDITS_AVAIL))
            ),
            8 => write!(
                out,
                "{}",
                self.reg(domain_reg(d, regs::DOM_DIR_CREDITS_AVAIL))
            ),
            9 => {
                let mut first = true;
                for q in stats
                    .queues()
                    .iter()
                    .filter(|q| q.kind == super::uapi::PORT_LDB)
                {
                    if !core::mem::take(&mut first) {
                        out.write_char(' ')?;
                    }
                    write!(out, "{}:{}", q.id, self.reg(q.depth_reg()))?;
                }
                Ok(())
            }
            10 => {
                let mut first = true;
                for p in self.cfg.ports.iter() {
                    if !core::mem::take(&mut first) {
                        out.write_char(' ')?;
                    }
                    write!(
                        out,
                        "{}{}:{}/{}",
                        p.kind_name(),
                        p.id,
                        self.reg(p.reg(regs::CQ_OCCUPANCY)),
                        self.reg(p.reg(regs::HL_USED))
                    )?;
                }
                Ok(())
            }
            11 => write!(out, "{}", stats.port_sum(rd, PortStat::Qes)),
            12 => write!(out, "{}", stats.port_sum(rd, PortStat::Interrupts)),
            // `reset` is write only.
            _ => Err(core::fmt::Error),
        }
    }
}

/// Index of `reset` in the device's `stats/`.
const DEVICE_RESET: usize = super::run_stats::DEVICE_STATS;

impl AttrSource for DataPlane {
    /// `run_stats::RunStats::totals` order, then `reset`.
    const NAMES: &'static [&'static CStr] = &[
        c"enqueued",
        c"qes",
        c"scheduled",
        c"interrupts",
        c"alerts",
        c"drains",
        c"reclaims",
        c"reset",
    ];

    fn mode(&self, id: usize) -> u16 {
        match id {
            DEVICE_RESET => 0o200,
            0 | 3 => counter_mode(self.has_stats()),
            _ => 0o444,
        }
    }

    fn store(&self, id: usize, value: &[u8]) -> Result {
        if id != DEVICE_RESET || parse_u32(value) != Some(1) {
            return Err(EINVAL);
        }
        self.reset_totals();
        Ok(())
    }

    fn show(&self, id: usize, out: &mut Formatter<'_>) -> core::fmt::Result {
        match self.device_totals().get(id) {
            Some(v) => write!(out, "{v}"),
            None => Err(core::fmt::Error),
        }
    }
}

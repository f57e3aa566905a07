// SPDX-License-Identifier: GPL-2.0

//! Test rig for HLB resource programming: a small device with a recording
//! IRQ sink, offset helpers, and checks that a write was accepted or
//! refused with a given alarm and no effect.

#![allow(dead_code)]

pub mod dp;

use std::sync::Arc;

use devmodel::hlb::{Hlb, HlbConfig, VfLink};
use devmodel::hlb_regs::{self as regs, AlarmCode};
use devmodel::irq::RecordingIrqs;
use devmodel::mem::VecMemory;
use devmodel::pci::PciFunction;

/// A small device, so that limits are easy to reach.
pub fn small_config() -> HlbConfig {
    HlbConfig {
        domains: 4,
        ldb_queues: 8,
        dir_ports: 4,
        ldb_ports: 8,
        ldb_credits: 1000,
        dir_credits: 500,
        hist_list: 256,
        atomic_inflights: 100,
        sn_groups: 2,
        ..HlbConfig::default()
    }
}

/// The small device reporting version 1.`minor`.
pub fn small_at(minor: u16) -> HlbConfig {
    HlbConfig {
        version: regs::version(1, minor),
        ..small_config()
    }
}

pub fn dom(d: u32, reg: usize) -> usize {
    regs::domain_reg(d, reg)
}
pub fn lq(q: u32, reg: usize) -> usize {
    regs::object_reg(regs::LDB_QUEUE_BASE, q, reg)
}
pub fn dp(p: u32, reg: usize) -> usize {
    regs::object_reg(regs::DIR_PORT_BASE, p, reg)
}
pub fn lp(p: u32, reg: usize) -> usize {
    regs::object_reg(regs::LDB_PORT_BASE, p, reg)
}
pub fn link(p: u32, s: u32) -> usize {
    regs::object_reg(regs::LINK_BASE, p, regs::link_slot(s))
}
/// `VALID | prio << 8 | q`.
pub fn link_val(q: u32, prio: u32) -> u32 {
    regs::VALID | prio << regs::LINK_PRIORITY_SHIFT | q
}
/// `LQ_SN` value.
pub fn sn(count: u32, group: u32, slot: u32) -> u32 {
    count | group << 16 | slot << 24
}
pub fn assign(d: u32) -> u32 {
    regs::VALID | d
}

pub const DOM_REGS: [usize; 6] = [
    regs::DOM_CTRL,
    regs::DOM_LDB_CREDITS,
    regs::DOM_DIR_CREDITS,
    regs::DOM_ATOMIC_INFLIGHTS,
    regs::DOM_HL_BASE,
    regs::DOM_HL_SIZE,
];
pub const LQ_REGS: [usize; 6] = [
    regs::OBJ_DOMAIN,
    regs::LQ_SN,
    regs::LQ_INFLIGHT_LIMIT,
    regs::LQ_ATOMIC_INFLIGHTS,
    regs::LQ_LOCK_ID_COMP,
    regs::LQ_DEPTH_THRESHOLD,
];
pub const DP_REGS: [usize; 3] = [
    regs::OBJ_DOMAIN,
    regs::PORT_CQ_DEPTH,
    regs::PORT_DEPTH_THRESHOLD,
];
pub const LP_REGS: [usize; 5] = [
    regs::OBJ_DOMAIN,
    regs::PORT_CQ_DEPTH,
    regs::PORT_DEPTH_THRESHOLD,
    regs::LP_HL_BASE,
    regs::LP_HL_SIZE,
];
pub const LINK_SLOTS: u32 = 8;

/// Guest RAM of the rig: CQ rings go here.
pub const RAM: u64 = 0x10_0000;
pub const RAM_SIZE: usize = 1 << 20;

pub struct Rig {
    pub h: Hlb,
    pub irq: Arc<RecordingIrqs>,
    pub mem: Arc<VecMemory>,
    pub config: HlbConfig,
}

impl Rig {
    pub fn new(config: HlbConfig) -> Self {
        Self::with_vfs(config, Vec::new())
    }

    /// A device with a VF per link (`config.vfs` of them).
    pub fn with_vfs(config: HlbConfig, vfs: Vec<VfLink>) -> Self {
        let irq = Arc::new(RecordingIrqs::new());
        let mem = Arc::new(VecMemory::with_region(RAM, RAM_SIZE));
        Self {
            h: Hlb::with_vfs("hlb-test", config.clone(), irq.clone(), mem.clone(), vfs)
                .expect("hlb"),
            irq,
            mem,
            config,
        }
    }

    pub fn small() -> Self {
        Self::new(small_config())
    }

    pub fn r(&self, off: usize) -> u32 {
        self.h.bar0_read(off as u64)
    }

    pub fn w(&self, off: usize, v: u32) {
        self.h.bar0_write(off as u64, v)
    }

    /// Offsets of every programming register the device has (SN group
    /// modes, domains, queues, ports, link slots).
    pub fn programming_offsets(&self) -> Vec<usize> {
        let c = &self.config;
        let mut v: Vec<usize> = (0..c.sn_groups).map(regs::sn_group_mode).collect();
        for d in 0..c.domains {
            v.extend(DOM_REGS.iter().map(|&r| dom(d, r)));
        }
        for q in 0..c.ldb_queues {
            v.extend(LQ_REGS.iter().map(|&r| lq(q, r)));
        }
        for p in 0..c.dir_ports {
            v.extend(DP_REGS.iter().map(|&r| dp(p, r)));
        }
        for p in 0..c.ldb_ports {
            v.extend(LP_REGS.iter().map(|&r| lp(p, r)));
            v.extend((0..LINK_SLOTS).map(|s| link(p, s)));
        }
        v
    }

    /// `(offset, value)` of every programming register.
    pub fn snapshot(&self) -> Vec<(usize, u32)> {
        self.programming_offsets()
            .into_iter()
            .map(|o| (o, self.r(o)))
            .collect()
    }

    /// Writes `v` at `off` and asserts it raised no alarm.
    pub fn ok(&self, off: usize, v: u32) {
        let count = self.r(regs::ALARM_COUNT);
        self.w(off, v);
        assert_eq!(
            self.r(regs::ALARM_COUNT),
            count,
            "write {v:#x} at {off:#x} raised alarm {:?}",
            AlarmCode::from_u32(self.r(regs::ALARM_CODE))
        );
        assert!(self.irq.take().is_empty(), "write {v:#x} at {off:#x}");
    }

    /// Writes `v` at `off`, asserts it was refused with `code` without
    /// changing any programming register, that the alarm was latched,
    /// counted, flagged in `IRQ_CAUSE` and signalled on vector 0; then
    /// acknowledges it.
    pub fn refused(&self, off: usize, v: u32, code: AlarmCode) {
        assert_eq!(self.r(regs::ALARM_CODE), 0, "an alarm is still latched");
        let before = self.snapshot();
        let count = self.r(regs::ALARM_COUNT);
        self.w(off, v);
        let got = AlarmCode::from_u32(self.r(regs::ALARM_CODE));
        assert_eq!(got, Some(code), "write {v:#x} at {off:#x}");
        assert_eq!(self.r(regs::ALARM_INFO), off as u32, "ALARM_INFO");
        assert_eq!(
            self.r(regs::ALARM_COUNT),
            count.wrapping_add(1),
            "ALARM_COUNT"
        );
        assert_ne!(
            self.r(regs::IRQ_CAUSE) & regs::IRQ_CAUSE_ALARM,
            0,
            "IRQ_CAUSE"
        );
        assert_eq!(self.irq.take(), [0], "vector 0 raised once");
        let after = self.snapshot();
        for ((o, b), (_, a)) in before.iter().zip(&after) {
            assert_eq!(a, b, "refused write {v:#x} at {off:#x} changed {o:#x}");
        }
        self.ack();
    }

    /// Acknowledges the latched alarm and clears `IRQ_CAUSE.ALARM`.
    pub fn ack(&self) {
        self.w(regs::ALARM_ACK, 1);
        self.w(regs::IRQ_CAUSE, regs::IRQ_CAUSE_ALARM);
    }

    /// Programs and validates domain `d` with the given reservation.
    pub fn domain(&self, d: u32, ldb: u32, dir: u32, atomic: u32, hl: (u32, u32)) {
        self.ok(dom(d, regs::DOM_LDB_CREDITS), ldb);
        self.ok(dom(d, regs::DOM_DIR_CREDITS), dir);
        self.ok(dom(d, regs::DOM_ATOMIC_INFLIGHTS), atomic);
        self.ok(dom(d, regs::DOM_HL_BASE), hl.0);
        self.ok(dom(d, regs::DOM_HL_SIZE), hl.1);
        self.ok(dom(d, regs::DOM_CTRL), regs::DOM_CTRL_VALID);
    }

    /// Two valid domains splitting the small device: domain 0 has
    /// 600/300 credits, 60 atomic in-flights and HL [0, 128); domain 1
    /// 400/200, 40 and HL [128, 256).
    pub fn two_domains() -> Self {
        Self::two_domains_on(small_config())
    }

    /// As [`Rig::two_domains`], on a device with `config` (the small
    /// device's counts or more).
    pub fn two_domains_on(config: HlbConfig) -> Self {
        let rig = Self::new(config);
        rig.domain(0, 600, 300, 60, (0, 128));
        rig.domain(1, 400, 200, 40, (128, 128));
        rig
    }

    pub fn start(&self, d: u32) {
        self.ok(
            dom(d, regs::DOM_CTRL),
            regs::DOM_CTRL_VALID | regs::DOM_CTRL_STARTED,
        );
    }
}

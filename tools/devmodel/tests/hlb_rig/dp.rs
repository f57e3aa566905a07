// SPDX-License-Identifier: GPL-2.0

//! Data-plane rig: a started domain with CQ rings in the rig's guest RAM,
//! a producer per port (writes QEs into its BAR4 window, rings its
//! doorbell) and a consumer per port (reads its CQ by generation bit).

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Deref;

use devmodel::hlb_regs::{self as regs, CqEntry, Qe, QeCommand, SchedType, QE_SIZE};
use devmodel::mem::GuestMemory;
use devmodel::pci::PciFunction;
use hlb_sched::PortId;

use super::*;

/// CQ depth of every port of the rig's domain.
pub const DEPTH: u32 = 8;
pub const LDB0: PortId = PortId::Ldb(0);
pub const LDB1: PortId = PortId::Ldb(1);
pub const DIR0: PortId = PortId::Dir(0);
pub const DIR1: PortId = PortId::Dir(1);

/// Guest address of `port`'s CQ ring.
pub fn cq_addr(port: PortId) -> u64 {
    match port {
        PortId::Ldb(p) => RAM + 0x1000 * u64::from(p),
        PortId::Dir(p) => RAM + 0x8_0000 + 0x1000 * u64::from(p),
    }
}

/// BAR0 offset of data-plane register `reg` of `port`.
pub fn pp(port: PortId, reg: usize) -> usize {
    match port {
        PortId::Ldb(p) => regs::ldb_pp_reg(u32::from(p), reg),
        PortId::Dir(p) => regs::dir_pp_reg(u32::from(p), reg),
    }
}

/// BAR4 offset of `port`'s window.
pub fn window(port: PortId) -> usize {
    match port {
        PortId::Ldb(p) => regs::ldb_pp_window(u32::from(p)),
        PortId::Dir(p) => regs::dir_pp_window(u32::from(p)),
    }
}

/// BAR4 offset of slot `slot` of `port`'s window.
pub fn slot_off(port: PortId, slot: u32) -> usize {
    window(port) + slot as usize * QE_SIZE
}

/// CQ vector the rig gives `port`.
pub fn vector(port: PortId) -> u32 {
    match port {
        PortId::Ldb(p) => 1 + u32::from(p),
        PortId::Dir(p) => 5 + u32::from(p),
    }
}

/// NEW directed QE to DIR port `p`.
pub fn new_dir(p: u8, data: u64) -> Qe {
    Qe {
        data,
        queue: p,
        sched: SchedType::Directed as u8,
        cmd: QeCommand::New as u8,
        opaque: 0x5a5a,
        ..Qe::default()
    }
}

/// NEW load-balanced QE to LDB queue `q`.
pub fn new_ldb(q: u8, sched: SchedType, flow: u16, data: u64) -> Qe {
    Qe {
        data,
        queue: q,
        sched: sched as u8,
        flow,
        cmd: QeCommand::New as u8,
        ..Qe::default()
    }
}

/// A QE with command `cmd` and nothing else but `token`.
pub fn cmd(cmd: QeCommand, token: bool) -> Qe {
    Qe {
        cmd: cmd as u8,
        token,
        ..Qe::default()
    }
}

/// RETURN_TOKENS of `n` tokens.
pub fn ret_tokens(n: u16) -> Qe {
    Qe {
        flow: n,
        ..cmd(QeCommand::ReturnTokens, false)
    }
}

/// The rig with domain 0 started and producer/consumer positions.
pub struct Dp {
    pub rig: Rig,
    next: RefCell<HashMap<PortId, u32>>,
    read: RefCell<HashMap<PortId, u32>>,
}

impl Deref for Dp {
    type Target = Rig;
    fn deref(&self) -> &Rig {
        &self.rig
    }
}

impl Dp {
    /// Domain 0 with `ldb`/`dir` credits, LDB queue 0 (unordered and 8
    /// atomic in-flights), LDB ports 0 and 1 (HL 16) linked to it, DIR
    /// ports 0 and 1; every CQ `DEPTH` deep with its vector; started.
    pub fn new(ldb: u32, dir: u32) -> Self {
        let dp = Self::programmed(ldb, dir);
        dp.start(0);
        dp
    }

    /// As [`Dp::new`], not started.
    pub fn programmed(ldb: u32, dir: u32) -> Self {
        Self::program(Rig::small(), ldb, dir)
    }

    /// As [`Dp::programmed`], on `rig`.
    pub fn program(rig: Rig, ldb: u32, dir: u32) -> Self {
        rig.domain(0, ldb, dir, 8, (0, 64));
        rig.ok(lq(0, regs::OBJ_DOMAIN), assign(0));
        rig.ok(lq(0, regs::LQ_ATOMIC_INFLIGHTS), 8);
        for p in 0..2u8 {
            let port = PortId::Ldb(p);
            let pi = u32::from(p);
            rig.ok(lp(pi, regs::OBJ_DOMAIN), assign(0));
            rig.ok(lp(pi, regs::PORT_CQ_DEPTH), DEPTH);
            rig.ok(lp(pi, regs::LP_HL_BASE), 16 * pi);
            rig.ok(lp(pi, regs::LP_HL_SIZE), 16);
            rig.ok(link(pi, 0), link_val(0, 0));
            rig.ok(pp(port, regs::CQ_ADDR_LO), cq_addr(port) as u32);
            rig.ok(pp(port, regs::CQ_ADDR_HI), (cq_addr(port) >> 32) as u32);
            rig.ok(pp(port, regs::CQ_VECTOR), vector(port));
            let port = PortId::Dir(p);
            rig.ok(dp(pi, regs::OBJ_DOMAIN), assign(0));
            rig.ok(dp(pi, regs::PORT_CQ_DEPTH), DEPTH);
            rig.ok(pp(port, regs::CQ_ADDR_LO), cq_addr(port) as u32);
            rig.ok(pp(port, regs::CQ_VECTOR), vector(port));
        }
        Self {
            rig,
            next: RefCell::default(),
            read: RefCell::default(),
        }
    }

    /// Forgets producer and consumer positions (after a restart).
    pub fn restart_positions(&self) {
        self.next.borrow_mut().clear();
        self.read.borrow_mut().clear();
    }

    /// Forgets `port`'s producer and consumer positions (after a port
    /// reset).
    pub fn restart_port(&self, port: PortId) {
        self.next.borrow_mut().remove(&port);
        self.read.borrow_mut().remove(&port);
    }

    /// Data-plane register `reg` of `port`.
    pub fn reg(&self, port: PortId, reg: usize) -> u32 {
        self.r(pp(port, reg))
    }

    /// Writes `qes` into `port`'s next slots through the BAR4 memory (as
    /// the guest's stores through its mapping), without a doorbell.
    /// Returns the slots used.
    pub fn send(&self, port: PortId, qes: &[Qe]) -> Vec<u32> {
        let mut next = self.next.borrow_mut();
        let n = next.entry(port).or_insert(0);
        qes.iter()
            .map(|qe| {
                let slot = *n;
                self.put(port, slot, &qe.to_bytes());
                *n = (slot + 1) % regs::PP_SLOTS;
                slot
            })
            .collect()
    }

    /// Writes raw QE bytes into `port`'s next slot; returns the slot.
    pub fn send_raw(&self, port: PortId, bytes: &[u8; QE_SIZE]) -> u32 {
        let mut next = self.next.borrow_mut();
        let n = next.entry(port).or_insert(0);
        let slot = *n;
        self.put(port, slot, bytes);
        *n = (slot + 1) % regs::PP_SLOTS;
        slot
    }

    /// Writes raw QE bytes into slot `slot` of `port`'s window.
    pub fn put(&self, port: PortId, slot: u32, bytes: &[u8; QE_SIZE]) {
        let off = slot_off(port, slot);
        assert_eq!(self.slot_cmd(port, slot), 0, "slot {slot} still full");
        self.h.bar4().write(off, bytes);
    }

    /// Byte 15 of slot `slot` of `port`'s window.
    pub fn slot_cmd(&self, port: PortId, slot: u32) -> u8 {
        let mut b = [0u8];
        self.h
            .bar4()
            .read(slot_off(port, slot) + QE_SIZE - 1, &mut b);
        b[0]
    }

    /// Rings `port`'s doorbell (a trapped 32-bit BAR4 write).
    pub fn ring(&self, port: PortId) {
        self.h
            .bar4_write((window(port) + regs::PP_DOORBELL) as u64, &[0; 4]);
    }

    /// `send` and `ring`.
    pub fn enq(&self, port: PortId, qes: &[Qe]) -> Vec<u32> {
        let slots = self.send(port, qes);
        self.ring(port);
        slots
    }

    /// The CQ entry in slot `slot` of `port`'s ring.
    pub fn cq_slot(&self, port: PortId, slot: u32) -> CqEntry {
        let mut b = [0u8; QE_SIZE];
        self.mem
            .read(cq_addr(port) + u64::from(slot) * QE_SIZE as u64, &mut b)
            .expect("cq read");
        CqEntry::from_bytes(&b)
    }

    /// Consumer side: the next entry of `port`'s CQ, if written.
    pub fn pop(&self, port: PortId) -> Option<CqEntry> {
        let mut read = self.read.borrow_mut();
        let r = read.entry(port).or_insert(0);
        let e = self.cq_slot(port, *r % DEPTH);
        if e.gen != CqEntry::gen_for(*r, DEPTH) {
            return None;
        }
        *r += 1;
        Some(e)
    }

    /// Pops every entry written so far.
    pub fn drain(&self, port: PortId) -> Vec<CqEntry> {
        std::iter::from_fn(|| self.pop(port)).collect()
    }

    /// Asserts that the QE in `slot` of `port` was refused with `code`
    /// (latched, counted, `IRQ_CAUSE.ALARM`, vector 0 once, slot emptied)
    /// and acknowledges it.
    pub fn refused_qe(&self, port: PortId, slot: u32, code: AlarmCode) {
        assert_eq!(
            AlarmCode::from_u32(self.r(regs::ALARM_CODE)),
            Some(code),
            "{port:?} slot {slot}"
        );
        assert_eq!(
            self.r(regs::ALARM_INFO),
            regs::ALARM_INFO_QE | slot_off(port, slot) as u32,
            "ALARM_INFO"
        );
        assert_ne!(self.r(regs::IRQ_CAUSE) & regs::IRQ_CAUSE_ALARM, 0);
        assert_eq!(self.irq.take(), [0], "vector 0 once");
        assert_eq!(self.slot_cmd(port, slot), 0, "refused slot emptied");
        self.ack();
    }
}

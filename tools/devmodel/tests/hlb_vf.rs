// SPDX-License-Identifier: GPL-2.0

//! HLB virtual functions against `Documentation/hw/hlb-vf.rst`: absence
//! until enabled, the PF's VF registers, the mailbox, the map tables, the
//! data plane through VFs (translation, each VF's memory and vectors),
//! VF and PF resets.

mod hlb_rig;

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use devmodel::hlb::{HlbConfig, HlbVf, VfLink};
use devmodel::hlb_regs::{self as regs, vf_block_reg, AlarmCode, CqEntry, Qe, SchedType, QE_SIZE};
use devmodel::hlb_vf_regs as vregs;
use devmodel::irq::RecordingIrqs;
use devmodel::mem::{GuestMemory, VecMemory};
use devmodel::pci::PciFunction;
use hlb_rig::dp::*;
use hlb_rig::*;
use hlb_sched::PortId;

/// One VF function with its own vectors and memory, and its producers'
/// next slots.
struct Vf {
    f: HlbVf,
    irq: Arc<RecordingIrqs>,
    mem: Arc<VecMemory>,
    next: RefCell<HashMap<PortId, u32>>,
}

impl Vf {
    fn r(&self, off: usize) -> u32 {
        self.f.bar0_read(off as u64)
    }
    fn w(&self, off: usize, v: u32) {
        self.f.bar0_write(off as u64, v)
    }
    /// Writes `qes` into virtual port `vport`'s window and rings its
    /// doorbell; returns the slots.
    fn enq(&self, vport: PortId, qes: &[Qe]) -> Vec<u32> {
        let ring = self.f.bar4().expect("VF BAR4");
        let mut next = self.next.borrow_mut();
        let n = next.entry(vport).or_insert(0);
        let slots = qes
            .iter()
            .map(|qe| {
                let slot = *n;
                ring.write(slot_off(vport, slot), &qe.to_bytes());
                *n = (slot + 1) % regs::PP_SLOTS;
                slot
            })
            .collect();
        self.f
            .bar4_write((window(vport) + regs::PP_DOORBELL) as u64, &[0; 4]);
        slots
    }
    /// CQ slot `slot` of physical `port` in this VF's memory.
    fn cq(&self, port: PortId, slot: u32) -> CqEntry {
        let mut b = [0u8; QE_SIZE];
        self.mem
            .read(cq_addr(port) + u64::from(slot) * QE_SIZE as u64, &mut b)
            .expect("cq read");
        CqEntry::from_bytes(&b)
    }
}

/// A device with two VFs (not enabled), and domain 0 of [`Dp`] programmed
/// (not started).
fn rig() -> (Dp, [Vf; 2]) {
    let irqs = [
        Arc::new(RecordingIrqs::new()),
        Arc::new(RecordingIrqs::new()),
    ];
    let mems = [
        Arc::new(VecMemory::with_region(RAM, RAM_SIZE)),
        Arc::new(VecMemory::with_region(RAM, RAM_SIZE)),
    ];
    let links = (0..2)
        .map(|i| VfLink {
            irq: irqs[i].clone(),
            mem: mems[i].clone(),
        })
        .collect();
    let config = HlbConfig {
        vfs: 2,
        ..small_config()
    };
    let d = Dp::program(Rig::with_vfs(config, links), 50, 50);
    let [i0, i1] = irqs;
    let [m0, m1] = mems;
    let vf = |n: u32, irq, mem| Vf {
        f: d.h.vf(n).expect("vf"),
        irq,
        mem,
        next: RefCell::default(),
    };
    let vfs = [vf(0, i0, m0), vf(1, i1, m1)];
    (d, vfs)
}

fn vfb(n: u32, reg: usize) -> usize {
    vf_block_reg(n, reg)
}
fn map(reg: usize, v: u32) -> usize {
    reg + 4 * v as usize
}
fn entry(p: u32) -> u32 {
    regs::VF_MAP_VALID | p
}

const VDIR3: PortId = PortId::Dir(3);
const VDIR5: PortId = PortId::Dir(5);

/// VF 0: virtual DIR port 3 = DIR 0, LDB ports 4 and 7 = LDB 0 and 1,
/// LDB queue 2 = queue 0, domain 1 = domain 0. VF 1: virtual DIR port 5
/// = DIR 1. Both enabled with bus mastering; domain 0 started.
fn running() -> (Dp, [Vf; 2]) {
    let (d, vfs) = rig();
    d.ok(vfb(0, map(regs::VFB_DIR_PORT_MAP, 3)), entry(0));
    d.ok(vfb(0, map(regs::VFB_LDB_PORT_MAP, 4)), entry(0));
    d.ok(vfb(0, map(regs::VFB_LDB_PORT_MAP, 7)), entry(1));
    d.ok(vfb(0, map(regs::VFB_LDB_QUEUE_MAP, 2)), entry(0));
    d.ok(vfb(0, map(regs::VFB_DOMAIN_MAP, 1)), entry(0));
    d.ok(vfb(1, map(regs::VFB_DIR_PORT_MAP, 5)), entry(1));
    d.ok(regs::VF_ENABLE, 3);
    for v in &vfs {
        v.f.bus_master(true);
    }
    d.start(0);
    (d, vfs)
}

#[test]
fn absent_until_enabled_and_vf_enable_bits() {
    let (d, vfs) = rig();
    let id = vfs[0].f.identity();
    assert_eq!((id.vendor, id.device, id.class), (0x0def, 0x4c43, 0x088000));
    assert_eq!((id.msix_vectors, id.bar4_size), (17, regs::PP_BAR_SIZE));
    let shared = vfs[0].f.bar4_shared().expect("shared BAR4");
    assert_eq!(shared.areas.len(), 256, "every virtual window's QE page");
    assert_ne!(shared.fd, d.h.bar4_shared().expect("PF BAR4").fd);
    assert!(d.h.vf(2).is_none());
    assert_eq!(d.r(regs::NUM_VFS), 2);
    assert_eq!(d.r(regs::VERSION), 0x0001_0005);
    for off in [regs::ID, regs::VERSION, vregs::MBOX_STATUS, 0x8000, 0x20] {
        assert_eq!(vfs[0].r(off), vregs::ABSENT, "{off:#x}");
    }
    vfs[0].w(vregs::MBOX_REQ, 7);
    vfs[0].w(vregs::MBOX_REQ_LEN, 4);
    assert_eq!(d.r(regs::VF_MBOX_PENDING), 0, "writes ignored while absent");
    // A bit at or above NUM_VFS: BadValue, nothing enabled.
    d.refused(regs::VF_ENABLE, 4, AlarmCode::BadValue);
    assert_eq!(d.r(regs::VF_ENABLE), 0);
    d.ok(regs::VF_ENABLE, 1);
    assert_eq!(vfs[0].r(regs::ID), vregs::ID_MAGIC);
    assert_eq!(vfs[0].r(regs::VERSION), 0x0001_0005);
    assert_eq!(vfs[0].r(regs::STATUS), regs::STATUS_READY);
    assert_eq!(vfs[0].r(regs::NUM_VECTORS), 17);
    assert_eq!(vfs[0].r(vregs::MBOX_REQ), 0, "ignored write left nothing");
    assert_eq!(vfs[1].r(regs::ID), vregs::ABSENT);
    assert_eq!(d.r(vfb(0, regs::VFB_STATUS)), regs::VFB_STATUS_ENABLED);
    // Blocks of VFs the device lacks read 0 and ignore writes.
    d.ok(vfb(2, regs::VFB_REPLY), 5);
    assert_eq!(d.r(vfb(2, regs::VFB_REPLY)), 0);
    assert!(vfs[0].irq.take().is_empty());
}

/// Asserts that VF `n` latched `code` at `info` with both functions'
/// vector 0 and the PF's view, then acknowledges both sides.
fn vf_alarmed(d: &Dp, vfs: &[Vf; 2], n: u32, code: AlarmCode, info: u32, count: u32) {
    let v = &vfs[n as usize];
    assert_eq!(AlarmCode::from_u32(v.r(regs::ALARM_CODE)), Some(code));
    assert_eq!(v.r(regs::ALARM_INFO), info);
    assert_ne!(v.r(regs::IRQ_CAUSE) & vregs::IRQ_CAUSE_ALARM, 0);
    assert_eq!(v.irq.take(), [0], "VF vector 0");
    assert_eq!(d.r(vfb(n, regs::VFB_ALARM_CODE)), code as u32);
    assert_eq!(d.r(vfb(n, regs::VFB_ALARM_INFO)), info);
    assert_eq!(d.r(vfb(n, regs::VFB_ALARM_COUNT)), count);
    assert_eq!(d.r(regs::VF_ALARM_PENDING), 1 << n);
    assert_ne!(d.r(regs::IRQ_CAUSE) & regs::IRQ_CAUSE_VF_ALARM, 0);
    assert_eq!(d.irq.take(), [0], "PF vector 0");
    assert_eq!(d.r(regs::ALARM_CODE), 0, "not a PF alarm");
    v.w(regs::ALARM_ACK, 1);
    v.w(regs::IRQ_CAUSE, vregs::IRQ_CAUSE_ALARM);
    d.w(regs::VF_ALARM_PENDING, 1 << n);
    d.w(regs::IRQ_CAUSE, regs::IRQ_CAUSE_VF_ALARM);
    assert_eq!(v.r(regs::ALARM_CODE), 0);
    assert_eq!(d.r(regs::VF_ALARM_PENDING), 0);
    assert_eq!(
        (
            d.r(vfb(n, regs::VFB_ALARM_CODE)),
            d.r(vfb(n, regs::VFB_ALARM_INFO))
        ),
        (code as u32, info),
        "the PF's view outlives the VF's acknowledgement"
    );
}

#[test]
fn mailbox_requests_replies_and_overruns() {
    let (d, vfs) = rig();
    d.ok(regs::VF_ENABLE, 3);
    let v = &vfs[1];
    for i in 0..4 {
        v.w(vregs::MBOX_REQ + 4 * i, 0x1000 + i as u32);
    }
    v.w(vregs::MBOX_REQ_LEN, 8);
    assert_eq!(d.irq.take(), [0], "PF vector 0");
    assert_eq!(d.r(regs::IRQ_CAUSE), regs::IRQ_CAUSE_VF_MBOX);
    assert_eq!(d.r(regs::VF_MBOX_PENDING), 0b10);
    assert_eq!(d.r(vfb(1, regs::VFB_REQ_LEN)), 8);
    assert_eq!(
        d.r(vfb(1, regs::VFB_STATUS)) & regs::VFB_STATUS_REQ_PENDING,
        1
    );
    let req: Vec<u32> = (0..3).map(|i| d.r(vfb(1, regs::VFB_REQ + 4 * i))).collect();
    assert_eq!(req, [0x1000, 0x1001, 0], "bytes beyond the length read 0");
    assert_eq!(d.r(vfb(0, regs::VFB_REQ_LEN)), 0, "VF 0 untouched");
    assert_eq!(v.r(vregs::MBOX_STATUS), vregs::MBOX_STATUS_REQ_BUSY);
    // While busy: MBOX_REQ ignores writes, a post is dropped and counted.
    v.w(vregs::MBOX_REQ, 0xdead);
    assert_eq!(v.r(vregs::MBOX_REQ), 0x1000);
    v.w(vregs::MBOX_REQ_LEN, 4);
    v.w(vregs::MBOX_REQ_LEN, 3);
    assert_eq!(v.r(vregs::MBOX_OVERRUNS), 2);
    assert_eq!(d.r(vfb(1, regs::VFB_OVERRUNS)), 2);
    assert_eq!(d.r(vfb(1, regs::VFB_REQ_LEN)), 8);
    assert!(d.irq.take().is_empty() && v.irq.take().is_empty());
    d.w(regs::IRQ_CAUSE, regs::IRQ_CAUSE_VF_MBOX);
    // Replies: length rule, then delivery.
    d.ok(vfb(1, regs::VFB_REPLY), 0xaa);
    d.ok(vfb(1, regs::VFB_REPLY + 4), 0xbb);
    for bad in [0, 6, 260] {
        d.refused(vfb(1, regs::VFB_REPLY_LEN), bad, AlarmCode::BadValue);
    }
    d.ok(vfb(1, regs::VFB_REPLY_LEN), 4);
    assert_eq!(v.irq.take(), [0], "VF vector 0");
    assert_eq!(v.r(regs::IRQ_CAUSE), vregs::IRQ_CAUSE_MBOX_REPLY);
    assert_eq!(v.r(vregs::MBOX_STATUS), vregs::MBOX_STATUS_REPLY_VALID);
    assert_eq!(v.r(vregs::MBOX_REPLY_LEN), 4);
    assert_eq!(
        (v.r(vregs::MBOX_REPLY), v.r(vregs::MBOX_REPLY + 4)),
        (0xaa, 0)
    );
    assert_eq!(d.r(regs::VF_MBOX_PENDING), 0);
    assert_eq!(d.r(vfb(1, regs::VFB_REQ_LEN)), 0);
    assert_eq!(d.r(vfb(1, regs::VFB_REQ)), 0);
    // No request pending: BadValue.
    d.refused(vfb(1, regs::VFB_REPLY_LEN), 4, AlarmCode::BadValue);
    // A new post clears REPLY_VALID; bad lengths are the VF's alarms.
    v.w(vregs::MBOX_REQ_LEN, 4);
    assert_eq!(v.r(vregs::MBOX_STATUS), vregs::MBOX_STATUS_REQ_BUSY);
    d.irq.take();
    d.ok(vfb(1, regs::VFB_REPLY_LEN), 4);
    v.irq.take();
    for (i, bad) in [0u32, 2, 257, 260].into_iter().enumerate() {
        v.w(vregs::MBOX_REQ_LEN, bad);
        vf_alarmed(
            &d,
            &vfs,
            1,
            AlarmCode::BadValue,
            vregs::MBOX_REQ_LEN as u32,
            i as u32 + 1,
        );
    }
    assert_eq!(d.r(regs::VF_MBOX_PENDING), 0);
    assert_eq!(d.r(vfb(0, regs::VFB_ALARM_COUNT)), 0);
    assert!(vfs[0].irq.take().is_empty());
}

#[test]
fn pf_messages_need_an_acknowledgement() {
    let (d, vfs) = rig();
    let v = &vfs[0];
    d.ok(vfb(0, regs::VFB_MSG), 0x11);
    d.ok(vfb(0, regs::VFB_MSG + 4), 0x22);
    d.refused(vfb(0, regs::VFB_MSG_LEN), 4, AlarmCode::BadValue);
    d.ok(regs::VF_ENABLE, 1);
    for bad in [0, 5, 68] {
        d.refused(vfb(0, regs::VFB_MSG_LEN), bad, AlarmCode::BadValue);
    }
    d.ok(vfb(0, regs::VFB_MSG_LEN), 4);
    assert_eq!(v.irq.take(), [0]);
    assert_eq!(v.r(regs::IRQ_CAUSE), vregs::IRQ_CAUSE_PF_MSG);
    assert_eq!(v.r(vregs::MBOX_STATUS), vregs::MBOX_STATUS_MSG_VALID);
    assert_eq!((v.r(vregs::PF_MSG), v.r(vregs::PF_MSG + 4)), (0x11, 0));
    assert_eq!(v.r(vregs::PF_MSG_LEN), 4);
    assert_eq!(
        d.r(vfb(0, regs::VFB_STATUS)) & regs::VFB_STATUS_MSG_PENDING,
        2
    );
    d.refused(vfb(0, regs::VFB_MSG_LEN), 8, AlarmCode::InUse);
    v.w(vregs::PF_MSG_ACK, 0);
    d.refused(vfb(0, regs::VFB_MSG_LEN), 8, AlarmCode::InUse);
    v.w(vregs::PF_MSG_ACK, 1);
    assert_eq!(v.r(vregs::MBOX_STATUS), 0);
    assert_eq!(
        d.r(vfb(0, regs::VFB_STATUS)) & regs::VFB_STATUS_MSG_PENDING,
        0
    );
    d.ok(vfb(0, regs::VFB_MSG_LEN), 8);
    assert_eq!(v.r(vregs::PF_MSG + 4), 0x22);
    assert_eq!(v.irq.take(), [0]);
    assert!(vfs[1].irq.take().is_empty());
}

#[test]
fn map_entries_are_checked() {
    let (d, vfs) = rig();
    let e = vfb(0, map(regs::VFB_LDB_QUEUE_MAP, 9));
    for bad in [1, 0x8000_0100, 0x4000_0001] {
        d.refused(e, bad, AlarmCode::BadValue);
    }
    // small_config: 8 queues, 8 LDB ports, 4 DIR ports, 4 domains.
    d.refused(e, entry(8), AlarmCode::BadId);
    d.refused(
        vfb(0, map(regs::VFB_DIR_PORT_MAP, 0)),
        entry(4),
        AlarmCode::BadId,
    );
    d.refused(
        vfb(0, map(regs::VFB_DOMAIN_MAP, 63)),
        entry(4),
        AlarmCode::BadId,
    );
    d.ok(e, entry(7));
    assert_eq!(d.r(e), entry(7));
    d.ok(e, entry(7));
    // Owned: another entry of this VF, or another VF's.
    d.refused(
        vfb(0, map(regs::VFB_LDB_QUEUE_MAP, 1)),
        entry(7),
        AlarmCode::Owned,
    );
    d.refused(
        vfb(1, map(regs::VFB_LDB_QUEUE_MAP, 9)),
        entry(7),
        AlarmCode::Owned,
    );
    // A different table may name the same number.
    d.ok(vfb(1, map(regs::VFB_LDB_PORT_MAP, 9)), entry(7));
    // Started: the current or new object in a started domain.
    d.ok(vfb(1, map(regs::VFB_DIR_PORT_MAP, 2)), entry(1));
    d.start(0);
    d.refused(
        vfb(1, map(regs::VFB_DIR_PORT_MAP, 2)),
        0,
        AlarmCode::Started,
    );
    d.refused(
        vfb(1, map(regs::VFB_DIR_PORT_MAP, 3)),
        entry(0),
        AlarmCode::Started,
    );
    d.refused(
        vfb(0, map(regs::VFB_DOMAIN_MAP, 0)),
        entry(0),
        AlarmCode::Started,
    );
    d.refused(
        vfb(0, map(regs::VFB_LDB_QUEUE_MAP, 0)),
        entry(0),
        AlarmCode::Started,
    );
    d.ok(vfb(0, map(regs::VFB_DOMAIN_MAP, 0)), entry(1));
    d.ok(e, 0);
    assert_eq!(d.r(e), 0);
    assert!(vfs[0].irq.take().is_empty() && vfs[1].irq.take().is_empty());
}

#[test]
fn data_plane_through_two_vfs() {
    let (d, vfs) = running();
    let (v0, v1) = (&vfs[0], &vfs[1]);
    // Arming through the VF's block of its virtual port.
    v0.w(regs::dir_pp_reg(3, regs::CQ_ARM), 1);
    v1.w(regs::dir_pp_reg(5, regs::CQ_ARM), 1);
    // Directed to itself, by virtual id.
    v0.enq(VDIR3, &[new_dir(3, 100)]);
    let e = v0.cq(DIR0, 0);
    assert_eq!((e.data, e.queue, e.sched, e.gen), (100, 3, 3, true));
    assert_eq!(v0.irq.take(), [vector(DIR0)], "CQ vector on VF 0");
    v1.enq(VDIR5, &[new_dir(5, 200)]);
    let e = v1.cq(DIR1, 0);
    assert_eq!((e.data, e.queue), (200, 5));
    assert_eq!(v1.irq.take(), [vector(DIR1)]);
    // Nothing in the PF's memory or the other VF's.
    assert_eq!(d.cq_slot(DIR0, 0), CqEntry::default());
    assert_eq!(d.cq_slot(DIR1, 0), CqEntry::default());
    assert_eq!(v0.cq(DIR1, 0), CqEntry::default());
    assert_eq!(v1.cq(DIR0, 0), CqEntry::default());
    assert!(d.irq.take().is_empty());
    // Load-balanced to virtual queue 2 (queue 0), on LDB port 0 or 1.
    v0.enq(VDIR3, &[new_ldb(2, SchedType::Unordered, 0, 300)]);
    let got: Vec<CqEntry> = [LDB0, LDB1]
        .iter()
        .map(|&p| v0.cq(p, 0))
        .filter(|e| e.gen)
        .collect();
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].data, got[0].queue), (300, 2));
    // Counters by virtual id.
    assert_eq!(v0.r(regs::dir_pp_reg(3, regs::PP_CONSUMED)), 2);
    assert_eq!(v0.r(regs::dir_pp_reg(3, regs::CQ_WRITTEN)), 1);
    assert_eq!(v0.r(regs::domain_reg(1, regs::DOM_DIR_CREDITS_AVAIL)), 50);
    assert_eq!(
        v0.r(regs::domain_reg(0, regs::DOM_DIR_CREDITS_AVAIL)),
        0,
        "unmapped"
    );
    assert_eq!(
        v0.r(regs::dir_pp_reg(3, regs::CQ_ADDR_LO)),
        cq_addr(DIR0) as u32
    );
    assert_eq!(v1.r(regs::dir_pp_reg(3, regs::CQ_WRITTEN)), 0, "not VF 1's");
    // The PF window of a VF's port is not read.
    let s = d.enq(DIR0, &[new_dir(0, 1)]);
    assert_ne!(d.slot_cmd(DIR0, s[0]), 0);
    // Unmapped virtual queues: VF 1's id, a queue nobody maps.
    let s = v0.enq(VDIR3, &[new_dir(5, 1)]);
    let info = regs::ALARM_INFO_QE | slot_off(VDIR3, s[0]) as u32;
    vf_alarmed(&d, &vfs, 0, AlarmCode::Unmapped, info, 1);
    let s = v0.enq(VDIR3, &[new_ldb(3, SchedType::Unordered, 0, 1)]);
    let info = regs::ALARM_INFO_QE | slot_off(VDIR3, s[0]) as u32;
    vf_alarmed(&d, &vfs, 0, AlarmCode::Unmapped, info, 2);
    assert_eq!(
        v0.r(regs::dir_pp_reg(3, regs::PP_CONSUMED)),
        2,
        "refused QEs not counted"
    );
    // The PF cannot configure a VF's port; a VF only its mapped ports.
    d.refused(pp(DIR0, regs::CQ_VECTOR), 1, AlarmCode::Owned);
    v0.w(regs::dir_pp_reg(4, regs::CQ_VECTOR), 1);
    vf_alarmed(
        &d,
        &vfs,
        0,
        AlarmCode::BadId,
        regs::dir_pp_reg(4, regs::CQ_VECTOR) as u32,
        3,
    );
    v0.w(regs::dir_pp_reg(3, regs::CQ_VECTOR), 1);
    vf_alarmed(
        &d,
        &vfs,
        0,
        AlarmCode::Started,
        regs::dir_pp_reg(3, regs::CQ_VECTOR) as u32,
        4,
    );
    assert!(v1.irq.take().is_empty());
    assert_eq!(d.r(vfb(1, regs::VFB_ALARM_COUNT)), 0);
}

#[test]
fn vf_cq_vectors_are_its_own() {
    let (d, vfs) = rig();
    d.ok(vfb(0, map(regs::VFB_DIR_PORT_MAP, 3)), entry(0));
    d.ok(regs::VF_ENABLE, 1);
    let off = regs::dir_pp_reg(3, regs::CQ_VECTOR);
    for (i, bad) in [17u32, 32, u32::MAX].into_iter().enumerate() {
        vfs[0].w(off, bad);
        vf_alarmed(&d, &vfs, 0, AlarmCode::BadValue, off as u32, i as u32 + 1);
    }
    vfs[0].w(off, 16);
    assert_eq!(d.r(pp(DIR0, regs::CQ_VECTOR)), 16);
    // 0: no interrupt, as on the PF.
    vfs[0].w(off, 0);
    assert_eq!(d.r(pp(DIR0, regs::CQ_VECTOR)), 0);
    assert_eq!(vfs[0].r(regs::ALARM_COUNT), 3);
    vfs[0].w(regs::dir_pp_reg(3, regs::CQ_ADDR_LO), 0x40);
    assert_eq!(d.r(pp(DIR0, regs::CQ_ADDR_LO)), 0x40);
}

#[test]
fn vf_flr_resets_only_that_vf() {
    let (d, vfs) = running();
    let (v0, v1) = (&vfs[0], &vfs[1]);
    v0.enq(VDIR3, &[new_dir(3, 1)]);
    v1.w(vregs::MBOX_REQ_LEN, 4);
    v0.w(vregs::MBOX_REQ_LEN, 4);
    assert_eq!(d.r(regs::VF_MBOX_PENDING), 3);
    v0.enq(VDIR3, &[new_dir(9, 1)]);
    d.irq.take();
    v0.irq.take();
    d.w(regs::IRQ_CAUSE, u32::MAX);
    // A QE waiting in the window when the VF resets is wiped.
    let ring = v0.f.bar4().expect("bar4");
    ring.write(slot_off(VDIR3, 5), &new_dir(3, 9).to_bytes());
    v0.f.reset();
    assert_eq!(d.r(regs::VF_RESET_PENDING), 1);
    assert_eq!(d.r(regs::IRQ_CAUSE), regs::IRQ_CAUSE_VF_RESET);
    assert_eq!(d.irq.take(), [0]);
    assert_eq!(d.r(regs::VF_MBOX_PENDING), 2, "VF 0's request dropped");
    assert_eq!(d.r(vfb(0, regs::VFB_REQ_LEN)), 0);
    assert_eq!(v0.r(vregs::MBOX_STATUS), 0);
    assert_eq!((v0.r(regs::ALARM_CODE), v0.r(regs::ALARM_COUNT)), (0, 0));
    assert_eq!(v0.r(regs::IRQ_CAUSE), 0);
    assert_eq!(d.r(vfb(0, regs::VFB_ALARM_COUNT)), 1, "PF's counter stays");
    assert_ne!(
        d.r(vfb(0, regs::VFB_ALARM_CODE)),
        0,
        "and its view of the alarm"
    );
    let mut b = [0xffu8; QE_SIZE];
    ring.read(slot_off(VDIR3, 5), &mut b);
    assert_eq!(b, [0; QE_SIZE], "BAR4 zeroed");
    assert_eq!(d.r(vfb(0, regs::VFB_STATUS)), regs::VFB_STATUS_ENABLED);
    assert_eq!(
        d.r(vfb(0, map(regs::VFB_DIR_PORT_MAP, 3))),
        entry(0),
        "maps stay"
    );
    assert_eq!(
        d.r(dom(0, regs::DOM_CTRL)),
        regs::DOM_CTRL_VALID | regs::DOM_CTRL_STARTED
    );
    // Bus mastering off: the VF's entries are lost (counted, no alarm).
    let written = v0.r(regs::dir_pp_reg(3, regs::CQ_WRITTEN));
    v0.w(regs::dir_pp_reg(3, regs::CQ_ARM), 1);
    v0.enq(VDIR3, &[new_dir(3, 2)]);
    assert_eq!(v0.r(regs::dir_pp_reg(3, regs::CQ_WRITTEN)), written + 1);
    assert!(!v0.cq(DIR0, 1).gen, "not written");
    assert!(v0.irq.take().is_empty());
    assert_eq!(v0.r(regs::ALARM_COUNT), 0);
    // The other VF goes on.
    v1.enq(VDIR5, &[new_dir(5, 7)]);
    assert_eq!(v1.cq(DIR1, 0).data, 7);
    assert_eq!(d.r(vfb(1, regs::VFB_REQ_LEN)), 4);
    // Bus mastering back: writes resume.
    v0.f.bus_master(true);
    assert_ne!(
        d.r(vfb(0, regs::VFB_STATUS)) & regs::VFB_STATUS_BUS_MASTER,
        0
    );
    v0.enq(VDIR3, &[new_dir(3, 3)]);
    let e = v0.cq(DIR0, 2);
    assert_eq!((e.data, e.queue, e.gen), (3, 3, true));
    d.w(regs::VF_RESET_PENDING, 1);
    assert_eq!(d.r(regs::VF_RESET_PENDING), 0);
}

#[test]
fn disabling_a_vf_resets_it_without_reset_pending() {
    let (d, vfs) = rig();
    d.ok(regs::VF_ENABLE, 3);
    vfs[0].w(vregs::MBOX_REQ, 5);
    vfs[0].w(vregs::MBOX_REQ_LEN, 4);
    d.irq.take();
    d.ok(regs::VF_ENABLE, 2);
    assert_eq!(d.r(regs::VF_MBOX_PENDING), 0);
    assert_eq!(d.r(regs::VF_RESET_PENDING), 0);
    assert_eq!(vfs[0].r(vregs::MBOX_REQ), vregs::ABSENT);
    d.ok(regs::VF_ENABLE, 3);
    assert_eq!(vfs[0].r(vregs::MBOX_REQ), 0);
    // A disabled VF's reset is not reported.
    d.ok(regs::VF_ENABLE, 2);
    vfs[0].f.reset();
    assert_eq!(d.r(regs::VF_RESET_PENDING), 0);
    assert!(d.irq.take().is_empty());
}

#[test]
fn pf_reset_clears_every_vf() {
    let (d, vfs) = running();
    vfs[0].w(vregs::MBOX_REQ_LEN, 4);
    vfs[1].w(vregs::MBOX_REQ_LEN, 4);
    vfs[1].w(vregs::MBOX_REQ_LEN, 4);
    vfs[0].enq(VDIR3, &[new_dir(9, 1)]);
    vfs[0].f.reset();
    d.w(regs::CTRL, regs::CTRL_RESET);
    d.irq.take();
    for reg in [
        regs::VF_ENABLE,
        regs::VF_MBOX_PENDING,
        regs::VF_RESET_PENDING,
        regs::VF_ALARM_PENDING,
        regs::IRQ_CAUSE,
    ] {
        assert_eq!(d.r(reg), 0, "{reg:#x}");
    }
    assert_eq!(d.r(regs::NUM_VFS), 2);
    for n in 0..2 {
        for reg in [
            regs::VFB_REQ_LEN,
            regs::VFB_ALARM_COUNT,
            regs::VFB_ALARM_CODE,
            regs::VFB_OVERRUNS,
            map(regs::VFB_DIR_PORT_MAP, 3),
            map(regs::VFB_DIR_PORT_MAP, 5),
        ] {
            assert_eq!(d.r(vfb(n, reg)), 0, "VF {n} {reg:#x}");
        }
        assert_eq!(vfs[n as usize].r(regs::ID), vregs::ABSENT);
    }
    d.ok(regs::VF_ENABLE, 3);
    assert_eq!(vfs[1].r(vregs::MBOX_OVERRUNS), 0);
    assert_eq!(vfs[0].r(regs::ALARM_COUNT), 0);
    // Bus Master Enable is config space: VF 1 kept it, VF 0's FLR cleared it.
    assert_eq!(
        d.r(vfb(1, regs::VFB_STATUS)),
        regs::VFB_STATUS_ENABLED | regs::VFB_STATUS_BUS_MASTER
    );
    assert_eq!(d.r(vfb(0, regs::VFB_STATUS)), regs::VFB_STATUS_ENABLED);
}

#[test]
fn vf_header_registers_are_the_pfs() {
    let (d, vfs) = running();
    let v0 = &vfs[0];
    assert_eq!(v0.r(regs::ID), vregs::ID_MAGIC);
    assert_eq!(v0.r(regs::VERSION), d.r(regs::VERSION));
    assert_eq!(v0.r(regs::STATUS), regs::STATUS_READY);
    // The interrupt self-test raises the named vector of the VF only.
    d.irq.take();
    v0.irq.take();
    v0.w(regs::IRQ_TEST, 0);
    v0.w(regs::IRQ_TEST, 16);
    v0.w(regs::IRQ_TEST, vregs::NUM_VECTORS);
    assert_eq!(v0.irq.take(), [0, 16]);
    assert!(d.irq.take().is_empty());
    assert!(vfs[1].irq.take().is_empty());
    assert_eq!(v0.r(regs::IRQ_TEST_COUNT), 2);
    assert_eq!(v0.r(regs::IRQ_CAUSE), regs::IRQ_CAUSE_TEST);
    v0.w(regs::IRQ_CAUSE, regs::IRQ_CAUSE_TEST);
    assert_eq!(v0.r(regs::IRQ_CAUSE), 0);
    // CTRL.RESET resets the VF as its FLR does, reported to the PF, but
    // leaves its bus mastering on.
    v0.w(vregs::MBOX_REQ_LEN, 4);
    d.w(regs::IRQ_CAUSE, u32::MAX);
    d.irq.take();
    v0.w(regs::CTRL, regs::CTRL_RESET);
    assert_eq!(v0.r(regs::CTRL), 0);
    assert_eq!(v0.r(regs::IRQ_TEST_COUNT), 0);
    assert_eq!(v0.r(vregs::MBOX_STATUS), 0);
    assert_eq!(d.r(regs::VF_MBOX_PENDING), 0);
    assert_eq!(d.r(regs::VF_RESET_PENDING), 1);
    assert_eq!(d.r(regs::IRQ_CAUSE), regs::IRQ_CAUSE_VF_RESET);
    assert_eq!(d.irq.take(), [0]);
    assert_ne!(
        d.r(vfb(0, regs::VFB_STATUS)) & regs::VFB_STATUS_BUS_MASTER,
        0
    );
    assert_eq!(
        d.r(vfb(1, regs::VFB_STATUS)) & regs::VFB_STATUS_ENABLED,
        regs::VFB_STATUS_ENABLED
    );
}

#[test]
fn a_vf_stops_and_resets_its_own_ports_only() {
    let (d, vfs) = running();
    let v0 = &vfs[0];
    let ctrl = regs::dir_pp_reg(3, regs::PORT_CTRL);
    v0.enq(VDIR3, &[new_dir(3, 1)]);
    assert_eq!(v0.r(regs::dir_pp_reg(3, regs::CQ_WRITTEN)), 1);
    v0.w(ctrl, regs::PORT_CTRL_STOPPED | regs::PORT_CTRL_RESET);
    assert_eq!(v0.r(ctrl), regs::PORT_CTRL_STOPPED);
    assert_eq!(
        d.reg(DIR0, regs::PORT_CTRL),
        regs::PORT_CTRL_STOPPED,
        "the PF reads it"
    );
    assert_eq!(v0.r(regs::dir_pp_reg(3, regs::CQ_WRITTEN)), 0);
    v0.w(ctrl, 0);
    assert_eq!(v0.r(ctrl), 0);
    // The PF may not touch a VF's port; a VF not an unmapped one.
    d.refused(
        pp(DIR0, regs::PORT_CTRL),
        regs::PORT_CTRL_STOPPED,
        AlarmCode::Owned,
    );
    v0.w(
        regs::dir_pp_reg(4, regs::PORT_CTRL),
        regs::PORT_CTRL_STOPPED,
    );
    vf_alarmed(
        &d,
        &vfs,
        0,
        AlarmCode::BadId,
        regs::dir_pp_reg(4, regs::PORT_CTRL) as u32,
        1,
    );
}

#[test]
fn a_vf_reads_the_statistics_of_its_ports_not_of_its_queues() {
    let (d, vfs) = running();
    let (v0, v1) = (&vfs[0], &vfs[1]);
    let reg = |p: u32, r: usize| regs::dir_pp_reg(p, r);
    v0.w(reg(3, regs::CQ_ARM), 1);
    v0.enq(
        VDIR3,
        &[new_dir(3, 1), new_ldb(2, SchedType::Unordered, 0, 2)],
    );
    assert_eq!(v0.irq.take(), [vector(DIR0)]);
    // The port block by virtual port, as the PF reads it.
    assert_eq!(v0.r(reg(3, regs::PP_EVENTS)), 2);
    assert_eq!(v0.r(reg(3, regs::CQ_IRQS)), 1);
    assert_eq!(d.reg(DIR0, regs::PP_EVENTS), 2);
    assert_eq!(d.reg(DIR0, regs::CQ_IRQS), 1);
    assert_eq!(v1.r(reg(3, regs::PP_EVENTS)), 0, "not VF 1's");
    // Read-only: ignored without a VF alarm.
    v0.w(reg(3, regs::PP_EVENTS), 9);
    v0.w(reg(3, regs::CQ_IRQS), 9);
    v0.w(reg(3, 0x2c), 9);
    assert_eq!(v0.r(reg(3, regs::PP_EVENTS)), 2);
    assert_eq!(v0.r(regs::ALARM_COUNT), 0);
    // The queue counters are the PF's: a VF sees none of them, by
    // virtual or physical id (hlb-vf.rst lists only the credits and
    // depths in 0x1000-0x7fff).
    assert_eq!(d.r(lq(0, regs::LQ_SCHEDULED)), 1);
    assert_eq!(d.r(dp(0, regs::DQ_SCHEDULED)), 1);
    assert_eq!(d.r(regs::DIR_QUEUE_STATS_BASE), 1);
    for off in [
        lq(2, regs::LQ_SCHEDULED),
        lq(0, regs::LQ_SCHEDULED),
        dp(3, regs::DQ_SCHEDULED),
        dp(0, regs::DQ_SCHEDULED),
        regs::object_reg(regs::LDB_QUEUE_STATS_BASE, 2, 0),
        regs::LDB_QUEUE_STATS_BASE,
        regs::object_reg(regs::DIR_QUEUE_STATS_BASE, 3, 0),
        regs::DIR_QUEUE_STATS_BASE,
    ] {
        assert_eq!(v0.r(off), 0, "{off:#x}");
    }
    // Without Bus Master Enable the VF's interrupt cannot be sent, but it
    // fired: counted, as its lost CQ entry is counted as written.
    v1.f.bus_master(false);
    v1.w(reg(5, regs::CQ_ARM), 1);
    v1.enq(VDIR5, &[new_dir(5, 3)]);
    assert!(v1.irq.take().is_empty());
    assert_eq!(v1.r(reg(5, regs::CQ_WRITTEN)), 1);
    assert_eq!(v1.r(reg(5, regs::CQ_IRQS)), 1);
}

// SPDX-License-Identifier: GPL-2.0

//! Access rules of the HLB's per-port data-plane blocks (`0x8000` LDB,
//! `0xa000` DIR) and of the read-only data-plane registers in the 1.0
//! blocks, against "Data-plane registers" in `Documentation/hw/hlb.rst`.

mod hlb_rig;

use devmodel::hlb_regs::{self as regs, AlarmCode};
use hlb_rig::dp::*;
use hlb_rig::*;

const RO: [usize; 4] = [
    regs::CQ_OCCUPANCY,
    regs::HL_USED,
    regs::PP_CONSUMED,
    regs::CQ_WRITTEN,
];

#[test]
fn configuration_registers_follow_the_object_rules() {
    let d = Dp::programmed(50, 50);
    let rig = &d.rig;
    let (ldb_n, dir_n) = (rig.config.ldb_ports, rig.config.dir_ports);
    for off in [
        regs::ldb_pp_reg(ldb_n, regs::CQ_ADDR_LO),
        regs::ldb_pp_reg(127, regs::CQ_VECTOR),
        regs::dir_pp_reg(dir_n, regs::CQ_ADDR_HI),
        regs::dir_pp_reg(dir_n, regs::CQ_ARM),
    ] {
        rig.refused(off, 0x40, AlarmCode::BadId);
        assert_eq!(rig.r(off), 0);
    }
    // Port 3 is unassigned.
    for reg in [
        regs::CQ_ADDR_LO,
        regs::CQ_ADDR_HI,
        regs::CQ_VECTOR,
        regs::CQ_ARM,
    ] {
        rig.refused(regs::ldb_pp_reg(3, reg), 1 << 6, AlarmCode::NotOwned);
        rig.refused(regs::dir_pp_reg(3, reg), 1 << 6, AlarmCode::NotOwned);
    }
    // Values.
    rig.refused(pp(LDB0, regs::CQ_ADDR_LO), 0x1020, AlarmCode::BadValue);
    rig.refused(pp(DIR0, regs::CQ_ADDR_LO), 0x1001, AlarmCode::BadValue);
    rig.refused(pp(DIR0, regs::CQ_VECTOR), 33, AlarmCode::BadValue);
    rig.ok(pp(DIR0, regs::CQ_VECTOR), 32);
    rig.ok(pp(DIR0, regs::CQ_VECTOR), 0);
    rig.ok(pp(DIR0, regs::CQ_ADDR_HI), 0xffff_ffff);
    assert_eq!(rig.r(pp(DIR0, regs::CQ_ADDR_HI)), 0xffff_ffff);
    // Stopped: CQ_ARM is ignored without an alarm.
    rig.ok(pp(DIR0, regs::CQ_ARM), 1);
    // Started: configuration refused with Started, CQ_ARM accepted.
    rig.start(0);
    rig.refused(pp(LDB0, regs::CQ_ADDR_LO), 0x40, AlarmCode::Started);
    rig.refused(pp(LDB0, regs::CQ_ADDR_HI), 0, AlarmCode::Started);
    rig.refused(pp(DIR1, regs::CQ_VECTOR), 1, AlarmCode::Started);
    rig.ok(pp(LDB0, regs::CQ_ARM), 1);
    // Read-only registers ignore writes, of any port, without an alarm.
    for reg in RO {
        rig.ok(pp(LDB0, reg), 5);
        rig.ok(regs::dir_pp_reg(127, reg), 5);
        assert_eq!(rig.r(pp(LDB0, reg)), 0);
    }
    // So do the data-plane registers of the 1.0 blocks and the reserved
    // offsets of the port blocks.
    rig.ok(dom(0, regs::DOM_LDB_CREDITS_AVAIL), 1);
    rig.ok(dom(0, regs::DOM_DIR_CREDITS_AVAIL), 1);
    rig.ok(lq(0, regs::LQ_DEPTH), 1);
    rig.ok(dp(0, regs::DQ_DEPTH), 1);
    rig.ok(pp(LDB0, 0x24), 1);
    rig.ok(pp(DIR0, 0x3c), 1);
    assert_eq!(rig.r(dom(0, regs::DOM_LDB_CREDITS_AVAIL)), 50);
    assert_eq!(rig.r(dom(1, regs::DOM_LDB_CREDITS_AVAIL)), 0);
}

#[test]
fn unassigning_a_port_returns_its_block_to_reset_values() {
    let d = Dp::programmed(50, 50);
    let rig = &d.rig;
    assert_eq!(rig.r(pp(DIR1, regs::CQ_VECTOR)), vector(DIR1));
    rig.ok(dp(1, regs::OBJ_DOMAIN), 0);
    assert_eq!(rig.r(pp(DIR1, regs::CQ_VECTOR)), 0);
    assert_eq!(rig.r(pp(DIR1, regs::CQ_ADDR_LO)), 0);
    rig.ok(link(1, 0), 0);
    rig.ok(lp(1, regs::OBJ_DOMAIN), 0);
    assert_eq!(rig.r(pp(LDB1, regs::CQ_ADDR_LO)), 0);
    // A reassigned port starts from reset values.
    rig.ok(dp(1, regs::OBJ_DOMAIN), assign(0));
    assert_eq!(rig.r(pp(DIR1, regs::CQ_VECTOR)), 0);
    // The domain starts with the remaining ports only.
    rig.start(0);
    d.enq(DIR0, &[new_dir(0, 1)]);
    assert_eq!(d.pop(DIR0).map(|e| e.data), Some(1));
    // DIR port 1 has CQ depth 0 now: it receives nothing, its events wait.
    d.enq(DIR0, &[new_dir(1, 2)]);
    assert_eq!(rig.r(dp(1, regs::DQ_DEPTH)), 1);
    assert_eq!(rig.r(pp(DIR1, regs::CQ_WRITTEN)), 0);
}

#[test]
fn a_cq_in_unmapped_memory_loses_entries_but_keeps_counting() {
    let d = Dp::programmed(50, 50);
    d.ok(pp(DIR0, regs::CQ_ADDR_HI), 0x10);
    d.start(0);
    d.enq(DIR1, &[new_dir(0, 1), new_dir(0, 2)]);
    assert_eq!(d.reg(DIR0, regs::CQ_WRITTEN), 2);
    assert_eq!(d.r(regs::ALARM_COUNT), 0, "a DMA fault is no alarm");
}

#[test]
fn a_device_reporting_version_1_0_has_no_data_plane() {
    use devmodel::hlb::HlbConfig;
    use devmodel::pci::PciFunction;

    let rig = Rig::new(HlbConfig {
        version: regs::version(1, 0),
        ..small_config()
    });
    assert_eq!(rig.h.identity().bar4_size, 0);
    assert!(rig.h.bar4_shared().is_none());
    rig.domain(0, 10, 10, 0, (0, 0));
    rig.ok(dp(0, regs::OBJ_DOMAIN), assign(0));
    // 0x8000-0xbfff are reserved: no alarm, read 0.
    rig.ok(regs::dir_pp_reg(0, regs::CQ_ADDR_LO), 0x40);
    rig.ok(regs::dir_pp_reg(0, regs::CQ_ADDR_LO), 0x41);
    assert_eq!(rig.r(regs::dir_pp_reg(0, regs::CQ_ADDR_LO)), 0);
    rig.start(0);
    assert_eq!(rig.r(dom(0, regs::DOM_DIR_CREDITS_AVAIL)), 0);
}

// SPDX-License-Identifier: GPL-2.0

//! `PORT_CTRL` of the HLB model (minor version 3) against "Port stop and
//! reset" in `Documentation/hw/hlb.rst`: register rules, a stop takes
//! the window's QEs and then nothing, a reset retires the history list
//! and restarts the CQ, counters and window, run schedules again.

mod hlb_rig;

use devmodel::hlb::HlbConfig;
use devmodel::hlb_regs::{self as regs, AlarmCode, QeCommand, SchedType};
use devmodel::mem::GuestMemory;
use hlb_rig::dp::*;
use hlb_rig::*;

const STOP: u32 = regs::PORT_CTRL_STOPPED;
const RESET: u32 = regs::PORT_CTRL_STOPPED | regs::PORT_CTRL_RESET;

#[test]
fn register_rules() {
    let d = Dp::programmed(50, 50);
    let ctrl = |p| pp(p, regs::PORT_CTRL);
    // Stopped domain: ignored, reads 0.
    d.ok(ctrl(LDB0), STOP);
    assert_eq!(d.r(ctrl(LDB0)), 0);
    d.start(0);
    d.refused(
        regs::ldb_pp_reg(d.config.ldb_ports, regs::PORT_CTRL),
        STOP,
        AlarmCode::BadId,
    );
    d.refused(
        regs::ldb_pp_reg(3, regs::PORT_CTRL),
        STOP,
        AlarmCode::NotOwned,
    );
    d.refused(ctrl(LDB0), 4, AlarmCode::BadValue);
    d.refused(ctrl(LDB0), regs::PORT_CTRL_RESET, AlarmCode::BadValue);
    assert_eq!(d.r(ctrl(LDB0)), 0, "a refused write changes nothing");
    // Never Started: stop, reset and run a started domain's port.
    d.ok(ctrl(LDB0), STOP);
    assert_eq!(d.r(ctrl(LDB0)), STOP);
    d.ok(ctrl(LDB0), RESET);
    assert_eq!(d.r(ctrl(LDB0)), STOP, "RESET reads 0");
    d.ok(ctrl(LDB0), 0);
    assert_eq!(d.r(ctrl(LDB0)), 0);
    // A restart of the domain clears it.
    d.ok(ctrl(DIR0), STOP);
    d.ok(dom(0, regs::DOM_CTRL), regs::DOM_CTRL_VALID);
    d.start(0);
    assert_eq!(d.r(ctrl(DIR0)), 0);
}

#[test]
fn a_stop_takes_the_window_then_nothing_until_run() {
    let d = Dp::new(50, 50);
    // Written, no doorbell: the stop takes it.
    d.send(DIR1, &[new_dir(0, 1)]);
    d.ok(pp(DIR1, regs::PORT_CTRL), STOP);
    assert_eq!(d.drain(DIR0).len(), 1);
    assert_eq!(d.reg(DIR1, regs::PP_CONSUMED), 1);
    // Later QEs stay in the window, doorbell or not.
    let s = d.enq(DIR1, &[new_dir(0, 2)]);
    assert_ne!(d.slot_cmd(DIR1, s[0]), 0);
    assert!(d.drain(DIR0).is_empty());
    // A stopped DIR port's directed queue keeps its events.
    d.enq(DIR0, &[new_dir(1, 3)]);
    assert_eq!(d.r(dp(1, regs::DQ_DEPTH)), 1);
    assert_eq!(d.reg(DIR1, regs::CQ_WRITTEN), 0);
    // Run: the window is read from where it stopped, the queue delivers.
    d.ok(pp(DIR1, regs::PORT_CTRL), 0);
    d.ring(DIR1);
    assert_eq!(
        d.drain(DIR0).iter().map(|e| e.data).collect::<Vec<_>>(),
        [2]
    );
    assert_eq!(
        d.drain(DIR1).iter().map(|e| e.data).collect::<Vec<_>>(),
        [3]
    );
}

#[test]
fn a_stopped_ldb_port_is_passed_over() {
    let d = Dp::new(50, 50);
    d.ok(pp(LDB0, regs::PORT_CTRL), STOP);
    d.enq(
        DIR0,
        &(0..6)
            .map(|i| new_ldb(0, SchedType::Unordered, 0, i))
            .collect::<Vec<_>>(),
    );
    assert!(d.drain(LDB0).is_empty());
    assert_eq!(d.drain(LDB1).len(), 6);
}

#[test]
fn a_reset_retires_the_history_and_restarts_cq_counters_and_window() {
    let d = Dp::new(50, 50);
    // An atomic flow on one of the LDB ports, three events held.
    d.enq(
        DIR0,
        &(0..3)
            .map(|i| new_ldb(0, SchedType::Atomic, 5, i))
            .collect::<Vec<_>>(),
    );
    let (held, other) = if d.reg(LDB0, regs::HL_USED) == 3 {
        (LDB0, LDB1)
    } else {
        (LDB1, LDB0)
    };
    assert_eq!(d.drain(held).len(), 3);
    d.ok(pp(held, regs::PORT_CTRL), STOP);
    // Written after the stop: discarded by the reset.
    let s = d.send(held, &[cmd(QeCommand::Complete, false)]);
    d.ok(pp(held, regs::PORT_CTRL), RESET);
    assert_eq!(d.slot_cmd(held, s[0]), 0, "window emptied");
    for reg in [
        regs::HL_USED,
        regs::CQ_OCCUPANCY,
        regs::CQ_WRITTEN,
        regs::PP_CONSUMED,
    ] {
        assert_eq!(d.reg(held, reg), 0, "register {reg:#x}");
    }
    assert_eq!(
        d.r(dom(0, regs::DOM_LDB_CREDITS_AVAIL)),
        50,
        "no credit moved"
    );
    // The flow is released: its next event goes to the other port.
    d.enq(DIR0, &[new_ldb(0, SchedType::Atomic, 5, 3)]);
    assert_eq!(
        d.drain(other).iter().map(|e| e.data).collect::<Vec<_>>(),
        [3]
    );
    // Run: the port's CQ restarts at slot 0 with GEN 1, its window at
    // slot 0 (the driver zeroed the ring; the rig's reader restarts).
    d.ok(pp(held, regs::PORT_CTRL), 0);
    d.mem
        .write(cq_addr(held), &[0u8; 16 * DEPTH as usize])
        .expect("zero the ring");
    d.restart_port(held);
    d.enq(held, &[ret_tokens(0)]);
    assert_eq!(d.reg(held, regs::PP_CONSUMED), 1, "slot 0 taken");
    d.enq(
        DIR0,
        &(10..14)
            .map(|i| new_ldb(0, SchedType::Unordered, 0, i))
            .collect::<Vec<_>>(),
    );
    let e = d.cq_slot(held, 0);
    assert!(e.gen && e.data >= 10, "slot 0, first lap: {e:?}");
    assert_eq!(d.reg(held, regs::CQ_WRITTEN), d.drain(held).len() as u32);
}

#[test]
fn a_device_before_1_3_has_no_port_ctrl() {
    let rig = Rig::new(HlbConfig {
        version: regs::version(1, 2),
        ..small_config()
    });
    let d = Dp::program(rig, 50, 50);
    d.start(0);
    d.ok(pp(DIR0, regs::PORT_CTRL), 7);
    d.ok(pp(DIR0, regs::PORT_CTRL), STOP);
    assert_eq!(d.r(pp(DIR0, regs::PORT_CTRL)), 0);
    d.enq(DIR1, &[new_dir(0, 1)]);
    assert_eq!(d.drain(DIR0).len(), 1, "not stopped");
}

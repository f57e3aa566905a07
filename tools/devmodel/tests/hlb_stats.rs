// SPDX-License-Identifier: GPL-2.0

//! The HLB model's statistics counters (minor version 4) against
//! "Statistics" in `Documentation/hw/hlb.rst`, read through BAR0:
//! `PP_EVENTS` and `CQ_IRQS` in the ports' data-plane blocks,
//! `LQ_SCHEDULED` and `DQ_SCHEDULED` in the queue blocks, the per-priority
//! counters of the queue statistics blocks (`0x6000`, `0x7000`). Writes
//! are ignored without an alarm, a port reset zeroes only the port's
//! counters, a domain stop and start restarts them, and a device
//! configured with an older minor version has none of them.

mod hlb_rig;

use devmodel::hlb::HlbConfig;
use devmodel::hlb_regs::{self as regs, AlarmCode, Qe, QeCommand, SchedType};
use hlb_rig::dp::*;
use hlb_rig::*;
use hlb_sched::PortId;

/// BAR0 offset of `QS_ENQUEUED_PRIO` `k` of LDB queue `q`
/// (`PortId::Ldb(q)`) or of DIR port `p`'s directed queue
/// (`PortId::Dir(p)`).
fn qs(queue: PortId, k: u32) -> usize {
    match queue {
        PortId::Ldb(q) => {
            regs::object_reg(regs::LDB_QUEUE_STATS_BASE, q.into(), regs::qs_enqueued(k))
        }
        PortId::Dir(p) => {
            regs::object_reg(regs::DIR_QUEUE_STATS_BASE, p.into(), regs::qs_enqueued(k))
        }
    }
}

/// The eight `QS_ENQUEUED_PRIO` counters of `queue`.
fn enqueued(rig: &Rig, queue: PortId) -> Vec<u32> {
    (0..regs::QE_PRIORITIES)
        .map(|k| rig.r(qs(queue, k)))
        .collect()
}

/// `LQ_SCHEDULED` of LDB queue `q`.
fn lq_scheduled(rig: &Rig, q: u32) -> u32 {
    rig.r(lq(q, regs::LQ_SCHEDULED))
}

/// `DQ_SCHEDULED` of DIR port `p`.
fn dq_scheduled(rig: &Rig, p: u32) -> u32 {
    rig.r(dp(p, regs::DQ_SCHEDULED))
}

/// `qe` at QE priority `prio`.
fn at(prio: u8, qe: Qe) -> Qe {
    Qe {
        priority: prio,
        ..qe
    }
}

/// Arms `port`'s CQ interrupt, which must fire at once.
fn arm_fires(d: &Dp, port: PortId) {
    d.w(pp(port, regs::CQ_ARM), 1);
    assert_eq!(d.irq.take(), [vector(port)], "{port:?} fired");
}

/// Every statistics register of the rig's domain: (offset, value).
fn all_stats(d: &Dp) -> Vec<(usize, u32)> {
    let mut offs = vec![lq(0, regs::LQ_SCHEDULED)];
    for p in 0..2u8 {
        offs.push(dp(p.into(), regs::DQ_SCHEDULED));
        for port in [PortId::Ldb(p), PortId::Dir(p)] {
            offs.push(pp(port, regs::PP_EVENTS));
            offs.push(pp(port, regs::CQ_IRQS));
        }
        offs.extend((0..regs::QE_PRIORITIES).map(|k| qs(PortId::Dir(p), k)));
    }
    offs.extend((0..regs::QE_PRIORITIES).map(|k| qs(PortId::Ldb(0), k)));
    offs.into_iter().map(|o| (o, d.r(o))).collect()
}

/// The scripted traffic of the tests, on a started [`Dp`] whose DIR port
/// 0 has `CQ_VECTOR` 0: DIR port 0 sends a refused QE (no such queue),
/// then three load-balanced events (priorities 1, 1, 6), two directed
/// ones to DIR port 1 (priority 3), one directed to itself (priority 0)
/// and a RETURN_TOKENS; DIR ports 0 and 1 are armed before (both fire,
/// only DIR 1 has a vector); the LDB port holding the first
/// load-balanced event forwards it to DIR port 1 at priority 5. Returns
/// that LDB port.
fn traffic(d: &Dp) -> PortId {
    d.ok(pp(DIR0, regs::CQ_ARM), 1);
    d.ok(pp(DIR1, regs::CQ_ARM), 1);
    let slots = d.enq(DIR0, &[new_ldb(9, SchedType::Unordered, 0, 4)]);
    d.refused_qe(DIR0, slots[0], AlarmCode::BadQe);
    d.enq(
        DIR0,
        &[
            at(1, new_ldb(0, SchedType::Unordered, 0, 1)),
            at(1, new_ldb(0, SchedType::Unordered, 0, 2)),
            at(6, new_ldb(0, SchedType::Atomic, 9, 3)),
            at(3, new_dir(1, 5)),
            at(3, new_dir(1, 6)),
            new_dir(0, 7),
            ret_tokens(0),
        ],
    );
    assert_eq!(
        d.irq.take(),
        [vector(DIR1)],
        "DIR 1 fired, DIR 0 has no vector"
    );
    let holder = [LDB0, LDB1]
        .into_iter()
        .find(|&p| d.drain(p).iter().any(|e| e.data == 1))
        .expect("event 1 delivered");
    d.enq(
        holder,
        &[Qe {
            cmd: QeCommand::Forward as u8,
            ..at(5, new_dir(1, 8))
        }],
    );
    holder
}

/// A started [`Dp`] whose DIR port 0 has no CQ vector, on `rig`.
fn started(rig: Rig) -> Dp {
    let d = Dp::program(rig, 50, 50);
    d.ok(pp(DIR0, regs::CQ_VECTOR), 0);
    d.start(0);
    d
}

#[test]
fn counters_after_a_scripted_traffic_pattern() {
    let d = started(Rig::small());
    let holder = traffic(&d);
    let other = if holder == LDB0 { LDB1 } else { LDB0 };
    // Per port: NEW and FORWARD accepted (not the refused QE, not the
    // RETURN_TOKENS, which PP_CONSUMED counts), interrupts with a vector.
    assert_eq!(d.reg(DIR0, regs::PP_EVENTS), 6);
    assert_eq!(d.reg(DIR0, regs::PP_CONSUMED), 7);
    assert_eq!(d.reg(holder, regs::PP_EVENTS), 1);
    assert_eq!(d.reg(holder, regs::PP_CONSUMED), 1);
    assert_eq!(d.reg(other, regs::PP_EVENTS), 0);
    assert_eq!(d.reg(DIR1, regs::PP_EVENTS), 0);
    assert_eq!(d.reg(DIR1, regs::CQ_IRQS), 1);
    assert_eq!(d.reg(DIR0, regs::CQ_IRQS), 0, "fired without a vector");
    assert_eq!(d.reg(DIR0, regs::CQ_OCCUPANCY), 1, "but fired");
    // Arming DIR 1 again fires at once (its CQ is not empty).
    arm_fires(&d, DIR1);
    assert_eq!(d.reg(DIR1, regs::CQ_IRQS), 2);
    // Per queue: all delivered, so sum == scheduled.
    assert_eq!(enqueued(&d, PortId::Ldb(0)), [0, 2, 0, 0, 0, 0, 1, 0]);
    assert_eq!(lq_scheduled(&d, 0), 3);
    assert_eq!(d.r(lq(0, regs::LQ_DEPTH)), 0);
    assert_eq!(enqueued(&d, DIR1), [0, 0, 0, 2, 0, 1, 0, 0]);
    assert_eq!(dq_scheduled(&d, 1), 3);
    assert_eq!(enqueued(&d, DIR0), [1, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(dq_scheduled(&d, 0), 1);
    // A full CQ: events wait; entered == scheduled + depth.
    let evs: Vec<Qe> = (0..12).map(|i| at(7, new_dir(1, 100 + i))).collect();
    d.enq(DIR0, &evs);
    let sum: u32 = enqueued(&d, DIR1).iter().sum();
    let depth = d.r(dp(1, regs::DQ_DEPTH));
    assert_eq!((sum, dq_scheduled(&d, 1), depth), (15, 8, 7));
    // Queues of no domain, ports of no domain, numbers beyond the device.
    assert_eq!(enqueued(&d, PortId::Ldb(1)), [0; 8]);
    assert_eq!(enqueued(&d, PortId::Dir(127)), [0; 8]);
    assert_eq!(lq_scheduled(&d, 127), 0);
    assert_eq!(d.reg(PortId::Ldb(3), regs::PP_EVENTS), 0);
    assert_eq!(d.r(regs::ALARM_COUNT), 1, "the refused QE only");
}

#[test]
fn writes_are_ignored_without_an_alarm() {
    let d = started(Rig::small());
    traffic(&d);
    let before = all_stats(&d);
    assert!(before.iter().any(|&(_, v)| v != 0));
    for &(off, _) in &before {
        d.ok(off, 0);
        d.ok(off, 0xffff_ffff);
    }
    // The whole of both statistics ranges, and the rest of the port blocks.
    for off in (regs::LDB_QUEUE_STATS_BASE..regs::PORT_REGS_BASE).step_by(0x44) {
        d.ok(off, 1);
    }
    for reg in (0x2c..0x40).step_by(4) {
        d.ok(pp(LDB0, reg), 1);
        d.ok(pp(DIR1, reg), 1);
        assert_eq!(d.reg(DIR1, reg), 0);
    }
    // Of ports and queues the device does not have, too.
    d.ok(regs::dir_pp_reg(127, regs::PP_EVENTS), 1);
    d.ok(lq(127, regs::LQ_SCHEDULED), 1);
    assert_eq!(all_stats(&d), before);
    assert_eq!(d.r(regs::ALARM_COUNT), 1, "the refused QE only");
}

#[test]
fn a_port_reset_zeroes_the_port_counters_not_the_queue_counters() {
    let d = started(Rig::small());
    let holder = traffic(&d);
    arm_fires(&d, DIR1);
    let queues = |d: &Dp| {
        (
            enqueued(d, PortId::Ldb(0)),
            lq_scheduled(d, 0),
            enqueued(d, DIR1),
            dq_scheduled(d, 1),
        )
    };
    let before = queues(&d);
    let stop = regs::PORT_CTRL_STOPPED;
    for port in [holder, DIR1, DIR0] {
        let ctrl = pp(port, regs::PORT_CTRL);
        d.ok(ctrl, stop);
        let (events, irqs) = (d.reg(port, regs::PP_EVENTS), d.reg(port, regs::CQ_IRQS));
        // A stopped port's counters stay (its window is not read).
        d.send(port, &[new_dir(1, 50)]);
        d.ring(port);
        assert_eq!(
            (d.reg(port, regs::PP_EVENTS), d.reg(port, regs::CQ_IRQS)),
            (events, irqs),
            "{port:?} stopped"
        );
        d.ok(ctrl, stop | regs::PORT_CTRL_RESET);
        assert_eq!(d.reg(port, regs::PP_EVENTS), 0, "{port:?}");
        assert_eq!(d.reg(port, regs::CQ_IRQS), 0, "{port:?}");
        d.ok(ctrl, 0);
        d.restart_port(port);
    }
    assert_eq!(queues(&d), before, "a port reset changes no queue counter");
    assert_eq!(d.reg(DIR0, regs::PP_CONSUMED), 0);
}

#[test]
fn counters_read_0_while_stopped_and_restart_at_every_start() {
    let d = started(Rig::small());
    traffic(&d);
    assert!(all_stats(&d).iter().any(|&(_, v)| v != 0));
    d.ok(dom(0, regs::DOM_CTRL), regs::DOM_CTRL_VALID);
    for (off, v) in all_stats(&d) {
        assert_eq!(v, 0, "stopped: {off:#x}");
    }
    d.start(0);
    for (off, v) in all_stats(&d) {
        assert_eq!(v, 0, "started again: {off:#x}");
    }
    d.restart_positions();
    d.enq(
        DIR1,
        &[at(2, new_dir(0, 1)), new_ldb(0, SchedType::Unordered, 0, 2)],
    );
    assert_eq!(d.reg(DIR1, regs::PP_EVENTS), 2);
    assert_eq!(enqueued(&d, DIR0), [0, 0, 1, 0, 0, 0, 0, 0]);
    assert_eq!(dq_scheduled(&d, 0), 1);
    assert_eq!(lq_scheduled(&d, 0), 1);
}

#[test]
fn a_device_before_1_4_has_no_statistics() {
    let d = started(Rig::new(HlbConfig {
        version: regs::version(1, 3),
        ..small_config()
    }));
    let holder = traffic(&d);
    assert_eq!(d.reg(DIR0, regs::PP_CONSUMED), 7, "the data plane runs");
    for (off, v) in all_stats(&d) {
        assert_eq!(v, 0, "{off:#x}");
        d.ok(off, 1);
    }
    for (off, v) in all_stats(&d) {
        assert_eq!(v, 0, "{off:#x} after a write");
    }
    // PORT_CTRL (1.3) is there.
    d.ok(pp(holder, regs::PORT_CTRL), regs::PORT_CTRL_STOPPED);
    assert_eq!(d.reg(holder, regs::PORT_CTRL), regs::PORT_CTRL_STOPPED);
}

// SPDX-License-Identifier: GPL-2.0

//! The HLB model's data plane against "Data plane" in
//! `Documentation/hw/hlb.rst`: QEs taken from BAR4 windows, delivery into
//! CQ rings in guest memory, tokens, credits, counters, interrupts, start
//! and stop, polling.

mod hlb_rig;

use std::time::{Duration, Instant};

use devmodel::hlb_regs::{self as regs, AlarmCode, Qe, QeCommand, SchedType};
use devmodel::mem::GuestMemory;
use devmodel::pci::PciFunction;
use hlb_rig::dp::*;
use hlb_rig::*;
use hlb_sched::PortId;

#[test]
fn directed_delivery_with_generation_bits_and_wrap() {
    let d = Dp::new(100, 100);
    let slots = d.enq(
        DIR0,
        &(0..8).map(|i| new_dir(0, 100 + i)).collect::<Vec<_>>(),
    );
    assert_eq!(slots, (0..8).collect::<Vec<_>>());
    for s in 0..8 {
        assert_eq!(d.slot_cmd(DIR0, s), 0, "slot {s} emptied");
    }
    let got = d.drain(DIR0);
    assert_eq!(got.len(), 8);
    for (i, e) in got.iter().enumerate() {
        assert_eq!(e.data, 100 + i as u64);
        assert_eq!((e.queue, e.sched, e.opaque), (0, 3, 0x5a5a));
        assert!(e.gen, "first lap: GEN 1");
    }
    assert_eq!(d.reg(DIR0, regs::CQ_WRITTEN), 8);
    assert_eq!(d.reg(DIR0, regs::CQ_OCCUPANCY), 8);
    assert_eq!(d.reg(DIR0, regs::PP_CONSUMED), 8);
    assert_eq!(d.reg(DIR0, regs::HL_USED), 0);
    // Credits return when the event is written to the CQ.
    assert_eq!(d.r(dom(0, regs::DOM_DIR_CREDITS_AVAIL)), 100);
    assert_eq!(d.r(dom(0, regs::DOM_LDB_CREDITS_AVAIL)), 100);

    // A full CQ: the next events wait in the directed queue.
    d.enq(
        DIR0,
        &(8..12).map(|i| new_dir(0, 100 + i)).collect::<Vec<_>>(),
    );
    assert_eq!(d.r(dp(0, regs::DQ_DEPTH)), 4);
    assert_eq!(d.r(dom(0, regs::DOM_DIR_CREDITS_AVAIL)), 96);
    assert!(d.pop(DIR0).is_none());
    // Returning tokens makes room: the rest go to slots 0..3 with GEN 0.
    d.enq(DIR0, &[ret_tokens(4)]);
    assert_eq!(d.r(dp(0, regs::DQ_DEPTH)), 0);
    let got = d.drain(DIR0);
    assert_eq!(
        got.iter().map(|e| e.data).collect::<Vec<_>>(),
        [108, 109, 110, 111]
    );
    for s in 0..4 {
        assert!(!d.cq_slot(DIR0, s).gen, "second lap: GEN 0 in slot {s}");
    }
    assert!(d.cq_slot(DIR0, 4).gen, "slot 4 still from the first lap");
    assert_eq!(d.reg(DIR0, regs::CQ_WRITTEN), 12);
    assert_eq!(d.reg(DIR0, regs::CQ_OCCUPANCY), 8);
    assert_eq!(d.reg(DIR0, regs::PP_CONSUMED), 13);
    assert_eq!(d.r(dom(0, regs::DOM_DIR_CREDITS_AVAIL)), 100);
    assert!(d.irq.take().is_empty(), "nothing armed");
}

#[test]
fn load_balanced_delivery_history_and_tokens() {
    let d = Dp::new(50, 50);
    // DIR port 0 produces load-balanced events; LDB ports 0 and 1 consume.
    // Two events in one doorbell are one pass: port 0's turn takes both.
    d.enq(
        DIR0,
        &[
            new_ldb(0, SchedType::Unordered, 0, 1),
            new_ldb(0, SchedType::Unordered, 0, 2),
        ],
    );
    let a = d.drain(LDB0);
    assert_eq!(a.len(), 2, "one turn");
    d.enq(LDB0, &[ret_tokens(2), cmd(QeCommand::Complete, false)]);
    d.enq(LDB0, &[cmd(QeCommand::Complete, false)]);
    assert_eq!(d.reg(LDB0, regs::HL_USED), 0);
    // One event a doorbell: each pass goes to the least occupied port.
    d.enq(DIR0, &[new_ldb(0, SchedType::Unordered, 0, 1)]);
    d.enq(DIR0, &[new_ldb(0, SchedType::Unordered, 0, 2)]);
    let a = d.drain(LDB0);
    let b = d.drain(LDB1);
    assert_eq!(a.len() + b.len(), 2, "both delivered");
    assert_eq!((a.len(), b.len()), (1, 1), "spread by occupancy");
    assert_eq!((a[0].queue, a[0].sched), (0, SchedType::Unordered as u8));
    assert_eq!(d.reg(LDB0, regs::HL_USED), 1);
    assert_eq!(d.reg(LDB0, regs::CQ_OCCUPANCY), 1);
    assert_eq!(d.r(lq(0, regs::LQ_DEPTH)), 0);
    assert_eq!(d.r(dom(0, regs::DOM_LDB_CREDITS_AVAIL)), 50);
    // The consumer completes with a token.
    d.enq(LDB0, &[cmd(QeCommand::Complete, true)]);
    assert_eq!(d.reg(LDB0, regs::HL_USED), 0);
    assert_eq!(d.reg(LDB0, regs::CQ_OCCUPANCY), 0);
    assert_eq!(d.reg(LDB0, regs::PP_CONSUMED), 4);
    assert_eq!(d.reg(DIR0, regs::PP_CONSUMED), 4);
    assert_eq!(d.reg(LDB1, regs::HL_USED), 1);

    // Atomic flow: pinned to the port holding it.
    d.enq(DIR0, &[new_ldb(0, SchedType::Atomic, 7, 3)]);
    d.enq(DIR0, &[new_ldb(0, SchedType::Atomic, 7, 4)]);
    let mut got: Vec<(PortId, u64)> = Vec::new();
    for p in [LDB0, LDB1] {
        got.extend(d.drain(p).iter().map(|e| (p, e.data)));
    }
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].0, got[1].0, "one flow, one port: {got:?}");
    // FORWARD from the port holding the flow to a directed queue.
    let holder = got[0].0;
    let mut fwd = new_dir(1, 99);
    fwd.cmd = QeCommand::Forward as u8;
    fwd.token = true;
    d.enq(holder, &[fwd]);
    let e = d.pop(DIR1).expect("forwarded");
    assert_eq!((e.data, e.queue), (99, 1));
}

#[test]
fn arm_raises_the_cq_vector_once() {
    let d = Dp::new(50, 50);
    d.w(pp(DIR0, regs::CQ_ARM), 1);
    assert!(d.irq.take().is_empty(), "empty CQ: armed, not fired");
    d.enq(DIR1, &[new_dir(0, 1)]);
    assert_eq!(d.irq.take(), [vector(DIR0)]);
    d.enq(DIR1, &[new_dir(0, 2)]);
    assert!(d.irq.take().is_empty(), "fired once, disarmed");
    // Arming with entries already there fires at once.
    d.w(pp(DIR0, regs::CQ_ARM), 1);
    assert_eq!(d.irq.take(), [vector(DIR0)]);
    // Other values do nothing; CQ_ARM reads 0.
    d.w(pp(DIR0, regs::CQ_ARM), 2);
    assert!(d.irq.take().is_empty());
    assert_eq!(d.reg(DIR0, regs::CQ_ARM), 0);
    // The ARM command, counted as a QE.
    let before = d.reg(DIR0, regs::PP_CONSUMED);
    d.enq(DIR0, &[cmd(QeCommand::Arm, false)]);
    assert_eq!(d.irq.take(), [vector(DIR0)]);
    assert_eq!(d.reg(DIR0, regs::PP_CONSUMED), before + 1);
    // A port with vector 0 is armed but raises nothing.
    d.ok(dom(0, regs::DOM_CTRL), regs::DOM_CTRL_VALID);
    d.ok(pp(DIR1, regs::CQ_VECTOR), 0);
    d.start(0);
    d.restart_positions();
    d.w(pp(DIR1, regs::CQ_ARM), 1);
    d.enq(DIR0, &[new_dir(1, 5)]);
    assert!(d.irq.take().is_empty());
    assert_eq!(d.reg(DIR1, regs::CQ_OCCUPANCY), 1);
}

#[test]
fn refused_qes_raise_alarms_with_the_slot_offset() {
    let d = Dp::new(50, 1);
    // NoCredit: one DIR credit. Each event returns it when written to the
    // CQ, until the CQ is full; then one waits holding it.
    for i in 0..9 {
        d.enq(DIR0, &[new_dir(1, i)]);
    }
    assert_eq!(d.reg(DIR1, regs::CQ_OCCUPANCY), 8);
    assert_eq!(d.r(dp(1, regs::DQ_DEPTH)), 1);
    assert_eq!(d.r(dom(0, regs::DOM_DIR_CREDITS_AVAIL)), 0);
    assert!(d.irq.take().is_empty());
    let s = d.enq(DIR0, &[new_dir(1, 9)]);
    d.refused_qe(DIR0, s[0], AlarmCode::NoCredit);
    assert_eq!(d.reg(DIR0, regs::PP_CONSUMED), 9, "refused QE not counted");
    assert_eq!(d.r(regs::ALARM_COUNT), 1);

    // BadQe: a reserved bit, an unknown command, a queue the domain lacks.
    let mut raw = new_dir(1, 0).to_bytes();
    raw[14] = 1;
    let s = d.send_raw(LDB0, &raw);
    d.ring(LDB0);
    d.refused_qe(LDB0, s, AlarmCode::BadQe);
    let s = d.enq(
        LDB0,
        &[Qe {
            cmd: 9,
            ..Qe::default()
        }],
    );
    d.refused_qe(LDB0, s[0], AlarmCode::BadQe);
    let s = d.enq(LDB0, &[new_ldb(5, SchedType::Unordered, 0, 0)]);
    d.refused_qe(LDB0, s[0], AlarmCode::BadQe);
    let s = d.enq(LDB0, &[new_dir(3, 0)]);
    d.refused_qe(LDB0, s[0], AlarmCode::BadQe);
    assert_eq!(d.reg(LDB0, regs::PP_CONSUMED), 0);

    // NoHistory: COMPLETE from a DIR port (never has history).
    let s = d.enq(DIR1, &[cmd(QeCommand::Complete, false)]);
    d.refused_qe(DIR1, s[0], AlarmCode::NoHistory);
    // BadToken: more tokens than the CQ holds.
    let s = d.enq(DIR1, &[ret_tokens(9)]);
    d.refused_qe(DIR1, s[0], AlarmCode::BadToken);
    let s = d.enq(LDB1, &[cmd(QeCommand::None, true)]);
    d.refused_qe(LDB1, s[0], AlarmCode::BadToken);
    // Ordered QEs need sequence numbers: BadQe.
    let s = d.enq(DIR1, &[new_ldb(0, SchedType::Ordered, 0, 0)]);
    d.refused_qe(DIR1, s[0], AlarmCode::BadQe);

    // A second alarm while one is latched only counts.
    let count = d.r(regs::ALARM_COUNT);
    let s1 = d.enq(DIR1, &[ret_tokens(9)]);
    d.enq(DIR1, &[cmd(QeCommand::Complete, false)]);
    assert_eq!(d.r(regs::ALARM_CODE), AlarmCode::BadToken as u32);
    assert_eq!(
        d.r(regs::ALARM_INFO),
        regs::ALARM_INFO_QE | slot_off(DIR1, s1[0]) as u32
    );
    assert_eq!(d.r(regs::ALARM_COUNT), count + 2);
    assert_eq!(d.irq.take(), [0, 0]);
    // A token-only slot (byte 15 = 0x10) returns one token: room for
    // the waiting event.
    d.ack();
    d.enq(DIR1, &[cmd(QeCommand::None, true)]);
    assert_eq!(d.reg(DIR1, regs::CQ_WRITTEN), 9);
    assert_eq!(d.reg(DIR1, regs::CQ_OCCUPANCY), 8);
    assert_eq!(d.r(dp(1, regs::DQ_DEPTH)), 0);
    assert_eq!(d.r(dom(0, regs::DOM_DIR_CREDITS_AVAIL)), 1);
    assert_eq!(d.r(regs::ALARM_CODE), 0);
}

#[test]
fn stop_and_start_empty_everything() {
    let d = Dp::new(50, 50);
    let evs: Vec<_> = (0..10).map(|i| new_dir(0, i)).collect();
    d.enq(DIR1, &evs);
    d.enq(DIR1, &[new_ldb(0, SchedType::Unordered, 0, 1)]);
    assert_eq!(d.r(dp(0, regs::DQ_DEPTH)), 2);
    assert_eq!(d.reg(DIR0, regs::CQ_OCCUPANCY), 8);
    // Stop: counters and pools read 0, windows are not read.
    d.ok(dom(0, regs::DOM_CTRL), regs::DOM_CTRL_VALID);
    for reg in [
        regs::CQ_OCCUPANCY,
        regs::HL_USED,
        regs::PP_CONSUMED,
        regs::CQ_WRITTEN,
    ] {
        assert_eq!(d.reg(DIR0, reg), 0);
        assert_eq!(d.reg(LDB0, reg), 0);
    }
    assert_eq!(d.r(dp(0, regs::DQ_DEPTH)), 0);
    assert_eq!(d.r(dom(0, regs::DOM_DIR_CREDITS_AVAIL)), 0);
    // The CQ configuration stays.
    assert_eq!(d.reg(DIR0, regs::CQ_ADDR_LO), cq_addr(DIR0) as u32);
    assert_eq!(d.reg(DIR0, regs::CQ_VECTOR), vector(DIR0));
    let s = d.enq(DIR1, &[new_dir(0, 77)]);
    std::thread::sleep(Duration::from_millis(5));
    assert_ne!(d.slot_cmd(DIR1, s[0]), 0, "stopped: window not read");
    // Start: windows emptied, pools full, counters 0, slot index 0.
    d.start(0);
    assert_eq!(d.slot_cmd(DIR1, s[0]), 0, "start empties the window");
    assert_eq!(d.r(dom(0, regs::DOM_DIR_CREDITS_AVAIL)), 50);
    assert_eq!(d.r(dom(0, regs::DOM_LDB_CREDITS_AVAIL)), 50);
    assert_eq!(d.reg(DIR0, regs::CQ_WRITTEN), 0);
    assert_eq!(d.reg(DIR0, regs::PP_CONSUMED), 0);
    d.restart_positions();
    d.mem.write(cq_addr(DIR0), &[0; 16 * 8]).expect("zero CQ");
    d.enq(DIR1, &[new_dir(0, 5)]);
    assert_eq!(
        d.drain(DIR0).iter().map(|e| e.data).collect::<Vec<_>>(),
        [5]
    );
    assert_eq!(d.reg(DIR1, regs::PP_CONSUMED), 1);

    // Domain reset: unassigns the ports, so their blocks read reset values.
    d.ok(dom(0, regs::DOM_CTRL), regs::DOM_CTRL_RESET);
    assert_eq!(d.r(dom(0, regs::DOM_CTRL)), regs::DOM_CTRL_VALID);
    for reg in [regs::CQ_ADDR_LO, regs::CQ_VECTOR, regs::CQ_WRITTEN] {
        assert_eq!(d.reg(DIR0, reg), 0);
    }
}

#[test]
fn the_poller_takes_qes_without_a_doorbell() {
    let d = Dp::new(50, 50);
    let t = Instant::now();
    d.send(DIR1, &[new_dir(0, 42)]);
    let e = loop {
        if let Some(e) = d.pop(DIR0) {
            break e;
        }
        assert!(t.elapsed() < Duration::from_secs(5), "never delivered");
        std::thread::sleep(Duration::from_micros(100));
    };
    assert_eq!(e.data, 42);
    // No timing assert on a loaded host beyond "a few ms" in practice.
    eprintln!("delivered by polling in {:?}", t.elapsed());
}

#[test]
fn trapped_ring_accesses_use_the_same_bytes() {
    let d = Dp::new(50, 50);
    let qe = new_dir(0, 0x1234).to_bytes();
    // A trapped 16-byte write into the QE page (as if QEMU did not map it).
    d.h.bar4_write(slot_off(DIR1, 0) as u64, &qe);
    let mut back = [0u8; 16];
    d.h.bar4_read(slot_off(DIR1, 0) as u64, &mut back);
    assert_eq!(back, qe);
    d.ring(DIR1);
    assert_eq!(d.pop(DIR0).map(|e| e.data), Some(0x1234));
    d.h.bar4_read(slot_off(DIR1, 0) as u64 + 15, &mut back[..1]);
    assert_eq!(back[0], 0, "taken");
    // The doorbell page reads 0; a doorbell of another width does nothing.
    let bell = (window(DIR1) + regs::PP_DOORBELL) as u64;
    let mut b4 = [0xffu8; 4];
    d.h.bar4_read(bell, &mut b4);
    assert_eq!(b4, [0; 4]);
    d.send(DIR1, &[new_dir(0, 1)]);
    d.h.bar4_write(bell, &[0; 2]);
    d.h.bar4_write(bell + 4, &[0; 4]);
    // (The poller may still take it; either way the doorbell did no harm.)
    // Windows of ports the device does not have read 0 and ignore writes.
    let none = regs::ldb_pp_window(d.config.ldb_ports) as u64;
    d.h.bar4_write(none, &qe);
    d.h.bar4_read(none, &mut back);
    assert_eq!(back, [0; 16]);
    // BAR4 layout handed to the transport.
    let shared = d.h.bar4_shared().expect("BAR4 is shared memory");
    let n = (d.config.ldb_ports + d.config.dir_ports) as usize;
    assert_eq!(shared.areas.len(), n);
    assert_eq!(shared.areas[0], (0, 0x1000));
    assert_eq!(shared.areas[1], (0x2000, 0x1000));
    assert_eq!(
        shared.areas[d.config.ldb_ports as usize],
        (0x10_0000, 0x1000)
    );
    assert_eq!(d.h.identity().bar4_size, regs::PP_BAR_SIZE);
}

#[test]
fn function_level_reset_clears_the_data_plane() {
    let d = Dp::new(50, 50);
    d.enq(DIR1, &[new_dir(0, 1)]);
    d.send(DIR1, &[new_dir(0, 2)]);
    d.h.reset();
    assert_eq!(d.r(dom(0, regs::DOM_CTRL)), 0);
    assert_eq!(d.reg(DIR0, regs::CQ_ADDR_LO), 0);
    assert_eq!(d.reg(DIR0, regs::CQ_WRITTEN), 0);
    assert_eq!(d.r(dom(0, regs::DOM_DIR_CREDITS_AVAIL)), 0);
    assert_eq!(d.slot_cmd(DIR1, 1), 0, "BAR4 memory cleared");
    let mut b = [0u8; 16];
    d.h.bar4().read(slot_off(DIR1, 0), &mut b);
    assert_eq!(b, [0; 16]);
    // CTRL.RESET too.
    let d = Dp::new(50, 50);
    d.send(DIR1, &[new_dir(0, 2)]);
    d.w(regs::CTRL, regs::CTRL_RESET);
    assert_eq!(d.slot_cmd(DIR1, 0), 0);
    assert_eq!(d.r(dom(0, regs::DOM_CTRL)), 0);
}

#[test]
fn dropping_the_device_stops_its_poller_promptly() {
    for started in [false, true] {
        let d = if started {
            Dp::new(50, 50)
        } else {
            Dp::programmed(50, 50)
        };
        // Let the poller settle into its sleep.
        std::thread::sleep(Duration::from_millis(20));
        let t = Instant::now();
        drop(d);
        assert!(
            t.elapsed() < Duration::from_millis(500),
            "started={started}: drop took {:?}",
            t.elapsed()
        );
    }
}

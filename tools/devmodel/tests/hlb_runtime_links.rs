// SPDX-License-Identifier: GPL-2.0

//! The HLB model's links at run time (minor version 5): link-slot writes
//! on a started domain link, relink at another priority and unlink at
//! once, an unlink reading `PENDING` while the port still holds events
//! of the queue; before version 1.5 a started domain's slots are frozen.

mod hlb_rig;

use devmodel::hlb_regs::{self as regs, AlarmCode::*, QeCommand, SchedType, QE_SIZE};
use devmodel::mem::GuestMemory;
use hlb_rig::dp::*;
use hlb_rig::*;
use hlb_sched::PortId;

/// What a slot of `q` unlinked at `prio` reads while pending.
fn pending(q: u32, prio: u32) -> u32 {
    regs::LINK_PENDING | prio << regs::LINK_PRIORITY_SHIFT | q
}

/// The rig's domain (LDB ports 0 and 1 linked to queue 0 in slot 0),
/// with LDB queue 1 in it too, port 1 linked only if `link1`; started.
fn started(link1: bool) -> Dp {
    let d = Dp::programmed(100, 100);
    d.ok(lq(1, regs::OBJ_DOMAIN), assign(0));
    if !link1 {
        d.ok(link(1, 0), 0);
    }
    d.start(0);
    d
}

/// One NEW unordered event to queue `q` per doorbell from DIR port 0.
fn produce(d: &Dp, q: u8, data: &[u64]) {
    for &x in data {
        d.enq(DIR0, &[new_ldb(q, SchedType::Unordered, 0, x)]);
    }
}

/// Data of the entries `port` received since the last look.
fn got(d: &Dp, port: PortId) -> Vec<u64> {
    d.drain(port).iter().map(|e| e.data).collect()
}

/// COMPLETE with a token, `n` times, from `port`.
fn complete(d: &Dp, port: PortId, n: usize) {
    d.enq(port, &vec![cmd(QeCommand::Complete, true); n]);
}

/// Stops domain 0 (what it held is dropped) and starts it again, the
/// consumers reading their CQ rings from a clean slate.
fn restart(d: &Dp) {
    d.ok(dom(0, regs::DOM_CTRL), regs::DOM_CTRL_VALID);
    for port in [LDB0, LDB1, DIR0, DIR1] {
        let ring = vec![0; DEPTH as usize * QE_SIZE];
        d.mem.write(cq_addr(port), &ring).expect("CQ ring");
    }
    d.start(0);
    d.restart_positions();
}

/// `PORT_CTRL` of `port`: stopped or running.
fn stop_port(d: &Dp, port: PortId, stop: bool) {
    let v = if stop { regs::PORT_CTRL_STOPPED } else { 0 };
    d.ok(pp(port, regs::PORT_CTRL), v);
}

#[test]
fn link_at_run_time_gives_the_port_events_at_once() {
    let d = started(false);
    produce(&d, 0, &[1, 2]);
    assert_eq!(got(&d, LDB0), [1, 2]);
    assert!(got(&d, LDB1).is_empty(), "port 1 not linked");

    // An event waiting for a port: the link hands it over, no doorbell.
    stop_port(&d, LDB0, true);
    produce(&d, 0, &[3]);
    assert_eq!(d.r(lq(0, regs::LQ_DEPTH)), 1);
    d.ok(link(1, 0), link_val(0, 0));
    assert_eq!(d.r(link(1, 0)), link_val(0, 0));
    assert_eq!(got(&d, LDB1), [3]);
    assert_eq!(d.r(lq(0, regs::LQ_DEPTH)), 0);
    stop_port(&d, LDB0, false);

    // Both ports serve the queue now: the least occupied gets the next
    // (port 0 holds 2, port 1 holds 1; then a tie, port 0 first).
    produce(&d, 0, &[4]);
    assert_eq!((got(&d, LDB0), got(&d, LDB1)), (vec![], vec![4]));
    produce(&d, 0, &[5, 6]);
    assert_eq!((got(&d, LDB0), got(&d, LDB1)), (vec![5], vec![6]));
}

#[test]
fn priority_change_at_run_time_and_across_a_restart() {
    let d = started(true);
    // Port 1 serves queue 0 at priority 0 and, linked now, queue 1 at 1;
    // port 0 stopped, so port 1 takes all, in link priority order.
    d.ok(link(1, 1), link_val(1, 1));
    stop_port(&d, LDB0, true);
    d.enq(
        DIR0,
        &[
            new_ldb(1, SchedType::Unordered, 0, 1),
            new_ldb(0, SchedType::Unordered, 0, 2),
        ],
    );
    assert_eq!(got(&d, LDB1), [2, 1], "queue 0 first");
    complete(&d, LDB1, 2);
    assert_eq!(d.reg(LDB1, regs::HL_USED), 0);

    // Queue 0 to priority 2: now behind queue 1.
    d.ok(link(1, 0), link_val(0, 2));
    assert_eq!(d.r(link(1, 0)), link_val(0, 2));
    d.enq(
        DIR0,
        &[
            new_ldb(0, SchedType::Unordered, 0, 3),
            new_ldb(1, SchedType::Unordered, 0, 4),
        ],
    );
    assert_eq!(got(&d, LDB1), [4, 3], "queue 1 first");

    // Stop and start: the domain starts with the links as last written.
    restart(&d);
    assert_eq!(d.r(link(1, 0)), link_val(0, 2));
    assert_eq!(d.r(link(1, 1)), link_val(1, 1));
    stop_port(&d, LDB0, true);
    d.enq(
        DIR0,
        &[
            new_ldb(0, SchedType::Unordered, 0, 5),
            new_ldb(1, SchedType::Unordered, 0, 6),
        ],
    );
    assert_eq!(got(&d, LDB1), [6, 5], "the run-time links survive");
}

#[test]
fn unlink_is_pending_while_the_port_holds_events_of_the_queue() {
    let d = started(true);
    // One event each (one a doorbell: the least occupied port).
    produce(&d, 0, &[1, 2]);
    assert_eq!((got(&d, LDB0), got(&d, LDB1)), (vec![1], vec![2]));
    d.ok(link(1, 0), link_val(0, 3));

    // Port 1 holds event 2: pending, nothing more of queue 0 for it.
    d.ok(link(1, 0), 0);
    assert_eq!(d.r(link(1, 0)), pending(0, 3));
    produce(&d, 0, &[3, 4]);
    assert_eq!(got(&d, LDB0), [3, 4]);
    assert!(got(&d, LDB1).is_empty(), "unlinked");

    // A pending slot: 0 is a no-op, its queue is still the port's
    // (LinkDup), the slot cannot take another queue (Started).
    d.ok(link(1, 0), 0);
    assert_eq!(d.r(link(1, 0)), pending(0, 3));
    d.refused(link(1, 1), link_val(0, 0), LinkDup);
    d.refused(link(1, 0), link_val(1, 0), Started);
    // A valid slot cannot either.
    d.refused(link(0, 0), link_val(1, 0), Started);

    // An unlink with nothing held is done at once.
    d.ok(link(1, 1), link_val(1, 0));
    d.ok(link(1, 1), 0);
    assert_eq!(d.r(link(1, 1)), 0);

    // The held event completed: the unlink is done.
    complete(&d, LDB1, 1);
    assert_eq!(d.r(link(1, 0)), 0);

    // The stored configuration is the readback: 0 (not pending) for
    // slot 0; a restart would start port 1 unlinked.
    d.ok(link(1, 0), link_val(1, 4));
    assert_eq!(d.r(link(1, 0)), link_val(1, 4));
    d.ok(link(1, 0), 0);
    assert_eq!(d.r(link(1, 0)), 0);
}

#[test]
fn relink_cancels_a_pending_unlink() {
    let d = started(true);
    produce(&d, 0, &[1, 2]);
    assert_eq!((got(&d, LDB0), got(&d, LDB1)), (vec![1], vec![2]));
    d.ok(link(1, 0), 0);
    assert_eq!(d.r(link(1, 0)), pending(0, 0));
    // The same queue again: linked, at the priority written.
    d.ok(link(1, 0), link_val(0, 5));
    assert_eq!(d.r(link(1, 0)), link_val(0, 5));
    // Port 0 holds 1, port 1 holds 1: tie, rotor to port 0, then port 1.
    produce(&d, 0, &[3, 4]);
    assert_eq!((got(&d, LDB0), got(&d, LDB1)), (vec![3], vec![4]));
    // And its events complete normally: nothing shows as pending.
    complete(&d, LDB1, 2);
    assert_eq!(d.r(link(1, 0)), link_val(0, 5));
}

#[test]
fn an_old_unlink_does_not_show_in_another_slot() {
    let d = started(true);
    produce(&d, 0, &[1, 2]);
    assert_eq!(got(&d, LDB1), [2]);
    d.ok(link(1, 0), 0);
    complete(&d, LDB1, 1);
    assert_eq!(d.r(link(1, 0)), 0);
    // Queue 0 in slot 2 now, an event held, unlinked: slot 2 pending,
    // slot 0 (which unlinked queue 0 before) not.
    d.ok(link(1, 2), link_val(0, 1));
    produce(&d, 0, &[3]);
    assert_eq!(got(&d, LDB1), [3]);
    d.ok(link(1, 2), 0);
    assert_eq!(d.r(link(1, 2)), pending(0, 1));
    assert_eq!(d.r(link(1, 0)), 0);
    // Slot 0 takes another queue: not held by anything.
    d.ok(link(1, 0), link_val(1, 0));
}

#[test]
fn stop_or_reset_ends_a_pending_unlink_without_a_trace() {
    let d = started(true);
    produce(&d, 0, &[1, 2]);
    assert_eq!(got(&d, LDB1), [2]);
    d.ok(link(1, 0), 0);
    assert_eq!(d.r(link(1, 0)), pending(0, 0));
    d.ok(dom(0, regs::DOM_CTRL), regs::DOM_CTRL_VALID);
    assert_eq!(d.r(link(1, 0)), 0, "stopped: nothing pending");
    restart(&d);
    assert_eq!(d.r(link(1, 0)), 0, "started unlinked");
    // Nothing of the old unlink: the slot takes any queue, port 1 gets
    // nothing of queue 0.
    d.ok(link(1, 0), link_val(1, 0));
    produce(&d, 0, &[3, 4]);
    assert_eq!((got(&d, LDB0), got(&d, LDB1)), (vec![3, 4], vec![]));

    // RESET: the ports go back unassigned, nothing pending either.
    d.ok(link(0, 0), 0);
    assert_eq!(d.r(link(0, 0)), pending(0, 0));
    d.ok(dom(0, regs::DOM_CTRL), regs::DOM_CTRL_RESET);
    assert_eq!(d.r(link(0, 0)), 0);
}

#[test]
fn run_time_slot_writes_keep_the_register_checks() {
    let d = started(true);
    let cases = [
        (link_val(0, 8), BadValue),
        (link_val(0, 0) | regs::LINK_PENDING, BadValue),
        (0x0000_0100, BadValue),
        (link_val(8, 0), BadId),
        (link_val(2, 0), NotOwned),
    ];
    for (v, code) in cases {
        d.refused(link(1, 1), v, code);
    }
    // A queue in two slots of one port.
    d.refused(link(1, 1), link_val(0, 1), LinkDup);
    // An unassigned port.
    d.refused(link(2, 0), link_val(0, 0), NotOwned);
}

#[test]
fn before_version_1_5_a_started_domains_slots_are_frozen() {
    let rig = Rig::new(small_at(regs::VERSION_MINOR_RUNTIME_LINKS - 1));
    let d = Dp::program(rig, 100, 100);
    d.ok(lq(1, regs::OBJ_DOMAIN), assign(0));
    d.start(0);
    d.refused(link(1, 0), 0, Started);
    d.refused(link(1, 1), link_val(1, 0), Started);
    d.refused(link(1, 0), link_val(0, 3), Started);
    assert_eq!(d.r(link(1, 0)), link_val(0, 0));
    // Port 1 still serves queue 0.
    produce(&d, 0, &[1, 2]);
    assert_eq!((got(&d, LDB0), got(&d, LDB1)), (vec![1], vec![2]));
}

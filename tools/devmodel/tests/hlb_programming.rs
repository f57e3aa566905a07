// SPDX-License-Identifier: GPL-2.0

//! HLB resource programming against `Documentation/hw/hlb.rst`: a valid
//! sequence raises no alarm and reads back; every rule refuses the writes
//! it names with its alarm code and no effect.

mod hlb_rig;

use devmodel::hlb_regs::{self as regs, AlarmCode::*};
use devmodel::pci::PciFunction;
use hlb_rig::*;

const VALID: u32 = regs::DOM_CTRL_VALID;
const STARTED: u32 = regs::DOM_CTRL_STARTED;

#[test]
fn valid_sequence_raises_no_alarm_and_reads_back() {
    let rig = Rig::two_domains();
    for (d, want) in [
        (0, [VALID, 600, 300, 60, 0, 128]),
        (1, [VALID, 400, 200, 40, 128, 128]),
    ] {
        let got: Vec<u32> = DOM_REGS.iter().map(|&r| rig.r(dom(d, r))).collect();
        assert_eq!(got, want, "domain {d}");
    }

    // Queues 0, 1 and DIR port 0, LDB ports 0, 1 in domain 0; queue 2,
    // DIR port 1 and LDB port 2 in domain 1.
    for (q, d) in [(0, 0), (1, 0), (2, 1)] {
        rig.ok(lq(q, regs::OBJ_DOMAIN), assign(d));
    }
    for (p, d) in [(0, 0), (1, 1)] {
        rig.ok(dp(p, regs::OBJ_DOMAIN), assign(d));
    }
    for (p, d) in [(0, 0), (1, 0), (2, 1)] {
        rig.ok(lp(p, regs::OBJ_DOMAIN), assign(d));
    }

    // Ordered queues: group 0 in mode 128 (8 slots), group 1 at its reset
    // mode 64.
    assert_eq!(rig.r(regs::sn_group_mode(1)), 64);
    rig.ok(regs::sn_group_mode(0), 128);
    let queue_cfg = [
        (0, [sn(128, 0, 7), 64, 40, 64, 100]),
        (1, [0, 256, 20, 0, 0xffff]),
        (2, [sn(64, 1, 15), 1, 40, 65536, 0]),
    ];
    for (q, vals) in queue_cfg {
        for (&reg, v) in LQ_REGS[1..].iter().zip(vals) {
            rig.ok(lq(q, reg), v);
        }
    }
    rig.ok(dp(0, regs::PORT_CQ_DEPTH), 8);
    rig.ok(dp(0, regs::PORT_DEPTH_THRESHOLD), 0xffff);
    rig.ok(dp(1, regs::PORT_CQ_DEPTH), 1024);
    let port_cfg = [
        (0, [64, 16, 0, 64]),
        (1, [32, 0, 64, 64]),
        (2, [128, 1, 128, 128]),
    ];
    for (p, vals) in port_cfg {
        for (&reg, v) in LP_REGS[1..].iter().zip(vals) {
            rig.ok(lp(p, reg), v);
        }
    }
    // Links: port 0 to queues 0 (priority 7) and 1, port 1 to queue 1,
    // port 2 to queue 2 in its last slot. Rewriting a slot changes its
    // priority.
    rig.ok(link(0, 0), link_val(0, 7));
    rig.ok(link(0, 1), link_val(1, 0));
    rig.ok(link(1, 0), link_val(1, 3));
    rig.ok(link(1, 0), link_val(1, 4));
    rig.ok(link(2, 7), link_val(2, 0));

    rig.start(0);
    rig.start(1);
    let readback = [
        (dom(0, regs::DOM_CTRL), VALID | STARTED),
        (dom(1, regs::DOM_CTRL), VALID | STARTED),
        (lq(0, regs::OBJ_DOMAIN), regs::VALID),
        (lq(2, regs::OBJ_DOMAIN), regs::VALID | 1),
        (lq(3, regs::OBJ_DOMAIN), 0),
        (lq(0, regs::LQ_SN), sn(128, 0, 7)),
        (lq(2, regs::LQ_SN), sn(64, 1, 15)),
        (lq(2, regs::LQ_LOCK_ID_COMP), 65536),
        (lq(1, regs::LQ_DEPTH_THRESHOLD), 0xffff),
        (dp(1, regs::OBJ_DOMAIN), regs::VALID | 1),
        (dp(1, regs::PORT_CQ_DEPTH), 1024),
        (lp(2, regs::LP_HL_BASE), 128),
        (lp(2, regs::LP_HL_SIZE), 128),
        (lp(1, regs::PORT_CQ_DEPTH), 32),
        (link(0, 0), link_val(0, 7)),
        (link(1, 0), link_val(1, 4)),
        (link(2, 7), link_val(2, 0)),
        (link(2, 0), 0),
        (regs::sn_group_mode(0), 128),
    ];
    for (off, want) in readback {
        assert_eq!(rig.r(off), want, "offset {off:#x}");
    }

    // Stop domain 1 and tear it down by hand: unlink, unassign, release.
    rig.ok(dom(1, regs::DOM_CTRL), VALID);
    rig.ok(link(2, 7), 0);
    rig.ok(lq(2, regs::OBJ_DOMAIN), 0);
    rig.ok(dp(1, regs::OBJ_DOMAIN), 0);
    rig.ok(lp(2, regs::OBJ_DOMAIN), 0);
    assert_eq!(
        rig.r(lq(2, regs::LQ_SN)),
        0,
        "unassigning frees the SN slot"
    );
    assert_eq!(rig.r(lp(2, regs::LP_HL_SIZE)), 0);
    rig.ok(dom(1, regs::DOM_CTRL), 0);
    assert_eq!(rig.r(dom(1, regs::DOM_CTRL)), 0);
    assert_eq!(
        rig.r(dom(1, regs::DOM_LDB_CREDITS)),
        400,
        "reservation stays stored"
    );

    // Reset domain 0 while started: everything of it is returned.
    rig.ok(dom(0, regs::DOM_CTRL), regs::DOM_CTRL_RESET);
    assert_eq!(
        rig.r(dom(0, regs::DOM_CTRL)),
        VALID,
        "RESET reads 0, STARTED cleared"
    );
    let dom0 = [0, 1].map(|q| lq(q, regs::OBJ_DOMAIN));
    for off in dom0
        .into_iter()
        .chain([dp(0, regs::OBJ_DOMAIN), lp(0, 0), lp(1, 0)])
    {
        assert_eq!(rig.r(off), 0, "offset {off:#x} unassigned");
    }
    for off in [
        lq(0, regs::LQ_SN),
        lp(0, regs::LP_HL_SIZE),
        link(0, 0),
        link(0, 1),
        link(1, 0),
    ] {
        assert_eq!(rig.r(off), 0, "offset {off:#x} cleared");
    }
    assert_eq!(rig.r(dom(0, regs::DOM_HL_SIZE)), 128, "reservation stays");
    // The freed SN slot and HL range can be taken again.
    rig.ok(lq(5, regs::OBJ_DOMAIN), assign(0));
    rig.ok(lq(5, regs::LQ_SN), sn(128, 0, 7));
    rig.ok(lp(5, regs::OBJ_DOMAIN), assign(0));
    rig.ok(lp(5, regs::LP_HL_SIZE), 128);
    rig.ok(lq(5, regs::LQ_SN), 0);
    rig.ok(lp(5, regs::OBJ_DOMAIN), 0);
    rig.ok(lq(5, regs::OBJ_DOMAIN), 0);
    rig.ok(dom(0, regs::DOM_CTRL), 0);
    // Released domains can be re-validated with the whole device.
    rig.domain(2, 1000, 500, 100, (0, 256));

    assert_eq!(rig.r(regs::ALARM_COUNT), 0);
    assert_eq!(rig.r(regs::IRQ_CAUSE), 0);
}

#[test]
fn registers_beyond_counts_read_zero_and_refuse_writes_with_bad_id() {
    let rig = Rig::small();
    let c = small_config();
    let mut offs: Vec<usize> = vec![regs::sn_group_mode(c.sn_groups), regs::sn_group_mode(15)];
    offs.extend(DOM_REGS.iter().map(|&r| dom(c.domains, r)));
    offs.push(dom(regs::DOMAINS_MAX - 1, regs::DOM_CTRL));
    offs.extend(LQ_REGS.iter().map(|&r| lq(c.ldb_queues, r)));
    offs.extend(DP_REGS.iter().map(|&r| dp(c.dir_ports, r)));
    offs.extend(LP_REGS.iter().map(|&r| lp(c.ldb_ports, r)));
    offs.push(lp(regs::OBJECTS_MAX - 1, regs::OBJ_DOMAIN));
    offs.push(link(c.ldb_ports, 0));
    offs.push(link(regs::OBJECTS_MAX - 1, LINK_SLOTS - 1));
    for off in offs {
        rig.refused(off, 1, BadId);
        rig.refused(off, 0, BadId);
        assert_eq!(rig.r(off), 0, "offset {off:#x}");
    }
}

#[test]
fn undefined_offsets_in_blocks_read_zero_and_ignore_writes() {
    let rig = Rig::two_domains();
    let offs = [
        0x110,
        0x1fc,
        0x240,
        0xffc,
        dom(0, 0x18),
        dom(0, 0x3c),
        dom(63, 0x20),
        lq(0, 0x18),
        lq(0, 0x1c),
        dp(0, 0x0c),
        dp(0, 0x1c),
        lp(0, 0x14),
        lp(127, 0x1c),
        0x6000,
        0x7ffc,
    ];
    for off in offs {
        rig.ok(off, u32::MAX);
        assert_eq!(rig.r(off), 0, "offset {off:#x}");
    }
}

#[test]
fn validating_a_domain_over_device_totals_is_over_commit() {
    let rig = Rig::two_domains();
    // Domain 2's reservation is plain storage while it is not valid.
    for (reg, v) in [
        (regs::DOM_LDB_CREDITS, 1),
        (regs::DOM_DIR_CREDITS, 0),
        (regs::DOM_ATOMIC_INFLIGHTS, 0),
    ] {
        rig.ok(dom(2, reg), v);
    }
    rig.refused(dom(2, regs::DOM_CTRL), VALID, OverCommit);
    rig.ok(dom(2, regs::DOM_LDB_CREDITS), 0);
    rig.ok(dom(2, regs::DOM_DIR_CREDITS), 1);
    rig.refused(dom(2, regs::DOM_CTRL), VALID, OverCommit);
    rig.ok(dom(2, regs::DOM_DIR_CREDITS), 0);
    rig.ok(dom(2, regs::DOM_ATOMIC_INFLIGHTS), u32::MAX);
    rig.refused(dom(2, regs::DOM_CTRL), VALID | STARTED, OverCommit);
    // Released domains do not count.
    rig.ok(dom(1, regs::DOM_CTRL), 0);
    rig.ok(dom(2, regs::DOM_ATOMIC_INFLIGHTS), 40);
    rig.ok(dom(2, regs::DOM_CTRL), VALID);
}

#[test]
fn validating_a_domain_hl_block_outside_or_overlapping_is_overlap() {
    let rig = Rig::small();
    rig.domain(0, 0, 0, 0, (64, 64));
    let try_block = |base: u32, size: u32| {
        rig.ok(dom(1, regs::DOM_HL_BASE), base);
        rig.ok(dom(1, regs::DOM_HL_SIZE), size);
    };
    for (base, size) in [
        (200, 57),
        (0, 65),
        (127, 1),
        (64, 1),
        (u32::MAX, 2),
        (256, 1),
    ] {
        try_block(base, size);
        rig.refused(dom(1, regs::DOM_CTRL), VALID, Overlap);
        assert_eq!(rig.r(dom(1, regs::DOM_CTRL)), 0);
    }
    // Size 0 overlaps nothing; adjacent blocks do not overlap.
    try_block(64, 0);
    rig.ok(dom(1, regs::DOM_CTRL), VALID);
    rig.ok(dom(1, regs::DOM_CTRL), 0);
    try_block(128, 128);
    rig.ok(dom(1, regs::DOM_CTRL), VALID);
    // A released domain's block is free.
    rig.ok(dom(0, regs::DOM_CTRL), 0);
    rig.ok(dom(2, regs::DOM_HL_SIZE), 128);
    rig.ok(dom(2, regs::DOM_CTRL), VALID);
}

#[test]
fn valid_domain_reservation_writes_are_revalidated() {
    let rig = Rig::two_domains();
    rig.refused(dom(0, regs::DOM_LDB_CREDITS), 601, OverCommit);
    rig.refused(dom(1, regs::DOM_DIR_CREDITS), 201, OverCommit);
    rig.refused(dom(1, regs::DOM_ATOMIC_INFLIGHTS), 41, OverCommit);
    rig.refused(dom(0, regs::DOM_HL_SIZE), 129, Overlap);
    rig.refused(dom(1, regs::DOM_HL_BASE), 127, Overlap);
    rig.refused(dom(1, regs::DOM_HL_SIZE), 129, Overlap);
    rig.ok(dom(0, regs::DOM_LDB_CREDITS), 100);
    rig.ok(dom(1, regs::DOM_LDB_CREDITS), 900);
    // The block must still hold the domain's port ranges, and the atomic
    // in-flights what its queues use.
    rig.ok(lp(0, regs::OBJ_DOMAIN), assign(0));
    rig.ok(lp(0, regs::LP_HL_BASE), 32);
    rig.ok(lp(0, regs::LP_HL_SIZE), 32);
    rig.refused(dom(0, regs::DOM_HL_SIZE), 63, Overlap);
    rig.ok(dom(0, regs::DOM_HL_SIZE), 64);
    rig.refused(dom(0, regs::DOM_HL_BASE), 33, Overlap);
    rig.ok(dom(0, regs::DOM_HL_BASE), 32);
    rig.ok(lq(0, regs::OBJ_DOMAIN), assign(0));
    rig.ok(lq(0, regs::LQ_ATOMIC_INFLIGHTS), 50);
    rig.refused(dom(0, regs::DOM_ATOMIC_INFLIGHTS), 49, OverCommit);
    rig.ok(dom(0, regs::DOM_ATOMIC_INFLIGHTS), 50);
}

#[test]
fn started_domain_reservation_writes_are_started() {
    let rig = Rig::two_domains();
    rig.start(0);
    for reg in &DOM_REGS[1..] {
        let v = rig.r(dom(0, *reg));
        rig.refused(dom(0, *reg), v, Started);
    }
    // Stopping is always allowed, and then the registers are writable.
    rig.ok(dom(0, regs::DOM_CTRL), VALID);
    rig.ok(dom(0, regs::DOM_LDB_CREDITS), 1);
}

#[test]
fn releasing_a_domain_that_owns_objects_is_in_use() {
    for off in [lq(3, 0), dp(3, 0), lp(7, 0)] {
        let rig = Rig::two_domains();
        rig.ok(off, assign(1));
        rig.refused(dom(1, regs::DOM_CTRL), 0, InUse);
        rig.start(1);
        rig.refused(dom(1, regs::DOM_CTRL), 0, InUse);
        assert_eq!(rig.r(dom(1, regs::DOM_CTRL)), VALID | STARTED);
        rig.ok(dom(1, regs::DOM_CTRL), regs::DOM_CTRL_RESET);
        rig.ok(dom(1, regs::DOM_CTRL), 0);
    }
}

#[test]
fn starting_a_domain_that_is_not_valid_is_bad_domain() {
    let rig = Rig::two_domains();
    rig.refused(dom(2, regs::DOM_CTRL), STARTED, BadDomain);
    rig.refused(dom(0, regs::DOM_CTRL), STARTED, BadDomain);
    assert_eq!(rig.r(dom(0, regs::DOM_CTRL)), VALID);
    // Validating and starting in one write is fine.
    rig.ok(dom(2, regs::DOM_CTRL), VALID | STARTED);
}

#[test]
fn assigning_to_a_domain_that_is_not_valid_is_bad_domain() {
    let rig = Rig::two_domains();
    for off in [lq(0, 0), dp(0, 0), lp(0, 0)] {
        rig.refused(off, assign(2), BadDomain);
        rig.refused(off, assign(4), BadDomain);
        rig.refused(off, assign(255), BadDomain);
    }
}

#[test]
fn assigning_an_owned_object_is_owned() {
    let rig = Rig::two_domains();
    for off in [lq(0, 0), dp(0, 0), lp(0, 0)] {
        rig.ok(off, assign(0));
        rig.refused(off, assign(1), Owned);
        rig.refused(off, assign(0), Owned);
        assert_eq!(rig.r(off), regs::VALID);
        rig.ok(off, 0);
        rig.ok(off, 0);
        rig.ok(off, assign(1));
    }
}

#[test]
fn assigning_to_a_started_domain_is_started() {
    let rig = Rig::two_domains();
    rig.start(1);
    for off in [lq(0, 0), dp(0, 0), lp(0, 0)] {
        rig.refused(off, assign(1), Started);
    }
}

#[test]
fn unassigning_from_a_started_domain_is_started() {
    let rig = Rig::two_domains();
    let offs = [lq(0, 0), dp(0, 0), lp(0, 0)];
    for off in offs {
        rig.ok(off, assign(1));
    }
    rig.start(1);
    for off in offs {
        rig.refused(off, 0, Started);
    }
}

#[test]
fn unassigning_a_linked_queue_or_port_is_in_use() {
    let rig = Rig::two_domains();
    rig.ok(lq(4, 0), assign(0));
    rig.ok(lp(6, 0), assign(0));
    rig.ok(lp(5, 0), assign(0));
    rig.ok(link(6, 3), link_val(4, 0));
    rig.ok(link(5, 0), link_val(4, 1));
    rig.refused(lq(4, 0), 0, InUse);
    rig.refused(lp(6, 0), 0, InUse);
    rig.ok(link(6, 3), 0);
    rig.ok(lp(6, 0), 0);
    rig.refused(lq(4, 0), 0, InUse);
    rig.ok(link(5, 0), 0);
    rig.ok(lq(4, 0), 0);
}

#[test]
fn malformed_obj_domain_values_are_bad_value() {
    let rig = Rig::two_domains();
    for off in [lq(0, 0), dp(0, 0), lp(0, 0)] {
        rig.refused(off, 1, BadValue);
        rig.refused(off, regs::VALID | 0x100, BadValue);
        rig.refused(off, 0x4000_0000, BadValue);
    }
}

#[test]
fn configuring_an_unassigned_object_is_not_owned() {
    let rig = Rig::two_domains();
    // Valid values, refused only for want of an owner.
    let writes = [
        (lq(0, regs::LQ_SN), 0),
        (lq(0, regs::LQ_INFLIGHT_LIMIT), 1),
        (lq(0, regs::LQ_ATOMIC_INFLIGHTS), 0),
        (lq(0, regs::LQ_LOCK_ID_COMP), 0),
        (lq(0, regs::LQ_DEPTH_THRESHOLD), 0),
        (dp(0, regs::PORT_CQ_DEPTH), 8),
        (dp(0, regs::PORT_DEPTH_THRESHOLD), 0),
        (lp(0, regs::PORT_CQ_DEPTH), 8),
        (lp(0, regs::PORT_DEPTH_THRESHOLD), 0),
        (lp(0, regs::LP_HL_BASE), 0),
        (lp(0, regs::LP_HL_SIZE), 8),
        (link(0, 0), 0),
    ];
    for (off, v) in writes {
        rig.refused(off, v, NotOwned);
    }
}

#[test]
fn configuring_an_object_of_a_started_domain_is_started() {
    // Link slots too before version 1.5; from 1.5 on they take run-time
    // links (tests/hlb_runtime_links.rs).
    for minor in [regs::VERSION_MINOR_RUNTIME_LINKS - 1, regs::VERSION_MINOR] {
        started_domain_refuses_configuration(minor);
    }
}

fn started_domain_refuses_configuration(minor: u16) {
    let rig = Rig::two_domains_on(small_at(minor));
    rig.ok(lq(0, 0), assign(0));
    rig.ok(lq(1, 0), assign(0));
    rig.ok(dp(0, 0), assign(0));
    rig.ok(lp(0, 0), assign(0));
    rig.start(0);
    let mut writes = vec![
        (lq(0, regs::LQ_SN), 0),
        (lq(0, regs::LQ_INFLIGHT_LIMIT), 1),
        (lq(0, regs::LQ_ATOMIC_INFLIGHTS), 0),
        (lq(0, regs::LQ_LOCK_ID_COMP), 0),
        (lq(0, regs::LQ_DEPTH_THRESHOLD), 0),
        (dp(0, regs::PORT_CQ_DEPTH), 8),
        (dp(0, regs::PORT_DEPTH_THRESHOLD), 0),
        (lp(0, regs::PORT_CQ_DEPTH), 8),
        (lp(0, regs::PORT_DEPTH_THRESHOLD), 0),
        (lp(0, regs::LP_HL_BASE), 0),
        (lp(0, regs::LP_HL_SIZE), 8),
    ];
    if minor < regs::VERSION_MINOR_RUNTIME_LINKS {
        writes.extend([(link(0, 0), link_val(1, 0)), (link(0, 0), 0)]);
    }
    for (off, v) in writes {
        rig.refused(off, v, Started);
    }
}

#[test]
fn out_of_range_configuration_values_are_bad_value() {
    let rig = Rig::two_domains();
    rig.ok(lq(0, 0), assign(0));
    rig.ok(dp(0, 0), assign(0));
    rig.ok(lp(0, 0), assign(0));
    let cases: [(usize, &[u32], &[u32]); 7] = [
        (
            lq(0, regs::LQ_INFLIGHT_LIMIT),
            &[0, 257, u32::MAX],
            &[1, 256],
        ),
        (
            lq(0, regs::LQ_LOCK_ID_COMP),
            &[1, 32, 100, 8192, 32768, 131072],
            &[0, 64, 128, 256, 512, 1024, 2048, 4096, 65536],
        ),
        (
            lq(0, regs::LQ_DEPTH_THRESHOLD),
            &[0x10000, u32::MAX],
            &[0, 0xffff],
        ),
        (
            dp(0, regs::PORT_CQ_DEPTH),
            &[0, 4, 12, 2048, u32::MAX],
            &[8, 16, 1024],
        ),
        (dp(0, regs::PORT_DEPTH_THRESHOLD), &[0x10000], &[0xffff]),
        (lp(0, regs::PORT_CQ_DEPTH), &[0, 1, 7, 24, 4096], &[1024, 8]),
        (lp(0, regs::PORT_DEPTH_THRESHOLD), &[0x1_0000], &[0xffff]),
    ];
    for (off, bad, good) in cases {
        for &v in bad {
            rig.refused(off, v, BadValue);
        }
        for &v in good {
            rig.ok(off, v);
            assert_eq!(rig.r(off), v);
        }
    }
}

#[test]
fn queue_atomic_inflights_over_the_domain_are_over_commit() {
    let rig = Rig::two_domains();
    for q in 0..3 {
        rig.ok(lq(q, 0), assign(0));
    }
    rig.ok(lq(7, 0), assign(1));
    rig.refused(lq(0, regs::LQ_ATOMIC_INFLIGHTS), 61, OverCommit);
    rig.ok(lq(0, regs::LQ_ATOMIC_INFLIGHTS), 30);
    rig.ok(lq(1, regs::LQ_ATOMIC_INFLIGHTS), 30);
    rig.refused(lq(2, regs::LQ_ATOMIC_INFLIGHTS), 1, OverCommit);
    rig.refused(lq(2, regs::LQ_ATOMIC_INFLIGHTS), u32::MAX, OverCommit);
    // Rewriting a queue's own value does not count it twice.
    rig.ok(lq(1, regs::LQ_ATOMIC_INFLIGHTS), 30);
    rig.ok(lq(1, regs::LQ_ATOMIC_INFLIGHTS), 20);
    rig.ok(lq(2, regs::LQ_ATOMIC_INFLIGHTS), 10);
    // Another domain's queues count against that domain only.
    rig.ok(lq(7, regs::LQ_ATOMIC_INFLIGHTS), 40);
    // Unassigning returns a queue's share.
    rig.ok(lq(0, 0), 0);
    rig.ok(lq(2, regs::LQ_ATOMIC_INFLIGHTS), 40);
}

#[test]
fn port_hl_ranges_outside_the_domain_or_overlapping_are_overlap() {
    let rig = Rig::two_domains();
    for p in 0..3 {
        rig.ok(lp(p, 0), assign(0));
    }
    rig.ok(lp(7, 0), assign(1));
    // Outside domain 0's block [0, 128).
    rig.ok(lp(0, regs::LP_HL_BASE), 100);
    rig.refused(lp(0, regs::LP_HL_SIZE), 29, Overlap);
    assert_eq!(rig.r(lp(0, regs::LP_HL_SIZE)), 0, "size stays as it was");
    rig.ok(lp(0, regs::LP_HL_BASE), u32::MAX);
    rig.refused(lp(0, regs::LP_HL_SIZE), 8, Overlap);
    rig.ok(lp(0, regs::LP_HL_BASE), 0);
    rig.ok(lp(0, regs::LP_HL_SIZE), 64);
    // Overlapping port 0's [0, 64).
    rig.ok(lp(1, regs::LP_HL_BASE), 63);
    rig.refused(lp(1, regs::LP_HL_SIZE), 8, Overlap);
    rig.ok(lp(1, regs::LP_HL_BASE), 64);
    rig.ok(lp(1, regs::LP_HL_SIZE), 64);
    // Moving a range is checked like setting it.
    rig.refused(lp(1, regs::LP_HL_BASE), 32, Overlap);
    rig.refused(lp(1, regs::LP_HL_BASE), 65, Overlap);
    // Domain 1's port cannot reach into domain 0's block.
    rig.ok(lp(7, regs::LP_HL_BASE), 64);
    rig.refused(lp(7, regs::LP_HL_SIZE), 128, Overlap);
    rig.ok(lp(7, regs::LP_HL_BASE), 128);
    rig.ok(lp(7, regs::LP_HL_SIZE), 128);
    // A size of 0 frees the range; the base alone is then plain storage.
    rig.ok(lp(1, regs::LP_HL_SIZE), 0);
    rig.ok(lp(1, regs::LP_HL_BASE), 5);
    rig.ok(lp(2, regs::LP_HL_BASE), 64);
    rig.ok(lp(2, regs::LP_HL_SIZE), 64);
}

#[test]
fn port_hl_size_below_the_cq_depth_is_bad_value() {
    let rig = Rig::two_domains();
    rig.ok(lp(0, 0), assign(0));
    rig.ok(lp(0, regs::PORT_CQ_DEPTH), 64);
    rig.refused(lp(0, regs::LP_HL_SIZE), 63, BadValue);
    rig.ok(lp(0, regs::LP_HL_SIZE), 64);
    rig.refused(lp(0, regs::PORT_CQ_DEPTH), 128, BadValue);
    assert_eq!(rig.r(lp(0, regs::PORT_CQ_DEPTH)), 64);
    rig.ok(lp(0, regs::PORT_CQ_DEPTH), 32);
    rig.ok(lp(0, regs::LP_HL_SIZE), 32);
    // With no range, any valid depth goes.
    rig.ok(lp(0, regs::LP_HL_SIZE), 0);
    rig.ok(lp(0, regs::PORT_CQ_DEPTH), 1024);
}

#[test]
fn lq_sn_group_beyond_the_device_is_bad_id() {
    let rig = Rig::two_domains();
    rig.ok(lq(0, 0), assign(0));
    rig.refused(lq(0, regs::LQ_SN), sn(64, 2, 0), BadId);
    rig.refused(lq(0, regs::LQ_SN), sn(64, 255, 0), BadId);
}

#[test]
fn lq_sn_count_other_than_the_group_mode_is_bad_value() {
    let rig = Rig::two_domains();
    rig.ok(lq(0, 0), assign(0));
    for count in [1, 63, 128, 1024, 0xffff] {
        rig.refused(lq(0, regs::LQ_SN), sn(count, 0, 0), BadValue);
    }
    rig.ok(regs::sn_group_mode(1), 1024);
    rig.refused(lq(0, regs::LQ_SN), sn(64, 1, 0), BadValue);
    rig.ok(lq(0, regs::LQ_SN), sn(1024, 1, 0));
}

#[test]
fn lq_sn_slot_taken_or_beyond_the_group_is_sn_conflict() {
    let rig = Rig::two_domains();
    for q in 0..3 {
        rig.ok(lq(q, 0), assign(q % 2));
    }
    // Mode 256: 4 slots.
    rig.ok(regs::sn_group_mode(0), 256);
    rig.refused(lq(0, regs::LQ_SN), sn(256, 0, 4), SnConflict);
    rig.refused(lq(0, regs::LQ_SN), sn(256, 0, 255), SnConflict);
    rig.ok(lq(0, regs::LQ_SN), sn(256, 0, 3));
    // Taken by a queue of any domain.
    rig.refused(lq(1, regs::LQ_SN), sn(256, 0, 3), SnConflict);
    rig.refused(lq(2, regs::LQ_SN), sn(256, 0, 3), SnConflict);
    // Same slot number in the other group is a different slot.
    rig.ok(lq(1, regs::LQ_SN), sn(64, 1, 3));
    // A queue may rewrite or move its own slot, freeing the old one.
    rig.ok(lq(0, regs::LQ_SN), sn(256, 0, 3));
    rig.ok(lq(0, regs::LQ_SN), sn(256, 0, 2));
    rig.ok(lq(2, regs::LQ_SN), sn(256, 0, 3));
    // Count 0 frees the slot and reads 0 whatever the other fields said.
    rig.ok(lq(0, regs::LQ_SN), sn(0, 1, 9));
    assert_eq!(rig.r(lq(0, regs::LQ_SN)), 0);
    rig.ok(lq(1, regs::LQ_SN), 0);
    rig.ok(lq(1, regs::LQ_SN), sn(256, 0, 2));
}

#[test]
fn sn_group_mode_outside_sn_modes_is_bad_value() {
    let rig = Rig::small();
    for v in [0, 32, 100, 2048, u32::MAX] {
        rig.refused(regs::sn_group_mode(0), v, BadValue);
    }
    for v in regs::SN_MODES {
        rig.ok(regs::sn_group_mode(1), v);
        assert_eq!(rig.r(regs::sn_group_mode(1)), v);
    }
}

#[test]
fn sn_group_mode_change_while_a_queue_holds_a_slot_is_sn_conflict() {
    let rig = Rig::two_domains();
    rig.ok(lq(0, 0), assign(0));
    rig.ok(lq(0, regs::LQ_SN), sn(64, 1, 15));
    rig.refused(regs::sn_group_mode(1), 128, SnConflict);
    rig.ok(regs::sn_group_mode(1), 64);
    rig.ok(regs::sn_group_mode(0), 512);
    // Unassigning the queue frees its slot.
    rig.ok(lq(0, 0), 0);
    rig.ok(regs::sn_group_mode(1), 128);
}

#[test]
fn link_rules() {
    // A device before version 1.5: a started domain's slots are frozen
    // (1.5's run-time links: tests/hlb_runtime_links.rs).
    let rig = Rig::two_domains_on(small_at(regs::VERSION_MINOR_RUNTIME_LINKS - 1));
    // Unassigned port.
    rig.refused(link(0, 0), link_val(0, 0), NotOwned);
    rig.ok(lp(0, 0), assign(0));
    rig.ok(lq(0, 0), assign(0));
    rig.ok(lq(1, 0), assign(0));
    rig.ok(lq(2, 0), assign(1));
    // Queue beyond the device, unassigned or of another domain.
    rig.refused(link(0, 0), link_val(8, 0), BadId);
    rig.refused(link(0, 0), link_val(255, 0), BadId);
    rig.refused(link(0, 0), link_val(3, 0), NotOwned);
    rig.refused(link(0, 0), link_val(2, 0), NotOwned);
    // Priority beyond NUM_PRIORITIES, or not VALID.
    rig.refused(link(0, 0), link_val(0, 8), BadValue);
    rig.refused(link(0, 0), link_val(0, 0x7f_ffff), BadValue);
    rig.refused(link(0, 0), 0x0000_0100, BadValue);
    // A queue in two slots of one port.
    rig.ok(link(0, 0), link_val(0, 0));
    rig.refused(link(0, 5), link_val(0, 1), LinkDup);
    rig.ok(link(0, 5), link_val(1, 1));
    rig.refused(link(0, 0), link_val(1, 1), LinkDup);
    rig.ok(link(0, 0), link_val(0, 6));
    // Started domain.
    rig.start(0);
    rig.refused(link(0, 1), link_val(0, 0), Started);
    rig.refused(link(0, 0), 0, Started);
    rig.ok(dom(0, regs::DOM_CTRL), VALID);
    rig.ok(link(0, 0), 0);
    rig.ok(link(0, 5), link_val(0, 7));
}

#[test]
fn alarms_latch_the_first_count_all_and_clear_on_ack() {
    let rig = Rig::small();
    rig.w(dom(0, regs::DOM_CTRL), STARTED);
    rig.w(lq(9, regs::OBJ_DOMAIN), assign(0));
    rig.w(lq(0, regs::LQ_SN), 0);
    assert_eq!(rig.irq.take(), [0, 0, 0], "vector 0 per alarm");
    assert_eq!(rig.r(regs::ALARM_CODE), BadDomain as u32);
    assert_eq!(rig.r(regs::ALARM_INFO), dom(0, regs::DOM_CTRL) as u32);
    assert_eq!(rig.r(regs::ALARM_COUNT), 3);
    assert_eq!(rig.r(regs::IRQ_CAUSE), regs::IRQ_CAUSE_ALARM);
    // Only a write of 1 acknowledges; ALARM_ACK reads 0, the others are RO.
    rig.w(regs::ALARM_ACK, 0);
    rig.w(regs::ALARM_CODE, 0);
    rig.w(regs::ALARM_INFO, 0);
    rig.w(regs::ALARM_COUNT, 0);
    assert_eq!(rig.r(regs::ALARM_CODE), BadDomain as u32);
    assert_eq!(rig.r(regs::ALARM_COUNT), 3);
    assert_eq!(rig.r(regs::ALARM_ACK), 0);
    rig.w(regs::ALARM_ACK, 1);
    assert_eq!(rig.r(regs::ALARM_CODE), 0);
    assert_eq!(rig.r(regs::ALARM_INFO), 0);
    assert_eq!(rig.r(regs::ALARM_COUNT), 3, "the count survives an ACK");
    assert_eq!(
        rig.r(regs::IRQ_CAUSE),
        regs::IRQ_CAUSE_ALARM,
        "IRQ_CAUSE.ALARM is W1C on its own"
    );
    rig.w(regs::IRQ_CAUSE, regs::IRQ_CAUSE_ALARM);
    assert_eq!(rig.r(regs::IRQ_CAUSE), 0);
    // The next alarm latches again.
    rig.w(lq(0, regs::LQ_SN), 0);
    assert_eq!(rig.r(regs::ALARM_CODE), NotOwned as u32);
    assert_eq!(rig.r(regs::ALARM_INFO), lq(0, regs::LQ_SN) as u32);
    assert_eq!(rig.r(regs::ALARM_COUNT), 4);
    assert!(!rig.irq.take().is_empty());
}

#[test]
fn ctrl_reset_and_device_reset_clear_programming_alarms_and_sn_modes() {
    for device_reset in [false, true] {
        let rig = Rig::two_domains();
        let fresh = Rig::small().snapshot();
        rig.ok(regs::sn_group_mode(1), 512);
        rig.ok(lq(0, 0), assign(0));
        rig.ok(lq(0, regs::LQ_SN), sn(512, 1, 1));
        rig.ok(lp(0, 0), assign(0));
        rig.ok(link(0, 0), link_val(0, 0));
        rig.start(0);
        rig.w(dom(0, regs::DOM_LDB_CREDITS), 0);
        assert_eq!(rig.irq.take(), [0]);
        if device_reset {
            rig.h.reset();
        } else {
            rig.w(regs::CTRL, regs::CTRL_RESET);
        }
        assert_eq!(rig.snapshot(), fresh, "device_reset={device_reset}");
        for off in [
            regs::ALARM_CODE,
            regs::ALARM_INFO,
            regs::ALARM_COUNT,
            regs::IRQ_CAUSE,
        ] {
            assert_eq!(rig.r(off), 0, "offset {off:#x} device_reset={device_reset}");
        }
        assert_eq!(rig.r(regs::sn_group_mode(1)), 64);
    }
}

// SPDX-License-Identifier: GPL-2.0

//! One test per data-plane rule of `Documentation/hw/hlb.rst`.

mod common;

use common::*;
use hlb_sched::{ConfigError, Domain, PortId, QeCommand, QueueConfig, QueueStats, SchedType};
use PortId::{Dir, Ldb};
use SchedType::{Atomic, Directed, Ordered, Unordered};

/// Four LDB ports (0..4, CQ depth `depth`) all linked to queue 0 at
/// priority 0, one DIR port 0 as producer.
fn four_workers(depth: u32) -> Rig {
    Rig::new(config(
        vec![queue(0)],
        (0..4).map(|p| ldb_port(p, depth, &[(0, 0)])).collect(),
        vec![dir_port(0, 8)],
    ))
}

#[test]
fn directed_entries_reach_their_port_by_priority_then_in_order() {
    let mut r = Rig::new(config(vec![], vec![], vec![dir_port(0, 8), dir_port(5, 8)]));
    for (i, prio) in [3u8, 1, 3, 0].into_iter().enumerate() {
        r.new_ev(Dir(0), ev(5, Directed, prio, 0, i as u64));
    }
    assert_eq!(r.schedule(), 4);
    assert_eq!(r.data(Dir(5)), [3, 1, 0, 2]);
    assert!(r.data(Dir(0)).is_empty());
}

#[test]
fn unordered_entries_spread_evenly_over_linked_ports() {
    let mut r = four_workers(16);
    for i in 0..48 {
        r.new_ev(Dir(0), ev(0, Unordered, 0, 0, i));
    }
    r.schedule();
    let counts: Vec<usize> = (0..4).map(|p| r.drain(Ldb(p)).len()).collect();
    assert_eq!(counts, [12, 12, 12, 12]);
}

#[test]
fn ports_take_turns_of_up_to_four_entries() {
    let mut r = four_workers(16);
    for i in 0..10 {
        r.new_ev(Dir(0), ev(0, Unordered, 0, 0, i));
    }
    r.schedule();
    let got: Vec<Vec<u64>> = (0..4).map(|p| r.data(Ldb(p))).collect();
    assert_eq!(
        got,
        [vec![0, 1, 2, 3], vec![4, 5, 6, 7], vec![8, 9], vec![]]
    );
    // The next pass starts after the port served last, at the lowest
    // occupancy: port 3, then port 2.
    for i in 10..16 {
        r.new_ev(Dir(0), ev(0, Unordered, 0, 0, i));
    }
    r.schedule();
    assert_eq!(r.data(Ldb(3)), [10, 11, 12, 13]);
    assert_eq!(r.data(Ldb(2)), [14, 15]);
}

#[test]
fn equal_consumers_get_an_even_share() {
    // A producer sending bursts of 1 to 13 events, four workers each
    // consuming (and completing) the same few entries a round: each gets
    // its quarter of 4000 within 10% (the guest's `spread` case), and
    // within a turn's length, since CQs fill and each round frees the
    // same room everywhere.
    let mut r = four_workers(16);
    let (mut sent, mut counts) = (0u64, [0u64; 4]);
    let mut round = 0u64;
    while counts.iter().sum::<u64>() < 4000 {
        let burst = (round * 7 % 13 + 1).min(4000 - sent);
        for _ in 0..burst {
            r.new_ev(Dir(0), ev(0, Unordered, 0, 0, sent));
            sent += 1;
        }
        r.schedule();
        for p in 0..4u8 {
            let i = r.ix(Ldb(p));
            let mut n = 0u16;
            while n < 3 && r.cqs.pop(i).is_some() {
                n += 1;
            }
            if n > 0 {
                r.tokens(Ldb(p), n).unwrap();
                for _ in 0..n {
                    r.complete(Ldb(p)).unwrap();
                }
            }
            counts[p as usize] += u64::from(n);
        }
        round += 1;
    }
    let (lo, hi) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
    assert!(hi - lo <= u64::from(hlb_sched::domain::TURN), "{counts:?}");
}

#[test]
fn unordered_entries_go_to_the_least_occupied_port() {
    let mut r = four_workers(16);
    // Six entries: a turn of four to port 0, two to port 1; port 0 keeps
    // its four (no tokens returned), port 1 consumes and completes.
    for i in 0..6 {
        r.new_ev(Dir(0), ev(0, Unordered, 0, 0, i));
    }
    r.schedule();
    for p in 0..4 {
        let n = r.drain(Ldb(p)).len() as u16;
        if p != 0 {
            r.tokens(Ldb(p), n).unwrap();
            for _ in 0..n {
                r.complete(Ldb(p)).unwrap();
            }
        }
    }
    // Occupancies are now 4, 0, 0, 0: the twelve new entries go to
    // ports 1, 2 and 3, four each.
    for i in 0..12 {
        r.new_ev(Dir(0), ev(0, Unordered, 0, 0, 100 + i));
    }
    r.schedule();
    let occ: Vec<u32> = (0..4).map(|p| r.d.cq_occupancy(p)).collect();
    assert_eq!(occ, [4, 4, 4, 4]);
}

#[test]
fn an_atomic_flow_runs_on_one_port_until_its_entries_complete() {
    let mut r = four_workers(16);
    for i in 0..4 {
        r.new_ev(Dir(0), ev(0, Atomic, 0, 7, i));
    }
    r.schedule();
    let holders: Vec<u8> = (0..4)
        .filter(|&p| r.d.cq_occupancy(p as usize) > 0)
        .collect();
    assert_eq!(holders.len(), 1, "one port holds the flow");
    let a = holders[0];
    assert_eq!(r.data(Ldb(a)), [0, 1, 2, 3]);
    // Three completed: still pinned, a new entry goes to the same port.
    r.tokens(Ldb(a), 4).unwrap();
    for _ in 0..3 {
        r.complete(Ldb(a)).unwrap();
    }
    r.new_ev(Dir(0), ev(0, Atomic, 0, 7, 4));
    r.schedule();
    assert_eq!(r.data(Ldb(a)), [4]);
    // Everything completed: the flow is free and goes to another port
    // (the rotor has moved past `a`).
    r.tokens(Ldb(a), 1).unwrap();
    r.complete(Ldb(a)).unwrap();
    r.complete(Ldb(a)).unwrap();
    assert_eq!(r.d.hl_used(a as usize), 0);
    r.new_ev(Dir(0), ev(0, Atomic, 0, 7, 5));
    r.schedule();
    assert!(r.data(Ldb(a)).is_empty());
}

#[test]
fn a_forward_releases_the_atomic_flow() {
    let mut r = Rig::new(config(
        vec![queue(0), queue(1)],
        vec![
            ldb_port(0, 8, &[(0, 0)]),
            ldb_port(1, 8, &[(0, 0)]),
            ldb_port(2, 8, &[(1, 0)]),
        ],
        vec![dir_port(0, 8)],
    ));
    r.new_ev(Dir(0), ev(0, Atomic, 0, 3, 1));
    r.schedule();
    let a = if r.d.cq_occupancy(0) == 1 { 0 } else { 1 };
    r.drain(Ldb(a));
    r.forward(Ldb(a), ev(1, Unordered, 0, 0, 1)).unwrap();
    assert_eq!(r.d.hl_used(a as usize), 0);
    r.new_ev(Dir(0), ev(0, Atomic, 0, 3, 2));
    r.schedule();
    // Port `a` still holds a token's worth of occupancy, so the free flow
    // goes to the other, emptier port.
    assert_eq!(r.data(Ldb(1 - a)), [2]);
    assert_eq!(r.data(Ldb(2)), [1]);
}

/// Ordered queue 0 on LDB ports 0 and 1, which forward to queue 1 on
/// port 2; eight ordered events scheduled: what ports 0 and 1 got.
fn ordered_on_two_ports() -> (Rig, Vec<u64>, Vec<u64>) {
    let mut r = Rig::new(config(
        vec![queue(0), queue(1)],
        vec![
            ldb_port(0, 16, &[(0, 0)]),
            ldb_port(1, 16, &[(0, 0)]),
            ldb_port(2, 16, &[(1, 0)]),
        ],
        vec![dir_port(0, 8)],
    ));
    for i in 0..8 {
        r.new_ev(Dir(0), ev(0, Ordered, 0, 0, i));
    }
    r.schedule();
    let a = r.data(Ldb(0));
    let b = r.data(Ldb(1));
    (r, a, b)
}

#[test]
fn ordered_entries_leave_in_order_after_out_of_order_forwards() {
    let (mut r, a, b) = ordered_on_two_ports();
    assert_eq!(a.len() + b.len(), 8);
    // Port 1 forwards all of its entries first: nothing may pass the
    // first entry of port 0 that is older.
    for &x in &b {
        r.forward(Ldb(1), ev(1, Unordered, 0, 0, x)).unwrap();
    }
    r.schedule();
    let early = r.data(Ldb(2));
    assert!(early.iter().all(|&x| x < a[0]), "{early:?} passed {}", a[0]);
    for &x in &a {
        r.forward(Ldb(0), ev(1, Unordered, 0, 0, x)).unwrap();
    }
    r.schedule();
    let mut out = early;
    out.extend(r.data(Ldb(2)));
    assert_eq!(out, (0..8).collect::<Vec<_>>());
}

#[test]
fn completing_an_ordered_entry_drops_its_place_without_blocking_others() {
    let mut r = Rig::new(config(
        vec![queue(0), queue(1)],
        vec![ldb_port(0, 16, &[(0, 0)]), ldb_port(2, 16, &[(1, 0)])],
        vec![dir_port(0, 8)],
    ));
    for i in 0..3 {
        r.new_ev(Dir(0), ev(0, Ordered, 0, 0, i));
    }
    r.schedule();
    r.drain(Ldb(0));
    r.complete(Ldb(0)).unwrap();
    r.forward(Ldb(0), ev(1, Unordered, 0, 0, 1)).unwrap();
    r.forward(Ldb(0), ev(1, Unordered, 0, 0, 2)).unwrap();
    r.schedule();
    assert_eq!(r.data(Ldb(2)), [1, 2]);
}

#[test]
fn ordered_scheduling_stops_when_sequence_numbers_run_out() {
    let mut r = Rig::new(config(
        vec![queue(0)],
        vec![ldb_port(0, 128, &[(0, 0)])],
        vec![dir_port(0, 8)],
    ));
    for i in 0..70 {
        r.new_ev(Dir(0), ev(0, Ordered, 0, 0, i));
    }
    assert_eq!(r.schedule(), 64);
    r.complete(Ldb(0)).unwrap();
    assert_eq!(r.schedule(), 1);
}

#[test]
fn link_priority_is_strict() {
    let mut r = Rig::new(config(
        vec![queue(0), queue(1)],
        vec![ldb_port(0, 8, &[(0, 5), (1, 2)])],
        vec![dir_port(0, 8)],
    ));
    for i in 0..4 {
        r.new_ev(Dir(0), ev(0, Unordered, 0, 0, i));
        r.new_ev(Dir(0), ev(1, Unordered, 7, 0, 10 + i));
    }
    r.schedule();
    assert_eq!(r.data(Ldb(0)), [10, 11, 12, 13, 0, 1, 2, 3]);
}

#[test]
fn equal_link_priorities_take_turns() {
    let mut r = Rig::new(config(
        vec![queue(0), queue(1)],
        vec![ldb_port(0, 8, &[(0, 1), (1, 1)])],
        vec![dir_port(0, 8)],
    ));
    for i in 0..3 {
        r.new_ev(Dir(0), ev(0, Unordered, 0, 0, i));
        r.new_ev(Dir(0), ev(1, Unordered, 0, 0, 10 + i));
    }
    r.schedule();
    assert_eq!(r.data(Ldb(0)), [0, 10, 1, 11, 2, 12]);
}

#[test]
fn qe_priority_is_strict_within_a_queue_for_every_type() {
    for sched in [Unordered, Ordered, Atomic] {
        let mut r = Rig::new(config(
            vec![queue(0)],
            vec![ldb_port(0, 16, &[(0, 0)])],
            vec![dir_port(0, 8)],
        ));
        for (i, prio) in [7u8, 3, 0, 3, 7, 1].into_iter().enumerate() {
            r.new_ev(Dir(0), ev(0, sched, prio, i as u16, i as u64));
        }
        r.schedule();
        assert_eq!(r.data(Ldb(0)), [2, 5, 1, 3, 0, 4], "{sched:?}");
    }
}

#[test]
fn a_full_cq_takes_nothing_until_tokens_return() {
    let mut r = four_workers(8);
    for i in 0..40 {
        r.new_ev(Dir(0), ev(0, Unordered, 0, 0, i));
    }
    assert_eq!(r.schedule(), 32);
    assert_eq!(r.d.queue_depth(Ldb(0)), 8);
    assert_eq!(r.schedule(), 0);
    assert_eq!(r.tokens(Ldb(2), 9), Err(AlarmCode::BadToken));
    r.tokens(Ldb(2), 3).unwrap();
    // Tokens free CQ room, but the history list (size 8) is still full.
    assert_eq!(r.schedule(), 0);
    for _ in 0..3 {
        r.complete(Ldb(2)).unwrap();
    }
    assert_eq!(r.schedule(), 3);
}

#[test]
fn the_token_bit_returns_one_token_with_any_command() {
    let mut r = four_workers(8);
    r.new_ev(Dir(0), ev(0, Unordered, 0, 0, 1));
    r.schedule();
    let p = (0..4).find(|&p| r.d.cq_occupancy(p) == 1).unwrap();
    let mut c = cmd(QeCommand::Complete);
    c.token = true;
    r.d.submit(p, &c).unwrap();
    assert_eq!((r.d.cq_occupancy(p), r.d.hl_used(p)), (0, 0));
}

#[test]
fn credits_are_spent_on_enqueue_and_return_when_scheduled() {
    let mut cfg = config(
        vec![queue(0)],
        vec![ldb_port(0, 8, &[(0, 0)])],
        vec![dir_port(0, 8)],
    );
    cfg.ldb_credits = 4;
    cfg.dir_credits = 1;
    let mut r = Rig::new(cfg);
    for i in 0..4 {
        r.new_ev(Dir(0), ev(0, Unordered, 0, 0, i));
    }
    assert_eq!(r.d.credits(), (0, 1));
    let depth = r.d.queue_depth(Ldb(0));
    assert_eq!(
        r.submit(Dir(0), ev(0, Unordered, 0, 0, 9)),
        Err(AlarmCode::NoCredit)
    );
    assert_eq!(
        r.d.queue_depth(Ldb(0)),
        depth,
        "a refused enqueue changes nothing"
    );
    r.new_ev(Ldb(0), ev(0, Directed, 0, 0, 5));
    assert_eq!(
        r.submit(Ldb(0), ev(0, Directed, 0, 0, 6)),
        Err(AlarmCode::NoCredit)
    );
    r.schedule();
    assert_eq!(r.d.credits(), (4, 1));
}

#[test]
fn a_forward_without_credit_is_refused_whole() {
    let mut cfg = config(
        vec![queue(0), queue(1)],
        vec![ldb_port(0, 8, &[(0, 0)])],
        vec![dir_port(0, 8)],
    );
    cfg.ldb_credits = 2;
    let mut r = Rig::new(cfg);
    for i in 0..2 {
        r.new_ev(Dir(0), ev(0, Ordered, 0, 0, i));
    }
    assert_eq!(r.schedule(), 2);
    for i in 2..4 {
        r.new_ev(Dir(0), ev(0, Unordered, 0, 0, i));
    }
    assert_eq!(r.d.credits().0, 0);
    assert_eq!(
        r.forward(Ldb(0), ev(1, Unordered, 0, 0, 0)),
        Err(AlarmCode::NoCredit)
    );
    assert_eq!(r.d.hl_used(0), 2, "the refused forward completed nothing");
    assert_eq!(r.schedule(), 2);
    r.forward(Ldb(0), ev(1, Unordered, 0, 0, 0)).unwrap();
    assert_eq!((r.d.hl_used(0), r.d.credits().0), (3, 1));
}

#[test]
fn invalid_qes_are_refused() {
    let mut r = Rig::new(config(
        vec![
            queue(0),
            QueueConfig {
                id: 1,
                ..QueueConfig::default()
            },
        ],
        vec![ldb_port(0, 8, &[(0, 0), (1, 0)])],
        vec![dir_port(0, 8)],
    ));
    let bad = [
        ev(9, Unordered, 0, 0, 0),
        ev(1, Atomic, 0, 0, 0),
        ev(1, Ordered, 0, 0, 0),
        ev(3, Directed, 0, 0, 0),
    ];
    for q in bad {
        assert_eq!(r.submit(Dir(0), q), Err(AlarmCode::BadQe), "{q:?}");
    }
    let mut q = ev(0, Unordered, 0, 0, 0);
    q.cmd = 9;
    assert_eq!(r.submit(Dir(0), q), Err(AlarmCode::BadQe));
    q.cmd = QeCommand::New as u8;
    q.priority = 8;
    assert_eq!(r.submit(Dir(0), q), Err(AlarmCode::BadQe));
    assert_eq!(r.complete(Ldb(0)), Err(AlarmCode::NoHistory));
    assert_eq!(r.complete(Dir(0)), Err(AlarmCode::NoHistory));
    assert_eq!(
        r.forward(Dir(0), ev(0, Unordered, 0, 0, 0)),
        Err(AlarmCode::NoHistory)
    );
    assert_eq!(r.tokens(Dir(0), 1), Err(AlarmCode::BadToken));
    assert_eq!(r.d.credits(), (1024, 256));
    assert_eq!(r.d.pp_consumed(0), 0, "refused QEs are not counted");
    // In the byte layout: each reserved bit, and unknown commands.
    let dir0 = r.ix(Dir(0));
    let good = ev(0, Unordered, 0, 0, 0).to_bytes();
    let mut bad = Vec::new();
    for (byte, bits) in [(11usize, 0xe0u8), (14, 0xff), (15, 0xe0)] {
        for bit in 0..8 {
            if bits & 1 << bit != 0 {
                let mut b = good;
                b[byte] |= 1 << bit;
                bad.push(b);
            }
        }
    }
    for c in 6..16 {
        let mut b = good;
        b[15] = c;
        bad.push(b);
    }
    for b in &bad {
        assert_eq!(r.d.submit_bytes(dir0, b), Err(AlarmCode::BadQe), "{b:x?}");
    }
    let mut refused = Vec::new();
    let burst = [bad[0], good, bad[1]];
    let n =
        r.d.submit_burst(dir0, &burst, |k, code| refused.push((k, code)));
    assert_eq!(n, 1);
    assert_eq!(refused, [(0, AlarmCode::BadQe), (2, AlarmCode::BadQe)]);
    assert_eq!(r.d.credits(), (1023, 256));
    assert_eq!(r.d.pp_consumed(dir0), 1);
}

#[test]
fn depth_level_bits_report_the_queue_against_its_threshold() {
    let mut q = queue(0);
    q.depth_threshold = 8;
    let mut r = Rig::new(config(
        vec![q],
        vec![ldb_port(0, 16, &[(0, 0)])],
        vec![dir_port(0, 8)],
    ));
    for i in 0..12 {
        r.new_ev(Dir(0), ev(0, Unordered, 0, 0, i));
    }
    r.schedule();
    let levels: Vec<u8> = r.drain(Ldb(0)).iter().map(|e| e.depth_level).collect();
    // Depth after each departure: 11, 10, ..., 0 against threshold 8.
    assert_eq!(levels, [3, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, 0]);
}

#[test]
fn an_armed_interrupt_fires_once_at_the_threshold() {
    let mut cfg = config(
        vec![queue(0)],
        vec![ldb_port(0, 16, &[(0, 0)])],
        vec![dir_port(0, 8)],
    );
    cfg.ldb_ports[0].depth_threshold = 3;
    let mut r = Rig::new(cfg);
    r.submit(Ldb(0), cmd(QeCommand::Arm)).unwrap();
    for i in 0..2 {
        r.new_ev(Dir(0), ev(0, Unordered, 0, 0, i));
    }
    r.schedule();
    assert_eq!(r.cqs.interrupts(0), 0);
    for i in 0..4 {
        r.new_ev(Dir(0), ev(0, Unordered, 0, 0, i));
    }
    r.schedule();
    assert_eq!(r.cqs.interrupts(0), 1);
    // Arming while the condition holds fires at once (at the next pass).
    r.submit(Ldb(0), cmd(QeCommand::Arm)).unwrap();
    r.schedule();
    assert_eq!(r.cqs.interrupts(0), 2);
    // DIR ports fire on the first entry.
    r.submit(Dir(0), cmd(QeCommand::Arm)).unwrap();
    r.new_ev(Ldb(0), ev(0, Directed, 0, 0, 1));
    r.schedule();
    assert_eq!(r.cqs.interrupts(1), 1);
}

#[test]
fn the_generation_bit_flips_every_lap() {
    let mut r = Rig::new(config(vec![], vec![], vec![dir_port(0, 8)]));
    let mut seen = Vec::new();
    for lap in 0..3u64 {
        for i in 0..8 {
            r.new_ev(Dir(0), ev(0, Directed, 0, 0, lap * 8 + i));
        }
        r.schedule();
        let got = r.drain(Dir(0));
        assert!(got.iter().all(|e| e.gen == (lap % 2 == 0)));
        seen.extend(got.iter().map(|e| e.data));
        r.tokens(Dir(0), 8).unwrap();
    }
    assert_eq!(seen, (0..24).collect::<Vec<_>>());
}

#[test]
fn the_inflight_limit_bounds_uncompleted_entries() {
    let mut q = queue(0);
    q.inflight_limit = 3;
    let mut r = Rig::new(config(
        vec![q],
        vec![ldb_port(0, 16, &[(0, 0)])],
        vec![dir_port(0, 8)],
    ));
    for i in 0..6 {
        r.new_ev(Dir(0), ev(0, Unordered, 0, 0, i));
    }
    assert_eq!(r.schedule(), 3);
    r.complete(Ldb(0)).unwrap();
    assert_eq!(r.schedule(), 1);
}

#[test]
fn atomic_inflights_bound_uncompleted_atomic_entries() {
    let mut q = queue(0);
    q.atomic_inflights = 2;
    let mut r = Rig::new(config(
        vec![q],
        vec![ldb_port(0, 16, &[(0, 0)])],
        vec![dir_port(0, 8)],
    ));
    for i in 0..4 {
        r.new_ev(Dir(0), ev(0, Atomic, 0, i as u16, i));
        r.new_ev(Dir(0), ev(0, Unordered, 0, 0, 10 + i));
    }
    assert_eq!(r.schedule(), 6);
    assert_eq!(r.data(Ldb(0)), [0, 10, 1, 11, 12, 13]);
}

#[test]
fn lock_id_compression_merges_flows() {
    let mut q = queue(0);
    q.lock_id_comp = 64;
    let mut r = Rig::new(config(
        vec![q],
        vec![ldb_port(0, 16, &[(0, 0)]), ldb_port(1, 16, &[(0, 0)])],
        vec![dir_port(0, 8)],
    ));
    // Flow 1 goes to port 0 and stays pinned there (not completed).
    r.new_ev(Dir(0), ev(0, Atomic, 0, 1, 0));
    r.schedule();
    assert_eq!(r.data(Ldb(0)), [0]);
    // Port 1 (less occupied) goes first: flow 65 has lock id 1, pinned to
    // port 0, so port 1 takes flow 2 and port 0 flow 65.
    r.new_ev(Dir(0), ev(0, Atomic, 0, 65, 1));
    r.new_ev(Dir(0), ev(0, Atomic, 0, 2, 2));
    r.schedule();
    assert_eq!(r.data(Ldb(1)), [2]);
    assert_eq!(r.data(Ldb(0)), [1]);
}

#[test]
fn bad_configurations_are_refused() {
    let cfg = config(vec![queue(0)], vec![ldb_port(0, 12, &[(0, 0)])], vec![]);
    assert_eq!(Domain::new(&cfg).err(), Some(ConfigError::BadDepth));
    let cfg = config(vec![queue(0)], vec![ldb_port(0, 8, &[(1, 0)])], vec![]);
    assert_eq!(Domain::new(&cfg).err(), Some(ConfigError::UnknownLinkQueue));
    let cfg = config(vec![queue(0), queue(0)], vec![], vec![]);
    assert_eq!(Domain::new(&cfg).err(), Some(ConfigError::DuplicateId));
}

#[test]
fn a_stopped_ldb_port_gets_nothing_and_its_queue_goes_to_the_others() {
    let mut r = four_workers(16);
    let p1 = r.ix(Ldb(1));
    r.d.set_stopped(p1, true);
    assert!(r.d.stopped(p1));
    for i in 0..12 {
        r.new_ev(Dir(0), ev(0, Unordered, 0, 0, i));
    }
    assert_eq!(r.schedule(), 12);
    assert!(r.data(Ldb(1)).is_empty());
    let others: usize = [0, 2, 3].iter().map(|&p| r.data(Ldb(p)).len()).sum();
    assert_eq!(others, 12);
    // Run again: it takes its share of what comes next.
    r.d.set_stopped(p1, false);
    for i in 12..16 {
        r.new_ev(Dir(0), ev(0, Unordered, 0, 0, i));
    }
    r.schedule();
    assert_eq!(r.data(Ldb(1)), [12, 13, 14, 15]);
}

#[test]
fn a_stopped_dir_port_keeps_its_queue_until_it_runs() {
    let mut r = Rig::new(config(vec![], vec![], vec![dir_port(0, 8), dir_port(1, 8)]));
    let d1 = r.ix(Dir(1));
    r.d.set_stopped(d1, true);
    let credits = r.d.credits();
    for i in 0..3 {
        r.new_ev(Dir(0), ev(1, Directed, 0, 0, i));
    }
    assert_eq!(r.schedule(), 0);
    assert_eq!(r.d.queue_depth(Dir(1)), 3);
    assert_eq!(r.d.credits().1, credits.1 - 3, "queued events hold credits");
    r.d.set_stopped(d1, false);
    assert_eq!(r.schedule(), 3);
    assert_eq!(r.data(Dir(1)), [0, 1, 2]);
}

#[test]
fn a_reset_releases_the_atomic_flows_of_the_port() {
    let mut r = four_workers(16);
    for i in 0..3 {
        r.new_ev(Dir(0), ev(0, Atomic, 0, 9, i));
    }
    r.schedule();
    let a = (0..4u8)
        .find(|&p| r.d.cq_occupancy(p as usize) > 0)
        .unwrap();
    let ia = r.ix(Ldb(a));
    assert_eq!(r.data(Ldb(a)), [0, 1, 2]);
    r.d.set_stopped(ia, true);
    // Pinned to the stopped port: the flow's next event waits.
    r.new_ev(Dir(0), ev(0, Atomic, 0, 9, 3));
    assert_eq!(r.schedule(), 0);
    let credits = r.d.credits();
    assert_eq!(r.d.reset_port(ia), 3);
    assert_eq!(
        (r.d.hl_used(ia), r.d.cq_occupancy(ia), r.d.cq_written(ia)),
        (0, 0, 0)
    );
    assert_eq!(r.d.credits(), credits, "a reset moves no credit");
    // Released: the waiting event goes to another port.
    assert_eq!(r.schedule(), 1);
    let got: Vec<u8> = (0..4u8)
        .filter(|&p| r.d.cq_occupancy(p as usize) == 1)
        .collect();
    assert_eq!(got.len(), 1);
    assert_ne!(got[0], a);
}

#[test]
fn a_reset_completes_the_oldest_ordered_entry_and_releases_what_waited() {
    let (mut r, a, b) = ordered_on_two_ports();
    // The port holding the oldest entry dies; the other forwards all of
    // its entries, which wait for the oldest.
    let (dead, live, live_evs) = if a.contains(&0) { (0, 1, b) } else { (1, 0, a) };
    for &x in &live_evs {
        r.forward(Ldb(live), ev(1, Unordered, 0, 0, x)).unwrap();
    }
    r.schedule();
    let before = r.data(Ldb(2));
    assert!(before.is_empty(), "{before:?} passed the oldest");
    let id = r.ix(Ldb(dead));
    r.d.set_stopped(id, true);
    r.d.reset_port(id);
    r.schedule();
    assert_eq!(
        r.data(Ldb(2)),
        live_evs,
        "the forwards leave in order once the dead port's SNs are done"
    );
    assert_eq!(r.d.queue_state(0).unwrap().sn_outstanding, 0);
}

#[test]
fn a_reset_cq_restarts_at_slot_zero() {
    let mut r = Rig::new(config(vec![], vec![], vec![dir_port(0, 8), dir_port(1, 8)]));
    for i in 0..3 {
        r.new_ev(Dir(0), ev(1, Directed, 0, 0, i));
    }
    r.schedule();
    let d1 = r.ix(Dir(1));
    r.d.set_stopped(d1, true);
    assert_eq!(r.d.reset_port(d1), 0, "a DIR port has no history list");
    assert_eq!((r.d.cq_written(d1), r.d.cq_occupancy(d1)), (0, 0));
    r.d.set_stopped(d1, false);
    r.new_ev(Dir(0), ev(1, Directed, 0, 0, 7));
    r.schedule();
    assert_eq!(r.d.cq_written(d1), 1);
}

#[test]
fn a_stop_disarms_the_interrupt_and_reads_back_whatever_the_depth() {
    let mut cfg = config(
        vec![queue(0)],
        vec![ldb_port(0, 8, &[(0, 0)]), ldb_port(1, 8, &[(0, 0)])],
        vec![dir_port(0, 8), dir_port(1, 8)],
    );
    // No history list: the port receives nothing (CQ depth 0 to the
    // scheduler), and still reports its stop.
    cfg.ldb_ports[1].hl_size = 0;
    let mut r = Rig::new(cfg);
    let (l1, d1) = (r.ix(Ldb(1)), r.ix(Dir(1)));
    r.d.set_stopped(l1, true);
    assert!(r.d.stopped(l1));
    r.d.set_stopped(l1, false);
    assert!(!r.d.stopped(l1));
    // Armed, stopped, run again: the arm is gone.
    r.submit(Dir(1), cmd(QeCommand::Arm)).unwrap();
    r.d.set_stopped(d1, true);
    r.d.set_stopped(d1, false);
    r.new_ev(Dir(0), ev(1, Directed, 0, 0, 1));
    assert_eq!(r.schedule(), 1);
    assert_eq!(r.cqs.interrupts(d1), 0, "the stop disarmed it");
    // Without the stop the same arm fires.
    r.submit(Dir(1), cmd(QeCommand::Arm)).unwrap();
    r.schedule();
    assert_eq!(r.cqs.interrupts(d1), 1);
}

/// Entries that entered `q` (every priority) and its statistics.
fn entered(r: &Rig, q: PortId) -> (u32, QueueStats) {
    let s = r.d.queue_stats(q).expect("queue in domain");
    (s.enqueued.iter().sum(), s)
}

#[test]
fn statistics_count_accepted_enqueues_per_priority_and_deliveries_per_queue() {
    let mut cfg = config(
        vec![queue(0)],
        vec![ldb_port(0, 8, &[(0, 0)])],
        vec![dir_port(0, 8), dir_port(1, 8)],
    );
    cfg.dir_credits = 4;
    let mut r = Rig::new(cfg);
    let (l0, d0, d1) = (r.ix(Ldb(0)), r.ix(Dir(0)), r.ix(Dir(1)));
    // Ten to LDB queue 0 at priorities 0, 3 and 7; four directed to DIR
    // port 1 at priority 2 (every DIR credit).
    for i in 0..10u8 {
        r.new_ev(
            Dir(0),
            ev(0, Unordered, [0, 3, 7][usize::from(i % 3)], 0, i.into()),
        );
    }
    for i in 0..4 {
        r.new_ev(Dir(0), ev(1, Directed, 2, 0, 100 + i));
    }
    // Refused: no credit, no such queue. Accepted, but no event: the
    // commands.
    assert_eq!(
        r.submit(Dir(0), ev(1, Directed, 2, 0, 0)),
        Err(AlarmCode::NoCredit)
    );
    assert_eq!(
        r.submit(Dir(0), ev(9, Unordered, 0, 0, 0)),
        Err(AlarmCode::BadQe)
    );
    r.tokens(Dir(0), 0).unwrap();
    r.submit(Dir(0), cmd(QeCommand::Arm)).unwrap();
    assert_eq!((r.d.pp_events(d0), r.d.pp_consumed(d0)), (14, 16));
    let (n, s) = entered(&r, Ldb(0));
    assert_eq!(
        (n, s.enqueued, s.scheduled),
        (10, [4, 0, 0, 3, 0, 0, 0, 3], 0)
    );
    assert_eq!(
        r.d.queue_stats(Dir(1)).unwrap().enqueued,
        [0, 0, 4, 0, 0, 0, 0, 0]
    );
    // One pass: LDB port 0 takes 8 (its CQ depth), DIR port 1 takes 4.
    r.schedule();
    let (n, s) = entered(&r, Ldb(0));
    assert_eq!((n, s.scheduled, r.d.queue_depth(Ldb(0))), (10, 8, 2));
    assert_eq!(r.d.queue_stats(Dir(1)).unwrap().scheduled, 4);
    assert_eq!(r.d.queue_stats(Dir(0)), Some(QueueStats::default()));
    // A FORWARD is an event of the port that forwards it, counted in its
    // destination queue; a COMPLETE is neither.
    r.drain(Ldb(0));
    r.forward(Ldb(0), ev(0, Directed, 6, 0, 1)).unwrap();
    r.complete(Ldb(0)).unwrap();
    assert_eq!((r.d.pp_events(l0), r.d.pp_consumed(l0)), (1, 2));
    assert_eq!(r.d.queue_stats(Dir(0)).unwrap().enqueued[6], 1);
    assert_eq!(r.d.pp_events(d1), 0, "a consumer enqueued nothing");
    assert_eq!(r.d.queue_stats(Ldb(9)), None, "not in the domain");
}

#[test]
fn a_forward_held_in_a_reorder_buffer_is_counted_when_it_leaves() {
    let (mut r, a, b) = ordered_on_two_ports();
    // The port without the oldest entry forwards all of its entries to
    // queue 1 at priority 5: events of that port at once, but held in
    // the reorder buffer, so not yet in queue 1.
    let (first, first_evs, last, last_evs) = if a.contains(&0) {
        (Ldb(1), b, Ldb(0), a)
    } else {
        (Ldb(0), a, Ldb(1), b)
    };
    for &x in &first_evs {
        r.forward(first, ev(1, Unordered, 5, 0, x)).unwrap();
    }
    let fi = r.ix(first);
    assert_eq!(r.d.pp_events(fi), first_evs.len() as u32);
    let held = r.d.queue_state(0).unwrap().rob_held;
    assert!(held > 0, "something waits for an older sequence number");
    assert_eq!(entered(&r, Ldb(1)).0, first_evs.len() as u32 - held);
    // The oldest one's forward enters at once and releases what waited
    // behind it, each counted as it enters.
    for &x in &last_evs {
        r.forward(last, ev(1, Unordered, 5, 0, x)).unwrap();
    }
    let (n, s) = entered(&r, Ldb(1));
    assert_eq!((n, s.enqueued[5]), (8, 8));
    assert_eq!(s.scheduled + r.d.queue_depth(Ldb(1)), 8);
    // Queue 0 gave out the eight originals.
    let (n, s) = entered(&r, Ldb(0));
    assert_eq!((n, s.scheduled), (8, 8));
}

#[test]
fn a_port_reset_zeroes_the_port_counters_and_no_queue_counter() {
    let (mut r, a, b) = ordered_on_two_ports();
    let (dead, live, live_evs) = if a.contains(&0) {
        (Ldb(0), Ldb(1), b)
    } else {
        (Ldb(1), Ldb(0), a)
    };
    // The live port's forwards wait for the dead port's oldest entry.
    for &x in &live_evs {
        r.forward(live, ev(1, Unordered, 1, 0, x)).unwrap();
    }
    // The dead port enqueues one NEW of its own before it dies.
    r.new_ev(dead, ev(0, Unordered, 4, 0, 50));
    let (di, li) = (r.ix(dead), r.ix(live));
    assert_eq!(r.d.pp_events(di), 1);
    let before = r.d.queue_stats(Ldb(0)).unwrap();
    assert_eq!(entered(&r, Ldb(1)).0, 0, "all held");
    r.d.set_stopped(di, true);
    r.d.reset_port(di);
    assert_eq!((r.d.pp_events(di), r.d.pp_consumed(di)), (0, 0));
    assert_eq!(
        r.d.pp_events(li),
        live_evs.len() as u32,
        "not the live port's"
    );
    assert_eq!(r.d.queue_stats(Ldb(0)), Some(before), "queue 0 unchanged");
    // The reset released the held forwards into queue 1: counted then.
    assert_eq!(
        r.d.queue_stats(Ldb(1)).unwrap().enqueued[1],
        live_evs.len() as u32
    );
    r.schedule();
    let (n, s) = entered(&r, Ldb(1));
    assert_eq!(n, s.scheduled + r.d.queue_depth(Ldb(1)));
}

#[test]
fn an_unlinked_port_keeps_its_pinned_flow_until_it_completes() {
    // Two workers on queue 0; the flow goes to one of them, which is then
    // unlinked while it holds two entries of the flow.
    let mut r = Rig::new(config(
        vec![queue(0)],
        (0..2).map(|p| ldb_port(p, 8, &[(0, 0)])).collect(),
        vec![dir_port(0, 8)],
    ));
    r.new_ev(Dir(0), ev(0, Atomic, 0, 5, 0));
    r.new_ev(Dir(0), ev(0, Atomic, 0, 5, 1));
    r.schedule();
    let a = if r.d.cq_occupancy(0) == 2 { 0u8 } else { 1 };
    let ia = a as usize;
    assert_eq!(r.data(Ldb(a)), [0, 1]);
    r.tokens(Ldb(a), 2).unwrap();
    assert_eq!(r.d.unlink(ia, 0), Ok(true), "pending: it holds two");
    assert!(r.d.unlink_pending(ia, 0));
    assert_eq!(r.d.links(ia).count(), 0);
    // More of the flow and an unordered entry: the unlinked port gets
    // neither, the flow is not given to the other port while `a` holds it.
    r.new_ev(Dir(0), ev(0, Atomic, 0, 5, 2));
    r.new_ev(Dir(0), ev(0, Unordered, 0, 0, 3));
    r.schedule();
    assert!(r.data(Ldb(a)).is_empty());
    assert_eq!(r.data(Ldb(1 - a)), [3]);
    r.complete(Ldb(a)).unwrap();
    assert!(r.d.unlink_pending(ia, 0), "one still held");
    r.schedule();
    assert!(r.data(Ldb(1 - a)).is_empty(), "the flow is still held by a");
    r.complete(Ldb(a)).unwrap();
    assert!(!r.d.unlink_pending(ia, 0), "done with the last completion");
    r.schedule();
    assert_eq!(r.data(Ldb(1 - a)), [2], "released: to the linked port");
    // Linked again, at once; a second unlink of an unlinked queue fails.
    assert_eq!(r.d.unlink(ia, 0), Err(hlb_sched::LinkError::NotLinked));
    r.d.link(ia, 0, 0).unwrap();
    assert_eq!(r.d.links(ia).collect::<Vec<_>>(), [(0, 0)]);
}

#[test]
fn linking_a_pending_unlink_again_cancels_it() {
    let mut r = Rig::new(config(
        vec![queue(0), queue(1)],
        vec![ldb_port(0, 8, &[(0, 0), (1, 1)])],
        vec![dir_port(0, 8)],
    ));
    r.new_ev(Dir(0), ev(0, Unordered, 0, 0, 0));
    r.schedule();
    assert_eq!(r.d.unlink(0, 0), Ok(true));
    // Queue 1 is served alone; queue 0 again at priority 2, below it.
    r.d.link(0, 0, 2).unwrap();
    assert!(!r.d.unlink_pending(0, 0));
    assert_eq!(r.d.links(0).collect::<Vec<_>>(), [(1, 1), (0, 2)]);
    r.new_ev(Dir(0), ev(0, Unordered, 0, 0, 1));
    r.new_ev(Dir(0), ev(1, Unordered, 0, 0, 2));
    r.schedule();
    assert_eq!(r.data(Ldb(0)), [0, 2, 1], "link priority 1 before 2");
    // A priority change alone takes effect at once too.
    r.d.link(0, 0, 0).unwrap();
    assert_eq!(r.d.links(0).collect::<Vec<_>>(), [(0, 0), (1, 1)]);
}

#[test]
fn a_port_reset_completes_a_pending_unlink() {
    let mut r = four_workers(8);
    r.new_ev(Dir(0), ev(0, Atomic, 0, 1, 0));
    r.schedule();
    let a = (0..4).find(|&p| r.d.cq_occupancy(p) == 1).unwrap();
    assert_eq!(r.d.unlink(a, 0), Ok(true));
    r.d.set_stopped(a, true);
    assert!(r.d.unlink_pending(a, 0), "a stopped port completes nothing");
    assert_eq!(r.d.reset_port(a), 1);
    assert!(!r.d.unlink_pending(a, 0));
}

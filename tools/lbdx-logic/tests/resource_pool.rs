// SPDX-License-Identifier: GPL-2.0

//! One test per rule of the HLB resource allocator
//! (`drivers/lbdx/hlb/resource_pool.rs`): what each operation takes, in
//! which order, and which error (and errno) each refusal gives.

use lbdx_logic::hlb::resource_pool::{
    Counts, DomainRequest, ObjectKind, Pool, PoolError, PortGrant, QueueGrant, QueueRequest,
    Resource, SnSlot, Totals, COS_MAX, HIST_LIST_MAX,
};
use lbdx_logic::hw::hlb_regs;

/// The counts of an Intel DLB 2.0 (the device model's defaults).
fn dlb2() -> Totals {
    Totals {
        domains: 32,
        ldb_queues: 32,
        dir_ports: 64,
        ldb_ports: 64,
        ldb_port_cos: 4,
        ldb_credits: 8192,
        dir_credits: 4096,
        hist_list: 2048,
        atomic_inflights: 2048,
        sn_groups: 2,
        sn_per_group: 1024,
        max_queues_per_port: 8,
        priorities: 8,
    }
}

fn pool(t: Totals) -> Pool {
    Pool::new(t).expect("totals accepted")
}

/// A request for `n` of each object (ports of class 0), `hist` entries and
/// 64 of each credit and of atomic in-flights.
fn req(n: u32, hist: u32) -> DomainRequest {
    let mut ldb_ports_cos = [0; COS_MAX];
    ldb_ports_cos[0] = n;
    DomainRequest {
        ldb_queues: n,
        ldb_ports_cos,
        dir_ports: n,
        ldb_credits: 64,
        dir_credits: 64,
        hist_list: hist,
        atomic_inflights: 64,
    }
}

const PLAIN: QueueRequest = QueueRequest {
    sequence_numbers: 0,
    atomic_inflights: 0,
};

fn ordered(sn: u32) -> QueueRequest {
    QueueRequest {
        sequence_numbers: sn,
        atomic_inflights: 0,
    }
}

/// Runs `op`, which must fail with `want`, and checks it changed nothing.
#[track_caller]
fn refused<T: std::fmt::Debug>(
    p: &mut Pool,
    want: PoolError,
    op: impl FnOnce(&mut Pool) -> Result<T, PoolError>,
) {
    let before = p.clone();
    let got = op(p);
    assert_eq!(got.unwrap_err(), want);
    assert_eq!(*p, before, "a refused operation changed the pool");
    p.check_invariants().unwrap();
}

fn owned(p: &Pool, kind: ObjectKind, d: u32, total: u32) -> Vec<u32> {
    (0..total)
        .filter(|&i| p.owner(kind, i) == Some(d))
        .collect()
}

#[test]
fn errno_values_are_the_linux_ones() {
    assert_eq!(PoolError::NoSpace(Resource::HistList).errno(), 28);
    assert_eq!(PoolError::Invalid.errno(), 22);
    assert_eq!(PoolError::Busy.errno(), 16);
    assert_eq!(PoolError::NotFound.errno(), 2);
}

#[test]
fn totals_over_a_maximum_are_refused_by_name() {
    assert_eq!(dlb2().check(), Ok(()));
    type Edit = fn(&mut Totals);
    let cases: [(&str, Edit); 11] = [
        ("domains", |t| t.domains = hlb_regs::DOMAINS_MAX + 1),
        ("ldb_queues", |t| t.ldb_queues = hlb_regs::OBJECTS_MAX + 1),
        ("dir_ports", |t| t.dir_ports = hlb_regs::OBJECTS_MAX + 1),
        ("ldb_ports", |t| t.ldb_ports = 132),
        ("ldb_port_cos", |t| t.ldb_port_cos = COS_MAX as u32 + 1),
        ("hist_list_entries", |t| t.hist_list = HIST_LIST_MAX + 1),
        ("sn_groups", |t| t.sn_groups = hlb_regs::SN_GROUPS_MAX + 1),
        ("sn_per_group", |t| t.sn_per_group = 4097),
        ("max_queues_per_port", |t| t.max_queues_per_port = 9),
        ("priorities", |t| t.priorities = 257),
        // 10 ports in 4 classes: ports 8 and 9 would be of class 4.
        ("ldb_port_cos", |t| t.ldb_ports = 10),
    ];
    for (name, edit) in cases {
        let mut t = dlb2();
        edit(&mut t);
        assert_eq!(t.check(), Err(name));
        assert_eq!(Pool::new(t).unwrap_err(), name);
    }
}

#[test]
fn totals_at_the_maxima_and_uneven_small_port_counts_are_accepted() {
    let t = Totals {
        domains: 64,
        ldb_queues: 128,
        dir_ports: 128,
        ldb_ports: 128,
        ldb_port_cos: 8,
        ldb_credits: u32::MAX,
        dir_credits: u32::MAX,
        hist_list: 4096,
        atomic_inflights: u32::MAX,
        sn_groups: 16,
        sn_per_group: 4096,
        max_queues_per_port: 8,
        priorities: 256,
    };
    let p = pool(t);
    p.check_invariants().unwrap();
    assert_eq!(p.available(), t.counts());
    // Fewer ports than classes: all are of class 0.
    let t = Totals {
        ldb_ports: 3,
        ..dlb2()
    };
    assert_eq!(t.counts().ldb_ports_cos, [3, 0, 0, 0, 0, 0, 0, 0]);
    // No classes reported: one class.
    let t = Totals {
        ldb_port_cos: 0,
        ..dlb2()
    };
    assert_eq!(t.counts().ldb_ports_cos[0], 64);
}

#[test]
fn new_pool_has_everything_available() {
    let p = pool(dlb2());
    assert_eq!(p.available(), dlb2().counts());
    assert_eq!(p.available().ldb_ports_cos, [16, 16, 16, 16, 0, 0, 0, 0]);
    assert_eq!(p.largest_free_hist_list_block(), 2048);
    assert_eq!(p.reserved(0), Err(PoolError::NotFound));
    assert_eq!(p.used(0), Err(PoolError::NotFound));
    p.check_invariants().unwrap();
}

#[test]
fn reserve_takes_the_lowest_free_domain_and_ids() {
    let mut p = pool(dlb2());
    let a = p.reserve_domain(&req(2, 100)).unwrap();
    let b = p.reserve_domain(&req(3, 100)).unwrap();
    assert_eq!((a.id, b.id), (0, 1));
    assert_eq!(owned(&p, ObjectKind::LdbQueue, 0, 32), [0, 1]);
    assert_eq!(owned(&p, ObjectKind::LdbQueue, 1, 32), [2, 3, 4]);
    assert_eq!(owned(&p, ObjectKind::DirPort, 1, 64), [2, 3, 4]);
    assert_eq!(owned(&p, ObjectKind::LdbPort, 1, 64), [2, 3, 4]);
    p.release_domain(0).unwrap();
    let c = p.reserve_domain(&req(1, 0)).unwrap();
    assert_eq!(c.id, 0);
    assert_eq!(owned(&p, ObjectKind::LdbQueue, 0, 32), [0]);
    assert_eq!(p.owner(ObjectKind::LdbQueue, 1), None);
    assert_eq!(p.owner(ObjectKind::LdbQueue, 999), None);
    p.check_invariants().unwrap();
}

#[test]
fn reserve_takes_ports_of_each_requested_class() {
    let mut p = pool(dlb2());
    let r = DomainRequest {
        ldb_ports_cos: [1, 0, 2, 0, 0, 0, 0, 0],
        ..DomainRequest::default()
    };
    let d = p.reserve_domain(&r).unwrap().id;
    // 16 ports per class: class 2 starts at port 32.
    assert_eq!(owned(&p, ObjectKind::LdbPort, d, 64), [0, 32, 33]);
    let res = p.reserved(d).unwrap();
    assert_eq!(res.ldb_ports, 3);
    assert_eq!(res.ldb_ports_cos, r.ldb_ports_cos);
    assert_eq!(p.available().ldb_ports_cos, [15, 16, 14, 16, 0, 0, 0, 0]);
}

#[test]
fn reserve_moves_exactly_the_request_from_available_to_reserved() {
    let mut p = pool(dlb2());
    let r = DomainRequest {
        ldb_queues: 4,
        ldb_ports_cos: [1, 2, 3, 4, 0, 0, 0, 0],
        dir_ports: 5,
        ldb_credits: 1000,
        dir_credits: 500,
        hist_list: 256,
        atomic_inflights: 77,
    };
    let d = p.reserve_domain(&r).unwrap().id;
    let want = Counts {
        domains: 1,
        ldb_queues: 4,
        ldb_ports: 10,
        ldb_ports_cos: r.ldb_ports_cos,
        dir_ports: 5,
        ldb_credits: 1000,
        dir_credits: 500,
        hist_list: 256,
        atomic_inflights: 77,
    };
    assert_eq!(p.reserved(d).unwrap(), want);
    assert_eq!(p.used(d).unwrap(), Counts::default());
    let t = dlb2().counts();
    let a = p.available();
    assert_eq!(a.ldb_queues, t.ldb_queues - 4);
    assert_eq!(a.ldb_credits, t.ldb_credits - 1000);
    assert_eq!(a.hist_list, t.hist_list - 256);
    assert_eq!(a.domains, t.domains - 1);
    p.check_invariants().unwrap();
}

#[test]
fn an_empty_domain_is_allowed() {
    let mut p = pool(dlb2());
    let g = p.reserve_domain(&DomainRequest::default()).unwrap();
    assert_eq!(g.hist_list_base, 0);
    assert_eq!(p.available().hist_list, 2048);
    assert_eq!(p.available().domains, 31);
    p.check_invariants().unwrap();
    p.release_domain(g.id).unwrap();
    assert_eq!(p.available(), dlb2().counts());
}

#[test]
fn reserve_fails_whole_when_any_resource_is_short() {
    let t = dlb2();
    type Edit = fn(&mut DomainRequest);
    let cases: [(Resource, Edit); 9] = [
        (Resource::LdbQueues, |r| r.ldb_queues = 33),
        (Resource::LdbPorts { cos: 3 }, |r| r.ldb_ports_cos[3] = 17),
        (Resource::DirPorts, |r| r.dir_ports = 65),
        (Resource::LdbCredits, |r| r.ldb_credits = 8193),
        (Resource::DirCredits, |r| r.dir_credits = 4097),
        (Resource::HistList, |r| r.hist_list = 2049),
        (Resource::HistList, |r| r.hist_list = u32::MAX),
        (Resource::AtomicInflights, |r| r.atomic_inflights = 2049),
        (Resource::LdbPorts { cos: 0 }, |r| {
            r.ldb_ports_cos[0] = u32::MAX
        }),
    ];
    for (res, edit) in cases {
        let mut p = pool(t);
        let mut r = req(1, 8);
        edit(&mut r);
        refused(&mut p, PoolError::NoSpace(res), |p| p.reserve_domain(&r));
        assert_eq!(p.available(), t.counts());
    }
}

#[test]
fn reserve_reports_the_first_short_resource() {
    let mut p = pool(dlb2());
    let r = DomainRequest {
        ldb_queues: 99,
        dir_ports: 99,
        hist_list: 9999,
        ..DomainRequest::default()
    };
    refused(&mut p, PoolError::NoSpace(Resource::LdbQueues), |p| {
        p.reserve_domain(&r)
    });
}

#[test]
fn reserve_refuses_ports_of_a_class_the_device_lacks() {
    let mut p = pool(dlb2());
    let mut r = DomainRequest::default();
    r.ldb_ports_cos[4] = 1;
    refused(&mut p, PoolError::Invalid, |p| p.reserve_domain(&r));
}

#[test]
fn reserve_runs_out_of_domains() {
    let mut p = pool(Totals {
        domains: 2,
        ..dlb2()
    });
    p.reserve_domain(&DomainRequest::default()).unwrap();
    p.reserve_domain(&DomainRequest::default()).unwrap();
    refused(&mut p, PoolError::NoSpace(Resource::Domains), |p| {
        p.reserve_domain(&DomainRequest::default())
    });
    let mut p = pool(Totals {
        domains: 0,
        ..dlb2()
    });
    refused(&mut p, PoolError::NoSpace(Resource::Domains), |p| {
        p.reserve_domain(&DomainRequest::default())
    });
}

#[test]
fn domain_history_list_is_one_best_fit_block() {
    let mut p = pool(Totals {
        hist_list: 1000,
        ..dlb2()
    });
    // Blocks: 0..100, 100..400, 400..450, 450..1000.
    let ids: Vec<u32> = [100, 300, 50, 550]
        .iter()
        .map(|&n| p.reserve_domain(&req(0, n)).unwrap().id)
        .collect();
    assert_eq!(p.largest_free_hist_list_block(), 0);
    p.release_domain(ids[0]).unwrap(); // gap 0..100
    p.release_domain(ids[2]).unwrap(); // gap 400..450
    assert_eq!(p.largest_free_hist_list_block(), 100);
    // 40 fits both gaps: the best fit is the smaller one, though it is
    // the second.
    assert_eq!(p.reserve_domain(&req(0, 40)).unwrap().hist_list_base, 400);
    // 60 fits only the first.
    assert_eq!(p.reserve_domain(&req(0, 60)).unwrap().hist_list_base, 0);
    // Left: 60..100 (40) and 440..450 (10).
    assert_eq!(p.largest_free_hist_list_block(), 40);
    assert_eq!(p.available().hist_list, 50);
    refused(&mut p, PoolError::NoSpace(Resource::HistList), |p| {
        p.reserve_domain(&req(0, 41))
    });
    // Freeing 100..400 merges it with 60..100.
    p.release_domain(ids[1]).unwrap();
    assert_eq!(p.largest_free_hist_list_block(), 340);
    assert_eq!(p.reserve_domain(&req(0, 340)).unwrap().hist_list_base, 60);
    p.check_invariants().unwrap();
}

#[test]
fn hist_list_fails_when_only_fragments_are_free() {
    let mut p = pool(Totals {
        hist_list: 300,
        ..dlb2()
    });
    let ids: Vec<u32> = (0..3)
        .map(|_| p.reserve_domain(&req(0, 100)).unwrap().id)
        .collect();
    p.release_domain(ids[0]).unwrap();
    p.release_domain(ids[2]).unwrap();
    assert_eq!(p.available().hist_list, 200);
    assert_eq!(p.largest_free_hist_list_block(), 100);
    refused(&mut p, PoolError::NoSpace(Resource::HistList), |p| {
        p.reserve_domain(&req(0, 101))
    });
}

#[test]
fn creating_objects_turns_reserved_into_used() {
    let mut p = pool(dlb2());
    let d = p.reserve_domain(&req(2, 64)).unwrap().id;
    let avail = p.available();
    let q = p
        .create_ldb_queue(
            d,
            QueueRequest {
                sequence_numbers: 0,
                atomic_inflights: 10,
            },
        )
        .unwrap();
    let port = p.create_ldb_port(d, 0, 16).unwrap();
    let dir = p.create_dir_port(d).unwrap();
    assert_eq!((q.id, port.id, dir), (0, 0, 0));
    let used = p.used(d).unwrap();
    assert_eq!(
        used,
        Counts {
            ldb_queues: 1,
            ldb_ports: 1,
            ldb_ports_cos: [1, 0, 0, 0, 0, 0, 0, 0],
            dir_ports: 1,
            hist_list: 16,
            atomic_inflights: 10,
            ..Counts::default()
        }
    );
    let res = p.reserved(d).unwrap();
    assert_eq!((res.ldb_queues, res.ldb_ports, res.dir_ports), (1, 1, 1));
    assert_eq!((res.hist_list, res.atomic_inflights), (48, 54));
    assert_eq!((res.ldb_credits, res.dir_credits), (64, 64));
    assert_eq!(p.available(), avail);
    assert_eq!(p.create_dir_port(d).unwrap(), 1);
    refused(&mut p, PoolError::NoSpace(Resource::DirPorts), |p| {
        p.create_dir_port(d)
    });
    p.check_invariants().unwrap();
}

#[test]
fn create_in_a_missing_domain_is_not_found() {
    let mut p = pool(dlb2());
    refused(&mut p, PoolError::NotFound, |p| {
        p.create_ldb_queue(0, PLAIN)
    });
    refused(&mut p, PoolError::NotFound, |p| p.create_ldb_port(0, 0, 8));
    refused(&mut p, PoolError::NotFound, |p| p.create_dir_port(0));
    refused(&mut p, PoolError::NotFound, |p| p.create_dir_port(u32::MAX));
    refused(&mut p, PoolError::NotFound, |p| p.start(64));
}

#[test]
fn queue_needs_a_reserved_queue_and_atomic_inflights() {
    let mut p = pool(dlb2());
    let d = p.reserve_domain(&req(1, 0)).unwrap().id;
    let r = QueueRequest {
        sequence_numbers: 0,
        atomic_inflights: 65,
    };
    refused(&mut p, PoolError::NoSpace(Resource::AtomicInflights), |p| {
        p.create_ldb_queue(d, r)
    });
    let r = QueueRequest {
        sequence_numbers: 0,
        atomic_inflights: 64,
    };
    p.create_ldb_queue(d, r).unwrap();
    refused(&mut p, PoolError::NoSpace(Resource::LdbQueues), |p| {
        p.create_ldb_queue(d, PLAIN)
    });
}

#[test]
fn queue_sequence_numbers_must_be_zero_or_a_mode() {
    let mut p = pool(Totals {
        sn_groups: 16,
        ..dlb2()
    });
    let d = p.reserve_domain(&req(5, 0)).unwrap().id;
    for bad in [1, 63, 65, 100, 2048, u32::MAX] {
        refused(&mut p, PoolError::Invalid, |p| {
            p.create_ldb_queue(d, ordered(bad))
        });
    }
    for m in hlb_regs::SN_MODES {
        assert!(p.create_ldb_queue(d, ordered(m)).unwrap().sn.is_some());
    }
}

#[test]
fn ordered_queues_fill_a_group_of_their_mode_then_switch_an_empty_group() {
    // Two groups of 1024: mode 64 gives 16 slots, 512 gives 2.
    let mut p = pool(dlb2());
    let d = p.reserve_domain(&req(16, 0)).unwrap().id;
    let g = p.create_ldb_queue(d, ordered(64)).unwrap();
    assert_eq!(g.sn, Some(SnSlot { group: 0, slot: 0 }));
    assert_eq!(g.set_group_mode, None, "groups start in mode 64");
    let g = p.create_ldb_queue(d, ordered(512)).unwrap();
    assert_eq!(g.sn, Some(SnSlot { group: 1, slot: 0 }));
    assert_eq!(g.set_group_mode, Some((1, 512)));
    let g = p.create_ldb_queue(d, ordered(512)).unwrap();
    assert_eq!(
        (g.sn, g.set_group_mode),
        (Some(SnSlot { group: 1, slot: 1 }), None)
    );
    // Group 1 is full of 512s and group 0 has a 64 in use.
    refused(&mut p, PoolError::NoSpace(Resource::SequenceNumbers), |p| {
        p.create_ldb_queue(d, ordered(512))
    });
    refused(&mut p, PoolError::NoSpace(Resource::SequenceNumbers), |p| {
        p.create_ldb_queue(d, ordered(1024))
    });
    // Group 0 still takes 64s, in its lowest free slot.
    let g = p.create_ldb_queue(d, ordered(64)).unwrap();
    assert_eq!(g.sn, Some(SnSlot { group: 0, slot: 1 }));
    // Unordered queues need no sequence numbers.
    assert_eq!(p.create_ldb_queue(d, PLAIN).unwrap().sn, None);
    p.check_invariants().unwrap();
}

#[test]
fn a_group_switches_mode_only_when_empty() {
    let mut p = pool(Totals {
        sn_groups: 1,
        ..dlb2()
    });
    let d = p.reserve_domain(&req(4, 0)).unwrap().id;
    let a = p.create_ldb_queue(d, ordered(1024)).unwrap();
    assert_eq!(a.set_group_mode, Some((0, 1024)));
    refused(&mut p, PoolError::NoSpace(Resource::SequenceNumbers), |p| {
        p.create_ldb_queue(d, ordered(1024))
    });
    refused(&mut p, PoolError::NoSpace(Resource::SequenceNumbers), |p| {
        p.create_ldb_queue(d, ordered(64))
    });
    p.release_ldb_queue(d, a.id).unwrap();
    // Empty but in mode 1024: a 1024 needs no switch, a 256 switches it.
    let b = p.create_ldb_queue(d, ordered(1024)).unwrap();
    assert_eq!(
        (b.sn, b.set_group_mode),
        (Some(SnSlot { group: 0, slot: 0 }), None)
    );
    p.release_ldb_queue(d, b.id).unwrap();
    let c = p.create_ldb_queue(d, ordered(256)).unwrap();
    assert_eq!(c.set_group_mode, Some((0, 256)));
}

#[test]
fn sequence_numbers_are_device_wide_and_return_on_reset() {
    let mut p = pool(Totals {
        sn_groups: 1,
        ..dlb2()
    });
    let a = p.reserve_domain(&req(1, 0)).unwrap().id;
    let b = p.reserve_domain(&req(1, 0)).unwrap().id;
    p.create_ldb_queue(a, ordered(1024)).unwrap();
    refused(&mut p, PoolError::NoSpace(Resource::SequenceNumbers), |p| {
        p.create_ldb_queue(b, ordered(1024))
    });
    p.reset_domain(a);
    p.create_ldb_queue(b, ordered(1024)).unwrap();
}

#[test]
fn groups_too_small_for_a_mode_have_no_slot() {
    for t in [
        Totals {
            sn_groups: 0,
            ..dlb2()
        },
        Totals {
            sn_per_group: 100,
            ..dlb2()
        },
    ] {
        let mut p = pool(t);
        let d = p.reserve_domain(&req(1, 0)).unwrap().id;
        refused(&mut p, PoolError::NoSpace(Resource::SequenceNumbers), |p| {
            p.create_ldb_queue(d, ordered(128))
        });
    }
}

#[test]
fn port_takes_a_reserved_port_of_its_class() {
    let mut p = pool(dlb2());
    let mut r = req(0, 64);
    r.ldb_ports_cos = [0, 2, 0, 0, 0, 0, 0, 0];
    let d = p.reserve_domain(&r).unwrap().id;
    refused(
        &mut p,
        PoolError::NoSpace(Resource::LdbPorts { cos: 0 }),
        |p| p.create_ldb_port(d, 0, 8),
    );
    assert_eq!(p.create_ldb_port(d, 1, 8).unwrap().id, 16);
    assert_eq!(p.create_ldb_port(d, 1, 8).unwrap().id, 17);
    refused(
        &mut p,
        PoolError::NoSpace(Resource::LdbPorts { cos: 1 }),
        |p| p.create_ldb_port(d, 1, 8),
    );
    assert_eq!(p.used(d).unwrap().ldb_ports_cos, [0, 2, 0, 0, 0, 0, 0, 0]);
}

#[test]
fn port_class_and_history_list_size_are_checked() {
    let mut p = pool(dlb2());
    let d = p.reserve_domain(&req(2, 64)).unwrap().id;
    refused(&mut p, PoolError::Invalid, |p| p.create_ldb_port(d, 4, 8));
    refused(&mut p, PoolError::Invalid, |p| {
        p.create_ldb_port(d, u32::MAX, 8)
    });
    refused(&mut p, PoolError::Invalid, |p| p.create_ldb_port(d, 0, 0));
    refused(&mut p, PoolError::Invalid, |p| {
        p.create_ldb_port(d, 0, hlb_regs::CQ_DEPTH_MIN - 1)
    });
    refused(&mut p, PoolError::NoSpace(Resource::HistList), |p| {
        p.create_ldb_port(d, 0, 65)
    });
    refused(&mut p, PoolError::NoSpace(Resource::HistList), |p| {
        p.create_ldb_port(d, 0, u32::MAX)
    });
    p.create_ldb_port(d, 0, hlb_regs::CQ_DEPTH_MIN).unwrap();
}

#[test]
fn port_history_lists_are_best_fit_inside_the_domain_block() {
    let mut p = pool(dlb2());
    let _low = p.reserve_domain(&req(0, 100)).unwrap();
    let g = p.reserve_domain(&req(6, 100)).unwrap();
    let (d, base) = (g.id, g.hist_list_base);
    assert_eq!(base, 100);
    let grant = |p: &mut Pool, n| -> PortGrant { p.create_ldb_port(d, 0, n).unwrap() };
    let a = grant(&mut p, 30); // 100..130
    let b = grant(&mut p, 10); // 130..140
    let c = grant(&mut p, 20); // 140..160
    let e = grant(&mut p, 10); // 160..170, free 170..200 (30)
    assert_eq!(
        [a, b, c, e].map(|x| x.hist_list_base),
        [base, base + 30, base + 40, base + 60]
    );
    p.release_ldb_port(d, a.id).unwrap(); // free 100..130 (30)
    p.release_ldb_port(d, c.id).unwrap(); // free 140..160 (20)
                                          // 15 fits 30, 20 and 30: the 20 in the middle is best.
    assert_eq!(grant(&mut p, 15).hist_list_base, base + 40);
    // 25 fits both 30s: the lower one.
    assert_eq!(grant(&mut p, 25).hist_list_base, base);
    refused(&mut p, PoolError::NoSpace(Resource::HistList), |p| {
        p.create_ldb_port(d, 0, 31)
    });
    assert_eq!(p.used(d).unwrap().hist_list, 10 + 10 + 15 + 25);
    p.check_invariants().unwrap();
}

#[test]
fn link_takes_the_lowest_free_slot_and_unlink_returns_it() {
    let mut p = pool(dlb2());
    let d = p.reserve_domain(&req(3, 8)).unwrap().id;
    let port = p.create_ldb_port(d, 0, 8).unwrap().id;
    let q: Vec<u32> = (0..3)
        .map(|_| p.create_ldb_queue(d, PLAIN).unwrap().id)
        .collect();
    assert_eq!(p.link(d, port, q[0], 0).unwrap(), 0);
    assert_eq!(p.link(d, port, q[1], 7).unwrap(), 1);
    assert_eq!(p.unlink(d, port, q[0]).unwrap(), 0);
    assert_eq!(p.link(d, port, q[2], 3).unwrap(), 0);
    refused(&mut p, PoolError::NotFound, |p| p.unlink(d, port, q[0]));
    assert_eq!(p.unlink(d, port, q[1]).unwrap(), 1);
    p.check_invariants().unwrap();
}

#[test]
fn started_links_change_only_through_the_started_calls() {
    let mut p = pool(Totals {
        priorities: 4,
        ..dlb2()
    });
    let d = p.reserve_domain(&req(2, 8)).unwrap().id;
    let port = p.create_ldb_port(d, 0, 8).unwrap().id;
    let q: Vec<u32> = (0..2)
        .map(|_| p.create_ldb_queue(d, PLAIN).unwrap().id)
        .collect();
    p.link(d, port, q[0], 1).unwrap();
    p.start(d).unwrap();
    refused(&mut p, PoolError::Busy, |p| p.link(d, port, q[1], 0));
    refused(&mut p, PoolError::Busy, |p| p.unlink(d, port, q[0]));
    // The same rules as stopped, started or not.
    refused(&mut p, PoolError::Invalid, |p| {
        p.link_started(d, port, q[0], 2)
    });
    refused(&mut p, PoolError::Invalid, |p| {
        p.link_started(d, port, q[1], 4)
    });
    assert_eq!(p.link_started(d, port, q[1], 3).unwrap(), 1);
    assert_eq!(p.link_slot(d, port, q[1]).unwrap(), 1);
    refused(&mut p, PoolError::Invalid, |p| {
        p.set_link_priority(d, port, q[0], 4)
    });
    assert_eq!(p.set_link_priority(d, port, q[0], 3).unwrap(), 0);
    assert_eq!(p.unlink_started(d, port, q[0]).unwrap(), 0);
    refused(&mut p, PoolError::NotFound, |p| p.link_slot(d, port, q[0]));
    refused(&mut p, PoolError::NotFound, |p| {
        p.set_link_priority(d, port, q[0], 0)
    });
    refused(&mut p, PoolError::NotFound, |p| {
        p.unlink_started(d, port, q[0])
    });
    p.check_invariants().unwrap();
    p.stop(d).unwrap();
    assert_eq!(p.unlink(d, port, q[1]).unwrap(), 1);
    p.release_ldb_queue(d, q[1]).unwrap();
    p.check_invariants().unwrap();
}

#[test]
fn link_checks_priority_duplicates_and_slots() {
    let mut p = pool(Totals {
        max_queues_per_port: 2,
        priorities: 4,
        ..dlb2()
    });
    let d = p.reserve_domain(&req(3, 8)).unwrap().id;
    let port = p.create_ldb_port(d, 0, 8).unwrap().id;
    let q: Vec<u32> = (0..3)
        .map(|_| p.create_ldb_queue(d, PLAIN).unwrap().id)
        .collect();
    refused(&mut p, PoolError::Invalid, |p| p.link(d, port, q[0], 4));
    refused(&mut p, PoolError::Invalid, |p| {
        p.link(d, port, q[0], u32::MAX)
    });
    p.link(d, port, q[0], 3).unwrap();
    refused(&mut p, PoolError::Invalid, |p| p.link(d, port, q[0], 1));
    p.link(d, port, q[1], 0).unwrap();
    refused(&mut p, PoolError::NoSpace(Resource::LinkSlots), |p| {
        p.link(d, port, q[2], 0)
    });
}

#[test]
fn a_device_with_no_link_slots_or_priorities_refuses_links() {
    for (t, want) in [
        (
            Totals {
                max_queues_per_port: 0,
                ..dlb2()
            },
            PoolError::NoSpace(Resource::LinkSlots),
        ),
        (
            Totals {
                priorities: 0,
                ..dlb2()
            },
            PoolError::Invalid,
        ),
    ] {
        let mut p = pool(t);
        let d = p.reserve_domain(&req(1, 8)).unwrap().id;
        let port = p.create_ldb_port(d, 0, 8).unwrap().id;
        let q = p.create_ldb_queue(d, PLAIN).unwrap().id;
        refused(&mut p, want, |p| p.link(d, port, q, 0));
    }
}

#[test]
fn link_needs_created_objects_of_the_same_domain() {
    let mut p = pool(dlb2());
    let a = p.reserve_domain(&req(1, 8)).unwrap().id;
    let b = p.reserve_domain(&req(1, 8)).unwrap().id;
    let pa = p.create_ldb_port(a, 0, 8).unwrap().id;
    let qa = p.create_ldb_queue(a, PLAIN).unwrap().id;
    let qb = p.create_ldb_queue(b, PLAIN).unwrap().id;
    refused(&mut p, PoolError::NotFound, |p| p.link(a, pa, qb, 0));
    refused(&mut p, PoolError::NotFound, |p| p.link(b, pa, qb, 0));
    refused(&mut p, PoolError::NotFound, |p| p.link(9, pa, qa, 0));
    refused(&mut p, PoolError::NotFound, |p| p.link(a, 999, qa, 0));
    refused(&mut p, PoolError::NotFound, |p| p.link(a, pa, u32::MAX, 0));
    // Port 1 is reserved by b but not created.
    refused(&mut p, PoolError::NotFound, |p| p.link(b, 1, qb, 0));
    refused(&mut p, PoolError::NotFound, |p| p.unlink(a, pa, qa));
    refused(&mut p, PoolError::NotFound, |p| p.unlink(a, pa, qb));
}

#[test]
fn linked_objects_cannot_be_released() {
    let mut p = pool(dlb2());
    let d = p.reserve_domain(&req(1, 8)).unwrap().id;
    let port = p.create_ldb_port(d, 0, 8).unwrap().id;
    let q = p.create_ldb_queue(d, ordered(64)).unwrap().id;
    p.link(d, port, q, 0).unwrap();
    refused(&mut p, PoolError::Busy, |p| p.release_ldb_queue(d, q));
    refused(&mut p, PoolError::Busy, |p| p.release_ldb_port(d, port));
    p.unlink(d, port, q).unwrap();
    p.release_ldb_queue(d, q).unwrap();
    p.release_ldb_port(d, port).unwrap();
    assert_eq!(p.used(d).unwrap(), Counts::default());
    assert_eq!(p.reserved(d).unwrap(), {
        let mut c = Counts {
            domains: 1,
            ldb_queues: 1,
            ldb_ports: 1,
            dir_ports: 1,
            ..Counts::default()
        };
        c.ldb_ports_cos[0] = 1;
        c.ldb_credits = 64;
        c.dir_credits = 64;
        c.hist_list = 8;
        c.atomic_inflights = 64;
        c
    });
    p.check_invariants().unwrap();
}

#[test]
fn release_of_what_the_domain_did_not_create_is_not_found() {
    let mut p = pool(dlb2());
    let a = p.reserve_domain(&req(1, 8)).unwrap().id;
    let b = p.reserve_domain(&req(1, 8)).unwrap().id;
    let q = p.create_ldb_queue(a, PLAIN).unwrap().id;
    let port = p.create_ldb_port(a, 0, 8).unwrap().id;
    let dir = p.create_dir_port(a).unwrap();
    refused(&mut p, PoolError::NotFound, |p| p.release_ldb_queue(b, q));
    refused(&mut p, PoolError::NotFound, |p| p.release_ldb_port(b, port));
    refused(&mut p, PoolError::NotFound, |p| p.release_dir_port(b, dir));
    // Reserved by b, not created.
    refused(&mut p, PoolError::NotFound, |p| p.release_ldb_queue(b, 1));
    refused(&mut p, PoolError::NotFound, |p| p.release_dir_port(b, 1));
    refused(&mut p, PoolError::NotFound, |p| {
        p.release_ldb_port(a, u32::MAX)
    });
    p.release_dir_port(a, dir).unwrap();
    refused(&mut p, PoolError::NotFound, |p| p.release_dir_port(a, dir));
}

#[test]
fn a_started_domain_is_frozen() {
    let mut p = pool(dlb2());
    let d = p.reserve_domain(&req(2, 16)).unwrap().id;
    let port = p.create_ldb_port(d, 0, 8).unwrap().id;
    let q = p.create_ldb_queue(d, PLAIN).unwrap().id;
    let q2 = p.create_ldb_queue(d, PLAIN).unwrap().id;
    let dir = p.create_dir_port(d).unwrap();
    p.link(d, port, q, 0).unwrap();
    p.start(d).unwrap();
    refused(&mut p, PoolError::Busy, |p| p.start(d));
    refused(&mut p, PoolError::Busy, |p| p.create_ldb_queue(d, PLAIN));
    refused(&mut p, PoolError::Busy, |p| p.create_ldb_port(d, 0, 8));
    refused(&mut p, PoolError::Busy, |p| p.create_dir_port(d));
    refused(&mut p, PoolError::Busy, |p| p.link(d, port, q2, 0));
    refused(&mut p, PoolError::Busy, |p| p.unlink(d, port, q));
    refused(&mut p, PoolError::Busy, |p| p.release_ldb_queue(d, q2));
    refused(&mut p, PoolError::Busy, |p| p.release_ldb_port(d, port));
    refused(&mut p, PoolError::Busy, |p| p.release_dir_port(d, dir));
    refused(&mut p, PoolError::Busy, |p| p.release_domain(d));
    p.stop(d).unwrap();
    refused(&mut p, PoolError::Invalid, |p| p.stop(d));
    p.unlink(d, port, q).unwrap();
    p.release_ldb_queue(d, q2).unwrap();
}

#[test]
fn an_empty_started_domain_cannot_be_released() {
    let mut p = pool(dlb2());
    let d = p.reserve_domain(&req(0, 0)).unwrap().id;
    p.start(d).unwrap();
    refused(&mut p, PoolError::Busy, |p| p.release_domain(d));
    p.stop(d).unwrap();
    p.release_domain(d).unwrap();
    refused(&mut p, PoolError::NotFound, |p| p.release_domain(d));
    refused(&mut p, PoolError::NotFound, |p| p.stop(d));
}

#[test]
fn a_domain_with_objects_cannot_be_released() {
    let mut p = pool(dlb2());
    let d = p.reserve_domain(&req(1, 8)).unwrap().id;
    let q = p.create_ldb_queue(d, PLAIN).unwrap().id;
    refused(&mut p, PoolError::Busy, |p| p.release_domain(d));
    p.release_ldb_queue(d, q).unwrap();
    let port = p.create_ldb_port(d, 0, 8).unwrap().id;
    refused(&mut p, PoolError::Busy, |p| p.release_domain(d));
    p.release_ldb_port(d, port).unwrap();
    let dir = p.create_dir_port(d).unwrap();
    refused(&mut p, PoolError::Busy, |p| p.release_domain(d));
    p.release_dir_port(d, dir).unwrap();
    p.release_domain(d).unwrap();
    assert_eq!(p.available(), dlb2().counts());
}

#[test]
fn reset_returns_everything_whatever_the_state() {
    let mut p = pool(dlb2());
    let keep = p.reserve_domain(&req(1, 100)).unwrap().id;
    let kept = p.clone();
    let d = p.reserve_domain(&req(4, 256)).unwrap().id;
    let port = p.create_ldb_port(d, 0, 64).unwrap().id;
    let qs: Vec<QueueGrant> = (0..3)
        .map(|_| p.create_ldb_queue(d, ordered(256)).unwrap())
        .collect();
    for q in &qs {
        p.link(d, port, q.id, 1).unwrap();
    }
    p.create_dir_port(d).unwrap();
    p.start(d).unwrap();
    p.reset_domain(d);
    p.check_invariants().unwrap();
    assert_eq!(p.reserved(d), Err(PoolError::NotFound));
    assert_eq!(p.available(), kept.available());
    // Resetting a missing domain does nothing.
    let before = p.clone();
    p.reset_domain(d);
    p.reset_domain(u32::MAX);
    assert_eq!(p, before);
    p.reset_domain(keep);
    assert_eq!(p.available(), dlb2().counts());
    // The SN group kept its mode: a 256 needs no switch.
    let d = p.reserve_domain(&req(1, 0)).unwrap().id;
    assert_eq!(
        p.create_ldb_queue(d, ordered(256)).unwrap().set_group_mode,
        None
    );
}

#[test]
fn dlb2_can_be_split_into_its_32_domains_and_back() {
    let mut p = pool(dlb2());
    let mut r = req(1, 64);
    r.ldb_ports_cos = [0; COS_MAX];
    r.ldb_ports_cos[0] = 1;
    r.dir_ports = 2;
    r.ldb_credits = 256;
    r.dir_credits = 128;
    for i in 0..32 {
        let g = p.reserve_domain(&r).unwrap();
        assert_eq!((g.id, g.hist_list_base), (i, i * 64));
        // Class 0 has 16 ports: later domains get none.
        r.ldb_ports_cos[0] = u32::from(i < 15);
    }
    assert_eq!(p.available().ldb_queues, 0);
    refused(&mut p, PoolError::NoSpace(Resource::Domains), |p| {
        p.reserve_domain(&DomainRequest::default())
    });
    for d in 0..32 {
        p.release_domain(d).unwrap();
    }
    assert_eq!(p.available(), dlb2().counts());
    p.check_invariants().unwrap();
}

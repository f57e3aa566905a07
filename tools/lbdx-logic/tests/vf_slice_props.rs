// SPDX-License-Identifier: GPL-2.0

//! Property tests of per-function accounting and translation
//! (`drivers/lbdx/hlb/resource_pool/vf_slice.rs`): random mixes of VF
//! assignments, unassignments and PF domain operations on random devices.
//!
//! After every step: the pool's invariants hold; a refused step changed
//! nothing; the PF's available resources plus every PF domain's and every
//! VF's holdings equal the device's totals (nothing lost or counted
//! twice); an assignment takes exactly what it asked from the PF; and each
//! VF's translation is a bijection from its virtual ids onto physical
//! objects that no PF domain and no other VF holds (no VF ever reaches
//! another's physical object).

use lbdx_logic::hlb::resource_pool::vf_slice::{VfObject, VfRequest, VFS};
use lbdx_logic::hlb::resource_pool::{
    Counts, DomainRequest, ObjectKind, Pool, PoolError, QueueRequest, Resource, Totals,
};
use lbdx_logic::hw::hlb_regs;
use proptest::prelude::*;

/// Devices with room for several VFs and domains; one or four classes.
fn any_totals() -> impl Strategy<Value = Totals> {
    (
        (
            1u32..=64,
            1u32..=128,
            1u32..=128,
            1u32..=32,
            prop::bool::ANY,
        ),
        (0u32..=8192, 0u32..=4096, 0u32..=2048, 0u32..=2048),
        0u32..=16,
    )
        .prop_map(
            |((domains, ldb_queues, dir_ports, ports4, four), (lc, dc, hl, ai), sn_groups)| {
                Totals {
                    domains,
                    ldb_queues,
                    dir_ports,
                    ldb_ports: ports4 * 4,
                    ldb_port_cos: if four { 4 } else { 1 },
                    ldb_credits: lc,
                    dir_credits: dc,
                    hist_list: hl,
                    atomic_inflights: ai,
                    sn_groups,
                    sn_per_group: 1024,
                    max_queues_per_port: 8,
                    priorities: 8,
                }
            },
        )
}

/// A part of `total`: mostly small, sometimes all of it or more.
fn part(total: u32) -> BoxedStrategy<u32> {
    prop_oneof![3 => 0..=total / 4, 1 => 0..=total, 1 => total..=total + 2].boxed()
}

#[derive(Clone, Debug)]
enum Op {
    Assign(u32, VfRequest),
    Unassign(u32),
    Reserve(DomainRequest),
    OrderedQueue(u32, u32),
    Reset(u32),
}

fn any_op(t: &Totals) -> impl Strategy<Value = Op> {
    let vf_req = (
        (
            part(t.domains),
            part(t.ldb_queues),
            part(t.ldb_ports),
            part(t.dir_ports),
        ),
        (
            part(t.ldb_credits),
            part(t.dir_credits),
            part(t.hist_list),
            part(t.atomic_inflights),
            part(t.sn_groups),
        ),
    )
        .prop_map(|((d, q, lp, dp), (lc, dc, hl, ai, sn))| VfRequest {
            domains: d,
            ldb_queues: q,
            ldb_ports: lp,
            dir_ports: dp,
            ldb_credits: lc,
            dir_credits: dc,
            hist_list: hl,
            atomic_inflights: ai,
            sn_groups: sn,
        });
    let dom_req = (
        part(t.ldb_queues),
        part(t.ldb_ports / t.ldb_port_cos.max(1)),
        part(t.dir_ports),
        part(t.ldb_credits),
        part(t.hist_list),
    )
        .prop_map(|(q, lp, dp, lc, hl)| DomainRequest {
            ldb_queues: q,
            ldb_ports_cos: [lp, 0, 0, 0, 0, 0, 0, 0],
            dir_ports: dp,
            ldb_credits: lc,
            dir_credits: 0,
            hist_list: hl,
            atomic_inflights: 0,
        });
    let vf = 0u32..=VFS as u32;
    prop_oneof![
        4 => (vf.clone(), vf_req).prop_map(|(v, r)| Op::Assign(v, r)),
        2 => vf.prop_map(Op::Unassign),
        3 => dom_req.prop_map(Op::Reserve),
        2 => (0u32..64, prop::sample::select(&hlb_regs::SN_MODES[..]))
            .prop_map(|(d, m)| Op::OrderedQueue(d, m)),
        1 => (0u32..64).prop_map(Op::Reset),
    ]
}

fn add(a: Counts, b: Counts) -> Counts {
    let mut cos = a.ldb_ports_cos;
    for (x, y) in cos.iter_mut().zip(b.ldb_ports_cos) {
        *x += y;
    }
    Counts {
        domains: a.domains + b.domains,
        ldb_queues: a.ldb_queues + b.ldb_queues,
        ldb_ports: a.ldb_ports + b.ldb_ports,
        ldb_ports_cos: cos,
        dir_ports: a.dir_ports + b.dir_ports,
        ldb_credits: a.ldb_credits + b.ldb_credits,
        dir_credits: a.dir_credits + b.dir_credits,
        hist_list: a.hist_list + b.hist_list,
        atomic_inflights: a.atomic_inflights + b.atomic_inflights,
    }
}

/// What VF requests count as, classes aside.
fn vf_counts(r: &VfRequest) -> Counts {
    Counts {
        domains: r.domains,
        ldb_queues: r.ldb_queues,
        ldb_ports: r.ldb_ports,
        dir_ports: r.dir_ports,
        ldb_credits: r.ldb_credits,
        dir_credits: r.dir_credits,
        hist_list: r.hist_list,
        atomic_inflights: r.atomic_inflights,
        ..Counts::default()
    }
}

/// Everything counted: available, PF domains, VFs (classes summed).
fn whole(p: &Pool) -> Counts {
    let mut c = p.available();
    for d in 0..hlb_regs::DOMAINS_MAX {
        if let (Ok(r), Ok(u)) = (p.reserved(d), p.used(d)) {
            c = add(add(c, r), u);
        }
    }
    for vf in 0..VFS as u32 {
        if let Some(g) = p.vf_grant(vf) {
            c = add(c, vf_counts(&g.req));
        }
    }
    c.ldb_ports_cos = Default::default();
    c
}

const KINDS: [(VfObject, Option<ObjectKind>); 5] = [
    (VfObject::Domain, None),
    (VfObject::LdbQueue, Some(ObjectKind::LdbQueue)),
    (VfObject::LdbPort, Some(ObjectKind::LdbPort)),
    (VfObject::DirPort, Some(ObjectKind::DirPort)),
    (VfObject::SnGroup, None),
];

fn count_of(r: &VfRequest, kind: VfObject) -> u32 {
    match kind {
        VfObject::Domain => r.domains,
        VfObject::LdbQueue => r.ldb_queues,
        VfObject::LdbPort => r.ldb_ports,
        VfObject::DirPort => r.dir_ports,
        VfObject::SnGroup => r.sn_groups,
    }
}

/// Each VF's translation is a bijection onto objects only it holds.
fn check_translation(p: &Pool, pf_groups: &[u32]) -> Result<(), TestCaseError> {
    for vf in 0..VFS as u32 {
        let Some(g) = p.vf_grant(vf) else {
            for (kind, _) in KINDS {
                prop_assert_eq!(p.vf_physical(vf, kind, 0), None);
            }
            continue;
        };
        for (kind, obj) in KINDS {
            let n = count_of(&g.req, kind);
            let mut seen = Vec::new();
            for v in 0..n {
                let phys = p.vf_physical(vf, kind, v);
                prop_assert!(phys.is_some(), "VF {} {:?} {} unmapped", vf, kind, v);
                let phys = phys.unwrap();
                prop_assert!(!seen.contains(&phys));
                seen.push(phys);
                prop_assert_eq!(p.vf_virtual(vf, kind, phys), Some(v));
                for other in (0..VFS as u32).filter(|&o| o != vf) {
                    prop_assert_eq!(p.vf_virtual(other, kind, phys), None);
                }
                match (kind, obj) {
                    (_, Some(o)) => prop_assert_eq!(p.owner(o, phys), None),
                    (VfObject::Domain, _) => prop_assert!(p.reserved(phys).is_err()),
                    (_, None) => prop_assert!(!pf_groups.contains(&phys)),
                }
            }
            prop_assert_eq!(p.vf_physical(vf, kind, n), None);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn vf_slices_are_exact_disjoint_and_conserved(
        (t, ops) in any_totals().prop_flat_map(|t| (Just(t), prop::collection::vec(any_op(&t), 1..60)))
    ) {
        let mut p = Pool::new(t).unwrap();
        let total = whole(&p);
        // SN groups holding a PF queue's slot, with the queue's domain.
        let mut pf_groups: Vec<(u32, u32)> = Vec::new();
        for op in &ops {
            let before = p.clone();
            let r: Result<(), PoolError> = match op {
                Op::Assign(vf, req) => p.assign_vf(*vf, req).map(|g| {
                    assert_eq!(g.req, *req);
                }),
                Op::Unassign(vf) => p.unassign_vf(*vf),
                Op::Reserve(req) => p.reserve_domain(req).map(|_| ()),
                Op::OrderedQueue(d, mode) => {
                    let q = QueueRequest { sequence_numbers: *mode, atomic_inflights: 0 };
                    p.create_ldb_queue(*d, q).map(|g| {
                        if let Some(s) = g.sn {
                            pf_groups.push((*d, s.group));
                        }
                    })
                }
                Op::Reset(d) => {
                    p.reset_domain(*d);
                    pf_groups.retain(|&(x, _)| x != *d);
                    Ok(())
                }
            };
            p.check_invariants().map_err(TestCaseError::fail)?;
            prop_assert_eq!(whole(&p), total);
            match (op, r) {
                (_, Err(_)) => prop_assert_eq!(&p, &before),
                (Op::Assign(_, req), Ok(())) => {
                    let mut want = add(p.available(), vf_counts(req));
                    want.ldb_ports_cos = Default::default();
                    let mut had = before.available();
                    had.ldb_ports_cos = Default::default();
                    prop_assert_eq!(want, had);
                }
                _ => {}
            }
            let groups: Vec<u32> = pf_groups.iter().map(|&(_, g)| g).collect();
            check_translation(&p, &groups)?;
        }
        for vf in 0..VFS as u32 {
            let _ = p.unassign_vf(vf);
        }
        for d in 0..hlb_regs::DOMAINS_MAX {
            p.reset_domain(d);
        }
        // Whole again (SN group modes stay as the last queue left them).
        let fresh = Pool::new(t).unwrap();
        prop_assert_eq!(p.available(), fresh.available());
        prop_assert_eq!(p.largest_free_hist_list_block(), t.hist_list);
        for vf in 0..VFS as u32 {
            prop_assert_eq!(p.vf_grant(vf), None);
        }
    }
}

#[test]
fn assignment_errors_name_the_short_resource_and_change_nothing() {
    let t = Totals {
        domains: 4,
        ldb_queues: 8,
        dir_ports: 8,
        ldb_ports: 8,
        ldb_port_cos: 4,
        ldb_credits: 100,
        dir_credits: 50,
        hist_list: 64,
        atomic_inflights: 32,
        sn_groups: 2,
        sn_per_group: 1024,
        max_queues_per_port: 8,
        priorities: 8,
    };
    let mut p = Pool::new(t).unwrap();
    let half = VfRequest {
        domains: 2,
        ldb_queues: 4,
        ldb_ports: 4,
        dir_ports: 4,
        ldb_credits: 50,
        dir_credits: 25,
        hist_list: 32,
        atomic_inflights: 16,
        sn_groups: 1,
    };
    p.assign_vf(0, &half).unwrap();
    assert_eq!(p.assign_vf(0, &half), Err(PoolError::Busy));
    assert_eq!(p.assign_vf(VFS as u32, &half), Err(PoolError::Invalid));
    type Case = (Resource, fn(&mut VfRequest));
    let cases: [Case; 9] = [
        (Resource::Domains, |r| r.domains = 3),
        (Resource::LdbQueues, |r| r.ldb_queues = 5),
        (Resource::AnyLdbPorts, |r| r.ldb_ports = 5),
        (Resource::DirPorts, |r| r.dir_ports = 5),
        (Resource::LdbCredits, |r| r.ldb_credits = 51),
        (Resource::DirCredits, |r| r.dir_credits = 26),
        (Resource::HistList, |r| r.hist_list = 33),
        (Resource::AtomicInflights, |r| r.atomic_inflights = 17),
        (Resource::SequenceNumbers, |r| r.sn_groups = 2),
    ];
    for (res, f) in cases {
        let before = p.clone();
        let mut r = half;
        f(&mut r);
        assert_eq!(p.assign_vf(1, &r), Err(PoolError::NoSpace(res)), "{res:?}");
        assert_eq!(p, before);
    }
    // The other half fits exactly, and then the PF has nothing left.
    p.assign_vf(1, &half).unwrap();
    let a = p.available();
    assert_eq!(
        (
            a.domains,
            a.ldb_queues,
            a.ldb_ports,
            a.dir_ports,
            a.hist_list
        ),
        (0, 0, 0, 0, 0)
    );
    assert_eq!(
        p.reserve_domain(&DomainRequest::default()),
        Err(PoolError::NoSpace(Resource::Domains))
    );
    // VF 1's virtual ids start at 0 on the physical objects after VF 0's.
    assert_eq!(p.vf_physical(1, VfObject::LdbQueue, 0), Some(4));
    assert_eq!(p.vf_physical(1, VfObject::Domain, 1), Some(3));
    assert_eq!(p.vf_grant(1).unwrap().hist_list_base, 32);
    assert_eq!(p.unassign_vf(2), Err(PoolError::NotFound));
    p.unassign_vf(0).unwrap();
    assert_eq!(p.available().domains, 2);
    assert_eq!(p.vf_physical(0, VfObject::LdbQueue, 0), None);
}

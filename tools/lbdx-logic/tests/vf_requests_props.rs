// SPDX-License-Identifier: GPL-2.0

//! Property tests of the PF's handling of VF mailbox requests
//! (`drivers/lbdx/hlb/vf_requests.rs`): two VFs with slices and a PF
//! domain; random, mostly hostile requests from both VFs (ids just past
//! their counts, huge history-list ranges, credits beyond the
//! assignment); a device that accepts or refuses each step at random.
//!
//! Whatever the requests: every device step names only physical objects
//! of the requesting VF's slice, history-list ranges inside its block;
//! the domains it has reserved on the device never hold more credits or
//! atomic in-flights than it was assigned; nothing before `REGISTER`
//! reaches the device; and the session forgets a domain only when the
//! device was told to release or reset it.

use std::collections::BTreeMap;

use lbdx_logic::hlb::resource_pool::vf_slice::{VfObject, VfRequest};
use lbdx_logic::hlb::resource_pool::{DomainRequest, ObjectKind, Pool, Totals};
use lbdx_logic::hlb::vf_requests::{Step, VfSession};
use lbdx_logic::hw::hlb_mbox::{Attrs, DomainReservation, ObjKind, Request, Status, VERSION};
use proptest::prelude::*;

const TOTALS: Totals = Totals {
    domains: 16,
    ldb_queues: 32,
    dir_ports: 32,
    ldb_ports: 32,
    ldb_port_cos: 4,
    ldb_credits: 4096,
    dir_credits: 2048,
    hist_list: 2048,
    atomic_inflights: 1024,
    sn_groups: 8,
    sn_per_group: 1024,
    max_queues_per_port: 8,
    priorities: 8,
};

const SLICE: VfRequest = VfRequest {
    domains: 3,
    ldb_queues: 6,
    ldb_ports: 6,
    dir_ports: 5,
    ldb_credits: 1000,
    dir_credits: 500,
    hist_list: 256,
    atomic_inflights: 200,
    sn_groups: 2,
};

/// A device with a PF domain between the two VFs' slices.
fn pool() -> Pool {
    let mut p = Pool::new(TOTALS).unwrap();
    p.assign_vf(0, &SLICE).unwrap();
    let pf = DomainRequest {
        ldb_queues: 2,
        ldb_ports_cos: [1, 0, 0, 0, 0, 0, 0, 0],
        dir_ports: 2,
        ldb_credits: 10,
        hist_list: 32,
        ..DomainRequest::default()
    };
    p.reserve_domain(&pf).unwrap();
    p.assign_vf(1, &SLICE).unwrap();
    p
}

/// An id near the slice's range: mostly inside, sometimes just past it.
fn near(n: u32) -> BoxedStrategy<u32> {
    prop_oneof![6 => 0..n, 2 => n..n + 3, 1 => any::<u32>()].boxed()
}

fn attrs() -> impl Strategy<Value = Attrs> {
    (0u32..64, 0u32..64).prop_map(|(cq_depth, hist)| Attrs {
        cq_depth,
        hist_list_size: hist,
        ..Attrs::default()
    })
}

fn request() -> impl Strategy<Value = Request> {
    let s = SLICE;
    let d = || near(s.domains + 1);
    let res = (
        near(s.hist_list),
        near(s.hist_list),
        near(s.ldb_credits),
        near(s.atomic_inflights),
    )
        .prop_map(|(b, n, lc, ai)| DomainReservation {
            hist_list_base: b,
            hist_list_entries: n,
            ldb_credits: lc,
            dir_credits: lc / 2,
            atomic_inflights: ai,
            ..DomainReservation::default()
        });
    let kind = prop_oneof![
        Just(ObjKind::LdbQueue),
        Just(ObjKind::LdbPort),
        Just(ObjKind::DirPort)
    ];
    prop_oneof![
        1 => Just(Request::Register { min: VERSION, max: VERSION }),
        1 => Just(Request::Register { min: 2, max: 9 }),
        1 => Just(Request::Unregister),
        1 => Just(Request::GetResources),
        4 => (d(), res).prop_map(|(domain, res)| Request::DomainCommit { domain, res }),
        1 => d().prop_map(|domain| Request::DomainRelease { domain }),
        1 => d().prop_map(|domain| Request::DomainReset { domain }),
        2 => (d(), any::<bool>()).prop_map(|(domain, start)| Request::DomainStart { domain, start }),
        4 => (d(), near(s.ldb_queues), proptest::option::of((0u8..4, 0u16..4)),
              proptest::option::of((0u8..4, 64u16..=1024)), attrs())
            .prop_map(|(domain, queue, sn, group_mode, attrs)| Request::LdbQueueCommit {
                domain, queue, sn, group_mode, attrs,
            }),
        4 => (d(), near(s.ldb_ports), near(s.hist_list), near(64), attrs())
            .prop_map(|(domain, port, hist_list_base, hist_list_size, attrs)| Request::LdbPortCommit {
                domain, port, hist_list_base, hist_list_size, attrs,
            }),
        3 => (d(), near(s.dir_ports), attrs())
            .prop_map(|(domain, port, attrs)| Request::DirPortCommit { domain, port, attrs }),
        2 => (kind, near(8)).prop_map(|(kind, id)| Request::Unassign { kind, id }),
        3 => (near(s.ldb_ports), 0u32..10, proptest::option::of((near(s.ldb_queues), 0u32..10)))
            .prop_map(|(port, slot, link)| Request::WriteLink { port, slot, link }),
    ]
}

/// Whether physical `id` of `kind` is in VF `vf`'s slice.
fn mine(p: &Pool, vf: u32, kind: VfObject, id: u32) -> bool {
    p.vf_virtual(vf, kind, id).is_some()
}

fn check_step(p: &Pool, vf: u32, s: &Step) -> Result<(), TestCaseError> {
    let g = p.vf_grant(vf).unwrap();
    let block = g.hist_list_base..g.hist_list_base + g.req.hist_list;
    let in_block = |base: u32, n: u32| n == 0 || (block.contains(&base) && base + n <= block.end);
    let dom = |d: u32| mine(p, vf, VfObject::Domain, d);
    let ok = match *s {
        Step::CommitDomain {
            d,
            hist_list_base,
            hist_list,
            ..
        } => dom(d) && in_block(hist_list_base, hist_list),
        Step::ReleaseDomain(d) | Step::StartDomain(d, _) | Step::ResetDomain(d) => dom(d),
        Step::CommitQueue { d, g: q, .. } => {
            dom(d)
                && mine(p, vf, VfObject::LdbQueue, q.id)
                && q.sn.is_none_or(|s| mine(p, vf, VfObject::SnGroup, s.group))
                && q.set_group_mode
                    .is_none_or(|(grp, _)| mine(p, vf, VfObject::SnGroup, grp))
        }
        Step::CommitLdbPort {
            d,
            port,
            hist_list_base,
            hist_list_size,
            ..
        } => {
            dom(d)
                && mine(p, vf, VfObject::LdbPort, port)
                && in_block(hist_list_base, hist_list_size)
        }
        Step::CommitDirPort { d, port, .. } => dom(d) && mine(p, vf, VfObject::DirPort, port),
        Step::Unassign(kind, id) => {
            let k = match kind {
                ObjKind::LdbQueue => VfObject::LdbQueue,
                ObjKind::LdbPort => VfObject::LdbPort,
                ObjKind::DirPort => VfObject::DirPort,
            };
            mine(p, vf, k, id)
        }
        Step::WriteLink { port, link, .. } => {
            mine(p, vf, VfObject::LdbPort, port)
                && link.is_none_or(|(q, _)| mine(p, vf, VfObject::LdbQueue, q))
        }
    };
    prop_assert!(ok, "VF {} reached outside its slice: {:?}", vf, s);
    // The PF's own objects are never named.
    for kind in [
        ObjectKind::LdbQueue,
        ObjectKind::LdbPort,
        ObjectKind::DirPort,
    ] {
        let id = match (*s, kind) {
            (Step::CommitQueue { g, .. }, ObjectKind::LdbQueue) => g.id,
            (Step::CommitLdbPort { port, .. }, ObjectKind::LdbPort) => port,
            (Step::CommitDirPort { port, .. }, ObjectKind::DirPort) => port,
            _ => continue,
        };
        prop_assert_eq!(p.owner(kind, id), None);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn no_vf_request_reaches_outside_its_slice(
        reqs in prop::collection::vec((0u32..2, request(), any::<bool>()), 1..80)
    ) {
        let p = pool();
        let mut sessions = [VfSession::default(), VfSession::default()];
        // Per VF: physical domain -> credits it reserved on the device.
        let mut reserved: [BTreeMap<u32, (u32, u32, u32)>; 2] = Default::default();
        for (vf, req, refuse) in &reqs {
            let vf = *vf;
            let registered = sessions[vf as usize].version.is_some();
            let mut steps = Vec::new();
            let mut failed = false;
            let reply = sessions[vf as usize].handle(&p, vf, req, &mut |s| {
                steps.push(s);
                // Refuse some programming, never a reset (best effort).
                if *refuse && !matches!(s, Step::ResetDomain(_)) {
                    failed = true;
                    Err(())
                } else {
                    Ok(())
                }
            });
            if !registered && !matches!(req, Request::Register { .. }) {
                prop_assert_eq!(reply.status, Status::NotRegistered);
                prop_assert!(steps.is_empty());
            }
            if failed {
                prop_assert_eq!(reply.status, Status::DeviceError);
            }
            for s in &steps {
                check_step(&p, vf, s)?;
                let accepted = !failed || matches!(s, Step::ResetDomain(_));
                match *s {
                    Step::CommitDomain { d, ldb_credits, dir_credits, atomic_inflights, .. } if accepted => {
                        prop_assert!(reserved[vf as usize].insert(d, (ldb_credits, dir_credits, atomic_inflights)).is_none());
                    }
                    Step::ReleaseDomain(d) | Step::ResetDomain(d) if accepted => {
                        prop_assert!(reserved[vf as usize].remove(&d).is_some());
                    }
                    _ => {}
                }
            }
            let sum = reserved[vf as usize].values().fold((0, 0, 0), |a, r| (a.0 + r.0, a.1 + r.1, a.2 + r.2));
            prop_assert!(sum.0 <= SLICE.ldb_credits && sum.1 <= SLICE.dir_credits && sum.2 <= SLICE.atomic_inflights);
        }
        // Unregistering resets exactly what each VF still holds.
        for vf in 0..2u32 {
            let s = &mut sessions[vf as usize];
            let was = s.version.is_some();
            let mut resets = Vec::new();
            s.handle(&p, vf, &Request::Register { min: VERSION, max: VERSION }, &mut |st| {
                resets.push(st);
                Ok(())
            });
            let mut want: Vec<Step> = reserved[vf as usize].keys().map(|&d| Step::ResetDomain(d)).collect();
            want.sort_by_key(|s| match s { Step::ResetDomain(d) => *d, _ => 0 });
            let mut got = resets.clone();
            got.sort_by_key(|s| match s { Step::ResetDomain(d) => *d, _ => 0 });
            prop_assert_eq!(got, want, "VF {} (registered: {})", vf, was);
        }
    }
}

#[test]
fn a_registered_vf_gets_its_assignment_and_virtual_ids_translate() {
    let p = pool();
    let mut s = VfSession::default();
    let steps = std::cell::RefCell::new(Vec::new());
    let mut run = |st| {
        steps.borrow_mut().push(st);
        Ok(())
    };
    let r = s.handle(&p, 1, &Request::Register { min: 1, max: 5 }, &mut run);
    assert_eq!(
        (r.status, &r.payload[..r.len]),
        (Status::Ok, &[VERSION, 1][..])
    );
    let r = s.handle(&p, 1, &Request::Register { min: 2, max: 5 }, &mut run);
    assert_eq!(
        (r.status, &r.payload[..r.len]),
        (Status::BadVersion, &[1, 1][..])
    );
    assert_eq!(
        s.handle(&p, 1, &Request::GetResources, &mut run).status,
        Status::NotRegistered
    );
    s.handle(&p, 1, &Request::Register { min: 1, max: 1 }, &mut run);
    let r = s.handle(&p, 1, &Request::GetResources, &mut run);
    assert_eq!(&r.payload[..9], &[3, 6, 6, 5, 1000, 500, 256, 200, 2]);
    let res = DomainReservation {
        hist_list_base: 16,
        hist_list_entries: 64,
        ldb_credits: 600,
        ..DomainReservation::default()
    };
    assert_eq!(
        s.handle(&p, 1, &Request::DomainCommit { domain: 1, res }, &mut run)
            .status,
        Status::Ok
    );
    // VF 1's virtual domain 1 is its second physical domain; its block
    // follows VF 0's and the PF domain's.
    let g = p.vf_grant(1).unwrap();
    assert_eq!(
        steps.borrow().last(),
        Some(&Step::CommitDomain {
            d: p.vf_physical(1, VfObject::Domain, 1).unwrap(),
            hist_list_base: g.hist_list_base + 16,
            hist_list: 64,
            ldb_credits: 600,
            dir_credits: 0,
            atomic_inflights: 0,
        })
    );
    assert_eq!(g.hist_list_base, 256 + 32);
    // Credits beyond the assignment, over two domains.
    let more = DomainReservation {
        ldb_credits: 401,
        ..DomainReservation::default()
    };
    assert_eq!(
        s.handle(
            &p,
            1,
            &Request::DomainCommit {
                domain: 0,
                res: more
            },
            &mut run
        )
        .status,
        Status::NoSpace
    );
    assert_eq!(
        s.handle(&p, 1, &Request::DomainCommit { domain: 1, res }, &mut run)
            .status,
        Status::Busy
    );
    assert_eq!(
        s.handle(
            &p,
            1,
            &Request::DomainStart {
                domain: 2,
                start: true
            },
            &mut run
        )
        .status,
        Status::NotFound
    );
    assert_eq!(
        s.handle(
            &p,
            1,
            &Request::DomainStart {
                domain: 3,
                start: true
            },
            &mut run
        )
        .status,
        Status::Invalid
    );
    let link = Request::WriteLink {
        port: 5,
        slot: 0,
        link: Some((6, 0)),
    };
    assert_eq!(s.handle(&p, 1, &link, &mut run).status, Status::Invalid);
    // A VF without a slice registers but makes nothing.
    let mut s2 = VfSession::default();
    assert_eq!(
        s2.handle(&p, 2, &Request::Register { min: 1, max: 1 }, &mut run)
            .status,
        Status::Ok
    );
    let r = s2.handle(&p, 2, &Request::GetResources, &mut run);
    assert!(r.payload.iter().all(|&w| w == 0));
    assert_eq!(
        s2.handle(&p, 2, &Request::DomainCommit { domain: 0, res }, &mut run)
            .status,
        Status::Invalid
    );
}

#[test]
fn attrs_pass_through_unchanged() {
    let p = pool();
    let mut s = VfSession::default();
    let steps = std::cell::RefCell::new(Vec::new());
    let mut run = |st| {
        steps.borrow_mut().push(st);
        Ok(())
    };
    s.handle(&p, 0, &Request::Register { min: 1, max: 1 }, &mut run);
    s.handle(
        &p,
        0,
        &Request::DomainCommit {
            domain: 0,
            res: DomainReservation::default(),
        },
        &mut run,
    );
    let attrs = Attrs {
        cq_depth: 8,
        depth_threshold: 3,
        cos: 0,
        ..Attrs::default()
    };
    let r = s.handle(
        &p,
        0,
        &Request::DirPortCommit {
            domain: 0,
            port: 4,
            attrs,
        },
        &mut run,
    );
    assert_eq!(r.status, Status::Ok);
    assert_eq!(
        steps.borrow().last(),
        Some(&Step::CommitDirPort {
            d: p.vf_physical(0, VfObject::Domain, 0).unwrap(),
            port: 4,
            attrs
        })
    );
}

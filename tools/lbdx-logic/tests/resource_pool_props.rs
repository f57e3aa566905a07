// SPDX-License-Identifier: GPL-2.0

//! Property tests of the HLB resource allocator: random operation
//! sequences on random devices keep every invariant, refused operations
//! change nothing, resources are conserved, and resetting every domain
//! gives the device back whole. History-list placement is checked against
//! an independent best-fit model.

use std::collections::BTreeMap;

use lbdx_logic::hlb::resource_pool::{
    Counts, DomainRequest, Pool, PoolError, Resource, Totals, COS_MAX, HIST_LIST_MAX,
};
use lbdx_logic::hw::hlb_regs;
use proptest::prelude::*;

/// Random device totals within the allocator's maxima, LDB ports split
/// evenly into their classes (or fewer ports than classes). Mostly roomy
/// devices, so that domains get built; sometimes tiny ones.
fn any_totals() -> impl Strategy<Value = Totals> {
    // `lo..=hi` mostly, `0..lo` sometimes.
    let count = |lo: u32, hi: u32| prop_oneof![1 => 0..lo, 4 => lo..=hi];
    let ports = (0u32..=8).prop_flat_map(|cos| {
        let k = cos.max(1);
        let per_class = prop_oneof![1 => 0..=1u32, 4 => 2..=128 / k];
        (
            Just(cos),
            prop_oneof![4 => per_class.prop_map(move |n| n * k), 1 => 0..k],
        )
    });
    (
        (
            count(4, hlb_regs::DOMAINS_MAX),
            count(8, 128),
            count(8, 128),
            ports,
        ),
        (
            count(500, 10_000),
            count(500, 5_000),
            count(200, HIST_LIST_MAX),
            count(500, 3_000),
        ),
        (
            0u32..=hlb_regs::SN_GROUPS_MAX,
            prop_oneof![Just(0u32), Just(100), Just(256), Just(1024), Just(4096)],
            count(1, 8),
            count(1, 9),
        ),
    )
        .prop_map(
            |(
                (domains, ldb_queues, dir_ports, (ldb_port_cos, ldb_ports)),
                (ldb_credits, dir_credits, hist_list, atomic_inflights),
                (sn_groups, sn_per_group, max_queues_per_port, priorities),
            )| Totals {
                domains,
                ldb_queues,
                dir_ports,
                ldb_ports,
                ldb_port_cos,
                ldb_credits,
                dir_credits,
                hist_list,
                atomic_inflights,
                sn_groups,
                sn_per_group,
                max_queues_per_port,
                priorities,
            },
        )
}

/// Picks a domain, port or queue: mostly a live one, sometimes any number
/// (mostly invalid ones then).
type Sel = u32;

#[derive(Clone, Debug)]
enum Op {
    Reserve(DomainRequest),
    CreateQueue {
        d: Sel,
        sn: u32,
        atomic: u32,
    },
    CreatePort {
        d: Sel,
        cos: u32,
        hist: u32,
    },
    CreateDir {
        d: Sel,
    },
    /// `any`: through `link_started` (a device that links at run time).
    Link {
        d: Sel,
        port: Sel,
        queue: Sel,
        prio: u32,
        any: bool,
    },
    /// `any`: through `unlink_started`.
    Unlink {
        d: Sel,
        port: Sel,
        queue: Sel,
        any: bool,
    },
    ReleaseQueue {
        d: Sel,
        queue: Sel,
    },
    ReleasePort {
        d: Sel,
        port: Sel,
    },
    ReleaseDir {
        d: Sel,
        port: Sel,
    },
    Start(Sel),
    Stop(Sel),
    ReleaseDomain(Sel),
    Reset(Sel),
}

/// Mostly up to a third of `total` (so several domains fit), sometimes
/// nothing, sometimes up to all of it and beyond (bound to fail).
fn part(total: u32) -> BoxedStrategy<u32> {
    prop_oneof![
        3 => Just(0u32),
        30 => 0..=total / 3,
        1 => total / 3..=total.saturating_add(4),
        1 => Just(u32::MAX),
    ]
    .boxed()
}

/// A domain request sized for device `t`.
fn any_request(t: &Totals) -> impl Strategy<Value = DomainRequest> {
    let classes = t.ldb_port_cos.max(1) as usize;
    let cos: Vec<BoxedStrategy<u32>> = t
        .counts()
        .ldb_ports_cos
        .iter()
        .enumerate()
        .map(|(c, &n)| match c < classes {
            true => prop_oneof![2 => Just(0u32), 3 => 1..=(n / 3).max(1), 1 => part(n)].boxed(),
            // A class the device lacks: refused as invalid.
            false => prop_oneof![99 => Just(0u32), 1 => Just(1u32)].boxed(),
        })
        .collect();
    (
        (part(t.ldb_queues), cos, part(t.dir_ports)),
        (
            part(t.ldb_credits),
            part(t.dir_credits),
            part(t.hist_list),
            part(t.atomic_inflights),
        ),
    )
        .prop_map(
            |(
                (ldb_queues, cos, dir_ports),
                (ldb_credits, dir_credits, hist_list, atomic_inflights),
            )| DomainRequest {
                ldb_queues,
                ldb_ports_cos: cos.try_into().unwrap(),
                dir_ports,
                ldb_credits,
                dir_credits,
                hist_list,
                atomic_inflights,
            },
        )
}

/// An operation for device `t`, with mostly sensible arguments.
fn any_op(t: &Totals) -> impl Strategy<Value = Op> {
    let s = || any::<Sel>();
    // 0 (unordered), the five modes, or a count that is never allowed.
    let sn = prop_oneof![3 => Just(0u32), 3 => prop::sample::select(&hlb_regs::SN_MODES[..]), 1 => Just(100u32)];
    let atomic = prop_oneof![1 => Just(0u32), 1 => 1..=t.atomic_inflights / 8 + 1, 1 => part(t.atomic_inflights)];
    // `AUTO_COS`: a class the domain has ports of, picked when applied.
    let cos = prop_oneof![6 => Just(AUTO_COS), 2 => 0..t.ldb_port_cos.max(1), 1 => 0u32..=8];
    let hist = prop_oneof![1 => 0u32..=7, 8 => 8..=t.hist_list / 16 + 8, 1 => part(t.hist_list)];
    let prio = prop_oneof![8 => 0..t.priorities.max(1), 1 => any::<u32>()];
    prop_oneof![
        9 => any_request(t).prop_map(Op::Reserve),
        15 => (s(), sn, atomic).prop_map(|(d, sn, atomic)| Op::CreateQueue { d, sn, atomic }),
        15 => (s(), cos, hist).prop_map(|(d, cos, hist)| Op::CreatePort { d, cos, hist }),
        4 => s().prop_map(|d| Op::CreateDir { d }),
        20 => (s(), s(), s(), prio, any::<bool>())
            .prop_map(|(d, port, queue, prio, any)| Op::Link { d, port, queue, prio, any }),
        9 => (s(), s(), s(), any::<bool>())
            .prop_map(|(d, port, queue, any)| Op::Unlink { d, port, queue, any }),
        5 => (s(), s()).prop_map(|(d, queue)| Op::ReleaseQueue { d, queue }),
        5 => (s(), s()).prop_map(|(d, port)| Op::ReleasePort { d, port }),
        3 => (s(), s()).prop_map(|(d, port)| Op::ReleaseDir { d, port }),
        2 => s().prop_map(Op::Start),
        3 => s().prop_map(Op::Stop),
        3 => s().prop_map(Op::ReleaseDomain),
        2 => s().prop_map(Op::Reset),
    ]
}

/// A device and operations for it.
fn any_scenario() -> impl Strategy<Value = (Totals, Vec<Op>)> {
    any_totals().prop_flat_map(|t| (Just(t), prop::collection::vec(any_op(&t), 1..120)))
}

/// In [`Op::CreatePort`]: the lowest class the domain has reserved ports
/// of.
const AUTO_COS: u32 = u32::MAX;

/// What the test knows it created, to aim operations at live objects.
#[derive(Default)]
struct Shadow {
    domains: Vec<u32>,
    started: Vec<u32>,
    queues: Vec<(u32, u32)>,
    ports: Vec<(u32, u32)>,
    dirs: Vec<(u32, u32)>,
    links: Vec<(u32, u32, u32)>,
}

/// One of `live` (most of the time) or any number below 140.
fn pick(live: &[u32], sel: Sel) -> u32 {
    if sel % 8 == 7 || live.is_empty() {
        sel / 8 % 140
    } else {
        live[(sel / 8) as usize % live.len()]
    }
}

impl Shadow {
    fn domain(&self, sel: Sel) -> u32 {
        pick(&self.domains, sel)
    }

    /// An object of domain `d` mostly, of any domain sometimes.
    fn object(list: &[(u32, u32)], d: u32, sel: Sel) -> u32 {
        let mine: Vec<u32> = list
            .iter()
            .filter(|&&(od, _)| od == d || sel % 8 == 6)
            .map(|&(_, id)| id)
            .collect();
        pick(&mine, sel)
    }

    /// A created port and its domain mostly, else any domain and port.
    fn port(&self, d: Sel, port: Sel) -> (u32, u32) {
        match self.ports.is_empty() || d % 8 == 7 {
            true => {
                let d = self.domain(d);
                (d, Self::object(&self.ports, d, port))
            }
            false => self.ports[(d / 8) as usize % self.ports.len()],
        }
    }

    fn drop_domain(&mut self, d: u32) {
        self.domains.retain(|&x| x != d);
        self.started.retain(|&x| x != d);
        self.queues.retain(|&(x, _)| x != d);
        self.ports.retain(|&(x, _)| x != d);
        self.dirs.retain(|&(x, _)| x != d);
        self.links.retain(|&(x, _, _)| x != d);
    }
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

/// All that domain `d` holds, reserved or used.
fn held(p: &Pool, d: u32) -> Counts {
    add(p.reserved(d).unwrap(), p.used(d).unwrap())
}

/// The totals as counts, computed here from the register-map rule.
fn expected_totals(t: &Totals) -> Counts {
    let mut cos = [0; COS_MAX];
    for port in 0..t.ldb_ports {
        cos[hlb_regs::ldb_port_cos(port, t.ldb_ports, t.ldb_port_cos) as usize] += 1;
    }
    Counts {
        domains: t.domains,
        ldb_queues: t.ldb_queues,
        ldb_ports: t.ldb_ports,
        ldb_ports_cos: cos,
        dir_ports: t.dir_ports,
        ldb_credits: t.ldb_credits,
        dir_credits: t.dir_credits,
        hist_list: t.hist_list,
        atomic_inflights: t.atomic_inflights,
    }
}

/// Applies `op`, checks what must hold after it, and updates `sh`.
fn step(p: &mut Pool, sh: &mut Shadow, op: &Op) -> Result<(), TestCaseError> {
    let before = p.clone();
    let t = *p.totals();
    let stopped = |sh: &Shadow, d: u32| !sh.started.contains(&d);
    let result: Result<(), PoolError> = match *op {
        Op::Reserve(ref r) => p.reserve_domain(r).map(|g| {
            sh.domains.push(g.id);
        }),
        Op::CreateQueue { d, sn, atomic } => {
            let d = sh.domain(d);
            let r = lbdx_logic::hlb::resource_pool::QueueRequest {
                sequence_numbers: sn,
                atomic_inflights: atomic,
            };
            p.create_ldb_queue(d, r).map(|g| sh.queues.push((d, g.id)))
        }
        Op::CreatePort { d, cos, hist } => {
            let d = sh.domain(d);
            let cos = match (cos, p.reserved(d)) {
                (AUTO_COS, Ok(r)) => (0u32..)
                    .zip(r.ldb_ports_cos)
                    .find(|c| c.1 > 0)
                    .map_or(0, |c| c.0),
                (AUTO_COS, Err(_)) => 0,
                _ => cos,
            };
            p.create_ldb_port(d, cos, hist)
                .map(|g| sh.ports.push((d, g.id)))
        }
        Op::CreateDir { d } => {
            let d = sh.domain(d);
            p.create_dir_port(d).map(|id| sh.dirs.push((d, id)))
        }
        Op::Link {
            d,
            port,
            queue,
            prio,
            any,
        } => {
            let (d, port) = sh.port(d, port);
            let queue = Shadow::object(&sh.queues, d, queue);
            let r = match any {
                true => p.link_started(d, port, queue, prio),
                false => p.link(d, port, queue, prio),
            };
            if r.is_ok() {
                prop_assert!(
                    !sh.links.contains(&(d, port, queue)),
                    "duplicate link accepted"
                );
                let n = sh.links.iter().filter(|l| l.1 == port).count();
                prop_assert!(
                    (n as u32) < t.max_queues_per_port,
                    "port over its link slots"
                );
                prop_assert!(prio < t.priorities && (any || stopped(sh, d)));
                sh.links.push((d, port, queue));
            }
            r.map(|_| ())
        }
        Op::Unlink {
            d,
            port,
            queue,
            any,
        } => {
            let (d, port, queue) = match sh.links.is_empty() || d % 4 == 3 {
                true => {
                    let (d, port) = sh.port(d, port);
                    (d, port, Shadow::object(&sh.queues, d, queue))
                }
                false => sh.links[(d / 4) as usize % sh.links.len()],
            };
            let r = match any {
                true => p.unlink_started(d, port, queue),
                false => p.unlink(d, port, queue),
            };
            let linked = sh.links.contains(&(d, port, queue));
            prop_assert_eq!(
                r.is_ok(),
                linked && (any || stopped(sh, d)),
                "unlink {:?}",
                r
            );
            r.map(|_| sh.links.retain(|&l| l != (d, port, queue)))
        }
        Op::ReleaseQueue { d, queue } => {
            let d = sh.domain(d);
            let q = Shadow::object(&sh.queues, d, queue);
            let r = p.release_ldb_queue(d, q);
            if sh.queues.contains(&(d, q)) && stopped(sh, d) {
                let linked = sh.links.iter().any(|l| l.2 == q);
                prop_assert_eq!(r, if linked { Err(PoolError::Busy) } else { Ok(()) });
            }
            r.map(|()| sh.queues.retain(|&x| x != (d, q)))
        }
        Op::ReleasePort { d, port } => {
            let d = sh.domain(d);
            let port = Shadow::object(&sh.ports, d, port);
            let r = p.release_ldb_port(d, port);
            if sh.ports.contains(&(d, port)) && stopped(sh, d) {
                let linked = sh.links.iter().any(|l| l.1 == port);
                prop_assert_eq!(r, if linked { Err(PoolError::Busy) } else { Ok(()) });
            }
            r.map(|()| sh.ports.retain(|&x| x != (d, port)))
        }
        Op::ReleaseDir { d, port } => {
            let d = sh.domain(d);
            let port = Shadow::object(&sh.dirs, d, port);
            p.release_dir_port(d, port)
                .map(|()| sh.dirs.retain(|&x| x != (d, port)))
        }
        Op::Start(d) => {
            let d = sh.domain(d);
            p.start(d).map(|()| sh.started.push(d))
        }
        Op::Stop(d) => {
            let d = sh.domain(d);
            p.stop(d).map(|()| sh.started.retain(|&x| x != d))
        }
        Op::ReleaseDomain(d) => {
            let d = sh.domain(d);
            let r = p.release_domain(d);
            if sh.domains.contains(&d) {
                let empty = !sh
                    .queues
                    .iter()
                    .chain(&sh.ports)
                    .chain(&sh.dirs)
                    .any(|o| o.0 == d);
                prop_assert_eq!(r.is_ok(), empty && stopped(sh, d), "release_domain {:?}", r);
            }
            r.map(|()| sh.drop_domain(d))
        }
        Op::Reset(d) => {
            let d = sh.domain(d);
            p.reset_domain(d);
            sh.drop_domain(d);
            Ok(())
        }
    };
    if let Err(msg) = p.check_invariants() {
        return Err(TestCaseError::fail(format!(
            "invariant broken after {op:?} -> {result:?}: {msg}"
        )));
    }
    match (&result, op) {
        (Err(_), _) => {
            prop_assert_eq!(p.available(), before.available());
            for d in 0..hlb_regs::DOMAINS_MAX {
                prop_assert_eq!(p.reserved(d), before.reserved(d));
                prop_assert_eq!(p.used(d), before.used(d));
            }
            prop_assert!(*p == before, "refused {:?} changed the pool", op);
        }
        (Ok(()), Op::Reserve(r)) => {
            let d = *sh.domains.last().unwrap();
            let want = Counts {
                domains: 1,
                ldb_queues: r.ldb_queues,
                ldb_ports: r.ldb_ports_cos.iter().sum(),
                ldb_ports_cos: r.ldb_ports_cos,
                dir_ports: r.dir_ports,
                ldb_credits: r.ldb_credits,
                dir_credits: r.dir_credits,
                hist_list: r.hist_list,
                atomic_inflights: r.atomic_inflights,
            };
            prop_assert_eq!(p.reserved(d).unwrap(), want);
            prop_assert_eq!(p.used(d).unwrap(), Counts::default());
            prop_assert_eq!(add(p.available(), want), before.available());
        }
        (Ok(()), Op::ReleaseDomain(_) | Op::Reset(_)) => {
            // Whatever was held came back: compare with the domains before.
            let held_before = (0..hlb_regs::DOMAINS_MAX)
                .filter(|&d| before.reserved(d).is_ok())
                .fold(before.available(), |a, d| add(a, held(&before, d)));
            let held_now = (0..hlb_regs::DOMAINS_MAX)
                .filter(|&d| p.reserved(d).is_ok())
                .fold(p.available(), |a, d| add(a, held(p, d)));
            prop_assert_eq!(held_now, held_before);
        }
        (Ok(()), _) => {
            // Objects and links move inside a domain only.
            prop_assert_eq!(p.available(), before.available());
            for &d in &sh.domains {
                prop_assert_eq!(held(p, d), held(&before, d));
            }
        }
    }
    for &(d, q) in &sh.queues {
        prop_assert_eq!(
            p.owner(lbdx_logic::hlb::resource_pool::ObjectKind::LdbQueue, q),
            Some(d)
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any sequence of operations keeps the invariants, refused operations
    /// change nothing, and resetting every domain returns the device whole.
    #[test]
    fn random_operations_keep_invariants_and_conserve_resources(
        (t, ops) in any_scenario(),
    ) {
        let mut p = Pool::new(t).unwrap();
        let mut sh = Shadow::default();
        prop_assert_eq!(p.available(), expected_totals(&t));
        for op in &ops {
            step(&mut p, &mut sh, op)?;
        }
        for d in 0..hlb_regs::DOMAINS_MAX {
            p.reset_domain(d);
        }
        p.check_invariants().map_err(TestCaseError::fail)?;
        prop_assert_eq!(p.available(), expected_totals(&t));
        prop_assert_eq!(p.largest_free_hist_list_block(), t.hist_list);
    }
}

/// Free gaps of `lo..hi` not covered by `blocks` (start, size), in order.
fn gaps(
    blocks: &BTreeMap<u32, (u32, u32)>,
    lo: u32,
    hi: u32,
) -> Result<Vec<(u32, u32)>, TestCaseError> {
    let mut sorted: Vec<(u32, u32)> = blocks.values().copied().filter(|&(_, n)| n > 0).collect();
    sorted.sort_unstable();
    let mut at = lo;
    let mut out = Vec::new();
    for (base, size) in sorted {
        prop_assert!(
            base >= at,
            "blocks overlap or leave the range: {:?}",
            blocks
        );
        if base > at {
            out.push((at, base - at));
        }
        at = base + size;
    }
    prop_assert!(at <= hi, "a block ends past the range");
    if hi > at {
        out.push((at, hi - at));
    }
    Ok(out)
}

/// The start a best-fit allocator must choose: the smallest gap that
/// holds `n`, the lowest of equal ones.
fn best_fit(gaps: &[(u32, u32)], n: u32) -> Option<u32> {
    gaps.iter()
        .filter(|g| g.1 >= n)
        .min_by_key(|g| (g.1, g.0))
        .map(|g| g.0)
}

fn hist_only(n: u32) -> DomainRequest {
    DomainRequest {
        hist_list: n,
        ..DomainRequest::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Domain history-list blocks never overlap, are placed best-fit, and
    /// the largest free block is the largest gap.
    #[test]
    fn domain_hist_list_blocks_are_best_fit_and_never_overlap(
        total in 0u32..=HIST_LIST_MAX,
        ops in prop::collection::vec((any::<bool>(), prop_oneof![8 => 0u32..=700, 1 => Just(0u32), 1 => 700u32..=5000]), 1..200),
    ) {
        let t = Totals { domains: hlb_regs::DOMAINS_MAX, hist_list: total, ..Totals::default() };
        let mut p = Pool::new(t).unwrap();
        let mut blocks = BTreeMap::new();
        for (reserve, n) in ops {
            let g = gaps(&blocks, 0, total)?;
            if reserve || blocks.is_empty() {
                let r = p.reserve_domain(&hist_only(n));
                let want = if blocks.len() == hlb_regs::DOMAINS_MAX as usize {
                    Err(PoolError::NoSpace(Resource::Domains))
                } else if n == 0 {
                    Ok(0)
                } else {
                    best_fit(&g, n).ok_or(PoolError::NoSpace(Resource::HistList))
                };
                prop_assert_eq!(r.map(|x| x.hist_list_base), want);
                if let Ok(x) = r {
                    blocks.insert(x.id, (x.hist_list_base, n));
                }
            } else {
                let keys: Vec<u32> = blocks.keys().copied().collect();
                let d = keys[n as usize % keys.len()];
                p.release_domain(d).unwrap();
                blocks.remove(&d);
            }
            let g = gaps(&blocks, 0, total)?;
            let largest = g.iter().map(|x| x.1).max().unwrap_or(0);
            prop_assert_eq!(p.largest_free_hist_list_block(), largest);
            prop_assert_eq!(p.available().hist_list, g.iter().map(|x| x.1).sum::<u32>());
            p.check_invariants().map_err(TestCaseError::fail)?;
        }
    }

    /// Port history lists are placed best-fit inside their domain's block,
    /// never overlap and never leave it.
    #[test]
    fn port_hist_lists_are_best_fit_inside_their_domain(
        before in 0u32..=1000,
        size in 0u32..=3000,
        ops in prop::collection::vec((any::<bool>(), prop_oneof![1 => 0u32..=7, 9 => 8u32..=400]), 1..200),
    ) {
        let t = Totals {
            domains: 2,
            ldb_ports: 128,
            hist_list: HIST_LIST_MAX,
            ..Totals::default()
        };
        let mut p = Pool::new(t).unwrap();
        p.reserve_domain(&hist_only(before)).unwrap();
        let mut r = hist_only(size);
        r.ldb_ports_cos[0] = 128;
        let dom = p.reserve_domain(&r).unwrap();
        let (lo, hi) = (dom.hist_list_base, dom.hist_list_base + size);
        let mut ports = BTreeMap::new();
        for (create, n) in ops {
            let g = gaps(&ports, lo, hi)?;
            if create || ports.is_empty() {
                let r = p.create_ldb_port(dom.id, 0, n);
                let want = if n < hlb_regs::CQ_DEPTH_MIN {
                    Err(PoolError::Invalid)
                } else if ports.len() == 128 {
                    Err(PoolError::NoSpace(Resource::LdbPorts { cos: 0 }))
                } else {
                    best_fit(&g, n).ok_or(PoolError::NoSpace(Resource::HistList))
                };
                prop_assert_eq!(r.map(|x| x.hist_list_base), want);
                if let Ok(x) = r {
                    ports.insert(x.id, (x.hist_list_base, n));
                }
            } else {
                let keys: Vec<u32> = ports.keys().copied().collect();
                let id = keys[n as usize % keys.len()];
                p.release_ldb_port(dom.id, id).unwrap();
                ports.remove(&id);
            }
            let g = gaps(&ports, lo, hi)?;
            prop_assert_eq!(p.reserved(dom.id).unwrap().hist_list, g.iter().map(|x| x.1).sum::<u32>());
            p.check_invariants().map_err(TestCaseError::fail)?;
        }
    }
}

// SPDX-License-Identifier: GPL-2.0

//! Property tests of HLB resource programming: random register writes
//! never panic, a refused write changes no programming register, and the
//! programmed state, read back through BAR0, always satisfies the
//! specification's invariants (no over-commit, no overlapping history-list
//! ranges, no SN slot or link conflicts).

mod hlb_rig;

use std::collections::BTreeSet;

use devmodel::hlb::HlbConfig;
use devmodel::hlb_regs::{self as regs, AlarmCode};
use hlb_rig::*;
use proptest::prelude::*;
use proptest::sample::select;

/// Values worth trying: small numbers, powers of two, anything.
fn value() -> impl Strategy<Value = u32> {
    prop_oneof![
        4 => 0u32..300,
        2 => (0u32..17).prop_map(|s| 1 << s),
        1 => any::<u32>(),
    ]
}

/// A write aimed at the programming registers of the small device, with
/// ids one past its counts to reach `BadId`.
fn programming_write() -> impl Strategy<Value = (usize, u32)> {
    let c = small_config();
    let (nd, nq, ndp, nlp) = (
        c.domains + 1,
        c.ldb_queues + 1,
        c.dir_ports + 1,
        c.ldb_ports + 1,
    );
    let obj_domain = || prop_oneof![Just(0u32), (0..nd).prop_map(assign), any::<u32>()];
    prop_oneof![
        2 => (0..nd, select(&[0u32, 1, 1, 1, 1, 2, 3, 3, 4, 0xff][..]))
            .prop_map(|(d, v)| (dom(d, regs::DOM_CTRL), v)),
        3 => (0..nd, select(&DOM_REGS[1..]), value()).prop_map(|(d, r, v)| (dom(d, r), v)),
        4 => (0..nq, obj_domain()).prop_map(|(q, v)| (lq(q, regs::OBJ_DOMAIN), v)),
        2 => (0..ndp, obj_domain()).prop_map(|(p, v)| (dp(p, regs::OBJ_DOMAIN), v)),
        4 => (0..nlp, obj_domain()).prop_map(|(p, v)| (lp(p, regs::OBJ_DOMAIN), v)),
        3 => (0..nq, select(&LQ_REGS[2..]), value()).prop_map(|(q, r, v)| (lq(q, r), v)),
        3 => (0..nq, select(&[0u32, 64, 64, 64, 128, 1024, 7][..]), 0u32..3, 0u32..18)
            .prop_map(|(q, n, g, s)| (lq(q, regs::LQ_SN), sn(n, g, s))),
        1 => (0..3u32, select(&[64u32, 128, 256, 512, 1024, 100][..]))
            .prop_map(|(g, v)| (regs::sn_group_mode(g), v)),
        2 => (0..ndp, select(&DP_REGS[1..]), value()).prop_map(|(p, r, v)| (dp(p, r), v)),
        3 => (0..nlp, select(&LP_REGS[1..]), value()).prop_map(|(p, r, v)| (lp(p, r), v)),
        4 => (0..nlp, select(&[regs::LP_HL_BASE, regs::LP_HL_SIZE, regs::PORT_CQ_DEPTH][..]), 0u32..9)
            .prop_map(|(p, r, k)| (lp(p, r), if r == regs::LP_HL_BASE { k * 32 } else { 8 << k })),
        // Mostly a queue of the same parity as the port: the starting
        // state assigns both to domain (number % 2).
        5 => (0..nlp, 0..LINK_SLOTS, 0u32..4, 0..nq, 0u32..9).prop_map(move |(p, s, kind, q, prio)| {
            let v = match kind {
                0 => 0,
                1 => link_val(q, prio),
                _ => link_val((q & !1 | p & 1) % nq, prio),
            };
            (link(p, s), v)
        }),
        1 => Just((regs::ALARM_ACK, 1)),
        1 => ((0usize..regs::BAR0_SIZE as usize / 4).prop_map(|i| i * 4), any::<u32>()),
    ]
}

/// A state to start from: reset, or two valid domains with objects.
fn start(programmed: bool) -> Rig {
    if !programmed {
        return Rig::small();
    }
    let rig = Rig::two_domains();
    for q in 0..6 {
        rig.ok(lq(q, regs::OBJ_DOMAIN), assign(q % 2));
    }
    for p in 0..6 {
        rig.ok(lp(p, regs::OBJ_DOMAIN), assign(p % 2));
    }
    for p in 0..3 {
        rig.ok(dp(p, regs::OBJ_DOMAIN), assign(p % 2));
    }
    rig
}

/// Checks every invariant the specification implies, through BAR0 reads.
fn check_invariants(rig: &Rig) -> Result<(), String> {
    let c: &HlbConfig = &rig.config;
    let r = |o| rig.r(o);
    let dom_valid = |d: u32| r(dom(d, regs::DOM_CTRL)) & regs::DOM_CTRL_VALID != 0;
    let owner = |off: usize| {
        let v = r(off);
        (v & regs::VALID != 0).then_some(v & regs::DOMAIN_MASK)
    };
    let overlap = |a: (u32, u32), b: (u32, u32)| {
        let (a0, a1) = (u64::from(a.0), u64::from(a.0) + u64::from(a.1));
        let (b0, b1) = (u64::from(b.0), u64::from(b.0) + u64::from(b.1));
        a.1 != 0 && b.1 != 0 && a0 < b1 && b0 < a1
    };
    let within = |a: (u32, u32), outer: (u32, u32)| {
        a.0 >= outer.0 && u64::from(a.0) + u64::from(a.1) <= u64::from(outer.0) + u64::from(outer.1)
    };

    // Domains.
    let mut sums = [0u64; 3];
    let mut blocks = Vec::new();
    for d in 0..c.domains {
        let ctrl = r(dom(d, regs::DOM_CTRL));
        if ctrl & !(regs::DOM_CTRL_VALID | regs::DOM_CTRL_STARTED) != 0 {
            return Err(format!("domain {d} DOM_CTRL {ctrl:#x}"));
        }
        if ctrl == regs::DOM_CTRL_STARTED {
            return Err(format!("domain {d} started but not valid"));
        }
        if !dom_valid(d) {
            continue;
        }
        for (i, reg) in [
            regs::DOM_LDB_CREDITS,
            regs::DOM_DIR_CREDITS,
            regs::DOM_ATOMIC_INFLIGHTS,
        ]
        .into_iter()
        .enumerate()
        {
            sums[i] += u64::from(r(dom(d, reg)));
        }
        let block = (r(dom(d, regs::DOM_HL_BASE)), r(dom(d, regs::DOM_HL_SIZE)));
        if block.1 != 0 && !within(block, (0, c.hist_list)) {
            return Err(format!("domain {d} HL block {block:?} outside the device"));
        }
        if let Some((o, _)) = blocks.iter().find(|(_, b)| overlap(block, *b)) {
            return Err(format!("domain {d} HL block overlaps domain {o}'s"));
        }
        blocks.push((d, block));
    }
    let totals = [c.ldb_credits, c.dir_credits, c.atomic_inflights].map(u64::from);
    if sums.iter().zip(totals).any(|(s, t)| *s > t) {
        return Err(format!("over-committed: {sums:?} of {totals:?}"));
    }
    let block_of = |d: u32| (r(dom(d, regs::DOM_HL_BASE)), r(dom(d, regs::DOM_HL_SIZE)));

    // LDB queues.
    let mut atomic = vec![0u64; c.domains as usize];
    let mut slots = BTreeSet::new();
    for q in 0..c.ldb_queues {
        let vals: Vec<u32> = LQ_REGS[1..].iter().map(|&reg| r(lq(q, reg))).collect();
        let Some(d) = owner(lq(q, regs::OBJ_DOMAIN)) else {
            if vals.iter().any(|&v| v != 0) || r(lq(q, 0)) != 0 {
                return Err(format!("unassigned queue {q} configured: {vals:?}"));
            }
            continue;
        };
        if !dom_valid(d) {
            return Err(format!("queue {q} in invalid domain {d}"));
        }
        let [sn_reg, limit, at, lock, thr] = vals[..] else {
            unreachable!()
        };
        atomic[d as usize] += u64::from(at);
        if sn_reg != 0 {
            let (count, group, slot) = (sn_reg & 0xffff, (sn_reg >> 16) & 0xff, sn_reg >> 24);
            let mode = r(regs::sn_group_mode(group));
            if group >= c.sn_groups || count != mode || slot >= 1024 / mode {
                return Err(format!("queue {q} LQ_SN {sn_reg:#x}, mode {mode}"));
            }
            if !slots.insert((group, slot)) {
                return Err(format!("queue {q} shares SN slot {group}/{slot}"));
            }
        }
        if limit > c.hist_list
            || (lock != 0 && !regs::LOCK_ID_COMP_LEVELS.contains(&lock))
            || thr > regs::DEPTH_THRESHOLD_MAX
        {
            return Err(format!("queue {q} values {vals:?}"));
        }
    }
    for d in 0..c.domains {
        let have = u64::from(r(dom(d, regs::DOM_ATOMIC_INFLIGHTS)));
        if atomic[d as usize] > have {
            return Err(format!(
                "domain {d} queues use {} atomic of {have}",
                atomic[d as usize]
            ));
        }
    }

    let cq_ok = |v: u32| v == 0 || (v.is_power_of_two() && (8..=1024).contains(&v));
    // DIR ports.
    for p in 0..c.dir_ports {
        let (depth, thr) = (
            r(dp(p, regs::PORT_CQ_DEPTH)),
            r(dp(p, regs::PORT_DEPTH_THRESHOLD)),
        );
        match owner(dp(p, regs::OBJ_DOMAIN)) {
            None if depth != 0 || thr != 0 || r(dp(p, 0)) != 0 => {
                return Err(format!("unassigned DIR port {p} configured"));
            }
            Some(d) if !dom_valid(d) => return Err(format!("DIR port {p} in invalid domain")),
            _ if !cq_ok(depth) || thr > regs::DEPTH_THRESHOLD_MAX => {
                return Err(format!("DIR port {p}: depth {depth} threshold {thr}"));
            }
            _ => {}
        }
    }

    // LDB ports and links.
    let mut ranges: Vec<(u32, (u32, u32))> = Vec::new();
    for p in 0..c.ldb_ports {
        let vals: Vec<u32> = LP_REGS[1..].iter().map(|&reg| r(lp(p, reg))).collect();
        let links: Vec<u32> = (0..LINK_SLOTS).map(|s| r(link(p, s))).collect();
        let Some(d) = owner(lp(p, regs::OBJ_DOMAIN)) else {
            if vals.iter().chain(&links).any(|&v| v != 0) || r(lp(p, 0)) != 0 {
                return Err(format!(
                    "unassigned LDB port {p} configured: {vals:?} {links:?}"
                ));
            }
            continue;
        };
        if !dom_valid(d) {
            return Err(format!("LDB port {p} in invalid domain {d}"));
        }
        let [depth, thr, base, size] = vals[..] else {
            unreachable!()
        };
        if !cq_ok(depth) || thr > regs::DEPTH_THRESHOLD_MAX {
            return Err(format!("LDB port {p}: depth {depth} threshold {thr}"));
        }
        if size != 0 {
            if size < depth || !within((base, size), block_of(d)) {
                return Err(format!(
                    "LDB port {p} HL ({base}, {size}) depth {depth} in domain {d}"
                ));
            }
            if let Some((o, _)) = ranges.iter().find(|(_, b)| overlap((base, size), *b)) {
                return Err(format!("LDB port {p} HL range overlaps port {o}'s"));
            }
            ranges.push((p, (base, size)));
        }
        let mut linked = BTreeSet::new();
        for (s, &l) in links.iter().enumerate() {
            if l == 0 {
                continue;
            }
            let (q, prio) = (l & 0xff, (l & !regs::VALID) >> 8);
            if l & regs::VALID == 0 || prio >= 8 || q >= c.ldb_queues {
                return Err(format!("port {p} slot {s} link {l:#x}"));
            }
            if owner(lq(q, regs::OBJ_DOMAIN)) != Some(d) {
                return Err(format!(
                    "port {p} slot {s} links queue {q} of another domain"
                ));
            }
            if !linked.insert(q) {
                return Err(format!("port {p} links queue {q} twice"));
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 128,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_programming_keeps_invariants_and_refusals_change_nothing(
        programmed in any::<bool>(),
        writes in prop::collection::vec(programming_write(), 1..120),
    ) {
        let rig = start(programmed);
        for (i, &(off, v)) in writes.iter().enumerate() {
            let resets = off == regs::CTRL && v & regs::CTRL_RESET != 0;
            let before = rig.snapshot();
            let count = rig.r(regs::ALARM_COUNT);
            rig.w(off, v);
            let raised = rig.irq.take();
            let step = format!("write {i} ({v:#x} at {off:#x})");
            if !resets && rig.r(regs::ALARM_COUNT) != count {
                prop_assert_eq!(rig.r(regs::ALARM_COUNT), count.wrapping_add(1), "{}", &step);
                prop_assert!(raised.contains(&0), "{}: vector 0 not raised", &step);
                prop_assert!(rig.r(regs::IRQ_CAUSE) & regs::IRQ_CAUSE_ALARM != 0, "{}", &step);
                prop_assert!(AlarmCode::from_u32(rig.r(regs::ALARM_CODE)).is_some_and(|c| c != AlarmCode::None), "{}", &step);
                prop_assert_eq!(rig.r(regs::ALARM_INFO), off as u32, "{}", &step);
                let after = rig.snapshot();
                for ((o, b), (_, a)) in before.iter().zip(&after) {
                    prop_assert_eq!(a, b, "{}: refused write changed {:#x}", &step, o);
                }
                rig.ack();
            }
            if let Err(e) = check_invariants(&rig) {
                return Err(TestCaseError::fail(format!("{step}: {e}")));
            }
        }
    }

    #[test]
    fn any_write_anywhere_never_panics(
        writes in prop::collection::vec(
            ((0usize..regs::BAR0_SIZE as usize / 4).prop_map(|i| i * 4), any::<u32>()),
            1..200,
        ),
    ) {
        let rig = Rig::new(HlbConfig::default());
        for &(off, v) in &writes {
            rig.w(off, v);
            rig.r(off);
        }
        prop_assert!(check_invariants(&rig).is_ok());
    }
}

/// The generator reaches deep states: without this, the property test
/// could pass by refusing nearly everything. Counts accepted writes that
/// link a queue, set a history-list range or take an SN slot.
#[test]
fn programming_writes_are_often_accepted_deep_in_the_model() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut links, mut ranges, mut slots) = (0, 0, 0);
    for _ in 0..64 {
        let writes = prop::collection::vec(programming_write(), 100)
            .new_tree(&mut runner)
            .expect("strategy")
            .current();
        let rig = start(true);
        for (off, v) in writes {
            let count = rig.r(regs::ALARM_COUNT);
            rig.w(off, v);
            if rig.r(regs::ALARM_COUNT) != count || v == 0 {
                continue;
            }
            let is = |base: usize, reg: usize| {
                (base..base + 0x1000).contains(&off) && (off - base) % 0x20 == reg
            };
            if (regs::LINK_BASE..regs::LINK_BASE + 0x1000).contains(&off) {
                links += 1;
            } else if is(regs::LDB_PORT_BASE, regs::LP_HL_SIZE) {
                ranges += 1;
            } else if is(regs::LDB_QUEUE_BASE, regs::LQ_SN) && v & 0xffff != 0 {
                slots += 1;
            }
        }
    }
    assert!(
        links > 50 && ranges > 30 && slots > 30,
        "accepted: links {links} HL ranges {ranges} SN slots {slots}"
    );
}

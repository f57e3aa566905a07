// SPDX-License-Identifier: GPL-2.0

//! One test per rule of the async-offload backend choice
//! (`drivers/lbdx/offload/backend_select.rs`): the completion-time
//! estimate, capability filtering, health, policies, exclusions, the
//! registration generation and the accounting.

use lbdx_logic::offload::backend_select::{
    BackendDesc, BackendId, BackendTable, CandidateCache, Caps, ExcludeSet, Health, HealthRules,
    Op, OpSet, Policy, Request, SelectError, ALL_SLOTS, DEFAULT_WEIGHT, MAX_BACKENDS, MAX_WEIGHT,
};
use lbdx_logic::offload::cpu_yield::{Mode, PROBE_EVERY, WARMUP, WINDOW_NS};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GB: u64 = 1_000_000_000;
const NONE: ExcludeSet = ExcludeSet::new();

fn rules() -> HealthRules {
    HealthRules {
        fail_threshold: 3,
        cooldown_ns: 1_000_000,
    }
}

fn caps(max_xor_sources: u32, align: u32) -> Caps {
    Caps {
        ops: OpSet::ALL,
        max_xor_sources,
        max_len: u64::MAX,
        align,
    }
}

/// A DMA engine: all operations, 8 xor sources, no alignment.
fn engine(bandwidth: u64, cost_ns: u64) -> BackendDesc {
    BackendDesc {
        caps: caps(8, 1),
        bandwidth,
        request_cost_ns: cost_ns,
        is_cpu: false,
    }
}

/// The CPU backend: all operations, 16 xor sources, no alignment.
fn cpu(bandwidth: u64, cost_ns: u64) -> BackendDesc {
    BackendDesc {
        caps: caps(16, 1),
        is_cpu: true,
        ..engine(bandwidth, cost_ns)
    }
}

fn copy(len: u64) -> Request {
    Request {
        op: Op::Copy,
        len,
        sources: 1,
        align: 4096,
    }
}

fn xor(len: u64, sources: u32) -> Request {
    Request {
        op: Op::Xor,
        len,
        sources,
        ..copy(len)
    }
}

fn table(descs: &[BackendDesc]) -> (BackendTable, Vec<BackendId>) {
    let mut t = BackendTable::new(rules());
    let ids = descs
        .iter()
        .map(|d| t.register(*d).expect("registered"))
        .collect();
    (t, ids)
}

/// Selects and accounts the submission, as the request state machine does.
fn submit(t: &mut BackendTable, req: &Request) -> BackendId {
    let id = t.select(req, &NONE, 0).expect("a backend");
    t.on_submit(id, req.len).expect("accounted");
    id
}

fn fail(t: &mut BackendTable, id: BackendId, now: u64) {
    t.on_submit(id, 1).unwrap();
    t.on_complete(id, 1, false, 10, now).unwrap();
}

#[test]
fn small_buffers_go_to_the_cpu_when_its_request_cost_is_lower() {
    let (mut t, ids) = table(&[engine(10 * GB, 2_000), cpu(2 * GB, 100)]);
    assert_eq!(t.select(&copy(64), &NONE, 0), Some(ids[1]));
    assert_eq!(t.select(&copy(4 * KIB), &NONE, 0), Some(ids[1]));
    assert_eq!(t.select(&copy(MIB), &NONE, 0), Some(ids[0]));
}

#[test]
fn crossover_follows_the_estimate() {
    // CPU: 100 + n/2 ns; engine: 2000 + n/10 ns: equal at n = 4750.
    let (mut t, ids) = table(&[engine(10 * GB, 2_000), cpu(2 * GB, 100)]);
    assert_eq!(t.select(&copy(4_700), &NONE, 0), Some(ids[1]));
    assert_eq!(t.select(&copy(4_800), &NONE, 0), Some(ids[0]));
}

#[test]
fn large_requests_spread_over_engines_by_bandwidth_left() {
    let (mut t, ids) = table(&[engine(8 * GB, 1_000), engine(2 * GB, 1_000)]);
    let mut counts = [0u32; 2];
    for _ in 0..100 {
        let id = submit(&mut t, &copy(MIB));
        counts[ids.iter().position(|&i| i == id).unwrap()] += 1;
    }
    assert!(
        (79..=81).contains(&counts[0]),
        "4:1 bandwidth split 100 requests as {counts:?}"
    );
}

#[test]
fn queued_bytes_delay_a_faster_engine() {
    let (mut t, ids) = table(&[engine(8 * GB, 1_000), engine(2 * GB, 1_000)]);
    t.on_submit(ids[0], 64 * MIB).unwrap();
    assert_eq!(t.select(&copy(MIB), &NONE, 0), Some(ids[1]));
    t.on_complete(ids[0], 64 * MIB, true, 8_000_000, 0).unwrap();
    assert_eq!(t.select(&copy(MIB), &NONE, 0), Some(ids[0]));
}

#[test]
fn a_queue_costs_its_bytes_and_one_request_cost() {
    // Three 64 B requests queued on the cheaper engine do not add their
    // costs (an engine overlaps them; what its queue really takes is in
    // the bandwidth learnt from back-to-back completions): 10 us there
    // against 25 us on the idle engine.
    let (mut t, ids) = table(&[engine(10 * GB, 10_000), engine(10 * GB, 25_000)]);
    for _ in 0..3 {
        t.on_submit(ids[0], 64).unwrap();
    }
    assert_eq!(t.select(&copy(64), &NONE, 0), Some(ids[0]));
    // Back-to-back completions of 64 B every 10 us teach it that its queue
    // drains at 6.4 MB/s: three ahead now cost 30 us more.
    for i in 1..=64 {
        t.on_submit(ids[0], 64).unwrap();
        let elapsed = t.service_ns(ids[0], 0, i * 10_000);
        t.on_complete(ids[0], 64, true, elapsed, 0).unwrap();
    }
    assert_eq!(t.select(&copy(64), &NONE, 0), Some(ids[1]));
}

#[test]
fn the_bandwidth_learnt_leaves_the_request_cost_out() {
    // 10 us a request, registered at 4 GB/s, truly 10 GB/s: 1 MB takes
    // 10 + 100 us, each job submitted to an idle backend. Counting the
    // cost as transfer time would settle at 1 MB / 110 us = 9.09 GB/s; it
    // settles at 10 GB/s.
    let (mut t, ids) = table(&[engine(4 * GB, 10_000)]);
    let mut now = 0;
    for _ in 0..200 {
        now += 1_000;
        t.on_submit(ids[0], 1_000_000).unwrap();
        let service = t.service_ns(ids[0], now, now + 110_000);
        now += 110_000;
        t.on_complete(ids[0], 1_000_000, true, service, now)
            .unwrap();
    }
    let bw = t.status(ids[0]).unwrap().bandwidth;
    assert!((9_900_000_000..=10_100_000_000).contains(&bw), "{bw}");
    // Jobs queued behind others: the interval since the previous
    // completion may hold any part of their cost (channels overlap it),
    // so the whole interval counts: 1 MB / 110 us again.
    for _ in 0..200 {
        t.on_submit(ids[0], 1_000_000).unwrap();
        let service = t.service_ns(ids[0], now - 50_000, now + 110_000);
        now += 110_000;
        t.on_complete(ids[0], 1_000_000, true, service, now)
            .unwrap();
    }
    let bw = t.status(ids[0]).unwrap().bandwidth;
    assert!((9_000_000_000..=9_200_000_000).contains(&bw), "{bw}");
}

#[test]
fn a_learnt_bandwidth_stays_within_four_times_the_registered_one() {
    // 1 ms a job, registered at 1 GB/s, each one back 250 us after its
    // submission to an idle backend: faster than its own cost. The
    // estimate stops at 4 x 1 GB/s.
    let (mut t, ids) = table(&[engine(GB, 1_000_000)]);
    let mut now = 0;
    for _ in 0..200 {
        now += 1_000;
        t.on_submit(ids[0], 4096).unwrap();
        let service = t.service_ns(ids[0], now, now + 250_000);
        now += 250_000;
        t.on_complete(ids[0], 4096, true, service, now).unwrap();
    }
    let bw = t.status(ids[0]).unwrap().bandwidth;
    assert!((3_990_000_000..=4_000_000_000).contains(&bw), "{bw}");
}

#[test]
fn ties_go_to_fewer_queued_bytes_then_to_the_lower_slot() {
    // Same estimate: A has 1 GB/s and 1000 queued bytes, B 0.5 GB/s and 500.
    let (mut t, ids) = table(&[engine(GB, 0), engine(GB / 2, 0), engine(GB / 2, 0)]);
    t.on_submit(ids[0], 1_000).unwrap();
    t.on_submit(ids[1], 500).unwrap();
    t.on_submit(ids[2], 500).unwrap();
    assert_eq!(t.select(&copy(0), &NONE, 0), Some(ids[1]));
    let (mut t, ids) = table(&[engine(GB, 50), engine(GB, 50)]);
    assert_eq!(t.select(&copy(4096), &NONE, 0), Some(ids[0]));
}

#[test]
fn xor_with_more_sources_than_an_engine_supports_never_goes_there() {
    let (mut t, ids) = table(&[engine(100 * GB, 0), cpu(GB, 10_000)]);
    for sources in 1..=16 {
        let want = if sources <= 8 { ids[0] } else { ids[1] };
        assert_eq!(
            t.select(&xor(MIB, sources), &NONE, 0),
            Some(want),
            "{sources} sources"
        );
    }
    assert_eq!(t.select(&xor(MIB, 17), &NONE, 0), None);
    assert_eq!(t.select(&xor(MIB, 0), &NONE, 0), None, "xor of no source");
}

#[test]
fn operations_not_offered_are_never_chosen() {
    let mut d = engine(100 * GB, 0);
    d.caps.ops = OpSet::COPY.with(OpSet::FILL);
    let (mut t, ids) = table(&[d, cpu(GB, 10_000)]);
    assert_eq!(t.select(&copy(MIB), &NONE, 0), Some(ids[0]));
    let fill = Request {
        op: Op::Fill,
        ..copy(MIB)
    };
    assert_eq!(t.select(&fill, &NONE, 0), Some(ids[0]));
    let val = Request {
        op: Op::XorVal,
        ..xor(MIB, 4)
    };
    assert_eq!(t.select(&xor(MIB, 4), &NONE, 0), Some(ids[1]));
    assert_eq!(t.select(&val, &NONE, 0), Some(ids[1]));
}

#[test]
fn requests_longer_than_max_len_are_not_given_to_that_backend() {
    let mut d = engine(100 * GB, 0);
    d.caps.max_len = MIB;
    let (mut t, ids) = table(&[d, cpu(GB, 10_000)]);
    assert_eq!(t.select(&copy(MIB), &NONE, 0), Some(ids[0]));
    assert_eq!(t.select(&copy(MIB + 1), &NONE, 0), Some(ids[1]));
}

#[test]
fn buffers_must_be_aligned_as_the_backend_requires() {
    let mut d = engine(100 * GB, 0);
    d.caps.align = 64;
    let (mut t, ids) = table(&[d, cpu(GB, 10_000)]);
    let at = |align| Request { align, ..copy(MIB) };
    assert_eq!(t.select(&at(64), &NONE, 0), Some(ids[0]));
    assert_eq!(t.select(&at(4096), &NONE, 0), Some(ids[0]));
    assert_eq!(t.select(&at(32), &NONE, 0), Some(ids[1]));
    assert_eq!(t.select(&at(0), &NONE, 0), Some(ids[1]));
    assert_eq!(Request::align_of(0x1000_0040 | 0x2000_0100), 64);
    assert_eq!(Request::align_of(0x1003), 1);
    assert_eq!(Request::align_of(0), 1 << 31);
}

#[test]
fn descriptors_are_checked_and_the_table_holds_sixteen() {
    let mut t = BackendTable::new(rules());
    let mut bad = engine(GB, 0);
    bad.caps.align = 48;
    assert_eq!(t.register(bad), Err(SelectError::Invalid));
    assert_eq!(t.register(engine(0, 0)), Err(SelectError::Invalid));
    assert_eq!(t.generation(), 0, "a refused registration bumps nothing");
    for _ in 0..MAX_BACKENDS {
        t.register(engine(GB, 0)).unwrap();
    }
    assert_eq!(t.register(engine(GB, 0)), Err(SelectError::Full));
    assert_eq!(t.generation(), MAX_BACKENDS as u64);
    assert_eq!(SelectError::Full.errno(), 28);
    assert_eq!(SelectError::Invalid.errno(), 22);
    assert_eq!(SelectError::Stale.errno(), 2);
}

#[test]
fn k_consecutive_failures_degrade_and_degraded_backends_are_skipped() {
    let (mut t, ids) = table(&[engine(100 * GB, 0), engine(GB, 0)]);
    fail(&mut t, ids[0], 5);
    fail(&mut t, ids[0], 6);
    assert_eq!(t.status(ids[0]).unwrap().health, Health::Healthy);
    assert_eq!(t.select(&copy(MIB), &NONE, 7), Some(ids[0]));
    fail(&mut t, ids[0], 7);
    assert_eq!(
        t.status(ids[0]).unwrap().health,
        Health::Degraded { since_ns: 7 }
    );
    assert_eq!(t.select(&copy(MIB), &NONE, 8), Some(ids[1]));
}

#[test]
fn a_success_between_failures_resets_the_count() {
    let (mut t, ids) = table(&[engine(100 * GB, 0), engine(GB, 0)]);
    fail(&mut t, ids[0], 1);
    fail(&mut t, ids[0], 2);
    t.on_submit(ids[0], 10).unwrap();
    t.on_complete(ids[0], 10, true, 10, 3).unwrap();
    fail(&mut t, ids[0], 4);
    fail(&mut t, ids[0], 5);
    assert_eq!(t.status(ids[0]).unwrap().failures, 2);
    assert_eq!(t.status(ids[0]).unwrap().health, Health::Healthy);
}

#[test]
fn a_degraded_backend_is_used_when_it_is_the_only_capable_one() {
    let mut small = engine(GB, 0);
    small.caps.max_xor_sources = 2;
    let (mut t, ids) = table(&[engine(GB, 0), small]);
    for now in 0..3 {
        fail(&mut t, ids[0], now);
    }
    assert_eq!(t.select(&xor(KIB, 2), &NONE, 3), Some(ids[1]));
    assert_eq!(t.select(&xor(KIB, 4), &NONE, 3), Some(ids[0]));
    let mut only = NONE;
    t.exclude(&mut only, ids[1]);
    assert_eq!(t.select(&xor(KIB, 2), &only, 3), Some(ids[0]));
}

#[test]
fn a_degraded_backend_recovers_after_the_cool_down() {
    let (mut t, ids) = table(&[engine(100 * GB, 0), engine(GB, 0)]);
    for now in 0..3 {
        fail(&mut t, ids[0], 1_000 + now);
    }
    let back = 1_002 + rules().cooldown_ns;
    assert_eq!(t.select(&copy(MIB), &NONE, back - 1), Some(ids[1]));
    assert_eq!(t.select(&copy(MIB), &NONE, back), Some(ids[0]));
    assert_eq!(t.status(ids[0]).unwrap().health, Health::Healthy);
    assert_eq!(t.status(ids[0]).unwrap().failures, 0);
}

#[test]
fn a_zero_threshold_never_degrades() {
    let mut t = BackendTable::new(HealthRules {
        fail_threshold: 0,
        cooldown_ns: 1,
    });
    let a = t.register(engine(100 * GB, 0)).unwrap();
    t.register(engine(GB, 0)).unwrap();
    for now in 0..100 {
        fail(&mut t, a, now);
    }
    assert_eq!(t.select(&copy(MIB), &NONE, 100), Some(a));
}

#[test]
fn round_robin_cycles_over_capable_healthy_backends() {
    let mut two = engine(GB, 0);
    two.caps.max_xor_sources = 2;
    let (mut t, ids) = table(&[engine(GB, 0), two, engine(100 * GB, 0), cpu(GB, 0)]);
    t.set_policy(Policy::RoundRobin);
    assert_eq!(t.policy(), Policy::RoundRobin);
    let picks: Vec<_> = (0..8)
        .map(|_| t.select(&xor(KIB, 4), &NONE, 0).unwrap())
        .collect();
    let want = [ids[0], ids[2], ids[3]];
    assert_eq!(
        picks,
        want.iter().cycle().take(8).copied().collect::<Vec<_>>()
    );
    for now in 0..3 {
        fail(&mut t, ids[2], now);
    }
    let picks: Vec<_> = (0..4)
        .map(|_| t.select(&xor(KIB, 4), &NONE, 3).unwrap())
        .collect();
    assert!(!picks.contains(&ids[2]), "degraded backend used: {picks:?}");
}

/// An operation only the CPU offers (P+Q), interleaved with copies, does
/// not steer the copies' rotation: every engine still gets its share.
#[test]
fn round_robin_rotates_each_operation_on_its_own() {
    let mut no_pq = engine(GB, 0);
    no_pq.caps.ops = OpSet::COPY;
    let (mut t, ids) = table(&[cpu(GB, 0), no_pq, no_pq, no_pq]);
    t.set_policy(Policy::RoundRobin);
    let pq = Request {
        op: Op::Pq,
        len: KIB,
        sources: 3,
        align: 4096,
    };
    let mut copies = Vec::new();
    for _ in 0..8 {
        assert_eq!(t.select(&pq, &NONE, 0), Some(ids[0]));
        copies.push(t.select(&copy(KIB), &NONE, 0).unwrap());
    }
    assert_eq!(
        copies,
        ids.iter().cycle().take(8).copied().collect::<Vec<_>>()
    );
}

#[test]
fn cpu_only_uses_only_cpu_backends() {
    let mut small = cpu(GB, 0);
    small.caps.max_xor_sources = 2;
    let (mut t, ids) = table(&[engine(100 * GB, 0), small]);
    t.set_policy(Policy::CpuOnly);
    assert_eq!(t.select(&copy(64 * MIB), &NONE, 0), Some(ids[1]));
    assert_eq!(t.select(&xor(KIB, 4), &NONE, 0), None);
    t.set_policy(Policy::EarliestCompletion);
    assert_eq!(t.select(&xor(KIB, 4), &NONE, 0), Some(ids[0]));
}

/// Bytes each of `ids` is given out of `n` requests of `len` under the
/// weighted policy, every request accounted as submitted.
fn weighted_bytes(t: &mut BackendTable, ids: &[BackendId], n: usize, len: u64) -> Vec<u64> {
    let mut bytes = vec![0; ids.len()];
    for _ in 0..n {
        let id = submit(t, &copy(len));
        let i = ids.iter().position(|x| *x == id).expect("one of ids");
        bytes[i] += len;
    }
    bytes
}

#[test]
fn weighted_splits_bytes_in_proportion_to_the_weights() {
    let (mut t, ids) = table(&[cpu(GB, 0), engine(10 * GB, 0), engine(GB, 0)]);
    t.set_policy(Policy::Weighted);
    assert_eq!(t.status(ids[0]).unwrap().weight, DEFAULT_WEIGHT);
    // Equal weights: equal bytes, whatever the estimates say.
    assert_eq!(weighted_bytes(&mut t, &ids, 300, 4 * KIB), [400 * KIB; 3]);
    // 6:3:1 over 64 KiB requests: exact within one request each.
    for (id, w) in ids.iter().zip([60, 30, 10]) {
        t.set_weight(*id, w).unwrap();
    }
    let got = weighted_bytes(&mut t, &ids, 1000, 64 * KIB);
    for (g, want) in got.iter().zip([600, 300, 100]) {
        assert!(g.abs_diff(want * 64 * KIB) <= 64 * KIB, "{got:?}");
    }
    // Mixed sizes: the split is of bytes, not of requests.
    let mut bytes = [0u64; 3];
    for i in 0..3000u64 {
        let len = [64, 4 * KIB, MIB][(i % 3) as usize];
        let id = submit(&mut t, &copy(len));
        bytes[ids.iter().position(|x| *x == id).unwrap()] += len;
    }
    let total: u64 = bytes.iter().sum();
    for (b, w) in bytes.iter().zip([60u64, 30, 10]) {
        assert!(b.abs_diff(total * w / 100) <= MIB, "{bytes:?}");
    }
}

#[test]
fn weight_zero_takes_nothing_unless_nothing_else_can() {
    let (mut t, ids) = table(&[cpu(GB, 0), engine(10 * GB, 0)]);
    t.set_policy(Policy::Weighted);
    t.set_weight(ids[1], 0).unwrap();
    assert_eq!(weighted_bytes(&mut t, &ids, 50, MIB), [50 * MIB, 0]);
    // The only other one gone from selection: the weight-0 one does it.
    t.set_available(ids[0], false).unwrap();
    assert_eq!(t.select(&copy(MIB), &NONE, 0), Some(ids[1]));
    // Every weight 0: the earliest completion rule.
    t.set_available(ids[0], true).unwrap();
    t.set_weight(ids[0], 0).unwrap();
    assert_eq!(t.select(&copy(MIB), &NONE, 0), Some(ids[1]));
}

#[test]
fn bad_weights_are_refused_and_change_nothing() {
    let (mut t, ids) = table(&[cpu(GB, 0), engine(GB, 0)]);
    t.set_weight(ids[0], MAX_WEIGHT).unwrap();
    assert_eq!(
        t.set_weight(ids[0], MAX_WEIGHT + 1),
        Err(SelectError::Invalid)
    );
    assert_eq!(t.set_weight(ids[1], u32::MAX), Err(SelectError::Invalid));
    assert_eq!(t.status(ids[0]).unwrap().weight, MAX_WEIGHT);
    assert_eq!(t.status(ids[1]).unwrap().weight, DEFAULT_WEIGHT);
    t.unregister(ids[1]).unwrap();
    assert_eq!(t.set_weight(ids[1], 1), Err(SelectError::Stale));
}

#[test]
fn a_backend_back_after_a_pause_gets_no_credit_for_it() {
    let (mut t, ids) = table(&[cpu(GB, 0), engine(GB, 0)]);
    t.set_policy(Policy::Weighted);
    t.set_available(ids[1], false).unwrap();
    assert_eq!(weighted_bytes(&mut t, &ids, 100, MIB), [100 * MIB, 0]);
    // Back: it shares from now on, it does not take the next 100 alone.
    t.set_available(ids[1], true).unwrap();
    assert_eq!(weighted_bytes(&mut t, &ids, 20, MIB), [10 * MIB, 10 * MIB]);
}

#[test]
fn weighted_waits_for_a_busy_backend_and_a_refusal_is_not_counted() {
    let (mut t, ids) = table(&[cpu(GB, 0), engine(10 * GB, 0)]);
    t.set_policy(Policy::Weighted);
    t.set_weight(ids[0], 1).unwrap();
    t.set_weight(ids[1], 99).unwrap();
    // Ties go to the lower slot: the CPU takes the first request and its
    // share is then used up for long; the engine holds the next one and
    // refuses the one after for now.
    assert_eq!(submit(&mut t, &copy(MIB)), ids[0]);
    assert_eq!(submit(&mut t, &copy(MIB)), ids[1]);
    let next = t.select(&copy(MIB), &NONE, 0).unwrap();
    assert_eq!(next, ids[1]);
    t.on_submit(next, MIB).unwrap();
    t.release(next, MIB).unwrap();
    let mut busy = ExcludeSet::new();
    t.exclude(&mut busy, ids[1]);
    let other = t.select(&copy(MIB), &busy, 0).unwrap();
    assert_eq!(other, ids[0]);
    assert!(t.better_to_wait(&copy(MIB), &busy, other));
    // The refused bytes did not count: the engine is picked again.
    assert_eq!(t.select(&copy(MIB), &NONE, 0), Some(ids[1]));
    // Round-robin does not wait.
    t.set_policy(Policy::RoundRobin);
    assert!(!t.better_to_wait(&copy(MIB), &busy, other));
}

#[test]
fn virtual_time_is_taken_back_before_it_overflows() {
    let (mut t, ids) = table(&[cpu(GB, 0), engine(GB, 0)]);
    t.set_policy(Policy::Weighted);
    t.set_weight(ids[0], 1).unwrap();
    t.set_weight(ids[1], 1).unwrap();
    // 2^32-byte requests at weight 1 add 2^48 each: 2^62 after 2^14 of
    // them per backend; 2^16 of them pass it twice over.
    let mut given = [0u64; 2];
    for _ in 0..(1 << 16) {
        let id = t.select(&copy(1 << 32), &NONE, 0).unwrap();
        t.on_submit(id, 1 << 32).unwrap();
        t.on_complete(id, 1 << 32, true, 1, 0).unwrap();
        given[usize::from(id == ids[1])] += 1;
    }
    assert_eq!(given, [1 << 15, 1 << 15]);
}

#[test]
fn unavailable_backends_are_not_chosen_until_available_again() {
    let (mut t, ids) = table(&[engine(100 * GB, 0), cpu(GB, 0)]);
    t.set_available(ids[0], false).unwrap();
    assert!(!t.status(ids[0]).unwrap().available);
    assert_eq!(t.select(&copy(MIB), &NONE, 0), Some(ids[1]));
    t.set_available(ids[1], false).unwrap();
    assert_eq!(t.select(&copy(MIB), &NONE, 0), None);
    t.set_available(ids[0], true).unwrap();
    assert_eq!(t.select(&copy(MIB), &NONE, 0), Some(ids[0]));
    t.unregister(ids[1]).unwrap();
    assert_eq!(t.set_available(ids[1], true), Err(SelectError::Stale));
}

#[test]
fn inline_limit_is_where_the_cpu_stops_winning() {
    // CPU: 1 us + 1 GB/s; engine: 10 us + 10 GB/s. Equal at
    // 1000 + L = 10000 + L / 10, i.e. L = 10000.
    let (mut t, ids) = table(&[cpu(GB, 1_000), engine(10 * GB, 10_000)]);
    let limit = t.inline_limit(ids[0], ALL_SLOTS, 1 << 30);
    assert!((9_990..=10_010).contains(&limit), "{limit}");
    // One request of 100 KiB queued on the engine pushes the limit to
    // 1000 + L = 10000 + 10240 + L / 10, i.e. L = 21378; the CPU's own
    // queue does not count against the CPU running in the caller's thread.
    t.on_submit(ids[1], 100 * KIB).unwrap();
    t.on_submit(ids[0], 100 * MIB).unwrap();
    let limit = t.inline_limit(ids[0], ALL_SLOTS, 1 << 30);
    assert!((21_300..=21_450).contains(&limit), "{limit}");
    // Not the CPU, capped by max, and with no competitor: everything.
    assert_eq!(t.inline_limit(ids[1], ALL_SLOTS, 1 << 30), 0);
    assert_eq!(t.inline_limit(ids[0], 1 << ids[0].slot(), 4096), 4096);
    t.set_available(ids[1], false).unwrap();
    assert_eq!(t.inline_limit(ids[0], ALL_SLOTS, 1 << 30), 1 << 30);
    t.set_available(ids[0], false).unwrap();
    assert_eq!(t.inline_limit(ids[0], ALL_SLOTS, 1 << 30), 0);
    // An engine cheaper per request than the CPU: never inline.
    let (t, ids) = table(&[cpu(GB, 5_000), engine(GB, 1_000)]);
    assert_eq!(t.inline_limit(ids[0], ALL_SLOTS, 1 << 30), 0);
}

#[test]
fn policies_parse_from_their_names_only() {
    for p in Policy::ALL {
        assert_eq!(Policy::parse(p.name().as_bytes()), Some(p));
        let line = format!("{}\n", p.name());
        assert_eq!(Policy::parse(line.as_bytes()), Some(p));
    }
    for bad in [
        &b""[..],
        b"\n",
        b"round-robin\n\n",
        b" cpu-only",
        b"CPU-ONLY",
        b"fastest",
    ] {
        assert_eq!(Policy::parse(bad), None, "{bad:?}");
    }
}

#[test]
fn excluded_backends_are_not_chosen() {
    let (mut t, ids) = table(&[engine(100 * GB, 0), engine(10 * GB, 0), cpu(GB, 0)]);
    let mut tried = NONE;
    t.exclude(&mut tried, ids[0]);
    assert_eq!(t.select(&copy(MIB), &tried, 0), Some(ids[1]));
    t.exclude(&mut tried, ids[1]);
    assert!(t.excludes(&tried, ids[1]));
    assert_eq!(t.select(&copy(MIB), &tried, 0), Some(ids[2]));
    t.exclude(&mut tried, ids[2]);
    assert_eq!(t.select(&copy(MIB), &tried, 0), None);
}

#[test]
fn a_slot_registered_again_is_no_longer_excluded() {
    let (mut t, ids) = table(&[engine(100 * GB, 0), cpu(GB, 0)]);
    let mut tried = NONE;
    t.exclude(&mut tried, ids[0]);
    t.unregister(ids[0]).unwrap();
    let new = t.register(engine(100 * GB, 0)).unwrap();
    assert_eq!(new.slot(), ids[0].slot());
    assert_ne!(new, ids[0]);
    assert!(!t.excludes(&tried, new));
    assert_eq!(t.select(&copy(MIB), &tried, 0), Some(new));
    // Still not excluded after a later, unrelated exclusion.
    t.exclude(&mut tried, ids[1]);
    assert_eq!(t.select(&copy(MIB), &tried, 0), Some(new));
    // A stale identifier adds nothing.
    let before = tried;
    t.exclude(&mut tried, ids[0]);
    assert_eq!(tried.mask(), before.mask());
}

#[test]
fn generation_bumps_invalidate_a_candidate_cache() {
    let (mut t, ids) = table(&[engine(GB, 0)]);
    let mut cache = CandidateCache::new(xor(MIB, 12));
    assert!(cache.is_stale(&t));
    assert_eq!(cache.candidates(&t), 0);
    assert_eq!(cache.generation(), Some(1));
    assert!(!cache.is_stale(&t));
    let c = t.register(cpu(GB, 0)).unwrap();
    assert_eq!(t.generation(), 2);
    assert!(cache.is_stale(&t));
    assert_eq!(cache.candidates(&t), 1 << c.slot());
    t.unregister(ids[0]).unwrap();
    assert_eq!(t.generation(), 3);
    assert!(cache.is_stale(&t));
    let mask = cache.candidates(&t);
    assert_eq!(t.select_in(&xor(MIB, 12), mask, &NONE, 0), Some(c));
    assert_eq!(t.select_in(&xor(MIB, 12), 0, &NONE, 0), None);
}

#[test]
fn unregistered_identifiers_are_stale() {
    let (mut t, ids) = table(&[engine(GB, 0)]);
    t.on_submit(ids[0], 4096).unwrap();
    assert_eq!(t.unregister(ids[0]), Ok(4096));
    assert_eq!(t.unregister(ids[0]), Err(SelectError::Stale));
    assert_eq!(t.on_submit(ids[0], 1), Err(SelectError::Stale));
    assert_eq!(
        t.on_complete(ids[0], 1, true, 1, 0),
        Err(SelectError::Stale)
    );
    assert_eq!(t.release(ids[0], 1), Err(SelectError::Stale));
    assert_eq!(t.set_bandwidth(ids[0], 1), Err(SelectError::Stale));
    assert!(!t.is_registered(ids[0]));
    assert!(!t.capable(ids[0], &copy(1)));
    assert_eq!(t.id_at(ids[0].slot()), None);
    assert_eq!(t.generation(), 2);
}

#[test]
fn queued_bytes_are_exact_and_over_completion_is_refused() {
    let (mut t, ids) = table(&[engine(GB, 0)]);
    t.on_submit(ids[0], 100).unwrap();
    t.on_submit(ids[0], 50).unwrap();
    assert_eq!(
        t.on_complete(ids[0], 151, true, 1, 0),
        Err(SelectError::Invalid)
    );
    assert_eq!(t.status(ids[0]).unwrap().queued, 150);
    t.release(ids[0], 50).unwrap();
    t.on_complete(ids[0], 100, true, 100, 0).unwrap();
    assert_eq!(t.status(ids[0]).unwrap().queued, 0);
    assert_eq!(t.on_submit(ids[0], u64::MAX), Ok(()));
    assert_eq!(t.on_submit(ids[0], 1), Err(SelectError::Invalid));
}

#[test]
fn bandwidth_estimate_averages_time_per_byte() {
    let (mut t, ids) = table(&[engine(GB, 0)]);
    let done = |t: &mut BackendTable, bytes, ns| {
        t.on_submit(ids[0], bytes).unwrap();
        t.on_complete(ids[0], bytes, true, ns, 0).unwrap();
    };
    // The sums start as 512 KiB at 1 ns/B; a sample of 9000 B in 1 us
    // replaces an eighth of them: (458752 + 1000) ns / (458752 + 9000) B,
    // about 1.017 GB/s. Each sample weighs by its bytes.
    done(&mut t, 9_000, 1_000);
    let bw = t.status(ids[0]).unwrap().bandwidth;
    assert!((1_015_000_000..1_020_000_000).contains(&bw), "{bw}");
    // Failures do not move it.
    fail(&mut t, ids[0], 0);
    assert_eq!(t.status(ids[0]).unwrap().bandwidth, bw);
    // Four channels finishing together: one sample with the time of all
    // four, three back to back. The estimate goes to the aggregate rate,
    // 4 x 4096 B / 4 us = 4.096 GB/s, not to the mean of the rates
    // (infinite); it swings around it by the weight of the last samples.
    for _ in 0..100 {
        done(&mut t, 4096, 4_000);
        for _ in 0..3 {
            done(&mut t, 4096, 0);
        }
    }
    let bw = t.status(ids[0]).unwrap().bandwidth;
    assert!((3_000_000_000..5_500_000_000).contains(&bw), "{bw}");
    // Huge and zero transfers saturate instead of overflowing.
    done(&mut t, u64::MAX, 1);
    done(&mut t, 1, u64::MAX);
    assert!(t.status(ids[0]).unwrap().bandwidth >= 1);
    t.set_bandwidth(ids[0], 0).unwrap();
    assert_eq!(t.status(ids[0]).unwrap().bandwidth, 1);
    assert_eq!(t.desc(ids[0]).unwrap().bandwidth, GB);
}

#[test]
fn bandwidth_samples_weigh_by_their_bytes() {
    // A mix: 1 MiB in 100 us (10.5 GB/s) and 64 B in 10 us (cost, not
    // bytes) in turn. By bytes, the time of both over the bytes of both,
    // about 9.5 GB/s; an average of the samples' time per byte would be
    // dominated by the 64 B ones (78 ns/B: 13 MB/s).
    let (mut t, ids) = table(&[engine(10 * GB, 0)]);
    for _ in 0..100 {
        t.on_submit(ids[0], MIB).unwrap();
        t.on_complete(ids[0], MIB, true, 100_000, 0).unwrap();
        t.on_submit(ids[0], 64).unwrap();
        t.on_complete(ids[0], 64, true, 10_000, 0).unwrap();
    }
    let bw = t.status(ids[0]).unwrap().bandwidth;
    assert!((9_000_000_000..10_000_000_000).contains(&bw), "{bw}");
}

#[test]
fn service_time_excludes_time_spent_queued_behind_others() {
    let (mut t, ids) = table(&[engine(GB, 0)]);
    // Three requests submitted at 0, done at 10, 20 and 30: 10 each.
    assert_eq!(t.service_ns(ids[0], 0, 10), 10);
    assert_eq!(t.service_ns(ids[0], 0, 20), 10);
    assert_eq!(t.service_ns(ids[0], 0, 30), 10);
    // After an idle gap, from its own submission.
    assert_eq!(t.service_ns(ids[0], 100, 105), 5);
    // A completion reported out of order does not move the clock back.
    assert_eq!(t.service_ns(ids[0], 90, 104), 0);
    assert_eq!(t.service_ns(ids[0], 104, 110), 5);
    t.unregister(ids[0]).unwrap();
    assert_eq!(t.service_ns(ids[0], 0, 200), 0);
}

#[test]
fn estimates_saturate_instead_of_overflowing() {
    let (mut t, ids) = table(&[engine(1, u64::MAX), engine(1, 0)]);
    t.on_submit(ids[1], u64::MAX).unwrap();
    assert!(t.select(&copy(u64::MAX), &NONE, 0).is_some());
}

#[test]
fn a_deadline_is_the_floor_plus_a_margin_over_the_queue_estimate() {
    use lbdx_logic::offload::backend_select::DEADLINE_MARGIN;
    let (mut t, ids) = table(&[engine(GB, 2_000)]);
    let floor = 5 * GB;
    // Nothing queued: the floor plus the margin over the request cost.
    assert_eq!(
        t.deadline_ns(ids[0], 100, floor),
        Some(100 + floor + DEADLINE_MARGIN * 2_000)
    );
    // One request of 1 MB queued at 1 GB/s: a request cost and a
    // millisecond, times the margin.
    t.on_submit(ids[0], 1_000_000).unwrap();
    let d = t.deadline_ns(ids[0], 0, floor).unwrap();
    let want = floor + DEADLINE_MARGIN * (2_000 + 1_000_000);
    assert!(d.abs_diff(want) <= DEADLINE_MARGIN * 20, "{d} vs {want}");
    // Saturates rather than wrapping; a stale backend has none.
    assert_eq!(t.deadline_ns(ids[0], u64::MAX, floor), Some(u64::MAX));
    t.unregister(ids[0]).unwrap();
    assert_eq!(t.deadline_ns(ids[0], 0, floor), None);
}

#[test]
fn an_identifier_survives_a_word_and_zero_is_none() {
    let mut t = BackendTable::new(rules());
    let mut seen = Vec::new();
    for round in 0..40 {
        let id = t.register(engine(1 << 30, 100)).expect("registered");
        let word = id.to_word();
        assert_ne!(word, 0, "round {round}");
        assert_eq!(BackendId::from_word(word), Some(id));
        assert!(!seen.contains(&word), "a word names one registration only");
        seen.push(word);
        t.unregister(id).expect("unregistered");
    }
    assert_eq!(BackendId::from_word(0), None);
}

#[test]
fn the_table_is_idle_only_with_nothing_queued_anywhere() {
    let (mut t, ids) = table(&[engine(1 << 30, 100), engine(1 << 30, 100)]);
    assert!(t.idle());
    t.on_submit(ids[0], 10).unwrap();
    t.on_submit(ids[1], 20).unwrap();
    assert!(!t.idle());
    t.on_complete(ids[0], 10, true, 100, 1).unwrap();
    assert!(!t.idle(), "the second still holds bytes");
    t.release(ids[1], 20).unwrap();
    assert!(t.idle());
}

/// `Op::index` is each operation's place in `Op::ALL` and its `enum
/// lbdx_op` value; its bit in an `OpSet` is `1 << index`, and
/// `OpSet::ALL` has exactly those bits.
#[test]
fn operations_have_their_index_as_bit_and_c_value() {
    for (i, op) in Op::ALL.iter().enumerate() {
        assert_eq!(op.index(), i);
        assert_eq!(op.bit(), 1 << i);
        assert!(OpSet::ALL.contains(*op));
    }
    assert_eq!(OpSet::ALL.0, (1u8 << Op::ALL.len()) - 1);
    assert!(Op::ALL
        .iter()
        .all(|op| op.result_mask() == 0 || matches!(op, Op::XorVal | Op::PqVal)));
}

#[test]
fn an_engine_costing_the_cpu_more_than_a_copy_does_not_take_it() {
    // CPU: 1 GB/s; engine: 10 GB/s, both free of cost. Without a drive
    // cost the engine takes a 4 KiB copy (0.4 us against 4.1 us).
    let (mut t, ids) = table(&[cpu(GB, 0), engine(10 * GB, 0)]);
    assert_eq!(t.select(&copy(4 * KIB), &NONE, 0), Some(ids[1]));
    // Driving one of its requests takes the CPU 10 us: more than the
    // CPU's own copy of 4 KiB, so the CPU copies it; 64 KiB (65.5 us on
    // the CPU) still goes to the engine.
    t.set_drive_cost(ids[1], 10_000).unwrap();
    assert_eq!(t.status(ids[1]).unwrap().drive_ns, 10_000);
    assert_eq!(t.select(&copy(4 * KIB), &NONE, 0), Some(ids[0]));
    assert_eq!(t.select(&copy(64 * KIB), &NONE, 0), Some(ids[1]));
    // The engine is still what is left when the CPU cannot take it.
    t.set_available(ids[0], false).unwrap();
    assert_eq!(t.select(&copy(4 * KIB), &NONE, 0), Some(ids[1]));
    t.set_available(ids[0], true).unwrap();
    // Back to 0: as before; the CPU has no drive cost of its own.
    t.set_drive_cost(ids[1], 0).unwrap();
    assert_eq!(t.select(&copy(4 * KIB), &NONE, 0), Some(ids[1]));
    assert_eq!(t.set_drive_cost(ids[0], 1), Err(SelectError::Invalid));
    t.set_drive_cost(ids[0], 0).unwrap();
    t.unregister(ids[1]).unwrap();
    assert_eq!(t.set_drive_cost(ids[1], 5), Err(SelectError::Stale));
}

#[test]
fn the_cpu_that_keeps_a_driven_engine_from_small_copies_is_the_registered_one() {
    // The engine's drive cost (10 us) is more than the CPU's copy of 4 KiB.
    let (mut t, ids) = table(&[cpu(GB, 0), engine(10 * GB, 0)]);
    t.set_drive_cost(ids[1], 10_000).unwrap();
    assert_eq!(t.select(&copy(4 * KIB), &NONE, 0), Some(ids[0]));
    // Without a CPU backend nothing keeps the engine from it.
    t.unregister(ids[0]).unwrap();
    assert_eq!(t.select(&copy(4 * KIB), &NONE, 0), Some(ids[1]));
    // A CPU backend registered again (in the free slot 0) is found, and so
    // is one in a higher slot once slot 0 is taken by an engine.
    let again = t.register(cpu(GB, 0)).unwrap();
    assert_eq!(t.select(&copy(4 * KIB), &NONE, 0), Some(again));
    t.unregister(again).unwrap();
    let low = t.register(engine(GB, 0)).unwrap();
    t.set_available(low, false).unwrap();
    let high = t.register(cpu(GB, 0)).unwrap();
    assert!(high.slot() > low.slot());
    assert_eq!(t.select(&copy(4 * KIB), &NONE, 0), Some(high));
    // Only an available CPU counts.
    t.set_available(high, false).unwrap();
    assert_eq!(t.select(&copy(4 * KIB), &NONE, 0), Some(ids[1]));
}

#[test]
fn attempts_in_flight_on_a_driven_engine_delay_the_cpu_until_they_end() {
    // CPU: 1 GB/s; engine: 10 GB/s, no cost, 20 us of CPU per request.
    // 256 KiB: the CPU alone 262 us, the engine alone 26 + 20 us.
    let (mut t, ids) = table(&[cpu(GB, 0), engine(10 * GB, 0)]);
    t.set_drive_cost(ids[1], 20_000).unwrap();
    let before = t.inline_limit(ids[0], ALL_SLOTS, 1 << 30);
    // 20 requests on the engine: 524 us of its queue, 400 us of the
    // CPU's time to come. Without the drive cost the CPU (262 us) would
    // now take the next one; with it the CPU's copy would end at 662 us,
    // the engine's request at max(550, 400) + 20 = 570 us.
    for _ in 0..20 {
        t.on_submit(ids[1], 256 * KIB).unwrap();
    }
    assert_eq!(t.select(&copy(256 * KIB), &NONE, 0), Some(ids[1]));
    // The CPU, charged the 400 us, wins fewer lengths than it would if
    // the engine's requests cost it nothing.
    let during = t.inline_limit(ids[0], ALL_SLOTS, 1 << 30);
    t.set_drive_cost(ids[1], 0).unwrap();
    let free = t.inline_limit(ids[0], ALL_SLOTS, 1 << 30);
    assert_eq!(t.select(&copy(256 * KIB), &NONE, 0), Some(ids[0]));
    t.set_drive_cost(ids[1], 20_000).unwrap();
    assert!(during < free, "{during} vs {free}");
    // Each attempt's CPU time leaves with it, completed or taken back.
    for i in 0..20 {
        if i % 2 == 0 {
            t.on_complete(ids[1], 256 * KIB, true, 26_000, 0).unwrap();
        } else {
            t.release(ids[1], 256 * KIB).unwrap();
        }
    }
    assert!(t.idle());
    t.set_bandwidth(ids[1], 10 * GB).unwrap();
    assert_eq!(t.inline_limit(ids[0], ALL_SLOTS, 1 << 30), before);
    t.set_drive_cost(ids[1], 0).unwrap();
    assert_eq!(t.status(ids[1]).unwrap().drive_ns, 0);
}

/// The CPU (1 us + 1 GB/s) and an engine (10 us + 10 GB/s, sooner alone
/// from 10000 bytes on) holding 64 MiB: earliest-completion gives the CPU
/// a 1 MiB copy, which it finishes first. Returns the table, the CPU, the
/// engine.
fn cpu_beside_a_busy_engine() -> (BackendTable, BackendId, BackendId) {
    let (mut t, ids) = table(&[cpu(GB, 1_000), engine(10 * GB, 10_000)]);
    let (c, e) = (ids[0], ids[1]);
    t.on_submit(e, 64 * MIB).unwrap();
    assert_eq!(t.select(&copy(MIB), &NONE, 0), Some(c));
    (t, c, e)
}

#[test]
fn engines_first_keeps_the_cpu_to_what_no_engine_does_sooner_alone() {
    let (mut t, c, e) = cpu_beside_a_busy_engine();
    assert!(t.inline_limit(c, ALL_SLOTS, 1 << 30) > 7_000_000);
    t.set_policy(Policy::EnginesFirst);
    assert_eq!(t.select(&copy(MIB), &NONE, 0), Some(e));
    assert_eq!(t.select(&copy(9_000), &NONE, 0), Some(c));
    // The inline path stops where the engine becomes sooner alone, its
    // queue left out (earliest-completion goes on to ~7.4 MB).
    let limit = t.inline_limit(c, ALL_SLOTS, 1 << 30);
    assert!((9_990..=10_010).contains(&limit), "{limit}");
    // A request the engine refused for now waits for it rather than go
    // to the CPU, which would finish it first.
    let mut busy = ExcludeSet::new();
    t.exclude(&mut busy, e);
    assert_eq!(t.select(&copy(MIB), &busy, 0), Some(c));
    assert!(t.better_to_wait(&copy(MIB), &busy, c));
    t.set_policy(Policy::EarliestCompletion);
    assert!(!t.better_to_wait(&copy(MIB), &busy, c));
    // An engine whose drive costs more CPU time than the copy, or an
    // unavailable or incapable one, does not keep the CPU out.
    t.set_policy(Policy::EnginesFirst);
    t.set_drive_cost(e, 2_000_000).unwrap();
    assert_eq!(t.select(&copy(MIB), &NONE, 0), Some(c));
    t.set_drive_cost(e, 0).unwrap();
    t.set_available(e, false).unwrap();
    assert_eq!(t.select(&copy(MIB), &NONE, 0), Some(c));
    t.set_available(e, true).unwrap();
    assert_eq!(t.select(&xor(MIB, 12), &NONE, 0), Some(c));
}

/// Runs `ms` milliseconds of completions on engine `e`, one of 1 MiB per
/// millisecond, served in 100 us each (10 GB/s), twice as many while the
/// CPU backend gives way if `yielding_pays`.
fn completions_ms(t: &mut BackendTable, e: BackendId, now: &mut u64, ms: u64, yielding_pays: bool) {
    for _ in 0..ms {
        let n = if yielding_pays && t.cpu_yields() {
            2
        } else {
            1
        };
        for _ in 0..n {
            t.on_submit(e, MIB).unwrap();
            t.on_complete(e, MIB, true, 100_000, *now).unwrap();
        }
        *now += 1_000_000;
    }
}

#[test]
fn earliest_completion_gives_way_where_that_was_measured_to_deliver_more() {
    let (mut t, c, e) = cpu_beside_a_busy_engine();
    let window_ms = WINDOW_NS / 1_000_000;
    let mut now = 1;
    // Not measured under another policy, nor with the CPU disabled.
    t.set_policy(Policy::RoundRobin);
    completions_ms(&mut t, e, &mut now, 10 * window_ms, true);
    t.set_policy(Policy::EarliestCompletion);
    t.set_available(c, false).unwrap();
    completions_ms(&mut t, e, &mut now, 10 * window_ms, true);
    t.set_available(c, true).unwrap();
    assert_eq!(
        (t.delivered(Mode::Compete), t.delivered(Mode::Yield)),
        (0, 0)
    );
    // Measured: giving way delivers twice as much.
    completions_ms(&mut t, e, &mut now, 2 * u64::from(WARMUP) * window_ms, true);
    assert!(t.delivered(Mode::Yield) > t.delivered(Mode::Compete));
    assert!(t.cpu_yields());
    assert_eq!(t.select(&copy(MIB), &NONE, 0), Some(e));
    // A request the CPU does sooner even alone stays the CPU's, and the
    // rule is the engines-first one: a 1 MiB request the engine refused
    // for now waits for it.
    assert_eq!(t.select(&copy(4 * KIB), &NONE, 0), Some(c));
    let mut busy = ExcludeSet::new();
    t.exclude(&mut busy, e);
    assert!(t.better_to_wait(&copy(MIB), &busy, c));
    // A backend registering forgets it: the CPU competes again.
    t.register(engine(GB, 10_000)).unwrap();
    assert!(!t.cpu_yields());
    assert_eq!(t.delivered(Mode::Yield), 0);
    assert_eq!(t.select(&copy(MIB), &NONE, 0), Some(c));
}

#[test]
fn earliest_completion_keeps_competing_where_giving_way_delivers_no_more() {
    let (mut t, _, e) = cpu_beside_a_busy_engine();
    let window_ms = WINDOW_NS / 1_000_000;
    let mut now = 1;
    completions_ms(
        &mut t,
        e,
        &mut now,
        2 * u64::from(WARMUP) * window_ms,
        false,
    );
    let total_ms = 4 * u64::from(PROBE_EVERY) * window_ms;
    let mut yielded_ms = 0;
    for _ in 0..total_ms {
        yielded_ms += u64::from(t.cpu_yields());
        completions_ms(&mut t, e, &mut now, 1, false);
    }
    // Only the probing windows, one in PROBE_EVERY.
    assert!(t.delivered(Mode::Yield) > 0);
    assert!(
        yielded_ms <= total_ms / u64::from(PROBE_EVERY) + window_ms,
        "{yielded_ms} ms of {total_ms} yielded"
    );
}

// SPDX-License-Identifier: GPL-2.0

//! The measurement that decides whether the CPU backend gives way to the
//! engines under earliest-completion (`drivers/lbdx/offload/cpu_yield.rs`):
//! windows, the warm-up, the averages, the margin, the probing windows,
//! idle spells and the reset.

use lbdx_logic::offload::cpu_yield::{
    Mode, YieldProbe, GAIN, MARGIN_PCT, PROBE_EVERY, WARMUP, WINDOW_NS,
};

const GBPS: u64 = 1_000_000_000;

/// Ten completions per window, delivering `rate(mode)` bytes per second
/// in the window's mode; `windows` windows. Returns how many of them ran
/// yielding.
fn run(p: &mut YieldProbe, now: &mut u64, windows: u32, rate: impl Fn(Mode) -> u64) -> u32 {
    let step = WINDOW_NS / 10;
    let mut yielded = 0;
    for _ in 0..windows {
        yielded += u32::from(p.yields());
        for _ in 0..10 {
            *now += step;
            p.on_complete(rate(p.mode()) * step / 1_000_000_000, *now);
        }
    }
    yielded
}

/// A probe that saw its first completion at 0.
fn started() -> (YieldProbe, u64) {
    let mut p = YieldProbe::new();
    p.on_complete(0, 0);
    (p, 0)
}

fn yield_pays(m: Mode) -> u64 {
    if m == Mode::Yield {
        7 * GBPS
    } else {
        6 * GBPS
    }
}

/// Through the warm-up, up to the window before a probing one.
fn warmed_up(rate: impl Fn(Mode) -> u64) -> (YieldProbe, u64) {
    const { assert!(2 * WARMUP <= PROBE_EVERY) };
    let (mut p, mut now) = started();
    run(&mut p, &mut now, PROBE_EVERY, rate);
    (p, now)
}

#[test]
fn the_modes_alternate_until_each_was_measured_warmup_times() {
    let (mut p, mut now) = started();
    let mut modes = Vec::new();
    for _ in 0..2 * WARMUP {
        modes.push(p.mode());
        run(&mut p, &mut now, 1, |_| 6 * GBPS);
    }
    let expected: Vec<Mode> = (0..2 * WARMUP)
        .map(|k| {
            if k % 2 == 0 {
                Mode::Compete
            } else {
                Mode::Yield
            }
        })
        .collect();
    assert_eq!(modes, expected);
    // Neither delivered more: the CPU competes.
    assert!(!p.yields());
    assert_eq!(
        (p.rate(Mode::Compete), p.rate(Mode::Yield)),
        (6 * GBPS, 6 * GBPS)
    );
}

#[test]
fn yielding_that_delivers_more_is_kept_with_one_window_in_probe_every_competing() {
    let (mut p, mut now) = warmed_up(yield_pays);
    let n = 10 * PROBE_EVERY;
    assert_eq!(run(&mut p, &mut now, n, yield_pays), n - n / PROBE_EVERY);
    assert_eq!(
        (p.rate(Mode::Compete), p.rate(Mode::Yield)),
        (6 * GBPS, 7 * GBPS)
    );
}

#[test]
fn yielding_that_delivers_less_or_within_the_margin_is_only_probed() {
    for yield_rate in [5 * GBPS, 6 * GBPS, 6 * GBPS * (100 + MARGIN_PCT) / 100] {
        let rate = |m: Mode| {
            if m == Mode::Yield {
                yield_rate
            } else {
                6 * GBPS
            }
        };
        let (mut p, mut now) = warmed_up(rate);
        let n = 20 * PROBE_EVERY;
        assert_eq!(
            run(&mut p, &mut now, n, rate),
            n / PROBE_EVERY,
            "yielding at {yield_rate}"
        );
        assert_eq!(p.rate(Mode::Yield), yield_rate);
    }
}

#[test]
fn a_change_either_way_is_followed() {
    let (mut p, mut now) = warmed_up(yield_pays);
    run(&mut p, &mut now, 3 * PROBE_EVERY, yield_pays);
    assert_eq!(
        run(&mut p, &mut now, PROBE_EVERY, yield_pays),
        PROBE_EVERY - 1
    );
    // The bottleneck goes away: competing now delivers 9 GB/s. The
    // probing windows see it, each moving the average by 1/GAIN.
    let changed = |m: Mode| if m == Mode::Yield { 7 * GBPS } else { 9 * GBPS };
    let n = 4 * u32::try_from(GAIN).unwrap() * PROBE_EVERY;
    run(&mut p, &mut now, n, changed);
    assert_eq!(run(&mut p, &mut now, PROBE_EVERY, changed), 1);
}

#[test]
fn a_window_that_spans_an_idle_spell_does_not_count() {
    let (mut p, mut now) = started();
    run(&mut p, &mut now, 1, |_| 6 * GBPS);
    assert!(p.yields());
    // The yielding window's first completion, then nothing for a while.
    now += WINDOW_NS / 10;
    p.on_complete(1 << 20, now);
    now += 2 * WINDOW_NS;
    p.on_complete(1 << 20, now);
    assert_eq!(p.rate(Mode::Yield), 0);
    // The windows that start there count.
    assert!(!p.yields());
    run(&mut p, &mut now, 1, |_| 6 * GBPS);
    run(&mut p, &mut now, 1, |_| 7 * GBPS);
    assert_eq!(p.rate(Mode::Yield), 7 * GBPS);
}

#[test]
fn a_window_starts_at_its_first_completion() {
    let mut p = YieldProbe::new();
    // An hour idle before the first completion counts nowhere.
    let mut now = 3_600 * GBPS;
    p.on_complete(1 << 20, now);
    run(&mut p, &mut now, 1, |_| 6 * GBPS);
    assert_eq!(p.rate(Mode::Compete), 6 * GBPS);
}

#[test]
fn reset_forgets_what_was_measured() {
    let (mut p, _) = warmed_up(yield_pays);
    assert_eq!(p.rate(Mode::Yield), 7 * GBPS);
    p.reset();
    assert!(!p.yields());
    assert_eq!(p, YieldProbe::new());
}

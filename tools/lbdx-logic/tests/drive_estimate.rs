// SPDX-License-Identifier: GPL-2.0

//! The learnt drive cost (`drivers/lbdx/offload/drive_estimate.rs`):
//! windows, the moving average, the clamp of outliers, the two parts.

use lbdx_logic::offload::drive_estimate::{DriveEstimate, CLAMP, GAIN, MAX_NS, WINDOW};
use proptest::prelude::*;

/// Feeds `n` submissions of `ns` each; returns the last estimate given.
fn submissions(d: &mut DriveEstimate, n: u32, ns: u64) -> Option<u64> {
    (0..n).filter_map(|_| d.add_submission(ns)).last()
}

#[test]
fn nothing_is_learnt_before_a_window_closes() {
    let mut d = DriveEstimate::new();
    assert_eq!(submissions(&mut d, WINDOW - 1, 5_000), None);
    assert_eq!(d.value(), 0);
    assert_eq!(d.add_submission(5_000), Some(5_000));
    assert_eq!(d.value(), 5_000);
}

#[test]
fn the_first_window_is_its_mean_and_later_ones_move_it_by_a_quarter() {
    let mut d = DriveEstimate::new();
    submissions(&mut d, WINDOW / 2, 4_000);
    assert_eq!(submissions(&mut d, WINDOW / 2, 8_000), Some(6_000));
    let next = 6_000 + (10_000 - 6_000) / GAIN;
    assert_eq!(submissions(&mut d, WINDOW, 10_000), Some(next));
    let down = next - (next - 2_000) / GAIN;
    assert_eq!(submissions(&mut d, WINDOW, 2_000), Some(down));
}

#[test]
fn an_outlier_counts_at_most_the_clamp_times_the_estimate() {
    let mut d = DriveEstimate::new();
    submissions(&mut d, WINDOW, 1_000);
    // One preempted submission of a second among ordinary ones.
    d.add_submission(1_000_000_000);
    let got = submissions(&mut d, WINDOW - 1, 1_000).unwrap();
    let window_mean = (CLAMP * 1_000 + u64::from(WINDOW - 1) * 1_000) / u64::from(WINDOW);
    assert_eq!(got, 1_000 + (window_mean - 1_000) / GAIN);
}

#[test]
fn handling_is_per_job_and_adds_to_submission() {
    let mut d = DriveEstimate::new();
    submissions(&mut d, WINDOW, 3_000);
    // Batches of 4 jobs handled in 20 us: 5 us a job.
    let got = (0..WINDOW / 4)
        .filter_map(|_| d.add_handling(20_000, 4))
        .last();
    assert_eq!(got, Some(8_000));
    assert_eq!(d.value(), 8_000);
    assert_eq!(d.add_handling(1, 0), None, "a batch of no job is ignored");
}

#[test]
fn handling_alone_is_an_estimate_too() {
    let mut d = DriveEstimate::new();
    assert_eq!(d.add_handling(64_000, WINDOW), Some(2_000));
    assert_eq!(d.value(), 2_000);
}

proptest! {
    /// Constant samples are learnt exactly, whatever the batching.
    #[test]
    fn constant_samples_are_learnt_exactly(ns in 1u64..10_000_000, batch in 1u32..=64) {
        let mut d = DriveEstimate::new();
        for _ in 0..4 * WINDOW {
            d.add_submission(ns);
            d.add_handling(ns * u64::from(batch), batch);
        }
        prop_assert_eq!(d.value(), 2 * ns);
    }

    /// The estimate stays within the samples' range (each counting at most
    /// `MAX_NS`), and never overflows.
    #[test]
    fn the_estimate_stays_within_the_samples(
        samples in prop::collection::vec(0u64..=u64::MAX, 1..300),
    ) {
        let mut d = DriveEstimate::new();
        let lo = samples.iter().copied().min().unwrap_or(0).min(MAX_NS);
        let hi = samples.iter().copied().max().unwrap_or(0).min(MAX_NS);
        let windows = samples.len() >= WINDOW as usize;
        for s in samples {
            d.add_submission(s);
        }
        if windows {
            prop_assert!(d.value() >= lo.min(hi) && d.value() <= hi);
        }
    }
}

// SPDX-License-Identifier: GPL-2.0

//! Whether the CPU backend gives way to the engines under the
//! earliest-completion policy, decided by measuring what the layer
//! delivers both ways.
//!
//! Where the CPU's copies and the engines share a bottleneck (memory
//! bandwidth; on a virtual machine, the host's cores that run the guest's
//! CPU and the engines' models alike), a CPU copy can cost the engines
//! more bytes than it moves, and the earliest-completion rule, which takes
//! the backends as independent, cannot see it: every backend's own rate
//! looks right, the sum is lower. `make bench` showed it on 2 host cores:
//! the best static split gave the CPU none of the 256 KiB copies in some
//! boots (6699 MB/s for the fast engine alone, 6375 with 10 % on the CPU,
//! 5639 with 20 %), where earliest-completion gave it 13-18 %; where the
//! backends are independent, the CPU's share is a gain.
//!
//! So the layer measures. Time is cut into windows of [`WINDOW_NS`]; in
//! each, the CPU backend either competes as the rule says (*compete*) or
//! gives way (*yield*) as under the engines-first policy: it takes no
//! request an engine does alone sooner and in less CPU time than its copy
//! (`BackendTable::select`). What counts is the bytes all backends
//! complete in a window, whatever limited them: a CPU copy that keeps the
//! submitters off the CPU, or the engines' models off the host's cores,
//! costs what the layer delivers, and that is what is compared. (Under a
//! light load both modes deliver what they are offered, and the margin
//! keeps the CPU competing.) A window that lasted over twice
//! [`WINDOW_NS`] spanned an idle spell and does not count. Each mode's
//! throughput is the mean of its first windows, then a moving average
//! (gain 1/[`GAIN`]). The modes alternate until each has [`WARMUP`]
//! windows; then the layer runs the better one, yield only when it
//! delivered [`MARGIN_PCT`] % more, and every [`PROBE_EVERY`]-th window
//! the other, so that a change either way is seen.
//!
//! The windows are long because the effect is slow: in windows of 20 ms,
//! `make bench` measured yielding to deliver less than competing in every
//! repetition (5.4-6.2 against 5.6-6.7 GB/s; 10 ms windows were no
//! better), where whole seconds of it delivered 10-15 % more; in windows
//! of 100 ms it measured more (4-36 % in three boots), as whole seconds
//! did.
//!
//! The table feeds it only while the choice exists (the earliest-
//! completion policy, a CPU backend and an engine both available) and
//! forgets it when a backend registers or leaves ([`YieldProbe::reset`]).
//!
//! Kernel-free (`core` only, no floating point, no 128-bit arithmetic):
//! compiled into the driver and into the host crate `tools/lbdx-logic`,
//! whose tests check it.

/// Length of a measuring window, nanoseconds.
pub const WINDOW_NS: u64 = 100_000_000;
/// Windows each mode is measured in, alternating, before either is
/// preferred.
pub const WARMUP: u32 = 2;
/// One window in this many runs the mode the measurements do not favour.
pub const PROBE_EVERY: u32 = 8;
/// A window's throughput moves its mode's average by 1/`GAIN` of the
/// difference.
pub const GAIN: u64 = 4;
/// How much more yielding must have delivered, percent, to be preferred.
pub const MARGIN_PCT: u64 = 3;

use super::backend_select::{scale_div, toward};

/// Nanoseconds per second.
const NS_PER_SEC: u64 = 1_000_000_000;

/// How the CPU backend takes part during a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// It competes by the earliest-completion rule.
    Compete,
    /// It gives way to an engine that does a request sooner alone.
    Yield,
}

impl Mode {
    const fn index(self) -> usize {
        match self {
            Self::Compete => 0,
            Self::Yield => 1,
        }
    }

    const fn other(self) -> Self {
        match self {
            Self::Compete => Self::Yield,
            Self::Yield => Self::Compete,
        }
    }
}

/// The measurements and the mode of the current window.
// INVARIANT: `start_ns` is `None` exactly when no completion was seen
// since the last reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct YieldProbe {
    mode: Mode,
    /// Start of the current window, monotonic ns.
    start_ns: Option<u64>,
    /// Bytes completed in the current window.
    bytes: u64,
    /// Windows closed since the last reset.
    windows: u32,
    /// Per mode ([`Mode::index`]), bytes per second delivered (mean, then
    /// moving average, of its windows) and how many.
    rate: [u64; 2],
    samples: [u32; 2],
}

impl Default for YieldProbe {
    fn default() -> Self {
        Self::new()
    }
}

impl YieldProbe {
    /// Nothing measured; the CPU competes.
    pub const fn new() -> Self {
        Self {
            mode: Mode::Compete,
            start_ns: None,
            bytes: 0,
            windows: 0,
            rate: [0; 2],
            samples: [0; 2],
        }
    }

    /// Forgets what was measured (a backend registered or left): the
    /// CPU competes again.
    pub fn reset(&mut self) {
        *self = Self::new();
    }

    /// The mode of the current window.
    pub const fn mode(&self) -> Mode {
        self.mode
    }

    /// Whether the CPU backend gives way now.
    pub fn yields(&self) -> bool {
        self.mode == Mode::Yield
    }

    /// Bytes per second `mode` delivered, as measured (0: not yet).
    pub fn rate(&self, mode: Mode) -> u64 {
        self.rate[mode.index()]
    }

    /// A backend completed `bytes` at `now_ns`. Closes the window when it
    /// is [`WINDOW_NS`] old and picks the next one's mode.
    pub fn on_complete(&mut self, bytes: u64, now_ns: u64) {
        let Some(start) = self.start_ns else {
            // The first window starts at the first completion: an idle
            // layer before it counts nowhere.
            self.start_ns = Some(now_ns);
            self.bytes = 0;
            return;
        };
        self.bytes = self.bytes.saturating_add(bytes);
        let elapsed = now_ns.saturating_sub(start);
        if elapsed < WINDOW_NS {
            return;
        }
        if elapsed <= 2 * WINDOW_NS {
            let r = scale_div(self.bytes, NS_PER_SEC, elapsed);
            let m = self.mode.index();
            let n = self.samples[m].saturating_add(1);
            self.samples[m] = n;
            self.rate[m] = toward(self.rate[m], r, u64::from(n).min(GAIN));
        }
        self.windows = self.windows.saturating_add(1);
        self.mode = if self.samples.iter().any(|&n| n < WARMUP) {
            self.mode.other()
        } else if self.windows.is_multiple_of(PROBE_EVERY) {
            self.preferred().other()
        } else {
            self.preferred()
        };
        self.start_ns = Some(now_ns);
        self.bytes = 0;
    }

    /// What the measurements favour: yield if it delivered
    /// [`MARGIN_PCT`] % more than competing.
    fn preferred(&self) -> Mode {
        let [compete, yielding] = self.rate;
        if yielding.saturating_mul(100) > compete.saturating_mul(100 + MARGIN_PCT) {
            Mode::Yield
        } else {
            Mode::Compete
        }
    }
}

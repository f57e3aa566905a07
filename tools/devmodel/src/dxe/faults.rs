// SPDX-License-Identifier: GPL-2.0

//! The DXE fault plan: failures the model injects on purpose so that a
//! driver's error paths can be exercised.
//!
//! Syntax (items separated by `;`):
//!
//! * `error-every=N`: every Nth descriptor executed fails with `Injected`;
//! * `error-rate=P[@SEED]`: each executed descriptor fails with
//!   probability P (0..=1), drawn from a PRNG seeded with SEED (default 0);
//! * `halt=CH@N`: channel CH halts (cause `Injected`) when it has completed
//!   N descriptors;
//! * `hang@N`: the device stops answering once N descriptors completed;
//! * `stall-len=L`: the first executed descriptor of exactly L bytes stays
//!   in progress, without moving data, until its channel or the device is
//!   reset (a channel that makes no progress);
//! * `reset-delay=MS`: a channel reset takes MS milliseconds (1..=10000)
//!   unless the channel is quiescent already:
//!   until then `CH_STATUS.QUIESCENT` reads 0, the channel ignores writes,
//!   and when it ends, the descriptor it abandoned (if one was in
//!   progress) writes its destination one last time, with [`LATE_BYTE`],
//!   before the channel reads quiescent. A driver that reuses the buffers
//!   before `QUIESCENT` finds them overwritten.
//!
//! "Executed" means passed validation; counts run from model start and
//! are not cleared by device resets. Each halt, the stall and the hang
//! fire once.

/// What an abandoned descriptor's late destination write leaves in every
/// byte (`reset-delay`).
pub const LATE_BYTE: u8 = 0xdb;
/// Longest `reset-delay`, milliseconds.
pub const MAX_RESET_DELAY_MS: u64 = 10_000;

/// A parsed fault plan.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultPlan {
    /// `error-every=N`.
    pub error_every: Option<u64>,
    /// `error-rate=P@SEED`.
    pub error_rate: Option<(f64, u64)>,
    /// `halt=CH@N` items.
    pub halts: Vec<(u32, u64)>,
    /// `hang@N`.
    pub hang_at: Option<u64>,
    /// `stall-len=L`.
    pub stall_len: Option<u32>,
    /// `reset-delay=MS`, milliseconds.
    pub reset_delay_ms: Option<u64>,
}

fn count(s: &str, what: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("{what}: expected a count of at least 1, got '{s}'")),
    }
}

impl FaultPlan {
    /// Parses a plan; an empty string is the empty plan.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut plan = Self::default();
        for item in s.split(';').map(str::trim).filter(|i| !i.is_empty()) {
            if let Some(n) = item.strip_prefix("error-every=") {
                if plan.error_every.is_some() {
                    return Err("error-every given twice".into());
                }
                plan.error_every = Some(count(n, "error-every")?);
            } else if let Some(v) = item.strip_prefix("error-rate=") {
                if plan.error_rate.is_some() {
                    return Err("error-rate given twice".into());
                }
                let (p, seed) = match v.split_once('@') {
                    Some((p, seed)) => (
                        p,
                        seed.trim()
                            .parse::<u64>()
                            .map_err(|_| format!("error-rate: bad seed '{seed}'"))?,
                    ),
                    None => (v, 0),
                };
                let p: f64 = p
                    .trim()
                    .parse()
                    .map_err(|_| format!("error-rate: bad probability '{p}'"))?;
                if !(0.0..=1.0).contains(&p) {
                    return Err(format!("error-rate: probability {p} outside 0..1"));
                }
                plan.error_rate = Some((p, seed));
            } else if let Some(v) = item.strip_prefix("halt=") {
                let (ch, n) = v
                    .split_once('@')
                    .ok_or_else(|| format!("halt: expected CH@N, got '{v}'"))?;
                let ch = ch
                    .trim()
                    .parse::<u32>()
                    .map_err(|_| format!("halt: bad channel '{ch}'"))?;
                if plan.halts.iter().any(|&(c, _)| c == ch) {
                    return Err(format!("halt: channel {ch} given twice"));
                }
                plan.halts.push((ch, count(n, "halt")?));
            } else if let Some(n) = item.strip_prefix("stall-len=") {
                if plan.stall_len.is_some() {
                    return Err("stall-len given twice".into());
                }
                let n = count(n, "stall-len")?;
                plan.stall_len =
                    Some(u32::try_from(n).map_err(|_| format!("stall-len: {n} is too large"))?);
            } else if let Some(n) = item.strip_prefix("reset-delay=") {
                if plan.reset_delay_ms.is_some() {
                    return Err("reset-delay given twice".into());
                }
                let ms = count(n, "reset-delay")?;
                if ms > MAX_RESET_DELAY_MS {
                    return Err(format!(
                        "reset-delay: {ms} ms is more than {MAX_RESET_DELAY_MS}"
                    ));
                }
                plan.reset_delay_ms = Some(ms);
            } else if let Some(n) = item.strip_prefix("hang@") {
                if plan.hang_at.is_some() {
                    return Err("hang given twice".into());
                }
                plan.hang_at = Some(count(n, "hang")?);
            } else {
                return Err(format!(
                    "unknown fault item '{item}' (expected error-every=N, \
                     error-rate=P[@SEED], halt=CH@N, hang@N, stall-len=L \
                     or reset-delay=MS)"
                ));
            }
        }
        Ok(plan)
    }

    /// Checks the plan against the device's channel count.
    pub fn check(&self, channels: u32) -> Result<(), String> {
        match self.halts.iter().find(|&&(c, _)| c >= channels) {
            Some((c, _)) => Err(format!(
                "halt: channel {c} does not exist (device has {channels})"
            )),
            None => Ok(()),
        }
    }
}

/// What completing a descriptor triggered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Triggered {
    /// The channel must halt with cause `Injected`.
    pub halt: bool,
    /// The device must hang.
    pub hang: bool,
}

/// A fault plan with its counters.
#[derive(Clone, Debug)]
pub struct FaultState {
    plan: FaultPlan,
    executed: u64,
    completed: u64,
    chan_completed: Vec<u64>,
    rng: u64,
    stalled: bool,
}

impl FaultState {
    /// Fresh counters for `plan` on a device with `channels` channels.
    pub fn new(plan: FaultPlan, channels: u32) -> Self {
        let rng = plan.error_rate.map_or(0, |(_, seed)| seed);
        Self {
            plan,
            executed: 0,
            completed: 0,
            chan_completed: vec![0; channels as usize],
            rng,
            stalled: false,
        }
    }

    /// The plan.
    pub fn plan(&self) -> &FaultPlan {
        &self.plan
    }

    /// splitmix64: small, deterministic, good enough for fault injection.
    fn next_random(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Counts a descriptor about to be executed; `true` if it must fail
    /// with `Injected` instead.
    pub fn on_execute(&mut self) -> bool {
        self.executed += 1;
        let every = self
            .plan
            .error_every
            .is_some_and(|n| self.executed.is_multiple_of(n));
        let rate = match self.plan.error_rate {
            Some((p, _)) => {
                // 53 random bits as a uniform value in [0, 1).
                let u = (self.next_random() >> 11) as f64 / (1u64 << 53) as f64;
                u < p
            }
            None => false,
        };
        every || rate
    }

    /// Whether an executed descriptor of `len` bytes must stall
    /// (`stall-len`, once).
    pub fn on_stall(&mut self, len: u32) -> bool {
        let stall = !self.stalled && self.plan.stall_len == Some(len);
        self.stalled |= stall;
        stall
    }

    /// How long a channel reset takes (`reset-delay`; zero: it is over
    /// within the write).
    pub fn reset_delay(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.plan.reset_delay_ms.unwrap_or(0))
    }

    /// Counts a completed descriptor of channel `chan`.
    pub fn on_complete(&mut self, chan: u32) -> Triggered {
        self.completed += 1;
        let mut t = Triggered::default();
        if let Some(n) = self.chan_completed.get_mut(chan as usize) {
            *n += 1;
            let n = *n;
            t.halt = self.plan.halts.iter().any(|&(c, at)| c == chan && at == n);
        }
        t.hang = self.plan.hang_at == Some(self.completed);
        t
    }
}

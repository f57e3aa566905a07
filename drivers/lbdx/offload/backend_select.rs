// SPDX-License-Identifier: GPL-2.0

//! Backend table and per-request backend choice of the async-offload layer.
//!
//! This file owns what the middle layer knows about its backends (the DXE
//! engines and the CPU software backend) and the rule that picks one for a
//! request: capabilities, bandwidth estimate, fixed per-request cost, bytes
//! queued, health, and the registration generation. It does not own a
//! request's life: `request_state.rs` drives failover and completion and
//! calls in here for every choice and every piece of accounting.
//!
//! Rules, in order, for [`BackendTable::select`]:
//! 1. Candidates are the registered, available
//!    ([`BackendTable::set_available`]) backends that can do the request
//!    ([`Caps::allows`]), are not in its [`ExcludeSet`], and, under
//!    [`Policy::CpuOnly`], are flagged as the CPU backend.
//! 2. Healthy candidates are preferred; degraded ones are used only when no
//!    healthy candidate is left.
//! 3. [`Policy::EarliestCompletion`] takes the candidate whose estimated
//!    completion time, per-request cost + (queued bytes + request bytes) /
//!    bandwidth, is earliest; ties go to fewer
//!    queued bytes, then to the lower slot. [`Policy::RoundRobin`] takes
//!    the next candidate after the previous pick, in slot order.
//!    [`Policy::CpuOnly`] uses the earliest completion rule among CPU
//!    backends. [`Policy::Weighted`] splits the bytes in proportion to the
//!    backends' weights ([`BackendTable::set_weight`]): the candidate of
//!    weight above 0 with the lowest virtual finish time (bytes it was
//!    given over its weight, from when it last competed) is taken, ties to
//!    the lower slot; with no such candidate, the earliest completion rule.
//!    Where backends were given a drive cost, the CPU time one of their
//!    requests takes from the CPU ([`BackendTable::set_drive_cost`]), the
//!    earliest completion rule counts it: the CPU's estimate adds the
//!    drive costs of the attempts in flight, such a backend's estimate is
//!    the later of its own and that sum, plus its drive cost, and it does
//!    not compete for a request the CPU alone copies in less than that.
//!    [`Policy::EnginesFirst`] is the earliest completion rule where the
//!    CPU backends do not compete for a request an engine among the
//!    candidates does alone (its queue left out) sooner and in less CPU
//!    time than a CPU copy takes (`BackendTable::engine_does_sooner`);
//!    [`Policy::EarliestCompletion`] is that rule too while the CPU
//!    backend gives way ([`BackendTable::cpu_yields`]: measured to
//!    deliver more, `cpu_yield.rs`).
//! 4. Under [`Policy::EarliestCompletion`], a request a backend refused
//!    for now (full queue) waits for it rather than going to a backend
//!    estimated to finish it later ([`BackendTable::better_to_wait`]);
//!    under [`Policy::EnginesFirst`] too, and rather than going to a CPU
//!    backend if that engine does it alone sooner; under
//!    [`Policy::Weighted`] it waits for it whenever it holds attempts, so
//!    the split holds.
//!
//! Health: `K` consecutive failures ([`HealthRules::fail_threshold`]) make
//! a backend degraded; a success or a cool-down of
//! [`HealthRules::cooldown_ns`] on the caller's monotonic clock makes it
//! healthy again.
//!
//! Kernel-free (`core` only, no allocation, no floating point, no 128-bit
//! arithmetic, no panic reachable from an argument): compiled into the
//! driver and into the host crate `tools/lbdx-logic`, whose tests check
//! every rule. The caller serializes calls.

use super::cpu_yield::{Mode, YieldProbe};

/// Most backends a table holds.
pub const MAX_BACKENDS: usize = 16;

/// Nanoseconds per second.
const NS_PER_SEC: u64 = 1_000_000_000;

/// How many times its estimate an attempt may take before the layer gives
/// up on it (on top of [`DEADLINE_FLOOR_NS`]).
pub const DEADLINE_MARGIN: u64 = 8;
/// Least time an attempt may take before the layer gives up on it: well
/// beyond a backend's own timeouts (a DXE channel's is 1 s plus twice its
/// queue's transfer time), which stop the work safely first.
pub const DEADLINE_FLOOR_NS: u64 = 5 * NS_PER_SEC;

/// Fraction bits of the fixed-point time per byte.
const INV_SHIFT: u32 = 16;

/// Most a learnt bandwidth may exceed the registered one, times.
const MAX_LEARNT_SPEEDUP: u64 = 4;

/// Part of the bandwidth sums a new sample replaces: `1 / 2^EWMA_SHIFT`.
const EWMA_SHIFT: u32 = 3;
/// Bytes the bandwidth sums hold at registration (as if samples of
/// 64 KiB at the registered bandwidth had filled them).
const PRIOR_BYTES: u64 = (64 << 10) << EWMA_SHIFT;

/// Weight a backend registers with under [`Policy::Weighted`].
pub const DEFAULT_WEIGHT: u32 = 100;
/// Largest weight [`BackendTable::set_weight`] takes.
pub const MAX_WEIGHT: u32 = 10_000;
/// Virtual time a byte costs a backend of weight 1 (fixed point).
const WEIGHT_STRIDE: u64 = 1 << 16;
/// Virtual time past which every backend's is taken back to 0: far below
/// overflow (one request adds at most 2^64 / 2^16 times less).
const VTIME_REBASE: u64 = 1 << 62;

/// Bit mask with one bit per slot of a [`BackendTable`].
pub type SlotMask = u16;

/// Every slot.
pub const ALL_SLOTS: SlotMask = SlotMask::MAX;

/// An operation a backend may offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Copy one buffer into another.
    Copy,
    /// Fill a buffer with a pattern.
    Fill,
    /// Xor N sources into a destination.
    Xor,
    /// Check that N sources xor to zero; the answer is a result, not an
    /// error.
    XorVal,
    /// RAID-6 P and Q of N sources: P their xor, Q their sum weighted by
    /// one GF(2^8) coefficient each.
    Pq,
    /// Check P and Q against N sources; the answer is a result, not an
    /// error.
    PqVal,
}

impl Op {
    /// The bit of this operation in an [`OpSet`].
    pub const fn bit(self) -> u8 {
        match self {
            Self::Copy => OpSet::COPY.0,
            Self::Fill => OpSet::FILL.0,
            Self::Xor => OpSet::XOR.0,
            Self::XorVal => OpSet::XOR_VAL.0,
            Self::Pq => OpSet::PQ.0,
            Self::PqVal => OpSet::PQ_VAL.0,
        }
    }

    /// Every operation, in [`Op::index`] order.
    pub const ALL: [Self; 6] = [
        Self::Copy,
        Self::Fill,
        Self::Xor,
        Self::XorVal,
        Self::Pq,
        Self::PqVal,
    ];

    /// Index of the operation in per-operation arrays, below
    /// [`Op::ALL`]`.len()`; also its `enum lbdx_op` value in C.
    pub const fn index(self) -> usize {
        match self {
            Self::Copy => 0,
            Self::Fill => 1,
            Self::Xor => 2,
            Self::XorVal => 3,
            Self::Pq => 4,
            Self::PqVal => 5,
        }
    }

    /// The bits of a backend's result that are the operation's answer:
    /// one for xor-validate, two (P, Q) for P+Q-validate, none otherwise.
    pub const fn result_mask(self) -> u32 {
        match self {
            Self::XorVal => 1,
            Self::PqVal => 3,
            _ => 0,
        }
    }

    /// Whether the operation is P+Q or its validation (its sources have
    /// coefficients).
    pub const fn is_pq(self) -> bool {
        matches!(self, Self::Pq | Self::PqVal)
    }

    /// Whether the operation reads a number of sources.
    pub const fn has_sources(self) -> bool {
        matches!(self, Self::Xor | Self::XorVal | Self::Pq | Self::PqVal)
    }
}

/// A set of operations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpSet(pub u8);

impl OpSet {
    /// [`Op::Copy`].
    pub const COPY: Self = Self(1 << 0);
    /// [`Op::Fill`].
    pub const FILL: Self = Self(1 << 1);
    /// [`Op::Xor`].
    pub const XOR: Self = Self(1 << 2);
    /// [`Op::XorVal`].
    pub const XOR_VAL: Self = Self(1 << 3);
    /// [`Op::Pq`].
    pub const PQ: Self = Self(1 << 4);
    /// [`Op::PqVal`].
    pub const PQ_VAL: Self = Self(1 << 5);
    /// Every operation.
    pub const ALL: Self = Self(0x3f);

    /// The union of two sets.
    pub const fn with(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Whether `op` is in the set.
    pub const fn contains(self, op: Op) -> bool {
        self.0 & op.bit() != 0
    }
}

/// What a backend can do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caps {
    /// Operations offered.
    pub ops: OpSet,
    /// Most sources of an xor, xor-validate, P+Q or P+Q-validate.
    pub max_xor_sources: u32,
    /// Most bytes of one request.
    pub max_len: u64,
    /// Alignment every buffer address must have, in bytes: a power of two
    /// (0 and 1 both mean none).
    pub align: u32,
}

impl Caps {
    /// Whether a backend with these capabilities can do `req`: the
    /// operation is offered, the length is within `max_len`, an operation
    /// with sources ([`Op::has_sources`]) has 1..=`max_xor_sources` of them
    /// and the buffers are aligned enough.
    pub fn allows(&self, req: &Request) -> bool {
        let sources_ok =
            !req.op.has_sources() || (req.sources >= 1 && req.sources <= self.max_xor_sources);
        self.ops.contains(req.op) && req.len <= self.max_len && sources_ok && self.aligned(req)
    }

    fn aligned(&self, req: &Request) -> bool {
        self.align <= 1 || (req.align != 0 && req.align.checked_rem(self.align) == Some(0))
    }
}

/// One request, as selection sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// The operation.
    pub op: Op,
    /// Bytes of the destination and of each source.
    pub len: u64,
    /// Sources of an operation that has them ([`Op::has_sources`]);
    /// ignored otherwise.
    pub sources: u32,
    /// Largest power of two dividing every buffer address (see
    /// [`Request::align_of`]); 0 is taken as unaligned.
    pub align: u32,
}

impl Request {
    /// The `align` value for buffers whose addresses OR-ed together give
    /// `addr_or`: its lowest set bit, at most 2^31 (2^31 for 0).
    pub const fn align_of(addr_or: u64) -> u32 {
        let tz = addr_or.trailing_zeros();
        if tz >= 31 {
            1 << 31
        } else {
            1 << tz
        }
    }
}

/// What a backend brings to registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackendDesc {
    /// Capabilities.
    pub caps: Caps,
    /// Initial bandwidth estimate, bytes per second (at least 1).
    pub bandwidth: u64,
    /// Fixed cost of one request, nanoseconds.
    pub request_cost_ns: u64,
    /// Whether this is the CPU software backend (the one
    /// [`Policy::CpuOnly`] uses).
    pub is_cpu: bool,
}

/// How [`BackendTable::select`] chooses among candidates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Policy {
    /// Earliest estimated completion time.
    #[default]
    EarliestCompletion,
    /// Next candidate in slot order after the previous pick of the same
    /// operation.
    RoundRobin,
    /// Only CPU backends, earliest estimated completion among them.
    CpuOnly,
    /// A fixed split of the bytes in proportion to each backend's weight.
    Weighted,
    /// Earliest estimated completion, but the CPU backends take no request
    /// an engine does alone sooner: CPU time is kept for what the engines
    /// do not do better, and CPU copies do not compete with the engines
    /// for what they share (memory bandwidth; on a virtual machine, the
    /// host's cores that run the guest and the engines' models).
    EnginesFirst,
}

impl Policy {
    /// Every policy, in the order sysfs lists them.
    pub const ALL: [Self; 5] = [
        Self::EarliestCompletion,
        Self::RoundRobin,
        Self::CpuOnly,
        Self::Weighted,
        Self::EnginesFirst,
    ];

    /// The policy's name in sysfs.
    pub const fn name(self) -> &'static str {
        match self {
            Self::EarliestCompletion => "earliest-completion",
            Self::RoundRobin => "round-robin",
            Self::CpuOnly => "cpu-only",
            Self::Weighted => "weighted",
            Self::EnginesFirst => "engines-first",
        }
    }

    /// The policy named `s` (one trailing newline allowed, as `echo`
    /// writes it); `None` for any other input.
    pub fn parse(s: &[u8]) -> Option<Self> {
        let s = s.strip_suffix(b"\n").unwrap_or(s);
        Self::ALL.into_iter().find(|p| p.name().as_bytes() == s)
    }
}

/// When a backend is degraded and when it recovers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthRules {
    /// Consecutive failures that make a backend degraded (0: never).
    pub fail_threshold: u32,
    /// Time after its last failure at which a degraded backend is healthy
    /// again, nanoseconds of the caller's monotonic clock.
    pub cooldown_ns: u64,
}

impl Default for HealthRules {
    /// Three failures in a row; one second of cool-down.
    fn default() -> Self {
        Self {
            fail_threshold: 3,
            cooldown_ns: NS_PER_SEC,
        }
    }
}

/// Health of a backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    /// Used whenever it is a candidate.
    Healthy,
    /// Used only when no healthy candidate is left.
    Degraded {
        /// Clock value of the last failure.
        since_ns: u64,
    },
}

/// A registered backend: its slot and the generation it registered at, so
/// an identifier of an unregistered backend never names its successor in
/// the same slot. Ordered by slot, then registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BackendId {
    slot: u8,
    reg: u64,
}

impl BackendId {
    /// The slot, below [`MAX_BACKENDS`].
    pub const fn slot(self) -> usize {
        self.slot as usize
    }

    /// The table generation this registration created.
    pub const fn registration(self) -> u64 {
        self.reg
    }

    /// The identifier as one word, never 0 (generations start at 1): what
    /// an atomic can hold. Generations stay below 2^56 (one registration
    /// a nanosecond would take two years to get there).
    pub const fn to_word(self) -> u64 {
        (self.reg << 8) | self.slot as u64
    }

    /// The identifier [`BackendId::to_word`] gave `word`; `None` for 0.
    pub const fn from_word(word: u64) -> Option<Self> {
        if word == 0 {
            None
        } else {
            Some(Self {
                slot: (word & 0xff) as u8,
                reg: word >> 8,
            })
        }
    }
}

/// Why a table operation failed. A failed operation changed nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectError {
    /// All [`MAX_BACKENDS`] slots are taken (`ENOSPC`).
    Full,
    /// A descriptor or byte count is not allowed (`EINVAL`).
    Invalid,
    /// The backend is no longer registered (`ENOENT`).
    Stale,
}

impl SelectError {
    /// The positive errno value the driver returns for this error.
    pub const fn errno(self) -> i32 {
        match self {
            Self::Full => 28,
            Self::Invalid => 22,
            Self::Stale => 2,
        }
    }
}

/// What [`BackendTable::status`] reports about one backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackendStatus {
    /// Bandwidth estimate, bytes per second.
    pub bandwidth: u64,
    /// Bytes submitted and not completed.
    pub queued: u64,
    /// Health.
    pub health: Health,
    /// Consecutive failures.
    pub failures: u32,
    /// Whether selection may pick it (see [`BackendTable::set_available`]).
    pub available: bool,
    /// Its share under [`Policy::Weighted`] ([`BackendTable::set_weight`]).
    pub weight: u32,
    /// CPU time each of its requests takes from the CPU backend
    /// ([`BackendTable::set_drive_cost`]).
    pub drive_ns: u64,
}

/// Backends already tried by one request, as seen by the table.
///
/// A bit stands for the backend registered in its slot when the set was
/// last changed; a slot registered again later is no longer excluded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExcludeSet {
    // INVARIANT: every set bit names a slot whose registration generation
    // was at most `gen` when the bit was set.
    mask: SlotMask,
    gen: u64,
}

impl ExcludeSet {
    /// The empty set.
    pub const fn new() -> Self {
        Self { mask: 0, gen: 0 }
    }

    /// The raw slot mask (bits may be stale; see [`BackendTable::excludes`]).
    pub const fn mask(&self) -> SlotMask {
        self.mask
    }
}

/// Capable slots for one kind of request, remembered with the table
/// generation they were computed at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CandidateCache {
    template: Request,
    // INVARIANT: when `gen` is `Some(g)`, `mask` is the capable mask of
    // `template` in the table at generation `g`.
    gen: Option<u64>,
    mask: SlotMask,
}

impl CandidateCache {
    /// An empty cache for requests like `template` (same operation and
    /// sources, length and alignment that every later request stays within).
    pub const fn new(template: Request) -> Self {
        Self {
            template,
            gen: None,
            mask: 0,
        }
    }

    /// Whether the cache must be rebuilt for `table`.
    pub fn is_stale(&self, table: &BackendTable) -> bool {
        self.gen != Some(table.generation())
    }

    /// The generation the cache was built for, if built.
    pub const fn generation(&self) -> Option<u64> {
        self.gen
    }

    /// The capable slots, rebuilt first if the table changed since.
    pub fn candidates(&mut self, table: &BackendTable) -> SlotMask {
        if self.is_stale(table) {
            self.mask = table.capable_mask(&self.template);
            self.gen = Some(table.generation());
        }
        self.mask
    }
}

// INVARIANT: `bandwidth >= 1` and `inv_bw` is its fixed-point inverse;
// `sum_bytes >= 1`;
// `degraded_since` is `Some` only after `failures` reached the threshold;
// `weight <= MAX_WEIGHT`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Backend {
    desc: BackendDesc,
    reg: u64,
    bandwidth: u64,
    inv_bw: u64,
    /// Decayed sums of the samples' service time and bytes.
    sum_ns: u64,
    sum_bytes: u64,
    queued: u64,
    failures: u32,
    degraded_since: Option<u64>,
    paused: bool,
    last_done_ns: u64,
    /// Whether the latest [`BackendTable::service_ns`] interval began at
    /// the request's submission (the backend idle), not at the previous
    /// completion.
    idle_start: bool,
    /// Share under [`Policy::Weighted`].
    weight: u32,
    /// Virtual time at which the bytes [`Policy::Weighted`] gave it end.
    vfinish: u64,
    /// CPU time each of its requests takes from the CPU backend
    /// ([`BackendTable::set_drive_cost`]).
    drive_ns: u64,
    /// Attempts submitted and not completed or released.
    inflight: u64,
}

impl Backend {
    fn new(desc: BackendDesc, reg: u64) -> Self {
        let mut b = Self {
            desc,
            reg,
            bandwidth: 1,
            inv_bw: 1,
            sum_ns: 0,
            sum_bytes: 1,
            queued: 0,
            failures: 0,
            degraded_since: None,
            paused: false,
            last_done_ns: 0,
            idle_start: false,
            weight: DEFAULT_WEIGHT,
            vfinish: 0,
            drive_ns: 0,
            inflight: 0,
        };
        b.set_bandwidth(desc.bandwidth);
        b
    }

    fn set_bandwidth(&mut self, bw: u64) {
        self.bandwidth = bw.max(1);
        self.inv_bw = ((NS_PER_SEC << INV_SHIFT) / self.bandwidth).max(1);
        self.sum_bytes = PRIOR_BYTES;
        self.sum_ns = scale_div(PRIOR_BYTES, self.inv_bw, 1 << INV_SHIFT);
    }

    /// Estimated nanoseconds until `len` more bytes would be done: one
    /// request's cost and all the bytes queued and new at the bandwidth
    /// estimate.
    ///
    /// The queued requests' costs are not added one by one: a backend
    /// working on several at once overlaps them, and what its queue really
    /// takes per byte, costs included, is what the estimate learns from
    /// back-to-back completions ([`Backend::sample`]). Adding them too
    /// charged a 4-channel engine at 16 GiB/s ~120 us for each of the
    /// jobs ahead where it took ~25 us (`make bench`), and costs the
    /// earliest-completion rule 1-2% of its median against full
    /// knowledge in every workload of `tools/offload-sim`.
    fn completion_ns(&self, len: u64) -> u64 {
        self.estimate_ns(self.queued.saturating_add(len))
    }

    /// Per-request cost plus the time `bytes` take at the bandwidth
    /// estimate.
    fn estimate_ns(&self, bytes: u64) -> u64 {
        let whole = (bytes >> INV_SHIFT).saturating_mul(self.inv_bw);
        let part = (bytes & ((1 << INV_SHIFT) - 1)).saturating_mul(self.inv_bw) >> INV_SHIFT;
        self.desc
            .request_cost_ns
            .saturating_add(whole)
            .saturating_add(part)
    }

    fn healthy(&self) -> bool {
        self.degraded_since.is_none()
    }

    /// Whether it does `len` bytes alone, its queue left out, sooner than
    /// `copy` and drives them in less CPU time than that.
    fn does_sooner(&self, len: u64, copy: u64) -> bool {
        self.estimate_ns(len) < copy && self.drive_ns < copy
    }

    /// Virtual time `len` bytes take at its weight (0 at weight 0).
    fn vcost(&self, len: u64) -> u64 {
        if self.weight == 0 {
            return 0;
        }
        scale_div(len.max(1), WEIGHT_STRIDE, u64::from(self.weight))
    }

    fn recover(&mut self) {
        self.failures = 0;
        self.degraded_since = None;
    }

    fn fail(&mut self, rules: &HealthRules, now_ns: u64) {
        self.failures = self.failures.saturating_add(1);
        if rules.fail_threshold != 0 && self.failures >= rules.fail_threshold {
            self.degraded_since = Some(now_ns);
        }
    }

    /// Folds a completed request into the bandwidth estimate.
    ///
    /// The estimate is time over bytes, both decayed sums (each sample
    /// replaces an eighth of them), not an average of rates or of each
    /// sample's time per byte: a backend working on several requests at
    /// once reports some completions back to back, with service times
    /// near 0, and an average of their rates would run away; and in a mix
    /// of sizes, an average of time per byte let the small requests, whose
    /// time is mostly cost, drag the estimate of an engine to a hundredth
    /// of its bandwidth (`tools/offload-sim`: learnt / true 0.64 in the
    /// median, 0.02 at p10; 0.95 and 0.32 by bytes). The per-request cost
    /// is taken out of a sample whose interval began at the request's own
    /// submission to an idle backend (all of the cost is inside it), since
    /// [`Backend::completion_ns`] counts one cost apart: a lone request's
    /// cost is not bytes. An interval that began at the previous
    /// completion holds an unknown part of the cost (channels overlap
    /// costs) and counts whole. Jobs that overlap can come back faster
    /// than their cost; the estimate stops at [`MAX_LEARNT_SPEEDUP`] times
    /// the registered bandwidth.
    fn sample(&mut self, bytes: u64, elapsed_ns: u64) {
        if bytes == 0 {
            return;
        }
        let ns = if self.idle_start {
            elapsed_ns.saturating_sub(self.desc.request_cost_ns)
        } else {
            elapsed_ns
        };
        self.sum_ns = (self.sum_ns - (self.sum_ns >> EWMA_SHIFT)).saturating_add(ns);
        self.sum_bytes = (self.sum_bytes - (self.sum_bytes >> EWMA_SHIFT))
            .saturating_add(bytes)
            .max(1);
        let new = scale_div(self.sum_ns, 1 << INV_SHIFT, self.sum_bytes);
        // Jobs that overlap (channels) can come back faster than their
        // cost: without a bound the estimate would run away.
        let floor = ((NS_PER_SEC << INV_SHIFT) / self.desc.bandwidth.max(1)) / MAX_LEARNT_SPEEDUP;
        self.inv_bw = new.max(floor).max(1);
        self.bandwidth = ((NS_PER_SEC << INV_SHIFT) / self.inv_bw).max(1);
    }
}

/// `avg` moved by 1/`gain` of the way to `sample` (`gain > 0`): the
/// moving averages of the learnt drive cost and of what the layer
/// delivers (`drive_estimate.rs`, `cpu_yield.rs`).
pub(crate) fn toward(avg: u64, sample: u64, gain: u64) -> u64 {
    if sample >= avg {
        avg + (sample - avg) / gain.max(1)
    } else {
        avg - (avg - sample) / gain.max(1)
    }
}

/// `a * b / c` without 128-bit arithmetic (`c > 0`); rounds down, and
/// saturates or loses precision only where the result passes 2^64 / `b`.
pub(crate) fn scale_div(a: u64, b: u64, c: u64) -> u64 {
    match a.checked_mul(b) {
        Some(p) => p / c.max(1),
        None => (a / c.max(1)).saturating_mul(b),
    }
}

/// The slots whose bits are set in `mask`, lowest first.
fn bits(mut mask: SlotMask) -> impl Iterator<Item = usize> {
    core::iter::from_fn(move || {
        if mask == 0 {
            return None;
        }
        let s = mask.trailing_zeros() as usize;
        mask &= mask - 1;
        Some(s)
    })
}

/// Bit of slot `s`.
fn slot_bit(s: usize) -> SlotMask {
    u32::try_from(s)
        .ok()
        .and_then(|s| (1 as SlotMask).checked_shl(s))
        .unwrap_or(0)
}

/// The registered backends, the policy and the generation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackendTable {
    slots: [Option<Backend>; MAX_BACKENDS],
    // INVARIANT: bumped by every successful register and unregister, and
    // greater than or equal to every slot's `reg`.
    generation: u64,
    policy: Policy,
    rules: HealthRules,
    // Per operation (`Op::index`), where round-robin looks first: an
    // operation only some backends offer must not steer the others'
    // rotation. INVARIANT: each below `MAX_BACKENDS`.
    rr_next: [usize; Op::ALL.len()],
    // INVARIANT: the bit of slot `s` is set exactly when slot `s` holds a
    // backend with `degraded_since` set.
    degraded: SlotMask,
    // Virtual time of [`Policy::Weighted`]: the start of the bytes last
    // given. INVARIANT: below `VTIME_REBASE`.
    vtime: u64,
    // CPU time the attempts in flight on the engines will still take from
    // the CPU. INVARIANT: the sum over the slots of `inflight * drive_ns`.
    drive_debt_ns: u64,
    // INVARIANT: the bit of slot `s` is set exactly when slot `s` holds a
    // backend with `drive_ns` above 0.
    drives: SlotMask,
    // INVARIANT: the bit of slot `s` is set exactly when slot `s` holds a
    // CPU backend (`desc.is_cpu`).
    cpus: SlotMask,
    // INVARIANT: the bit of slot `s` is set exactly when slot `s` holds a
    // backend.
    occupied: SlotMask,
    // INVARIANT: the bit of slot `s` is set only when slot `s` holds a
    // backend, and then exactly when selection may pick it
    // (`set_available`; set at registration).
    available: SlotMask,
    // Whether the CPU backend gives way under earliest-completion, and
    // what it was measured to deliver either way (`cpu_yield.rs`).
    yield_probe: YieldProbe,
}

impl BackendTable {
    /// An empty table at generation 0, policy
    /// [`Policy::EarliestCompletion`].
    pub const fn new(rules: HealthRules) -> Self {
        Self {
            slots: [None; MAX_BACKENDS],
            generation: 0,
            policy: Policy::EarliestCompletion,
            rules,
            rr_next: [0; Op::ALL.len()],
            degraded: 0,
            vtime: 0,
            drive_debt_ns: 0,
            drives: 0,
            cpus: 0,
            occupied: 0,
            available: 0,
            yield_probe: YieldProbe::new(),
        }
    }

    /// The registration generation.
    pub const fn generation(&self) -> u64 {
        self.generation
    }

    /// The selection policy.
    pub const fn policy(&self) -> Policy {
        self.policy
    }

    /// Switches the selection policy; requests already submitted stay
    /// where they are. The weighted split starts again from nothing given.
    pub fn set_policy(&mut self, policy: Policy) {
        self.policy = policy;
        self.restart_split();
    }

    /// Sets the weight of `id` under [`Policy::Weighted`] (0: none of the
    /// bytes while a backend of weight above 0 can take them); the split
    /// starts again from nothing given.
    ///
    /// `Stale`, `Invalid` (above [`MAX_WEIGHT`]).
    pub fn set_weight(&mut self, id: BackendId, weight: u32) -> Result<(), SelectError> {
        if weight > MAX_WEIGHT {
            return Err(SelectError::Invalid);
        }
        self.get_mut(id)?.weight = weight;
        self.restart_split();
        Ok(())
    }

    fn restart_split(&mut self) {
        self.vtime = 0;
        for b in self.slots.iter_mut().flatten() {
            b.vfinish = 0;
        }
    }

    /// Registers a backend in the lowest free slot and bumps the
    /// generation.
    ///
    /// `Invalid` (zero bandwidth, alignment not a power of two), `Full`.
    pub fn register(&mut self, desc: BackendDesc) -> Result<BackendId, SelectError> {
        let align_ok = desc.caps.align == 0 || desc.caps.align.is_power_of_two();
        if desc.bandwidth == 0 || !align_ok {
            return Err(SelectError::Invalid);
        }
        let gen = self.generation.checked_add(1).ok_or(SelectError::Full)?;
        let (slot, entry) = (0u8..)
            .zip(self.slots.iter_mut())
            .find(|(_, e)| e.is_none())
            .ok_or(SelectError::Full)?;
        *entry = Some(Backend::new(desc, gen));
        self.generation = gen;
        self.yield_probe.reset();
        let bit = slot_bit(usize::from(slot));
        self.occupied |= bit;
        self.available |= bit;
        if desc.is_cpu {
            self.cpus |= bit;
        }
        Ok(BackendId { slot, reg: gen })
    }

    /// Unregisters a backend and bumps the generation; returns the bytes it
    /// still had queued (their requests must go back to selection).
    ///
    /// `Stale`.
    pub fn unregister(&mut self, id: BackendId) -> Result<u64, SelectError> {
        let gen = self.generation.checked_add(1).ok_or(SelectError::Invalid)?;
        self.get(id)?;
        let (queued, debt) = self
            .slots
            .get_mut(id.slot())
            .and_then(Option::take)
            .map_or((0, 0), |b| {
                (b.queued, b.inflight.saturating_mul(b.drive_ns))
            });
        self.drive_debt_ns = self.drive_debt_ns.saturating_sub(debt);
        self.degraded &= !slot_bit(id.slot());
        self.drives &= !slot_bit(id.slot());
        self.cpus &= !slot_bit(id.slot());
        self.occupied &= !slot_bit(id.slot());
        self.available &= !slot_bit(id.slot());
        self.generation = gen;
        self.yield_probe.reset();
        Ok(queued)
    }

    /// The backend registered in `slot`, if any.
    pub fn id_at(&self, slot: usize) -> Option<BackendId> {
        let b = self.slots.get(slot)?.as_ref()?;
        let slot = u8::try_from(slot).ok()?;
        Some(BackendId { slot, reg: b.reg })
    }

    /// Whether `id` is still registered.
    pub fn is_registered(&self, id: BackendId) -> bool {
        self.get(id).is_ok()
    }

    /// The descriptor `id` registered with, its bandwidth as first given.
    pub fn desc(&self, id: BackendId) -> Result<BackendDesc, SelectError> {
        Ok(self.get(id)?.desc)
    }

    /// What the table knows about `id` now.
    pub fn status(&self, id: BackendId) -> Result<BackendStatus, SelectError> {
        let b = self.get(id)?;
        Ok(BackendStatus {
            bandwidth: b.bandwidth,
            queued: b.queued,
            health: match b.degraded_since {
                None => Health::Healthy,
                Some(since_ns) => Health::Degraded { since_ns },
            },
            failures: b.failures,
            available: self.is_available(id.slot()),
            weight: b.weight,
            drive_ns: b.drive_ns,
        })
    }

    /// Takes `id` out of selection (`false`: disabled by the operator, or
    /// the backend says it cannot take work) or puts it back (`true`, the
    /// state at registration). Its queued bytes stay accounted.
    ///
    /// `Stale`.
    pub fn set_available(&mut self, id: BackendId, available: bool) -> Result<(), SelectError> {
        self.get(id)?;
        let bit = slot_bit(id.slot());
        self.available = if available {
            self.available | bit
        } else {
            self.available & !bit
        };
        Ok(())
    }

    /// Marks `id` as paused (`true`): out of selection for a while (the
    /// backend halted to recover) but expected back, so that a request
    /// it could do waits instead of failing ([`BackendTable::any_paused`]).
    /// Independent of [`BackendTable::set_available`], which alone decides
    /// whether it is selected.
    ///
    /// `Stale`.
    pub fn set_paused(&mut self, id: BackendId, paused: bool) -> Result<(), SelectError> {
        self.get_mut(id)?.paused = paused;
        Ok(())
    }

    /// Sets the bandwidth estimate of `id` (bytes per second; 0 counts as
    /// 1), as a backend that measures itself reports it.
    pub fn set_bandwidth(&mut self, id: BackendId, bandwidth: u64) -> Result<(), SelectError> {
        self.get_mut(id)?.set_bandwidth(bandwidth);
        Ok(())
    }

    /// Sets the CPU time each request on `id` takes from the CPU backend
    /// (its driver's submission, interrupt and completion), nanoseconds;
    /// 0 at registration. Earliest-completion then counts, for the CPU
    /// backend, the CPU time the attempts in flight on such backends will
    /// still take, and for such a backend that its request completes only
    /// once the CPU got to it, and keeps it from the requests the CPU
    /// copies in less CPU time (see [`BackendTable::finish_ns`]).
    ///
    /// `Stale`, `Invalid` (above 0 for a CPU backend: its copies are its
    /// own CPU time).
    pub fn set_drive_cost(&mut self, id: BackendId, ns: u64) -> Result<(), SelectError> {
        let b = self.get_mut(id)?;
        if b.desc.is_cpu && ns > 0 {
            return Err(SelectError::Invalid);
        }
        let (old, new) = (
            b.inflight.saturating_mul(b.drive_ns),
            b.inflight.saturating_mul(ns),
        );
        b.drive_ns = ns;
        self.drive_debt_ns = self.drive_debt_ns.saturating_sub(old).saturating_add(new);
        let bit = slot_bit(id.slot());
        self.drives = if ns > 0 {
            self.drives | bit
        } else {
            self.drives & !bit
        };
        Ok(())
    }

    /// When `len` more bytes on `b` would be done, in nanoseconds from
    /// now ([`Backend::completion_ns`]), counting the CPU time engines'
    /// requests take from the CPU ([`BackendTable::set_drive_cost`]):
    /// the CPU backend's copy ends after the CPU handled the attempts in
    /// flight on those engines (their interrupts come first), and such an
    /// engine's request once the CPU handled those and it. Such an engine
    /// does not compete (`u64::MAX`) for a request the CPU would copy in
    /// less CPU time (`cpu_copy`, its [`Backend::estimate_ns`]) than
    /// driving the engine takes: where the CPU is the bottleneck that
    /// would spend more of it, and where it is not, the CPU's copy ends
    /// first anyway. With no drive cost set, [`Backend::completion_ns`].
    fn finish_ns(&self, b: &Backend, len: u64, cpu_copy: u64) -> u64 {
        let own = b.completion_ns(len);
        if b.desc.is_cpu {
            own.saturating_add(self.drive_debt_ns)
        } else if b.drive_ns == 0 {
            own
        } else if cpu_copy < b.drive_ns {
            u64::MAX
        } else {
            own.max(self.drive_debt_ns).saturating_add(b.drive_ns)
        }
    }

    /// What the CPU backend's copy of `len` bytes alone would take
    /// ([`Backend::estimate_ns`]) where some backend has a drive cost;
    /// `u64::MAX` otherwise (no engine is then kept from competing).
    fn cpu_copy_ns(&self, len: u64) -> u64 {
        if self.drives == 0 {
            return u64::MAX;
        }
        bits(self.cpus & self.available)
            .find_map(|s| self.slots.get(s).and_then(Option::as_ref))
            .map_or(u64::MAX, |c| c.estimate_ns(len))
    }

    /// Whether the CPU backends give way to the engines under
    /// [`Policy::EarliestCompletion`] now, as under
    /// [`Policy::EnginesFirst`]: where that was measured to deliver more
    /// ([`YieldProbe`], fed by [`BackendTable::on_complete`]), as when CPU
    /// copies and the engines share a bottleneck.
    pub fn cpu_yields(&self) -> bool {
        self.yield_probe.yields()
    }

    /// Bytes per second the layer was measured to deliver under
    /// [`Policy::EarliestCompletion`] with the CPU backends competing or
    /// giving way (0: not measured since the backends last changed).
    pub fn delivered(&self, mode: Mode) -> u64 {
        self.yield_probe.rate(mode)
    }

    /// Whether the engines-first rule holds now: its policy, or
    /// earliest-completion while the CPU gives way.
    fn engines_first_now(&self) -> bool {
        match self.policy {
            Policy::EnginesFirst => true,
            Policy::EarliestCompletion => self.yield_probe.yields(),
            Policy::RoundRobin | Policy::CpuOnly | Policy::Weighted => false,
        }
    }

    /// `pool` (backends able to do the request, healthy if any is)
    /// without its CPU backends where an engine in it does `len` bytes
    /// sooner alone ([`BackendTable::engine_does_sooner`]) than the
    /// quickest of them.
    fn engines_first(&self, pool: SlotMask, len: u64) -> SlotMask {
        let copy = bits(pool & self.cpus)
            .filter_map(|s| self.slots.get(s).and_then(Option::as_ref))
            .map(|c| c.estimate_ns(len))
            .min();
        match copy {
            Some(copy) if self.engine_does_sooner(pool, len, copy) => pool & !self.cpus,
            _ => pool,
        }
    }

    /// Whether an engine (not a CPU backend) in `pool` does `len` bytes
    /// alone, its queue left out, sooner than `copy`, a CPU backend's
    /// time for them ([`Backend::estimate_ns`]), and drives them in less
    /// CPU time ([`BackendTable::set_drive_cost`]).
    fn engine_does_sooner(&self, pool: SlotMask, len: u64, copy: u64) -> bool {
        bits(pool & !self.cpus)
            .filter_map(|s| self.slots.get(s).and_then(Option::as_ref))
            .any(|b| b.does_sooner(len, copy))
    }

    /// Whether `id` can do `req` (false once unregistered).
    pub fn capable(&self, id: BackendId, req: &Request) -> bool {
        self.get(id).is_ok_and(|b| b.desc.caps.allows(req))
    }

    /// The slots of every registered backend that can do `req`.
    pub fn capable_mask(&self, req: &Request) -> SlotMask {
        self.mask_where(|b| b.desc.caps.allows(req))
    }

    /// The largest length, at most `max`, up to which a request run by the
    /// CPU backend `cpu` in the submitter's own thread (its per-request cost
    /// plus the bytes at its bandwidth, no queue: another thread serves its
    /// queue) is estimated to end no later than on any other available
    /// backend among `candidates` (their queues included); 0 if not even a
    /// 1-byte request would, or if `cpu` is not an available CPU backend.
    ///
    /// Each estimate is linear in the length, so the lengths the CPU wins
    /// against one backend form an interval, and those it wins against all
    /// of them, given it wins at 1 byte, form a prefix `1..=limit`: found
    /// by bisection.
    pub fn inline_limit(&self, cpu: BackendId, candidates: SlotMask, max: u64) -> u64 {
        let Ok(c) = self.get(cpu) else {
            return 0;
        };
        if !c.desc.is_cpu || !self.is_available(cpu.slot()) {
            return 0;
        }
        let others = candidates & self.available & !slot_bit(cpu.slot());
        let engines_first = self.engines_first_now();
        let wins = |len: u64| {
            let alone = c.estimate_ns(len);
            if engines_first && self.engine_does_sooner(others, len, alone) {
                return false;
            }
            let mine = alone.saturating_add(self.drive_debt_ns);
            self.slots
                .iter()
                .enumerate()
                .filter(|(s, _)| others & slot_bit(*s) != 0)
                .filter_map(|(_, b)| b.as_ref())
                .all(|b| mine <= self.finish_ns(b, len, alone))
        };
        if max == 0 || !wins(1) {
            return 0;
        }
        let (mut lo, mut hi) = (1, max);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if wins(mid) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lo
    }

    /// Adds `id` to `set`, first dropping the slots registered again since
    /// the set last changed; nothing is added for a stale `id`.
    pub fn exclude(&self, set: &mut ExcludeSet, id: BackendId) {
        set.mask = self.effective_exclusions(set);
        if self.is_registered(id) {
            set.mask |= slot_bit(id.slot());
        }
        set.gen = self.generation;
    }

    /// Whether `set` excludes the backend now registered as `id`.
    pub fn excludes(&self, set: &ExcludeSet, id: BackendId) -> bool {
        self.is_registered(id) && self.effective_exclusions(set) & slot_bit(id.slot()) != 0
    }

    /// Adds the backends of `from` to `into`.
    pub fn merge(&self, into: &mut ExcludeSet, from: &ExcludeSet) {
        into.mask = self.effective_exclusions(into) | self.effective_exclusions(from);
        into.gen = self.generation;
    }

    /// Whether `set` names a backend still registered.
    pub fn any_excluded(&self, set: &ExcludeSet) -> bool {
        self.effective_exclusions(set) != 0
    }

    /// Whether a backend of `set`, still registered, holds attempts (has
    /// bytes queued): one whose completions will make room.
    pub fn any_holding(&self, set: &ExcludeSet) -> bool {
        self.effective_exclusions(set) & self.mask_where(|b| b.queued > 0) != 0
    }

    /// Whether a paused backend ([`BackendTable::set_paused`]) among
    /// `candidates`, outside `exclude`, could do `req` under the policy:
    /// one that is expected to take it once it runs again.
    pub fn any_paused(&self, req: &Request, candidates: SlotMask, exclude: &ExcludeSet) -> bool {
        let cpu_only = self.policy == Policy::CpuOnly;
        let paused = self
            .mask_where(|b| b.paused && b.desc.caps.allows(req) && (b.desc.is_cpu || !cpu_only));
        candidates & !self.effective_exclusions(exclude) & paused != 0
    }

    /// Whether `req` should wait for a backend of `busy` rather than go to
    /// `chosen` now: one still registered, available, healthy, able to do
    /// it and holding attempts (so a completion will make room) that,
    /// under [`Policy::EarliestCompletion`], is estimated to finish it
    /// sooner than `chosen` (its queue included) or, under
    /// [`Policy::Weighted`], has a weight above 0. False under the others.
    ///
    /// A queue full for now then does not send the request to a slower
    /// backend that would finish it later (a burst of requests overflowing
    /// from the engines' rings onto the CPU), nor past the weighted split.
    pub fn better_to_wait(&self, req: &Request, busy: &ExcludeSet, chosen: BackendId) -> bool {
        let Ok(c) = self.get(chosen) else {
            return false;
        };
        let cpu_copy = self.cpu_copy_ns(req.len);
        let mine = self.finish_ns(c, req.len, cpu_copy);
        let policy = self.policy;
        let sooner = |b: &Backend| self.finish_ns(b, req.len, cpu_copy) < mine;
        let copy = c.estimate_ns(req.len);
        let engines_first = self.engines_first_now();
        let wait_for = |b: &Backend| match policy {
            Policy::EarliestCompletion | Policy::EnginesFirst => {
                sooner(b)
                    || (engines_first
                        && c.desc.is_cpu
                        && !b.desc.is_cpu
                        && b.does_sooner(req.len, copy))
            }
            Policy::Weighted => b.weight > 0,
            Policy::RoundRobin | Policy::CpuOnly => false,
        };
        let better = self.mask_in(self.effective_exclusions(busy) & self.available, |b| {
            b.queued > 0 && b.healthy() && b.desc.caps.allows(req) && wait_for(b)
        });
        better != 0
    }

    /// Whether no registered backend has bytes queued.
    pub fn idle(&self) -> bool {
        self.mask_where(|b| b.queued > 0) == 0
    }

    /// Whether backend `id` holds attempts (has bytes queued).
    pub fn holds_any(&self, id: BackendId) -> bool {
        self.get(id).is_ok_and(|b| b.queued > 0)
    }

    /// The bits of `set` whose slot still holds the backend they named.
    fn effective_exclusions(&self, set: &ExcludeSet) -> SlotMask {
        self.mask_in(set.mask, |b| b.reg <= set.gen)
    }

    /// Picks a backend for `req` among every slot (see the module rules);
    /// `None` if no registered backend outside `exclude` can do it.
    pub fn select(
        &mut self,
        req: &Request,
        exclude: &ExcludeSet,
        now_ns: u64,
    ) -> Option<BackendId> {
        self.select_in(req, ALL_SLOTS, exclude, now_ns)
    }

    /// [`BackendTable::select`] limited to the slots in `candidates` (for
    /// instance from a [`CandidateCache`]); capabilities are checked again.
    pub fn select_in(
        &mut self,
        req: &Request,
        candidates: SlotMask,
        exclude: &ExcludeSet,
        now_ns: u64,
    ) -> Option<BackendId> {
        self.cool_down(now_ns);
        let within = candidates & self.available & !self.effective_exclusions(exclude);
        let slot = match self.policy {
            Policy::RoundRobin => {
                let eligible = self.mask_in(within, |b| b.desc.caps.allows(req));
                self.next_round_robin(req.op, self.healthy_first(eligible))
            }
            Policy::Weighted => {
                let weighted = |b: &Backend| b.weight > 0 && b.desc.caps.allows(req);
                self.least_vtime(within, weighted)
                    .or_else(|| self.earliest(within, req, false))
            }
            Policy::EarliestCompletion | Policy::EnginesFirst => {
                self.earliest(within, req, self.engines_first_now())
            }
            Policy::CpuOnly => self.earliest(within & self.cpus, req, false),
        }?;
        self.id_at(slot)
    }

    /// Accounts `bytes` submitted to `id`; under [`Policy::Weighted`] they
    /// count towards its share.
    ///
    /// `Stale`, `Invalid` (queued bytes would overflow).
    pub fn on_submit(&mut self, id: BackendId, bytes: u64) -> Result<(), SelectError> {
        let weighted = self.policy == Policy::Weighted;
        let vtime = self.vtime;
        let b = self.get_mut(id)?;
        b.queued = b.queued.checked_add(bytes).ok_or(SelectError::Invalid)?;
        b.inflight = b.inflight.saturating_add(1);
        let drive = b.drive_ns;
        let start = (weighted && b.weight > 0).then(|| {
            let start = b.vfinish.max(vtime);
            b.vfinish = start.saturating_add(b.vcost(bytes));
            start
        });
        self.drive_debt_ns = self.drive_debt_ns.saturating_add(drive);
        if let Some(start) = start {
            self.vtime = start;
            if start >= VTIME_REBASE {
                self.rebase_vtime();
            }
        }
        Ok(())
    }

    /// Takes every virtual time back by the current one (see
    /// `VTIME_REBASE`); the order among backends stays.
    fn rebase_vtime(&mut self) {
        let base = self.vtime;
        for b in self.slots.iter_mut().flatten() {
            b.vfinish = b.vfinish.saturating_sub(base);
        }
        self.vtime = 0;
    }

    /// When the layer gives up on an attempt just submitted to `id` at
    /// `now_ns` (after [`BackendTable::on_submit`]): `floor_ns` plus
    /// [`DEADLINE_MARGIN`] times the estimated time to finish everything
    /// queued on it; `None` for a stale `id`.
    pub fn deadline_ns(&self, id: BackendId, now_ns: u64, floor_ns: u64) -> Option<u64> {
        let b = self.get(id).ok()?;
        let wait = b.completion_ns(0).saturating_mul(DEADLINE_MARGIN);
        Some(now_ns.saturating_add(floor_ns).saturating_add(wait))
    }

    /// The service time of a request of `id` submitted at `submitted_ns`
    /// and done at `now_ns`: the time since its submission or since the
    /// backend's previous completion, whichever is later, so that time a
    /// request spent queued behind others does not count. Records `now_ns`
    /// as the backend's latest completion; 0 for a stale `id`.
    ///
    /// A backend working on several requests at once (channels) thus
    /// measures its aggregate rate. Whether the interval began at the
    /// submission decides whether the next [`BackendTable::on_complete`]
    /// takes the per-request cost out of its sample.
    pub fn service_ns(&mut self, id: BackendId, submitted_ns: u64, now_ns: u64) -> u64 {
        let Ok(b) = self.get_mut(id) else {
            return 0;
        };
        let start = submitted_ns.max(b.last_done_ns);
        b.idle_start = submitted_ns >= b.last_done_ns;
        b.last_done_ns = b.last_done_ns.max(now_ns);
        now_ns.saturating_sub(start)
    }

    /// Accounts the completion of `bytes` on `id` after `elapsed_ns` of
    /// service (see [`BackendTable::service_ns`]): queued bytes drop, a success feeds the bandwidth estimate
    /// and makes the backend healthy, a failure counts towards degraded.
    ///
    /// `Stale`, `Invalid` (more bytes than queued).
    pub fn on_complete(
        &mut self,
        id: BackendId,
        bytes: u64,
        ok: bool,
        elapsed_ns: u64,
        now_ns: u64,
    ) -> Result<(), SelectError> {
        let rules = self.rules;
        self.end_attempt(id, bytes)?;
        let b = self.get_mut(id)?;
        if ok {
            b.sample(bytes, elapsed_ns);
            b.recover();
        } else {
            b.fail(&rules, now_ns);
        }
        let degraded = !b.healthy();
        let bit = slot_bit(id.slot());
        self.degraded = if degraded {
            self.degraded | bit
        } else {
            self.degraded & !bit
        };
        let choice = self.available & self.cpus != 0 && self.available & !self.cpus != 0;
        if self.policy == Policy::EarliestCompletion && choice {
            self.yield_probe
                .on_complete(if ok { bytes } else { 0 }, now_ns);
        }
        Ok(())
    }

    /// Drops `bytes` from the queue of `id` without judging the backend
    /// (a request taken back, as on unplug or a full queue); under
    /// [`Policy::Weighted`] they no longer count towards its share.
    ///
    /// `Stale`, `Invalid` (more bytes than queued).
    pub fn release(&mut self, id: BackendId, bytes: u64) -> Result<(), SelectError> {
        let weighted = self.policy == Policy::Weighted;
        let vtime = self.vtime;
        self.end_attempt(id, bytes)?;
        let b = self.get_mut(id)?;
        if weighted {
            b.vfinish = b.vfinish.saturating_sub(b.vcost(bytes)).max(vtime);
        }
        Ok(())
    }

    /// Takes an attempt of `bytes` off `id`: its bytes out of the queue,
    /// its CPU time out of the debt.
    ///
    /// `Stale`, `Invalid` (more bytes than queued).
    fn end_attempt(&mut self, id: BackendId, bytes: u64) -> Result<(), SelectError> {
        let b = self.get_mut(id)?;
        b.queued = b.queued.checked_sub(bytes).ok_or(SelectError::Invalid)?;
        b.inflight = b.inflight.saturating_sub(1);
        let drive = b.drive_ns;
        self.drive_debt_ns = self.drive_debt_ns.saturating_sub(drive);
        Ok(())
    }

    fn get(&self, id: BackendId) -> Result<&Backend, SelectError> {
        match self.slots.get(id.slot()) {
            Some(Some(b)) if b.reg == id.reg => Ok(b),
            _ => Err(SelectError::Stale),
        }
    }

    fn get_mut(&mut self, id: BackendId) -> Result<&mut Backend, SelectError> {
        match self.slots.get_mut(id.slot()) {
            Some(Some(b)) if b.reg == id.reg => Ok(b),
            _ => Err(SelectError::Stale),
        }
    }

    /// The slots of registered backends that satisfy `f`.
    fn mask_where(&self, f: impl Fn(&Backend) -> bool) -> SlotMask {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, b)| b.as_ref().is_some_and(&f))
            .fold(0, |m, (s, _)| m | slot_bit(s))
    }

    /// The slots of `within` whose registered backend satisfies `f`;
    /// looks at those slots only.
    fn mask_in(&self, within: SlotMask, f: impl Fn(&Backend) -> bool) -> SlotMask {
        bits(within)
            .filter(|&s| {
                self.slots
                    .get(s)
                    .is_some_and(|b| b.as_ref().is_some_and(&f))
            })
            .fold(0, |m, s| m | slot_bit(s))
    }

    /// Makes healthy every degraded backend whose cool-down has passed.
    fn cool_down(&mut self, now_ns: u64) {
        let cooldown = self.rules.cooldown_ns;
        for s in bits(self.degraded) {
            let Some(Some(b)) = self.slots.get_mut(s) else {
                continue;
            };
            if b.degraded_since
                .is_some_and(|t| now_ns.saturating_sub(t) >= cooldown)
            {
                b.recover();
                self.degraded &= !slot_bit(s);
            }
        }
    }

    /// Whether the backend in `slot` may be picked (`set_available`).
    fn is_available(&self, slot: usize) -> bool {
        self.available & slot_bit(slot) != 0
    }

    /// The healthy slots of `pool` if there are any, else `pool`.
    fn healthy_first(&self, pool: SlotMask) -> SlotMask {
        let healthy = pool & !self.degraded;
        if healthy != 0 {
            healthy
        } else {
            pool
        }
    }

    /// The slot in `pool` whose backend can do `req` with the earliest
    /// completion for its bytes, a healthy one if there is one; ties to
    /// fewer queued bytes, then to the lower slot; with `engines_first`,
    /// the CPU backends only if no engine does it sooner alone
    /// ([`BackendTable::engines_first`]). This is the hot path: the masks
    /// narrow the pool first, then one pass over its slots.
    fn earliest(&self, pool: SlotMask, req: &Request, engines_first: bool) -> Option<usize> {
        let capable = self.mask_in(pool, |b| b.desc.caps.allows(req));
        let (len, cpu_copy) = (req.len, self.cpu_copy_ns(req.len));
        let mut pool = self.healthy_first(capable);
        if engines_first {
            pool = self.engines_first(pool, len);
        }
        let mut best: Option<(u64, u64, usize)> = None;
        for s in bits(pool) {
            let Some(Some(b)) = self.slots.get(s) else {
                continue;
            };
            let key = (self.finish_ns(b, len, cpu_copy), b.queued, s);
            if best.is_none_or(|k| key < k) {
                best = Some(key);
            }
        }
        best.map(|k| k.2)
    }

    /// The slot in `pool` whose backend satisfies `eligible` with the lowest
    /// virtual start time (its virtual finish, or the table's virtual time
    /// if later: a backend that did not compete for a while gets no
    /// credit for it), a healthy one if there is one; ties to the lower
    /// slot.
    fn least_vtime(&self, pool: SlotMask, eligible: impl Fn(&Backend) -> bool) -> Option<usize> {
        let mut best: Option<(bool, u64, usize)> = None;
        for s in bits(pool) {
            let Some(Some(b)) = self.slots.get(s) else {
                continue;
            };
            if !eligible(b) {
                continue;
            }
            let key = (!b.healthy(), b.vfinish.max(self.vtime), s);
            if best.is_none_or(|k| key < k) {
                best = Some(key);
            }
        }
        best.map(|k| k.2)
    }

    /// The first slot in `pool` at or after the round-robin cursor, which
    /// then moves past it.
    fn next_round_robin(&mut self, op: Op, pool: SlotMask) -> Option<usize> {
        let next = &mut self.rr_next[op.index()];
        let slot = (0..MAX_BACKENDS)
            .map(|i| (*next + i) % MAX_BACKENDS)
            .find(|s| pool & slot_bit(*s) != 0)?;
        *next = (slot + 1) % MAX_BACKENDS;
        Some(slot)
    }
}

// SPDX-License-Identifier: GPL-2.0

//! What a backend of the async-offload layer implements, and what it gets.
//!
//! A backend (a DXE engine, the CPU, or a C driver through
//! `lbdx_backend_register()`) registers with a [`Desc`] and a
//! [`Backend`] implementation, receives [`Job`]s through
//! [`Backend::submit`], and reports each accepted job exactly once with
//! [`super::complete`] and the job's [`Ticket`]. The optional methods have
//! documented defaults; `submit` is the one a backend must provide. A
//! backend reports changes of its state as [`Event`]s.

use super::backend_select::{Caps, Op};
use kernel::{device::Device, prelude::*, sync::aref::ARef};

/// Longest backend name, in bytes.
pub(crate) const NAME_LEN: usize = 31;

/// Identifies one attempt of one request: what a backend hands back with
/// its completion. Copyable and meaningless to the backend; a ticket whose
/// attempt is over (failed over, unplugged) is ignored by the layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ticket(pub(crate) u64);

/// The buffers of a job, as addresses the backend can use: DMA addresses
/// for the backend's device if it registered one, kernel virtual addresses
/// otherwise.
pub(crate) struct Job<'a> {
    /// The operation.
    pub(crate) op: Op,
    /// Bytes.
    pub(crate) len: u32,
    /// Destination (copy, fill, xor), P (P+Q and its validation); 0 for
    /// none (xor-validate; P not computed or checked).
    pub(crate) dst: u64,
    /// Q (P+Q and its validation); 0 for none.
    pub(crate) q: u64,
    /// Sources: one for copy, 2.. for xor and xor-validate, 1.. for P+Q
    /// and its validation, none for fill.
    pub(crate) srcs: &'a [u64],
    /// P+Q coefficients, one per source; empty otherwise.
    pub(crate) coefs: &'a [u8],
    /// Fill pattern, 8 bytes little endian; 0 otherwise.
    pub(crate) pattern: u64,
    /// P+Q: P and Q are added to, not overwritten.
    pub(crate) accumulate: bool,
    /// Hand back to [`super::complete`].
    pub(crate) ticket: Ticket,
}

/// How an accepted job ended, as its backend reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Done, with the job's result: the xor-validate answer
    /// (`LBDX_XOR_VAL_*`), the P+Q-validate answer (`LBDX_PQ_VAL_*` bits),
    /// 0 for other operations.
    Done {
        /// The result.
        result: u32,
    },
    /// The backend failed it (counts against the backend's health).
    Failed,
    /// The backend gave up waiting for it (counts against its health).
    TimedOut,
    /// Aborted through no fault of the job or the backend's health (a
    /// channel reset caused by another job, an unplug): failed over
    /// without counting a failure.
    Aborted,
}

/// Why a backend refused a job in [`Backend::submit`]. A refused job is
/// never reported with [`super::complete`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No room now (ring full).
    Busy,
    /// The backend is going away or is dead.
    Gone,
}

/// A backend's operations. `submit` is required; the rest have defaults.
pub(crate) trait Backend: Send + Sync {
    /// Queues `job`; on `Ok` the backend reports it exactly once with
    /// [`super::complete`], from any context but hard interrupt and NMI,
    /// possibly before `submit` returns, and only once it no longer touches
    /// the job's buffers. Must not sleep and must not call other layer
    /// functions than [`super::complete`]. May still be called while the
    /// backend unregisters (unregistration waits for such calls); a backend
    /// that stopped refuses with [`Refusal::Gone`].
    fn submit(&self, job: &Job<'_>) -> Result<(), Refusal>;

    /// Runs `job` now, in the caller's thread, and returns how it ended;
    /// `None` if this backend cannot (then the layer calls
    /// [`Backend::submit`]). Called only in task context with interrupts
    /// enabled, never under a layer lock; may take as long as the work.
    ///
    /// Default: `None` (the backend only queues).
    fn run_inline(&self, _job: &Job<'_>) -> Option<Outcome> {
        None
    }
}

/// A change of a backend's state, reported by the backend itself
/// ([`super::Reporter::report`], `lbdx_backend_event()` from C) when it
/// happens: the layer caches it and never asks. Any context but hard
/// interrupt and NMI (requests waiting for room may be retried in the
/// caller's); repeating a state changes nothing, and nothing follows
/// [`Event::Dead`] but measurements (bandwidth, handling time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// The backend stopped taking work for a while (a recovery under way):
    /// not selected until [`Event::Running`]. The jobs it holds are still
    /// its own to report.
    Halted,
    /// The backend takes work again (the state at registration).
    Running,
    /// The backend will never take work again (it died or is shutting
    /// down): not selected until it unregisters. The jobs it holds are
    /// still its own to report, or the layer fails them over at
    /// unregistration.
    Dead,
    /// The backend measured its bandwidth, bytes per second (0 counts as
    /// 1): replaces the layer's estimate.
    Bandwidth(u64),
    /// The CPU time one of the backend's requests takes from the CPU,
    /// nanoseconds, as the backend knows it: fixed as the operator's
    /// `drive_cost_ns` would be (ignored for the CPU backend above 0).
    DriveCost(u64),
    /// The backend's driver spent `ns` nanoseconds of CPU time learning
    /// that `jobs` of its jobs finished (interrupt to jobs collected, not
    /// reporting them): the handling part of its learnt drive cost
    /// (`drive_estimate.rs`).
    Handling {
        /// Nanoseconds spent.
        ns: u64,
        /// Jobs handled in them.
        jobs: u32,
    },
}

/// A backend at registration.
pub(crate) struct Desc {
    /// Unique name, 1 to [`NAME_LEN`] bytes of `[a-z0-9_.:-]`: the name of
    /// its sysfs directory.
    pub(crate) name: KVec<u8>,
    /// The device to map buffers for; `None` for a backend that takes
    /// kernel virtual addresses.
    pub(crate) dev: Option<ARef<Device>>,
    /// Capabilities.
    pub(crate) caps: Caps,
    /// Initial bandwidth estimate, bytes per second (at least 1).
    pub(crate) bandwidth: u64,
    /// Fixed cost of one job, nanoseconds.
    pub(crate) request_cost_ns: u64,
    /// Whether this is the CPU software backend (the one the `cpu-only`
    /// policy uses).
    pub(crate) is_cpu: bool,
}

// SPDX-License-Identifier: GPL-2.0

//! TEMPORARY shim of the async-offload layer's Rust API, so that the DXE
//! engine backend builds before the real layer lands. It has exactly the
//! signatures the layer will have; `Registration::new` keeps the backend
//! and does nothing else, and [`complete`] drops what it is told. Drop this
//! file when the real `offload.rs` is merged.

#![allow(
    dead_code,
    reason = "TEMPORARY shim: the layer's whole API, used in part"
)]

mod backend;
#[allow(
    dead_code,
    unreachable_pub,
    reason = "kernel-free, shared with host tests; the shim uses a part of it"
)]
pub(crate) mod backend_select;

#[allow(
    unused_imports,
    reason = "the layer's API; the shim's users need a part of it"
)]
pub(crate) use backend::{Backend, Desc, Job, Outcome, Refusal, Ticket};
use kernel::{prelude::*, sync::Arc};

/// A registered backend; dropping it unregisters it.
pub(crate) struct Registration {
    desc: Desc,
    backend: Arc<dyn Backend>,
}

impl Registration {
    /// Registers `backend` described by `desc`.
    pub(crate) fn new(desc: Desc, backend: Arc<dyn Backend>) -> Result<Self> {
        Ok(Self { desc, backend })
    }

    /// Replaces the backend's bandwidth estimate.
    pub(crate) fn set_bandwidth(&self, _bytes_per_sec: u64) {}
}

/// Reports the end of the job with `ticket`.
pub(crate) fn complete(_ticket: Ticket, _outcome: Outcome) {}

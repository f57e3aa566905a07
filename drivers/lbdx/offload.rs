// SPDX-License-Identifier: GPL-2.0

//! The async-offload layer: copy, fill, xor and xor-validate requests run,
//! one by one, on the backend picked for each (DXE engines, the CPU, any
//! driver that registers), with failover when one fails or disappears.
//!
//! - `backend.rs`: what a backend implements ([`Backend`]) and gets.
//! - `backend_select.rs`, `request_state.rs`: the kernel-free choice and
//!   failover rules, host-tested in `tools/lbdx-logic`;
//!   `drive_estimate.rs`: the CPU time a backend's requests take, learnt
//!   from them; `cpu_yield.rs`: whether the CPU backend gives way to the
//!   engines, measured (both kernel-free too).
//! - `layer.rs`: the shared state under one lock; `flow.rs`: a request's
//!   life (selection, submission, completion, failover, dependents);
//!   `fast_path.rs`: small requests run on the CPU without allocating;
//!   `registry.rs`: backends registering and leaving, what sysfs shows;
//!   `nesting.rs`: steps deferred while a callback or a backend's
//!   `->submit` runs, so that chains never nest on the stack;
//!   `deadline.rs`: attempts a backend never reports end as timed out.
//! - `request.rs`, `mapping.rs`: a request, and its buffers mapped for DMA.
//! - `cpu.rs`: the CPU backend.
//! - `sysfs.rs`: `/sys/kernel/lbdx_offload`.
//! - `capi.rs`: the C API of `include/linux/lbdx_offload.h`;
//!   `sync_ops.rs`: the Rust API (waiting copy, fill, xor, xor-validate).
//! - `glue.rs`: wrappers over `offload_glue.c`.
//!
//! Guide: `Documentation/driver-api/lbdx-offload.rst`.

mod backend;
#[allow(
    unreachable_pub,
    dead_code,
    reason = "kernel-free, shared with host tests"
)]
pub(crate) mod backend_select;
mod capi;
mod cpu;
#[allow(
    unreachable_pub,
    dead_code,
    reason = "kernel-free, shared with host tests"
)]
mod cpu_yield;
mod deadline;
#[allow(unreachable_pub, reason = "kernel-free, shared with host tests")]
mod drive_estimate;
mod fast_path;
mod flow;
mod glue;
mod layer;
mod mapping;
mod nesting;
#[cfg(CONFIG_KUNIT)]
mod offload_kunit;
mod registry;
mod request;
#[allow(
    unreachable_pub,
    dead_code,
    reason = "kernel-free, shared with host tests"
)]
mod request_state;
#[allow(
    dead_code,
    reason = "the Rust consumer API: KUnit is its only user in this module so far"
)]
mod sync_ops;
mod sysfs;

use backend_select::{BackendId, Caps, OpSet};
use core::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use kernel::{prelude::*, sync::Arc};

pub(crate) use backend::{Backend, Desc, Event, Job, Outcome, Refusal, Ticket};
pub(crate) use flow::complete;

/// The layer's clock: monotonic nanoseconds, readable in any context.
pub(crate) fn now_ns() -> u64 {
    glue::now_ns()
}

/// `backends/` of the layer's sysfs directory; null while it does not
/// exist.
static BACKENDS_DIR: AtomicPtr<sysfs::RawDir> = AtomicPtr::new(core::ptr::null_mut());

/// A registered backend; dropping it unregisters the backend (process
/// context): no job is submitted to it any more, and every job it still
/// holds fails over to another backend. The backend must have stopped
/// touching the buffers of its jobs before.
pub(crate) struct Registration {
    // Dropped first: no sysfs file of the backend runs afterwards.
    dir: Option<sysfs::Dir<sysfs::BackendDir>>,
    id: BackendId,
}

impl Registration {
    /// Registers `backend` as `desc` says.
    pub(crate) fn new(desc: Desc, backend: Arc<dyn Backend>) -> Result<Self> {
        let (id, name) = registry::register(desc, backend)?;
        let parent = BACKENDS_DIR.load(Ordering::Acquire);
        let dir = if parent.is_null() {
            None
        } else {
            match sysfs::Dir::new(Some(parent), name.as_cstr(), sysfs::BackendDir { id }) {
                Ok(d) => Some(d),
                Err(e) => {
                    registry::unregister(id);
                    return Err(e);
                }
            }
        };
        Ok(Self { dir, id })
    }

    /// The backend's identifier in the layer.
    #[cfg(CONFIG_KUNIT)]
    pub(crate) fn id(&self) -> BackendId {
        self.id
    }

    /// How the backend reports its events, also after this registration
    /// dropped (they are then ignored).
    pub(crate) fn reporter(&self) -> Reporter {
        Reporter(self.id)
    }
}

/// Reports the [`Event`]s of one registered backend.
#[derive(Clone, Copy)]
pub(crate) struct Reporter(BackendId);

impl Reporter {
    /// Tells the layer `event` (see [`Event`] for the contexts allowed).
    pub(crate) fn report(self, event: Event) {
        registry::event(self.0, event);
    }
}

/// Where a backend created before its registration keeps its
/// [`Reporter`]: events reported before [`ReporterCell::set`] go nowhere,
/// so the backend reports its state again once it has set the cell.
pub(crate) struct ReporterCell(AtomicU64);

impl ReporterCell {
    /// An empty cell.
    pub(crate) const fn new() -> Self {
        Self(AtomicU64::new(0))
    }

    /// Keeps `r`.
    pub(crate) fn set(&self, r: Reporter) {
        self.0.store(r.0.to_word(), Ordering::SeqCst);
    }

    /// Reports `event` if a reporter is kept.
    pub(crate) fn report(&self, event: Event) {
        if let Some(id) = BackendId::from_word(self.0.load(Ordering::SeqCst)) {
            registry::event(id, event);
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        drop(self.dir.take());
        registry::unregister(self.id);
    }
}

/// The layer for the module's lifetime: its sysfs directories and the CPU
/// backend. Created before the engine driver registers, dropped after it
/// unregistered.
pub(crate) struct Offload {
    dma: Option<glue::DmaLend>,
    cpu_reg: Option<Registration>,
    deadlines: Arc<deadline::Scanner>,
    cpu: Arc<cpu::Cpu>,
    backends: Option<sysfs::Dir<sysfs::Backends>>,
    root: Option<sysfs::Dir<sysfs::Root>>,
}

/// Fixed cost of a CPU job, nanoseconds, when the hand-off to a worker
/// thread cannot be measured.
const CPU_REQUEST_COST_NS: u64 = 2_000;
/// CPU bandwidth estimate when calibration fails, bytes per second.
const CPU_DEFAULT_BW: u64 = 1 << 30;

impl Offload {
    /// Sets the layer up: sysfs, then the CPU backend.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: Called once, from module init, before anything else of
        // the layer.
        unsafe {
            layer::init();
            nesting::init();
        }
        let deadlines = deadline::start()?;
        let root = sysfs::Dir::new(None, c"lbdx_offload", sysfs::Root)?;
        let backends = sysfs::Dir::new(Some(root.raw()), c"backends", sysfs::Backends)?;
        BACKENDS_DIR.store(backends.raw(), Ordering::Release);
        let cpu = cpu::Cpu::new()?;
        let mut name = KVec::new();
        name.extend_from_slice(b"cpu", GFP_KERNEL)?;
        let desc = Desc {
            name,
            dev: None,
            caps: Caps {
                ops: OpSet::ALL,
                max_xor_sources: mapping::MAX_SRCS as u32,
                max_len: 1 << 30,
                align: 1,
            },
            bandwidth: cpu::Cpu::calibrate().unwrap_or(CPU_DEFAULT_BW),
            request_cost_ns: cpu.measure_handoff().unwrap_or(CPU_REQUEST_COST_NS),
            is_cpu: true,
        };
        let mut this = Self {
            dma: None,
            cpu_reg: None,
            deadlines,
            cpu: cpu.clone(),
            backends: Some(backends),
            root: Some(root),
        };
        this.cpu_reg = Some(Registration::new(desc, cpu)?);
        // Last: dmaengine clients may send requests from now on.
        this.dma = Some(glue::DmaLend::new()?);
        Ok(this)
    }
}

impl Drop for Offload {
    fn drop(&mut self) {
        // First: the provider's requests end on the backends still here.
        drop(self.dma.take());
        // The CPU stops touching buffers before it unregisters.
        self.cpu.shut_down();
        drop(self.cpu_reg.take());
        BACKENDS_DIR.store(core::ptr::null_mut(), Ordering::Release);
        drop(self.backends.take());
        drop(self.root.take());
        deadline::stop(&self.deadlines);
        layer::release();
    }
}

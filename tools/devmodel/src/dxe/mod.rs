// SPDX-License-Identifier: GPL-2.0

//! The DXE DMA/XOR engine model.
//!
//! [`Dxe`] is the PCI function: a [`DxeCore`] behind a lock, plus one
//! worker thread ([`worker`]) that processes descriptors.

mod channel;
mod config;
mod core;
pub mod engine;
pub mod faults;
pub mod pacing;
mod worker;

pub use self::channel::Channel;
pub use self::config::DxeConfig;
pub use self::core::{DxeCore, Job, Work};
pub use self::faults::FaultPlan;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use crate::dxe_regs as regs;
use crate::irq::IrqSink;
use crate::mem::GuestMemory;
use crate::pci::{PciFunction, PciIdentity};
use crate::sync::lock;

/// State shared between the transport and the worker.
///
/// Lock order: `dma` before `core`. The worker holds `dma` (and not
/// `core`) while it moves a descriptor's data; a reset takes `dma` first,
/// so once the resetting write returns no abandoned descriptor touches
/// memory any more.
pub(crate) struct Shared {
    pub(crate) dma: Mutex<()>,
    pub(crate) core: Mutex<DxeCore>,
    pub(crate) wake: Condvar,
    pub(crate) stop: AtomicBool,
    pub(crate) mem: Arc<dyn GuestMemory>,
    pub(crate) irq: Arc<dyn IrqSink>,
}

/// A DXE instance with its worker thread; dropping it stops the worker.
pub struct Dxe {
    shared: Arc<Shared>,
    identity: PciIdentity,
    worker: Option<JoinHandle<()>>,
}

impl Dxe {
    /// Starts a device named `name` (for logs) with `config`, doing DMA
    /// through `mem` and raising interrupts through `irq`.
    pub fn new(
        name: &str,
        config: DxeConfig,
        mem: Arc<dyn GuestMemory>,
        irq: Arc<dyn IrqSink>,
    ) -> std::io::Result<Self> {
        let identity = PciIdentity {
            vendor: regs::PCI_VENDOR_ID,
            device: regs::PCI_DEVICE_ID,
            class: regs::PCI_CLASS,
            revision: 1,
            bar0_size: regs::BAR0_SIZE,
            msix_vectors: u16::try_from(config.num_vectors()).unwrap_or(u16::MAX),
            bar4_size: 0,
        };
        let rate = config.rate;
        let shared = Arc::new(Shared {
            dma: Mutex::new(()),
            core: Mutex::new(DxeCore::new(name, config)),
            wake: Condvar::new(),
            stop: AtomicBool::new(false),
            mem,
            irq,
        });
        let worker = worker::spawn(name, Arc::clone(&shared), rate)?;
        Ok(Self {
            shared,
            identity,
            worker: Some(worker),
        })
    }

    /// Runs `f` on the locked core (tests and diagnostics).
    pub fn with_core<R>(&self, f: impl FnOnce(&mut DxeCore) -> R) -> R {
        f(&mut lock(&self.shared.core))
    }
}

impl PciFunction for Dxe {
    fn identity(&self) -> PciIdentity {
        self.identity
    }

    fn bar0_read(&self, offset: u64) -> u32 {
        let mut core = lock(&self.shared.core);
        core.settle(std::time::Instant::now());
        match usize::try_from(offset) {
            Ok(off) => core.read(off),
            Err(_) => 0,
        }
    }

    fn bar0_write(&self, offset: u64, value: u32) {
        let Ok(off) = usize::try_from(offset) else {
            return;
        };
        // A reset waits for the data movement in progress (see `Shared`).
        let _dma = is_reset(off, value).then(|| lock(&self.shared.dma));
        lock(&self.shared.core).write(off, value, &*self.shared.irq);
        self.shared.wake.notify_all();
    }

    fn reset(&self) {
        let _dma = lock(&self.shared.dma);
        lock(&self.shared.core).function_reset();
        self.shared.wake.notify_all();
    }
}

/// Whether writing `value` at BAR0 offset `off` resets the device or a
/// channel.
fn is_reset(off: usize, value: u32) -> bool {
    let chan_ctrl =
        off >= regs::CHAN_BASE && (off - regs::CHAN_BASE) % regs::CHAN_STRIDE == regs::CH_CTRL;
    (off == regs::CTRL && value & regs::CTRL_RESET != 0)
        || (chan_ctrl && value & regs::CH_CTRL_RESET != 0)
}

impl Drop for Dxe {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        self.shared.wake.notify_all();
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

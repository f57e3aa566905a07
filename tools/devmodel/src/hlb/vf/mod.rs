// SPDX-License-Identifier: GPL-2.0

//! The HLB's virtual functions (`Documentation/hw/hlb-vf.rst`): PCI
//! functions of the PF's slot, served by the same process, sharing the
//! PF's state and lock. Each has its own config space (the transport's),
//! BAR0 ([`bar0`]), BAR4 memory, MSI-X vectors and guest memory
//! ([`VfIo`]).
//!
//! The state lives in [`State`](super::state::State) next to the PF's:
//! [`vfs`] (enable and pending bits, per VF maps, mailbox, counters,
//! function state), [`maps`] (translation tables), [`mailbox`] (byte
//! moving), [`pf_regs`] (the PF's VF registers and VF blocks),
//! [`alarm`], [`reset`], and [`translate`] (virtual and physical ids in
//! the data plane). [`HlbVf`] is the [`PciFunction`] of one VF.

mod alarm;
mod bar0;
mod mailbox;
mod maps;
mod pf_regs;
mod reset;
pub(super) mod translate;
pub(super) mod vfs;

use std::sync::Arc;

use super::dataplane::ring::QeRing;
use super::dataplane::window::{self, Bar4Place};
use super::dataplane::Pending;
use super::Shared;
use crate::hlb_regs::{self as regs, OBJECTS_MAX};
use crate::hlb_vf_regs as vregs;
use crate::irq::IrqSink;
use crate::mem::GuestMemory;
use crate::pci::{PciFunction, PciIdentity, SharedBar};
use crate::sync::lock;

/// What the transport gives a VF function: its interrupts and its DMA
/// view of guest memory.
pub struct VfLink {
    /// The VF's MSI-X vectors.
    pub irq: Arc<dyn IrqSink>,
    /// Guest memory as the VF's DMA mappings show it.
    pub mem: Arc<dyn GuestMemory>,
}

/// A VF's own resources, next to the device state.
pub struct VfIo {
    /// Its BAR4 memory.
    pub ring: QeRing,
    /// Its MSI-X vectors.
    pub irq: Arc<dyn IrqSink>,
    /// Its guest memory.
    pub mem: Arc<dyn GuestMemory>,
}

impl VfIo {
    /// The resources of a VF the transport linked with `link`.
    pub(super) fn new(link: VfLink) -> std::io::Result<Self> {
        Ok(Self {
            ring: QeRing::new()?,
            irq: link.irq,
            mem: link.mem,
        })
    }
}

/// VF `n` of an HLB, as a PCI function. Holds the device's shared state;
/// the device's polling thread belongs to the PF's [`Hlb`](super::Hlb).
pub struct HlbVf {
    shared: Arc<Shared>,
    n: u32,
}

impl HlbVf {
    pub(super) fn new(shared: Arc<Shared>, n: u32) -> Self {
        Self { shared, n }
    }

    /// Its BAR4 memory as the guest's mapping of the QE pages sees it
    /// (tests: stores here are a producer's stores through its window).
    pub fn bar4(&self) -> Option<&QeRing> {
        self.shared.vfs.get(self.n as usize).map(|v| &v.ring)
    }

    /// Runs `f` on the state with the device lock held, then raises what
    /// it left in its [`Pending`].
    fn with_state<R>(&self, f: impl FnOnce(&mut super::state::State, &mut Pending) -> R) -> R {
        let sh = &self.shared;
        let mut out = Pending::default();
        let mut st = lock(&sh.state);
        let r = f(&mut st, &mut out);
        sh.deliver(out);
        if st.any_running() {
            sh.wake.notify_all();
        }
        r
    }
}

impl PciFunction for HlbVf {
    fn identity(&self) -> PciIdentity {
        PciIdentity {
            vendor: regs::PCI_VENDOR_ID,
            device: vregs::PCI_DEVICE_ID,
            class: regs::PCI_CLASS,
            revision: 1,
            bar0_size: regs::BAR0_SIZE,
            msix_vectors: vregs::NUM_VECTORS as u16,
            bar4_size: regs::PP_BAR_SIZE,
        }
    }

    fn bar0_read(&self, offset: u64) -> u32 {
        let Ok(off) = usize::try_from(offset) else {
            return vregs::ABSENT;
        };
        let sh = &self.shared;
        lock(&sh.state).vf_read(self.n, off, &sh.config)
    }

    fn bar0_write(&self, offset: u64, value: u32) {
        let Ok(off) = usize::try_from(offset) else {
            return;
        };
        let sh = &self.shared;
        let alarm = self.with_state(|st, out| st.vf_write(self.n, off, value, &sh.io(), out));
        if let Some(code) = alarm {
            log::warn!(
                "{}.vf{}: alarm {code:?} at {off:#x} value {value:#x}",
                sh.name,
                self.n
            );
        }
    }

    fn reset(&self) {
        let sh = &self.shared;
        self.with_state(|st, out| st.vf_flr(self.n, &sh.io(), out));
        log::info!("{}.vf{}: reset", sh.name, self.n);
    }

    fn bus_master(&self, on: bool) {
        let mut st = lock(&self.shared.state);
        if let Some(vf) = st.vfs.vf.get_mut(self.n as usize) {
            vf.bus_master = on;
        }
    }

    fn bar4_shared(&self) -> Option<SharedBar> {
        Some(SharedBar {
            fd: self.bar4()?.fd(),
            areas: window::ring_areas(OBJECTS_MAX, OBJECTS_MAX),
        })
    }

    fn bar4_read(&self, offset: u64, data: &mut [u8]) {
        let place =
            usize::try_from(offset).map(|o| (o, window::place(o, OBJECTS_MAX, OBJECTS_MAX)));
        match (place, self.bar4()) {
            (Ok((off, Bar4Place::Ring(..))), Some(ring)) => ring.read(off, data),
            _ => data.fill(0),
        }
    }

    fn bar4_write(&self, offset: u64, data: &[u8]) {
        let Ok(off) = usize::try_from(offset) else {
            return;
        };
        match window::place(off, OBJECTS_MAX, OBJECTS_MAX) {
            Bar4Place::Ring(..) => {
                if let Some(ring) = self.bar4() {
                    ring.write(off, data);
                }
            }
            Bar4Place::Doorbell(vport, 0) if data.len() == 4 => {
                let sh = &self.shared;
                self.with_state(|st, out| st.vf_doorbell(self.n, vport, &sh.io(), out));
            }
            _ => {}
        }
    }
}

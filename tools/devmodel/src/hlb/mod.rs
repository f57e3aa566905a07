// SPDX-License-Identifier: GPL-2.0

//! The HLB load balancer model.
//!
//! BAR0 is split into the ranges `hlb_regs` reserves; each range is served
//! by its own module: [`control`] (identity, control, self-test, resource
//! counts at `0x0000`), [`alarm`] (`0x0100`), [`resources`] (SN group
//! modes at `0x0200`, resource programming at `0x1000`, the ports'
//! data-plane configuration at `0x8000`), [`vf`] (the PF's VF registers at
//! `0x0054` and `0xc000`). [`dataplane`] runs started domains: QEs from the
//! producer-port windows in BAR4, scheduling, CQ writes into guest memory;
//! [`poller`] is the thread that reads the windows. The virtual functions
//! ([`HlbVf`], `Documentation/hw/hlb-vf.rst`) are further PCI functions
//! of the same device, with their own BAR4 memory, vectors and guest
//! memory.
//!
//! All of it, the VFs' state included, is plain state behind one lock
//! ([`state::State`]), so that a refused write or QE, its alarm and
//! `IRQ_CAUSE.ALARM` change together.
//! Lock order: the device lock, then guest memory's and the interrupt
//! sink's own locks (taken inside). Data-plane and VF vectors (CQ
//! interrupts, refused QEs, mailbox and VF alarm interrupts, on the PF's
//! or a VF's sink) are raised with the device lock held, so that a
//! register read or doorbell that sees an effect also finds its interrupt
//! raised.

mod alarm;
mod config;
mod control;
pub mod dataplane;
mod poller;
mod resources;
mod state;
mod vf;

pub use config::HlbConfig;
pub use vf::{HlbVf, VfLink};

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use hlb_sched::PortId;

use crate::hlb_regs::{self as regs, AlarmCode};
use crate::irq::IrqSink;
use crate::mem::GuestMemory;
use crate::pci::{PciFunction, PciIdentity, SharedBar};
use crate::sync::lock;
use dataplane::ring::QeRing;
use dataplane::window::{self, Bar4Place};
use dataplane::{Io, Pending};
use state::State;
use vf::VfIo;

/// MSI-X vectors of the HLB: vector 0 (alarm) and 32 consumer-queue vectors.
pub const NUM_VECTORS: u32 = 33;
/// The alarm vector.
pub const ALARM_VECTOR: u32 = 0;

/// What a register write asks the device to do besides updating state.
#[derive(Debug, PartialEq, Eq)]
pub enum Effect {
    /// Nothing.
    None,
    /// Reset the whole device.
    Reset,
    /// Raise this MSI-X vector.
    Raise(u32),
    /// `IRQ_TEST` named a vector the device does not have.
    BadVector(u32),
    /// The write was refused: raise this alarm.
    Alarm(AlarmCode),
}

/// What the transport, the poller and the device share.
pub(crate) struct Shared {
    name: String,
    config: HlbConfig,
    irq: Arc<dyn IrqSink>,
    mem: Arc<dyn GuestMemory>,
    ring: QeRing,
    /// VF `n`'s resources are `vfs[n]`.
    vfs: Vec<VfIo>,
    state: Mutex<State>,
    /// Signalled when a domain may have started, and on drop.
    wake: Condvar,
    stop: AtomicBool,
}

impl Shared {
    fn io(&self) -> Io<'_> {
        Io {
            name: &self.name,
            ring: &self.ring,
            mem: &*self.mem,
            vfs: &self.vfs,
        }
    }

    /// Logs refused QEs and raises vectors. Called with the device lock
    /// held, so that whoever takes the lock next (a register read, a
    /// doorbell) finds the interrupts of what it observes already raised.
    fn deliver(&self, out: Pending) {
        for a in out.alarms {
            let (kind, p) = match a.port {
                PortId::Ldb(p) => ("ldb", p),
                PortId::Dir(p) => ("dir", p),
            };
            let func = a.vf.map(|n| format!(".vf{n}")).unwrap_or_default();
            log::warn!(
                "{}{func}: alarm {:?} at BAR4 {:#x} ({kind} port {p} slot {}) qe {:#034x}",
                self.name,
                a.code,
                a.offset,
                a.slot,
                u128::from_le_bytes(a.qe)
            );
        }
        for v in out.vectors {
            match v.vf {
                None => self.irq.raise(v.vector),
                Some(n) => {
                    if let Some(vf) = self.vfs.get(n as usize) {
                        vf.irq.raise(v.vector);
                    }
                }
            }
        }
    }

    /// One polling pass over every running domain; returns whether any
    /// domain is running.
    pub(crate) fn poll(&self) -> bool {
        let mut out = Pending::default();
        let mut st = lock(&self.state);
        let running = st.poll(&self.io(), &mut out);
        self.deliver(out);
        drop(st);
        running
    }

    /// Resets the whole device, every VF function included (their Bus
    /// Master Enable bits are config space, which is not the device's).
    fn reset_all(&self) {
        let mut st = lock(&self.state);
        *st = State::new(&self.config, &st.bus_masters());
        self.ring.zero(0, regs::PP_BAR_SIZE as usize);
        for v in &self.vfs {
            v.ring.zero(0, regs::PP_BAR_SIZE as usize);
        }
        drop(st);
        log::info!("{}: reset", self.name);
    }
}

/// An HLB instance with its polling thread; dropping it stops the thread.
pub struct Hlb {
    shared: Arc<Shared>,
    poller: Option<JoinHandle<()>>,
}

impl Hlb {
    /// A device named `name` (for logs) with `config`, writing CQs into
    /// `mem` and raising interrupts through `irq`. The device starts out
    /// of reset, with its polling thread idle. `config.vfs` must be 0 (see
    /// [`Hlb::with_vfs`]).
    pub fn new(
        name: &str,
        config: HlbConfig,
        irq: Arc<dyn IrqSink>,
        mem: Arc<dyn GuestMemory>,
    ) -> io::Result<Self> {
        Self::with_vfs(name, config, irq, mem, Vec::new())
    }

    /// As [`Hlb::new`], with one [`VfLink`] per VF the configuration has
    /// (`config.vfs` of them): VF `n` writes its CQs into `vfs[n].mem` and
    /// raises its vectors through `vfs[n].irq`. [`Hlb::vf`] gives the VF
    /// functions.
    pub fn with_vfs(
        name: &str,
        config: HlbConfig,
        irq: Arc<dyn IrqSink>,
        mem: Arc<dyn GuestMemory>,
        vfs: Vec<VfLink>,
    ) -> io::Result<Self> {
        if vfs.len() != config.vfs as usize {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} VF links for {} VFs", vfs.len(), config.vfs),
            ));
        }
        let vfs = vfs.into_iter().map(VfIo::new).collect::<io::Result<_>>()?;
        let shared = Arc::new(Shared {
            name: name.to_string(),
            state: Mutex::new(State::new(&config, &[])),
            config,
            irq,
            mem,
            ring: QeRing::new()?,
            vfs,
            wake: Condvar::new(),
            stop: AtomicBool::new(false),
        });
        let poller = poller::spawn(Arc::clone(&shared))?;
        Ok(Self {
            shared,
            poller: Some(poller),
        })
    }

    /// VF `n` as a PCI function, if the device has it.
    pub fn vf(&self, n: u32) -> Option<HlbVf> {
        (n < self.shared.config.vfs).then(|| HlbVf::new(Arc::clone(&self.shared), n))
    }

    /// The configuration the device was built with.
    pub fn config(&self) -> &HlbConfig {
        &self.shared.config
    }

    /// BAR4 memory as the guest's mapping of the QE pages sees it (tests:
    /// stores here are what a producer's stores through the mmapped
    /// window do, without a doorbell).
    pub fn bar4(&self) -> &QeRing {
        &self.shared.ring
    }
}

impl Drop for Hlb {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        {
            let _st = lock(&self.shared.state);
            self.shared.wake.notify_all();
        }
        if let Some(t) = self.poller.take() {
            let _ = t.join();
        }
    }
}

impl PciFunction for Hlb {
    fn identity(&self) -> PciIdentity {
        PciIdentity {
            vendor: regs::PCI_VENDOR_ID,
            device: regs::PCI_DEVICE_ID,
            class: regs::PCI_CLASS,
            revision: 1,
            bar0_size: regs::BAR0_SIZE,
            msix_vectors: NUM_VECTORS as u16,
            bar4_size: if self.shared.config.data_plane() {
                regs::PP_BAR_SIZE
            } else {
                0
            },
        }
    }

    fn bar0_read(&self, offset: u64) -> u32 {
        let Ok(off) = usize::try_from(offset) else {
            return 0;
        };
        let sh = &self.shared;
        lock(&sh.state).read(off, &sh.config)
    }

    fn bar0_write(&self, offset: u64, value: u32) {
        let Ok(off) = usize::try_from(offset) else {
            return;
        };
        let sh = &self.shared;
        let mut out = Pending::default();
        let effect = {
            let mut st = lock(&sh.state);
            let effect = st.write(off, value, &sh.io(), &mut out);
            sh.deliver(out);
            if st.any_running() {
                sh.wake.notify_all();
            }
            effect
        };
        match effect {
            Effect::None => {}
            Effect::Reset => sh.reset_all(),
            Effect::Raise(v) => sh.irq.raise(v),
            Effect::BadVector(v) => {
                log::warn!("{}: IRQ_TEST vector {v} out of range, ignored", sh.name)
            }
            Effect::Alarm(code) => {
                log::warn!("{}: alarm {code:?} at {off:#x} value {value:#x}", sh.name);
                sh.irq.raise(ALARM_VECTOR);
            }
        }
    }

    fn reset(&self) {
        self.shared.reset_all();
    }

    fn bar4_shared(&self) -> Option<SharedBar> {
        self.shared.config.data_plane().then_some(())?;
        Some(SharedBar {
            fd: self.shared.ring.fd(),
            areas: window::ring_areas(self.shared.config.ldb_ports, self.shared.config.dir_ports),
        })
    }

    fn bar4_read(&self, offset: u64, data: &mut [u8]) {
        let sh = &self.shared;
        let c = &sh.config;
        match usize::try_from(offset).map(|o| (o, window::place(o, c.ldb_ports, c.dir_ports))) {
            Ok((off, Bar4Place::Ring(..))) => sh.ring.read(off, data),
            _ => data.fill(0),
        }
    }

    fn bar4_write(&self, offset: u64, data: &[u8]) {
        let sh = &self.shared;
        let Ok(off) = usize::try_from(offset) else {
            return;
        };
        match window::place(off, sh.config.ldb_ports, sh.config.dir_ports) {
            Bar4Place::Ring(..) => sh.ring.write(off, data),
            Bar4Place::Doorbell(port, 0) if data.len() == 4 => {
                let mut out = Pending::default();
                let mut st = lock(&sh.state);
                st.doorbell(port, None, &sh.io(), &mut out);
                sh.deliver(out);
            }
            _ => {}
        }
    }
}

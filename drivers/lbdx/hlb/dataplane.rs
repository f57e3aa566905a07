// SPDX-License-Identifier: GPL-2.0

//! The HLB's data plane as the driver sees it (minor version 1): the CQ
//! rings of every port, the producer-port BAR, the started domains'
//! run-time state, the CQ interrupt vectors and the routing of the
//! device's data-plane alarms to the domain whose port raised them.
//!
//! The data plane itself runs in user space and the device; the driver
//! prepares each domain when configfs starts it (CQ addresses and vectors,
//! zeroed rings, the credit page), publishes its character device, and
//! takes it down when configfs stops it or the device goes away
//! (`domain_run.rs`).

use super::{
    cq_ring::CqRing,
    domain_cdev::Waker,
    domain_run::{DomainRun, RunConfig, RunPort},
    program::Program,
    run_stats::DEVICE_STATS,
    uapi,
};
use crate::{
    bringup::{ControlNotifier, Function, SharedBar0},
    hw::hlb_regs::{self as regs},
};
use kernel::{
    device::{self, Bound},
    io::Io,
    irq::{self, IrqReturn},
    new_mutex, new_spinlock_irq, pci,
    prelude::*,
    revocable::Revocable,
    sync::{aref::ARef, Arc, Mutex, SpinLockIrq},
};

/// The CQ rings of every port, by port type and number.
pub(crate) struct Rings {
    ldb: KVec<CqRing>,
    dir: KVec<CqRing>,
}

impl Rings {
    /// The CQ ring of port `p`.
    pub(crate) fn of(&self, p: &RunPort) -> Option<&CqRing> {
        let rings = if p.kind == uapi::PORT_LDB {
            &self.ldb
        } else {
            &self.dir
        };
        rings.get(p.id as usize)
    }
}

/// What the device-wide statistics add to the started domains' totals
/// (`run_stats::RunStats::totals`).
struct DeviceTotals {
    /// Totals of the domains that stopped.
    retired: [u64; DEVICE_STATS],
    /// Device totals at the last reset.
    base: [u64; DEVICE_STATS],
}

/// The data plane of one HLB.
#[pin_data]
pub(crate) struct DataPlane {
    bar: SharedBar0,
    /// Stops and restarts domains (drains).
    program: Arc<dyn Program>,
    parent: ARef<device::Device>,
    bar4: u64,
    /// Revoked at unbind, after every domain was killed: DMA memory must
    /// not outlive the binding.
    #[pin]
    rings: Revocable<Rings>,
    /// CQ vectors the device has (vectors 1 to `cq_vectors`).
    cq_vectors: u32,
    /// The device has `PORT_CTRL` (minor version 3): a port can be taken
    /// back from a file that went away while the domain runs.
    port_reset: bool,
    /// The device has the statistics counters (minor version 4).
    has_stats: bool,
    /// This function sees its queues' counters: a PF (a VF sees its
    /// ports' counters only, `Documentation/hw/hlb-vf.rst`).
    queue_stats: bool,
    /// Device-wide statistics of the domains that stopped.
    #[pin]
    totals: Mutex<DeviceTotals>,
    /// Serializes reading and acknowledging `ALARM_*` with programming
    /// (`program.rs`), which leaves a QE's alarm it found latched here.
    alarm_lock: Arc<Mutex<Option<(u32, u32)>>>,
    #[pin]
    runs: Mutex<KVec<Arc<DomainRun>>>,
    #[pin]
    wakers: SpinLockIrq<KVec<(u32, Waker)>>,
}

impl DataPlane {
    /// The data plane of `pdev`, brought up as `f`: allocates a CQ ring
    /// per port.
    pub(crate) fn new(
        pdev: &pci::Device<Bound>,
        f: &Function<'_>,
        ldb_ports: u32,
        dir_ports: u32,
        alarm_lock: Arc<Mutex<Option<(u32, u32)>>>,
        program: Arc<dyn Program>,
        vf: bool,
    ) -> Result<Arc<Self>> {
        let bar4 = pdev.resource_start(regs::PP_BAR)?;
        if pdev.resource_len(regs::PP_BAR)? < regs::PP_BAR_SIZE {
            dev_err!(
                pdev.as_ref(),
                "BAR4 smaller than the producer-port windows\n"
            );
            return Err(ENODEV);
        }
        let rings = |n: u32| -> Result<KVec<CqRing>> {
            let mut v = KVec::with_capacity(n as usize, GFP_KERNEL)?;
            for _ in 0..n {
                v.push(CqRing::new(pdev.as_ref())?, GFP_KERNEL)?;
            }
            Ok(v)
        };
        let cq_vectors = u32::try_from(f.irq_vectors().saturating_sub(1))?.min(regs::CQ_VECTOR_MAX);
        Arc::pin_init(
            try_pin_init!(Self {
                bar: f.bar().clone(),
                program,
                parent: ARef::from(pdev.as_ref()),
                bar4,
                rings <- Revocable::new(Ok::<_, Error>(Rings {
                    ldb: rings(ldb_ports)?,
                    dir: rings(dir_ports)?,
                })),
                cq_vectors,
                port_reset: f.version().minor >= regs::VERSION_MINOR_PORT_RESET,
                has_stats: f.version().minor >= regs::VERSION_MINOR_STATS,
                queue_stats: f.version().minor >= regs::VERSION_MINOR_STATS && !vf,
                totals <- new_mutex!(DeviceTotals {
                    retired: [0; DEVICE_STATS],
                    base: [0; DEVICE_STATS],
                }),
                alarm_lock,
                runs <- new_mutex!(KVec::new()),
                wakers <- new_spinlock_irq!(KVec::new()),
            }? Error),
            GFP_KERNEL,
        )
    }

    /// BAR0.
    pub(crate) fn bar(&self) -> &SharedBar0 {
        &self.bar
    }

    /// What programs the device.
    pub(crate) fn program(&self) -> &Arc<dyn Program> {
        &self.program
    }

    /// The HLB's device (parent of the domains' nodes).
    pub(crate) fn parent(&self) -> &device::Device {
        &self.parent
    }

    /// Whether a port of a running domain can be stopped and reset.
    pub(crate) fn port_reset(&self) -> bool {
        self.port_reset
    }

    /// Whether the device has the statistics counters.
    pub(crate) fn has_stats(&self) -> bool {
        self.has_stats
    }

    /// Whether this function sees its queues' counters.
    pub(crate) fn queue_stats(&self) -> bool {
        self.queue_stats
    }

    /// Device-wide totals since probe or the last [`Self::reset_totals`]:
    /// the stopped domains' and the started ones'.
    pub(crate) fn device_totals(&self) -> [u64; DEVICE_STATS] {
        let runs = self.runs.lock();
        let mut raw = self.totals.lock().retired;
        for run in runs.iter() {
            for (r, t) in raw.iter_mut().zip(run.totals()) {
                *r = r.wrapping_add(t);
            }
        }
        let base = self.totals.lock().base;
        let mut v = [0; DEVICE_STATS];
        for ((v, r), b) in v.iter_mut().zip(raw).zip(base) {
            *v = r.wrapping_sub(b);
        }
        v
    }

    /// Starts the device-wide totals from 0.
    pub(crate) fn reset_totals(&self) {
        let now = self.device_totals();
        let mut t = self.totals.lock();
        for (b, n) in t.base.iter_mut().zip(now) {
            *b = b.wrapping_add(n);
        }
    }

    /// Physical address of BAR4.
    pub(crate) fn bar4(&self) -> u64 {
        self.bar4
    }

    /// Runs `f` on the CQ rings, unless they are gone (unbind).
    pub(crate) fn with_rings<R>(&self, f: impl FnOnce(&Rings) -> R) -> Option<R> {
        self.rings.try_access_with(f)
    }

    /// Frees the CQ rings (unbind, after every domain was killed).
    pub(crate) fn revoke_rings(&self) {
        self.rings.revoke();
    }

    /// The CQ vector of domain `d`.
    fn vector_of(&self, d: u32) -> u32 {
        if self.cq_vectors == 0 {
            0
        } else {
            1 + d % self.cq_vectors
        }
    }

    /// Before domain `cfg.id` starts: points each port's CQ at its zeroed
    /// ring and vector, and makes the domain's run-time state.
    pub(crate) fn prepare(self: &Arc<Self>, cfg: RunConfig) -> Result<Arc<DomainRun>> {
        let vector = self.vector_of(cfg.id);
        let rings = self.rings.try_access().ok_or(ENODEV)?;
        {
            let bar = self.bar.try_access().ok_or(ENODEV)?;
            for p in cfg.ports.iter() {
                let ring = rings.of(p).ok_or(EINVAL)?;
                ring.clear();
                let addr = ring.dma_address();
                let _ = bar.try_write32(addr as u32, p.reg(regs::CQ_ADDR_LO));
                let _ = bar.try_write32((addr >> 32) as u32, p.reg(regs::CQ_ADDR_HI));
                let _ = bar.try_write32(vector, p.reg(regs::CQ_VECTOR));
            }
        }
        drop(rings);
        let run = DomainRun::new(self.clone(), cfg, vector)?;
        self.runs.lock().push(run.clone(), GFP_KERNEL)?;
        Ok(run)
    }

    /// Forgets `run` (its domain stopped or is gone); its totals stay in
    /// the device's.
    pub(crate) fn forget(&self, run: &DomainRun) {
        let mut runs = self.runs.lock();
        if let Some(pos) = runs.iter().position(|r| core::ptr::eq(&**r, run)) {
            let mut t = self.totals.lock();
            for (r, n) in t.retired.iter_mut().zip(run.totals()) {
                *r = r.wrapping_add(n);
            }
            drop(t);
            let _ = runs.remove(pos);
        }
    }

    /// Wakes the sleepers of domains whose CQs use `vector`.
    pub(crate) fn wake(&self, vector: u32) {
        for (v, w) in self.wakers.lock().iter() {
            if *v == vector {
                w.wake();
            }
        }
    }

    /// Starts waking `w` on `vector`.
    pub(crate) fn add_waker(&self, vector: u32, w: Waker) -> Result {
        self.wakers.lock().push((vector, w), GFP_ATOMIC)?;
        Ok(())
    }

    /// Stops waking `w`; on return no interrupt handler uses it.
    pub(crate) fn remove_waker(&self, w: Waker) {
        let mut wakers = self.wakers.lock();
        if let Some(pos) = wakers.iter().position(|(_, x)| *x == w) {
            let _ = wakers.remove(pos);
        }
    }

    /// Hands a data-plane alarm (`ALARM_INFO` = `info`) to the domain of
    /// the port whose window held the QE.
    fn route_alarm(&self, code: u32, info: u32) {
        let off = (info & !regs::ALARM_INFO_QE) as usize;
        let dir_base = regs::dir_pp_window(0);
        let (kind, id) = if off >= dir_base {
            (
                uapi::PORT_DIR,
                ((off - dir_base) / regs::PP_WINDOW_STRIDE) as u32,
            )
        } else {
            (uapi::PORT_LDB, (off / regs::PP_WINDOW_STRIDE) as u32)
        };
        let runs = self.runs.lock();
        match runs.iter().find(|r| r.has_port(kind, id)) {
            Some(r) => r.alert(code, kind, id),
            None => {
                let name = if kind == uapi::PORT_LDB { "ldb" } else { "dir" };
                dev_warn!(
                    self.parent,
                    "data-plane alarm {:#x} from port {}{} of no started domain\n",
                    code,
                    name,
                    id
                );
            }
        }
    }
}

impl ControlNotifier for DataPlane {
    fn control_causes(&self, causes: u32) {
        if causes & regs::IRQ_CAUSE_ALARM == 0 {
            return;
        }
        let mut stash = self.alarm_lock.lock();
        if let Some((code, info)) = stash.take() {
            self.route_alarm(code, info);
        }
        let Some(bar) = self.bar.try_access() else {
            return;
        };
        let code = bar.read32(regs::ALARM_CODE);
        let info = bar.read32(regs::ALARM_INFO);
        // A programming alarm is the programmer's to read and acknowledge
        // (`program.rs` holds the lock while it programs).
        if code == 0 || info & regs::ALARM_INFO_QE == 0 {
            return;
        }
        bar.write32(1, regs::ALARM_ACK);
        drop(bar);
        self.route_alarm(code, info);
    }
}

/// Handler of one CQ vector: wakes the domains on it.
pub(crate) struct CqIrq {
    dp: Arc<DataPlane>,
    vector: u32,
}

impl irq::Handler for CqIrq {
    fn handle(&self) -> IrqReturn {
        self.dp.wake(self.vector);
        IrqReturn::Handled
    }
}

/// The handlers of the CQ vectors.
pub(crate) type CqIrqs<'b> = KVec<Pin<KBox<irq::Registration<'b, CqIrq>>>>;

/// Registers a handler on each CQ vector of `dp`.
///
/// # Safety
///
/// The returned registrations must not be leaked.
pub(crate) unsafe fn register_irqs<'b>(
    vectors: &'b pci::IrqVectorRegistration<'b>,
    dp: &Arc<DataPlane>,
) -> Result<CqIrqs<'b>> {
    let mut irqs = KVec::with_capacity(dp.cq_vectors as usize, GFP_KERNEL)?;
    for vector in 1..=dp.cq_vectors {
        let handler = CqIrq {
            dp: dp.clone(),
            vector,
        };
        // SAFETY: Forwarded to our caller.
        let reg = unsafe {
            irq::Registration::new(
                vectors.index(vector as usize)?.into(),
                irq::Flags::TRIGGER_NONE,
                c"lbdx_hlb_cq",
                Ok::<_, Error>(handler),
            )
        };
        irqs.push(KBox::pin_init(reg, GFP_KERNEL)?, GFP_KERNEL)?;
    }
    Ok(irqs)
}

// SPDX-License-Identifier: GPL-2.0

//! Bring-up steps both lbdx devices share: BAR0 mapping, identity and
//! version check, device reset, and the control vector (vector 0) with its
//! interrupt self-test. Cause bits of the control vector other than the
//! self-test are passed on, in the vector's interrupt thread, to the
//! [`ControlNotifier`] the function's owner may set.
//!
//! Both register maps start with the same header (`ID`, `VERSION`, `CTRL`,
//! `STATUS`, `IRQ_TEST`, `IRQ_CAUSE`, `IRQ_TEST_COUNT`, `NUM_VECTORS` at the
//! same offsets); the `const` assertions below hold the two documents to it.

use crate::hw::{dxe_regs, hlb_regs};
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::{
    device::{Bound, Core},
    dma::{Device as _, DmaMask},
    io::{poll::read_poll_timeout, Io},
    irq::{self, IrqReturn, ThreadedIrqReturn},
    new_mutex, pci,
    prelude::*,
    sync::{Arc, Mutex},
    time::Delta,
};

/// Size of BAR0 of both devices.
pub(crate) const BAR0_SIZE: usize = hlb_regs::BAR0_SIZE as usize;

/// BAR0 of an lbdx device, mapped.
pub(crate) type Bar0<'b> = pci::Bar<'b, BAR0_SIZE>;

/// BAR0 as a device-managed resource: shared with whatever may outlive the
/// binding (interrupt handler, configfs), revoked when the device unbinds.
pub(crate) type SharedBar0 = Arc<pci::DevresBar<BAR0_SIZE>>;

// Offsets of the common header, taken from the HLB map; the DXE map must match.
use hlb_regs::{
    CTRL, CTRL_RESET, ID, IRQ_CAUSE, IRQ_CAUSE_TEST, IRQ_TEST, NUM_VECTORS, STATUS, STATUS_READY,
    VERSION,
};

const _: () = {
    assert!(dxe_regs::BAR0_SIZE == hlb_regs::BAR0_SIZE);
    assert!(dxe_regs::ID == ID && dxe_regs::VERSION == VERSION);
    assert!(dxe_regs::CTRL == CTRL && dxe_regs::CTRL_RESET == CTRL_RESET);
    assert!(dxe_regs::STATUS == STATUS && dxe_regs::STATUS_READY == STATUS_READY);
    assert!(dxe_regs::IRQ_TEST == IRQ_TEST && dxe_regs::IRQ_CAUSE == IRQ_CAUSE);
    assert!(dxe_regs::IRQ_CAUSE_TEST == IRQ_CAUSE_TEST);
    assert!(dxe_regs::NUM_VECTORS == hlb_regs::NUM_VECTORS);
};

/// What identifies one kind of lbdx device, and how its driver names things.
pub(crate) struct Identity {
    /// Short name used in messages ("HLB", "DXE").
    pub(crate) name: &'static str,
    /// Expected value of the `ID` register.
    pub(crate) magic: u32,
    /// The register-map major version this driver implements.
    pub(crate) major: u16,
    /// Name of the BAR0 memory region.
    pub(crate) bar_name: &'static CStr,
    /// Name of the control-vector interrupt.
    pub(crate) irq_name: &'static CStr,
}

/// Most MSI-X vectors the driver asks for; a device reporting more gets
/// this many.
const MAX_VECTORS: u32 = 256;

/// A bound lbdx PCI function: BAR0, its MSI-X vectors and the control-vector
/// handler, brought up and self-tested.
///
/// Fields drop in declaration order: the handler, then the vectors it was
/// registered on.
#[pin_data]
pub(crate) struct Function<'b> {
    #[pin]
    control_irq: irq::ThreadedRegistration<'b, ControlIrq>,
    vectors: pci::IrqVectorRegistration<'b>,
    version: Version,
    bar: SharedBar0,
}

impl<'b> Function<'b> {
    /// Brings up `pdev` (enabled by [`enable`]): maps BAR0, checks the
    /// identity, resets the device, allocates every MSI-X vector it reports
    /// (up to 256), registers the control-vector handler and proves an
    /// interrupt arrives.
    pub(crate) fn new(
        pdev: &'b pci::Device<Bound>,
        ident: &'static Identity,
    ) -> impl PinInit<Self, Error> + 'b {
        try_pin_init!(&this in Self {
            bar: Arc::new(map_and_reset(pdev, ident)?.into_devres()?, GFP_KERNEL)?,
            version: {
                // SAFETY: `bar` is initialized above.
                let bar = unsafe { &*core::ptr::addr_of!((*this.as_ptr()).bar) }.access(pdev.as_ref())?;
                let raw = bar.read32(VERSION);
                Version { major: hlb_regs::version_major(raw), minor: hlb_regs::version_minor(raw) }
            },
            vectors: {
                // SAFETY: As for `version`.
                let bar = unsafe { &*core::ptr::addr_of!((*this.as_ptr()).bar) }.access(pdev.as_ref())?;
                let want = bar.read32(NUM_VECTORS).min(MAX_VECTORS);
                if want == 0 {
                    dev_err!(pdev, "{} reports no MSI-X vectors; not binding\n", ident.name);
                    return Err(ENODEV);
                }
                pdev.alloc_irq_vectors(want, want, pci::IrqTypes::default().with(pci::IrqType::MsiX))
                    .inspect_err(|e| dev_err!(pdev, "cannot allocate {} MSI-X vectors: {:?}\n", want, e))?
            },
            control_irq <- {
                // SAFETY: `vectors` and `bar` are initialized above; `vectors`
                // drops after `control_irq`.
                let (vectors, bar) = unsafe {
                    (
                        &*core::ptr::addr_of!((*this.as_ptr()).vectors),
                        &*core::ptr::addr_of!((*this.as_ptr()).bar),
                    )
                };
                // SAFETY: The registration is a field of `Function`, which
                // its owner never leaks (the driver core drops it on unbind).
                unsafe { ControlIrq::register(vectors, bar.clone(), ident.irq_name) }
            },
            _: {
                // SAFETY: Every field is initialized at this point.
                let f = unsafe { &*this.as_ptr() };
                irq_selftest(pdev, f.bar.access(pdev.as_ref())?, &f.control_irq)?;
            },
        }? Error)
    }

    /// BAR0, shared and revocable.
    pub(crate) fn bar(&self) -> &SharedBar0 {
        &self.bar
    }

    /// The device's version.
    pub(crate) fn version(&self) -> Version {
        self.version
    }

    /// Number of MSI-X vectors allocated.
    pub(crate) fn irq_vectors(&self) -> usize {
        self.vectors.len()
    }

    /// The MSI-X vectors (vector 0 has the control handler).
    pub(crate) fn vectors(&self) -> &pci::IrqVectorRegistration<'b> {
        &self.vectors
    }

    /// Control-vector cause bits other than the self-test seen since probe.
    pub(crate) fn other_causes(&self) -> u32 {
        self.control_irq
            .handler()
            .other_causes
            .load(Ordering::Relaxed)
    }

    /// Sets (or, with `None`, removes) who is told about control-vector
    /// causes. On return no call to the previous notifier is in progress.
    pub(crate) fn set_control_notifier(&self, notifier: Option<Arc<dyn ControlNotifier>>) {
        let old = core::mem::replace(&mut *self.control_irq.handler().notifier.lock(), notifier);
        self.control_irq.synchronize();
        drop(old);
    }
}

/// Told about the control vector's cause bits (other than the self-test),
/// after the handler acknowledged them.
pub(crate) trait ControlNotifier: Send + Sync {
    /// `causes` (`IRQ_CAUSE` bits) were seen. Called in the vector's
    /// interrupt thread: process context, may sleep.
    fn control_causes(&self, causes: u32);
}

/// Device version read from `VERSION`.
#[derive(Clone, Copy)]
pub(crate) struct Version {
    pub(crate) major: u16,
    pub(crate) minor: u16,
}

impl core::fmt::Display for Version {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// Enables the device, maps BAR0, checks identity and version, and resets
/// the device. Refuses (`ENODEV`) a device that is not what `ident` says.
/// Enables memory decoding and bus mastering of `pdev` and sets its 64-bit
/// DMA mask: the steps of bring-up that need the probe-only `Core` context.
pub(crate) fn enable<'b>(pdev: &'b pci::Device<Core<'_>>) -> Result<&'b pci::Device<Bound>> {
    pdev.enable_device_mem()?;
    pdev.set_master();
    // SAFETY: Called at the start of probe, before any DMA allocation or
    // mapping for this device, so nothing runs concurrently with it.
    unsafe { pdev.dma_set_mask_and_coherent(DmaMask::new::<64>())? };
    Ok(pdev)
}

fn map_and_reset<'b>(pdev: &'b pci::Device<Bound>, ident: &Identity) -> Result<Bar0<'b>> {
    let bar = pdev.iomap_region_sized::<BAR0_SIZE>(0, ident.bar_name)?;

    let id = (&bar).read32(ID);
    if id == u32::MAX {
        // What a function reads when it is not there: a VF its PF has
        // not enabled, or a device that went away.
        dev_info!(
            pdev,
            "{} not present (ID reads all ones): a VF its PF has not enabled, or gone\n",
            ident.name
        );
        return Err(ENODEV);
    }
    if id != ident.magic {
        dev_err!(
            pdev,
            "unknown device: ID register reads {:#010x}, a {} reads {:#010x}; not binding\n",
            id,
            ident.name,
            ident.magic
        );
        return Err(ENODEV);
    }
    let raw = (&bar).read32(VERSION);
    if hlb_regs::version_major(raw) != ident.major {
        dev_err!(
            pdev,
            "{} version {}.{} not supported (this driver supports {}.x); not binding\n",
            ident.name,
            hlb_regs::version_major(raw),
            hlb_regs::version_minor(raw),
            ident.major
        );
        return Err(ENODEV);
    }

    (&bar).write32(CTRL_RESET, CTRL);
    read_poll_timeout(
        || Ok(((&bar).read32(CTRL), (&bar).read32(STATUS))),
        |&(ctrl, status)| ctrl & CTRL_RESET == 0 && status & STATUS_READY != 0,
        Delta::from_millis(1),
        Delta::from_millis(1000),
    )
    .inspect_err(|_| {
        dev_err!(
            pdev,
            "{} did not come out of reset within 1 s\n",
            ident.name
        )
    })?;
    Ok(bar)
}

/// Handler of vector 0, the control vector: the HLB's alarm vector and the
/// DXE's error vector. Acknowledges every cause it finds in `IRQ_CAUSE`;
/// its thread passes causes other than the self-test to the notifier.
#[pin_data]
struct ControlIrq {
    bar: SharedBar0,
    /// Self-test interrupts seen.
    self_tests: AtomicU32,
    /// Cause bits other than the self-test, accumulated since probe.
    other_causes: AtomicU32,
    /// Cause bits the thread has not passed on yet.
    pending: AtomicU32,
    /// Who is told about causes, if anyone.
    #[pin]
    notifier: Mutex<Option<Arc<dyn ControlNotifier>>>,
}

impl ControlIrq {
    /// Registers the control-vector handler on vector 0 of `vectors`.
    ///
    /// # Safety
    ///
    /// The returned registration must not be leaked.
    unsafe fn register<'b>(
        vectors: &'b pci::IrqVectorRegistration<'b>,
        bar: SharedBar0,
        name: &'static CStr,
    ) -> impl PinInit<irq::ThreadedRegistration<'b, Self>, Error> + 'b {
        let handler = try_pin_init!(Self {
            bar,
            self_tests: AtomicU32::new(0),
            other_causes: AtomicU32::new(0),
            pending: AtomicU32::new(0),
            notifier <- new_mutex!(None),
        }? Error);
        pin_init::pin_init_scope(move || {
            let request = vectors.index(0)?.into();
            // SAFETY: Forwarded to our caller.
            Ok(unsafe {
                irq::ThreadedRegistration::new(request, irq::Flags::TRIGGER_NONE, name, handler)
            })
        })
    }
}

impl irq::ThreadedHandler for ControlIrq {
    fn handle(&self) -> ThreadedIrqReturn {
        let Some(bar) = self.bar.try_access() else {
            return ThreadedIrqReturn::None;
        };
        let cause = bar.read32(IRQ_CAUSE);
        if cause == 0 || cause == u32::MAX {
            // Not ours, or the device is gone (reads all ones).
            return ThreadedIrqReturn::None;
        }
        bar.write32(cause, IRQ_CAUSE);
        if cause & IRQ_CAUSE_TEST != 0 {
            self.self_tests.fetch_add(1, Ordering::Release);
        }
        let other = cause & !IRQ_CAUSE_TEST;
        if other == 0 {
            return ThreadedIrqReturn::Handled;
        }
        self.other_causes.fetch_or(other, Ordering::Relaxed);
        self.pending.fetch_or(other, Ordering::Release);
        ThreadedIrqReturn::WakeThread
    }

    fn handle_threaded(&self) -> IrqReturn {
        let causes = self.pending.swap(0, Ordering::Acquire);
        let notifier = self.notifier.lock().clone();
        if let Some(n) = notifier {
            if causes != 0 {
                n.control_causes(causes);
            }
        }
        IrqReturn::Handled
    }
}

/// Asks the device to raise vector 0 and waits up to one second for the
/// handler to see it.
fn irq_selftest(
    pdev: &pci::Device<Bound>,
    bar: &Bar0<'_>,
    irq: &irq::ThreadedRegistration<'_, ControlIrq>,
) -> Result {
    let h = irq.handler();
    let before = h.self_tests.load(Ordering::Acquire);
    bar.write32(0, IRQ_TEST);
    read_poll_timeout(
        || Ok(h.self_tests.load(Ordering::Acquire)),
        |&n| n != before,
        Delta::from_millis(1),
        Delta::from_millis(1000),
    )
    .inspect_err(|_| {
        dev_err!(
            pdev,
            "interrupt self-test: vector 0 did not arrive within 1 s\n"
        )
    })?;
    Ok(())
}

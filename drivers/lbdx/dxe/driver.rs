// SPDX-License-Identifier: GPL-2.0

//! PCI binding of the DXE: probe brings the function up (`bringup`), reads
//! the engine's capabilities, starts the engine (rings, channel
//! interrupts, watchdog), self-tests it, registers it with the offload
//! layer and publishes it in sysfs; unbind stops it and undoes it all.

use super::{
    backend,
    caps::Caps,
    engine::Engine,
    irq::{self, ChannelIrqs},
    selftest,
    sysfs::DeviceAttrs,
    watchdog::{self, Watchdog},
};
use crate::{
    bringup::{self, Function, Identity},
    hw::dxe_regs::{self, write_caps},
    offload, pci_id,
    sysfs::AttrGroup,
};
use kernel::{
    device::{Bound, Core},
    pci,
    prelude::*,
    str::Formatter,
    sync::Arc,
};

static IDENTITY: Identity = Identity {
    name: "DXE",
    magic: dxe_regs::ID_MAGIC,
    major: dxe_regs::VERSION_MAJOR,
    bar_name: c"lbdx_dxe",
    irq_name: c"lbdx_dxe_error",
};

/// The engine while it runs, with its watchdog. Dropping it stops both
/// (see [`Running::stop`]).
struct Running {
    engine: Arc<Engine>,
    watchdog: Arc<Watchdog>,
}

impl Running {
    fn start(engine: &Arc<Engine>) -> Result<Self> {
        Ok(Self {
            engine: engine.clone(),
            watchdog: watchdog::start(engine.clone())?,
        })
    }

    /// Refuses every new job, stops the watchdog, then resets the device
    /// (it no longer touches any buffer) and aborts the jobs left in the
    /// rings. May be called more than once.
    fn stop(&self) {
        self.engine.close();
        self.watchdog.stop();
        self.engine.quiesce();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A bound DXE engine.
///
/// Teardown order (`unbind`, then the fields in declaration order):
///
/// 1. the engine is detached from the error vector: no halt recovery runs
///    any more;
/// 2. `running` stops the engine: every submit is refused with `Gone`,
///    the watchdog ends, the device is reset so that it touches no buffer
///    any more, and every job still in a ring is reported aborted (but for
///    a quarantined engine, whose jobs the driver never reports: see
///    `engine/recovery.rs`);
/// 3. the sysfs files go;
/// 4. the offload registration drops: the layer fails over whatever it
///    still holds and ignores later reports;
/// 5. the channel interrupt handlers are freed;
/// 6. the function goes: error vector, MSI-X vectors, BAR;
/// 7. the rings are freed with the last reference to the engine, which
///    `attrs` holds.
///
/// A failed probe drops the fields it initialized in the same order,
/// `running` stopping the engine (a recovery already under way on the
/// error vector then finds it closed).
#[pin_data]
pub(crate) struct Dxe<'b> {
    attrs_group: AttrGroup<'b, DeviceAttrs>,
    running: Running,
    registration: offload::Registration,
    chan_irqs: ChannelIrqs<'b>,
    #[pin]
    function: Function<'b>,
    attrs: DeviceAttrs,
}

impl<'b> Dxe<'b> {
    fn new(pdev: &'b pci::Device<Bound>) -> impl PinInit<Self, Error> + 'b {
        try_pin_init!(&this in Self {
            function <- Function::new(pdev, &IDENTITY),
            attrs: {
                // SAFETY: `function` is initialized above and drops after
                // this borrow's last use (in this block).
                let f = unsafe { &*core::ptr::addr_of!((*this.as_ptr()).function) };
                let bar = f.bar().access(pdev.as_ref())?;
                let caps = Caps::read(bar).map_err(|why| {
                    dev_err!(pdev, "DXE capabilities invalid ({}); not binding\n", why);
                    ENODEV
                })?;
                let engine = Engine::new(pdev, f.bar().clone(), caps, f.irq_vectors())?;
                DeviceAttrs { version: f.version(), caps, irq_vectors: f.irq_vectors(), engine }
            },
            chan_irqs: {
                // SAFETY: `function` and `attrs` are initialized above;
                // `function` (holding the vectors) drops after `chan_irqs`.
                let (f, attrs) = unsafe {
                    (
                        &*core::ptr::addr_of!((*this.as_ptr()).function),
                        &*core::ptr::addr_of!((*this.as_ptr()).attrs),
                    )
                };
                // SAFETY: The registrations are a field of `Dxe`, which is
                // never leaked.
                unsafe { irq::register(f.vectors(), &attrs.engine)? }
            },
            running: {
                // SAFETY: As for `chan_irqs`.
                let (f, attrs) = unsafe {
                    (
                        &*core::ptr::addr_of!((*this.as_ptr()).function),
                        &*core::ptr::addr_of!((*this.as_ptr()).attrs),
                    )
                };
                let running = Running::start(&attrs.engine)?;
                f.set_control_notifier(Some(attrs.engine.clone()));
                running
            },
            registration: {
                // SAFETY: `attrs` is initialized above.
                let engine = unsafe { &(*core::ptr::addr_of!((*this.as_ptr()).attrs)).engine };
                let cost = selftest::run(pdev, engine)?;
                engine.open(cost);
                let reg = offload::Registration::new(backend::desc(pdev, engine, cost)?, engine.clone())?;
                engine.link(reg.reporter());
                reg
            },
            attrs_group: {
                // SAFETY: `attrs` is initialized above and drops after this group.
                let attrs = unsafe { &*core::ptr::addr_of!((*this.as_ptr()).attrs) };
                // SAFETY: The group is a field of `Dxe`, which is never leaked.
                unsafe { AttrGroup::new(pdev.as_ref(), None, attrs)? }
            },
            _: {
                // SAFETY: Every field is initialized at this point.
                unsafe { &*this.as_ptr() }.log_summary(pdev)?;
            },
        }? Error)
    }

    fn log_summary(&self, pdev: &pci::Device<Bound>) -> Result {
        let c = &self.attrs.caps;
        let mut buf = [0u8; 64];
        let mut out = Formatter::new(&mut buf);
        write_caps(c.ops, &mut out).map_err(|_| EINVAL)?;
        let len = out.bytes_written();
        let ops = core::str::from_utf8(buf.get(..len).unwrap_or_default()).unwrap_or("?");
        dev_info!(
            pdev,
            "DXE {}.{}: {} channels, ops {}, up to {} xor sources, {} bytes per descriptor, nominal {} MiB/s, {} MSI-X vectors, interrupt self-test passed, DMA self-test passed on every channel, {}-descriptor rings, {} us per job\n",
            self.attrs.version.major,
            self.attrs.version.minor,
            c.channels,
            ops,
            c.max_xor_srcs,
            c.max_xfer,
            c.nominal_bw,
            self.attrs.irq_vectors,
            self.attrs.engine.ring_slots(),
            self.attrs.engine.job_cost_ns() / 1000
        );
        Ok(())
    }
}

/// The `lbdx_dxe` PCI driver.
pub(crate) struct DxeDriver;

kernel::pci_device_table!(
    PCI_TABLE,
    <DxeDriver as pci::Driver>::IdInfo,
    [(
        pci_id::device_id(dxe_regs::PCI_VENDOR_ID, dxe_regs::PCI_DEVICE_ID),
        ()
    )]
);

impl pci::Driver for DxeDriver {
    type IdInfo = ();
    type Data<'bound> = Dxe<'bound>;

    const ID_TABLE: pci::IdTable<Self::IdInfo> = &PCI_TABLE;

    fn probe<'bound>(
        pdev: &'bound pci::Device<Core<'_>>,
        _info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
        let enabled = bringup::enable(pdev);
        pin_init::pin_init_scope(move || Ok(Dxe::new(enabled?)))
    }

    fn unbind<'bound>(pdev: &'bound pci::Device<Core<'_>>, this: Pin<&Self::Data<'bound>>) {
        this.function.set_control_notifier(None);
        this.running.stop();
        let causes = this.function.other_causes();
        if causes != 0 {
            dev_info!(
                pdev,
                "unbinding; error causes seen since probe: {:#x}\n",
                causes
            );
        }
    }
}

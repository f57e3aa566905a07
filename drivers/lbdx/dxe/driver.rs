// SPDX-License-Identifier: GPL-2.0

//! PCI binding of the DXE: probe brings the function up (`bringup`), reads
//! the engine's capabilities and publishes them in sysfs; unbind undoes it
//! all by dropping [`Dxe`].

use super::{caps::Caps, selftest, sysfs::DeviceAttrs};
use crate::{
    bringup::{self, Function, Identity},
    hw::dxe_regs::{self, write_caps},
    pci_id,
    sysfs::AttrGroup,
};
use kernel::{
    device::{Bound, Core},
    pci,
    prelude::*,
    str::Formatter,
};

static IDENTITY: Identity = Identity {
    name: "DXE",
    magic: dxe_regs::ID_MAGIC,
    major: dxe_regs::VERSION_MAJOR,
    bar_name: c"lbdx_dxe",
    irq_name: c"lbdx_dxe_error",
};

/// A bound DXE engine.
///
/// Fields drop in declaration order: sysfs files first, then the function
/// (interrupts, vectors, BAR), then the state the files showed.
#[pin_data]
pub(crate) struct Dxe<'b> {
    attrs_group: AttrGroup<'b, DeviceAttrs>,
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
                if caps.ops & dxe_regs::CAP_COPY != 0 {
                    let intr = caps.ops & dxe_regs::CAP_INTR != 0;
                    selftest::dma_selftest(pdev, bar, f.vectors(), intr)?;
                }
                DeviceAttrs { version: f.version(), caps, irq_vectors: f.irq_vectors() }
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
        let dma_test = if c.ops & dxe_regs::CAP_COPY != 0 {
            "passed"
        } else {
            "skipped (no copy)"
        };
        let ops = core::str::from_utf8(buf.get(..len).unwrap_or_default()).unwrap_or("?");
        dev_info!(
            pdev,
            "DXE {}.{}: {} channels, ops {}, up to {} xor sources, {} bytes per descriptor, nominal {} MiB/s, {} MSI-X vectors, interrupt self-test passed, DMA self-test {}\n",
            self.attrs.version.major,
            self.attrs.version.minor,
            c.channels,
            ops,
            c.max_xor_srcs,
            c.max_xfer,
            c.nominal_bw,
            self.attrs.irq_vectors,
            dma_test
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

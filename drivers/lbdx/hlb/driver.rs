// SPDX-License-Identifier: GPL-2.0

//! PCI binding of the HLB: probe brings the function up (`bringup`), reads
//! the device's resources and publishes them in sysfs; unbind undoes it all
//! by dropping [`Hlb`].

use super::{
    configfs,
    control_causes::ControlCauses,
    control_plane::HlbCtl,
    dataplane::{self, CqIrqs, DataPlane},
    program::{BarProgram, Program},
    resources::Totals,
    sysfs::DeviceAttrs,
    vf_mailbox::VfMailbox,
};
use crate::{
    bringup::{self, Function, Identity},
    hw::hlb_regs,
    pci_id,
    sysfs::AttrGroup,
};
use kernel::{
    device::{Bound, Core},
    new_mutex, pci,
    prelude::*,
    sync::{Arc, Mutex},
};

static IDENTITY: Identity = Identity {
    name: "HLB",
    magic: hlb_regs::ID_MAGIC,
    major: hlb_regs::VERSION_MAJOR,
    bar_name: c"lbdx_hlb",
    irq_name: c"lbdx_hlb_alarm",
};

/// A bound HLB.
///
/// Fields drop in declaration order: sysfs files first, then the function
/// (interrupts, vectors), then the state the files showed. The control
/// plane outlives the binding if configfs still holds it, with its BAR
/// access revoked.
#[pin_data]
pub(crate) struct Hlb<'b> {
    device_attrs_group: AttrGroup<'b, DeviceAttrs>,
    totals_group: AttrGroup<'b, Totals>,
    avail_group: AttrGroup<'b, HlbCtl>,
    /// Minor version 1: CQ interrupts (before `function`, which owns the
    /// vectors) and the data plane.
    cq_irqs: CqIrqs<'b>,
    dataplane: Option<Arc<DataPlane>>,
    /// Minor version 2 with VFs: the PF's mailbox service.
    vf_mailbox: Option<Arc<VfMailbox>>,
    #[pin]
    function: Function<'b>,
    device_attrs: DeviceAttrs,
    totals: Totals,
    /// Held while programming or reading a data-plane alarm.
    alarm_lock: Arc<Mutex<Option<(u32, u32)>>>,
    ctl: Arc<HlbCtl>,
}

impl<'b> Hlb<'b> {
    fn new(pdev: &'b pci::Device<Bound>) -> impl PinInit<Self, Error> + 'b {
        try_pin_init!(&this in Self {
            function <- Function::new(pdev, &IDENTITY),
            totals: {
                // SAFETY: `function` is initialized above and drops after
                // this borrow's last use (below, in this initializer).
                let f = unsafe { &*core::ptr::addr_of!((*this.as_ptr()).function) };
                Totals::read(f.bar().access(pdev.as_ref())?, f.version().minor).inspect_err(|_| {
                    dev_err!(pdev, "HLB reports no domains, queues or ports; not binding\n")
                })?
            },
            alarm_lock: Arc::pin_init(new_mutex!(None), GFP_KERNEL)?,
            device_attrs: {
                // SAFETY: As for `totals`.
                let f = unsafe { &*core::ptr::addr_of!((*this.as_ptr()).function) };
                DeviceAttrs { version: f.version(), irq_vectors: f.irq_vectors() }
            },
            ctl: {
                // SAFETY: `function` and `totals` are initialized above.
                let (f, totals) = unsafe {
                    (
                        &*core::ptr::addr_of!((*this.as_ptr()).function),
                        &*core::ptr::addr_of!((*this.as_ptr()).totals),
                    )
                };
                let pool_totals = totals.pool_totals();
                if let Err(what) = pool_totals.check() {
                    dev_err!(pdev, "HLB reports more {} than this driver handles; not binding\n", what);
                    return Err(ENODEV);
                }
                // SAFETY: `alarm_lock` is initialized above.
                let alarm_lock = unsafe { &*core::ptr::addr_of!((*this.as_ptr()).alarm_lock) };
                let device: KBox<dyn Program> =
                    KBox::new(BarProgram::new(f.bar().clone(), alarm_lock.clone()), GFP_KERNEL)?;
                HlbCtl::new(device, pool_totals, totals.num_vfs)?
            },
            dataplane: {
                // SAFETY: `function`, `totals` and `alarm_lock` are
                // initialized above.
                let (f, totals, alarm_lock) = unsafe {
                    (
                        &*core::ptr::addr_of!((*this.as_ptr()).function),
                        &*core::ptr::addr_of!((*this.as_ptr()).totals),
                        &*core::ptr::addr_of!((*this.as_ptr()).alarm_lock),
                    )
                };
                if f.version().minor >= 1 {
                    Some(DataPlane::new(
                        pdev,
                        f.bar().clone(),
                        totals.get(hlb_regs::NUM_LDB_PORTS),
                        totals.get(hlb_regs::NUM_DIR_PORTS),
                        f.irq_vectors(),
                        alarm_lock.clone(),
                    )?)
                } else {
                    None
                }
            },
            cq_irqs: {
                // SAFETY: `function` and `dataplane` are initialized above.
                let (f, dp) = unsafe {
                    (
                        &*core::ptr::addr_of!((*this.as_ptr()).function),
                        &*core::ptr::addr_of!((*this.as_ptr()).dataplane),
                    )
                };
                match dp {
                    // SAFETY: The registrations are a field of `Hlb`, which
                    // is never leaked.
                    Some(dp) => unsafe { dataplane::register_irqs(f.vectors(), dp)? },
                    None => KVec::new(),
                }
            },
            _: {
                // SAFETY: `ctl` and `dataplane` are initialized.
                let (ctl, dp) = unsafe {
                    (
                        &*core::ptr::addr_of!((*this.as_ptr()).ctl),
                        &*core::ptr::addr_of!((*this.as_ptr()).dataplane),
                    )
                };
                if let Some(dp) = dp {
                    ctl.set_runtime(Some(dp.clone()));
                }
            },
            vf_mailbox: {
                // SAFETY: `function` and `ctl` are initialized above.
                let (f, ctl) = unsafe {
                    (
                        &*core::ptr::addr_of!((*this.as_ptr()).function),
                        &*core::ptr::addr_of!((*this.as_ptr()).ctl),
                    )
                };
                match ctl.num_vfs() {
                    0 => None,
                    _ => Some(VfMailbox::new(f.bar().clone(), ctl.clone())?),
                }
            },
            _: {
                // SAFETY: `function`, `dataplane` and `vf_mailbox` are
                // initialized above.
                let (f, dp, mbox) = unsafe {
                    (
                        &*core::ptr::addr_of!((*this.as_ptr()).function),
                        &*core::ptr::addr_of!((*this.as_ptr()).dataplane),
                        &*core::ptr::addr_of!((*this.as_ptr()).vf_mailbox),
                    )
                };
                let causes = ControlCauses { dataplane: dp.clone(), mailbox: mbox.clone() };
                f.set_control_notifier(causes.notifier()?);
            },
            avail_group: {
                // SAFETY: `ctl` is initialized above and drops after this group.
                let ctl = unsafe { &*core::ptr::addr_of!((*this.as_ptr()).ctl) };
                // SAFETY: The group is a field of `Hlb`, which is never leaked.
                unsafe { AttrGroup::new(pdev.as_ref(), Some(c"avail_resources"), &**ctl)? }
            },
            totals_group: {
                // SAFETY: `totals` is initialized above and drops after this group.
                let totals = unsafe { &*core::ptr::addr_of!((*this.as_ptr()).totals) };
                // SAFETY: The group is a field of `Hlb`, which is never leaked.
                unsafe { AttrGroup::new(pdev.as_ref(), Some(c"total_resources"), totals)? }
            },
            device_attrs_group: {
                // SAFETY: `device_attrs` is initialized above and drops after this group.
                let attrs = unsafe { &*core::ptr::addr_of!((*this.as_ptr()).device_attrs) };
                // SAFETY: The group is a field of `Hlb`, which is never leaked.
                unsafe { AttrGroup::new(pdev.as_ref(), None, attrs)? }
            },
            _: {
                // SAFETY: Every field is initialized at this point.
                let hlb = unsafe { &*this.as_ptr() };
                // Last: nothing after it can fail, so configfs never lists
                // a device whose probe failed.
                configfs::register(pdev.as_ref().name(), hlb.ctl.clone())?;
                hlb.log_summary(pdev);
            },
        }? Error)
    }

    fn log_summary(&self, pdev: &pci::Device<Bound>) {
        let t = &self.totals;
        dev_info!(
            pdev,
            "HLB {}.{}: {} domains, {} LDB queues, {} DIR ports, {} LDB ports, {}+{} credits, {} history-list entries, {} MSI-X vectors, interrupt self-test passed\n",
            self.device_attrs.version.major,
            self.device_attrs.version.minor,
            t.get(hlb_regs::NUM_DOMAINS),
            t.get(hlb_regs::NUM_LDB_QUEUES),
            t.get(hlb_regs::NUM_DIR_PORTS),
            t.get(hlb_regs::NUM_LDB_PORTS),
            t.get(hlb_regs::NUM_LDB_CREDITS),
            t.get(hlb_regs::NUM_DIR_CREDITS),
            t.get(hlb_regs::NUM_HIST_LIST),
            self.device_attrs.irq_vectors
        );
    }
}

/// The `lbdx_hlb` PCI driver.
pub(crate) struct HlbDriver;

kernel::pci_device_table!(
    PCI_TABLE,
    <HlbDriver as pci::Driver>::IdInfo,
    [(
        pci_id::device_id(hlb_regs::PCI_VENDOR_ID, hlb_regs::PCI_DEVICE_ID),
        ()
    )]
);

impl pci::Driver for HlbDriver {
    type IdInfo = ();
    type Data<'bound> = Hlb<'bound>;

    const ID_TABLE: pci::IdTable<Self::IdInfo> = &PCI_TABLE;

    fn probe<'bound>(
        pdev: &'bound pci::Device<Core<'_>>,
        _info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
        let enabled = bringup::enable(pdev);
        pin_init::pin_init_scope(move || Ok(Hlb::new(enabled?)))
    }

    fn unbind<'bound>(pdev: &'bound pci::Device<Core<'_>>, this: Pin<&Self::Data<'bound>>) {
        // Registered VFs are told first and their domains reset; then
        // every PF domain is reset and every user cut off; then nothing
        // reaches the CQ rings, which go before the binding does.
        if let Some(mbox) = &this.vf_mailbox {
            mbox.pf_going();
        }
        configfs::unregister(&this.ctl);
        this.function.set_control_notifier(None);
        this.ctl.set_runtime(None);
        if let Some(dp) = &this.dataplane {
            dp.revoke_rings();
        }
        let causes = this.function.other_causes();
        if causes != 0 {
            dev_info!(
                pdev,
                "unbinding; alarm causes seen since probe: {:#x}\n",
                causes
            );
        }
    }
}

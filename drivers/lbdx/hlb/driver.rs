// SPDX-License-Identifier: GPL-2.0

//! PCI binding of the HLB's functions: probe brings the function up
//! (`bringup`), learns its resources and publishes them in sysfs and
//! configfs; unbind undoes it all by dropping [`Hlb`].
//!
//! One driver binds both kinds of function with one control plane and
//! one data plane: the PF reads its totals from its registers and programs
//! through BAR0; a VF (`Documentation/hw/hlb-vf.rst`) registers with its
//! PF over the mailbox, gets its assignment as its totals and programs
//! through mailbox requests (`mbox_program.rs`), in its virtual ids.

use super::{
    configfs,
    control_causes::ControlCauses,
    control_plane::HlbCtl,
    dataplane::{self, CqIrqs, DataPlane},
    mbox_program::MboxProgram,
    pf_mailbox::PfSession,
    pf_messages::{self, PfMessages},
    program::{BarProgram, Program},
    resources::Totals,
    sysfs::DeviceAttrs,
    vf_mailbox::VfMailbox,
    vf_sysfs::VfView,
};
use crate::{
    bringup::{self, Function, Identity},
    hw::{hlb_regs, hlb_vf_regs},
    pci_id,
    periodic::Running,
    sysfs::AttrGroup,
};
use kernel::{
    device::{Bound, Core},
    new_mutex, pci,
    prelude::*,
    sync::{Arc, Mutex},
};

static PF_IDENTITY: Identity = Identity {
    name: "HLB",
    magic: hlb_regs::ID_MAGIC,
    major: hlb_regs::VERSION_MAJOR,
    bar_name: c"lbdx_hlb",
    irq_name: c"lbdx_hlb_alarm",
};

static VF_IDENTITY: Identity = Identity {
    name: "HLB VF",
    magic: hlb_vf_regs::ID_MAGIC,
    major: hlb_regs::VERSION_MAJOR,
    bar_name: c"lbdx_hlb_vf",
    irq_name: c"lbdx_hlb_vf_ctl",
};

/// Which function of an HLB a device is (the ID table's data).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// The physical function: owns the device.
    Pf,
    /// A virtual function: reaches the device through its PF.
    Vf,
}

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
    /// Minor version 1: the device-wide statistics (`stats/`).
    stats_group: Option<AttrGroup<'b, DataPlane>>,
    /// A PF's `vf<n>/` groups, reading `vf_views`.
    vf_groups: KVec<AttrGroup<'b, VfView>>,
    /// Minor version 1: CQ interrupts (before `function`, which owns the
    /// vectors) and the data plane.
    cq_irqs: CqIrqs<'b>,
    dataplane: Option<Arc<DataPlane>>,
    /// Minor version 2 with VFs: the PF's mailbox service.
    vf_mailbox: Option<Arc<VfMailbox>>,
    /// A VF's look for its PF's messages (stopped before the session
    /// ends).
    pf_poll: Option<Running<Arc<PfMessages>>>,
    /// A VF's session with its PF.
    pf_session: Option<PfSession>,
    #[pin]
    function: Function<'b>,
    device_attrs: DeviceAttrs,
    totals: Totals,
    vf_views: KVec<VfView>,
    /// Held while programming or reading a data-plane alarm.
    alarm_lock: Arc<Mutex<Option<(u32, u32)>>>,
    ctl: Arc<HlbCtl>,
}

impl<'b> Hlb<'b> {
    fn new(pdev: &'b pci::Device<Bound>, role: Role) -> impl PinInit<Self, Error> + 'b {
        let ident = match role {
            Role::Pf => &PF_IDENTITY,
            Role::Vf => &VF_IDENTITY,
        };
        try_pin_init!(&this in Self {
            function <- Function::new(pdev, ident),
            pf_session: {
                // SAFETY: `function` is initialized above and drops after
                // this borrow's last use (below, in this initializer).
                let f = unsafe { &*core::ptr::addr_of!((*this.as_ptr()).function) };
                match role {
                    Role::Pf => None,
                    Role::Vf => Some(PfSession::open(f.bar().clone()).inspect_err(|e| {
                        dev_err!(pdev, "VF cannot register with its PF: {:?}; not binding\n", e)
                    })?),
                }
            },
            totals: {
                // SAFETY: `function` and `pf_session` are initialized above.
                let (f, session) = unsafe {
                    (
                        &*core::ptr::addr_of!((*this.as_ptr()).function),
                        &*core::ptr::addr_of!((*this.as_ptr()).pf_session),
                    )
                };
                match session {
                    None => Totals::read(f.bar().access(pdev.as_ref())?, f.version().minor),
                    Some(s) => Totals::of_vf(&s.resources),
                }
                .inspect_err(|_| {
                    dev_err!(pdev, "{} has no domains, queues or ports; not binding\n", ident.name)
                })?
            },
            alarm_lock: Arc::pin_init(new_mutex!(None), GFP_KERNEL)?,
            device_attrs: {
                // SAFETY: As for `totals`.
                let f = unsafe { &*core::ptr::addr_of!((*this.as_ptr()).function) };
                DeviceAttrs { version: f.version(), irq_vectors: f.irq_vectors() }
            },
            ctl: {
                // SAFETY: `function`, `pf_session`, `totals` and
                // `alarm_lock` are initialized above.
                let (f, session, totals, alarm_lock) = unsafe {
                    (
                        &*core::ptr::addr_of!((*this.as_ptr()).function),
                        &*core::ptr::addr_of!((*this.as_ptr()).pf_session),
                        &*core::ptr::addr_of!((*this.as_ptr()).totals),
                        &*core::ptr::addr_of!((*this.as_ptr()).alarm_lock),
                    )
                };
                let pool_totals = totals.pool_totals();
                if let Err(what) = pool_totals.check() {
                    dev_err!(pdev, "{} reports more {} than this driver handles; not binding\n", ident.name, what);
                    return Err(ENODEV);
                }
                let device: Arc<dyn Program> = match session {
                    None => Arc::new(BarProgram::new(f.bar().clone(), alarm_lock.clone(), f.version().minor), GFP_KERNEL)?,
                    Some(s) => Arc::new(MboxProgram::new(s.mbox.clone()), GFP_KERNEL)?,
                };
                HlbCtl::new(device, pool_totals, totals.num_vfs)?
            },
            dataplane: {
                // SAFETY: `function`, `totals`, `alarm_lock` and `ctl` are
                // initialized above.
                let (f, totals, alarm_lock, ctl) = unsafe {
                    (
                        &*core::ptr::addr_of!((*this.as_ptr()).function),
                        &*core::ptr::addr_of!((*this.as_ptr()).totals),
                        &*core::ptr::addr_of!((*this.as_ptr()).alarm_lock),
                        &*core::ptr::addr_of!((*this.as_ptr()).ctl),
                    )
                };
                if f.version().minor >= 1 {
                    Some(DataPlane::new(
                        pdev,
                        f,
                        totals.get(hlb_regs::NUM_LDB_PORTS),
                        totals.get(hlb_regs::NUM_DIR_PORTS),
                        alarm_lock.clone(),
                        ctl.program().clone(),
                        role == Role::Vf,
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
            pf_poll: {
                // SAFETY: `function`, `dataplane`, `vf_mailbox`,
                // `pf_session` and `ctl` are initialized above.
                let (f, dp, mbox, session, ctl) = unsafe {
                    (
                        &*core::ptr::addr_of!((*this.as_ptr()).function),
                        &*core::ptr::addr_of!((*this.as_ptr()).dataplane),
                        &*core::ptr::addr_of!((*this.as_ptr()).vf_mailbox),
                        &*core::ptr::addr_of!((*this.as_ptr()).pf_session),
                        &*core::ptr::addr_of!((*this.as_ptr()).ctl),
                    )
                };
                let pf = session
                    .as_ref()
                    .map(|s| PfMessages::new(s.mbox.clone(), ctl.clone()))
                    .transpose()?;
                let causes = ControlCauses {
                    dataplane: dp.clone(),
                    mailbox: mbox.clone(),
                    pf: pf.clone(),
                };
                f.set_control_notifier(causes.notifier()?);
                pf.map(|pf| Running::start(pf, pf_messages::POLL_MS)).transpose()?
            },
            vf_views: {
                // SAFETY: `ctl` is initialized above.
                let ctl = unsafe { &*core::ptr::addr_of!((*this.as_ptr()).ctl) };
                VfView::all(ctl)?
            },
            vf_groups: {
                // SAFETY: `vf_views` is initialized above, never changes and
                // drops after these groups.
                let views = unsafe { &*core::ptr::addr_of!((*this.as_ptr()).vf_views) };
                let mut groups = KVec::with_capacity(views.len(), GFP_KERNEL)?;
                for v in views.iter() {
                    // SAFETY: The group is a field of `Hlb`, which is never leaked.
                    groups.push(unsafe { AttrGroup::new(pdev.as_ref(), Some(v.name()), v)? }, GFP_KERNEL)?;
                }
                groups
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
            stats_group: {
                // SAFETY: `dataplane` is initialized above and drops after
                // this group.
                let dp = unsafe { &*core::ptr::addr_of!((*this.as_ptr()).dataplane) };
                match dp {
                    // SAFETY: The group is a field of `Hlb`, which is never leaked.
                    Some(dp) => Some(unsafe { AttrGroup::new(pdev.as_ref(), Some(c"stats"), &**dp)? }),
                    None => None,
                }
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
        if let Some(s) = &self.pf_session {
            dev_info!(
                pdev,
                "VF {} of its PF, mailbox protocol v{}\n",
                s.registration.vf,
                s.registration.version
            );
        }
        dev_info!(
            pdev,
            "{} {}.{}: {} domains, {} LDB queues, {} DIR ports, {} LDB ports, {}+{} credits, {} history-list entries, {} MSI-X vectors, interrupt self-test passed\n",
            if self.pf_session.is_some() { "HLB VF" } else { "HLB" },
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
    [
        (
            pci_id::device_id(hlb_regs::PCI_VENDOR_ID, hlb_regs::PCI_DEVICE_ID),
            Role::Pf
        ),
        (
            pci_id::device_id(hlb_regs::PCI_VENDOR_ID, hlb_vf_regs::PCI_DEVICE_ID),
            Role::Vf
        ),
    ]
);

impl pci::Driver for HlbDriver {
    type IdInfo = Role;
    type Data<'bound> = Hlb<'bound>;

    const ID_TABLE: pci::IdTable<Self::IdInfo> = &PCI_TABLE;

    fn probe<'bound>(
        pdev: &'bound pci::Device<Core<'_>>,
        info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
        let role = info.copied().unwrap_or(Role::Pf);
        let enabled = bringup::enable(pdev);
        pin_init::pin_init_scope(move || Ok(Hlb::new(enabled?, role)))
    }

    fn unbind<'bound>(pdev: &'bound pci::Device<Core<'_>>, this: Pin<&Self::Data<'bound>>) {
        // Registered VFs are told first and their domains reset; then
        // every PF domain is reset and every user cut off; then nothing
        // reaches the CQ rings, which go before the binding does.
        if let Some(mbox) = &this.vf_mailbox {
            mbox.pf_going();
        }
        // A VF stops looking for its PF's messages: unbinding ends its
        // registration anyway.
        if let Some(poll) = &this.pf_poll {
            poll.stop();
        }
        configfs::unregister(&this.ctl);
        // A VF's domains are reset (above, through the mailbox): its PF
        // may give its assignment to another VF from now on.
        if let Some(s) = this.pf_session.as_ref().filter(|s| !s.mbox.is_closed()) {
            if let Err(e) = s.mbox.unregister() {
                dev_info!(
                    pdev,
                    "VF not unregistered ({:?}): its PF does not answer\n",
                    e
                );
            }
        }
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

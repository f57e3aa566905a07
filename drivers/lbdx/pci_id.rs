// SPDX-License-Identifier: GPL-2.0

//! PCI match entries for the lbdx devices.
//!
//! `kernel::pci::Vendor` only names vendors listed in `pci_ids.h`, and the
//! lbdx devices use a vendor ID no real product has (0x0def, see
//! `Documentation/hw/hlb.rst`); this file builds the match entry directly.

use kernel::{bindings, pci};

/// The match entry for `vendor:device`, any subsystem, like C's `PCI_DEVICE()`.
pub(crate) const fn device_id(vendor: u16, device: u16) -> pci::DeviceId {
    let raw = bindings::pci_device_id {
        vendor: vendor as u32,
        device: device as u32,
        subvendor: !0,
        subdevice: !0,
        class: 0,
        class_mask: 0,
        driver_data: 0,
        override_only: 0,
    };
    // SAFETY: `pci::DeviceId` is `#[repr(transparent)]` over
    // `bindings::pci_device_id` and adds no invariant; this is the value
    // `pci::DeviceId::from_id` builds, for a vendor `pci::Vendor` cannot name.
    unsafe { core::mem::transmute::<bindings::pci_device_id, pci::DeviceId>(raw) }
}

// SPDX-License-Identifier: GPL-2.0

//! lbdx: drivers for the HLB hardware load balancer and the DXE DMA/XOR
//! engine.
//!
//! One module registers two PCI drivers, `lbdx_hlb` and `lbdx_dxe`. The
//! device register maps are specified in `Documentation/hw/` and transcribed,
//! kernel-free, in `hw/`.
//!
//! - [`bringup`]: what both devices share at probe: identity, reset, MSI-X,
//!   interrupt self-test.
//! - [`hlb`]: the load balancer.
//! - [`dxe`]: the DMA/XOR engine.
//! - [`offload`]: the async-offload layer over the engines and the CPU.
//! - [`periodic`]: a check run every few milliseconds on a workqueue.
//! - [`sysfs`]: read-only sysfs attribute groups (over the C glue).
//! - [`work_sync`]: waiting for a self-requeueing delayed work item to end.

use kernel::{driver, pci, prelude::*, InPlaceModule};

#[allow(unreachable_pub, reason = "kernel-free, shared with host tests")]
mod attr_value;
mod bringup;
mod dxe;
mod hlb;
mod hw;
#[cfg(CONFIG_KUNIT)]
mod kunit_tests;
mod offload;
mod pci_id;
mod periodic;
mod sysfs;
mod work_sync;

#[pin_data]
struct LbdxModule {
    #[pin]
    _configfs: kernel::configfs::Subsystem<hlb::configfs::Registry>,
    #[pin]
    _hlb: driver::Registration<pci::Adapter<hlb::HlbDriver>>,
    // Declared after the HLB driver to drop after it: no domain node is
    // left when the class goes, no HLB in the registry when it is freed.
    _hlb_class: hlb::domain_cdev::CdevClass,
    _hlbs: hlb::configfs::HlbRegistry,
    #[pin]
    _dxe: driver::Registration<pci::Adapter<dxe::DxeDriver>>,
    // Declared last to drop last: after the engines unregistered.
    _offload: offload::Offload,
}

impl InPlaceModule for LbdxModule {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        // SAFETY: Called once, here, before the HLB driver registers.
        let hlbs = unsafe { hlb::configfs::HlbRegistry::init() };
        try_pin_init!(Self {
            // Initialized first: engines register with it as they probe.
            _offload: offload::Offload::new()?,
            _configfs <- hlb::configfs::subsystem(),
            _hlb_class: hlb::domain_cdev::CdevClass::register()?,
            _hlbs: hlbs,
            _hlb <- driver::Registration::new(c"lbdx_hlb", module),
            _dxe <- driver::Registration::new(c"lbdx_dxe", module),
        })
    }
}

module! {
    type: LbdxModule,
    name: "lbdx",
    authors: ["lbdx developers"],
    description: "HLB load balancer and DXE DMA/XOR engine drivers",
    license: "GPL v2",
}

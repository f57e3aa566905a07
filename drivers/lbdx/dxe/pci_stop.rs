// SPDX-License-Identifier: GPL-2.0

//! Stopping the DMA of a DXE function the driver gives up on (it stopped
//! answering): bus mastering off, read back, then a function-level reset,
//! through `lbdx_glue.c` (the kernel crate's `pci::Device` has neither).

use core::ffi::c_void;
use kernel::{device::Device, error::to_result, pci, prelude::*};

extern "C" {
    fn lbdx_pci_clear_master(dev: *mut c_void) -> i32;
    fn lbdx_pci_try_reset_function(dev: *mut c_void) -> i32;
}

/// The `struct device` of `pdev`, passed untyped (its Rust binding is not
/// FFI-safe).
fn raw(pdev: &pci::Device) -> *mut c_void {
    let dev: &Device = pdev.as_ref();
    core::ptr::from_ref(dev).cast::<c_void>().cast_mut()
}

/// Clears Bus Master Enable; whether the command register read back shows
/// it clear (false also when config space reads all ones).
pub(crate) fn clear_master(pdev: &pci::Device) -> bool {
    // SAFETY: `raw(pdev)` is the `struct device` embedded in the live
    // `struct pci_dev` that `pdev` wraps (`Device` is transparent).
    unsafe { lbdx_pci_clear_master(raw(pdev)) == 0 }
}

/// Resets the function (`pci_try_reset_function()`); `Err` with the errno,
/// `EAGAIN` if the device lock is held. Process context; sleeps.
pub(crate) fn try_reset_function(pdev: &pci::Device) -> Result {
    // SAFETY: As for `clear_master`.
    to_result(unsafe { lbdx_pci_try_reset_function(raw(pdev)) })
}

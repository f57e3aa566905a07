// SPDX-License-Identifier: GPL-2.0

//! Waiting until a delayed work item that re-queues itself is over, which
//! the 7.3 kernel crate has no call for: used by `periodic.rs` and the
//! offload layer's deadline scan at stop, so that no code of the module
//! runs on the workqueue afterwards.

use kernel::{
    bindings, container_of,
    workqueue::{DelayedWork, Work},
};

/// Waits until `w` is neither queued nor running, once its owner made it
/// stop re-queueing itself (process context). A run that read the stop
/// flag before it was set may queue itself once more; the next one does
/// not. `flush_delayed_work()` runs a pending instance at once and returns
/// after the function returned, `true` if there was one.
pub(crate) fn flush_until_idle<T: ?Sized, const ID: u64>(w: &DelayedWork<T, ID>) {
    // SAFETY: `w` is a valid, initialized `DelayedWork`, so the `Work` it
    // contains is valid too.
    let work = unsafe { Work::raw_get(DelayedWork::raw_as_work(w)) };
    // SAFETY: `work` is the `work` member of the `delayed_work` that `w`
    // wraps.
    let dwork = unsafe { container_of!(work, bindings::delayed_work, work) };
    // SAFETY: `dwork` is valid for as long as `w` is.
    while unsafe { bindings::flush_delayed_work(dwork) } {}
}

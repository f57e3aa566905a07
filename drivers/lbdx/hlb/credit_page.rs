// SPDX-License-Identifier: GPL-2.0

//! The credit page of a started domain (`struct lbdx_hlb_credit_page` and
//! `struct lbdx_hlb_port_ledger` of `include/uapi/linux/lbdx_hlb.h`): a
//! page of its own, mapped whole into the domain's processes, which keep
//! the software credit pools and each port's ledger in it.
//!
//! The kernel fills it while the domain has no user. When it takes a port
//! back from a file that went away while others stay (`port_reclaim.rs`),
//! it reads that port's ledger and adds what the port held to the pools
//! with atomic adds, as the processes still using them do.

use super::uapi;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::{
    bindings,
    page::{Page, PAGE_SIZE},
    prelude::*,
};

/// What a port's ledger says.
#[derive(Clone, Copy, Default)]
pub(crate) struct Ledger {
    /// Credits the port took from the LDB and DIR pools and did not spend.
    pub(crate) held: [u32; 2],
    /// CQ entries (free-running) whose credit its consumer gave back.
    pub(crate) cq_credited: u32,
}

/// A domain's credit page.
pub(crate) struct CreditPage(Page);

impl CreditPage {
    /// A zeroed page.
    pub(crate) fn new() -> Result<Self> {
        Ok(Self(Page::alloc_page(GFP_KERNEL | __GFP_ZERO)?))
    }

    /// The page, for the character device's fault handler.
    pub(crate) fn page(&self) -> *mut bindings::page {
        self.0.as_ptr()
    }

    /// Runs `f` on the 32-bit word at byte offset `off`.
    ///
    /// Processes of the domain access the page concurrently, with atomic
    /// operations on its words (the ABI), so the kernel does too.
    fn with_word<T>(&self, off: usize, f: impl FnOnce(&AtomicU32) -> T) -> T {
        build_assert!(PAGE_SIZE == uapi::CREDIT_PAGE_SIZE);
        let off = off.min(PAGE_SIZE - 4) & !3;
        // SAFETY: `self.0` is a valid page we own; the mapping is undone
        // below, in the reverse order of mapping (only this one here).
        let base = unsafe { bindings::kmap_local_page(self.0.as_ptr()) };
        // SAFETY: `off + 4 <= PAGE_SIZE` and `off` is 4-aligned, so the word
        // is inside the mapped page and aligned; it lives until the unmap,
        // after `f` returns; every access to it, the processes' included,
        // is atomic.
        let word = unsafe { AtomicU32::from_ptr(base.cast::<u8>().add(off).cast::<u32>()) };
        let r = f(word);
        // SAFETY: `base` is the address `kmap_local_page` returned above.
        unsafe { bindings::kunmap_local(base) };
        r
    }

    /// Zeroes the page (every ledger with it) and sets both software pools.
    /// Only while the domain has no user.
    pub(crate) fn fill(&self, ldb: u32, dir: u32) {
        for off in (0..PAGE_SIZE).step_by(4) {
            self.with_word(off, |w| w.store(0, Ordering::Relaxed));
        }
        self.with_word(0, |w| w.store(ldb, Ordering::Relaxed));
        self.with_word(4, |w| w.store(dir, Ordering::Release));
    }

    /// Adds `n` credits to the LDB (`dir` false) or DIR pool.
    pub(crate) fn give(&self, dir: bool, n: u32) {
        if n > 0 {
            self.with_word(4 * usize::from(dir), |w| w.fetch_add(n, Ordering::AcqRel));
        }
    }

    /// The ledger of port (`kind`, `id`).
    pub(crate) fn ledger(&self, kind: u32, id: u32) -> Ledger {
        let off = uapi::ledger_offset(kind, id);
        let held = self
            .with_word(off, |w| w.load(Ordering::Acquire))
            .to_ne_bytes();
        Ledger {
            held: [
                u16::from_ne_bytes([held[0], held[1]]).into(),
                u16::from_ne_bytes([held[2], held[3]]).into(),
            ],
            cq_credited: self.with_word(off + 4, |w| w.load(Ordering::Acquire)),
        }
    }

    /// Empties the ledger of port (`kind`, `id`) for its next user.
    pub(crate) fn clear_ledger(&self, kind: u32, id: u32) {
        let off = uapi::ledger_offset(kind, id);
        self.with_word(off, |w| w.store(0, Ordering::Relaxed));
        self.with_word(off + 4, |w| w.store(0, Ordering::Release));
    }
}

/// Word access for the KUnit tests, which play the domain's processes.
#[cfg(CONFIG_KUNIT)]
impl CreditPage {
    /// The word at byte offset `off`.
    pub(crate) fn word(&self, off: usize) -> u32 {
        self.with_word(off, |w| w.load(Ordering::Acquire))
    }

    /// Stores `v` at byte offset `off`, as a process of the domain does.
    pub(crate) fn set_word(&self, off: usize, v: u32) {
        self.with_word(off, |w| w.store(v, Ordering::Release));
    }
}

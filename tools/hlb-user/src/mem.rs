// SPDX-License-Identifier: GPL-2.0

//! [`PortMem`]: the memory one port works on, as raw shared memory with
//! no kernel behind it, so that the port logic runs the same on the real
//! mmaps and on test memory: the QE ring (256 slots of 16 bytes), the
//! doorbell (optional), the CQ ring (`depth` entries of 16 bytes), the
//! domain's credit page (two `u32` software pools) and the port's ledger
//! in it (optional; what the driver reads when it takes the port back
//! from a process that died).
//!
//! Every access is an aligned atomic: QE and CQ slots as two 64-bit
//! words (the second one holds byte 15, the handshake byte), credits as
//! 32-bit words. A QE is published by storing its first word, then its
//! second (release): bytes 8-15 reach the device in one store, so byte 15
//! is never seen before bytes 0-14 (`Documentation/hw/hlb.rst` allows the
//! whole QE in one store, or byte 15 last).

use std::any::Any;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use lbdx_logic::hw::hlb_regs::QE_SIZE;

/// Slots of a QE ring.
pub const QE_SLOTS: u32 = 256;
/// Bytes of a QE ring.
pub const QE_RING_BYTES: usize = QE_SLOTS as usize * QE_SIZE;

/// The memory of one port and the domain's credit page.
pub struct PortMem {
    qe: *const AtomicU64,
    doorbell: *const AtomicU32,
    cq: *const AtomicU64,
    cq_depth: u32,
    credits: *const AtomicU32,
    ledger: *const AtomicU32,
    doorbell_hook: Option<Arc<dyn Fn() + Send + Sync>>,
    // Keeps the memory above mapped (mmaps, or test allocations).
    _owner: Arc<dyn Any + Send + Sync>,
}

// SAFETY: the pointers refer to shared memory that `_owner` keeps alive
// and that is only accessed through atomics.
unsafe impl Send for PortMem {}
// SAFETY: as above; every access is atomic.
unsafe impl Sync for PortMem {}

impl PortMem {
    /// Builds the view.
    ///
    /// # Safety
    ///
    /// `qe` must point to [`QE_RING_BYTES`] bytes, `cq` to `cq_depth * 16`
    /// bytes, `credits` to 8 bytes, `doorbell` (if not null) to 4 bytes and
    /// `ledger` (if not null) to 8 bytes of memory, 8-byte aligned (4 for
    /// the doorbell, credits and ledger), valid as
    /// long as `owner` lives, and accessed by others only with aligned
    /// accesses of the same widths (or by a device). `cq_depth` must be a
    /// power of two.
    pub unsafe fn new(
        qe: *mut u8,
        doorbell: *mut u8,
        cq: *const u8,
        cq_depth: u32,
        credits: *mut u8,
        ledger: *mut u8,
        owner: Arc<dyn Any + Send + Sync>,
    ) -> Self {
        Self {
            qe: qe as *const AtomicU64,
            doorbell: doorbell as *const AtomicU32,
            cq: cq as *const AtomicU64,
            cq_depth,
            credits: credits as *const AtomicU32,
            ledger: ledger as *const AtomicU32,
            doorbell_hook: None,
            _owner: owner,
        }
    }

    /// Also calls `hook` on every doorbell ring (a simulated device's
    /// trapped doorbell write).
    pub fn with_doorbell_hook(mut self, hook: Arc<dyn Fn() + Send + Sync>) -> Self {
        self.doorbell_hook = Some(hook);
        self
    }

    /// CQ entries.
    pub fn cq_depth(&self) -> u32 {
        self.cq_depth
    }

    fn qe_word(&self, slot: u32, w: usize) -> &AtomicU64 {
        let i = (slot % QE_SLOTS) as usize * 2 + w;
        // SAFETY: `i` < 512 words of the QE ring (`new`'s contract).
        unsafe { &*self.qe.add(i) }
    }

    fn cq_word(&self, slot: u32, w: usize) -> &AtomicU64 {
        let i = (slot & (self.cq_depth - 1)) as usize * 2 + w;
        // SAFETY: `i` < 2 * cq_depth words of the CQ ring.
        unsafe { &*self.cq.add(i) }
    }

    /// Whether QE slot `slot` is free (its byte 15 reads 0).
    pub fn qe_slot_free(&self, slot: u32) -> bool {
        self.qe_word(slot, 1).load(Ordering::Acquire) >> 56 == 0
    }

    /// Writes a QE into a free slot: bytes 0-7, then bytes 8-15 in one
    /// release store.
    pub fn write_qe(&self, slot: u32, bytes: &[u8; QE_SIZE]) {
        let (lo, hi) = split(bytes);
        self.qe_word(slot, 0).store(lo, Ordering::Relaxed);
        self.qe_word(slot, 1).store(hi, Ordering::Release);
    }

    /// Rings the doorbell (if the window has one).
    pub fn ring_doorbell(&self) {
        if !self.doorbell.is_null() {
            // SAFETY: a non-null doorbell points to 4 valid bytes.
            unsafe { &*self.doorbell }.store(1, Ordering::Release);
        }
        if let Some(hook) = &self.doorbell_hook {
            hook();
        }
    }

    /// Reads CQ slot `index % depth` (the generation bit is bit 0 of byte
    /// 15): its bytes if the generation is `gen`.
    pub fn read_cq(&self, index: u32, gen: bool) -> Option<[u8; QE_SIZE]> {
        let hi = self.cq_word(index, 1).load(Ordering::Acquire);
        if ((hi >> 56) & 1 == 1) != gen {
            return None;
        }
        let lo = self.cq_word(index, 0).load(Ordering::Relaxed);
        Some(join(lo, hi))
    }

    /// The software credit pools: LDB (0) and DIR (1).
    pub fn credit_pool(&self, dir: bool) -> &AtomicU32 {
        // SAFETY: the credit page holds two u32 (`new`'s contract).
        unsafe { &*self.credits.add(dir as usize) }
    }

    /// Word `w` of the port's ledger, if it has one.
    fn ledger_word(&self, w: usize) -> Option<&AtomicU32> {
        // SAFETY: a non-null ledger points to two u32 (`new`'s contract).
        (!self.ledger.is_null()).then(|| unsafe { &*self.ledger.add(w) })
    }

    /// Records in the ledger the credits the port holds (LDB, DIR; at most
    /// `u16::MAX` each, as `struct lbdx_hlb_port_ledger` has them).
    pub fn set_ledger_held(&self, held: [u32; 2]) {
        if let Some(w) = self.ledger_word(0) {
            let [a, b] = held.map(|h| u16::try_from(h).unwrap_or(u16::MAX).to_ne_bytes());
            w.store(
                u32::from_ne_bytes([a[0], a[1], b[0], b[1]]),
                Ordering::Release,
            );
        }
    }

    /// Records in the ledger that the credits of the CQ entries before
    /// free-running index `index` were given back.
    pub fn set_ledger_credited(&self, index: u32) {
        if let Some(w) = self.ledger_word(1) {
            w.store(index, Ordering::Release);
        }
    }
}

/// A 16-byte slot as two little-endian words.
pub fn split(b: &[u8; QE_SIZE]) -> (u64, u64) {
    let mut lo = [0u8; 8];
    let mut hi = [0u8; 8];
    lo.copy_from_slice(&b[..8]);
    hi.copy_from_slice(&b[8..]);
    (u64::from_le_bytes(lo), u64::from_le_bytes(hi))
}

/// Two little-endian words as a 16-byte slot.
pub fn join(lo: u64, hi: u64) -> [u8; QE_SIZE] {
    let mut b = [0u8; QE_SIZE];
    b[..8].copy_from_slice(&lo.to_le_bytes());
    b[8..].copy_from_slice(&hi.to_le_bytes());
    b
}

// SPDX-License-Identifier: GPL-2.0

//! BAR4 memory: a 2 MiB memfd that backs the producer-port windows. The
//! client maps the windows' QE pages from the same file into the guest, so
//! guest stores land here without a message; the model maps the whole file
//! and touches it only with single-byte atomic accesses, since the guest
//! writes it concurrently.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::sync::atomic::{AtomicU8, Ordering};

use crate::hlb_regs::{PP_BAR_SIZE, QE_SIZE};

/// Byte of a QE slot that holds the command: the producer writes it last,
/// the device clears it when it has taken the QE.
const CMD_BYTE: usize = QE_SIZE - 1;

/// The BAR4 file and the model's mapping of it.
pub struct QeRing {
    file: File,
    base: *mut u8,
    len: usize,
}

// SAFETY: `base` points to a shared mapping that lives as long as the
// `QeRing`; every access through it is a single-byte atomic operation, so
// concurrent use from several threads (and the guest) is data-race free.
unsafe impl Send for QeRing {}
// SAFETY: as for `Send`.
unsafe impl Sync for QeRing {}

impl QeRing {
    /// A zeroed BAR4 file, mapped.
    pub fn new() -> io::Result<Self> {
        // SAFETY: a valid C string; the result is checked.
        let fd = unsafe { libc::memfd_create(c"lbdx-hlb-bar4".as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is a fresh descriptor nobody else owns.
        let file = unsafe { File::from_raw_fd(fd) };
        file.set_len(PP_BAR_SIZE)?;
        let len = usize::try_from(PP_BAR_SIZE).map_err(io::Error::other)?;
        // SAFETY: a fresh shared mapping of our own file; the kernel picks
        // the address, so no existing memory is affected.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Self {
            file,
            base: p.cast(),
            len,
        })
    }

    /// The descriptor a client maps the QE pages from (file offset =
    /// BAR4 offset).
    pub fn fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }

    /// The byte at BAR4 offset `off`, if inside.
    fn cell(&self, off: usize) -> Option<&AtomicU8> {
        (off < self.len).then(|| {
            // SAFETY: `off` is inside the live mapping; `AtomicU8` has the
            // layout of `u8`, and the mapping is only accessed atomically.
            unsafe { AtomicU8::from_ptr(self.base.add(off)) }
        })
    }

    /// Reads `buf.len()` bytes at `off` (bytes outside read 0).
    pub fn read(&self, off: usize, buf: &mut [u8]) {
        for (i, b) in buf.iter_mut().enumerate() {
            *b = off
                .checked_add(i)
                .and_then(|o| self.cell(o))
                .map_or(0, |c| c.load(Ordering::Acquire));
        }
    }

    /// Writes `data` at `off` in address order, each byte with release
    /// ordering (so a QE's byte 15, written last, publishes the rest).
    /// Bytes outside are dropped.
    pub fn write(&self, off: usize, data: &[u8]) {
        for (i, &b) in data.iter().enumerate() {
            if let Some(c) = off.checked_add(i).and_then(|o| self.cell(o)) {
                c.store(b, Ordering::Release);
            }
        }
    }

    /// Zeroes `len` bytes at `off`.
    pub fn zero(&self, off: usize, len: usize) {
        for o in off..off.saturating_add(len).min(self.len) {
            if let Some(c) = self.cell(o) {
                c.store(0, Ordering::Relaxed);
            }
        }
    }

    /// The QE in the slot at `off`, if its command byte is not 0 (read
    /// with acquire ordering before the other bytes).
    pub fn take(&self, off: usize) -> Option<[u8; QE_SIZE]> {
        let cmd = self
            .cell(off.checked_add(CMD_BYTE)?)?
            .load(Ordering::Acquire);
        if cmd == 0 {
            return None;
        }
        let mut qe = [0u8; QE_SIZE];
        self.read(off, &mut qe[..CMD_BYTE]);
        qe[CMD_BYTE] = cmd;
        Some(qe)
    }

    /// Empties the slot at `off` (command byte 0, release ordering: the
    /// producer may reuse it once it sees 0).
    pub fn release(&self, off: usize) {
        if let Some(c) = off.checked_add(CMD_BYTE).and_then(|o| self.cell(o)) {
            c.store(0, Ordering::Release);
        }
    }
}

impl Drop for QeRing {
    fn drop(&mut self) {
        // SAFETY: `base`/`len` are what mmap returned; nothing borrows the
        // mapping any more (`&self` borrows ended with the owner).
        unsafe {
            libc::munmap(self.base.cast(), self.len);
        }
    }
}

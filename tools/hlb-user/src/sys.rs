// SPDX-License-Identifier: GPL-2.0

//! Thin system-call wrappers: ioctls of the domain device, shared
//! mappings that unmap on drop, nonblocking alert reads, poll().

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::Duration;

use crate::abi::{self, Alert};

/// A shared mapping, unmapped on drop.
pub struct Mapping {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the mapping is plain shared memory; users access it atomically.
unsafe impl Send for Mapping {}
// SAFETY: as above.
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Maps `len` bytes of `fd` at `offset`, read-write or read-only.
    pub fn new(fd: BorrowedFd<'_>, offset: u64, len: usize, write: bool) -> io::Result<Self> {
        let prot = libc::PROT_READ | if write { libc::PROT_WRITE } else { 0 };
        let off = libc::off_t::try_from(offset)
            .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
        // SAFETY: a fresh shared mapping chosen by the kernel; nothing in
        // this process aliases it yet.
        let p = unsafe {
            libc::mmap(
                core::ptr::null_mut(),
                len,
                prot,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                off,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Self { ptr: p.cast(), len })
    }

    /// Start of the mapping.
    pub fn ptr(&self) -> *mut u8 {
        self.ptr
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the mapping is empty (never: mmap refuses length 0).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly what `new` mapped; no reference into it
        // outlives the owner that drops it.
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
    }
}

/// ioctl with a pointer to `arg`.
pub fn ioctl<T>(fd: BorrowedFd<'_>, request: u32, arg: &mut T) -> io::Result<()> {
    // SAFETY: `arg` is a live #[repr(C)] structure of the size encoded in
    // `request`; the kernel reads and writes only that.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), request as _, arg as *mut T) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Reads every queued alert record without blocking (the file is
/// O_NONBLOCK).
pub fn read_alerts(fd: BorrowedFd<'_>) -> io::Result<Vec<Alert>> {
    let mut out = Vec::new();
    loop {
        let mut buf = [Alert::default(); 16];
        let size = core::mem::size_of_val(&buf);
        // SAFETY: reads into `buf`, `size` bytes of plain-old-data.
        let r = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), size) };
        if r < 0 {
            let e = io::Error::last_os_error();
            return match e.raw_os_error() {
                Some(libc::EAGAIN) => Ok(out),
                Some(libc::EINTR) => continue,
                _ => Err(e),
            };
        }
        let n = r as usize / core::mem::size_of::<Alert>();
        out.extend_from_slice(&buf[..n]);
        if n < buf.len() {
            return Ok(out);
        }
    }
}

/// poll() for `events` with a timeout (None: forever). A signal counts as
/// a wakeup. Returns the revents.
pub fn poll(fd: BorrowedFd<'_>, events: i16, timeout: Option<Duration>) -> io::Result<i16> {
    let ms = match timeout {
        None => -1,
        // Round up so that a short timeout still sleeps.
        Some(d) => d.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32,
    };
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    let r = unsafe { libc::poll(&mut p, 1, ms) };
    if r < 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::EINTR) {
            return Ok(0);
        }
        return Err(e);
    }
    Ok(p.revents)
}

/// Checks that `abi::LBDX_HLB_ABI_VERSION` is what the driver reports.
pub fn check_abi(version: u32) -> io::Result<()> {
    if version == abi::LBDX_HLB_ABI_VERSION {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!(
                "lbdx HLB ABI version {version}, this library speaks {}",
                abi::LBDX_HLB_ABI_VERSION
            ),
        ))
    }
}

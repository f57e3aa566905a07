// SPDX-License-Identifier: GPL-2.0

//! Guest memory from the client's DMA mappings: each `DMA_MAP` with a file
//! descriptor (QEMU's shared memfd) is mmapped into the model; accesses
//! outside every mapping fail with [`DmaFault`].

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::sync::RwLock;

use crate::mem::{range_end, DmaFault, GuestMemory};

/// One mmapped DMA region.
struct Mapping {
    gpa: u64,
    size: u64,
    /// Host address of guest address `gpa`.
    host: usize,
    /// What `mmap` returned, for `munmap`.
    map_base: usize,
    map_len: usize,
    writable: bool,
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: map_base/map_len are exactly what mmap returned, and the
        // mapping is only dropped with the write lock held, so no access
        // through it is in progress.
        unsafe {
            libc::munmap(self.map_base as *mut libc::c_void, self.map_len);
        }
    }
}

/// Guest memory backed by the client's DMA mappings.
#[derive(Default)]
pub struct MmapMemory {
    maps: RwLock<Vec<Mapping>>,
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no memory-safety preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(p).ok().filter(|&p| p > 0).unwrap_or(4096)
}

/// One piece of an access: host address and length.
type Piece = (usize, usize);

impl MmapMemory {
    /// No memory mapped.
    pub fn new() -> Self {
        Self::default()
    }

    /// Maps `size` bytes of `fd` at file offset `offset` as guest-physical
    /// `gpa ..`.
    pub fn map(
        &self,
        gpa: u64,
        size: u64,
        fd: &File,
        offset: u64,
        writable: bool,
    ) -> io::Result<()> {
        let inval = || io::Error::from_raw_os_error(libc::EINVAL);
        if size == 0 || gpa.checked_add(size).is_none() {
            return Err(inval());
        }
        let delta = offset % page_size();
        let map_len = usize::try_from(size + delta).map_err(|_| inval())?;
        let file_off = libc::off_t::try_from(offset - delta).map_err(|_| inval())?;
        let prot = libc::PROT_READ | if writable { libc::PROT_WRITE } else { 0 };
        // SAFETY: a fresh shared mapping of a file the client handed us; the
        // kernel picks the address, so no existing memory is affected.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                prot,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                file_off,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let m = Mapping {
            gpa,
            size,
            host: p as usize + delta as usize,
            map_base: p as usize,
            map_len,
            writable,
        };
        let mut maps = self.maps.write().unwrap_or_else(|e| e.into_inner());
        // A new mapping replaces any old one it overlaps.
        maps.retain(|o| o.gpa >= gpa + size || o.gpa + o.size <= gpa);
        maps.push(m);
        Ok(())
    }

    /// Removes mappings that lie within `gpa .. gpa + size`.
    pub fn unmap(&self, gpa: u64, size: u64) {
        let end = gpa.saturating_add(size);
        let mut maps = self.maps.write().unwrap_or_else(|e| e.into_inner());
        maps.retain(|m| m.gpa < gpa || m.gpa + m.size > end);
    }

    /// Removes every mapping.
    pub fn unmap_all(&self) {
        self.maps.write().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// Number of mappings (diagnostics).
    pub fn len(&self) -> usize {
        self.maps.read().map(|m| m.len()).unwrap_or(0)
    }

    /// `true` if nothing is mapped.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Splits `addr .. addr + len` into host pieces, or faults.
    fn translate(
        maps: &[Mapping],
        addr: u64,
        len: usize,
        write: bool,
    ) -> Result<Vec<Piece>, DmaFault> {
        let fault = DmaFault { addr, len };
        let end = range_end(addr, len)?;
        let mut pieces = Vec::new();
        let mut cur = addr;
        while cur < end {
            let m = maps
                .iter()
                .find(|m| cur >= m.gpa && cur - m.gpa < m.size)
                .ok_or(fault)?;
            if write && !m.writable {
                return Err(fault);
            }
            let n = (m.size - (cur - m.gpa)).min(end - cur);
            let host = m.host + usize::try_from(cur - m.gpa).map_err(|_| fault)?;
            pieces.push((host, usize::try_from(n).map_err(|_| fault)?));
            cur += n;
        }
        Ok(pieces)
    }
}

impl GuestMemory for MmapMemory {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), DmaFault> {
        let maps = self.maps.read().unwrap_or_else(|e| e.into_inner());
        let mut done = 0;
        for (host, n) in Self::translate(&maps, addr, buf.len(), false)? {
            // SAFETY: translate() checked that host .. host + n lies inside a
            // live mapping, kept alive by the read lock; buf has n bytes left.
            unsafe {
                std::ptr::copy_nonoverlapping(host as *const u8, buf[done..].as_mut_ptr(), n);
            }
            done += n;
        }
        Ok(())
    }

    fn write(&self, addr: u64, data: &[u8]) -> Result<(), DmaFault> {
        let maps = self.maps.read().unwrap_or_else(|e| e.into_inner());
        let mut done = 0;
        for (host, n) in Self::translate(&maps, addr, data.len(), true)? {
            // SAFETY: as in read(); the mapping is writable (checked).
            unsafe {
                std::ptr::copy_nonoverlapping(data[done..].as_ptr(), host as *mut u8, n);
            }
            done += n;
        }
        Ok(())
    }
}

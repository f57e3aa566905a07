// SPDX-License-Identifier: GPL-2.0

//! The seam for DMA: guest-physical reads and writes, and an in-memory
//! implementation for tests.

use std::fmt;
use std::sync::atomic::{fence, Ordering};
use std::sync::Mutex;

use crate::sync::lock;

/// A DMA access touched guest-physical memory that is not mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DmaFault {
    /// First guest-physical address of the failed access.
    pub addr: u64,
    /// Length of the failed access.
    pub len: usize,
}

impl fmt::Display for DmaFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DMA fault at {:#x} (+{})", self.addr, self.len)
    }
}

/// Guest-physical memory as a device sees it.
///
/// An access is all or nothing: if any byte of the range is unmapped the
/// call fails and no byte is transferred.
pub trait GuestMemory: Send + Sync {
    /// Reads `buf.len()` bytes at `addr`.
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), DmaFault>;
    /// Writes `data` at `addr`.
    fn write(&self, addr: u64, data: &[u8]) -> Result<(), DmaFault>;

    /// Writes one byte at `addr` after every earlier write of this thread
    /// is visible (release ordering). Used for the completion status byte
    /// the driver polls.
    fn write_release(&self, addr: u64, byte: u8) -> Result<(), DmaFault> {
        fence(Ordering::Release);
        self.write(addr, &[byte])
    }
}

/// End of the range `addr .. addr + len`, or a fault if it wraps.
pub fn range_end(addr: u64, len: usize) -> Result<u64, DmaFault> {
    u64::try_from(len)
        .ok()
        .and_then(|l| addr.checked_add(l))
        .ok_or(DmaFault { addr, len })
}

/// Guest memory made of plain byte vectors at chosen addresses.
#[derive(Default)]
pub struct VecMemory {
    regions: Mutex<Vec<(u64, Vec<u8>)>>,
}

impl VecMemory {
    /// Memory with nothing mapped.
    pub fn new() -> Self {
        Self::default()
    }

    /// Memory with `size` zero bytes mapped at `base`.
    pub fn with_region(base: u64, size: usize) -> Self {
        let m = Self::new();
        m.map(base, size);
        m
    }

    /// Maps `size` zero bytes at `base` (regions must not overlap).
    pub fn map(&self, base: u64, size: usize) {
        lock(&self.regions).push((base, vec![0; size]));
    }

    /// Finds the region holding all of `addr .. addr + len`.
    fn locate(
        regions: &[(u64, Vec<u8>)],
        addr: u64,
        len: usize,
    ) -> Result<(usize, usize), DmaFault> {
        let fault = DmaFault { addr, len };
        let end = range_end(addr, len)?;
        for (i, (base, bytes)) in regions.iter().enumerate() {
            let rend = range_end(*base, bytes.len())?;
            if addr >= *base && end <= rend {
                let off = usize::try_from(addr - base).map_err(|_| fault)?;
                return Ok((i, off));
            }
        }
        Err(fault)
    }
}

impl GuestMemory for VecMemory {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), DmaFault> {
        let regions = lock(&self.regions);
        let (i, off) = Self::locate(&regions, addr, buf.len())?;
        let src = regions[i].1.get(off..off + buf.len()).ok_or(DmaFault {
            addr,
            len: buf.len(),
        })?;
        buf.copy_from_slice(src);
        Ok(())
    }

    fn write(&self, addr: u64, data: &[u8]) -> Result<(), DmaFault> {
        let mut regions = lock(&self.regions);
        let (i, off) = Self::locate(&regions, addr, data.len())?;
        let dst = regions[i]
            .1
            .get_mut(off..off + data.len())
            .ok_or(DmaFault {
                addr,
                len: data.len(),
            })?;
        dst.copy_from_slice(data);
        Ok(())
    }
}

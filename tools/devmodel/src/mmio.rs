// SPDX-License-Identifier: GPL-2.0

//! Access-width rules of BAR0, shared by both devices.
//!
//! Only naturally aligned 32-bit accesses reach a register. Any other
//! access (1, 2 or 8 bytes, or misaligned, or past the end of BAR0) reads
//! as all ones and is ignored when written, like a master abort.

use crate::pci::PciFunction;

/// Returns the register offset if `offset`/`len` is a valid register access.
fn register(f: &dyn PciFunction, offset: u64, len: usize) -> Option<u64> {
    let end = offset.checked_add(4)?;
    (len == 4 && offset.is_multiple_of(4) && end <= f.identity().bar0_size).then_some(offset)
}

/// Performs a BAR0 read of `data.len()` bytes at `offset`.
pub fn read(f: &dyn PciFunction, offset: u64, data: &mut [u8]) {
    match register(f, offset, data.len()) {
        Some(reg) => data.copy_from_slice(&f.bar0_read(reg).to_le_bytes()),
        None => data.fill(0xff),
    }
}

/// Performs a BAR0 write of `data` at `offset`.
///
/// Returns `false` if the access was dropped for its width or alignment.
pub fn write(f: &dyn PciFunction, offset: u64, data: &[u8]) -> bool {
    match (register(f, offset, data.len()), <[u8; 4]>::try_from(data)) {
        (Some(reg), Ok(bytes)) => {
            f.bar0_write(reg, u32::from_le_bytes(bytes));
            true
        }
        _ => false,
    }
}

// SPDX-License-Identifier: GPL-2.0

//! PCI configuration space of a modelled function (type 0 header, 256
//! bytes), built from its [`PciIdentity`].
//!
//! Layout:
//!
//! * BAR0: 32-bit non-prefetchable memory, the register file;
//! * BAR2: 32-bit non-prefetchable memory, 4 KiB, MSI-X table at 0x000 and
//!   PBA at 0x800 (QEMU emulates both; the model never sees those accesses);
//! * BAR4 (if the identity has one): 64-bit prefetchable memory
//!   (registers 0x20 and 0x24);
//! * capability list at 0x40: MSI-X (0x40), then Advanced Features (0x50)
//!   announcing function-level reset, so a guest can reset the function
//!   with `pci_reset_function()` (writing `AF_CTRL.INITIATE_FLR`);
//! * no INTx (interrupt pin 0), no MSI.

use crate::pci::PciIdentity;

/// Size of config space.
pub const CONFIG_SIZE: usize = 256;
/// BAR holding the MSI-X table and PBA.
pub const MSIX_BAR: u8 = 2;
/// Size of BAR2.
pub const BAR2_SIZE: u64 = 0x1000;
/// Offset of the MSI-X table in BAR2.
pub const MSIX_TABLE_OFFSET: u32 = 0x000;
/// Offset of the MSI-X PBA in BAR2.
pub const MSIX_PBA_OFFSET: u32 = 0x800;
/// Most vectors the BAR2 layout has room for.
pub const MSIX_MAX_VECTORS: u16 = 128;
/// Offset of the MSI-X capability.
pub const MSIX_CAP: usize = 0x40;
/// Offset of the Advanced Features capability.
pub const AF_CAP: usize = 0x50;

const PCI_CAP_ID_MSIX: u8 = 0x11;
const PCI_CAP_ID_AF: u8 = 0x13;
const AF_CAP_TP: u8 = 1 << 0;
const AF_CAP_FLR: u8 = 1 << 1;
const AF_CTRL_FLR: u8 = 1 << 0;
/// BAR type bits of a 64-bit prefetchable memory BAR.
const BAR_MEM64_PREFETCH: u8 = 0x0c;
/// Offset of the command register.
const COMMAND: usize = 0x04;
/// Command register: Bus Master Enable.
const COMMAND_BUS_MASTER: u8 = 1 << 2;

/// Config space contents and which bits the guest may change.
#[derive(Clone)]
pub struct ConfigSpace {
    bytes: [u8; CONFIG_SIZE],
    writable: [u8; CONFIG_SIZE],
}

fn put(buf: &mut [u8; CONFIG_SIZE], at: usize, v: &[u8]) {
    buf[at..at + v.len()].copy_from_slice(v);
}

/// Writable-bit mask of a 32-bit memory BAR of `size` bytes.
fn bar_mask(size: u64) -> [u8; 4] {
    let mask = !(size.max(16) - 1) as u32;
    mask.to_le_bytes()
}

impl ConfigSpace {
    /// Config space of a function with identity `id`.
    pub fn new(id: &PciIdentity) -> Self {
        let mut b = [0u8; CONFIG_SIZE];
        let mut w = [0u8; CONFIG_SIZE];
        put(&mut b, 0x00, &id.vendor.to_le_bytes());
        put(&mut b, 0x02, &id.device.to_le_bytes());
        // Command: memory space, bus master, INTx disable are writable.
        put(&mut w, COMMAND, &[0x06, 0x04]);
        // Status: capability list present.
        b[0x06] = 0x10;
        b[0x08] = id.revision;
        put(&mut b, 0x09, &id.class.to_le_bytes()[..3]);
        w[0x0c] = 0xff; // cache line size
                        // BAR0 and BAR2: 32-bit, non-prefetchable memory (type bits 0).
        put(&mut w, 0x10, &bar_mask(id.bar0_size));
        put(&mut w, 0x18, &bar_mask(BAR2_SIZE));
        if id.bar4_size > 0 {
            b[0x20] = BAR_MEM64_PREFETCH;
            put(&mut w, 0x20, &bar_mask(id.bar4_size));
            put(&mut w, 0x24, &[0xff; 4]);
        }
        put(&mut b, 0x2c, &id.vendor.to_le_bytes());
        put(&mut b, 0x2e, &id.device.to_le_bytes());
        b[0x34] = MSIX_CAP as u8;
        w[0x3c] = 0xff; // interrupt line; pin stays 0 (no INTx)

        let vectors = id.msix_vectors.clamp(1, MSIX_MAX_VECTORS);
        put(&mut b, MSIX_CAP, &[PCI_CAP_ID_MSIX, AF_CAP as u8]);
        put(&mut b, MSIX_CAP + 2, &(vectors - 1).to_le_bytes());
        w[MSIX_CAP + 3] = 0xc0; // MSI-X enable, function mask
        put(
            &mut b,
            MSIX_CAP + 4,
            &(MSIX_TABLE_OFFSET | u32::from(MSIX_BAR)).to_le_bytes(),
        );
        put(
            &mut b,
            MSIX_CAP + 8,
            &(MSIX_PBA_OFFSET | u32::from(MSIX_BAR)).to_le_bytes(),
        );

        put(
            &mut b,
            AF_CAP,
            &[PCI_CAP_ID_AF, 0, 6, AF_CAP_TP | AF_CAP_FLR],
        );
        Self {
            bytes: b,
            writable: w,
        }
    }

    /// Reads `data.len()` bytes at `offset`; bytes past the end read 0.
    pub fn read(&self, offset: u64, data: &mut [u8]) {
        for (i, d) in data.iter_mut().enumerate() {
            *d = usize::try_from(offset)
                .ok()
                .and_then(|o| o.checked_add(i))
                .and_then(|o| self.bytes.get(o))
                .copied()
                .unwrap_or(0);
        }
    }

    /// The command register's Bus Master Enable.
    pub fn bus_master(&self) -> bool {
        self.bytes[COMMAND] & COMMAND_BUS_MASTER != 0
    }

    /// Clears Bus Master Enable, as a function-level reset does.
    pub fn clear_bus_master(&mut self) {
        self.bytes[COMMAND] &= !COMMAND_BUS_MASTER;
    }

    /// Writes `data` at `offset`, keeping read-only bits. Returns `true`
    /// if the write initiates a function-level reset.
    pub fn write(&mut self, offset: u64, data: &[u8]) -> bool {
        let mut flr = false;
        for (i, &v) in data.iter().enumerate() {
            let Some(o) = usize::try_from(offset).ok().and_then(|o| o.checked_add(i)) else {
                continue;
            };
            if o == AF_CAP + 4 && v & AF_CTRL_FLR != 0 {
                flr = true;
            }
            if let (Some(b), Some(&m)) = (self.bytes.get_mut(o), self.writable.get(o)) {
                *b = (*b & !m) | (v & m);
            }
        }
        flr
    }
}

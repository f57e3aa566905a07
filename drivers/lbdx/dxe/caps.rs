// SPDX-License-Identifier: GPL-2.0

//! What a DXE engine reports it can do, read once at probe and checked
//! against what the register map allows.

use crate::{bringup::Bar0, hw::dxe_regs};
use kernel::{io::Io, prelude::*};

/// Engine capabilities.
#[derive(Clone, Copy)]
pub(crate) struct Caps {
    /// `CAP_*` bits.
    pub(crate) ops: u32,
    /// Most sources of one xor.
    pub(crate) max_xor_srcs: u32,
    /// Most bytes of one descriptor.
    pub(crate) max_xfer: u32,
    /// Descriptor channels.
    pub(crate) channels: u32,
    /// Largest descriptor ring.
    pub(crate) max_ring_size: u32,
    /// Nominal throughput in MiB/s (0: not stated).
    pub(crate) nominal_bw: u32,
    /// Channel resets report their end in `CH_STATUS.QUIESCENT` (minor
    /// version 1 or later).
    pub(crate) quiescent: bool,
}

impl Caps {
    /// Reads the capability registers. Refuses (`ENODEV`, with the reason
    /// in `Err`'s message) values the register map does not allow.
    pub(crate) fn read(bar: &Bar0<'_>) -> Result<Self, &'static str> {
        let c = Self {
            ops: bar.read32(dxe_regs::CAPS),
            max_xor_srcs: bar.read32(dxe_regs::MAX_XOR_SRCS),
            max_xfer: bar.read32(dxe_regs::MAX_XFER),
            channels: bar.read32(dxe_regs::NUM_CHANNELS),
            max_ring_size: bar.read32(dxe_regs::MAX_RING_SIZE),
            nominal_bw: bar.read32(dxe_regs::NOMINAL_BW),
            quiescent: dxe_regs::version_minor(bar.read32(dxe_regs::VERSION))
                >= dxe_regs::VERSION_MINOR_CHAN_QUIESCENT,
        };
        if c.channels == 0 || c.channels > dxe_regs::CHAN_MAX {
            return Err("channel count outside 1..=32");
        }
        if c.ops
            & (dxe_regs::CAP_COPY | dxe_regs::CAP_FILL | dxe_regs::CAP_XOR | dxe_regs::CAP_XOR_VAL)
            == 0
        {
            return Err("no operation in CAPS");
        }
        if c.ops & (dxe_regs::CAP_XOR | dxe_regs::CAP_XOR_VAL) != 0 && c.max_xor_srcs < 2 {
            return Err("xor offered with fewer than 2 sources");
        }
        if c.max_xfer == 0 {
            return Err("MAX_XFER is 0");
        }
        if c.max_ring_size < 2 || !c.max_ring_size.is_power_of_two() {
            return Err("MAX_RING_SIZE is not a power of two >= 2");
        }
        Ok(c)
    }
}

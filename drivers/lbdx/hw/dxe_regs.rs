// SPDX-License-Identifier: GPL-2.0

//! Register map, descriptor and completion-record formats of the DXE
//! DMA/XOR engine, as specified in `Documentation/hw/dxe.rst`.
//!
//! Kernel-free (`core` only): compiled into the driver and into the device
//! model and host tests from this same file. The reST document is the
//! specification; this file is its transcription and must change with it.

/// PCI vendor ID (shared with the HLB; not assigned to any real product).
pub const PCI_VENDOR_ID: u16 = super::hlb_regs::PCI_VENDOR_ID;
/// PCI device ID of the DXE engine.
pub const PCI_DEVICE_ID: u16 = 0x4458;
/// PCI class code: system peripheral, DMA controller (0x0801), prog-if 0.
pub const PCI_CLASS: u32 = 0x08_01_00;

/// Size of BAR0 (control registers), in bytes.
pub const BAR0_SIZE: u64 = 0x1_0000;
/// BAR holding the MSI-X table and PBA.
pub const MSIX_BAR: u32 = 2;

/// `ID`: identity magic, read-only, reads `"DXE0"` in ASCII.
pub const ID: usize = 0x0000;
/// Value of [`ID`].
pub const ID_MAGIC: u32 = 0x4458_4530;
/// `VERSION`: major in bits 31:16, minor in bits 15:0.
pub const VERSION: usize = 0x0004;
/// Major version this register map describes; a driver refuses others.
pub const VERSION_MAJOR: u16 = 1;
/// Minor version implemented by the model.
pub const VERSION_MINOR: u16 = 1;
/// First minor version with [`CH_STATUS_QUIESCENT`]: a channel reset may
/// take up to [`CH_RESET_TIMEOUT_MS`]; before it, a channel reset is over
/// once a read issued after the resetting write returned.
pub const VERSION_MINOR_CHAN_QUIESCENT: u16 = 1;
/// [`VERSION`] encoding helpers: both devices encode `VERSION` the same
/// way (major in bits 31:16, minor in bits 15:0).
#[allow(
    unused_imports,
    reason = "re-exported for the host crates; the driver decodes VERSION through hlb_regs"
)]
pub use super::hlb_regs::{version, version_major, version_minor};

/// `CTRL`: device control.
pub const CTRL: usize = 0x0008;
/// `CTRL.RESET`: write 1 to reset the device (all channels disabled, all
/// channel registers to their reset values); reads 1 until done.
pub const CTRL_RESET: u32 = 1 << 0;

/// `STATUS`: device status, read-only.
pub const STATUS: usize = 0x000c;
/// `STATUS.READY`: out of reset.
pub const STATUS_READY: u32 = 1 << 0;

/// `IRQ_TEST`: write a vector number to raise that MSI-X vector; sets
/// [`IRQ_CAUSE_TEST`].
pub const IRQ_TEST: usize = 0x0010;
/// `IRQ_CAUSE`: why the error vector (0) fired; write 1 to clear a bit.
pub const IRQ_CAUSE: usize = 0x0014;
/// `IRQ_CAUSE.TEST`: a self-test interrupt was raised.
pub const IRQ_CAUSE_TEST: u32 = 1 << 0;
/// `IRQ_CAUSE.CHAN_HALT`: at least one channel halted; see [`HALTED_CHANNELS`].
pub const IRQ_CAUSE_CHAN_HALT: u32 = 1 << 1;
/// `IRQ_TEST_COUNT`: self-test interrupts raised since reset.
pub const IRQ_TEST_COUNT: usize = 0x0018;
/// `NUM_VECTORS`: vector 0 is the error vector, vector `1 + c` serves
/// channel `c`.
pub const NUM_VECTORS: usize = 0x001c;

/// `CAPS`: operations the engine performs.
pub const CAPS: usize = 0x0020;
/// `CAPS.COPY`.
pub const CAP_COPY: u32 = 1 << 0;
/// `CAPS.FILL`.
pub const CAP_FILL: u32 = 1 << 1;
/// `CAPS.XOR`.
pub const CAP_XOR: u32 = 1 << 2;
/// `CAPS.XOR_VAL`.
pub const CAP_XOR_VAL: u32 = 1 << 3;
/// `CAPS.INTR`: completion interrupts per descriptor.
pub const CAP_INTR: u32 = 1 << 4;
/// Every capability bit defined by this version.
pub const CAP_ALL: u32 = CAP_COPY | CAP_FILL | CAP_XOR | CAP_XOR_VAL | CAP_INTR;
/// `MAX_XOR_SRCS`: most sources one xor or xor-validate descriptor takes.
pub const MAX_XOR_SRCS: usize = 0x0024;
/// `MAX_XFER`: most bytes one descriptor moves.
pub const MAX_XFER: usize = 0x0028;
/// `NUM_CHANNELS`: descriptor channels.
pub const NUM_CHANNELS: usize = 0x002c;
/// `MAX_RING_SIZE`: largest ring, in descriptors (a power of two).
pub const MAX_RING_SIZE: usize = 0x0030;
/// `NOMINAL_BW`: the engine's nominal throughput, in MiB/s.
pub const NOMINAL_BW: usize = 0x0034;
/// `HALTED_CHANNELS`: bit `c` set while channel `c` is halted.
pub const HALTED_CHANNELS: usize = 0x0038;

/// Base of the first channel's register block.
pub const CHAN_BASE: usize = 0x1000;
/// Stride between channel register blocks.
pub const CHAN_STRIDE: usize = 0x100;
/// Most channels the register map has room for.
pub const CHAN_MAX: u32 = 32;

/// Channel register: ring base address, low 32 bits (64-byte aligned).
pub const CH_RING_BASE_LO: usize = 0x00;
/// Channel register: ring base address, high 32 bits.
pub const CH_RING_BASE_HI: usize = 0x04;
/// Channel register: ring size in descriptors (a power of two, 2 to
/// `MAX_RING_SIZE`).
pub const CH_RING_SIZE: usize = 0x08;
/// Channel register: control.
pub const CH_CTRL: usize = 0x0c;
/// `CH_CTRL.ENABLE`: process descriptors; ring base and size are latched
/// when this bit goes from 0 to 1.
pub const CH_CTRL_ENABLE: u32 = 1 << 0;
/// `CH_CTRL.RESET`: write 1 to reset the channel (clears a halt, zeroes
/// HEAD, TAIL and COMPLETED, clears ENABLE).
pub const CH_CTRL_RESET: u32 = 1 << 1;
/// Channel register: status, read-only.
pub const CH_STATUS: usize = 0x10;
/// `CH_STATUS.ENABLED`.
pub const CH_STATUS_ENABLED: u32 = 1 << 0;
/// `CH_STATUS.HALTED`: the channel stopped; the cause is in bits 15:8.
pub const CH_STATUS_HALTED: u32 = 1 << 1;
/// `CH_STATUS.QUIESCENT` (1.1): the channel fetches nothing and accesses
/// no memory (disabled or halted, no reset and no descriptor in progress).
pub const CH_STATUS_QUIESCENT: u32 = 1 << 2;
/// Shift of the halt cause (a [`CompletionStatus`] code) in `CH_STATUS`.
pub const CH_STATUS_HALT_CAUSE_SHIFT: u32 = 8;
/// Longest a channel reset takes on a 1.1 device (`CH_RESET_TIMEOUT`), in
/// milliseconds: a channel not quiescent by then needs a device reset.
pub const CH_RESET_TIMEOUT_MS: u32 = 100;
/// Channel register: HEAD, the index of the next descriptor the device will
/// fetch (free-running, modulo 2^32).
pub const CH_HEAD: usize = 0x14;
/// Channel register: TAIL doorbell, the index one past the last descriptor
/// the driver has written (free-running, modulo 2^32).
pub const CH_TAIL: usize = 0x18;
/// Channel register: descriptors completed since the channel reset.
pub const CH_COMPLETED: usize = 0x1c;

/// Offset of register `reg` of channel `chan`.
pub const fn chan_reg(chan: u32, reg: usize) -> usize {
    CHAN_BASE + chan as usize * CHAN_STRIDE + reg
}

/// Size of one descriptor in the ring, in bytes.
pub const DESC_SIZE: usize = 64;
/// Size of one completion record, in bytes (16-byte aligned in memory).
pub const COMPLETION_SIZE: usize = 16;

/// Descriptor opcodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Opcode {
    /// Does nothing; completes successfully.
    Nop = 0,
    /// Copies `len` bytes from `src` to `dst`.
    Copy = 1,
    /// Fills `len` bytes at `dst` with the 8-byte pattern in `src`.
    Fill = 2,
    /// Xors `nsrc` sources (addresses listed at `src`) into `dst`.
    Xor = 3,
    /// Checks that the xor of `nsrc` sources (listed at `src`) is all zero.
    XorVal = 4,
}

impl Opcode {
    /// Decodes an opcode byte.
    pub const fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(Self::Nop),
            1 => Some(Self::Copy),
            2 => Some(Self::Fill),
            3 => Some(Self::Xor),
            4 => Some(Self::XorVal),
            _ => None,
        }
    }
}

/// Descriptor flag: raise the channel's vector when this descriptor completes.
pub const DESC_FLAG_INTR: u8 = 1 << 0;
/// Descriptor flags defined by this version; others must be zero.
pub const DESC_FLAGS_ALL: u8 = DESC_FLAG_INTR;

/// A descriptor as the driver writes it into the ring.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Descriptor {
    /// Operation ([`Opcode`] as a byte).
    pub opcode: u8,
    /// `DESC_FLAG_*` bits.
    pub flags: u8,
    /// Number of sources (xor, xor-validate), else 0.
    pub nsrc: u8,
    /// Bytes to process.
    pub len: u32,
    /// Destination address (copy, fill, xor), else 0.
    pub dst: u64,
    /// Source address (copy), fill pattern (fill), or address of an array
    /// of `nsrc` little-endian 64-bit source addresses (xor, xor-validate).
    pub src: u64,
    /// Address of the 16-byte completion record (16-byte aligned).
    pub completion: u64,
    /// Opaque value echoed in the completion record.
    pub cookie: u64,
}

impl Descriptor {
    /// Encodes the descriptor in its little-endian in-memory layout.
    pub fn to_bytes(self) -> [u8; DESC_SIZE] {
        let mut b = [0u8; DESC_SIZE];
        b[0] = self.opcode;
        b[1] = self.flags;
        b[2] = self.nsrc;
        b[4..8].copy_from_slice(&self.len.to_le_bytes());
        b[8..16].copy_from_slice(&self.dst.to_le_bytes());
        b[16..24].copy_from_slice(&self.src.to_le_bytes());
        b[24..32].copy_from_slice(&self.completion.to_le_bytes());
        b[32..40].copy_from_slice(&self.cookie.to_le_bytes());
        b
    }

    /// Decodes a descriptor; `Err` carries the status a device reports for
    /// a descriptor whose reserved bytes are not zero.
    pub fn from_bytes(b: &[u8; DESC_SIZE]) -> Result<Self, CompletionStatus> {
        if b[3] != 0 || b[40..].iter().any(|&x| x != 0) {
            return Err(CompletionStatus::ReservedNonZero);
        }
        Ok(Self {
            opcode: b[0],
            flags: b[1],
            nsrc: b[2],
            len: u32::from_le_bytes([b[4], b[5], b[6], b[7]]),
            dst: le64(&b[8..16]),
            src: le64(&b[16..24]),
            completion: le64(&b[24..32]),
            cookie: le64(&b[32..40]),
        })
    }
}

/// Status byte of a completion record. The driver zeroes the record before
/// submitting; the device writes a non-zero status last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum CompletionStatus {
    /// Not completed yet (the value the driver pre-writes).
    Pending = 0x00,
    /// Done.
    Success = 0x01,
    /// Unknown opcode.
    BadOpcode = 0x10,
    /// `len` is zero or larger than `MAX_XFER`.
    BadLength = 0x11,
    /// `nsrc` outside 2..=`MAX_XOR_SRCS` (xor), or non-zero for other ops.
    BadSourceCount = 0x12,
    /// A DMA access fell outside guest memory.
    DmaFault = 0x13,
    /// Failure injected by the model's fault plan.
    Injected = 0x14,
    /// Reserved descriptor bytes or flag bits were not zero.
    ReservedNonZero = 0x15,
    /// The operation is not in `CAPS`.
    Unsupported = 0x16,
}

impl CompletionStatus {
    /// Decodes a status byte; unknown codes map to `None`.
    pub const fn from_u8(v: u8) -> Option<Self> {
        match v {
            0x00 => Some(Self::Pending),
            0x01 => Some(Self::Success),
            0x10 => Some(Self::BadOpcode),
            0x11 => Some(Self::BadLength),
            0x12 => Some(Self::BadSourceCount),
            0x13 => Some(Self::DmaFault),
            0x14 => Some(Self::Injected),
            0x15 => Some(Self::ReservedNonZero),
            0x16 => Some(Self::Unsupported),
            _ => None,
        }
    }
}

/// Xor-validate result: the xor of the sources was all zero.
pub const XOR_VAL_ZERO: u8 = 0;
/// Xor-validate result: the xor of the sources had a non-zero byte.
pub const XOR_VAL_NONZERO: u8 = 1;

/// A completion record as the device writes it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Completion {
    /// [`CompletionStatus`] as a byte.
    pub status: u8,
    /// Xor-validate outcome (`XOR_VAL_*`), else 0.
    pub result: u8,
    /// Bytes processed before completion or failure.
    pub bytes: u32,
    /// The descriptor's cookie.
    pub cookie: u64,
}

impl Completion {
    /// Encodes the record in its little-endian in-memory layout.
    pub fn to_bytes(self) -> [u8; COMPLETION_SIZE] {
        let mut b = [0u8; COMPLETION_SIZE];
        b[0] = self.status;
        b[1] = self.result;
        b[4..8].copy_from_slice(&self.bytes.to_le_bytes());
        b[8..16].copy_from_slice(&self.cookie.to_le_bytes());
        b
    }

    /// Decodes a record.
    pub fn from_bytes(b: &[u8; COMPLETION_SIZE]) -> Self {
        Self {
            status: b[0],
            result: b[1],
            bytes: u32::from_le_bytes([b[4], b[5], b[6], b[7]]),
            cookie: le64(&b[8..16]),
        }
    }
}

fn le64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_le_bytes(a)
}

/// Capability bits with the names the driver's `caps` attribute and the
/// documentation give them, in bit order.
pub const CAP_NAMES: [(u32, &str); 5] = [
    (CAP_COPY, "copy"),
    (CAP_FILL, "fill"),
    (CAP_XOR, "xor"),
    (CAP_XOR_VAL, "xor_val"),
    (CAP_INTR, "intr"),
];

/// Writes the names of the capability bits set in `ops`, comma-separated
/// (the format of the driver's `caps` attribute).
pub fn write_caps(ops: u32, out: &mut impl core::fmt::Write) -> core::fmt::Result {
    let mut sep = "";
    for (bit, name) in CAP_NAMES {
        if ops & bit != 0 {
            out.write_str(sep)?;
            out.write_str(name)?;
            sep = ",";
        }
    }
    Ok(())
}

// SPDX-License-Identifier: GPL-2.0

//! The DXE execution engine: descriptor fetch, validation, execution and
//! completion-record write, as plain functions over [`GuestMemory`].
//!
//! No locks, threads or clocks here, so every rule is testable with an
//! in-memory guest.

use crate::dxe_regs::{
    self as regs, Completion, CompletionStatus, Descriptor, Opcode, COMPLETION_SIZE, DESC_SIZE,
};
use crate::mem::{DmaFault, GuestMemory};

/// Bytes moved per DMA burst; a fault reports the bytes of the bursts
/// before it.
pub const CHUNK: usize = 4096;

/// What a channel is allowed to do, from the device's identity registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// `CAPS` bits.
    pub caps: u32,
    /// `MAX_XOR_SRCS`.
    pub max_xor_srcs: u32,
    /// `MAX_XFER`.
    pub max_xfer: u32,
}

/// A descriptor that passed validation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Valid {
    /// The decoded descriptor.
    pub desc: Descriptor,
    /// Its operation.
    pub op: Opcode,
}

/// Where and what to report for one descriptor, known even when the
/// descriptor is invalid (the fields are at fixed offsets).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Completion-record address.
    pub completion: u64,
    /// Cookie to echo.
    pub cookie: u64,
    /// Raise the channel vector on completion (`DESC_FLAG_INTR`, honoured
    /// whatever the descriptor's status).
    pub intr: bool,
}

/// Result of executing one descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Completion status.
    pub status: CompletionStatus,
    /// Xor-validate result (`XOR_VAL_*`), else 0.
    pub result: u8,
    /// Bytes processed.
    pub bytes: u32,
}

impl Outcome {
    /// A failure before any byte moved.
    pub const fn failed(status: CompletionStatus) -> Self {
        Self {
            status,
            result: 0,
            bytes: 0,
        }
    }
}

/// Guest address of ring slot `index` (free-running index, `size` a power
/// of two).
pub fn slot_addr(ring_base: u64, ring_size: u32, index: u32) -> u64 {
    let slot = u64::from(index & ring_size.wrapping_sub(1));
    ring_base.wrapping_add(slot * DESC_SIZE as u64)
}

/// Reads the raw descriptor at ring slot `index`.
pub fn fetch(
    mem: &dyn GuestMemory,
    ring_base: u64,
    ring_size: u32,
    index: u32,
) -> Result<[u8; DESC_SIZE], DmaFault> {
    let mut raw = [0u8; DESC_SIZE];
    mem.read(slot_addr(ring_base, ring_size, index), &mut raw)?;
    Ok(raw)
}

fn le64_at(raw: &[u8; DESC_SIZE], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&raw[at..at + 8]);
    u64::from_le_bytes(b)
}

/// The reporting fields of a raw descriptor.
pub fn header(raw: &[u8; DESC_SIZE]) -> Header {
    Header {
        completion: le64_at(raw, 24),
        cookie: le64_at(raw, 32),
        intr: raw[1] & regs::DESC_FLAG_INTR != 0,
    }
}

fn cap_of(op: Opcode) -> u32 {
    match op {
        Opcode::Nop => 0,
        Opcode::Copy => regs::CAP_COPY,
        Opcode::Fill => regs::CAP_FILL,
        Opcode::Xor => regs::CAP_XOR,
        Opcode::XorVal => regs::CAP_XOR_VAL,
    }
}

/// Validates a raw descriptor, in the documented order: reserved bytes and
/// flag bits, opcode, capability, length, source count.
pub fn validate(raw: &[u8; DESC_SIZE], limits: &Limits) -> Result<Valid, CompletionStatus> {
    let desc = Descriptor::from_bytes(raw)?;
    if desc.flags & !regs::DESC_FLAGS_ALL != 0 {
        return Err(CompletionStatus::ReservedNonZero);
    }
    let op = Opcode::from_u8(desc.opcode).ok_or(CompletionStatus::BadOpcode)?;
    let mut needed = cap_of(op);
    if desc.flags & regs::DESC_FLAG_INTR != 0 {
        needed |= regs::CAP_INTR;
    }
    if limits.caps & needed != needed {
        return Err(CompletionStatus::Unsupported);
    }
    if op != Opcode::Nop && (desc.len == 0 || desc.len > limits.max_xfer) {
        return Err(CompletionStatus::BadLength);
    }
    let nsrc = u32::from(desc.nsrc);
    let nsrc_ok = match op {
        Opcode::Xor | Opcode::XorVal => (2..=limits.max_xor_srcs).contains(&nsrc),
        _ => nsrc == 0,
    };
    if !nsrc_ok {
        return Err(CompletionStatus::BadSourceCount);
    }
    Ok(Valid { desc, op })
}

/// Executes a valid descriptor against guest memory.
pub fn execute(mem: &dyn GuestMemory, v: &Valid) -> Outcome {
    let d = &v.desc;
    let len = d.len as usize;
    let r = match v.op {
        Opcode::Nop => Ok((0, 0)),
        Opcode::Copy => copy(mem, d.src, d.dst, len),
        Opcode::Fill => fill(mem, d.src.to_le_bytes(), d.dst, len),
        Opcode::Xor => xor(mem, d.src, usize::from(d.nsrc), Some(d.dst), len),
        Opcode::XorVal => xor(mem, d.src, usize::from(d.nsrc), None, len),
    };
    match r {
        Ok((bytes, result)) => Outcome {
            status: CompletionStatus::Success,
            result,
            bytes,
        },
        Err(bytes) => Outcome {
            status: CompletionStatus::DmaFault,
            result: 0,
            bytes,
        },
    }
}

/// `Ok((bytes, result))`, or `Err(bytes done before the fault)`.
type OpResult = Result<(u32, u8), u32>;

fn done(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn at(base: u64, off: usize) -> u64 {
    base.wrapping_add(off as u64)
}

fn copy(mem: &dyn GuestMemory, src: u64, dst: u64, len: usize) -> OpResult {
    let mut buf = vec![0u8; CHUNK.min(len)];
    let mut off = 0;
    while off < len {
        let n = CHUNK.min(len - off);
        let chunk = &mut buf[..n];
        mem.read(at(src, off), chunk).map_err(|_| done(off))?;
        mem.write(at(dst, off), chunk).map_err(|_| done(off))?;
        off += n;
    }
    Ok((done(len), 0))
}

fn fill(mem: &dyn GuestMemory, pattern: [u8; 8], dst: u64, len: usize) -> OpResult {
    // CHUNK is a multiple of 8, so every chunk starts on a pattern boundary.
    let buf: Vec<u8> = (0..CHUNK.min(len)).map(|i| pattern[i % 8]).collect();
    let mut off = 0;
    while off < len {
        let n = CHUNK.min(len - off);
        mem.write(at(dst, off), &buf[..n]).map_err(|_| done(off))?;
        off += n;
    }
    Ok((done(len), 0))
}

/// Xors `nsrc` sources listed at `list` into `dst`, or (no `dst`) checks
/// that their xor is zero.
fn xor(mem: &dyn GuestMemory, list: u64, nsrc: usize, dst: Option<u64>, len: usize) -> OpResult {
    let mut table = vec![0u8; nsrc * 8];
    mem.read(list, &mut table).map_err(|_| 0u32)?;
    let srcs: Vec<u64> = table
        .chunks_exact(8)
        .map(|c| {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            u64::from_le_bytes(b)
        })
        .collect();
    let mut acc = vec![0u8; CHUNK.min(len)];
    let mut tmp = vec![0u8; CHUNK.min(len)];
    let mut nonzero = false;
    let mut off = 0;
    while off < len {
        let n = CHUNK.min(len - off);
        let acc = &mut acc[..n];
        let tmp = &mut tmp[..n];
        acc.fill(0);
        for &s in &srcs {
            mem.read(at(s, off), tmp).map_err(|_| done(off))?;
            acc.iter_mut().zip(tmp.iter()).for_each(|(a, b)| *a ^= b);
        }
        match dst {
            Some(d) => mem.write(at(d, off), acc).map_err(|_| done(off))?,
            None => nonzero |= acc.iter().any(|&b| b != 0),
        }
        off += n;
    }
    let result = if nonzero {
        regs::XOR_VAL_NONZERO
    } else {
        regs::XOR_VAL_ZERO
    };
    Ok((done(len), result))
}

/// Writes a completion record: bytes 1..16 first, then the status byte
/// with release ordering. Fails without writing if `addr` is not 16-byte
/// aligned or any byte of the record is unmapped.
pub fn write_completion(mem: &dyn GuestMemory, addr: u64, c: &Completion) -> Result<(), DmaFault> {
    let fault = DmaFault {
        addr,
        len: COMPLETION_SIZE,
    };
    if !addr.is_multiple_of(COMPLETION_SIZE as u64) {
        return Err(fault);
    }
    // Probe the whole record so nothing is written if part of it is not mapped.
    let mut probe = [0u8; COMPLETION_SIZE];
    mem.read(addr, &mut probe)?;
    let bytes = c.to_bytes();
    mem.write(addr + 1, &bytes[1..])?;
    mem.write_release(addr, bytes[0])
}

/// Everything the device decides about one fetched descriptor before
/// executing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoded {
    /// Invalid: complete with this status, nothing executed.
    Invalid(Header, CompletionStatus),
    /// Valid: to be executed (or failed by fault injection).
    Valid(Header, Valid),
}

/// Decodes and validates a raw descriptor.
pub fn decode(raw: &[u8; DESC_SIZE], limits: &Limits) -> Decoded {
    let h = header(raw);
    match validate(raw, limits) {
        Ok(v) => Decoded::Valid(h, v),
        Err(status) => Decoded::Invalid(h, status),
    }
}

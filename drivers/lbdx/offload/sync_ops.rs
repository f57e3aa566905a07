// SPDX-License-Identifier: GPL-2.0

//! The layer's Rust consumer API for code in this module: copy, fill, xor
//! and xor-validate over borrowed slices, each submitted with
//! `LBDX_SUBMIT_WILL_WAIT` and waited for before returning, so the borrow
//! checker keeps the buffers alive and untouched for the whole request.
//! Same selection, failover and fast path as the C API (`capi.rs`).
//!
//! Process context only (they may sleep). Buffers must lie in the linear
//! map (`KVec`, `KBox`, not the stack): `EINVAL` otherwise, as for lengths
//! that differ, are 0 or exceed `LBDX_MAX_LEN`, or a source count outside
//! 2..=64. `EIO`: every capable backend failed.

use super::{
    backend_select::Op,
    flow::{self, Submitted},
    mapping::MAX_SRCS,
    request::{Finish, Operands, SUBMIT_WILL_WAIT},
};
use kernel::prelude::*;

/// Submits, waits, and turns the status into a `Result` of the result.
fn run(op: Op, len: usize, o: &Operands<'_>) -> Result<u32> {
    let fin = match flow::start(op, len, o, SUBMIT_WILL_WAIT, None, None)? {
        Submitted::Done(fin) => fin,
        Submitted::Started(req) => req.wait(),
    };
    match fin {
        Finish { status: 0, result } => Ok(result),
        Finish { status, .. } => Err(Error::from_errno(status)),
    }
}

/// The addresses of `srcs`, each `len` bytes long.
fn sources(srcs: &[&[u8]], len: usize) -> Result<([usize; MAX_SRCS], usize)> {
    if !(2..=MAX_SRCS).contains(&srcs.len()) || srcs.iter().any(|s| s.len() != len) {
        return Err(EINVAL);
    }
    let mut a = [0usize; MAX_SRCS];
    for (d, s) in a.iter_mut().zip(srcs) {
        *d = s.as_ptr() as usize;
    }
    Ok((a, srcs.len()))
}

/// Copies `src` into `dst` (same length).
pub(crate) fn copy(dst: &mut [u8], src: &[u8]) -> Result {
    if dst.len() != src.len() {
        return Err(EINVAL);
    }
    let o = Operands {
        dst: dst.as_mut_ptr() as usize,
        srcs: &[src.as_ptr() as usize],
        ..Operands::default()
    };
    run(Op::Copy, dst.len(), &o).map(|_| ())
}

/// Fills `dst` with the 8 bytes of `pattern`, little endian.
pub(crate) fn fill(dst: &mut [u8], pattern: u64) -> Result {
    let o = Operands {
        dst: dst.as_mut_ptr() as usize,
        pattern,
        ..Operands::default()
    };
    run(Op::Fill, dst.len(), &o).map(|_| ())
}

/// `dst[i] = srcs[0][i] ^ srcs[1][i] ^ ...` (2 to 64 sources, all as long
/// as `dst`).
pub(crate) fn xor(dst: &mut [u8], srcs: &[&[u8]]) -> Result {
    let (a, n) = sources(srcs, dst.len())?;
    let o = Operands {
        dst: dst.as_mut_ptr() as usize,
        srcs: &a[..n],
        ..Operands::default()
    };
    run(Op::Xor, dst.len(), &o).map(|_| ())
}

/// Whether the sources (2 to 64, of equal length) xor to anything but
/// zero.
pub(crate) fn xor_nonzero(srcs: &[&[u8]]) -> Result<bool> {
    let len = srcs.first().map_or(0, |s| s.len());
    let (a, n) = sources(srcs, len)?;
    let o = Operands {
        srcs: &a[..n],
        ..Operands::default()
    };
    run(Op::XorVal, len, &o).map(|r| r != 0)
}

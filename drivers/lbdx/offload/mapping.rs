// SPDX-License-Identifier: GPL-2.0

//! The buffers of one attempt mapped for DMA by the chosen backend's
//! device: created before the backend gets the job, unmapped (by drop)
//! once the attempt is over and before any next attempt runs, so that a
//! bounce buffer never copies stale data over a later attempt's result.

use super::{
    backend_select::Op,
    glue::{self, Dir},
    request::Req,
};
use kernel::{device::Device, prelude::*, sync::aref::ARef};

/// Most sources of a request (`LBDX_MAX_XOR_SRCS`).
pub(crate) const MAX_SRCS: usize = 64;

/// Addresses of a job's buffers, as its backend uses them.
pub(super) struct Addrs {
    /// Destination or P.
    pub(super) dst: u64,
    /// Q.
    pub(super) q: u64,
    /// Sources; the first `n` are used.
    pub(super) srcs: [u64; MAX_SRCS],
    /// Sources in use.
    pub(super) n: usize,
}

impl Addrs {
    /// The request's own kernel virtual addresses.
    pub(super) fn virtual_of(req: &Req) -> Self {
        let mut a = Self {
            dst: req.dst as u64,
            q: req.q as u64,
            srcs: [0; MAX_SRCS],
            n: req.srcs.len().min(MAX_SRCS),
        };
        for (d, s) in a.srcs.iter_mut().zip(req.srcs.iter()) {
            *d = *s as u64;
        }
        a
    }
}

/// Live DMA mappings of one attempt.
// INVARIANT: every address in `outs` (the first `outs_n`, with direction
// `out_dir`) and `srcs` (the first `n`, towards the device) is a live
// mapping for `dev` of `len` bytes.
pub(crate) struct Mapping {
    dev: ARef<Device>,
    len: usize,
    outs: [u64; 2],
    outs_n: usize,
    out_dir: Dir,
    srcs: [u64; MAX_SRCS],
    n: usize,
}

/// Which way the destination, P and Q of `req` go: written, read and
/// written (P+Q adding to them), or read (P+Q-validate).
fn out_dir(req: &Req) -> Dir {
    match req.op {
        Op::PqVal => Dir::ToDevice,
        Op::Pq if req.accumulate => Dir::Both,
        _ => Dir::FromDevice,
    }
}

impl Mapping {
    /// Maps the buffers of `req` for `dev`; returns the mapping and the
    /// addresses the backend uses.
    pub(super) fn new(dev: &ARef<Device>, req: &Req) -> Result<(Self, Addrs)> {
        let len = req.len as usize;
        let mut m = Self {
            dev: dev.clone(),
            len,
            outs: [0; 2],
            outs_n: 0,
            out_dir: out_dir(req),
            srcs: [0; MAX_SRCS],
            n: 0,
        };
        let mut a = Addrs {
            dst: 0,
            q: 0,
            srcs: [0; MAX_SRCS],
            n: 0,
        };
        for (va, to) in [(req.dst, &mut a.dst), (req.q, &mut a.q)] {
            if va != 0 {
                // SAFETY: The submitter checked the buffer is in the linear
                // map and keeps it until the request completes, after this
                // mapping is dropped. On error, `m` drops and unmaps what
                // was mapped so far.
                let d = unsafe { glue::dma_map(dev, va, len, m.out_dir)? };
                m.outs[m.outs_n] = d;
                m.outs_n += 1;
                *to = d;
            }
        }
        for (i, s) in req.srcs.iter().take(MAX_SRCS).enumerate() {
            // SAFETY: As for the destination.
            let d = unsafe { glue::dma_map(dev, *s, len, Dir::ToDevice)? };
            m.srcs[i] = d;
            m.n = i + 1;
            a.srcs[i] = d;
            a.n = i + 1;
        }
        Ok((m, a))
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        for d in self.outs.iter().take(self.outs_n) {
            // SAFETY: By the type invariant.
            unsafe { glue::dma_unmap(&self.dev, *d, self.len, self.out_dir) };
        }
        for s in self.srcs.iter().take(self.n) {
            // SAFETY: By the type invariant.
            unsafe { glue::dma_unmap(&self.dev, *s, self.len, Dir::ToDevice) };
        }
    }
}

// SPDX-License-Identifier: GPL-2.0

//! The buffers of one attempt mapped for DMA by the chosen backend's
//! device: created before the backend gets the job, unmapped (by drop)
//! once the attempt is over and before any next attempt runs, so that a
//! bounce buffer never copies stale data over a later attempt's result.

use super::{glue, request::Req};
use kernel::{device::Device, prelude::*, sync::aref::ARef};

/// Most sources of a request (`LBDX_MAX_XOR_SRCS`).
pub(crate) const MAX_SRCS: usize = 64;

/// Addresses of a job's buffers, as its backend uses them.
pub(super) struct Addrs {
    /// Destination.
    pub(super) dst: u64,
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
// INVARIANT: every address in `dst` and `srcs` is a live mapping for `dev`
// of `len` bytes, in the direction its field says.
pub(crate) struct Mapping {
    dev: ARef<Device>,
    len: usize,
    dst: Option<u64>,
    srcs: [u64; MAX_SRCS],
    n: usize,
}

impl Mapping {
    /// Maps the buffers of `req` for `dev`; returns the mapping and the
    /// addresses the backend uses.
    pub(super) fn new(dev: &ARef<Device>, req: &Req) -> Result<(Self, Addrs)> {
        let len = req.len as usize;
        let mut m = Self {
            dev: dev.clone(),
            len,
            dst: None,
            srcs: [0; MAX_SRCS],
            n: 0,
        };
        let mut a = Addrs {
            dst: 0,
            srcs: [0; MAX_SRCS],
            n: 0,
        };
        if req.dst != 0 {
            // SAFETY: The submitter checked the buffer is in the linear map
            // and keeps it until the request completes, after this mapping
            // is dropped.
            let d = unsafe { glue::dma_map(dev, req.dst, len, false)? };
            m.dst = Some(d);
            a.dst = d;
        }
        for (i, s) in req.srcs.iter().take(MAX_SRCS).enumerate() {
            // SAFETY: As for the destination. On error, `m` drops and
            // unmaps what was mapped so far.
            let d = unsafe { glue::dma_map(dev, *s, len, true)? };
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
        if let Some(d) = self.dst {
            // SAFETY: By the type invariant.
            unsafe { glue::dma_unmap(&self.dev, d, self.len, false) };
        }
        for s in self.srcs.iter().take(self.n) {
            // SAFETY: By the type invariant.
            unsafe { glue::dma_unmap(&self.dev, *s, self.len, true) };
        }
    }
}

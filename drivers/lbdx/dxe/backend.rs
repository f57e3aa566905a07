// SPDX-License-Identifier: GPL-2.0

//! The DXE engine as a backend of the async-offload layer: what it tells
//! the layer when it registers, and the layer's calls into it.

use super::engine::Engine;
use crate::{
    hw::dxe_regs as regs,
    offload::{
        backend_select::{Caps, OpSet},
        Backend, Desc, Job, Refusal,
    },
};
use kernel::{device::Bound, pci, prelude::*};

/// Longest backend name the layer takes.
const NAME_MAX: usize = 31;

impl Backend for Engine {
    fn submit(&self, job: &Job<'_>) -> Result<(), Refusal> {
        Engine::submit(self, job)
    }
}

/// The layer's operation set for the `CAPS` bits `ops`.
fn op_set(ops: u32) -> OpSet {
    [
        (regs::CAP_COPY, OpSet::COPY),
        (regs::CAP_FILL, OpSet::FILL),
        (regs::CAP_XOR, OpSet::XOR),
        (regs::CAP_XOR_VAL, OpSet::XOR_VAL),
    ]
    .into_iter()
    .filter(|(bit, _)| ops & bit != 0)
    .fold(OpSet::default(), |set, (_, op)| set.with(op))
}

/// How `engine`, bound to `pdev`, registers: named `dxe:<PCI address>`,
/// mapping buffers for `pdev`, with the engine's capabilities and nominal
/// bandwidth, and `request_cost_ns` as the fixed cost of a job (measured
/// by the probe self-test).
pub(crate) fn desc(
    pdev: &pci::Device<Bound>,
    engine: &Engine,
    request_cost_ns: u64,
) -> Result<Desc> {
    let dev: &kernel::device::Device<Bound> = pdev.as_ref();
    let mut name = KVec::with_capacity(NAME_MAX, GFP_KERNEL)?;
    let full = Iterator::chain(b"dxe:".iter(), dev.name().to_bytes());
    for &b in full.take(NAME_MAX) {
        let b = b.to_ascii_lowercase();
        let ok = b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.:-".contains(&b);
        name.push(if ok { b } else { b'_' }, GFP_KERNEL)?;
    }
    let caps = engine.caps();
    Ok(Desc {
        name,
        dev: Some(dev.into()),
        caps: Caps {
            ops: op_set(caps.ops),
            max_xor_sources: engine.max_srcs(),
            max_len: u64::from(caps.max_xfer),
            align: 1,
        },
        bandwidth: engine.bandwidth(),
        request_cost_ns,
        is_cpu: false,
    })
}

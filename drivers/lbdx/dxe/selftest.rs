// SPDX-License-Identifier: GPL-2.0

//! Probe-time DMA self-test of a DXE engine, in the spirit of ioatdma's:
//! one copy descriptor on channel 0, through a two-entry ring in coherent
//! memory, completion polled in memory and, if the engine has completion
//! interrupts, signalled on channel 0's vector. It proves that the ring,
//! the doorbell, the completion record, the channel vector and DMA both
//! ways work before the engine is offered to anyone; a device that fails
//! it is not bound.

use crate::{
    bringup::Bar0,
    hw::dxe_regs::{self as regs, chan_reg, Completion, CompletionStatus, Descriptor, Opcode},
};
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::{
    device::Bound,
    dma::{Coherent, CoherentBox},
    io::{io_read, poll::read_poll_timeout, Io},
    irq::{self, IrqReturn},
    pci,
    prelude::*,
    time::Delta,
};

/// Bytes the self-test copies.
const LEN: usize = 4096;
/// Descriptors in the self-test ring (the smallest ring allowed).
const RING: usize = 2;
/// Cookie of the self-test descriptor.
const COOKIE: u64 = 0x5e1f_7e57;

/// The byte the source holds at offset `i`.
fn pattern(i: usize) -> u8 {
    (i as u8) ^ 0xa5
}

/// Counts the interrupts of one channel vector.
struct ChannelIrq {
    count: AtomicU32,
}

impl irq::Handler for ChannelIrq {
    fn handle(&self) -> IrqReturn {
        self.count.fetch_add(1, Ordering::Release);
        IrqReturn::Handled
    }
}

/// Copies `LEN` bytes on channel 0 and checks the copy and the completion
/// record, and with `intr` that channel 0's vector (vector 1 of `vectors`)
/// fired. Leaves channel 0 reset (disabled, indices zero).
pub(crate) fn dma_selftest(
    pdev: &pci::Device<Bound>,
    bar: &Bar0<'_>,
    vectors: &pci::IrqVectorRegistration<'_>,
    intr: bool,
) -> Result {
    let dev = pdev.as_ref();
    let irq = if intr {
        let handler = ChannelIrq {
            count: AtomicU32::new(0),
        };
        // SAFETY: The registration is dropped at the end of this function.
        let reg = unsafe {
            irq::Registration::new(
                vectors.index(1)?.into(),
                irq::Flags::TRIGGER_NONE,
                c"lbdx_dxe_selftest",
                Ok::<_, Error>(handler),
            )
        };
        Some(KBox::pin_init(reg, GFP_KERNEL)?)
    } else {
        None
    };

    let mut src = CoherentBox::<[u8]>::zeroed_slice(dev, LEN, GFP_KERNEL)?;
    for (i, b) in src.iter_mut().enumerate() {
        *b = pattern(i);
    }
    let src: Coherent<[u8]> = src.into();
    let dst: Coherent<[u8]> = CoherentBox::<[u8]>::zeroed_slice(dev, LEN, GFP_KERNEL)?.into();
    let comp: Coherent<[u8]> =
        CoherentBox::<[u8]>::zeroed_slice(dev, regs::COMPLETION_SIZE, GFP_KERNEL)?.into();
    let desc = Descriptor {
        opcode: Opcode::Copy as u8,
        flags: if intr { regs::DESC_FLAG_INTR } else { 0 },
        nsrc: 0,
        len: LEN as u32,
        dst: dst.dma_address(),
        src: src.dma_address(),
        completion: comp.dma_address(),
        cookie: COOKIE,
    };
    let mut ring = CoherentBox::<[u8]>::zeroed_slice(dev, RING * regs::DESC_SIZE, GFP_KERNEL)?;
    ring.get_mut(..regs::DESC_SIZE)
        .ok_or(EINVAL)?
        .copy_from_slice(&desc.to_bytes());
    let ring: Coherent<[u8]> = ring.into();

    let base = ring.dma_address();
    bar.try_write32(base as u32, chan_reg(0, regs::CH_RING_BASE_LO))?;
    bar.try_write32((base >> 32) as u32, chan_reg(0, regs::CH_RING_BASE_HI))?;
    bar.try_write32(RING as u32, chan_reg(0, regs::CH_RING_SIZE))?;
    bar.try_write32(regs::CH_CTRL_ENABLE, chan_reg(0, regs::CH_CTRL))?;
    bar.try_write32(1, chan_reg(0, regs::CH_TAIL))?;

    let done = read_poll_timeout(
        || Ok(io_read!(comp, [try: 0])),
        |status| *status != CompletionStatus::Pending as u8,
        Delta::from_millis(1),
        Delta::from_millis(1000),
    );
    let halted = bar.try_read32(chan_reg(0, regs::CH_STATUS))? & regs::CH_STATUS_HALTED != 0;
    // Reset the channel whatever happened: no descriptor stays queued.
    bar.try_write32(regs::CH_CTRL_RESET, chan_reg(0, regs::CH_CTRL))?;
    if done.is_err() || halted {
        dev_err!(
            pdev,
            "DMA self-test: no completion within 1 s (channel halted: {})\n",
            halted
        );
        return Err(EIO);
    }
    if let Some(irq) = &irq {
        let count = &irq.handler().count;
        read_poll_timeout(
            || Ok(count.load(Ordering::Acquire)),
            |n| *n != 0,
            Delta::from_millis(1),
            Delta::from_millis(1000),
        )
        .inspect_err(|_| {
            dev_err!(
                pdev,
                "DMA self-test: no interrupt on channel 0's vector within 1 s\n"
            )
        })?;
    }

    let mut rec = [0u8; regs::COMPLETION_SIZE];
    for (i, b) in rec.iter_mut().enumerate() {
        *b = io_read!(comp, [try: i]);
    }
    let c = Completion::from_bytes(&rec);
    if c.status != CompletionStatus::Success as u8 || c.cookie != COOKIE || c.bytes != LEN as u32 {
        dev_err!(
            pdev,
            "DMA self-test: completion status {:#x}, cookie {:#x}, {} bytes\n",
            c.status,
            c.cookie,
            c.bytes
        );
        return Err(EIO);
    }
    for i in 0..LEN {
        let got = io_read!(dst, [try: i]);
        if got != pattern(i) {
            dev_err!(
                pdev,
                "DMA self-test: byte {} of the copy is {:#x}, not {:#x}\n",
                i,
                got,
                pattern(i)
            );
            return Err(EIO);
        }
    }
    Ok(())
}

// SPDX-License-Identifier: GPL-2.0

//! Completion interrupts of the DXE channels: vector `1 + c` serves
//! channel `c`. The hard handler only counts the interrupt and wakes the
//! handler thread; the thread retires the channel's finished jobs and
//! reports them, so nothing is reported in hard interrupt context.

use super::engine::Engine;
use kernel::{
    irq::{self, IrqReturn, ThreadedIrqReturn},
    pci,
    prelude::*,
    sync::Arc,
};

/// Handler of one channel's vector.
pub(crate) struct ChannelIrq {
    engine: Arc<Engine>,
    chan: usize,
}

impl irq::ThreadedHandler for ChannelIrq {
    fn handle(&self) -> ThreadedIrqReturn {
        self.engine.note_interrupt(self.chan);
        ThreadedIrqReturn::WakeThread
    }

    fn handle_threaded(&self) -> IrqReturn {
        self.engine.reap(self.chan);
        IrqReturn::Handled
    }
}

/// The handlers of every channel's vector, in channel order.
pub(crate) type ChannelIrqs<'b> = KVec<Pin<KBox<irq::ThreadedRegistration<'b, ChannelIrq>>>>;

/// Registers a handler on the vector of each of `engine`'s channels.
///
/// # Safety
///
/// The returned registrations must not be leaked.
pub(crate) unsafe fn register<'b>(
    vectors: &'b pci::IrqVectorRegistration<'b>,
    engine: &Arc<Engine>,
) -> Result<ChannelIrqs<'b>> {
    let n = engine.channels().count();
    let mut irqs = KVec::with_capacity(n, GFP_KERNEL)?;
    for chan in 0..n {
        let handler = ChannelIrq {
            engine: engine.clone(),
            chan,
        };
        // SAFETY: Forwarded to our caller.
        let reg = unsafe {
            irq::ThreadedRegistration::new(
                vectors.index(chan + 1)?.into(),
                irq::Flags::TRIGGER_NONE,
                c"lbdx_dxe_chan",
                Ok::<_, Error>(handler),
            )
        };
        irqs.push(KBox::pin_init(reg, GFP_KERNEL)?, GFP_KERNEL)?;
    }
    Ok(irqs)
}

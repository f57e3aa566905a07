// SPDX-License-Identifier: GPL-2.0

//! The seam for interrupts: a device raises MSI-X vector `n`; masking and
//! message delivery are the transport's business (QEMU emulates the
//! MSI-X table).

use std::sync::Mutex;

use crate::sync::lock;

/// Something that delivers MSI-X vectors.
pub trait IrqSink: Send + Sync {
    /// Raises MSI-X vector `vector`.
    fn raise(&self, vector: u32);
}

/// An [`IrqSink`] that remembers every vector raised, for tests.
#[derive(Debug, Default)]
pub struct RecordingIrqs {
    raised: Mutex<Vec<u32>>,
}

impl RecordingIrqs {
    /// A sink with nothing recorded.
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns and forgets the vectors raised so far, in order.
    pub fn take(&self) -> Vec<u32> {
        std::mem::take(&mut *lock(&self.raised))
    }
}

impl IrqSink for RecordingIrqs {
    fn raise(&self, vector: u32) {
        lock(&self.raised).push(vector);
    }
}

/// An [`IrqSink`] that drops every interrupt.
#[derive(Debug, Default)]
pub struct NoIrqs;

impl IrqSink for NoIrqs {
    fn raise(&self, _vector: u32) {}
}

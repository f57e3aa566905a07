// SPDX-License-Identifier: GPL-2.0

//! The scheduler's [`CqSink`] in the model: CQ entries go into guest
//! memory at `CQ_ADDR + (index % depth) * 16`, bytes 0-14 first and the
//! generation byte last with release ordering; fired CQ interrupts are
//! collected for the caller to raise.

use hlb_sched::{CqEntry, CqSink};

use super::running::PortRt;
use crate::hlb_regs::QE_SIZE;
use crate::mem::GuestMemory;

/// Writes one domain's CQ entries into guest memory.
pub struct GuestCqs<'a> {
    /// Device name, for logs.
    pub name: &'a str,
    /// Guest memory.
    pub mem: &'a dyn GuestMemory,
    /// The domain's ports, in the scheduler's port index order.
    pub ports: &'a mut [PortRt],
    /// MSI-X vectors to raise.
    pub vectors: &'a mut Vec<u32>,
}

impl CqSink for GuestCqs<'_> {
    fn write(&mut self, port: usize, index: u32, entry: &CqEntry) {
        self.write_bytes(port, index, &entry.to_bytes());
    }

    fn write_bytes(&mut self, port: usize, index: u32, bytes: &[u8; QE_SIZE]) {
        let Some(p) = self.ports.get_mut(port) else {
            return;
        };
        if p.depth == 0 {
            return;
        }
        let slot = u64::from(index % p.depth) * QE_SIZE as u64;
        let addr = p.setup.cq_addr.wrapping_add(slot);
        let (body, gen) = bytes.split_at(QE_SIZE - 1);
        let done = self.mem.write(addr, body).and_then(|()| {
            self.mem
                .write_release(addr.wrapping_add(body.len() as u64), gen[0])
        });
        if let Err(e) = done {
            // Once per start: a bad CQ address would otherwise flood the log.
            if !p.faulted {
                p.faulted = true;
                log::warn!(
                    "{}: CQ of {:?}: {e}; its entries are lost",
                    self.name,
                    p.setup.id
                );
            }
        }
    }

    fn interrupt(&mut self, port: usize) {
        if let Some(p) = self.ports.get(port).filter(|p| p.setup.cq_vector != 0) {
            self.vectors.push(p.setup.cq_vector);
        }
    }
}

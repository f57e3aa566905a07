// SPDX-License-Identifier: GPL-2.0

//! The scheduler's [`CqSink`] in the model: CQ entries go into the guest
//! memory of the port's function at `CQ_ADDR + (index % depth) * 16`,
//! bytes 0-14 first and the generation byte last with release ordering;
//! fired CQ interrupts are counted (`CQ_IRQS`, when the port has a
//! vector) and collected for the caller to raise. A VF's
//! entries name its virtual queues and are written (and signalled) only
//! while the VF is enabled with Bus Master Enable set; otherwise they are
//! lost like entries at an unmapped address.

use hlb_sched::{CqEntry, CqSink};

use super::running::PortRt;
use super::{Io, Pending};
use crate::hlb::vf::translate;
use crate::hlb::vf::vfs::Vfs;
use crate::hlb_regs::QE_SIZE;
use crate::mem::GuestMemory;

/// Writes one domain's CQ entries into guest memory.
pub struct GuestCqs<'a> {
    /// Memory of the PF and the VFs.
    pub io: &'a Io<'a>,
    /// The VFs' state (maps, enable, Bus Master Enable).
    pub vfs: &'a Vfs,
    /// The domain's ports, in the scheduler's port index order.
    pub ports: &'a mut [PortRt],
    /// Where fired vectors go.
    pub out: &'a mut Pending,
}

/// The memory port `p`'s CQ is written through, if it may be written.
fn target<'a>(io: &'a Io<'a>, vfs: &Vfs, p: &PortRt) -> Option<&'a dyn GuestMemory> {
    match p.func() {
        None => Some(io.mem),
        Some(n) if vfs.may_dma(n) => io.vfs.get(n as usize).map(|v| &*v.mem),
        Some(_) => None,
    }
}

impl CqSink for GuestCqs<'_> {
    fn write(&mut self, port: usize, index: u32, entry: &CqEntry) {
        self.write_bytes(port, index, &entry.to_bytes());
    }

    fn write_bytes(&mut self, port: usize, index: u32, bytes: &[u8; QE_SIZE]) {
        let Some(p) = self.ports.get(port) else {
            return;
        };
        if p.depth == 0 {
            return;
        }
        let (io, vfs) = (self.io, self.vfs);
        let Some(mem) = target(io, vfs, p) else {
            return;
        };
        let mut bytes = *bytes;
        if let Some(vf) = p.func().and_then(|n| vfs.active(n)) {
            translate::cq_to_virt(&vf.maps, &mut bytes);
        }
        let slot = u64::from(index % p.depth) * QE_SIZE as u64;
        let addr = p.setup.cq_addr.wrapping_add(slot);
        let (body, gen) = bytes.split_at(QE_SIZE - 1);
        let done = mem
            .write(addr, body)
            .and_then(|()| mem.write_release(addr.wrapping_add(body.len() as u64), gen[0]));
        if let (Err(e), Some(p)) = (done, self.ports.get_mut(port)) {
            // Once per start: a bad CQ address would otherwise flood the log.
            if !p.faulted {
                p.faulted = true;
                log::warn!(
                    "{}: CQ of {:?}: {e}; its entries are lost",
                    io.name,
                    p.setup.id
                );
            }
        }
    }

    fn interrupt(&mut self, port: usize) {
        let Some(p) = self.ports.get_mut(port).filter(|p| p.setup.cq_vector != 0) else {
            return;
        };
        // Fired with a vector: counted even if the function may not send
        // it (a VF without Bus Master Enable), as a lost CQ entry counts
        // as written.
        p.cq_irqs = p.cq_irqs.wrapping_add(1);
        if target(self.io, self.vfs, p).is_some() {
            self.out.raise(p.func(), p.setup.cq_vector);
        }
    }
}

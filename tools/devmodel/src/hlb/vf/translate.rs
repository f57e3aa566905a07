// SPDX-License-Identifier: GPL-2.0

//! Translation between a VF's virtual ids and the device's physical ones
//! ("Translation" in `Documentation/hw/hlb-vf.rst`), done around the
//! scheduler, which works in physical ids: which VF takes a port when its
//! domain starts, the `queue` byte of a VF's NEW and FORWARD QEs (virtual
//! to physical) and of the CQ entries its ports receive (back).

use hlb_sched::PortId;

use super::maps::{Maps, Table};
use super::vfs::Vfs;
use crate::hlb_regs::{AlarmCode, Qe, QeCommand, SchedType, QE_SIZE};

/// Byte of a QE and of a CQ entry that holds the queue.
const QUEUE_BYTE: usize = 10;
/// Byte of a QE and of a CQ entry whose bits 1:0 are the scheduling type.
const SCHED_BYTE: usize = 11;
/// What a CQ entry's queue byte reads when the VF does not map the queue.
pub const UNMAPPED_QUEUE: u8 = 0xff;

/// A port taken by a VF: VF `n`'s virtual port of the same kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VfPort {
    /// The VF.
    pub n: u32,
    /// The virtual port (its window in the VF's BAR4).
    pub port: PortId,
}

/// The table naming ports of `port`'s kind.
fn port_table(port: PortId) -> (Table, u32) {
    match port {
        PortId::Ldb(p) => (Table::LdbPort, u32::from(p)),
        PortId::Dir(p) => (Table::DirPort, u32::from(p)),
    }
}

/// `port` with number `p` instead.
fn with_number(port: PortId, p: u32) -> PortId {
    let p = u8::try_from(p).unwrap_or(u8::MAX);
    match port {
        PortId::Ldb(_) => PortId::Ldb(p),
        PortId::Dir(_) => PortId::Dir(p),
    }
}

/// The VF whose port map holds physical `port`, with its virtual port.
pub fn owner(vfs: &Vfs, port: PortId) -> Option<VfPort> {
    let (table, p) = port_table(port);
    vfs.vf.iter().enumerate().find_map(|(n, vf)| {
        let v = vf.maps.to_virt(table, p)?;
        Some(VfPort {
            n: u32::try_from(n).ok()?,
            port: with_number(port, v),
        })
    })
}

/// Physical port of VF virtual port `vport` in `maps`.
pub fn port_to_phys(maps: &Maps, vport: PortId) -> Option<PortId> {
    let (table, v) = port_table(vport);
    Some(with_number(vport, maps.to_phys(table, v)?))
}

/// The table translating the queue byte of a QE or CQ entry.
fn queue_table(bytes: &[u8; QE_SIZE]) -> Table {
    if SchedType::from_bits(bytes[SCHED_BYTE]) == SchedType::Directed {
        Table::DirPort
    } else {
        Table::LdbQueue
    }
}

/// Rewrites the queue byte of a VF's NEW or FORWARD QE to the physical
/// id (`Unmapped` if `maps` has no entry). Other QEs, and QEs the device
/// cannot decode (refused by the scheduler as `BadQe`), are left alone.
pub fn qe_to_phys(maps: &Maps, bytes: &mut [u8; QE_SIZE]) -> Result<(), AlarmCode> {
    let Ok(qe) = Qe::from_bytes(bytes) else {
        return Ok(());
    };
    if !matches!(qe.command(), Some(QeCommand::New | QeCommand::Forward)) {
        return Ok(());
    }
    let p = maps
        .to_phys(queue_table(bytes), u32::from(qe.queue))
        .ok_or(AlarmCode::Unmapped)?;
    bytes[QUEUE_BYTE] = u8::try_from(p).unwrap_or(UNMAPPED_QUEUE);
    Ok(())
}

/// Rewrites the queue byte of a CQ entry for a VF's port to the VF's
/// virtual id, or [`UNMAPPED_QUEUE`].
pub fn cq_to_virt(maps: &Maps, bytes: &mut [u8; QE_SIZE]) {
    let v = maps.to_virt(queue_table(bytes), u32::from(bytes[QUEUE_BYTE]));
    bytes[QUEUE_BYTE] = v
        .and_then(|v| u8::try_from(v).ok())
        .unwrap_or(UNMAPPED_QUEUE);
}

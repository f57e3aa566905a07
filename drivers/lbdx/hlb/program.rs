// SPDX-License-Identifier: GPL-2.0

//! Programming the HLB's domains, queues, ports and links (register map:
//! `hw/hlb_regs.rs`, `Documentation/hw/hlb.rst`).
//!
//! [`Program`] is what the control plane asks of a device; [`BarProgram`]
//! does it through BAR0 (KUnit tests give the control plane a recorder).
//!
//! Every sequence of writes is bracketed by reads of `ALARM_COUNT`: the
//! device handles accesses in order, so a count that moved means the device
//! refused one of the writes. The sequence is then undone where it can be,
//! the alarm is logged and acknowledged, and the caller gets `EIO`.
//!
//! Started domains raise data-plane alarms at any time (`dataplane.rs`
//! routes them). A sequence holds the alarm lock, so the data plane reads
//! and acknowledges no alarm meanwhile. A QE's alarm latched when the
//! sequence starts is acknowledged and left in the lock's stash for the
//! data plane; one latched during the sequence is left latched for it, and
//! the sequence then fails only if more than that one alarm was raised.

use super::{
    control_plane::ObjectAttrs,
    resource_pool::{
        vf_slice::VfObject, DomainGrant, DomainRequest, ObjectKind, PortGrant, QueueGrant,
    },
};
use crate::{
    bringup::{Bar0, SharedBar0},
    hw::hlb_regs::{self as regs, domain_reg, object_reg},
};
use kernel::{
    io::Io,
    prelude::*,
    sync::{Arc, Mutex},
};

/// Programming operations the control plane needs from a device. The
/// `Result` ones fail when the device refuses (`EIO`) or is gone (`ENODEV`),
/// having undone their own writes; the others are best effort.
pub(crate) trait Program: Send + Sync {
    /// Reserves domain `g.id` in the device.
    fn commit_domain(&self, g: DomainGrant, req: &DomainRequest) -> Result;
    /// Releases domain `d` (it owns no objects).
    fn release_domain(&self, d: u32);
    /// Starts or stops domain `d`; when this returns, a stopped domain
    /// writes no more CQ entries.
    fn start_domain(&self, d: u32, start: bool) -> Result;
    /// Resets and releases domain `d`, unassigning all its objects.
    fn reset_domain(&self, d: u32);
    /// Assigns and configures queue `g.id` in domain `d`.
    fn commit_ldb_queue(&self, d: u32, g: &QueueGrant, a: &ObjectAttrs) -> Result;
    /// Assigns and configures LDB port `g.id` in domain `d`.
    fn commit_ldb_port(
        &self,
        d: u32,
        g: &PortGrant,
        hist_list_size: u32,
        a: &ObjectAttrs,
    ) -> Result;
    /// Assigns and configures directed port `p` in domain `d`.
    fn commit_dir_port(&self, d: u32, p: u32, a: &ObjectAttrs) -> Result;
    /// Unassigns object `id` of `kind`.
    fn unassign(&self, kind: ObjectKind, id: u32);
    /// Writes link slot `slot` of LDB port `port`.
    fn write_link(&self, port: u32, slot: u32, link: Option<(u32, u32)>) -> Result;
    /// Whether link slots take writes while their domain is started
    /// ("Links at run time", version 1.5; a VF's requests never do).
    fn runtime_links(&self) -> bool;
    /// Whether link slot `slot` of LDB port `port` reads `PENDING`: an
    /// unlink on a started domain that has not taken effect yet.
    fn link_pending(&self, port: u32, slot: u32) -> Result<bool>;
    /// Writes map entries of VF `vf`: `(table, virtual id, physical id)`,
    /// `None` clearing the entry.
    fn write_vf_maps(&self, vf: u32, entries: &[(VfObject, u32, Option<u32>)]) -> Result;
    /// Writes `VF_ENABLE`.
    fn write_vf_enable(&self, mask: u32) -> Result;
}

/// Offset of VF `vf`'s map entry for virtual id `v` of `kind`; `None` for
/// kinds the device does not translate (sequence-number groups are the
/// PF driver's alone).
pub(crate) fn vf_map_reg(vf: u32, kind: VfObject, v: u32) -> Option<usize> {
    let table = match kind {
        VfObject::LdbPort => regs::VFB_LDB_PORT_MAP,
        VfObject::DirPort => regs::VFB_DIR_PORT_MAP,
        VfObject::LdbQueue => regs::VFB_LDB_QUEUE_MAP,
        VfObject::Domain => regs::VFB_DOMAIN_MAP,
        VfObject::SnGroup => return None,
    };
    Some(regs::vf_block_reg(vf, table) + v as usize * 4)
}

/// [`Program`] through the HLB's BAR0.
pub(crate) struct BarProgram {
    bar: SharedBar0,
    alarm_lock: Arc<Mutex<Option<(u32, u32)>>>,
    /// The device's minor version is at least
    /// [`regs::VERSION_MINOR_RUNTIME_LINKS`].
    runtime_links: bool,
}

fn obj_base(kind: ObjectKind) -> usize {
    match kind {
        ObjectKind::LdbQueue => regs::LDB_QUEUE_BASE,
        ObjectKind::LdbPort => regs::LDB_PORT_BASE,
        ObjectKind::DirPort => regs::DIR_PORT_BASE,
    }
}

impl BarProgram {
    /// Programs through `bar`, of a device of minor version `minor`.
    pub(crate) fn new(
        bar: SharedBar0,
        alarm_lock: Arc<Mutex<Option<(u32, u32)>>>,
        minor: u16,
    ) -> Self {
        Self {
            bar,
            alarm_lock,
            runtime_links: minor >= regs::VERSION_MINOR_RUNTIME_LINKS,
        }
    }

    /// Runs `f` on the BAR (`ENODEV` once the device is gone) and fails
    /// with `EIO` if the device raised an alarm meanwhile.
    fn checked(&self, f: impl FnOnce(&Bar0<'_>) -> Result) -> Result {
        let mut stash = self.alarm_lock.lock();
        let bar = self.bar.try_access().ok_or(ENODEV)?;
        // Start with no alarm latched: a QE's alarm latched before is the
        // data plane's (its handler, waiting for the lock, takes it from
        // the stash), and it must not hide one of ours.
        let (code, info) = (bar.read32(regs::ALARM_CODE), bar.read32(regs::ALARM_INFO));
        if code != 0 && info & regs::ALARM_INFO_QE != 0 && stash.is_none() {
            *stash = Some((code, info));
            bar.write32(1, regs::ALARM_ACK);
        }
        let before = bar.read32(regs::ALARM_COUNT);
        let done = f(&bar);
        let after = bar.read32(regs::ALARM_COUNT);
        if after != before {
            let code = bar.read32(regs::ALARM_CODE);
            let info = bar.read32(regs::ALARM_INFO);
            if info & regs::ALARM_INFO_QE != 0 {
                // A QE's alarm latched first: the data plane's. Ours, if
                // any, is the rest of the count.
                if after.wrapping_sub(before) == 1 {
                    return done;
                }
                dev_err!(
                    self.bar.device(),
                    "device raised alarms while programming (one of a QE); assuming refused\n"
                );
                return Err(EIO);
            }
            bar.write32(1, regs::ALARM_ACK);
            dev_err!(
                self.bar.device(),
                "device refused programming: alarm {:?} ({:#x}) at offset {:#x}\n",
                regs::AlarmCode::from_u32(code),
                code,
                info
            );
            return Err(EIO);
        }
        done
    }
}

impl Program for BarProgram {
    /// Reserves a domain in the device: counts, history-list block, VALID.
    fn commit_domain(&self, g: DomainGrant, req: &DomainRequest) -> Result {
        self.checked(|bar| {
            let d = g.id;
            bar.try_write32(req.ldb_credits, domain_reg(d, regs::DOM_LDB_CREDITS))?;
            bar.try_write32(req.dir_credits, domain_reg(d, regs::DOM_DIR_CREDITS))?;
            bar.try_write32(
                req.atomic_inflights,
                domain_reg(d, regs::DOM_ATOMIC_INFLIGHTS),
            )?;
            bar.try_write32(g.hist_list_base, domain_reg(d, regs::DOM_HL_BASE))?;
            bar.try_write32(req.hist_list, domain_reg(d, regs::DOM_HL_SIZE))?;
            bar.try_write32(regs::DOM_CTRL_VALID, domain_reg(d, regs::DOM_CTRL))
        })
    }

    /// Releases domain `d` (it owns no objects).
    fn release_domain(&self, d: u32) {
        let _ = self.checked(|bar| bar.try_write32(0, domain_reg(d, regs::DOM_CTRL)));
    }

    /// Sets or clears `DOM_CTRL.STARTED` of domain `d`. The read of
    /// `ALARM_COUNT` that ends every sequence returns only after the write
    /// took effect (register writes are posted), so a stop is complete.
    fn start_domain(&self, d: u32, start: bool) -> Result {
        let ctrl = regs::DOM_CTRL_VALID | if start { regs::DOM_CTRL_STARTED } else { 0 };
        self.checked(|bar| bar.try_write32(ctrl, domain_reg(d, regs::DOM_CTRL)))
    }

    /// Resets domain `d` (unassigning all its objects) and releases it.
    fn reset_domain(&self, d: u32) {
        let _ = self.checked(|bar| {
            bar.try_write32(
                regs::DOM_CTRL_VALID | regs::DOM_CTRL_RESET,
                domain_reg(d, regs::DOM_CTRL),
            )?;
            bar.try_write32(0, domain_reg(d, regs::DOM_CTRL))
        });
    }

    /// Assigns queue `g.id` to domain `d` and configures it; undone if the
    /// device refuses any of it.
    fn commit_ldb_queue(&self, d: u32, g: &QueueGrant, a: &ObjectAttrs) -> Result {
        let reg = |r| object_reg(regs::LDB_QUEUE_BASE, g.id, r);
        self.checked(|bar| {
            if let Some((group, mode)) = g.set_group_mode {
                bar.try_write32(mode, regs::sn_group_mode(group))?;
            }
            bar.try_write32(regs::VALID | d, reg(regs::OBJ_DOMAIN))?;
            if let Some(sn) = g.sn {
                let v = a.sequence_numbers | (sn.group << 16) | (sn.slot << 24);
                bar.try_write32(v, reg(regs::LQ_SN))?;
            }
            bar.try_write32(a.inflight_limit, reg(regs::LQ_INFLIGHT_LIMIT))?;
            bar.try_write32(a.atomic_inflights, reg(regs::LQ_ATOMIC_INFLIGHTS))?;
            bar.try_write32(a.lock_id_comp, reg(regs::LQ_LOCK_ID_COMP))?;
            bar.try_write32(a.depth_threshold, reg(regs::LQ_DEPTH_THRESHOLD))
        })
        .inspect_err(|_| self.unassign(ObjectKind::LdbQueue, g.id))
    }

    /// Assigns LDB port `g.id` to domain `d` with history list
    /// `[g.hist_list_base, + hist_list_size)`; undone if refused.
    fn commit_ldb_port(
        &self,
        d: u32,
        g: &PortGrant,
        hist_list_size: u32,
        a: &ObjectAttrs,
    ) -> Result {
        let reg = |r| object_reg(regs::LDB_PORT_BASE, g.id, r);
        self.checked(|bar| {
            bar.try_write32(regs::VALID | d, reg(regs::OBJ_DOMAIN))?;
            bar.try_write32(a.cq_depth, reg(regs::PORT_CQ_DEPTH))?;
            bar.try_write32(a.depth_threshold, reg(regs::PORT_DEPTH_THRESHOLD))?;
            bar.try_write32(g.hist_list_base, reg(regs::LP_HL_BASE))?;
            bar.try_write32(hist_list_size, reg(regs::LP_HL_SIZE))
        })
        .inspect_err(|_| self.unassign(ObjectKind::LdbPort, g.id))
    }

    /// Assigns directed port `p` (and its queue) to domain `d`; undone if
    /// refused.
    fn commit_dir_port(&self, d: u32, p: u32, a: &ObjectAttrs) -> Result {
        let reg = |r| object_reg(regs::DIR_PORT_BASE, p, r);
        self.checked(|bar| {
            bar.try_write32(regs::VALID | d, reg(regs::OBJ_DOMAIN))?;
            bar.try_write32(a.cq_depth, reg(regs::PORT_CQ_DEPTH))?;
            bar.try_write32(a.depth_threshold, reg(regs::PORT_DEPTH_THRESHOLD))
        })
        .inspect_err(|_| self.unassign(ObjectKind::DirPort, p))
    }

    /// Unassigns object `id` of `kind` (clearing its configuration).
    fn unassign(&self, kind: ObjectKind, id: u32) {
        let _ = self
            .checked(|bar| bar.try_write32(0, object_reg(obj_base(kind), id, regs::OBJ_DOMAIN)));
    }

    /// Writes link slot `slot` of LDB port `port`: `(queue, priority)` or
    /// empty.
    fn write_link(&self, port: u32, slot: u32, link: Option<(u32, u32)>) -> Result {
        let v = link.map_or(0, |(q, prio)| {
            regs::VALID | (prio << regs::LINK_PRIORITY_SHIFT) | q
        });
        self.checked(|bar| {
            bar.try_write32(v, object_reg(regs::LINK_BASE, port, regs::link_slot(slot)))
        })
    }

    fn runtime_links(&self) -> bool {
        self.runtime_links
    }

    fn link_pending(&self, port: u32, slot: u32) -> Result<bool> {
        let bar = self.bar.try_access().ok_or(ENODEV)?;
        let v = bar.try_read32(object_reg(regs::LINK_BASE, port, regs::link_slot(slot)))?;
        Ok(v & regs::LINK_PENDING != 0)
    }

    /// Writes the map entries in order, all under one alarm check.
    fn write_vf_maps(&self, vf: u32, entries: &[(VfObject, u32, Option<u32>)]) -> Result {
        self.checked(|bar| {
            for &(kind, v, phys) in entries {
                if let Some(reg) = vf_map_reg(vf, kind, v) {
                    bar.try_write32(phys.map_or(0, |p| regs::VF_MAP_VALID | p), reg)?;
                }
            }
            Ok(())
        })
    }

    fn write_vf_enable(&self, mask: u32) -> Result {
        self.checked(|bar| bar.try_write32(mask, regs::VF_ENABLE))
    }
}

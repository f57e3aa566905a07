// SPDX-License-Identifier: GPL-2.0

//! DIR and LDB port blocks: consumer-queue depth, depth threshold and the
//! LDB ports' history-list ranges.

use super::link::LINK_SLOTS;
use super::object::obj_domain;
use super::pp::PortDp;
use super::{overlaps, within, Block, Check, Resources};
use crate::hlb_regs::{self as regs, AlarmCode};

/// One DIR port's registers; `Default` is the reset (unassigned) state.
#[derive(Clone, Debug, Default)]
pub(super) struct DirPort {
    pub(super) owner: Option<u32>,
    pub(super) cq_depth: u32,
    pub(super) depth_threshold: u32,
    /// Data-plane block (`CQ_ADDR_*`, `CQ_VECTOR`).
    pub(super) dp: PortDp,
}

/// One LDB port's registers and link slots; `Default` is the reset
/// (unassigned, unlinked) state.
#[derive(Clone, Debug, Default)]
pub(super) struct LdbPort {
    pub(super) owner: Option<u32>,
    pub(super) cq_depth: u32,
    pub(super) depth_threshold: u32,
    pub(super) hl_base: u32,
    pub(super) hl_size: u32,
    /// Link slot registers as written (0: empty).
    pub(super) links: [u32; LINK_SLOTS],
    /// Data-plane block (`CQ_ADDR_*`, `CQ_VECTOR`).
    pub(super) dp: PortDp,
}

impl DirPort {
    pub(super) fn read(&self, reg: usize) -> u32 {
        match reg {
            regs::OBJ_DOMAIN => obj_domain(self.owner),
            regs::PORT_CQ_DEPTH => self.cq_depth,
            regs::PORT_DEPTH_THRESHOLD => self.depth_threshold,
            _ => 0,
        }
    }
}

impl LdbPort {
    pub(super) fn read(&self, reg: usize) -> u32 {
        match reg {
            regs::OBJ_DOMAIN => obj_domain(self.owner),
            regs::PORT_CQ_DEPTH => self.cq_depth,
            regs::PORT_DEPTH_THRESHOLD => self.depth_threshold,
            regs::LP_HL_BASE => self.hl_base,
            regs::LP_HL_SIZE => self.hl_size,
            _ => 0,
        }
    }

    /// Queue of a link slot value, if the link is valid.
    pub(super) fn link_queue(link: u32) -> Option<u32> {
        (link & regs::VALID != 0).then_some(link & regs::LINK_QUEUE_MASK)
    }

    /// Whether a slot other than `except` links queue `q`.
    pub(super) fn links_queue(&self, q: u32, except: Option<usize>) -> bool {
        self.links
            .iter()
            .enumerate()
            .any(|(s, &l)| Some(s) != except && Self::link_queue(l) == Some(q))
    }

    pub(super) fn has_links(&self) -> bool {
        self.links.iter().any(|&l| l != 0)
    }
}

/// Checks a consumer-queue depth: a power of two in range.
fn check_cq_depth(value: u32) -> Check {
    if value.is_power_of_two() && (regs::CQ_DEPTH_MIN..=regs::CQ_DEPTH_MAX).contains(&value) {
        Ok(())
    } else {
        Err(AlarmCode::BadValue)
    }
}

fn check_threshold(value: u32) -> Check {
    if value <= regs::DEPTH_THRESHOLD_MAX {
        Ok(())
    } else {
        Err(AlarmCode::BadValue)
    }
}

impl Resources {
    pub(super) fn write_dir_port(&mut self, p: u32, reg: usize, value: u32) -> Check {
        if reg == regs::OBJ_DOMAIN {
            return self.write_obj_domain(Block::DirPort, p, value);
        }
        self.configurable(self.dir_ports[p as usize].owner)?;
        let port = &mut self.dir_ports[p as usize];
        match reg {
            regs::PORT_CQ_DEPTH => {
                check_cq_depth(value)?;
                port.cq_depth = value;
            }
            regs::PORT_DEPTH_THRESHOLD => {
                check_threshold(value)?;
                port.depth_threshold = value;
            }
            _ => {}
        }
        Ok(())
    }

    pub(super) fn write_ldb_port(&mut self, p: u32, reg: usize, value: u32) -> Check {
        if reg == regs::OBJ_DOMAIN {
            return self.write_obj_domain(Block::LdbPort, p, value);
        }
        let d = self.configurable(self.ldb_ports[p as usize].owner)?;
        let port = &self.ldb_ports[p as usize];
        match reg {
            regs::PORT_CQ_DEPTH => {
                check_cq_depth(value)?;
                if port.hl_size != 0 && port.hl_size < value {
                    return Err(AlarmCode::BadValue);
                }
            }
            regs::PORT_DEPTH_THRESHOLD => check_threshold(value)?,
            regs::LP_HL_BASE if port.hl_size != 0 => {
                self.check_port_hl(p, d, value, port.hl_size, port.cq_depth)?
            }
            regs::LP_HL_SIZE => self.check_port_hl(p, d, port.hl_base, value, port.cq_depth)?,
            _ => {}
        }
        let port = &mut self.ldb_ports[p as usize];
        match reg {
            regs::PORT_CQ_DEPTH => port.cq_depth = value,
            regs::PORT_DEPTH_THRESHOLD => port.depth_threshold = value,
            regs::LP_HL_BASE => port.hl_base = value,
            regs::LP_HL_SIZE => port.hl_size = value,
            _ => {}
        }
        Ok(())
    }

    /// Checks the history-list range `[base, base + size)` of LDB port `p`
    /// in domain `d` (nothing to check if `size` is 0): at least the CQ
    /// depth (`BadValue`), inside the domain's block and apart from every
    /// other port's range (`Overlap`).
    fn check_port_hl(&self, p: u32, d: u32, base: u32, size: u32, cq_depth: u32) -> Check {
        if size == 0 {
            return Ok(());
        }
        if size < cq_depth {
            return Err(AlarmCode::BadValue);
        }
        let dom = &self.domains[d as usize];
        if !within(base, size, dom.hl_base, dom.hl_size) {
            return Err(AlarmCode::Overlap);
        }
        let clash = self
            .ldb_ports
            .iter()
            .enumerate()
            .any(|(i, o)| i as u32 != p && overlaps(base, size, o.hl_base, o.hl_size));
        if clash {
            return Err(AlarmCode::Overlap);
        }
        Ok(())
    }
}

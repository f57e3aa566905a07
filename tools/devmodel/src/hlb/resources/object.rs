// SPDX-License-Identifier: GPL-2.0

//! `OBJ_DOMAIN` of LDB queues, DIR ports and LDB ports: assigning an
//! object to a domain and unassigning it.

use super::{Block, Check, Resources};
use crate::hlb_regs::{self as regs, AlarmCode};

/// `OBJ_DOMAIN` value of an object owned by `owner`.
pub(super) fn obj_domain(owner: Option<u32>) -> u32 {
    owner.map_or(0, |d| regs::VALID | d)
}

impl Resources {
    fn owner(&self, block: Block, id: u32) -> Option<u32> {
        let i = id as usize;
        match block {
            Block::LdbQueue => self.queues[i].owner,
            Block::DirPort => self.dir_ports[i].owner,
            Block::LdbPort => self.ldb_ports[i].owner,
            _ => None,
        }
    }

    /// Whether object `id` is referenced by a link: an LDB queue linked
    /// by any port, or an LDB port with a link.
    fn linked(&self, block: Block, id: u32) -> bool {
        match block {
            Block::LdbQueue => self.ldb_ports.iter().any(|p| p.links_queue(id, None)),
            Block::LdbPort => self.ldb_ports[id as usize].has_links(),
            _ => false,
        }
    }

    /// Sets the owner of object `id`; `None` also returns its
    /// configuration to the reset state.
    fn set_owner(&mut self, block: Block, id: u32, owner: Option<u32>) {
        let i = id as usize;
        match (block, owner) {
            (Block::LdbQueue, None) => self.queues[i] = Default::default(),
            (Block::DirPort, None) => self.dir_ports[i] = Default::default(),
            (Block::LdbPort, None) => self.ldb_ports[i] = Default::default(),
            (Block::LdbQueue, d) => self.queues[i].owner = d,
            (Block::DirPort, d) => self.dir_ports[i].owner = d,
            (Block::LdbPort, d) => self.ldb_ports[i].owner = d,
            _ => {}
        }
    }

    /// `OBJ_DOMAIN`: `VALID | d` assigns, 0 unassigns.
    pub(super) fn write_obj_domain(&mut self, block: Block, id: u32, value: u32) -> Check {
        let owner = self.owner(block, id);
        if value == 0 {
            let Some(d) = owner else {
                return Ok(());
            };
            if self.domains[d as usize].started {
                return Err(AlarmCode::Started);
            }
            if self.linked(block, id) {
                return Err(AlarmCode::InUse);
            }
            self.set_owner(block, id, None);
            return Ok(());
        }
        if value & !(regs::VALID | regs::DOMAIN_MASK) != 0 || value & regs::VALID == 0 {
            return Err(AlarmCode::BadValue);
        }
        let d = value & regs::DOMAIN_MASK;
        let Some(dom) = self.domains.get(d as usize).filter(|dom| dom.valid) else {
            return Err(AlarmCode::BadDomain);
        };
        if owner.is_some() {
            return Err(AlarmCode::Owned);
        }
        if dom.started {
            return Err(AlarmCode::Started);
        }
        self.set_owner(block, id, Some(d));
        Ok(())
    }
}

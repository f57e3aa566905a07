// SPDX-License-Identifier: GPL-2.0

//! HLB resource programming (`SN_GROUP_MODE` at `0x0200`, domain, queue,
//! port and link blocks at `0x1000 .. 0x6000`).
//!
//! Plain single-threaded state: [`Resources::write`] validates a write
//! against everything programmed so far and either applies it whole or
//! refuses it with the [`AlarmCode`] the specification gives, leaving the
//! state untouched. Raising the alarm is the caller's business.
//!
//! The rules per register family live in the submodules: [`domain`]
//! (reservations, `DOM_CTRL`), [`object`] (assignment of queues and ports),
//! [`queue`] (LDB queue configuration and sequence numbers), [`port`]
//! (port configuration and history-list ranges), [`link`] (queue-to-port
//! links, and the check of a link-slot write on a started domain, which
//! the caller applies to the running scheduler too), [`pp`] (the ports'
//! data-plane blocks at `0x8000`); [`export`] hands a started domain's
//! configuration to the data plane.

mod domain;
mod export;
mod link;
mod object;
mod port;
mod pp;
mod queue;

pub use export::{PortKind, PortSetup};
pub use link::{pending_link, RuntimeLink, LINK_SLOTS};
pub use pp::{writable as pp_writable, PpWrite};

use super::config::{self, HlbConfig};
use super::Effect;
use crate::hlb_regs::{self as regs, AlarmCode};
use domain::Domain;
use port::{DirPort, LdbPort};
use queue::LdbQueue;

/// Result of a validation: `Err` names the alarm refusing the write.
type Check = Result<(), AlarmCode>;

/// First offset this module serves.
pub const BASE: usize = regs::sn_group_mode(0);
/// End of the `SN_GROUP_MODE` registers the map has room for.
const SN_MODE_END: usize = regs::sn_group_mode(regs::SN_GROUPS_MAX);
/// End of the domain blocks.
const DOMAIN_END: usize = regs::DOMAIN_BASE + regs::DOMAINS_MAX as usize * regs::DOMAIN_STRIDE;
/// Size of the room of one kind of queue, port or link block.
const OBJECTS_ROOM: usize = regs::OBJECTS_MAX as usize * regs::QUEUE_STRIDE;
/// Slots of one port's link block the map has room for.
const LINK_SLOTS_ROOM: usize = regs::QUEUE_STRIDE / 4;

/// The kinds of register block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Block {
    SnMode,
    Domain,
    LdbQueue,
    DirPort,
    LdbPort,
    Link,
}

/// A decoded register: block kind, block number (group, domain, object or
/// port) and offset inside the block (for links: the slot number).
#[derive(Clone, Copy, Debug)]
struct Reg {
    block: Block,
    id: u32,
    reg: usize,
}

/// Decodes `off` into a register, if it is one the map defines.
fn decode(off: usize) -> Option<Reg> {
    let obj = |block, base: usize| {
        let rel = off - base;
        Reg {
            block,
            id: (rel / regs::QUEUE_STRIDE) as u32,
            reg: rel % regs::QUEUE_STRIDE,
        }
    };
    let r = match off {
        BASE..SN_MODE_END => Reg {
            block: Block::SnMode,
            id: ((off - BASE) / 4) as u32,
            reg: 0,
        },
        regs::DOMAIN_BASE..DOMAIN_END => {
            let rel = off - regs::DOMAIN_BASE;
            Reg {
                block: Block::Domain,
                id: (rel / regs::DOMAIN_STRIDE) as u32,
                reg: rel % regs::DOMAIN_STRIDE,
            }
        }
        _ if in_room(off, regs::LDB_QUEUE_BASE) => obj(Block::LdbQueue, regs::LDB_QUEUE_BASE),
        _ if in_room(off, regs::DIR_PORT_BASE) => obj(Block::DirPort, regs::DIR_PORT_BASE),
        _ if in_room(off, regs::LDB_PORT_BASE) => obj(Block::LdbPort, regs::LDB_PORT_BASE),
        _ if in_room(off, regs::LINK_BASE) => {
            let r = obj(Block::Link, regs::LINK_BASE);
            Reg {
                reg: r.reg / 4,
                ..r
            }
        }
        _ => return None,
    };
    defined(r.block, r.reg).then_some(r)
}

fn in_room(off: usize, base: usize) -> bool {
    (base..base + OBJECTS_ROOM).contains(&off)
}

/// Whether the map defines register `reg` in a block of kind `block`.
fn defined(block: Block, reg: usize) -> bool {
    match block {
        Block::SnMode => true,
        Block::Domain => matches!(
            reg,
            regs::DOM_CTRL
                | regs::DOM_LDB_CREDITS
                | regs::DOM_DIR_CREDITS
                | regs::DOM_ATOMIC_INFLIGHTS
                | regs::DOM_HL_BASE
                | regs::DOM_HL_SIZE
        ),
        Block::LdbQueue => matches!(
            reg,
            regs::OBJ_DOMAIN
                | regs::LQ_SN
                | regs::LQ_INFLIGHT_LIMIT
                | regs::LQ_ATOMIC_INFLIGHTS
                | regs::LQ_LOCK_ID_COMP
                | regs::LQ_DEPTH_THRESHOLD
        ),
        Block::DirPort => matches!(
            reg,
            regs::OBJ_DOMAIN | regs::PORT_CQ_DEPTH | regs::PORT_DEPTH_THRESHOLD
        ),
        Block::LdbPort => matches!(
            reg,
            regs::OBJ_DOMAIN
                | regs::PORT_CQ_DEPTH
                | regs::PORT_DEPTH_THRESHOLD
                | regs::LP_HL_BASE
                | regs::LP_HL_SIZE
        ),
        // Every slot the map has room for is a register; slots beyond
        // MAX_QUEUES_PER_PORT are BadId like any other missing number.
        Block::Link => reg < LINK_SLOTS_ROOM,
    }
}

/// Whether the half-open ranges `[a, a + a_size)` and `[b, b + b_size)`
/// share an entry. Empty ranges overlap nothing.
fn overlaps(a: u32, a_size: u32, b: u32, b_size: u32) -> bool {
    let (a, a_end) = (u64::from(a), u64::from(a) + u64::from(a_size));
    let (b, b_end) = (u64::from(b), u64::from(b) + u64::from(b_size));
    a_size != 0 && b_size != 0 && a < b_end && b < a_end
}

/// Whether `[base, base + size)` lies within `[outer, outer + outer_size)`.
fn within(base: u32, size: u32, outer: u32, outer_size: u32) -> bool {
    let end = u64::from(base) + u64::from(size);
    base >= outer && end <= u64::from(outer) + u64::from(outer_size)
}

/// Programming state of one HLB; `new` gives the reset state.
#[derive(Debug)]
pub struct Resources {
    config: HlbConfig,
    domains: Vec<Domain>,
    queues: Vec<LdbQueue>,
    dir_ports: Vec<DirPort>,
    ldb_ports: Vec<LdbPort>,
    /// `SN_GROUP_MODE` of each group.
    sn_modes: Vec<u32>,
}

/// Reset value of `SN_GROUP_MODE`.
const SN_MODE_RESET: u32 = regs::SN_MODES[0];

/// `count` objects, at most as many as the map has room for.
fn table<T: Default + Clone>(count: u32, room: u32) -> Vec<T> {
    vec![T::default(); count.min(room) as usize]
}

impl Resources {
    /// Reset state of a device with `config`'s counts.
    pub fn new(config: &HlbConfig) -> Self {
        Self {
            config: config.clone(),
            domains: table(config.domains, regs::DOMAINS_MAX),
            queues: table(config.ldb_queues, regs::OBJECTS_MAX),
            dir_ports: table(config.dir_ports, regs::OBJECTS_MAX),
            ldb_ports: table(config.ldb_ports, regs::OBJECTS_MAX),
            sn_modes: vec![SN_MODE_RESET; config.sn_groups.min(regs::SN_GROUPS_MAX) as usize],
        }
    }

    /// Number of blocks of kind `block` the device has (for links: ports).
    fn count(&self, block: Block) -> usize {
        match block {
            Block::SnMode => self.sn_modes.len(),
            Block::Domain => self.domains.len(),
            Block::LdbQueue => self.queues.len(),
            Block::DirPort => self.dir_ports.len(),
            Block::LdbPort | Block::Link => self.ldb_ports.len(),
        }
    }

    /// Whether `r` addresses something the device has.
    fn exists(&self, r: Reg) -> bool {
        (r.id as usize) < self.count(r.block)
            && (r.block != Block::Link || r.reg < config::MAX_QUEUES_PER_PORT as usize)
    }

    /// Reads the register at `off`: 0 if undefined or beyond the device's
    /// counts.
    pub fn read(&self, off: usize) -> u32 {
        let Some(r) = decode(off).filter(|&r| self.exists(r)) else {
            return 0;
        };
        let i = r.id as usize;
        match r.block {
            Block::SnMode => self.sn_modes[i],
            Block::Domain => self.domains[i].read(r.reg),
            Block::LdbQueue => self.queues[i].read(r.reg),
            Block::DirPort => self.dir_ports[i].read(r.reg),
            Block::LdbPort => self.ldb_ports[i].read(r.reg),
            Block::Link => self.ldb_ports[i].links[r.reg],
        }
    }

    /// Writes `value` to the register at `off`, or refuses the write
    /// ([`Effect::Alarm`]) without changing anything.
    pub fn write(&mut self, off: usize, value: u32) -> Effect {
        let Some(r) = decode(off) else {
            return Effect::None;
        };
        let checked = if self.exists(r) {
            match r.block {
                Block::SnMode => self.write_sn_mode(r.id, value),
                Block::Domain => self.write_domain(r.id, r.reg, value),
                Block::LdbQueue => self.write_queue(r.id, r.reg, value),
                Block::DirPort => self.write_dir_port(r.id, r.reg, value),
                Block::LdbPort => self.write_ldb_port(r.id, r.reg, value),
                Block::Link => self.write_link(r.id, r.reg, value),
            }
        } else {
            Err(AlarmCode::BadId)
        };
        match checked {
            Ok(()) => Effect::None,
            Err(code) => Effect::Alarm(code),
        }
    }

    /// `SN_GROUP_MODE(g)`: one of `SN_MODES`; unchangeable while a queue
    /// holds a slot of the group.
    fn write_sn_mode(&mut self, g: u32, value: u32) -> Check {
        if !regs::SN_MODES.contains(&value) {
            return Err(AlarmCode::BadValue);
        }
        let in_use = self
            .queues
            .iter()
            .any(|q| q.sn_slot().is_some_and(|s| s.0 == g));
        let mode = &mut self.sn_modes[g as usize];
        if *mode != value && in_use {
            return Err(AlarmCode::SnConflict);
        }
        *mode = value;
        Ok(())
    }

    /// The domain an object owned by `owner` may be configured in: refuses
    /// unowned objects (`NotOwned`) and those of started domains
    /// (`Started`).
    fn configurable(&self, owner: Option<u32>) -> Result<u32, AlarmCode> {
        let d = owner.ok_or(AlarmCode::NotOwned)?;
        if self.domains[d as usize].started {
            return Err(AlarmCode::Started);
        }
        Ok(d)
    }
}

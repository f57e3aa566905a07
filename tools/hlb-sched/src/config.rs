// SPDX-License-Identifier: GPL-2.0

//! The configuration a domain is started with: what its registers hold at
//! `DOM_CTRL.STARTED` (reservation, queues, ports, links), in device
//! numbering. The control plane has already validated it; [`check`]
//! repeats the few rules the scheduler's tables depend on.
//!
//! [`check`]: DomainConfig::check

use alloc::vec::Vec;

use lbdx_logic::hw::hlb_regs as regs;

/// One LDB queue of the domain.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueueConfig {
    /// Device queue number (`LDB_QUEUE_BASE` block).
    pub id: u8,
    /// `LQ_INFLIGHT_LIMIT`: entries scheduled and not completed (0: none).
    pub inflight_limit: u32,
    /// `LQ_ATOMIC_INFLIGHTS`: atomic entries scheduled and not completed;
    /// 0 forbids atomic QEs.
    pub atomic_inflights: u32,
    /// Sequence numbers (count of `LQ_SN`); 0 forbids ordered QEs.
    pub sn_count: u32,
    /// `LQ_LOCK_ID_COMP`: 0 (65536 lock ids) or a power of two.
    pub lock_id_comp: u32,
    /// `LQ_DEPTH_THRESHOLD`.
    pub depth_threshold: u32,
}

/// One LDB port of the domain.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LdbPortConfig {
    /// Device port number.
    pub id: u8,
    /// `PORT_CQ_DEPTH` (0: the port receives nothing).
    pub cq_depth: u32,
    /// `PORT_DEPTH_THRESHOLD`: CQ occupancy that fires an armed interrupt.
    pub depth_threshold: u32,
    /// `LP_HL_SIZE` (0: the port receives nothing).
    pub hl_size: u32,
    /// Valid link slots in slot order: (device queue number, priority).
    pub links: Vec<(u8, u8)>,
}

/// One DIR port (and its directed queue) of the domain.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DirPortConfig {
    /// Device port number.
    pub id: u8,
    /// `PORT_CQ_DEPTH` (0: the port receives nothing).
    pub cq_depth: u32,
    /// `PORT_DEPTH_THRESHOLD`: depth threshold of the directed queue.
    pub depth_threshold: u32,
}

/// A started domain's configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DomainConfig {
    /// `DOM_LDB_CREDITS`.
    pub ldb_credits: u32,
    /// `DOM_DIR_CREDITS`.
    pub dir_credits: u32,
    /// The domain's LDB queues.
    pub queues: Vec<QueueConfig>,
    /// The domain's LDB ports.
    pub ldb_ports: Vec<LdbPortConfig>,
    /// The domain's DIR ports.
    pub dir_ports: Vec<DirPortConfig>,
}

/// A configuration the scheduler cannot be built from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// A queue or port number appears twice.
    DuplicateId,
    /// A link names a queue the domain does not have.
    UnknownLinkQueue,
    /// A link priority of 8 or more.
    BadPriority,
    /// A CQ depth that is not 0 or a power of two 8 to 1024, or an LDB
    /// port's history list smaller than its CQ.
    BadDepth,
    /// A sequence-number count or lock-id compression level the device
    /// does not have.
    BadQueue,
    /// More than `MAX_QUEUES_PER_PORT` links on a port.
    TooManyLinks,
}

/// Links one LDB port may have.
pub const LINKS_MAX: usize = 8;

impl DomainConfig {
    /// Checks what the scheduler's tables rely on.
    pub fn check(&self) -> Result<(), ConfigError> {
        let mut seen = [[false; 256]; 3];
        let ids = self
            .queues
            .iter()
            .map(|q| (0, q.id))
            .chain(self.ldb_ports.iter().map(|p| (1, p.id)))
            .chain(self.dir_ports.iter().map(|p| (2, p.id)));
        for (kind, id) in ids {
            if core::mem::replace(&mut seen[kind][id as usize], true) {
                return Err(ConfigError::DuplicateId);
            }
        }
        let depth_ok = |d: u32| d == 0 || (d.is_power_of_two() && (8..=1024).contains(&d));
        for q in &self.queues {
            let sn_ok = q.sn_count == 0 || regs::SN_MODES.contains(&q.sn_count);
            let comp_ok =
                q.lock_id_comp == 0 || regs::LOCK_ID_COMP_LEVELS.contains(&q.lock_id_comp);
            if !sn_ok || !comp_ok {
                return Err(ConfigError::BadQueue);
            }
        }
        for p in &self.ldb_ports {
            if !depth_ok(p.cq_depth) || (p.hl_size != 0 && p.hl_size < p.cq_depth) {
                return Err(ConfigError::BadDepth);
            }
            if p.links.len() > LINKS_MAX {
                return Err(ConfigError::TooManyLinks);
            }
            for (i, &(q, prio)) in p.links.iter().enumerate() {
                if !seen[0][q as usize] {
                    return Err(ConfigError::UnknownLinkQueue);
                }
                if prio >= regs::PRIORITIES {
                    return Err(ConfigError::BadPriority);
                }
                if p.links[..i].iter().any(|l| l.0 == q) {
                    return Err(ConfigError::DuplicateId);
                }
            }
        }
        if self.dir_ports.iter().any(|p| !depth_ok(p.cq_depth)) {
            return Err(ConfigError::BadDepth);
        }
        Ok(())
    }
}

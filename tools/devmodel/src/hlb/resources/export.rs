// SPDX-License-Identifier: GPL-2.0

//! What the data plane reads from the programming state: whether a domain
//! is started, who owns a queue or port, and a started domain's frozen
//! configuration in the scheduler's terms ([`DomainConfig`]) with each
//! port's CQ address and vector.

use hlb_sched::{DirPortConfig, DomainConfig, LdbPortConfig, PortId, QueueConfig};

use super::port::LdbPort;
use super::Resources;
use crate::hlb::HlbConfig;
use crate::hlb_regs as regs;

/// The two kinds of port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortKind {
    /// Load-balanced port.
    Ldb,
    /// Directed port.
    Dir,
}

/// A port of a started domain as the data plane drives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortSetup {
    /// The port in device numbering.
    pub id: PortId,
    /// Guest-physical address of its CQ ring.
    pub cq_addr: u64,
    /// `CQ_VECTOR` (0: none).
    pub cq_vector: u32,
}

/// Device numbers are below `OBJECTS_MAX` (128), so they fit a byte.
fn id8(i: usize) -> u8 {
    u8::try_from(i).unwrap_or(u8::MAX)
}

impl Resources {
    /// The counts the device was built with.
    pub fn config(&self) -> &HlbConfig {
        &self.config
    }

    /// Number of domains.
    pub fn domain_count(&self) -> usize {
        self.domains.len()
    }

    /// Whether domain `d` exists and is started.
    pub fn started(&self, d: u32) -> bool {
        self.domains.get(d as usize).is_some_and(|x| x.started)
    }

    /// Owner of LDB queue `q`.
    pub fn queue_owner(&self, q: u32) -> Option<u32> {
        self.queues.get(q as usize).and_then(|x| x.owner)
    }

    /// Owner of port `p` of `kind`.
    pub fn port_owner(&self, kind: PortKind, p: u32) -> Option<u32> {
        let i = p as usize;
        match kind {
            PortKind::Ldb => self.ldb_ports.get(i).and_then(|x| x.owner),
            PortKind::Dir => self.dir_ports.get(i).and_then(|x| x.owner),
        }
    }

    /// Domain `d`'s configuration as the scheduler takes it, and its ports
    /// (LDB ports in device order, then DIR ports: the scheduler's port
    /// index order).
    pub fn domain_config(&self, d: u32) -> (DomainConfig, Vec<PortSetup>) {
        let mine = |o: Option<u32>| o == Some(d);
        let dom = self.domains.get(d as usize).cloned().unwrap_or_default();
        let queues = self
            .queues
            .iter()
            .enumerate()
            .filter(|(_, q)| mine(q.owner))
            .map(|(i, q)| QueueConfig {
                id: id8(i),
                inflight_limit: q.inflight_limit,
                atomic_inflights: q.atomic_inflights,
                sn_count: q.sn_count(),
                lock_id_comp: q.lock_id_comp,
                depth_threshold: q.depth_threshold,
            })
            .collect();
        let mut ports = Vec::new();
        let mut ldb_ports = Vec::new();
        for (i, p) in self.ldb_ports.iter().enumerate() {
            if !mine(p.owner) {
                continue;
            }
            let links = p
                .links
                .iter()
                .filter_map(|&l| {
                    let q = LdbPort::link_queue(l)?;
                    let prio = (l & !regs::VALID) >> regs::LINK_PRIORITY_SHIFT;
                    Some((id8(q as usize), u8::try_from(prio).unwrap_or(u8::MAX)))
                })
                .collect();
            ldb_ports.push(LdbPortConfig {
                id: id8(i),
                cq_depth: p.cq_depth,
                depth_threshold: p.depth_threshold,
                hl_size: p.hl_size,
                links,
            });
            ports.push(PortSetup {
                id: PortId::Ldb(id8(i)),
                cq_addr: p.dp.cq_addr(),
                cq_vector: p.dp.cq_vector,
            });
        }
        let mut dir_ports = Vec::new();
        for (i, p) in self.dir_ports.iter().enumerate() {
            if !mine(p.owner) {
                continue;
            }
            dir_ports.push(DirPortConfig {
                id: id8(i),
                cq_depth: p.cq_depth,
                depth_threshold: p.depth_threshold,
            });
            ports.push(PortSetup {
                id: PortId::Dir(id8(i)),
                cq_addr: p.dp.cq_addr(),
                cq_vector: p.dp.cq_vector,
            });
        }
        let config = DomainConfig {
            ldb_credits: dom.ldb_credits,
            dir_credits: dom.dir_credits,
            queues,
            ldb_ports,
            dir_ports,
        };
        (config, ports)
    }
}

// SPDX-License-Identifier: GPL-2.0

//! A test rig: one domain, its CQs in memory, and QE builders.

#![allow(dead_code)]

use hlb_sched::{
    CqEntry, DirPortConfig, Domain, DomainConfig, LdbPortConfig, MemCqs, PortId, Qe, QeCommand,
    QueueConfig, SchedType,
};

pub use hlb_sched::AlarmCode;

pub struct Rig {
    pub d: Domain,
    pub cqs: MemCqs,
}

/// An LDB queue `id` that takes every scheduling type (64 SNs, atomic
/// in-flights `atomic`, no in-flight limit).
pub fn queue(id: u8) -> QueueConfig {
    QueueConfig {
        id,
        atomic_inflights: 1024,
        sn_count: 64,
        ..QueueConfig::default()
    }
}

/// LDB port `id` with CQ depth `depth` (history list the same) linked to
/// `links` (queue, priority).
pub fn ldb_port(id: u8, depth: u32, links: &[(u8, u8)]) -> LdbPortConfig {
    LdbPortConfig {
        id,
        cq_depth: depth,
        depth_threshold: 0,
        hl_size: depth,
        links: links.to_vec(),
    }
}

pub fn dir_port(id: u8, depth: u32) -> DirPortConfig {
    DirPortConfig {
        id,
        cq_depth: depth,
        depth_threshold: 0,
    }
}

pub fn config(
    queues: Vec<QueueConfig>,
    ldb_ports: Vec<LdbPortConfig>,
    dir_ports: Vec<DirPortConfig>,
) -> DomainConfig {
    DomainConfig {
        ldb_credits: 1024,
        dir_credits: 256,
        queues,
        ldb_ports,
        dir_ports,
    }
}

pub fn ev(queue: u8, sched: SchedType, priority: u8, flow: u16, data: u64) -> Qe {
    Qe {
        data,
        opaque: data as u16,
        queue,
        sched: sched as u8,
        priority,
        flow,
        cmd: QeCommand::New as u8,
        token: false,
    }
}

pub fn cmd(c: QeCommand) -> Qe {
    Qe {
        cmd: c as u8,
        ..Qe::default()
    }
}

impl Rig {
    pub fn new(cfg: DomainConfig) -> Self {
        let d = Domain::new(&cfg).expect("valid configuration");
        let cqs = MemCqs::new(d.cq_depths());
        Self { d, cqs }
    }

    pub fn ix(&self, p: PortId) -> usize {
        self.d.port_index(p).expect("port in domain")
    }

    pub fn submit(&mut self, p: PortId, qe: Qe) -> Result<(), AlarmCode> {
        let i = self.ix(p);
        self.d.submit(i, &qe)
    }

    /// NEW from port `p`, which must be accepted.
    pub fn new_ev(&mut self, p: PortId, qe: Qe) {
        self.submit(p, qe).expect("enqueue accepted");
    }

    pub fn schedule(&mut self) -> u32 {
        self.d.schedule(&mut self.cqs)
    }

    /// Everything in `p`'s CQ (the consumer's view), without returning tokens.
    pub fn drain(&mut self, p: PortId) -> Vec<CqEntry> {
        let i = self.ix(p);
        core::iter::from_fn(|| self.cqs.pop(i)).collect()
    }

    /// Data of everything in `p`'s CQ.
    pub fn data(&mut self, p: PortId) -> Vec<u64> {
        self.drain(p).iter().map(|e| e.data).collect()
    }

    pub fn tokens(&mut self, p: PortId, n: u16) -> Result<(), AlarmCode> {
        let mut q = cmd(QeCommand::ReturnTokens);
        q.flow = n;
        self.submit(p, q)
    }

    pub fn complete(&mut self, p: PortId) -> Result<(), AlarmCode> {
        self.submit(p, cmd(QeCommand::Complete))
    }

    pub fn forward(&mut self, p: PortId, mut qe: Qe) -> Result<(), AlarmCode> {
        qe.cmd = QeCommand::Forward as u8;
        self.submit(p, qe)
    }
}

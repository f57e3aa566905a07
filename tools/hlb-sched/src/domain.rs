// SPDX-License-Identifier: GPL-2.0

//! Run-time state of one started domain and the data-plane rules.
//!
//! Storage is a handful of tables sized at start:
//!
//! * `entries`: every entry the device stores (waiting in a queue or held
//!   in a reorder buffer). Each one holds one credit, so the table has as
//!   many slots as the domain has credits and never runs out.
//! * `flows`: one slot per (atomic-capable queue, lock id). A flow holds
//!   its waiting entries in order, the port it is pinned to, and how many
//!   of its entries that port's history list holds. A flow with waiting
//!   entries sits on exactly one ready list: its queue's unpinned list or
//!   the pinned list of the link to its port, at the priority of its
//!   oldest waiting entry.
//! * per queue and priority: a FIFO of non-atomic entries and the unpinned
//!   ready flows; per link and priority: the ready flows pinned to that
//!   port; bit masks of the non-empty ones.
//! * per LDB port: [`LINKS_MAX`] link slots at fixed indexes (a flow
//!   pinned through a slot keeps its index across relinks), the mapped
//!   ones in serving order; an unlinked slot stays unmapping, served
//!   nothing, until the port's history list holds no entry of its queue;
//! * per LDB port: its history list (a ring of what it was given and has
//!   not completed); per ordered queue: its reorder buffer (one slot per
//!   sequence number).
//! * statistics ("Statistics" in `Documentation/hw/hlb.rst`): per port
//!   the NEW and FORWARD QEs accepted ([`Domain::pp_events`]), per queue
//!   (LDB queues and directed queues) the entries that entered it, by QE
//!   priority, and the entries it gave to a CQ ([`QueueStats`]). Plain
//!   wrapping `u32` fields counted where the entries move: an entry is
//!   counted as entering its queue in `Domain::push_to`, which every
//!   NEW, every FORWARD that enters at once and every FORWARD leaving a
//!   reorder buffer goes through; so `sum(enqueued) == scheduled + depth`
//!   for every queue, always.
//!
//! INVARIANT: `ldb_pool + (entries bound for LDB queues) == ldb_credits`,
//! likewise for DIR credits; an entry is in exactly one FIFO, flow or
//! reorder slot.

use alloc::vec;
use alloc::vec::Vec;

use lbdx_logic::hw::hlb_regs::{
    self as regs, AlarmCode, Qe, QeCommand, SchedType, PRIORITIES, QE_CMD_MASK, QE_CMD_TOKEN,
    QE_SIZE,
};

use crate::config::{ConfigError, DomainConfig, LINKS_MAX};
use crate::cq::CqSink;
use crate::list::{next_field, DLinks, DList, Fifo, NIL};

const NPRIO: usize = PRIORITIES as usize;

/// Entries an LDB port is given in one turn at most (`Scheduling` in
/// `Documentation/hw/hlb.rst`).
pub const TURN: u32 = 4;

/// A port in device numbering.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PortId {
    /// Load-balanced port.
    Ldb(u8),
    /// Directed port.
    Dir(u8),
}

/// A stored event.
#[derive(Clone, Copy, Debug, Default)]
struct Entry {
    data: u64,
    /// Bytes 8-13 of the QE as a little-endian word (opaque, queue,
    /// type and priority, flow): the same bytes, at the same places, as
    /// in the CQ entry the event becomes ([`META_MASK`]).
    meta: u64,
    /// Enqueue order within the domain (wrapping).
    stamp: u32,
    /// Next entry in its FIFO, flow or the free list.
    next: u32,
}

/// The bits of a QE's (or CQ entry's) second little-endian word that
/// [`Entry::meta`] keeps: bytes 8-13, reserved bits excluded.
const META_MASK: u64 = 0x0000_ffff_1fff_ffff;
/// Reserved bits of a QE's second word: byte 11 bits 7:5, byte 14, byte
/// 15 bits 7:5.
const QE_RESERVED: u64 = 0xe0ff_0000_e000_0000;

impl Entry {
    #[inline(always)]
    fn sched(&self) -> SchedBits {
        (self.meta >> 24) as u8 & 3
    }
    #[inline(always)]
    fn prio(&self) -> u8 {
        (self.meta >> 26) as u8 & 7
    }
    #[inline(always)]
    fn queue(&self) -> u8 {
        (self.meta >> 16) as u8
    }
    #[inline(always)]
    fn flow(&self) -> u16 {
        (self.meta >> 32) as u16
    }
}

/// [`Entry::meta`] of a decoded QE.
#[inline]
fn meta_of(qe: &Qe) -> u64 {
    u64::from(qe.opaque)
        | u64::from(qe.queue) << 16
        | u64::from((qe.sched & 3) | (qe.priority & 7) << 2) << 24
        | u64::from(qe.flow) << 32
}

type SchedBits = u8;
const ATOMIC: u8 = SchedType::Atomic as u8;
const ORDERED: u8 = SchedType::Ordered as u8;
const DIRECTED: u8 = SchedType::Directed as u8;

/// An atomic flow (one lock id of one queue).
#[derive(Clone, Copy, Debug)]
struct Flow {
    /// Waiting entries, oldest first.
    waiting: Fifo,
    /// Ready-list links (`prev` on a pinned list only: unpinned lists are
    /// FIFOs).
    prev: u32,
    next: u32,
    /// Port index it is pinned to, or `NIL`.
    pin: u32,
    /// Index in `links` of the link (pin, queue).
    pin_link: u32,
    /// Its entries in the pinned port's history list.
    inflight: u32,
    /// Priority of the ready list it is on (if it has waiting entries).
    list_prio: u8,
    /// Local queue index.
    queue: u16,
}

impl Default for Flow {
    fn default() -> Self {
        Self {
            waiting: Fifo::default(),
            prev: NIL,
            next: NIL,
            pin: NIL,
            pin_link: NIL,
            inflight: 0,
            list_prio: 0,
            queue: 0,
        }
    }
}

next_field!(Entry, Flow);

impl DLinks for Flow {
    fn prev(&mut self) -> &mut u32 {
        &mut self.prev
    }
    fn next(&mut self) -> &mut u32 {
        &mut self.next
    }
}

/// Statistics of one queue (an LDB queue or a DIR port's directed
/// queue) since the domain started: wrapping counters, not changed by a
/// port reset. At any time `enqueued` summed (wrapping) equals
/// `scheduled` plus the queue's depth.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Entries the queue gave to a CQ (`LQ_SCHEDULED`, `DQ_SCHEDULED`).
    pub scheduled: u32,
    /// Entries that entered the queue, per QE priority
    /// (`QS_ENQUEUED_PRIO` *k*): a NEW or FORWARD when it was taken, a
    /// FORWARD held in a reorder buffer when it left the buffer.
    pub enqueued: [u32; NPRIO],
}

impl QueueStats {
    /// An entry of QE priority `prio` entered the queue.
    #[inline(always)]
    fn entered(&mut self, prio: usize) {
        self.enqueued[prio] = self.enqueued[prio].wrapping_add(1);
    }

    /// The queue gave an entry to a CQ.
    #[inline(always)]
    fn left(&mut self) {
        self.scheduled = self.scheduled.wrapping_add(1);
    }
}

/// An LDB queue.
#[derive(Clone, Debug)]
struct Queue {
    inflight_limit: u32,
    atomic_limit: u32,
    depth_threshold: u32,
    /// Non-atomic entries per priority.
    fifo: [Fifo; NPRIO],
    /// Unpinned ready flows per priority: FIFOs, since a flow leaves
    /// one only at its head (the middle of a ready list is left only by
    /// a flow released while pinned, see [`Domain::unlist_flow`]).
    unpinned: [Fifo; NPRIO],
    /// Bit `p`: `fifo[p]` or `unpinned[p]` is non-empty.
    mask: u8,
    /// Entries waiting (all kinds).
    depth: u32,
    inflight: u32,
    atomic_inflight: u32,
    /// First flow slot and lock-id mask (atomic-capable queues).
    flow_base: u32,
    flow_mask: u32,
    /// Reorder buffer: first slot in `rob`, sequence numbers (0: not
    /// ordered), oldest outstanding and next sequence number.
    rob_base: u32,
    sn_count: u32,
    sn_head: u32,
    sn_next: u32,
    stats: QueueStats,
}

/// What a link slot of a port holds ("Links" in `Documentation/hw/hlb.rst`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum LinkState {
    /// Nothing.
    #[default]
    Free,
    /// A link the port is served through.
    Mapped,
    /// An unlinked queue: the port is given nothing more through it. The
    /// slot is free once the port's history list holds no entry of the
    /// queue (flows pinned through it are released then), which
    /// [`Domain::holds`] tells when asked: the data path keeps no count.
    Unmapping,
}

/// A queue-to-port link: slot `k` of LDB port `p` is `links[p *
/// LINKS_MAX + k]`, an index that stays the link's while it exists.
#[derive(Clone, Debug, Default)]
struct Link {
    state: LinkState,
    /// Local queue index.
    queue: u16,
    /// Link priority.
    prio: u8,
    /// Ready flows pinned to this port, per priority.
    pinned: [DList; NPRIO],
    pinned_mask: u8,
}

/// What a history-list entry remembers about what its port was given.
#[derive(Clone, Copy, Debug, Default)]
struct HlEntry {
    queue: u16,
    sched: SchedBits,
    /// Flow slot (atomic) or sequence number (ordered).
    aux: u32,
}

/// A consumer queue's device-side state (both port kinds).
#[derive(Clone, Copy, Debug, Default)]
struct Cq {
    depth: u32,
    /// Occupancy below which the device writes: `depth`, or 0 while the
    /// port is stopped (`PORT_CTRL.STOPPED`), so a stopped port has no
    /// room and the scheduling rules need no other check.
    room: u32,
    occupancy: u32,
    written: u32,
    consumed: u32,
    /// NEW and FORWARD QEs accepted (`PP_EVENTS`).
    events: u32,
    armed: bool,
    /// `PORT_CTRL.STOPPED` ([`Domain::stopped`]); the rules look at
    /// `room` only.
    stopped: bool,
    /// Occupancy at which an armed interrupt fires.
    irq_threshold: u32,
}

/// An LDB port.
#[derive(Clone, Debug)]
struct LdbPort {
    id: u8,
    /// Its mapped links (indexes in `links`), sorted by priority (stable
    /// in slot order).
    order: Vec<u32>,
    /// `order` grouped by priority: (first, count) per group.
    groups: Vec<(u32, u32)>,
    /// Round-robin position inside each group.
    rr: Vec<u32>,
    /// Its link in `links` if it has exactly one, else `NIL`.
    single: u32,
    hl_base: u32,
    hl_size: u32,
    hl_head: u32,
    hl_len: u32,
}

/// A DIR port and its directed queue.
#[derive(Clone, Debug)]
struct DirPort {
    id: u8,
    depth_threshold: u32,
    fifo: [Fifo; NPRIO],
    mask: u8,
    depth: u32,
    stats: QueueStats,
}

/// A reorder-buffer slot.
#[derive(Clone, Copy, Debug)]
struct RobSlot {
    done: bool,
    /// Forwarded entry to release, or `NIL`.
    fwd: u32,
}

/// Where an enqueued entry goes: a DIR port's directed queue or an LDB
/// queue (local indexes).
#[derive(Clone, Copy, Debug)]
enum Dest {
    Dir(usize),
    Ldb(usize),
}

/// Which candidate a port takes.
#[derive(Clone, Copy, Debug)]
enum Take {
    Fifo,
    Pinned,
    Unpinned,
}

/// What [`Domain::queue_state`] reports of an LDB queue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueState {
    /// Entries waiting (`LQ_DEPTH`).
    pub depth: u32,
    /// Entries scheduled and not completed.
    pub inflight: u32,
    /// Atomic entries scheduled and not completed.
    pub atomic_inflight: u32,
    /// Sequence numbers given out and not released (ordered queues).
    pub sn_outstanding: u32,
    /// Of those, completed ones waiting for an older one in the reorder
    /// buffer.
    pub rob_done: u32,
    /// Of those, the ones holding a forwarded entry (and its credit).
    pub rob_held: u32,
}

/// Why [`Domain::link`] or [`Domain::unlink`] refused (nothing changed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkError {
    /// No such LDB port index.
    NoPort,
    /// The domain has no such LDB queue.
    NoQueue,
    /// A priority of `PRIORITIES` or more.
    BadPriority,
    /// The port's [`LINKS_MAX`] slots are all taken (a pending unlink
    /// holds its slot).
    NoSlot,
    /// The port does not link the queue (or is unlinking it already).
    NotLinked,
}

/// Run-time state of one started domain.
#[derive(Clone, Debug)]
pub struct Domain {
    ldb_credits: u32,
    dir_credits: u32,
    ldb_pool: u32,
    dir_pool: u32,
    entries: Vec<Entry>,
    free: u32,
    stamp: u32,
    flows: Vec<Flow>,
    queues: Vec<Queue>,
    links: Vec<Link>,
    ldb_ports: Vec<LdbPort>,
    dir_ports: Vec<DirPort>,
    /// CQs: LDB ports first, then DIR ports (the port index).
    cqs: Vec<Cq>,
    hl: Vec<HlEntry>,
    rob: Vec<RobSlot>,
    /// Device number to local index (`u16::MAX`: not in the domain).
    queue_of: [u16; 256],
    dir_of: [u16; 256],
    ldb_port_of: [u16; 256],
    /// Scratch: LDB ports still in the running during a pass.
    active: Vec<u32>,
    /// Tie-break rotor among equally occupied LDB ports.
    rotor: u32,
    /// Some port was armed since the last pass.
    arm_pending: bool,
}

const NO: u16 = u16::MAX;

impl Domain {
    /// The state of `cfg`'s domain just started: queues and CQs empty,
    /// pools full.
    pub fn new(cfg: &DomainConfig) -> Result<Self, ConfigError> {
        cfg.check()?;
        let mut queue_of = [NO; 256];
        let mut flows = 0u32;
        let mut robs = 0u32;
        let queues: Vec<Queue> = cfg
            .queues
            .iter()
            .enumerate()
            .map(|(i, q)| {
                queue_of[q.id as usize] = i as u16;
                let nflows = match (q.atomic_inflights, q.lock_id_comp) {
                    (0, _) => 0,
                    (_, 0) => 1 << 16,
                    (_, c) => c,
                };
                let queue = Queue {
                    inflight_limit: q.inflight_limit,
                    atomic_limit: q.atomic_inflights,
                    depth_threshold: q.depth_threshold,
                    fifo: Default::default(),
                    unpinned: Default::default(),
                    mask: 0,
                    depth: 0,
                    inflight: 0,
                    atomic_inflight: 0,
                    flow_base: flows,
                    flow_mask: nflows.saturating_sub(1),
                    rob_base: robs,
                    sn_count: q.sn_count,
                    sn_head: 0,
                    sn_next: 0,
                    stats: QueueStats::default(),
                };
                flows += nflows;
                robs += q.sn_count;
                queue
            })
            .collect();
        let mut flow_table = vec![Flow::default(); flows as usize];
        for (i, q) in queues.iter().enumerate() {
            let n = if q.atomic_limit == 0 {
                0
            } else {
                q.flow_mask + 1
            };
            for f in &mut flow_table[q.flow_base as usize..(q.flow_base + n) as usize] {
                f.queue = i as u16;
            }
        }
        let mut links = vec![Link::default(); cfg.ldb_ports.len() * LINKS_MAX];
        let mut ldb_port_of = [NO; 256];
        let mut hl_total = 0u32;
        let mut cqs = Vec::new();
        let ldb_ports: Vec<LdbPort> = cfg
            .ldb_ports
            .iter()
            .enumerate()
            .map(|(i, p)| {
                ldb_port_of[p.id as usize] = i as u16;
                for (k, &(q, prio)) in p.links.iter().enumerate() {
                    links[i * LINKS_MAX + k] = Link {
                        state: LinkState::Mapped,
                        queue: queue_of[q as usize],
                        prio,
                        ..Link::default()
                    };
                }
                let hl_size = if p.cq_depth == 0 { 0 } else { p.hl_size };
                let port = LdbPort {
                    id: p.id,
                    order: Vec::with_capacity(LINKS_MAX),
                    groups: Vec::with_capacity(LINKS_MAX),
                    rr: Vec::with_capacity(LINKS_MAX),
                    single: NIL,
                    hl_base: hl_total,
                    hl_size,
                    hl_head: 0,
                    hl_len: 0,
                };
                hl_total += hl_size;
                let depth = if hl_size == 0 { 0 } else { p.cq_depth };
                cqs.push(Cq {
                    depth,
                    room: depth,
                    irq_threshold: p.depth_threshold.max(1),
                    ..Cq::default()
                });
                port
            })
            .collect();
        let mut dir_of = [NO; 256];
        let dir_ports = cfg
            .dir_ports
            .iter()
            .enumerate()
            .map(|(i, p)| {
                dir_of[p.id as usize] = i as u16;
                cqs.push(Cq {
                    depth: p.cq_depth,
                    room: p.cq_depth,
                    irq_threshold: 1,
                    ..Cq::default()
                });
                DirPort {
                    id: p.id,
                    depth_threshold: p.depth_threshold,
                    fifo: Default::default(),
                    mask: 0,
                    depth: 0,
                    stats: QueueStats::default(),
                }
            })
            .collect();
        let capacity = cfg.ldb_credits as usize + cfg.dir_credits as usize;
        let mut entries = vec![Entry::default(); capacity];
        for (i, e) in entries.iter_mut().enumerate() {
            e.next = if i + 1 < capacity { i as u32 + 1 } else { NIL };
        }
        let mut d = Self {
            ldb_credits: cfg.ldb_credits,
            dir_credits: cfg.dir_credits,
            ldb_pool: cfg.ldb_credits,
            dir_pool: cfg.dir_credits,
            free: if capacity == 0 { NIL } else { 0 },
            entries,
            stamp: 0,
            flows: flow_table,
            queues,
            links,
            active: Vec::with_capacity(cfg.ldb_ports.len()),
            ldb_ports,
            dir_ports,
            cqs,
            hl: vec![HlEntry::default(); hl_total as usize],
            rob: vec![
                RobSlot {
                    done: false,
                    fwd: NIL
                };
                robs as usize
            ],
            queue_of,
            dir_of,
            ldb_port_of,
            rotor: 0,
            arm_pending: false,
        };
        (0..d.ldb_ports.len()).for_each(|p| d.order_links(p));
        Ok(d)
    }

    // --- observation -------------------------------------------------------

    /// The port index of `port` (LDB ports first, then DIR ports, in
    /// configuration order), if the domain has it.
    pub fn port_index(&self, port: PortId) -> Option<usize> {
        let i = match port {
            PortId::Ldb(p) => self.ldb_port_of[p as usize],
            PortId::Dir(p) => self.dir_of[p as usize],
        };
        if i == NO {
            return None;
        }
        Some(match port {
            PortId::Ldb(_) => i as usize,
            PortId::Dir(_) => self.ldb_ports.len() + i as usize,
        })
    }

    /// The port at index `i`.
    pub fn port_id(&self, i: usize) -> PortId {
        match self.ldb_ports.get(i) {
            Some(p) => PortId::Ldb(p.id),
            None => PortId::Dir(self.dir_ports[i - self.ldb_ports.len()].id),
        }
    }

    /// Number of ports (LDB and DIR).
    pub fn ports(&self) -> usize {
        self.cqs.len()
    }

    /// CQ depths in port index order (0: the port receives nothing).
    pub fn cq_depths(&self) -> impl Iterator<Item = u32> + '_ {
        self.cqs.iter().map(|c| c.depth)
    }

    /// (LDB, DIR) credits the domain started with.
    pub fn initial_credits(&self) -> (u32, u32) {
        (self.ldb_credits, self.dir_credits)
    }

    /// (LDB, DIR) credits in the pools (`DOM_*_CREDITS_AVAIL`).
    pub fn credits(&self) -> (u32, u32) {
        (self.ldb_pool, self.dir_pool)
    }

    /// Entries waiting in LDB queue `id` (`LQ_DEPTH`), or in the directed
    /// queue of DIR port `id` (`DQ_DEPTH`).
    pub fn queue_depth(&self, port_or_queue: PortId) -> u32 {
        match port_or_queue {
            PortId::Ldb(q) => self
                .queues
                .get(self.queue_of[q as usize] as usize)
                .map_or(0, |q| q.depth),
            PortId::Dir(p) => self
                .dir_ports
                .get(self.dir_of[p as usize] as usize)
                .map_or(0, |d| d.depth),
        }
    }

    /// `CQ_OCCUPANCY` of port `i`.
    pub fn cq_occupancy(&self, i: usize) -> u32 {
        self.cqs[i].occupancy
    }

    /// `CQ_WRITTEN` of port `i`.
    pub fn cq_written(&self, i: usize) -> u32 {
        self.cqs[i].written
    }

    /// `PP_CONSUMED` of port `i`.
    pub fn pp_consumed(&self, i: usize) -> u32 {
        self.cqs[i].consumed
    }

    /// `PP_EVENTS` of port `i`: NEW and FORWARD QEs it had accepted since
    /// the domain started or the port was reset (wrapping).
    pub fn pp_events(&self, i: usize) -> u32 {
        self.cqs[i].events
    }

    /// Statistics of LDB queue `id` (`PortId::Ldb`) or of the directed
    /// queue of DIR port `id` (`PortId::Dir`), if the domain has it.
    pub fn queue_stats(&self, port_or_queue: PortId) -> Option<QueueStats> {
        match port_or_queue {
            PortId::Ldb(q) => self
                .queues
                .get(self.queue_of[q as usize] as usize)
                .map(|q| q.stats),
            PortId::Dir(p) => self
                .dir_ports
                .get(self.dir_of[p as usize] as usize)
                .map(|d| d.stats),
        }
    }

    /// Stops port `i` (`true`: it is given nothing more and its interrupt
    /// is disarmed) or runs it again (`PORT_CTRL.STOPPED`).
    pub fn set_stopped(&mut self, i: usize, stopped: bool) {
        let c = &mut self.cqs[i];
        c.stopped = stopped;
        c.room = if stopped { 0 } else { c.depth };
        if stopped {
            c.armed = false;
        }
    }

    /// Whether port `i` is stopped ([`Domain::set_stopped`]).
    pub fn stopped(&self, i: usize) -> bool {
        self.cqs[i].stopped
    }

    /// Resets port `i` (`PORT_CTRL.RESET`): retires its history list
    /// oldest first as COMPLETE does (atomic flows released, ordered
    /// sequence numbers done with nothing forwarded) and restarts its CQ
    /// and counters (`PP_EVENTS` included) from 0. No credit changes
    /// hands and no queue statistic changes (the forwards the retirement
    /// releases from reorder buffers are counted as they enter their
    /// queues). Returns the history-list entries retired.
    pub fn reset_port(&mut self, i: usize) -> u32 {
        let mut retired = 0;
        if i < self.ldb_ports.len() {
            while self.ldb_ports[i].hl_len > 0 {
                self.complete(i, None);
                retired += 1;
            }
        }
        let c = &mut self.cqs[i];
        c.occupancy = 0;
        c.written = 0;
        c.consumed = 0;
        c.events = 0;
        c.armed = false;
        retired
    }

    /// `HL_USED` of port `i` (0 for DIR ports).
    pub fn hl_used(&self, i: usize) -> u32 {
        self.ldb_ports.get(i).map_or(0, |p| p.hl_len)
    }

    // --- links at run time ----------------------------------------------

    /// Links LDB queue `queue` (device number) to LDB port `i` (an index)
    /// at priority `prio`, from the next pass on ("Links at run time" in
    /// `Documentation/hw/hlb.rst`); a queue the port links already gets
    /// the new priority, one it is unlinking is linked again (its unlink
    /// cancelled). An atomic flow pinned to another port stays there
    /// until released, so the new link is given only unpinned flows and
    /// non-atomic entries: no flow is ever held by two ports.
    pub fn link(&mut self, i: usize, queue: u8, prio: u8) -> Result<(), LinkError> {
        let qi = self.link_queue(i, queue)?;
        if prio >= PRIORITIES {
            return Err(LinkError::BadPriority);
        }
        self.settle_unlinks(i);
        let slots = &mut self.links[i * LINKS_MAX..(i + 1) * LINKS_MAX];
        let k = match slots
            .iter()
            .position(|l| l.state != LinkState::Free && l.queue == qi)
        {
            Some(k) => k,
            None => {
                let k = slots
                    .iter()
                    .position(|l| l.state == LinkState::Free)
                    .ok_or(LinkError::NoSlot)?;
                slots[k].queue = qi;
                k
            }
        };
        slots[k].state = LinkState::Mapped;
        slots[k].prio = prio;
        self.order_links(i);
        Ok(())
    }

    /// Unlinks LDB queue `queue` from LDB port `i`: the port is given
    /// nothing more of it from the next pass on, not even the atomic
    /// flows pinned to it, whose waiting entries wait until the port has
    /// completed the ones it holds and then go to another linked port.
    /// Returns whether the unlink is pending ([`Domain::unlink_pending`]):
    /// the port's history list still holds entries of the queue.
    pub fn unlink(&mut self, i: usize, queue: u8) -> Result<bool, LinkError> {
        let qi = self.link_queue(i, queue)?;
        let base = i * LINKS_MAX;
        let k = self.links[base..base + LINKS_MAX]
            .iter()
            .position(|l| l.state == LinkState::Mapped && l.queue == qi)
            .ok_or(LinkError::NotLinked)?;
        let pending = self.holds(i, qi);
        let l = &mut self.links[base + k];
        l.state = if pending {
            LinkState::Unmapping
        } else {
            LinkState::Free
        };
        self.order_links(i);
        Ok(pending)
    }

    /// Whether LDB port `i` is unlinking LDB queue `queue`: it was
    /// unlinked and the port's history list still holds entries of it.
    /// The unlink completes when the last is retired (COMPLETE, FORWARD
    /// or `PORT_CTRL.RESET`).
    pub fn unlink_pending(&self, i: usize, queue: u8) -> bool {
        let qi = self.queue_of[queue as usize];
        let unlinking = self
            .links
            .get(i * LINKS_MAX..(i + 1) * LINKS_MAX)
            .is_some_and(|s| {
                s.iter()
                    .any(|l| l.state == LinkState::Unmapping && l.queue == qi)
            });
        unlinking && self.holds(i, qi)
    }

    /// Whether LDB port `i`'s history list holds an entry of local queue
    /// `qi` (a scan: control path only).
    fn holds(&self, i: usize, qi: u16) -> bool {
        let p = &self.ldb_ports[i];
        let hl = &self.hl[p.hl_base as usize..(p.hl_base + p.hl_size) as usize];
        (0..p.hl_len).any(|n| hl[((p.hl_head + n) % p.hl_size) as usize].queue == qi)
    }

    /// Frees the slots of LDB port `i`'s unlinks that are done.
    fn settle_unlinks(&mut self, i: usize) {
        for k in 0..LINKS_MAX {
            let l = &self.links[i * LINKS_MAX + k];
            if l.state == LinkState::Unmapping && !self.holds(i, l.queue) {
                self.links[i * LINKS_MAX + k].state = LinkState::Free;
            }
        }
    }

    /// The queues LDB port `i` is linked to: (device queue number,
    /// priority), in the order the port is served (by priority, then
    /// slot).
    pub fn links(&self, i: usize) -> impl Iterator<Item = (u8, u8)> + '_ {
        self.ldb_ports[i].order.iter().map(|&li| {
            let l = &self.links[li as usize];
            // The device number of local queue `l.queue` (control path).
            let id = self.queue_of.iter().position(|&qi| qi == l.queue);
            (id.unwrap_or_default() as u8, l.prio)
        })
    }

    /// The local index of LDB queue `queue`, for a link of LDB port `i`.
    fn link_queue(&self, i: usize, queue: u8) -> Result<u16, LinkError> {
        if i >= self.ldb_ports.len() {
            return Err(LinkError::NoPort);
        }
        match self.queue_of[queue as usize] {
            NO => Err(LinkError::NoQueue),
            qi => Ok(qi),
        }
    }

    /// Rebuilds LDB port `i`'s serving order from its mapped links: by
    /// priority, stable in slot order, grouped by priority, each group's
    /// round robin from its first link.
    fn order_links(&mut self, i: usize) {
        let slots = &self.links[i * LINKS_MAX..(i + 1) * LINKS_MAX];
        let port = &mut self.ldb_ports[i];
        port.order.clear();
        port.order.extend(
            (0..LINKS_MAX)
                .filter(|&k| slots[k].state == LinkState::Mapped)
                .map(|k| (i * LINKS_MAX + k) as u32),
        );
        port.order
            .sort_by_key(|&li| slots[li as usize - i * LINKS_MAX].prio);
        port.groups.clear();
        let mut last = None;
        for (n, &li) in port.order.iter().enumerate() {
            let prio = slots[li as usize - i * LINKS_MAX].prio;
            match port.groups.last_mut() {
                Some(g) if last == Some(prio) => g.1 += 1,
                _ => port.groups.push((n as u32, 1)),
            }
            last = Some(prio);
        }
        port.rr.clear();
        port.rr.resize(port.groups.len(), 0);
        port.single = match port.order[..] {
            [li] => li,
            _ => NIL,
        };
    }

    /// Run-time state of LDB queue `id` (device number), for diagnostics.
    pub fn queue_state(&self, id: u8) -> Option<QueueState> {
        let q = self.queues.get(self.queue_of[id as usize] as usize)?;
        let mut rob_done = 0;
        let mut rob_held = 0;
        if q.sn_count != 0 {
            let mask = q.sn_count - 1;
            let mut sn = q.sn_head;
            while sn != q.sn_next {
                let slot = &self.rob[(q.rob_base + (sn & mask)) as usize];
                if slot.done {
                    rob_done += 1;
                    if slot.fwd != NIL {
                        rob_held += 1;
                    }
                }
                sn = sn.wrapping_add(1);
            }
        }
        Some(QueueState {
            depth: q.depth,
            inflight: q.inflight,
            atomic_inflight: q.atomic_inflight,
            sn_outstanding: q.sn_next.wrapping_sub(q.sn_head),
            rob_done,
            rob_held,
        })
    }

    // --- producer side -----------------------------------------------------

    /// Takes one QE that port `port` (an index) wrote into its producer
    /// window, or refuses it whole (no effect) with the alarm code the
    /// device raises. Checks, in order: the command and fields
    /// (`BadQe`), tokens (`BadToken`), the port's history list for
    /// COMPLETE and FORWARD (`NoHistory`), a credit for NEW and FORWARD
    /// (`NoCredit`).
    #[inline]
    pub fn submit(&mut self, port: usize, qe: &Qe) -> Result<(), AlarmCode> {
        // The two commands of the steady state (NEW from producers,
        // COMPLETE from workers) have their own paths; they make the same
        // checks in the same order as the general one.
        if qe.priority < PRIORITIES && qe.sched <= DIRECTED {
            if qe.cmd == QeCommand::New as u8 {
                return self.submit_new(port, qe.data, meta_of(qe), qe.token);
            }
            if qe.cmd == QeCommand::Complete as u8 {
                return self.submit_complete(port, qe.token);
            }
        }
        self.submit_any(port, qe)
    }

    /// NEW: destination (`BadQe`), the token bit (`BadToken`), a credit
    /// (`NoCredit`); then enqueue. `meta` is [`Entry::meta`].
    #[inline(always)]
    fn submit_new(
        &mut self,
        port: usize,
        data: u64,
        meta: u64,
        token: bool,
    ) -> Result<(), AlarmCode> {
        let dest = self.destination((meta >> 16) as u8, (meta >> 24) as u8 & 3)?;
        let cq = &mut self.cqs[port];
        let token = u32::from(token);
        if token > cq.occupancy {
            return Err(AlarmCode::BadToken);
        }
        let pool = match dest {
            Dest::Dir(_) => &mut self.dir_pool,
            Dest::Ldb(_) => &mut self.ldb_pool,
        };
        if *pool == 0 {
            return Err(AlarmCode::NoCredit);
        }
        *pool -= 1;
        cq.occupancy -= token;
        cq.consumed = cq.consumed.wrapping_add(1);
        cq.events = cq.events.wrapping_add(1);
        let i = self.alloc(data, meta);
        self.push_to(i, dest);
        Ok(())
    }

    /// [`Domain::submit`] of the QE in its byte layout, as the device reads
    /// it from the window: refused with `BadQe` if it does not decode
    /// ([`Qe::from_bytes`]).
    pub fn submit_bytes(&mut self, port: usize, qe: &[u8; QE_SIZE]) -> Result<(), AlarmCode> {
        self.take_bytes(port, qe)
    }

    /// [`Domain::submit_bytes`], inlined into the burst loop.
    #[inline(always)]
    fn take_bytes(&mut self, port: usize, qe: &[u8; QE_SIZE]) -> Result<(), AlarmCode> {
        let (lo, hi) = qe.split_at(8);
        let data = u64::from_le_bytes(lo.try_into().unwrap());
        let hi = u64::from_le_bytes(hi.try_into().unwrap());
        if hi & QE_RESERVED != 0 {
            return Err(AlarmCode::BadQe);
        }
        let cmd = (hi >> 56) as u8;
        let token = cmd & QE_CMD_TOKEN != 0;
        match cmd & QE_CMD_MASK {
            c if c == QeCommand::New as u8 => self.submit_new(port, data, hi & META_MASK, token),
            c if c == QeCommand::Complete as u8 => self.submit_complete(port, token),
            _ => match Qe::from_bytes(qe) {
                Ok(qe) => self.submit_any(port, &qe),
                Err(_) => Err(AlarmCode::BadQe),
            },
        }
    }

    /// A burst of QEs from port `port`'s window, in slot order: each one
    /// exactly as [`Domain::submit_bytes`] takes it; a refused one is
    /// dropped (reported to `refused` with its position) and the next
    /// ones are still taken, as the device does. Returns how many were
    /// accepted.
    #[inline]
    pub fn submit_burst(
        &mut self,
        port: usize,
        qes: &[[u8; QE_SIZE]],
        mut refused: impl FnMut(usize, AlarmCode),
    ) -> usize {
        let mut n = 0;
        for (k, qe) in qes.iter().enumerate() {
            match self.take_bytes(port, qe) {
                Ok(()) => n += 1,
                Err(code) => refused(k, code),
            }
        }
        n
    }

    /// COMPLETE: the token bit (`BadToken`), history (`NoHistory`); then
    /// retire the oldest history-list entry.
    #[inline(always)]
    fn submit_complete(&mut self, port: usize, token: bool) -> Result<(), AlarmCode> {
        let cq = &mut self.cqs[port];
        let token = u32::from(token);
        if token > cq.occupancy {
            return Err(AlarmCode::BadToken);
        }
        if self.ldb_ports.get(port).is_none_or(|p| p.hl_len == 0) {
            return Err(AlarmCode::NoHistory);
        }
        cq.occupancy -= token;
        cq.consumed = cq.consumed.wrapping_add(1);
        self.complete(port, None);
        Ok(())
    }

    /// Every command, the general way.
    #[inline(never)]
    fn submit_any(&mut self, port: usize, qe: &Qe) -> Result<(), AlarmCode> {
        let cmd = qe.command().ok_or(AlarmCode::BadQe)?;
        if qe.priority >= PRIORITIES || qe.sched > DIRECTED {
            return Err(AlarmCode::BadQe);
        }
        let enqueues = matches!(cmd, QeCommand::New | QeCommand::Forward);
        let dest = if enqueues {
            Some(self.destination(qe.queue, qe.sched)?)
        } else {
            None
        };
        let tokens = u32::from(qe.token)
            + if cmd == QeCommand::ReturnTokens {
                u32::from(qe.flow)
            } else {
                0
            };
        let cq = &self.cqs[port];
        if tokens > cq.occupancy {
            return Err(AlarmCode::BadToken);
        }
        let completes = matches!(cmd, QeCommand::Forward | QeCommand::Complete);
        if completes && self.hl_used(port) == 0 {
            return Err(AlarmCode::NoHistory);
        }
        if let Some(d) = dest {
            let pool = match d {
                Dest::Dir(_) => self.dir_pool,
                Dest::Ldb(_) => self.ldb_pool,
            };
            if pool == 0 {
                return Err(AlarmCode::NoCredit);
            }
        }
        // Accepted: apply.
        let cq = &mut self.cqs[port];
        cq.occupancy -= tokens;
        cq.consumed = cq.consumed.wrapping_add(1);
        if enqueues {
            cq.events = cq.events.wrapping_add(1);
        }
        let new = dest.map(|d| {
            match d {
                Dest::Dir(_) => self.dir_pool -= 1,
                Dest::Ldb(_) => self.ldb_pool -= 1,
            }
            self.alloc(qe.data, meta_of(qe))
        });
        match cmd {
            QeCommand::New => self.push(new.unwrap()),
            QeCommand::Forward | QeCommand::Complete => self.complete(port, new),
            QeCommand::Arm => {
                self.cqs[port].armed = true;
                self.arm_pending = true;
            }
            QeCommand::None | QeCommand::ReturnTokens => {}
        }
        Ok(())
    }

    /// Where a NEW or FORWARD QE goes: `Ok(true)` a directed queue,
    /// `Ok(false)` an LDB queue; `BadQe` if the domain has no such queue
    /// or the queue does not take its scheduling type.
    #[inline]
    fn destination(&self, queue: u8, sched: u8) -> Result<Dest, AlarmCode> {
        if sched == DIRECTED {
            return match self.dir_of[queue as usize] {
                NO => Err(AlarmCode::BadQe),
                d => Ok(Dest::Dir(d as usize)),
            };
        }
        let qi = self.queue_of[queue as usize] as usize;
        let q = self.queues.get(qi).ok_or(AlarmCode::BadQe)?;
        let ok = match sched {
            ATOMIC => q.atomic_limit != 0,
            ORDERED => q.sn_count != 0,
            _ => true,
        };
        if ok {
            Ok(Dest::Ldb(qi))
        } else {
            Err(AlarmCode::BadQe)
        }
    }

    /// Stores an event in a free entry (there is one: the caller took a
    /// credit).
    #[inline]
    fn alloc(&mut self, data: u64, meta: u64) -> u32 {
        let i = self.free;
        let e = &mut self.entries[i as usize];
        self.free = e.next;
        *e = Entry {
            data,
            meta,
            stamp: 0,
            next: NIL,
        };
        i
    }

    /// Puts stored entry `i` at the back of its destination queue.
    #[inline]
    fn push(&mut self, i: u32) {
        let e = &self.entries[i as usize];
        let dest = if e.sched() == DIRECTED {
            Dest::Dir(self.dir_of[e.queue() as usize] as usize)
        } else {
            Dest::Ldb(self.queue_of[e.queue() as usize] as usize)
        };
        self.push_to(i, dest);
    }

    /// [`Domain::push`] to `dest`, the entry's destination: where an entry
    /// enters a queue, so where [`QueueStats::enqueued`] counts it.
    #[inline(always)]
    fn push_to(&mut self, i: u32, dest: Dest) {
        let stamp = self.stamp;
        self.stamp = stamp.wrapping_add(1);
        let Self {
            entries,
            flows,
            queues,
            links,
            dir_ports,
            ..
        } = self;
        let entries = &mut entries[..];
        let e = &mut entries[i as usize];
        e.stamp = stamp;
        let (sched, prio, flow) = (e.sched(), e.prio() as usize, e.flow());
        let bit = 1u8 << prio;
        let qi = match dest {
            Dest::Dir(d) => {
                let d = &mut dir_ports[d];
                d.fifo[prio].push(entries, i);
                d.mask |= bit;
                d.depth += 1;
                d.stats.entered(prio);
                return;
            }
            Dest::Ldb(qi) => qi,
        };
        let q = &mut queues[qi];
        q.depth += 1;
        q.stats.entered(prio);
        if sched != ATOMIC {
            q.fifo[prio].push(entries, i);
            q.mask |= bit;
            return;
        }
        let f = q.flow_base + (u32::from(flow) & q.flow_mask);
        let fl = &mut flows[f as usize];
        let was_idle = fl.waiting.is_empty();
        fl.waiting.push(entries, i);
        if was_idle {
            // Ready: on the list its pin gives (`list_flow`).
            fl.list_prio = prio as u8;
            if fl.pin == NIL {
                q.unpinned[prio].push(flows, f);
                q.mask |= bit;
            } else {
                let l = &mut links[fl.pin_link as usize];
                l.pinned[prio].push_back(flows, f);
                l.pinned_mask |= bit;
            }
        }
    }

    /// Puts flow `f`, which has waiting entries and is on no list, on the
    /// ready list its pin gives, at priority `prio`.
    #[inline]
    fn list_flow(&mut self, f: u32, prio: u8) {
        let fl = &mut self.flows[f as usize];
        fl.list_prio = prio;
        let (pin_link, qi) = (fl.pin_link, fl.queue as usize);
        if fl.pin == NIL {
            let q = &mut self.queues[qi];
            q.unpinned[prio as usize].push(&mut self.flows, f);
            q.mask |= 1 << prio;
        } else {
            let l = &mut self.links[pin_link as usize];
            l.pinned[prio as usize].push_back(&mut self.flows, f);
            l.pinned_mask |= 1 << prio;
        }
    }

    /// Takes flow `f`, pinned and on its ready list, off that list: the
    /// only way a flow leaves the middle of a ready list (when it is
    /// released, [`Domain::complete`]).
    #[inline]
    fn unlist_flow(&mut self, f: u32) {
        let fl = &self.flows[f as usize];
        let (prio, pin_link) = (fl.list_prio as usize, fl.pin_link);
        let l = &mut self.links[pin_link as usize];
        l.pinned[prio].remove(&mut self.flows, f);
        if l.pinned[prio].is_empty() {
            l.pinned_mask &= !(1 << prio);
        }
    }

    /// COMPLETE (or FORWARD with `fwd`, a stored entry) from LDB port
    /// `port`: retires its oldest history-list entry.
    #[inline(always)]
    fn complete(&mut self, port: usize, fwd: Option<u32>) {
        let p = &mut self.ldb_ports[port];
        let h = self.hl[(p.hl_base + p.hl_head) as usize];
        p.hl_head = if p.hl_head + 1 == p.hl_size {
            0
        } else {
            p.hl_head + 1
        };
        p.hl_len -= 1;
        let q = &mut self.queues[h.queue as usize];
        q.inflight -= 1;
        match h.sched {
            ATOMIC => {
                q.atomic_inflight -= 1;
                let fl = &mut self.flows[h.aux as usize];
                fl.inflight -= 1;
                if fl.inflight == 0 {
                    // Released: the flow may go to any port again.
                    let idle = fl.waiting.is_empty();
                    let prio = fl.list_prio;
                    if !idle {
                        self.unlist_flow(h.aux);
                    }
                    let fl = &mut self.flows[h.aux as usize];
                    fl.pin = NIL;
                    fl.pin_link = NIL;
                    if !idle {
                        self.list_flow(h.aux, prio);
                    }
                }
            }
            ORDERED => {
                let mask = q.sn_count - 1;
                if h.aux == q.sn_head {
                    // The oldest: released at once, no reorder slot used.
                    q.sn_head = q.sn_head.wrapping_add(1);
                    let (head, next, base) = (q.sn_head, q.sn_next, q.rob_base);
                    if let Some(i) = fwd {
                        self.push(i);
                    }
                    if head != next && self.rob[(base + (head & mask)) as usize].done {
                        self.release_in_order(h.queue as usize);
                    }
                    return;
                }
                let slot = q.rob_base + (h.aux & mask);
                self.rob[slot as usize] = RobSlot {
                    done: true,
                    fwd: fwd.unwrap_or(NIL),
                };
                self.release_in_order(h.queue as usize);
                return;
            }
            _ => {}
        }
        if let Some(i) = fwd {
            self.push(i);
        }
    }

    /// Releases the done sequence numbers of ordered queue `qi` from the
    /// oldest on, enqueueing their forwarded entries in sequence order.
    fn release_in_order(&mut self, qi: usize) {
        loop {
            let q = &mut self.queues[qi];
            if q.sn_head == q.sn_next {
                return;
            }
            let slot = &mut self.rob[(q.rob_base + (q.sn_head & (q.sn_count - 1))) as usize];
            if !slot.done {
                return;
            }
            let fwd = slot.fwd;
            *slot = RobSlot {
                done: false,
                fwd: NIL,
            };
            q.sn_head = q.sn_head.wrapping_add(1);
            if fwd != NIL {
                self.push(fwd);
            }
        }
    }

    // --- scheduling ----------------------------------------------------------

    /// Whether LDB port `p` can take one more entry.
    #[inline]
    fn has_room(&self, p: usize) -> bool {
        let c = &self.cqs[p];
        let port = &self.ldb_ports[p];
        c.occupancy < c.room && port.hl_len < port.hl_size
    }

    /// Moves entries from queues to CQs until no port with room has an
    /// eligible entry; writes them (and interrupts) through `sink`.
    /// Returns the number of entries scheduled.
    pub fn schedule<S: CqSink>(&mut self, sink: &mut S) -> u32 {
        let n = self.schedule_ldb(sink) + self.schedule_dir(sink);
        if self.arm_pending {
            self.arm_pending = false;
            for p in 0..self.cqs.len() {
                self.check_irq(p, sink);
            }
        }
        n
    }

    /// The LDB part of a pass: turns of up to [`TURN`] events, each turn
    /// to the least occupied port with an eligible event, ties to the
    /// first at or after the rotor (the port after the one served last).
    ///
    /// Occupancies only grow during a pass and a port that had nothing
    /// eligible gets nothing later in the pass, so the choice is a scan:
    /// with `level` the lowest occupancy among the ports still in the
    /// running, the next port is the first one at `level` in port order
    /// from the rotor on (the scan goes on from the port after the one
    /// just served, which is where the rotor now points); when none is
    /// left at `level`, `level` rises to the new lowest occupancy and the
    /// scan restarts at the rotor. That is the rule, without comparing
    /// every port for every turn.
    fn schedule_ldb<S: CqSink>(&mut self, sink: &mut S) -> u32 {
        let nports = self.ldb_ports.len();
        let mut active = core::mem::take(&mut self.active);
        active.clear();
        for p in 0..nports {
            if self.has_room(p) && self.may_have_work(p) {
                active.push(p as u32);
            }
        }
        let mut n = 0;
        let mut i = 0;
        let mut level = 0;
        let mut at_level = 0usize;
        while !active.is_empty() {
            if at_level == 0 {
                // A new level: scan from the first port at or after the
                // rotor (a port that dropped out did not move the rotor).
                i = active.iter().position(|&p| p >= self.rotor).unwrap_or(0);
                level = u32::MAX;
                for &p in &active {
                    let occ = self.cqs[p as usize].occupancy;
                    if occ < level {
                        level = occ;
                        at_level = 0;
                    }
                    if occ == level {
                        at_level += 1;
                    }
                }
            }
            if i >= active.len() {
                i = 0;
            }
            let p = active[i] as usize;
            if self.cqs[p].occupancy != level {
                i += 1;
                continue;
            }
            at_level -= 1;
            let served = self.serve_turn(p, sink);
            if served != 0 {
                n += served;
                self.rotor = if p + 1 == nports { 0 } else { p as u32 + 1 };
                // A turn cut short with room left: nothing eligible.
                if served == TURN && self.has_room(p) {
                    i += 1;
                    continue;
                }
            }
            // Out of the running for the rest of the pass.
            active.remove(i);
        }
        self.active = active;
        n
    }

    /// Quick filter: a linked queue or pinned list of LDB port `p` holds
    /// something.
    fn may_have_work(&self, p: usize) -> bool {
        let port = &self.ldb_ports[p];
        if let Some(l) = self.links.get(port.single as usize) {
            return l.pinned_mask | self.queues[l.queue as usize].mask != 0;
        }
        port.order.iter().any(|&li| {
            let l = &self.links[li as usize];
            l.pinned_mask | self.queues[l.queue as usize].mask != 0
        })
    }

    /// A turn of LDB port `p` (which has room): up to [`TURN`] entries,
    /// one at a time, each its best eligible one; stops early when it has
    /// no room or nothing eligible. Returns how many it got.
    #[inline]
    fn serve_turn<S: CqSink>(&mut self, p: usize, sink: &mut S) -> u32 {
        let li = self.ldb_ports[p].single;
        if li != NIL {
            return self.turn_single(p, li as usize, TURN, sink);
        }
        let mut n = 0;
        while n < TURN && self.serve_ldb(p, sink) {
            n += 1;
            if !self.has_room(p) {
                break;
            }
        }
        n
    }

    /// Gives LDB port `p` (which has room) its best eligible entry, if any.
    #[inline]
    fn serve_ldb<S: CqSink>(&mut self, p: usize, sink: &mut S) -> bool {
        let port = &self.ldb_ports[p];
        for (g, &(first, count)) in port.groups.iter().enumerate() {
            let start = port.rr[g];
            for j in 0..count {
                let k = if start + j >= count {
                    start + j - count
                } else {
                    start + j
                };
                let li = port.order[(first + k) as usize];
                if let Some((prio, take)) = self.candidate(li as usize) {
                    self.ldb_ports[p].rr[g] = if k + 1 == count { 0 } else { k + 1 };
                    self.deliver_ldb(p, li as usize, prio, take, sink);
                    return true;
                }
            }
        }
        false
    }

    /// The eligible entry link `li`'s queue offers its port (see
    /// [`candidate_of`]).
    #[inline(always)]
    fn candidate(&self, li: usize) -> Option<(usize, Take)> {
        let l = &self.links[li];
        candidate_of(
            &self.entries,
            &self.flows,
            &self.queues[l.queue as usize],
            l,
        )
    }

    /// Moves the candidate `take` at `prio` of link `li` to LDB port `p`.
    #[inline]
    fn deliver_ldb<S: CqSink>(
        &mut self,
        p: usize,
        li: usize,
        prio: usize,
        take: Take,
        sink: &mut S,
    ) {
        let Self {
            entries,
            flows,
            queues,
            links,
            ldb_ports,
            cqs,
            hl,
            free,
            ldb_pool,
            ..
        } = self;
        let link = &mut links[li];
        let q = &mut queues[link.queue as usize];
        let mut t = Turn {
            entries,
            flows,
            hl,
            free,
            ldb_pool,
        };
        t.deliver(
            q,
            link,
            li,
            &mut ldb_ports[p],
            &mut cqs[p],
            p,
            prio,
            take,
            sink,
        );
    }

    /// A turn of LDB port `p` with a single link `li`: up to `max` entries
    /// (at least one of room), each the link's candidate, with the port's,
    /// link's and queue's state held across the turn.
    #[inline]
    fn turn_single<S: CqSink>(&mut self, p: usize, li: usize, max: u32, sink: &mut S) -> u32 {
        let Self {
            entries,
            flows,
            queues,
            links,
            ldb_ports,
            cqs,
            hl,
            free,
            ldb_pool,
            ..
        } = self;
        let link = &mut links[li];
        let q = &mut queues[link.queue as usize];
        let port = &mut ldb_ports[p];
        let cq = &mut cqs[p];
        let mut t = Turn {
            entries,
            flows,
            hl,
            free,
            ldb_pool,
        };
        // Nothing else fills this port's CQ or history list during the
        // turn: its room is known now.
        let room = max
            .min(cq.room.saturating_sub(cq.occupancy))
            .min(port.hl_size - port.hl_len);
        let mut n = 0;
        while n < room {
            let Some((prio, take)) = candidate_of(t.entries, t.flows, q, link) else {
                break;
            };
            t.deliver(q, link, li, port, cq, p, prio, take, sink);
            n += 1;
        }
        n
    }

    /// Directed queues: each DIR port takes entries, highest priority
    /// first, while its CQ has room.
    fn schedule_dir<S: CqSink>(&mut self, sink: &mut S) -> u32 {
        let mut n = 0;
        let base = self.ldb_ports.len();
        for d in 0..self.dir_ports.len() {
            while self.dir_ports[d].mask != 0 {
                let c = &self.cqs[base + d];
                if c.occupancy >= c.room {
                    break;
                }
                let dp = &mut self.dir_ports[d];
                let prio = dp.mask.trailing_zeros() as usize;
                let e = dp.fifo[prio].pop(&self.entries);
                if dp.fifo[prio].is_empty() {
                    dp.mask &= !(1 << prio);
                }
                dp.depth -= 1;
                dp.stats.left();
                let level = regs::depth_level(dp.depth, dp.depth_threshold);
                let ent = self.entries[e as usize];
                self.dir_pool += 1;
                self.free_entry(e);
                write_cq(
                    &mut self.cqs[base + d],
                    base + d,
                    ent.data,
                    ent.meta,
                    level,
                    sink,
                );
                n += 1;
            }
        }
        n
    }

    #[inline]
    fn free_entry(&mut self, e: u32) {
        self.entries[e as usize].next = self.free;
        self.free = e;
    }

    /// Fires port `p`'s armed interrupt if its occupancy reached the
    /// threshold; firing disarms it.
    fn check_irq<S: CqSink>(&mut self, p: usize, sink: &mut S) {
        let c = &mut self.cqs[p];
        if c.armed && c.occupancy >= c.irq_threshold {
            c.armed = false;
            sink.interrupt(p);
        }
    }
}

/// The eligible entry queue `q` offers through link `l`: highest priority
/// first, then the oldest of the non-atomic head, the head of the first
/// flow pinned to the link's port and the head of the first unpinned flow.
#[inline(always)]
fn candidate_of(entries: &[Entry], flows: &[Flow], q: &Queue, l: &Link) -> Option<(usize, Take)> {
    if q.inflight_limit != 0 && q.inflight >= q.inflight_limit {
        return None;
    }
    let mut m = q.mask | l.pinned_mask;
    if m == 0 {
        return None;
    }
    let atomic_ok = q.atomic_inflight < q.atomic_limit;
    let sn_ok = q.sn_next.wrapping_sub(q.sn_head) < q.sn_count;
    while m != 0 {
        let prio = m.trailing_zeros() as usize & (NPRIO - 1);
        m &= m - 1;
        let mut h = q.fifo[prio].head;
        if h != NIL && !sn_ok && entries[h as usize].sched() == ORDERED {
            h = NIL;
        }
        let (pf, uf) = if atomic_ok {
            (l.pinned[prio].head, q.unpinned[prio].head)
        } else {
            (NIL, NIL)
        };
        // Usually one kind is present: no age comparison needed.
        match (h != NIL, pf != NIL, uf != NIL) {
            (false, false, false) => continue,
            (true, false, false) => return Some((prio, Take::Fifo)),
            (false, true, false) => return Some((prio, Take::Pinned)),
            (false, false, true) => return Some((prio, Take::Unpinned)),
            _ => {}
        }
        let mut best: Option<(u32, Take)> = None;
        let mut consider = |e: u32, t: Take| {
            let s = entries[e as usize].stamp;
            if best.is_none_or(|(b, _)| (s.wrapping_sub(b) as i32) < 0) {
                best = Some((s, t));
            }
        };
        if h != NIL {
            consider(h, Take::Fifo);
        }
        if pf != NIL {
            consider(flows[pf as usize].waiting.head, Take::Pinned);
        }
        if uf != NIL {
            consider(flows[uf as usize].waiting.head, Take::Unpinned);
        }
        if let Some((_, t)) = best {
            return Some((prio, t));
        }
    }
    None
}

/// The domain's tables a delivery touches besides the port, link and queue
/// (borrowed apart from them).
struct Turn<'a> {
    entries: &'a mut [Entry],
    flows: &'a mut [Flow],
    hl: &'a mut [HlEntry],
    free: &'a mut u32,
    ldb_pool: &'a mut u32,
}

impl Turn<'_> {
    /// Moves the candidate `take` at `prio` of link `li` (queue `q`) to
    /// LDB port `p` (`port`, its CQ `cq`, which has room).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn deliver<S: CqSink>(
        &mut self,
        q: &mut Queue,
        link: &mut Link,
        li: usize,
        port: &mut LdbPort,
        cq: &mut Cq,
        p: usize,
        prio: usize,
        take: Take,
        sink: &mut S,
    ) {
        let entries = &mut *self.entries;
        let flows = &mut *self.flows;
        let bit = 1u8 << prio;
        let (e, aux) = match take {
            Take::Fifo => {
                let e = q.fifo[prio].pop(entries);
                if q.fifo[prio].is_empty() && q.unpinned[prio].is_empty() {
                    q.mask &= !bit;
                }
                let mut aux = 0;
                if entries[e as usize].sched() == ORDERED {
                    aux = q.sn_next;
                    q.sn_next = q.sn_next.wrapping_add(1);
                }
                (e, aux)
            }
            Take::Pinned => {
                let f = link.pinned[prio].pop_front(flows);
                if link.pinned[prio].is_empty() {
                    link.pinned_mask &= !bit;
                }
                (take_flow_head(entries, flows, link, li, q, p, f), f)
            }
            Take::Unpinned => {
                let f = q.unpinned[prio].pop(flows);
                if q.unpinned[prio].is_empty() && q.fifo[prio].is_empty() {
                    q.mask &= !bit;
                }
                (take_flow_head(entries, flows, link, li, q, p, f), f)
            }
        };
        q.depth -= 1;
        q.stats.left();
        q.inflight += 1;
        let level = regs::depth_level(q.depth, q.depth_threshold);
        let ent = &mut entries[e as usize];
        let (data, meta) = (ent.data, ent.meta);
        ent.next = *self.free;
        *self.free = e;
        *self.ldb_pool += 1;
        let mut slot = port.hl_head + port.hl_len;
        if slot >= port.hl_size {
            slot -= port.hl_size;
        }
        self.hl[(port.hl_base + slot) as usize] = HlEntry {
            queue: link.queue,
            sched: (meta >> 24) as u8 & 3,
            aux,
        };
        port.hl_len += 1;
        write_cq(cq, p, data, meta, level, sink);
    }
}

/// Takes the oldest waiting entry of flow `f` (off every list) for port
/// `p` through link `li` of queue `q`: pins the flow there and puts it
/// back on that link's pinned list if it has more.
#[inline]
fn take_flow_head(
    entries: &[Entry],
    flows: &mut [Flow],
    link: &mut Link,
    li: usize,
    q: &mut Queue,
    p: usize,
    f: u32,
) -> u32 {
    let fl = &mut flows[f as usize];
    let e = fl.waiting.pop(entries);
    fl.pin = p as u32;
    fl.pin_link = li as u32;
    fl.inflight += 1;
    q.atomic_inflight += 1;
    if !fl.waiting.is_empty() {
        let prio = entries[fl.waiting.head as usize].prio();
        fl.list_prio = prio;
        link.pinned[prio as usize].push_back(flows, f);
        link.pinned_mask |= 1 << prio;
    }
    e
}

/// Writes an entry (`data`, [`Entry::meta`]) at the next index of CQ `c`
/// (port `p`), and fires the port's interrupt if armed and due (firing
/// disarms it).
#[inline(always)]
fn write_cq<S: CqSink>(c: &mut Cq, p: usize, data: u64, meta: u64, level: u8, sink: &mut S) {
    let index = c.written;
    // Depths are powers of two: this is `CqEntry::gen_for`.
    let gen = u64::from(index & c.depth == 0);
    let hi = meta | u64::from(level & 3) << 48 | gen << 56;
    let mut bytes = [0u8; QE_SIZE];
    bytes[..8].copy_from_slice(&data.to_le_bytes());
    bytes[8..].copy_from_slice(&hi.to_le_bytes());
    c.written = index.wrapping_add(1);
    c.occupancy += 1;
    sink.write_bytes(p, index, &bytes);
    if c.armed && c.occupancy >= c.irq_threshold {
        c.armed = false;
        sink.interrupt(p);
    }
}

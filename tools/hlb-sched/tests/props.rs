// SPDX-License-Identifier: GPL-2.0

//! Property tests: random domains under random traffic, every step checked
//! against a reference model that tracks what must be true, not how the
//! scheduler does it:
//!
//! * no entry is lost or duplicated (every accepted event is delivered
//!   exactly once, after a final drain);
//! * an atomic flow is never held by two ports at once;
//! * ordered queues: what ports forward comes out in the order the queue
//!   handed the originals out;
//! * priorities: each delivery is the best the port could take (lowest
//!   link priority with an eligible entry, then lowest QE priority in that
//!   queue), and FIFO within a queue, priority and flow;
//! * spread: LDB deliveries come in turns of up to `TURN` to one port,
//!   cut short only when the port has no room or nothing eligible; each
//!   turn goes to a port no less occupied than any other port with room
//!   and an eligible entry, and among equally occupied ones to the first
//!   at or after the rotor (the port after the one served last);
//! * credits: pool + stored entries == initial, per pool;
//! * refusals (NoCredit, NoHistory, BadToken) exactly when the model
//!   predicts them;
//! * stop and reset (`PORT_CTRL`): a stopped port is given nothing; a
//!   reset retires its history list as completions (so the rules above
//!   hold across it: no atomic flow on two ports, ordered forwards still
//!   in order) and empties its CQ; nothing is stuck afterwards;
//! * statistics (minor version 4): per port, the NEW and FORWARD QEs
//!   accepted since the start or the port's reset; per queue (LDB and
//!   directed), the entries that entered it per QE priority (a forward
//!   held in a reorder buffer when the buffer releases it) and those it
//!   gave to a CQ, with `sum(enqueued) == scheduled + depth` after every
//!   step; a port reset changes no queue counter;
//! * links at run time (minor version 5): a link or a priority change
//!   takes effect at once; an unlinked queue gives its port nothing more
//!   (not even the flows pinned there) and the unlink is pending exactly
//!   while the port holds entries of that queue; linking it again cancels
//!   the unlink; the rules above (no flow on two ports, order, nothing
//!   lost or duplicated) hold across every relink.

use std::collections::{HashMap, HashSet, VecDeque};

use hlb_sched::config::LINKS_MAX;
use hlb_sched::domain::TURN;
use hlb_sched::{
    AlarmCode, CqEntry, CqSink, DirPortConfig, Domain, DomainConfig, LdbPortConfig, LinkError,
    MemCqs, PortId, Qe, QeCommand, QueueConfig, QueueStats, SchedType,
};
use proptest::prelude::*;

/// Records deliveries in order, on top of the memory CQs.
struct Recorder {
    cqs: MemCqs,
    log: Vec<(usize, CqEntry)>,
}

impl CqSink for Recorder {
    fn write(&mut self, port: usize, index: u32, entry: &CqEntry) {
        self.cqs.write(port, index, entry);
        self.log.push((port, *entry));
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Dest {
    Ldb(usize),
    Dir(usize),
}

#[derive(Clone, Copy, Debug)]
struct Ev {
    id: u64,
    dest: Dest,
    sched: SchedType,
    prio: u8,
    flow: u16,
    /// Enqueue order.
    seq: u64,
    /// (ordered queue, rank of the original there) for forwards of
    /// ordered entries.
    origin: Option<(usize, u64)>,
}

/// What a port holds: delivered, not completed, oldest first.
#[derive(Clone, Copy, Debug)]
struct Held {
    ev: Ev,
    /// Rank in its ordered queue's hand-out order.
    rank: u64,
}

#[derive(Default)]
struct RobModel {
    next_rank: u64,
    /// Outstanding ranks in order: (rank, done, forwarded event).
    slots: VecDeque<(u64, bool, Option<Ev>)>,
}

struct Model {
    cfg: DomainConfig,
    waiting: HashMap<Dest, Vec<Ev>>,
    held: Vec<VecDeque<Held>>,
    occupancy: Vec<u32>,
    /// Entries the consumer read and returned no token for yet.
    popped: Vec<u32>,
    robs: Vec<RobModel>,
    pools: (u32, u32),
    seq: u64,
    seq_submit: u64,
    next_id: u64,
    accepted: HashSet<u64>,
    delivered: HashSet<u64>,
    /// Per DIR port: ranks of ordered forwards seen, per origin queue.
    last_rank: HashMap<(usize, usize), u64>,
    /// The LDB port after the one served last.
    rotor: usize,
    /// The LDB port whose turn it is in this pass, and what it got.
    turn: Option<(usize, u32)>,
    /// Ports stopped (`PORT_CTRL.STOPPED`).
    stopped: Vec<bool>,
    /// Per port: NEW and FORWARD QEs accepted since the start or its
    /// reset (`PP_EVENTS`).
    events: Vec<u32>,
    /// Per queue: what entered it, per priority, and what it gave to a CQ.
    stats: HashMap<Dest, QueueStats>,
    /// Unlinks that wait: (LDB port, device queue number). `cfg` holds
    /// the links the ports are served through.
    unlinking: HashSet<(usize, u8)>,
}

impl Model {
    fn nldb(&self) -> usize {
        self.cfg.ldb_ports.len()
    }

    fn comp(&self, q: usize, flow: u16) -> u32 {
        match self.cfg.queues[q].lock_id_comp {
            0 => u32::from(flow),
            c => u32::from(flow) & (c - 1),
        }
    }

    fn stored(&self) -> (u32, u32) {
        let mut s = (0, 0);
        let mut count = |d: Dest| match d {
            Dest::Ldb(_) => s.0 += 1,
            Dest::Dir(_) => s.1 += 1,
        };
        for w in self.waiting.values() {
            w.iter().for_each(|e| count(e.dest));
        }
        for r in &self.robs {
            r.slots
                .iter()
                .filter_map(|s| s.2)
                .for_each(|e| count(e.dest));
        }
        s
    }

    fn enqueue(&mut self, mut ev: Ev) {
        ev.seq = self.seq;
        self.seq += 1;
        self.stats.entry(ev.dest).or_default().enqueued[usize::from(ev.prio)] += 1;
        self.waiting.entry(ev.dest).or_default().push(ev);
    }

    /// Whether a port other than `p` holds an atomic entry of flow
    /// (`q`, `f`).
    fn flow_held_elsewhere(&self, p: usize, q: usize, f: u32) -> bool {
        self.held.iter().enumerate().any(|(i, h)| {
            i != p
                && h.iter().any(|x| {
                    x.ev.sched == SchedType::Atomic
                        && x.ev.dest == Dest::Ldb(q)
                        && self.comp(q, x.ev.flow) == f
                })
        })
    }

    fn eligible(&self, p: usize, q: usize, e: &Ev) -> bool {
        let qc = &self.cfg.queues[q];
        match e.sched {
            SchedType::Atomic => !self.flow_held_elsewhere(p, q, self.comp(q, e.flow)),
            SchedType::Ordered => (self.robs[q].slots.len() as u32) < qc.sn_count,
            _ => true,
        }
    }

    /// Waiting entries of LDB queue `q` that may leave it for port `p`:
    /// FIFO heads of non-atomic entries per priority, flow heads for
    /// atomic ones.
    fn offers(&self, p: usize, q: usize) -> Vec<Ev> {
        let Some(w) = self.waiting.get(&Dest::Ldb(q)) else {
            return vec![];
        };
        let mut out = vec![];
        let mut seen_prio = HashSet::new();
        let mut seen_flow = HashSet::new();
        for e in w {
            let head = if e.sched == SchedType::Atomic {
                seen_flow.insert(self.comp(q, e.flow))
            } else {
                seen_prio.insert(e.prio)
            };
            if head && self.eligible(p, q, e) {
                out.push(*e);
            }
        }
        out
    }

    /// Whether LDB port `p` has CQ and history-list room and an eligible
    /// entry in a linked queue.
    fn has_work(&self, p: usize) -> bool {
        let c = &self.cfg.ldb_ports[p];
        if self.stopped[p]
            || self.occupancy[p] >= c.cq_depth
            || self.held[p].len() as u32 >= c.hl_size
        {
            return false;
        }
        c.links.iter().any(|&(lq, _)| {
            let q = self.cfg.queues.iter().position(|x| x.id == lq).unwrap();
            !self.offers(p, q).is_empty()
        })
    }

    /// Checks and records delivery of `e` to port `p`.
    fn deliver(&mut self, p: usize, e: &CqEntry) -> Result<(), String> {
        let dest = if p < self.nldb() {
            Dest::Ldb(
                self.cfg
                    .queues
                    .iter()
                    .position(|q| q.id == e.queue)
                    .unwrap(),
            )
        } else {
            Dest::Dir(p - self.nldb())
        };
        let w = self
            .waiting
            .get_mut(&dest)
            .ok_or("delivery from an empty queue")?;
        let at = w
            .iter()
            .position(|x| x.id == e.data)
            .ok_or_else(|| format!("event {} delivered but not waiting in {dest:?}", e.data))?;
        let ev = w[at];
        if !self.delivered.insert(ev.id) {
            return Err(format!("event {} delivered twice", ev.id));
        }
        if self.occupancy[p] >= self.cfg_depth(p) {
            return Err(format!("port {p} got an entry with a full CQ"));
        }
        if self.stopped[p] {
            return Err(format!("stopped port {p} got an entry"));
        }
        match dest {
            Dest::Dir(_) => {
                let w = &self.waiting[&dest];
                let best = w.iter().map(|x| x.prio).min().unwrap();
                let first = w.iter().find(|x| x.prio == best).unwrap();
                if first.id != ev.id {
                    return Err(format!("directed: {} left before {}", ev.id, first.id));
                }
                if let Some((q, rank)) = ev.origin {
                    let last = self.last_rank.entry((p, q)).or_insert(0);
                    if rank < *last {
                        return Err(format!("ordered queue {q}: rank {rank} after {last}"));
                    }
                    *last = rank;
                }
            }
            Dest::Ldb(q) => {
                if !self.eligible(p, q, &ev) {
                    return Err(format!("port {p} got ineligible {ev:?}"));
                }
                // Best possible for p: lowest link priority with an offer,
                // then lowest QE priority within the queue delivered from.
                let links = &self.cfg.ldb_ports[p].links;
                let qid = self.cfg.queues[q].id;
                let my_link = links.iter().find(|l| l.0 == qid).ok_or("unlinked queue")?.1;
                for &(lq, lp) in links {
                    let lqi = self.cfg.queues.iter().position(|x| x.id == lq).unwrap();
                    let offers = self.offers(p, lqi);
                    if lp < my_link && !offers.is_empty() {
                        return Err(format!("port {p}: link prio {my_link} served before {lp}"));
                    }
                    if lqi == q {
                        let best = offers.iter().map(|x| x.prio).min();
                        if best != Some(ev.prio) || !offers.iter().any(|x| x.id == ev.id) {
                            return Err(format!("port {p}: {ev:?} is not a best offer {offers:?}"));
                        }
                    }
                }
                // Turns: a port chosen by the rule below takes up to TURN
                // entries in a row; its turn ends early only when it has
                // no room or nothing eligible left.
                let cont = match self.turn {
                    Some((tp, k)) if tp == p && k < TURN => true,
                    Some((tp, k)) if k < TURN && self.has_work(tp) => {
                        return Err(format!(
                            "port {p} served while port {tp} had {k} of its turn and more eligible"
                        ));
                    }
                    _ => false,
                };
                self.turn = Some(match self.turn {
                    Some((tp, k)) if cont => (tp, k + 1),
                    _ => (p, 1),
                });
                // Spread: no other port with room and an eligible entry is
                // less occupied (when the turn began).
                for o in (0..self.nldb()).filter(|_| !cont) {
                    if o != p && self.occupancy[o] < self.occupancy[p] && self.has_work(o) {
                        return Err(format!(
                            "port {p} (occupancy {}) served before port {o} ({})",
                            self.occupancy[p], self.occupancy[o]
                        ));
                    }
                }
                // Ties: the first port at or after the rotor (the port
                // after the one served last) goes first.
                let n = self.nldb();
                let mut o = if cont { p } else { self.rotor };
                while o != p {
                    if self.occupancy[o] == self.occupancy[p] && self.has_work(o) {
                        return Err(format!(
                            "port {p} served before port {o} at equal occupancy {} (rotor {})",
                            self.occupancy[p], self.rotor
                        ));
                    }
                    o = (o + 1) % n;
                }
                self.rotor = (p + 1) % n;
            }
        }
        let w = self.waiting.get_mut(&dest).unwrap();
        w.remove(at);
        self.stats.entry(dest).or_default().scheduled += 1;
        let mut rank = 0;
        if let Dest::Ldb(q) = dest {
            if ev.sched == SchedType::Ordered {
                let r = &mut self.robs[q];
                rank = r.next_rank;
                r.next_rank += 1;
                r.slots.push_back((rank, false, None));
            }
            self.held[p].push_back(Held { ev, rank });
            self.pools.0 += 1;
        } else {
            self.pools.1 += 1;
        }
        self.occupancy[p] += 1;
        Ok(())
    }

    fn cfg_depth(&self, p: usize) -> u32 {
        match self.cfg.ldb_ports.get(p) {
            Some(c) => c.cq_depth,
            None => self.cfg.dir_ports[p - self.nldb()].cq_depth,
        }
    }

    /// Completes port `p`'s oldest held entry, forwarding `fwd`.
    fn complete(&mut self, p: usize, fwd: Option<Ev>) {
        let h = self.held[p].pop_front().unwrap();
        match (h.ev.dest, h.ev.sched) {
            (Dest::Ldb(q), SchedType::Ordered) => {
                let r = &mut self.robs[q];
                let slot = r.slots.iter_mut().find(|s| s.0 == h.rank).unwrap();
                slot.1 = true;
                slot.2 = fwd.map(|mut f| {
                    f.origin = Some((q, h.rank));
                    f
                });
                while self.robs[q].slots.front().is_some_and(|s| s.1) {
                    let (_, _, f) = self.robs[q].slots.pop_front().unwrap();
                    if let Some(f) = f {
                        self.enqueue(f);
                    }
                }
            }
            _ => {
                if let Some(f) = fwd {
                    self.enqueue(f);
                }
            }
        }
    }
}

/// One step of random traffic; numbers are reduced modulo what the
/// domain has.
#[derive(Clone, Debug)]
enum Op {
    /// NEW from port `from` to destination `to` with a scheduling type
    /// chosen among those the destination takes.
    New {
        from: u8,
        to: u8,
        kind: u8,
        prio: u8,
        flow: u16,
    },
    Schedule,
    /// The consumer of `port` reads up to `n` entries and returns tokens
    /// for them.
    Consume {
        port: u8,
        n: u8,
    },
    Complete {
        port: u8,
        token: bool,
    },
    /// Forward the oldest held entry of `port`: to a DIR port (at priority
    /// 0, so that order is observable) or an LDB queue.
    Forward {
        port: u8,
        to: u8,
        kind: u8,
        prio: u8,
        flow: u16,
    },
    Tokens {
        port: u8,
        n: u8,
    },
    /// `PORT_CTRL`: stop `port` (and reset it with `reset`), or run it.
    Ctrl {
        port: u8,
        stop: bool,
        reset: bool,
    },
    /// Link `queue` to `port` at `prio`, or unlink it (`unlink`), on the
    /// started domain.
    Link {
        port: u8,
        queue: u8,
        prio: u8,
        unlink: bool,
    },
}

fn any_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (any::<u8>(), any::<u8>(), any::<u8>(), 0u8..8, 0u16..12)
            .prop_map(|(from, to, kind, prio, flow)| Op::New { from, to, kind, prio, flow }),
        3 => Just(Op::Schedule),
        3 => (any::<u8>(), 1u8..12).prop_map(|(port, n)| Op::Consume { port, n }),
        3 => (any::<u8>(), any::<bool>()).prop_map(|(port, token)| Op::Complete { port, token }),
        3 => (any::<u8>(), any::<u8>(), any::<u8>(), 0u8..8, 0u16..12)
            .prop_map(|(port, to, kind, prio, flow)| Op::Forward { port, to, kind, prio, flow }),
        1 => (any::<u8>(), 0u8..4).prop_map(|(port, n)| Op::Tokens { port, n }),
        1 => (any::<u8>(), any::<bool>(), any::<bool>())
            .prop_map(|(port, stop, reset)| Op::Ctrl { port, stop, reset: stop && reset }),
        2 => (any::<u8>(), any::<u8>(), 0u8..3, any::<bool>())
            .prop_map(|(port, queue, prio, unlink)| Op::Link { port, queue, prio, unlink }),
    ]
}

fn any_config() -> impl Strategy<Value = DomainConfig> {
    let queue = (any::<bool>(), any::<bool>(), any::<bool>(), 0u32..12);
    (
        prop::collection::vec(queue, 1..4),
        prop::collection::vec(
            (0u32..3, any::<bool>(), any::<u8>(), any::<[u8; 3]>()),
            1..5,
        ),
        1usize..3,
        (4u32..120, 2u32..40),
    )
        .prop_map(|(queues, ports, ndir, (ldb_credits, dir_credits))| {
            let nq = queues.len();
            let queues = queues
                .into_iter()
                .enumerate()
                .map(|(i, (atomic, ordered, comp, thr))| QueueConfig {
                    id: 3 + i as u8 * 2,
                    inflight_limit: 0,
                    atomic_inflights: if atomic { 1000 } else { 0 },
                    sn_count: if ordered { 64 } else { 0 },
                    lock_id_comp: if comp { 64 } else { 0 },
                    depth_threshold: thr,
                })
                .collect::<Vec<_>>();
            let ldb_ports = ports
                .into_iter()
                .enumerate()
                .map(|(i, (d, big_hl, mask, prios))| {
                    let depth = 8 << d;
                    let mut links: Vec<(u8, u8)> = (0..nq)
                        .filter(|q| mask & (1 << q) != 0)
                        .map(|q| (queues[q].id, prios[q] % 3))
                        .collect();
                    if links.is_empty() {
                        links.push((queues[i % nq].id, 0));
                    }
                    LdbPortConfig {
                        id: 10 + i as u8,
                        cq_depth: depth,
                        depth_threshold: 0,
                        hl_size: if big_hl { depth * 2 } else { depth },
                        links,
                    }
                })
                .collect::<Vec<_>>();
            // Every queue is linked somewhere, so that a drain empties it.
            let nports = ldb_ports.len();
            let mut ldb_ports = ldb_ports;
            for (q, qc) in queues.iter().enumerate() {
                if !ldb_ports
                    .iter()
                    .any(|p| p.links.iter().any(|l| l.0 == qc.id))
                {
                    ldb_ports[q % nports].links.push((qc.id, 1));
                }
            }
            let dir_ports = (0..ndir)
                .map(|i| DirPortConfig {
                    id: 40 + i as u8,
                    cq_depth: 16,
                    depth_threshold: 4,
                })
                .collect();
            DomainConfig {
                ldb_credits,
                dir_credits,
                queues,
                ldb_ports,
                dir_ports,
            }
        })
}

/// A destination and scheduling type for `to`/`kind`, among those the
/// domain takes.
fn pick_dest(cfg: &DomainConfig, to: u8, kind: u8, force_dir: bool) -> (Dest, SchedType, u8) {
    let nq = cfg.queues.len();
    let nd = cfg.dir_ports.len();
    if force_dir || (to as usize) % (nq + nd) >= nq {
        let d = to as usize % nd;
        return (Dest::Dir(d), SchedType::Directed, cfg.dir_ports[d].id);
    }
    let q = to as usize % nq;
    let qc = &cfg.queues[q];
    let mut kinds = vec![SchedType::Unordered];
    if qc.atomic_inflights > 0 {
        kinds.push(SchedType::Atomic);
    }
    if qc.sn_count > 0 {
        kinds.push(SchedType::Ordered);
    }
    (Dest::Ldb(q), kinds[kind as usize % kinds.len()], qc.id)
}

struct Run {
    d: Domain,
    rec: Recorder,
    m: Model,
}

impl Run {
    fn new(cfg: DomainConfig) -> Self {
        let d = Domain::new(&cfg).unwrap();
        let n = d.ports();
        let rec = Recorder {
            cqs: MemCqs::new(d.cq_depths()),
            log: vec![],
        };
        let m = Model {
            robs: (0..cfg.queues.len()).map(|_| RobModel::default()).collect(),
            pools: (cfg.ldb_credits, cfg.dir_credits),
            cfg,
            waiting: HashMap::new(),
            held: vec![VecDeque::new(); n],
            occupancy: vec![0; n],
            popped: vec![0; n],
            seq: 0,
            seq_submit: 0,
            next_id: 1,
            accepted: HashSet::new(),
            delivered: HashSet::new(),
            last_rank: HashMap::new(),
            rotor: 0,
            turn: None,
            stopped: vec![false; n],
            events: vec![0; n],
            stats: HashMap::new(),
            unlinking: HashSet::new(),
        };
        Self { d, rec, m }
    }

    /// The QE through `submit`, `submit_bytes` and `submit_burst` in
    /// turns (the device's paths must agree).
    fn submit(&mut self, p: usize, qe: &Qe) -> Result<(), AlarmCode> {
        self.m.seq_submit += 1;
        match self.m.seq_submit % 3 {
            0 => self.d.submit(p, qe),
            1 => self.d.submit_bytes(p, &qe.to_bytes()),
            _ => {
                let mut res = Ok(());
                let n = self.d.submit_burst(p, &[qe.to_bytes()], |k, code| {
                    assert_eq!(k, 0);
                    res = Err(code);
                });
                assert_eq!(n, usize::from(res.is_ok()));
                res
            }
        }
    }

    fn new_ev(&mut self, to: u8, kind: u8, prio: u8, flow: u16, force_dir: bool) -> (Qe, Ev) {
        let (dest, sched, queue) = pick_dest(&self.m.cfg, to, kind, force_dir);
        let id = self.m.next_id;
        self.m.next_id += 1;
        let qe = Qe {
            data: id,
            opaque: 0,
            queue,
            sched: sched as u8,
            priority: prio,
            flow,
            cmd: QeCommand::New as u8,
            token: false,
        };
        let ev = Ev {
            id,
            dest,
            sched,
            prio,
            flow,
            seq: 0,
            origin: None,
        };
        (qe, ev)
    }

    fn pool_of(&self, d: Dest) -> u32 {
        match d {
            Dest::Ldb(_) => self.m.pools.0,
            Dest::Dir(_) => self.m.pools.1,
        }
    }

    fn take_pool(&mut self, d: Dest) {
        match d {
            Dest::Ldb(_) => self.m.pools.0 -= 1,
            Dest::Dir(_) => self.m.pools.1 -= 1,
        }
    }

    fn schedule(&mut self) -> Result<u32, String> {
        let n = self.d.schedule(&mut self.rec);
        self.m.turn = None;
        for (p, e) in std::mem::take(&mut self.rec.log) {
            self.m.deliver(p, &e)?;
        }
        Ok(n)
    }

    fn step(&mut self, op: &Op) -> Result<(), String> {
        let np = self.d.ports();
        match *op {
            Op::New {
                from,
                to,
                kind,
                prio,
                flow,
            } => {
                let (qe, ev) = self.new_ev(to, kind, prio, flow, false);
                let want = if self.pool_of(ev.dest) == 0 {
                    Err(AlarmCode::NoCredit)
                } else {
                    Ok(())
                };
                let from = from as usize % np;
                let got = self.submit(from, &qe);
                if got != want {
                    return Err(format!("NEW {ev:?}: got {got:?}, expected {want:?}"));
                }
                if got.is_ok() {
                    self.m.events[from] += 1;
                    self.take_pool(ev.dest);
                    self.m.accepted.insert(ev.id);
                    self.m.enqueue(ev);
                }
            }
            Op::Schedule => {
                self.schedule()?;
            }
            Op::Consume { port, n } => {
                let p = port as usize % np;
                let mut popped = 0;
                if n % 2 == 0 {
                    let mut buf = vec![[0u8; 16]; n.into()];
                    popped = self.rec.cqs.pop_burst(p, &mut buf) as u8;
                } else {
                    while popped < n && self.rec.cqs.pop(p).is_some() {
                        popped += 1;
                    }
                }
                self.m.popped[p] += u32::from(popped);
                let got = self.m.popped[p] as u16;
                self.m.popped[p] = 0;
                let qe = Qe {
                    cmd: QeCommand::ReturnTokens as u8,
                    flow: got,
                    ..Qe::default()
                };
                self.submit(p, &qe)
                    .map_err(|e| format!("tokens {got} on {p}: {e:?}"))?;
                self.m.occupancy[p] -= u32::from(got);
            }
            Op::Tokens { port, n } => {
                let p = port as usize % np;
                let qe = Qe {
                    cmd: QeCommand::ReturnTokens as u8,
                    flow: n.into(),
                    ..Qe::default()
                };
                let n = u32::from(n);
                let want = if n > self.m.occupancy[p] {
                    Err(AlarmCode::BadToken)
                } else if n > self.m.popped[p] {
                    // Tokens for unread entries would let the device
                    // overwrite them: a consumer bug, not a device case.
                    return Ok(());
                } else {
                    Ok(())
                };
                let got = self.submit(p, &qe);
                if got != want {
                    return Err(format!("tokens {n} on {p}: got {got:?}, expected {want:?}"));
                }
                if got.is_ok() {
                    self.m.occupancy[p] -= n;
                    self.m.popped[p] -= n;
                }
            }
            Op::Complete { port, token } => {
                let p = port as usize % np;
                let token = token && (self.m.popped[p] > 0 || self.m.occupancy[p] == 0);
                let qe = Qe {
                    cmd: QeCommand::Complete as u8,
                    token,
                    ..Qe::default()
                };
                let want = if token && self.m.occupancy[p] == 0 {
                    Err(AlarmCode::BadToken)
                } else if self.m.held[p].is_empty() {
                    Err(AlarmCode::NoHistory)
                } else {
                    Ok(())
                };
                let got = self.submit(p, &qe);
                if got != want {
                    return Err(format!("complete on {p}: got {got:?}, expected {want:?}"));
                }
                if got.is_ok() {
                    self.m.occupancy[p] -= u32::from(token);
                    self.m.popped[p] -= u32::from(token);
                    self.m.complete(p, None);
                }
            }
            Op::Forward {
                port,
                to,
                kind,
                prio,
                flow,
            } => {
                let p = port as usize % np;
                let to_dir = self.m.held[p]
                    .front()
                    .is_some_and(|h| h.ev.sched == SchedType::Ordered);
                let (mut qe, mut ev) = self.new_ev(to, kind, prio, flow, to_dir);
                if to_dir {
                    qe.priority = 0;
                    ev.prio = 0;
                }
                qe.cmd = QeCommand::Forward as u8;
                let want = if self.m.held[p].is_empty() {
                    Err(AlarmCode::NoHistory)
                } else if self.pool_of(ev.dest) == 0 {
                    Err(AlarmCode::NoCredit)
                } else {
                    Ok(())
                };
                let got = self.submit(p, &qe);
                if got != want {
                    return Err(format!("forward on {p}: got {got:?}, expected {want:?}"));
                }
                if got.is_ok() {
                    self.m.events[p] += 1;
                    self.take_pool(ev.dest);
                    self.m.accepted.insert(ev.id);
                    self.m.complete(p, Some(ev));
                }
            }
            Op::Ctrl { port, stop, reset } => {
                let p = port as usize % np;
                self.d.set_stopped(p, stop);
                self.m.stopped[p] = stop;
                if self.d.stopped(p) != stop {
                    return Err(format!("port {p}: stopped() disagrees"));
                }
                if reset {
                    let want = self.m.held[p].len() as u32;
                    let got = self.d.reset_port(p);
                    if got != want {
                        return Err(format!("reset of {p} retired {got}, held {want}"));
                    }
                    while !self.m.held[p].is_empty() {
                        self.m.complete(p, None);
                    }
                    self.rec.cqs.reset(p);
                    self.m.occupancy[p] = 0;
                    self.m.popped[p] = 0;
                    self.m.events[p] = 0;
                    if (
                        self.d.cq_occupancy(p),
                        self.d.cq_written(p),
                        self.d.hl_used(p),
                    ) != (0, 0, 0)
                    {
                        return Err(format!("port {p}: counters not 0 after reset"));
                    }
                }
            }
            Op::Link {
                port,
                queue,
                prio,
                unlink,
            } => self.relink(port as usize % np, queue, prio, unlink)?,
        }
        self.check_links()?;
        self.check_credits()?;
        self.check_stats()
    }

    /// [`Op::Link`] on port index `p`: queue `queue` modulo one more than
    /// the domain has (the last one: a queue number the domain lacks).
    fn relink(&mut self, p: usize, queue: u8, prio: u8, unlink: bool) -> Result<(), String> {
        let nq = self.m.cfg.queues.len();
        let qi = queue as usize % (nq + 1);
        let qid = self.m.cfg.queues.get(qi).map_or(0, |q| q.id);
        let links = self.m.cfg.ldb_ports.get(p).map(|c| &c.links);
        let linked = links.and_then(|l| l.iter().position(|l| l.0 == qid));
        let pending = self.m.unlinking.contains(&(p, qid));
        let held = |m: &Model| m.held[p].iter().any(|h| h.ev.dest == Dest::Ldb(qi));
        let op = if unlink { "unlink" } else { "link" };
        let want = match links {
            None => Err(LinkError::NoPort),
            Some(_) if qi == nq => Err(LinkError::NoQueue),
            Some(_) if unlink && linked.is_none() => Err(LinkError::NotLinked),
            Some(_) if unlink => Ok(held(&self.m)),
            Some(l) if linked.is_none() && !pending && l.len() + self.unlinking(p) == LINKS_MAX => {
                Err(LinkError::NoSlot)
            }
            Some(_) => Ok(false),
        };
        let got = if unlink {
            self.d.unlink(p, qid)
        } else {
            self.d.link(p, qid, prio).map(|()| false)
        };
        if got != want {
            return Err(format!("{op} {qid} on {p}: got {got:?}, expected {want:?}"));
        }
        if got.is_err() {
            return Ok(());
        }
        let links = &mut self.m.cfg.ldb_ports[p].links;
        match (unlink, linked) {
            (true, Some(at)) => {
                links.remove(at);
                if want == Ok(true) {
                    self.m.unlinking.insert((p, qid));
                }
            }
            (false, Some(at)) => links[at].1 = prio,
            (false, None) => {
                links.push((qid, prio));
                self.m.unlinking.remove(&(p, qid));
            }
            (true, None) => unreachable!(),
        }
        Ok(())
    }

    /// Unlinks port `p` waits on.
    fn unlinking(&self, p: usize) -> usize {
        self.m.unlinking.iter().filter(|u| u.0 == p).count()
    }

    /// Every port's links and pending unlinks as the model has them; an
    /// unlink stops waiting when the port holds no entry of the queue.
    fn check_links(&mut self) -> Result<(), String> {
        let m = &self.m;
        let held = |p: usize, qid: u8| {
            let qi = m.cfg.queues.iter().position(|q| q.id == qid);
            m.held[p]
                .iter()
                .any(|h| Some(h.ev.dest) == qi.map(Dest::Ldb))
        };
        let done: Vec<_> = m
            .unlinking
            .iter()
            .copied()
            .filter(|&(p, q)| !held(p, q))
            .collect();
        for u in done {
            self.m.unlinking.remove(&u);
        }
        for (p, c) in self.m.cfg.ldb_ports.iter().enumerate() {
            let mut got: Vec<_> = self.d.links(p).collect();
            let mut want = c.links.clone();
            got.sort();
            want.sort();
            if got != want {
                return Err(format!("port {p}: links {got:?}, model {want:?}"));
            }
            for q in &self.m.cfg.queues {
                let want = self.m.unlinking.contains(&(p, q.id));
                if self.d.unlink_pending(p, q.id) != want {
                    return Err(format!("port {p} queue {}: pending is not {want}", q.id));
                }
            }
        }
        Ok(())
    }

    /// The statistics: every port's `PP_EVENTS` and every queue's
    /// counters as the model counted them, and for every queue the sum of
    /// its per-priority counters equal to what it scheduled plus its depth.
    fn check_stats(&self) -> Result<(), String> {
        for p in 0..self.d.ports() {
            if self.d.pp_events(p) != self.m.events[p] {
                return Err(format!(
                    "port {p}: PP_EVENTS {}, model {}",
                    self.d.pp_events(p),
                    self.m.events[p]
                ));
            }
        }
        let cfg = &self.m.cfg;
        let queues = cfg.queues.iter().enumerate();
        let ldb = queues.map(|(i, q)| (Dest::Ldb(i), PortId::Ldb(q.id)));
        let dirs = cfg.dir_ports.iter().enumerate();
        let dir = dirs.map(|(i, p)| (Dest::Dir(i), PortId::Dir(p.id)));
        for (dest, id) in ldb.chain(dir) {
            let got = self
                .d
                .queue_stats(id)
                .ok_or_else(|| format!("{id:?}: no statistics"))?;
            let want = self.m.stats.get(&dest).copied().unwrap_or_default();
            if got != want {
                return Err(format!("{id:?}: statistics {got:?}, model {want:?}"));
            }
            let entered = got.enqueued.iter().fold(0u32, |a, &n| a.wrapping_add(n));
            let depth = self.d.queue_depth(id);
            if entered != got.scheduled.wrapping_add(depth) {
                return Err(format!(
                    "{id:?}: {entered} entered != {} scheduled + depth {depth}",
                    got.scheduled
                ));
            }
        }
        Ok(())
    }

    fn check_credits(&self) -> Result<(), String> {
        let (l, d) = self.d.credits();
        let (sl, sd) = self.m.stored();
        if (l, d) != self.m.pools
            || l + sl != self.m.cfg.ldb_credits
            || d + sd != self.m.cfg.dir_credits
        {
            return Err(format!(
                "credits: pools {:?}, model {:?}, stored {:?}, initial {:?}",
                (l, d),
                self.m.pools,
                (sl, sd),
                (self.m.cfg.ldb_credits, self.m.cfg.dir_credits)
            ));
        }
        Ok(())
    }

    /// Runs every port, then consumes and completes everything until the
    /// domain is empty.
    fn drain(&mut self) -> Result<(), String> {
        // A queue unlinked everywhere is linked again, or it keeps its
        // entries.
        for q in 0..self.m.cfg.queues.len() {
            let qid = self.m.cfg.queues[q].id;
            let ports = &self.m.cfg.ldb_ports;
            if !ports.iter().any(|c| c.links.iter().any(|l| l.0 == qid)) {
                let p = (0..ports.len())
                    .find(|&p| ports[p].links.len() + self.unlinking(p) < LINKS_MAX)
                    .ok_or("no slot to link a queue again")?;
                self.step(&Op::Link {
                    port: p as u8,
                    queue: q as u8,
                    prio: 1,
                    unlink: false,
                })?;
            }
        }
        for p in 0..self.d.ports() {
            self.step(&Op::Ctrl {
                port: p as u8,
                stop: false,
                reset: false,
            })?;
        }
        for _ in 0..10_000 {
            let n = self.schedule()?;
            let mut busy = n > 0;
            for p in 0..self.d.ports() {
                self.step(&Op::Consume {
                    port: p as u8,
                    n: 255,
                })?;
                while !self.m.held[p].is_empty() {
                    self.step(&Op::Complete {
                        port: p as u8,
                        token: false,
                    })?;
                    busy = true;
                }
            }
            if !busy && self.m.waiting.values().all(|w| w.is_empty()) {
                break;
            }
        }
        if self.m.accepted != self.m.delivered {
            let lost: Vec<_> = self.m.accepted.difference(&self.m.delivered).collect();
            return Err(format!(
                "lost events: {lost:?}; model waiting {:?}, held {:?}, occupancy {:?}",
                self.m.waiting, self.m.held, self.m.occupancy
            ));
        }
        if self.d.credits() != self.d.initial_credits() {
            return Err(format!(
                "credits not whole after drain: {:?}",
                self.d.credits()
            ));
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_traffic_keeps_every_rule(cfg in any_config(), ops in prop::collection::vec(any_op(), 1..300)) {
        let mut run = Run::new(cfg);
        for (i, op) in ops.iter().enumerate() {
            if let Err(e) = run.step(op) {
                prop_assert!(false, "step {i} {op:?}: {e}");
            }
        }
        if let Err(e) = run.drain() {
            prop_assert!(false, "drain: {e}");
        }
    }
}

// SPDX-License-Identifier: GPL-2.0

//! The online run: each request goes through the driver's own failover
//! state machine (`request_state.rs`) and backend table
//! (`backend_select.rs`), exactly as the layer drives them, against
//! backends that behave as the scenario says (serial, FIFO, a queue
//! limit that refuses for now, errors drawn per request).
//!
//! With [`Scenario::drive_ns`], a request an engine finished is complete
//! only once the CPU has handled it: the CPU takes those in turn, each
//! for `drive_ns`, before its own copies (an interrupt comes first): the
//! copy it is running ends that much later, and one it starts meanwhile
//! starts after them.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use lbdx_logic::offload::backend_select::{
    BackendDesc, BackendTable, Caps, HealthRules, Op, OpSet, Policy, Request,
};
use lbdx_logic::offload::request_state::{Action, Attempt, RequestState, Status};

use crate::rng::Rng;
use crate::scenario::{Arrivals, Scenario};

/// What one schedule achieved.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    /// When the last request completed, nanoseconds.
    pub makespan_ns: u64,
    /// Mean of completion minus arrival, nanoseconds.
    pub mean_response_ns: f64,
    /// Requests completed by a backend.
    pub done: usize,
    /// Requests completed with no backend left (every capable one failed
    /// them).
    pub failed: usize,
    /// Submissions made (more than the requests when some failed over).
    pub attempts: u64,
    /// Requests each backend completed, in scenario order.
    pub per_backend: Vec<u64>,
    /// Online runs: whether the table had no byte queued at the end (its
    /// accounting stayed exact through every failover and refusal).
    pub table_idle: bool,
    /// Online runs: each backend's learnt bandwidth at the end over its
    /// true one, in scenario order.
    pub learnt_bandwidth: Vec<f64>,
}

impl Outcome {
    /// The figure that counts for requests arriving as `arrivals` (lower
    /// is better): the makespan of a batch, the mean response of a stream.
    pub fn figure(&self, arrivals: Arrivals) -> f64 {
        match arrivals {
            Arrivals::Batch => self.makespan_ns as f64,
            Arrivals::Poisson { .. } => self.mean_response_ns,
        }
    }

    /// Makespan and mean response of `done_ns[j]` (completion of request
    /// `j`) for requests arriving at `arrival_ns[j]`.
    pub fn from_times(arrivals: impl Iterator<Item = u64>, done_ns: &[u64]) -> Self {
        let mut sum = 0.0;
        for (a, d) in arrivals.zip(done_ns) {
            sum += d.saturating_sub(a) as f64;
        }
        Self {
            makespan_ns: done_ns.iter().copied().max().unwrap_or(0),
            mean_response_ns: sum / done_ns.len().max(1) as f64,
            done: done_ns.len(),
            ..Self::default()
        }
    }
}

/// Descriptor of a backend as the layer registers it: copies only.
fn desc(b: &crate::scenario::Backend) -> BackendDesc {
    BackendDesc {
        caps: Caps {
            ops: OpSet::COPY,
            max_xor_sources: 0,
            max_len: u64::MAX,
            align: 1,
        },
        bandwidth: b.est_bandwidth.max(1),
        request_cost_ns: b.est_cost_ns,
        is_cpu: b.is_cpu,
    }
}

#[derive(Clone, Copy)]
enum Event {
    Arrival(usize),
    Done {
        server: usize,
        job: usize,
        attempt: Attempt,
        ok: bool,
        /// An engine's request the CPU has handled (`drive_ns`).
        driven: bool,
    },
}

#[derive(Default)]
struct Server {
    fifo: VecDeque<(usize, Attempt)>,
    running: u32,
    held: u32,
    pipe_free_ns: u64,
}

struct Run<'a> {
    s: &'a Scenario,
    table: BackendTable,
    reqs: Vec<RequestState>,
    servers: Vec<Server>,
    slot_server: Vec<usize>,
    events: BinaryHeap<Reverse<(u64, u64)>>,
    payload: Vec<Event>,
    waiting: Vec<usize>,
    done_ns: Vec<u64>,
    out: Outcome,
    rng: Rng,
    /// The CPU backend's server.
    cpu: Option<usize>,
    /// When the CPU is through with the engines' requests handed to it.
    irq_free_ns: u64,
    /// CPU time those took while a CPU copy ran: the copy ends that much
    /// later.
    cpu_debt_ns: u64,
}

impl Run<'_> {
    fn push(&mut self, t: u64, ev: Event) {
        let seq = self.payload.len() as u64;
        self.payload.push(ev);
        self.events.push(Reverse((t, seq)));
    }

    /// Takes `action` for request `job` at `now` until it settles.
    fn act(&mut self, job: usize, mut action: Action, now: u64) {
        loop {
            match action {
                Action::Submit(a) => {
                    self.out.attempts += 1;
                    let i = self.slot_server[a.backend.slot()];
                    let srv = &mut self.servers[i];
                    if srv.held < self.s.backends[i].queue_limit {
                        srv.held += 1;
                        srv.fifo.push_back((job, a));
                        self.start(i, now);
                        return;
                    }
                    action = self.reqs[job].busy(&mut self.table, a, now);
                }
                Action::Complete(st) => {
                    self.done_ns[job] = now;
                    match st {
                        Status::Ok => self.out.done += 1,
                        Status::NoBackend => self.out.failed += 1,
                    }
                    return;
                }
                Action::Wait => {
                    self.waiting.push(job);
                    return;
                }
                Action::Ignore => return,
            }
        }
    }

    /// Starts the next requests of server `i` while it has a lane free.
    fn start(&mut self, i: usize, now: u64) {
        let b = &self.s.backends[i];
        while self.servers[i].running < b.lanes {
            let srv = &mut self.servers[i];
            let Some((job, attempt)) = srv.fifo.pop_front() else {
                return;
            };
            srv.running += 1;
            let begin = if Some(i) == self.cpu {
                now.max(self.irq_free_ns)
            } else {
                now
            };
            let t = b.end_ns(begin, srv.pipe_free_ns, self.s.jobs[job].len);
            srv.pipe_free_ns = t;
            let ok = self.rng.unit() >= b.error_rate;
            self.push(
                t,
                Event::Done {
                    server: i,
                    job,
                    attempt,
                    ok,
                    driven: false,
                },
            );
        }
    }

    /// Whether the completion of `ev` at `now` is put off: an engine's
    /// request waits for the CPU to handle it, a CPU copy for the CPU
    /// time taken from it meanwhile.
    fn defer(&mut self, ev: Event, now: u64) -> bool {
        let Event::Done {
            server,
            job,
            attempt,
            ok,
            driven,
        } = ev
        else {
            return false;
        };
        let drive = self.s.drive_ns;
        if Some(server) == self.cpu {
            if self.cpu_debt_ns == 0 {
                return false;
            }
            let t = now + std::mem::take(&mut self.cpu_debt_ns);
            let srv = &mut self.servers[server];
            srv.pipe_free_ns = srv.pipe_free_ns.max(t);
            self.push(t, ev);
            return true;
        }
        if drive == 0 || driven {
            return false;
        }
        let Some(cpu) = self.cpu else {
            return false;
        };
        let t = now.max(self.irq_free_ns) + drive;
        self.irq_free_ns = t;
        if self.servers[cpu].running > 0 {
            self.cpu_debt_ns += drive;
        }
        self.push(
            t,
            Event::Done {
                server,
                job,
                attempt,
                ok,
                driven: true,
            },
        );
        true
    }
}

/// Runs scenario `s` online under `policy`; `seed` draws the errors.
pub fn run(s: &Scenario, policy: Policy, seed: u64) -> Outcome {
    run_with(s, policy, None, false, seed)
}

/// Runs scenario `s` online under the weighted policy, backend `i`
/// (scenario order) of weight `weights[i]`.
pub fn run_weighted(s: &Scenario, weights: &[u32], seed: u64) -> Outcome {
    run_with(s, Policy::Weighted, Some(weights), false, seed)
}

/// Runs scenario `s` online under earliest-completion, each engine
/// registered with the CPU time its requests take
/// ([`Scenario::drive_ns`], `BackendTable::set_drive_cost`).
pub fn run_drive_aware(s: &Scenario, seed: u64) -> Outcome {
    run_with(s, Policy::EarliestCompletion, None, true, seed)
}

fn run_with(
    s: &Scenario,
    policy: Policy,
    weights: Option<&[u32]>,
    drive_known: bool,
    seed: u64,
) -> Outcome {
    let mut table = BackendTable::new(HealthRules::default());
    table.set_policy(policy);
    let mut slot_server = vec![usize::MAX; lbdx_logic::offload::backend_select::MAX_BACKENDS];
    for (i, b) in s.backends.iter().enumerate() {
        if let Ok(id) = table.register(desc(b)) {
            slot_server[id.slot()] = i;
            if let Some(&w) = weights.and_then(|w| w.get(i)) {
                let _ = table.set_weight(id, w);
            }
            if drive_known && !b.is_cpu {
                let _ = table.set_drive_cost(id, s.drive_ns);
            }
        }
    }
    let mut r = Run {
        s,
        table,
        reqs: s
            .jobs
            .iter()
            .map(|j| {
                RequestState::new(Request {
                    op: Op::Copy,
                    len: j.len,
                    sources: 0,
                    align: 64,
                })
            })
            .collect(),
        servers: s.backends.iter().map(|_| Server::default()).collect(),
        slot_server,
        events: BinaryHeap::new(),
        payload: Vec::new(),
        waiting: Vec::new(),
        done_ns: vec![0; s.jobs.len()],
        out: Outcome {
            per_backend: vec![0; s.backends.len()],
            ..Outcome::default()
        },
        rng: Rng::new(seed),
        cpu: s.backends.iter().position(|b| b.is_cpu),
        irq_free_ns: 0,
        cpu_debt_ns: 0,
    };
    for (j, job) in s.jobs.iter().enumerate() {
        r.push(job.arrival_ns, Event::Arrival(j));
    }
    while let Some(Reverse((now, seq))) = r.events.pop() {
        let ev = r.payload[seq as usize];
        if r.defer(ev, now) {
            continue;
        }
        match ev {
            Event::Arrival(j) => {
                let a = r.reqs[j].start(&mut r.table, now);
                r.act(j, a, now);
            }
            Event::Done {
                server,
                job,
                attempt,
                ok,
                ..
            } => {
                let srv = &mut r.servers[server];
                srv.running -= 1;
                srv.held -= 1;
                if ok {
                    r.out.per_backend[server] += 1;
                }
                let a = r.reqs[job].complete(&mut r.table, attempt, ok, now);
                r.act(job, a, now);
                r.start(server, now);
                for j in std::mem::take(&mut r.waiting) {
                    let a = r.reqs[j].retry(&mut r.table, now);
                    r.act(j, a, now);
                }
            }
        }
    }
    let mut out = Outcome::from_times(s.jobs.iter().map(|j| j.arrival_ns), &r.done_ns);
    out.done = r.out.done;
    out.failed = r.out.failed;
    out.attempts = r.out.attempts;
    out.per_backend = r.out.per_backend;
    out.table_idle = r.table.idle();
    out.learnt_bandwidth = s
        .backends
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let slot = r.slot_server.iter().position(|&x| x == i);
            let id = slot.and_then(|s| r.table.id_at(s));
            let bw = id
                .and_then(|id| r.table.status(id).ok())
                .map_or(0, |st| st.bandwidth);
            bw as f64 / b.bandwidth as f64
        })
        .collect();
    out
}

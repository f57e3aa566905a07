// SPDX-License-Identifier: GPL-2.0

//! The pipeline benchmark and checker (in the spirit of dpdk-test-eventdev
//! perf_pipeline): a producer enqueues events of many flows, in sequence
//! per flow, to an atomic queue; N workers of the atomic stage check that
//! no flow is processed by two of them at once and forward each event to
//! an ordered queue; N workers of the ordered stage forward to a directed
//! consumer port, possibly out of order between them; the consumer checks
//! that every flow arrives in sequence (the device restored the order).
//! The report tells what each port sent and received and what went to
//! each queue by priority, in the driver's statistics' terms
//! ([`PipelineReport::counts`]).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hlb_sched::{DirPortConfig, DomainConfig, LdbPortConfig, QueueConfig};

use crate::xstats::Target;
use crate::{Event, Port, PortConfig, PortState, PortType, SchedType, Timeout};

/// What the pipeline runs on.
#[derive(Clone, Debug)]
pub struct PipelineConfig {
    /// Events the producer sends.
    pub events: u64,
    /// Flows (atomic lock ids) the events are spread over.
    pub flows: u16,
    /// Device number of the atomic queue.
    pub atomic_queue: u8,
    /// Device number of the ordered queue.
    pub ordered_queue: u8,
    /// LDB ports of the atomic stage (linked to the atomic queue only).
    pub atomic_ports: Vec<u8>,
    /// LDB ports of the ordered stage (linked to the ordered queue only).
    pub ordered_ports: Vec<u8>,
    /// DIR port the producer enqueues from.
    pub producer: u8,
    /// DIR port the consumer receives on.
    pub consumer: u8,
    /// Credits the producer leaves in the LDB pool for the forwards.
    pub new_event_floor: u32,
}

/// What a run measured.
#[derive(Clone, Debug, Default)]
pub struct PipelineReport {
    /// Events the consumer received.
    pub received: u64,
    /// Wall time from the first enqueue to the last receipt.
    pub elapsed: Duration,
    /// Times a flow was in the atomic stage on two workers at once.
    pub atomic_violations: u64,
    /// Events the consumer saw out of sequence in their flow.
    pub order_violations: u64,
    /// Events each atomic-stage worker processed.
    pub atomic_counts: Vec<u64>,
    /// Events each ordered-stage worker processed.
    pub ordered_counts: Vec<u64>,
    /// Every port's state as its thread ended (events it sent and took),
    /// by type and number.
    pub ports: Vec<PortState>,
    /// Events sent to each queue (LDB queue, or DIR port), by priority.
    pub queues: BTreeMap<Target, [u64; 8]>,
}

impl PipelineReport {
    /// Events per second end to end.
    pub fn rate(&self) -> f64 {
        self.received as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// What the ports sent and took and the queues got, one `<file>
    /// <value>` line each, `<file>` the driver's statistics file of that
    /// count relative to the domain's class device
    /// (`/sys/class/lbdx_hlb/<bdf>:<domain>/`): `<ldb|dir>_port<N>/enqueued`
    /// and `dequeued` for every port, `<ldb|dir>_queue<N>/enqueued` and
    /// `enqueued_prio0` to `7` for every queue the pipeline sent to.
    pub fn counts(&self) -> String {
        let mut out = String::new();
        for p in &self.ports {
            let dir = Target {
                kind: p.kind,
                id: p.id,
            }
            .port_dir();
            let _ = writeln!(out, "{dir}/enqueued {}", p.enqueued);
            let _ = writeln!(out, "{dir}/dequeued {}", p.dequeued);
        }
        for (t, by_prio) in &self.queues {
            let dir = t.queue_dir();
            let _ = writeln!(out, "{dir}/enqueued {}", by_prio.iter().sum::<u64>());
            for (prio, n) in by_prio.iter().enumerate() {
                let _ = writeln!(out, "{dir}/enqueued_prio{prio} {n}");
            }
        }
        out
    }
}

/// Adds `evs` to a count of events by priority.
fn tally(by_prio: &mut [u64; 8], evs: &[Event]) {
    for ev in evs {
        by_prio[usize::from(ev.priority) % 8] += 1;
    }
}

/// A domain and pipeline configuration for the simulated device:
/// queue 0 atomic, queue 1 ordered, `workers` LDB ports per stage, DIR
/// ports 0 (producer) and 1 (consumer).
pub fn sim_config(workers: u8, events: u64, flows: u16) -> (DomainConfig, PipelineConfig) {
    let depth = 64;
    let mut ldb_ports = Vec::new();
    for i in 0..workers * 2 {
        ldb_ports.push(LdbPortConfig {
            id: i,
            cq_depth: depth,
            depth_threshold: 1,
            hl_size: depth,
            links: vec![(if i < workers { 0 } else { 1 }, 0)],
        });
    }
    let dom = DomainConfig {
        ldb_credits: 2048,
        dir_credits: 1024,
        queues: vec![
            QueueConfig {
                id: 0,
                atomic_inflights: 1024,
                ..QueueConfig::default()
            },
            QueueConfig {
                id: 1,
                sn_count: 1024,
                ..QueueConfig::default()
            },
        ],
        ldb_ports,
        dir_ports: vec![
            DirPortConfig {
                id: 0,
                cq_depth: 8,
                depth_threshold: 0,
            },
            DirPortConfig {
                id: 1,
                cq_depth: 256,
                depth_threshold: 0,
            },
        ],
    };
    let pc = PipelineConfig {
        events,
        flows,
        atomic_queue: 0,
        ordered_queue: 1,
        atomic_ports: (0..workers).collect(),
        ordered_ports: (workers..workers * 2).collect(),
        producer: 0,
        consumer: 1,
        new_event_floor: depth * workers as u32 * 2 + 64,
    };
    (dom, pc)
}

/// Forwards all of `evs`, retrying while credits or ring room lack.
fn forward_all(port: &mut Port, evs: &[Event], stop: &AtomicBool) -> io::Result<()> {
    let mut done = 0;
    while done < evs.len() {
        match port.forward_burst(&evs[done..]) {
            Ok(n) => done += n,
            Err(e)
                if e.raw_os_error() == Some(libc::ENOSPC)
                    || e.kind() == io::ErrorKind::WouldBlock =>
            {
                if stop.load(Ordering::Acquire) {
                    return Err(e);
                }
                std::thread::yield_now();
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn seq_of(data: u64) -> u32 {
    data as u32
}

/// The producer: `cfg.events` events of `flows` flows, in sequence per
/// flow, to the atomic queue. Returns how many it sent, by priority.
fn produce(
    cfg: &PipelineConfig,
    flows: usize,
    producer: &mut Port,
    stop: &AtomicBool,
) -> io::Result<[u64; 8]> {
    let mut by_prio = [0u64; 8];
    let mut seq = vec![0u32; flows];
    let mut sent = 0u64;
    let mut batch = Vec::with_capacity(32);
    while sent < cfg.events && !stop.load(Ordering::Acquire) {
        batch.clear();
        for i in 0..(cfg.events - sent).min(32) {
            let f = ((sent + i) % flows as u64) as usize;
            batch.push(Event {
                data: ((f as u64) << 32) | seq[f] as u64,
                queue: cfg.atomic_queue,
                sched: SchedType::Atomic,
                flow: f as u16,
                ..Event::default()
            });
            seq[f] += 1;
        }
        let mut done = 0;
        while done < batch.len() {
            match producer.enqueue_burst(&batch[done..]) {
                Ok(n) => done += n,
                Err(e)
                    if e.raw_os_error() == Some(libc::ENOSPC)
                        || e.kind() == io::ErrorKind::WouldBlock =>
                {
                    if stop.load(Ordering::Acquire) {
                        tally(&mut by_prio, &batch[..done]);
                        return Ok(by_prio);
                    }
                    std::thread::yield_now();
                }
                Err(e) => return Err(e),
            }
        }
        tally(&mut by_prio, &batch);
        sent += batch.len() as u64;
    }
    Ok(by_prio)
}

/// Adds `sent` (by priority) to what queue `to` got.
fn add_sent(queues: &mut BTreeMap<Target, [u64; 8]>, to: Target, sent: &[u64; 8]) {
    for (total, n) in queues.entry(to).or_default().iter_mut().zip(sent) {
        *total += n;
    }
}

/// Runs the pipeline with ports from `attach`.
pub fn run<A>(cfg: &PipelineConfig, attach: A) -> io::Result<PipelineReport>
where
    A: Fn(PortType, u8, PortConfig) -> io::Result<Port> + Sync,
{
    run_with_dump(cfg, attach, String::new)
}

/// Runs the pipeline with ports from `attach`; if it stalls (no event
/// for 10 s), the error tells the state of every port as its thread
/// stopped and what `device_dump` (called at the stall, before the
/// threads stop) says of the device ([`crate::sim::SimDevice::dump`]).
pub fn run_with_dump<A, D>(
    cfg: &PipelineConfig,
    attach: A,
    device_dump: D,
) -> io::Result<PipelineReport>
where
    A: Fn(PortType, u8, PortConfig) -> io::Result<Port> + Sync,
    D: Fn() -> String,
{
    let states: Mutex<Vec<PortState>> = Mutex::new(Vec::new());
    let save = |p: &Port| {
        states
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(p.state())
    };
    let flows = cfg.flows.max(1) as usize;
    let busy: Vec<AtomicU32> = (0..flows).map(|_| AtomicU32::new(0)).collect();
    let atomic_violations = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let pcfg = PortConfig::default();
    let mut producer = attach(
        PortType::Dir,
        cfg.producer,
        PortConfig {
            new_event_floor: cfg.new_event_floor,
            ..pcfg
        },
    )?;
    let mut consumer = attach(PortType::Dir, cfg.consumer, pcfg)?;
    let mut aports = Vec::new();
    for &p in &cfg.atomic_ports {
        aports.push(attach(PortType::Ldb, p, pcfg)?);
    }
    let mut oports = Vec::new();
    for &p in &cfg.ordered_ports {
        oports.push(attach(PortType::Ldb, p, pcfg)?);
    }
    let start = Instant::now();
    let result = std::thread::scope(|s| -> io::Result<PipelineReport> {
        let (busy, av, stop, save) = (&busy, &atomic_violations, &stop, &save);
        let mut workers = Vec::new();
        for mut port in aports {
            let oq = cfg.ordered_queue;
            workers.push((
                true,
                s.spawn(move || -> io::Result<(u64, [u64; 8])> {
                    let mut buf = [Event::default(); 32];
                    let mut count = 0u64;
                    let mut sent = [0u64; 8];
                    let r = (|| -> io::Result<()> {
                        while !stop.load(Ordering::Acquire) {
                            let n = port.dequeue_burst(
                                &mut buf,
                                Timeout::After(Duration::from_millis(10)),
                            )?;
                            for ev in &mut buf[..n] {
                                let f = &busy[ev.flow as usize % busy.len()];
                                if f.fetch_add(1, Ordering::AcqRel) != 0 {
                                    av.fetch_add(1, Ordering::Relaxed);
                                }
                                for _ in 0..16 {
                                    core::hint::spin_loop();
                                }
                                f.fetch_sub(1, Ordering::AcqRel);
                                ev.queue = oq;
                                ev.sched = SchedType::Ordered;
                            }
                            count += n as u64;
                            forward_all(&mut port, &buf[..n], stop)?;
                            tally(&mut sent, &buf[..n]);
                        }
                        Ok(())
                    })();
                    save(&port);
                    r.map(|()| (count, sent))
                }),
            ));
        }
        for mut port in oports {
            let cons = cfg.consumer;
            workers.push((
                false,
                s.spawn(move || -> io::Result<(u64, [u64; 8])> {
                    let mut buf = [Event::default(); 32];
                    let mut count = 0u64;
                    let mut sent = [0u64; 8];
                    let mut rng = 0x9e37_79b9_u32 ^ port.id() as u32;
                    let r = (|| -> io::Result<()> {
                        while !stop.load(Ordering::Acquire) {
                            let n = port.dequeue_burst(
                                &mut buf,
                                Timeout::After(Duration::from_millis(10)),
                            )?;
                            for ev in &mut buf[..n] {
                                ev.queue = cons;
                                ev.sched = SchedType::Directed;
                            }
                            // Random small delays make the stages overtake each other.
                            rng ^= rng << 13;
                            rng ^= rng >> 17;
                            rng ^= rng << 5;
                            for _ in 0..(rng % 256) {
                                core::hint::spin_loop();
                            }
                            count += n as u64;
                            forward_all(&mut port, &buf[..n], stop)?;
                            tally(&mut sent, &buf[..n]);
                        }
                        Ok(())
                    })();
                    save(&port);
                    r.map(|()| (count, sent))
                }),
            ));
        }
        let prod = s.spawn(move || -> io::Result<[u64; 8]> {
            let r = produce(cfg, flows, &mut producer, stop);
            save(&producer);
            r
        });
        let mut next = vec![0u32; flows];
        let mut received = 0u64;
        let mut order_violations = 0u64;
        let mut buf = [Event::default(); 64];
        let mut idle = Instant::now();
        let mut err = None;
        let mut stalled = None;
        while received < cfg.events {
            match consumer.dequeue_burst(&mut buf, Timeout::After(Duration::from_millis(100))) {
                Ok(0) => {
                    if idle.elapsed() > Duration::from_secs(10) {
                        stalled = Some((received, device_dump()));
                        break;
                    }
                }
                Ok(n) => {
                    idle = Instant::now();
                    for ev in &buf[..n] {
                        let f = (ev.data >> 32) as usize % flows;
                        if seq_of(ev.data) != next[f] {
                            order_violations += 1;
                        }
                        next[f] = seq_of(ev.data).wrapping_add(1);
                    }
                    received += n as u64;
                }
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
        }
        let elapsed = start.elapsed();
        stop.store(true, Ordering::Release);
        save(&consumer);
        let mut report = PipelineReport {
            received,
            elapsed,
            order_violations,
            ..PipelineReport::default()
        };
        let produced = prod.join().unwrap_or(Ok([0; 8]));
        for (atomic, w) in workers {
            let (c, sent) = w.join().ok().and_then(Result::ok).unwrap_or_default();
            let to = if atomic {
                report.atomic_counts.push(c);
                Target {
                    kind: PortType::Ldb,
                    id: cfg.ordered_queue,
                }
            } else {
                report.ordered_counts.push(c);
                Target {
                    kind: PortType::Dir,
                    id: cfg.consumer,
                }
            };
            add_sent(&mut report.queues, to, &sent);
        }
        report.ports = states.lock().unwrap_or_else(|e| e.into_inner()).clone();
        report.ports.sort_by_key(|p| (p.kind, p.id));
        if let Some((received, dev)) = stalled {
            let mut msg = format!("pipeline stalled after {received} events\n");
            for p in &report.ports {
                msg.push_str(&format!("  {p:?}\n"));
            }
            msg.push_str(&dev);
            return Err(io::Error::new(io::ErrorKind::TimedOut, msg));
        }
        if let Some(e) = err {
            return Err(e);
        }
        let atomic_queue = Target {
            kind: PortType::Ldb,
            id: cfg.atomic_queue,
        };
        add_sent(&mut report.queues, atomic_queue, &produced?);
        Ok(report)
    })?;
    Ok(PipelineReport {
        atomic_violations: atomic_violations.load(Ordering::Relaxed),
        ..result
    })
}

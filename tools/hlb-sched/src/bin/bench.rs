// SPDX-License-Identifier: GPL-2.0

//! Per-event cost of the HLB scheduling core against DPDK's software event
//! device, one thread each, as `../shared/BENCHMARKS.md` asks.
//!
//! Loop (both sides): a producer port enqueues a burst of NEW events on one
//! queue (atomic, ordered or unordered/parallel) with flow ids cycling
//! over `--flows`; one scheduling pass runs; each of `--workers` worker
//! ports dequeues up to a burst and completes (releases) what it got. Our
//! side goes through the real byte formats, in bursts as event_sw's
//! enqueue and dequeue: the producer encodes a burst of QEs into a window
//! buffer and the device decodes each as it takes the burst
//! (`Domain::submit_burst`); each CQ entry is written into a memory ring
//! and copied out by the consumer's generation-bit check
//! (`MemCqs::pop_burst`); the completions are COMPLETE QEs with the token
//! bit, taken as one burst.
//!
//! With `--dpdk PATH` (the `event_sw_bench` program built from
//! `bench/event_sw_bench.c`), runs alternate ours / DPDK's `--reps` times
//! per queue type and the table shows medians, their ratio, and the
//! spread of each side ((max - min) / median over the runs: the machines
//! are shared).
//!
//! Time is the CPU time of the thread running the loop (both sides): the
//! machines are shared, and wall time would count other processes.
//!
//! With `--eventdev PATH` (Debian's `dpdk-test-eventdev`, package
//! `dpdk-dev`), the table also shows what DPDK's own test application
//! reports for event_sw (`--vdev=event_sw0`, tests `perf_queue` and
//! `perf_atq`, no hugepages), one run per queue type and test, and our
//! ratio to it. That application runs a producer, a worker and the
//! scheduler service on lcores of their own that busy-poll; on a 2-CPU
//! machine they time-share (main and service lcores on CPU 0, producer and
//! worker on CPU 1), so its figure is wall-clock throughput of a
//! time-shared pipeline, not the per-core cost the other columns compare.
//!
//! Usage: hlb-sched-bench [--events N] [--reps R] [--flows F]
//!        [--workers W] [--burst B] [--dpdk PATH]
//!        [--eventdev PATH] [--eventdev-pkts N]
//!        [--only atomic|ordered|unordered]

use std::process::Command;

use hlb_sched::{
    DirPortConfig, Domain, DomainConfig, LdbPortConfig, MemCqs, PortId, Qe, QeCommand, QueueConfig,
    SchedType, QE_SIZE,
};

#[derive(Clone, Debug)]
struct Opts {
    events: u64,
    reps: usize,
    flows: u32,
    workers: u8,
    burst: u32,
    dpdk: Option<String>,
    eventdev: Option<String>,
    eventdev_pkts: u64,
    only: Option<String>,
}

fn parse() -> Result<Opts, String> {
    let mut o = Opts {
        events: 2_000_000,
        reps: 5,
        flows: 1024,
        workers: 4,
        burst: 32,
        dpdk: None,
        eventdev: None,
        eventdev_pkts: 1_000_000,
        only: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or(format!("{a} needs a value"));
        let num = |v: String| v.parse::<u64>().map_err(|e| format!("{a}: {e}"));
        match a.as_str() {
            "--events" => o.events = num(val()?)?,
            "--reps" => o.reps = num(val()?)? as usize,
            "--flows" => o.flows = num(val()?)? as u32,
            "--workers" => o.workers = num(val()?)? as u8,
            "--burst" => o.burst = num(val()?)? as u32,
            "--dpdk" => o.dpdk = Some(val()?),
            "--eventdev" => o.eventdev = Some(val()?),
            "--eventdev-pkts" => o.eventdev_pkts = num(val()?)?,
            "--only" => o.only = Some(val()?),
            _ => return Err(format!("unknown argument {a}")),
        }
    }
    if o.workers == 0 || o.workers > 16 || o.burst == 0 || o.burst > 128 || o.flows == 0 {
        return Err("need 1..=16 workers, burst 1..=128, flows >= 1".into());
    }
    Ok(o)
}

/// One queue of `sched` type, `workers` LDB ports linked to it (CQ depth
/// and history list 128, like event_sw's dequeue depth), one DIR port as
/// producer, 4096 credits (event_sw's events limit).
fn domain(sched: SchedType, workers: u8) -> Domain {
    let cfg = DomainConfig {
        ldb_credits: 4096,
        dir_credits: 64,
        queues: vec![QueueConfig {
            id: 0,
            inflight_limit: 0,
            atomic_inflights: if sched == SchedType::Atomic { 2048 } else { 0 },
            sn_count: if sched == SchedType::Ordered { 1024 } else { 0 },
            lock_id_comp: 1024,
            depth_threshold: 0,
        }],
        ldb_ports: (0..workers)
            .map(|p| LdbPortConfig {
                id: p,
                cq_depth: 128,
                depth_threshold: 0,
                hl_size: 128,
                links: vec![(0, 0)],
            })
            .collect(),
        dir_ports: vec![DirPortConfig {
            id: 0,
            cq_depth: 8,
            depth_threshold: 0,
        }],
    };
    Domain::new(&cfg).expect("benchmark configuration is valid")
}

/// Our loop; returns events per second.
fn ours(sched: SchedType, o: &Opts) -> f64 {
    let mut d = domain(sched, o.workers);
    let mut cqs = MemCqs::new(d.cq_depths());
    let producer = d.port_index(PortId::Dir(0)).unwrap();
    let workers: Vec<usize> = (0..o.workers)
        .map(|p| d.port_index(PortId::Ldb(p)).unwrap())
        .collect();
    let complete = Qe {
        cmd: QeCommand::Complete as u8,
        token: true,
        ..Qe::default()
    }
    .to_bytes();
    let burst = o.burst as usize;
    // The producer's window (a burst of QEs as it writes them), a
    // worker's dequeue buffer (CQ entries as read from its ring) and its
    // window for the completions.
    let mut window = vec![[0u8; QE_SIZE]; burst];
    let mut got = vec![[0u8; QE_SIZE]; burst];
    let mut completions = vec![[0u8; QE_SIZE]; burst];
    let (mut sent, mut done) = (0u64, 0u64);
    let t0 = thread_cpu_seconds();
    while done < o.events {
        for (i, slot) in (0u64..).zip(window.iter_mut()) {
            *slot = Qe {
                data: sent + i,
                opaque: 0,
                queue: 0,
                sched: sched as u8,
                priority: 0,
                flow: ((sent + i) % u64::from(o.flows)) as u16,
                cmd: QeCommand::New as u8,
                token: false,
            }
            .to_bytes();
        }
        sent += d.submit_burst(producer, std::hint::black_box(&window), |_, _| {}) as u64;
        d.schedule(&mut cqs);
        for &w in &workers {
            let n = cqs.pop_burst(w, &mut got);
            for (e, c) in got[..n].iter().zip(completions.iter_mut()) {
                std::hint::black_box(u64::from_le_bytes(e[..8].try_into().unwrap()));
                *c = complete;
            }
            let ok = d.submit_burst(w, std::hint::black_box(&completions[..n]), |_, code| {
                panic!("completion refused: {code:?}")
            });
            debug_assert_eq!(ok, n);
            done += n as u64;
        }
    }
    done as f64 / (thread_cpu_seconds() - t0)
}

/// CPU time consumed by the calling thread.
fn thread_cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// DPDK's loop in the `event_sw_bench` program; returns events per second.
fn dpdk(path: &str, kind: &str, o: &Opts) -> Result<f64, String> {
    let out = Command::new(path)
        .args([
            kind,
            &o.events.to_string(),
            &o.flows.to_string(),
            &o.workers.to_string(),
            &o.burst.to_string(),
        ])
        .output()
        .map_err(|e| format!("{path}: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with(kind)).ok_or_else(|| {
        format!(
            "{path} {kind}: no result ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )
    })?;
    line.split_whitespace()
        .nth(3)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("{path}: cannot parse {line:?}"))
}

/// `dpdk-test-eventdev` (`test` perf_queue or perf_atq, `stype` a, o or p)
/// on event_sw without hugepages; returns the average events per second it
/// reports, or `None` if it does not support the test on event_sw
/// (`perf_atq` needs all-types queues, which event_sw does not have).
fn eventdev(path: &str, test: &str, stype: &str, o: &Opts) -> Result<Option<f64>, String> {
    let out = Command::new("timeout")
        .args([
            "300",
            path,
            "--no-huge",
            "-m",
            "512",
            "--no-pci",
            "--vdev=event_sw0",
            // lcore@CPU: main 0 and service 3 on CPU 0, producer 1 and
            // worker 2 on CPU 1.
            "--lcores=0@0,1@1,2@1,3@0",
            "-S",
            "3",
            "--log-level=error",
            "--",
            &format!("--test={test}"),
            "--plcores=1",
            "--wlcores=2",
            &format!("--stlist={stype}"),
            &format!("--nb_flows={}", o.flows),
            &format!("--nb_pkts={}", o.eventdev_pkts),
            &format!("--prod_enq_burst_sz={}", o.burst),
        ])
        .output()
        .map_err(|e| format!("{path}: {e}"))?;
    // Strip colour escapes; the last "avg X mpps" is the run's average.
    let mut text = String::new();
    let mut esc = false;
    for c in String::from_utf8_lossy(&out.stdout).chars() {
        match (esc, c) {
            (false, '\x1b') => esc = true,
            (true, 'm') => esc = false,
            (true, _) => {}
            (false, c) => text.push(c),
        }
    }
    if text.contains("Result: Unsupported") {
        return Ok(None);
    }
    if !text.contains("Result: Success") {
        return Err(format!(
            "{path} {test} {stype}: no success ({})",
            out.status
        ));
    }
    let avg = text
        .rsplit("avg ")
        .next()
        .and_then(|t| t.split_whitespace().next())
        .and_then(|v| v.parse::<f64>().ok())
        .ok_or_else(|| format!("{path} {test} {stype}: no average in its output"))?;
    Ok(Some(avg * 1e6))
}

/// (max - min) / median of `v` (sorted by [`median`]), as a percentage.
fn spread(v: &[f64], median: f64) -> String {
    match (v.first(), v.last()) {
        (Some(lo), Some(hi)) if median > 0.0 => format!("{:.0}%", (hi - lo) / median * 100.0),
        _ => "-".into(),
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let o = match parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("hlb-sched-bench: {e}");
            std::process::exit(2);
        }
    };
    println!(
        "# one thread, thread CPU time; {} events per run, {} flows, 1 queue, 1 producer + {} worker ports, burst {}, \
         CQ/dequeue depth 128, 4096 credits/events; medians of {} runs, ours and event_sw alternating",
        o.events, o.flows, o.workers, o.burst, o.reps
    );
    if let Some(p) = &o.eventdev {
        println!(
            "# dpdk-test-eventdev ({p}): --vdev=event_sw0 --no-huge, {} events per run, one run per type and test, \
             producer+worker lcores time-shared on CPU 1, main+service on CPU 0: wall-clock throughput",
            o.eventdev_pkts
        );
    }
    println!(
        "{:<10} {:>14} {:>7} {:>14} {:>7} {:>8} {:>14} {:>14} {:>10}",
        "queue",
        "hlb-sched ev/s",
        "spread",
        "event_sw ev/s",
        "spread",
        "ratio",
        "perf_queue",
        "perf_atq",
        "ratio(tq)"
    );
    let mut failed = false;
    for (sched, kind, stype) in [
        (SchedType::Atomic, "atomic", "a"),
        (SchedType::Ordered, "ordered", "o"),
        (SchedType::Unordered, "parallel", "p"),
    ] {
        let name = if kind == "parallel" {
            "unordered"
        } else {
            kind
        };
        if o.only.as_deref().is_some_and(|t| t != name) {
            continue;
        }
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for _ in 0..o.reps.max(1) {
            a.push(ours(sched, &o));
            if let Some(p) = &o.dpdk {
                match dpdk(p, kind, &o) {
                    Ok(v) => b.push(v),
                    Err(e) => {
                        eprintln!("hlb-sched-bench: {e}");
                        failed = true;
                    }
                }
            }
        }
        let ma = median(&mut a);
        let sa = spread(&a, ma);
        let (mb, sb, ratio) = if b.is_empty() {
            ("-".to_string(), "-".to_string(), "-".to_string())
        } else {
            let mb = median(&mut b);
            (
                format!("{mb:.0}"),
                spread(&b, mb),
                format!("{:.2}x", ma / mb),
            )
        };
        let mut td = ["-".to_string(), "-".to_string(), "-".to_string()];
        if let Some(p) = &o.eventdev {
            for (i, test) in ["perf_queue", "perf_atq"].into_iter().enumerate() {
                match eventdev(p, test, stype, &o) {
                    Ok(Some(v)) => {
                        td[i] = format!("{v:.0}");
                        if i == 0 {
                            td[2] = format!("{:.0}x", ma / v);
                        }
                    }
                    Ok(None) => td[i] = "unsupported".into(),
                    Err(e) => {
                        eprintln!("hlb-sched-bench: {e}");
                        failed = true;
                    }
                }
            }
        }
        println!(
            "{name:<10} {ma:>14.0} {sa:>7} {mb:>14} {sb:>7} {ratio:>8} {:>14} {:>14} {:>10}",
            td[0], td[1], td[2]
        );
    }
    if failed {
        std::process::exit(1);
    }
}

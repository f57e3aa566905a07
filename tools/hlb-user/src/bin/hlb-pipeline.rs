// SPDX-License-Identifier: GPL-2.0

//! hlb-pipeline: producer -> atomic stage -> ordered stage -> consumer,
//! checking atomicity and order and reporting events/s.
//!
//! ```text
//! hlb-pipeline --sim [--workers N] [--events N] [--flows N] [--counts FILE]
//! hlb-pipeline --dev /dev/lbdx/<bdf>/<domain> --atomic-queue Q --ordered-queue Q
//!     --atomic-ports A,B --ordered-ports C,D --producer P --consumer C
//!     [--events N] [--flows N] [--floor CREDITS] [--counts FILE] [--reset-stats]
//!     [--relink-ms MS]
//! hlb-pipeline --bdf <bdf> --domain <name> ... (device path and names
//!     looked up in configfs: queues and ports given by configfs name)
//! ```
//! Exit status 0 if every event arrived with no violation.
//!
//! `--counts FILE` (`-`: standard output, after the summary line) writes
//! what each port sent and took and what each queue got by priority, one
//! `<file> <value>` line each, `<file>` the driver's statistics file of
//! that count below `/sys/class/lbdx_hlb/<bdf>:<domain>/`
//! ([`PipelineReport::counts`]): `ldb_port3/enqueued 10021`,
//! `dir_queue1/enqueued_prio0 20000`. `--reset-stats` resets the domain's
//! counters before the run (a write to its `stats/reset`), so that they
//! count this run alone.
//!
//! `--relink-ms MS` (HLB 1.5, links at run time): while the pipeline
//! runs, the last worker of each stage is unlinked from its stage's queue
//! and linked again, MS milliseconds apart, through the library's LINK
//! and UNLINK ([`hlb_user::relink`]); the summary line says how many
//! calls were made, refused, and found the unlink pending, and a refused
//! one fails the run.

use std::io;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use hlb_user::args::{ids, Args};
use hlb_user::configfs::{self, Kind};
use hlb_user::pipeline::{self, PipelineConfig, PipelineReport};
use hlb_user::relink::{relink_until, RelinkReport};
use hlb_user::sim::SimDevice;
use hlb_user::xstats::XstatsMode;
use hlb_user::Domain;

/// An id given as a number, or as a configfs name of the domain.
fn id(a: &Args, opt: &str, kind: Kind) -> io::Result<u8> {
    let v = a.req(opt)?;
    if let Ok(n) = v.parse() {
        return Ok(n);
    }
    configfs::id(a.req("--bdf")?, a.req("--domain")?, kind, v)
}

fn id_list(a: &Args, opt: &str, kind: Kind) -> io::Result<Vec<u8>> {
    let v = a.req(opt)?;
    if let Ok(l) = ids(v) {
        return Ok(l);
    }
    v.split(',')
        .map(|n| configfs::id(a.req("--bdf")?, a.req("--domain")?, kind, n))
        .collect()
}

/// The pipeline's report, and the relinker's with `--relink-ms`.
fn run(a: &Args) -> io::Result<(PipelineReport, Option<RelinkReport>)> {
    let events = a.num("--events", 100_000u64)?;
    let flows = a.num("--flows", 1024u16)?;
    if a.flag("--sim") {
        if a.flag("--reset-stats") {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "--reset-stats: the simulated device has no statistics",
            ));
        }
        let (dom, pc) = pipeline::sim_config(a.num("--workers", 4u8)?, events, flows);
        let dev = SimDevice::new(&dom)?;
        let _run = dev.run();
        let r = pipeline::run_with_dump(&pc, |k, i, c| dev.attach_with(k, i, c), || dev.dump());
        return Ok((r?, None));
    }
    let path = match a.value("--dev") {
        Some(p) => p.into(),
        None => configfs::dev_path(a.req("--bdf")?, a.req("--domain")?),
    };
    let dom = Domain::open(&path)?;
    if a.flag("--reset-stats") {
        dom.xstats()?.reset(XstatsMode::Device, None, None)?;
    }
    let atomic_ports = id_list(a, "--atomic-ports", Kind::LdbPort)?;
    let ordered_ports = id_list(a, "--ordered-ports", Kind::LdbPort)?;
    let cq_sum = 64 * (atomic_ports.len() + ordered_ports.len()) as u32;
    let pc = PipelineConfig {
        events,
        flows,
        atomic_queue: id(a, "--atomic-queue", Kind::Queue)?,
        ordered_queue: id(a, "--ordered-queue", Kind::Queue)?,
        atomic_ports,
        ordered_ports,
        producer: id(a, "--producer", Kind::DirPort)?,
        consumer: id(a, "--consumer", Kind::DirPort)?,
        new_event_floor: a.num("--floor", cq_sum + 64)?,
    };
    let Some(ms) = a.value("--relink-ms") else {
        return Ok((
            pipeline::run(&pc, |k, i, c| dom.attach_with(k, i, c))?,
            None,
        ));
    };
    let period = Duration::from_millis(ms.parse().map_err(|_| bad_arg("--relink-ms"))?);
    let last = |ports: &[u8]| ports.last().copied().ok_or_else(|| bad_arg("no worker"));
    let links = [
        (last(&pc.atomic_ports)?, pc.atomic_queue),
        (last(&pc.ordered_ports)?, pc.ordered_queue),
    ];
    // Its own open of the domain, as another process of the application.
    let control = Domain::open(&path)?;
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let relinker = s.spawn(|| relink_until(&control, &links, period, &stop));
        let run = pipeline::run(&pc, |k, i, c| dom.attach_with(k, i, c));
        stop.store(true, Ordering::Release);
        let relinks = relinker.join().unwrap_or_default();
        Ok((run?, Some(relinks)))
    })
}

fn bad_arg(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, format!("bad {what}"))
}

/// Writes the report's counts where `--counts` says, if it does.
fn write_counts(a: &Args, r: &PipelineReport) -> io::Result<()> {
    if !a.flag("--counts") {
        return Ok(());
    }
    match a.req("--counts")? {
        "-" => {
            print!("{}", r.counts());
            Ok(())
        }
        file => std::fs::write(file, r.counts())
            .map_err(|e| io::Error::new(e.kind(), format!("--counts {file}: {e}"))),
    }
}

fn main() -> ExitCode {
    let a = Args::from_env(0);
    match run(&a) {
        Ok((r, relinks)) => {
            println!(
                "hlb-pipeline: {} events in {:.3} s: {:.0} events/s; atomic violations {}, order violations {}; atomic stage {:?}, ordered stage {:?}",
                r.received,
                r.elapsed.as_secs_f64(),
                r.rate(),
                r.atomic_violations,
                r.order_violations,
                r.atomic_counts,
                r.ordered_counts
            );
            let relinks_ok = relinks.as_ref().is_none_or(|l| {
                println!(
                    "hlb-pipeline: relinks: {} calls, {} refused, {} unlinks found pending{}",
                    l.calls,
                    l.failed,
                    l.pending_seen,
                    l.first_error
                        .as_ref()
                        .map_or(String::new(), |e| format!("; first refusal: {e}"))
                );
                l.failed == 0
            });
            if let Err(e) = write_counts(&a, &r) {
                eprintln!("hlb-pipeline: {e}");
                return ExitCode::FAILURE;
            }
            if r.atomic_violations == 0 && r.order_violations == 0 && relinks_ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("hlb-pipeline: {e}");
            ExitCode::FAILURE
        }
    }
}

// SPDX-License-Identifier: GPL-2.0

//! hlb-pipeline: producer -> atomic stage -> ordered stage -> consumer,
//! checking atomicity and order and reporting events/s.
//!
//! ```text
//! hlb-pipeline --sim [--workers N] [--events N] [--flows N]
//! hlb-pipeline --dev /dev/lbdx/<bdf>/<domain> --atomic-queue Q --ordered-queue Q
//!     --atomic-ports A,B --ordered-ports C,D --producer P --consumer C
//!     [--events N] [--flows N] [--floor CREDITS]
//! hlb-pipeline --bdf <bdf> --domain <name> ... (device path and names
//!     looked up in configfs: queues and ports given by configfs name)
//! ```
//! Exit status 0 if every event arrived with no violation.

use std::io;
use std::process::ExitCode;

use hlb_user::args::{ids, Args};
use hlb_user::configfs::{self, Kind};
use hlb_user::pipeline::{self, PipelineConfig, PipelineReport};
use hlb_user::sim::SimDevice;
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

fn run(a: &Args) -> io::Result<PipelineReport> {
    let events = a.num("--events", 100_000u64)?;
    let flows = a.num("--flows", 1024u16)?;
    if a.flag("--sim") {
        let (dom, pc) = pipeline::sim_config(a.num("--workers", 4u8)?, events, flows);
        let dev = SimDevice::new(&dom)?;
        let _run = dev.run();
        return pipeline::run_with_dump(&pc, |k, i, c| dev.attach_with(k, i, c), || dev.dump());
    }
    let path = match a.value("--dev") {
        Some(p) => p.into(),
        None => configfs::dev_path(a.req("--bdf")?, a.req("--domain")?),
    };
    let dom = Domain::open(&path)?;
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
    pipeline::run(&pc, |k, i, c| dom.attach_with(k, i, c))
}

fn main() -> ExitCode {
    let a = Args::from_env(0);
    match run(&a) {
        Ok(r) => {
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
            if r.atomic_violations == 0 && r.order_violations == 0 {
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

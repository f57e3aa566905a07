// SPDX-License-Identifier: GPL-2.0

//! `lbdx-devmodel`: serves HLB and DXE device models to QEMU over
//! vfio-user, or with `--describe` prints what each instance reports.
//!
//! Exit status: 0 on SIGTERM/SIGINT or after `--describe`, 1 if an
//! instance cannot start, 2 on bad arguments.

use std::process::ExitCode;

use devmodel::cli::{self, Command};
use devmodel::{describe, logging, serve};

/// Blocks SIGINT and SIGTERM in this thread (and the threads it spawns
/// later), so that [`wait_for_signal`] can take them synchronously.
fn block_signals() -> libc::sigset_t {
    // SAFETY: sigset_t is plain data; the calls only initialise and install
    // a signal mask for the calling thread.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        set
    }
}

fn wait_for_signal(set: &libc::sigset_t) -> i32 {
    let mut sig: libc::c_int = 0;
    // SAFETY: set was initialised by block_signals; sig is a valid out pointer.
    while unsafe { libc::sigwait(set, &mut sig) } != 0 {}
    sig
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (describe, devices) = match cli::parse(&args) {
        Ok(Command::Help) => {
            println!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Ok(Command::Run { describe, devices }) => (describe, devices),
        Err(e) => {
            eprintln!("lbdx-devmodel: {e}\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    if describe {
        for d in &devices {
            println!("{}", describe::line(d));
        }
        return ExitCode::SUCCESS;
    }

    logging::init();
    let signals = block_signals();
    let mut running = Vec::new();
    for d in &devices {
        match serve::start(d) {
            Ok(i) => running.push(i),
            Err(e) => {
                eprintln!("lbdx-devmodel: {}: cannot serve on {e}", d.name);
                running.iter().flat_map(|i| &i.sockets).for_each(|s| {
                    let _ = std::fs::remove_file(s);
                });
                return ExitCode::from(1);
            }
        }
    }
    let sig = wait_for_signal(&signals);
    log::info!("signal {sig}, exiting");
    for s in running.iter().flat_map(|i| &i.sockets) {
        let _ = std::fs::remove_file(s);
    }
    ExitCode::SUCCESS
}

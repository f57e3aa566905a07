// SPDX-License-Identifier: GPL-2.0

//! The DXE worker thread: takes jobs from the core, executes them without
//! holding the device lock, paces them to the configured rate and
//! completes them. A job occupies the engine for its bytes at the rate from
//! the moment it starts: the model's own copy is part of that interval, not
//! added to it, and the thread's timer slack is cut to 1 us so that a paced
//! sleep ends when the job is due (the default 50 us would add that much
//! to every job). A stalled job (`stall-len`) stays in progress until a
//! reset: at once for a device reset, at its end for a delayed channel
//! reset (then the job writes its destination late, see
//! [`super::DxeCore::abandon_late`]).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::core::{Job, Work};
use super::engine;
use super::pacing::Pacer;
use super::Shared;
use crate::sync::{lock, wait_timeout};

/// Longest uninterrupted sleep, so stop requests and resets are noticed.
const SLICE: Duration = Duration::from_millis(20);

/// Starts the worker of device `name`.
pub(crate) fn spawn(name: &str, shared: Arc<Shared>, rate: u64) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name(format!("{name}-dxe"))
        .spawn(move || {
            precise_sleeps();
            run(&shared, rate)
        })
}

/// Timer slack of the worker's paced sleeps, in nanoseconds.
const TIMER_SLACK_NS: libc::c_ulong = 1000;

/// Cuts the calling thread's timer slack to [`TIMER_SLACK_NS`]; if the
/// kernel refuses, sleeps end up to the default 50 us late, which only
/// slows the model.
fn precise_sleeps() {
    // SAFETY: PR_SET_TIMERSLACK takes an integer and changes only the
    // calling thread's timer slack; no memory is passed.
    let _ = unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, TIMER_SLACK_NS) };
}

fn stopped(shared: &Shared) -> bool {
    shared.stop.load(Ordering::Acquire)
}

/// Waits for the next job; `None` when asked to stop.
fn next_job(shared: &Shared) -> Option<Job> {
    let mut core = lock(&shared.core);
    loop {
        if stopped(shared) {
            return None;
        }
        core.settle(Instant::now());
        if let Some(job) = core.next_job(&*shared.mem, &*shared.irq) {
            return Some(job);
        }
        core = wait_timeout(&shared.wake, core, Duration::from_millis(200));
    }
}

/// Sleeps until `until`; `false` if the job became stale meanwhile.
fn pace(shared: &Shared, job: &Job, until: Instant) -> bool {
    loop {
        if stopped(shared) {
            return false;
        }
        let now = Instant::now();
        if now >= until {
            return true;
        }
        std::thread::sleep((until - now).min(SLICE));
        if lock(&shared.core).generation(job.chan) != Some(job.generation) {
            return false;
        }
    }
}

/// Moves the data of a valid descriptor, holding `dma` so that a reset
/// waits for it; `None` if a reset abandoned the job before it started.
fn execute(shared: &Shared, job: &Job, v: &engine::Valid) -> Option<engine::Outcome> {
    let _dma = lock(&shared.dma);
    let core = lock(&shared.core);
    if core.is_hung() || core.generation(job.chan) != Some(job.generation) {
        return None;
    }
    drop(core);
    Some(engine::execute(&*shared.mem, v))
}

/// Holds a stalled job in progress until a reset takes it away.
fn stall(shared: &Shared, job: &Job) {
    while !stopped(shared) {
        std::thread::sleep(SLICE);
        let _dma = lock(&shared.dma);
        let mut core = lock(&shared.core);
        if core.generation(job.chan) != Some(job.generation) {
            core.drop_job(job);
            return;
        }
        let now = Instant::now();
        if core.reset_due(job.chan, now) {
            core.abandon_late(job, &*shared.mem, now);
            return;
        }
    }
}

fn run(shared: &Shared, rate: u64) {
    let mut pacer = Pacer::new(rate);
    while let Some(job) = next_job(shared) {
        let started = Instant::now();
        let outcome = match job.work {
            Work::Done(o) => o,
            Work::Execute(v) => match execute(shared, &job, &v) {
                Some(o) => o,
                None => {
                    lock(&shared.core).drop_job(&job);
                    continue;
                }
            },
            Work::Stall(_) => {
                stall(shared, &job);
                continue;
            }
        };
        let until = pacer.account(started, u64::from(outcome.bytes));
        if !pace(shared, &job, until) {
            pacer.reset();
            lock(&shared.core).drop_job(&job);
            continue;
        }
        lock(&shared.core).finish(&job, &outcome, &*shared.mem, &*shared.irq);
    }
}

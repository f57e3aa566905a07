// SPDX-License-Identifier: GPL-2.0

//! `reclaim`: one worker process of several dies with `kill -9` in the
//! middle of traffic, and the domain goes on.
//!
//! A producer thread sends `EVENTS` atomic events of `FLOWS` flows (the
//! flow's sequence number in the low half of `data`) to the atomic queue;
//! four workers, one per LDB port (three processes, plus a thread of this
//! one on the fourth port), each linked to both queues, forward what comes
//! from the atomic queue to the ordered queue and what comes from the
//! ordered queue to a directed consumer thread, which checks that every
//! flow arrives in sequence (the atomic stage keeps a flow's order, the
//! ordered stage restores it). Each worker marks the atomic flows it holds
//! in shared memory, so a flow on two workers at once is seen. When a quarter of the events arrived, the second worker is
//! killed; a process waiting for that attaches the dead one's port and
//! takes its place. The driver takes the port back when the dead process's
//! files are released: the events it held are dropped (its atomic flows
//! released, its ordered sequence numbers done, so neither stage stalls),
//! its credits returned. At the end: received + dropped (the
//! domain's `reclaim_dropped`) = sent, no atomicity or order violation,
//! the replacement did work, and once every port is given back the credit
//! page and the device's pools hold the reservation again.

use super::*;
use hlb_user::PortConfig;

const EVENTS: u64 = 20_000;
const FLOWS: usize = 64;
/// Worker slots: 1..=4 the workers on ldb[0..4], 5 the replacement.
const SLOTS: usize = 6;
/// LDB credits the producer leaves for forwards (see `hlb_dp_lib.sh`: 1024
/// credits, four CQs of 64, 64 sequence numbers).
const NEW_EVENT_FLOOR: u32 = 512;
/// The worker that is killed, and the port it dies on.
const VICTIM: usize = 2;

// Shared-counter layout.
const STOP: usize = 0;
const VIOLATIONS: usize = 1;
const GO_REPLACEMENT: usize = 2;
const DYING: usize = 3; // + slot
const PROCESSED: usize = DYING + SLOTS; // + slot
const OWNER: usize = PROCESSED + SLOTS; // + flow
const COUNTERS: usize = OWNER + FLOWS;

fn flow_ev(queue: u8, flow: u16, seq: u64, sched: SchedType) -> Event {
    Event {
        data: (u64::from(flow) << 32) | seq,
        queue,
        sched,
        flow,
        ..Event::default()
    }
}

/// Attaches LDB port `id`, retrying while it is still held (a dead
/// process's port is free once the driver took it back).
fn attach_retry(d: &Domain, id: u8) -> Result<Port, String> {
    let t = Instant::now();
    loop {
        match d.attach(PortType::Ldb, id) {
            Ok(p) => return Ok(p),
            Err(err)
                if err.raw_os_error() == Some(libc::EBUSY)
                    && t.elapsed() < Duration::from_secs(5) =>
            {
                std::thread::sleep(Duration::from_millis(10))
            }
            Err(err) => return Err(format!("attach ldb {id}: {err}")),
        }
    }
}

/// One worker in slot `me` on LDB port `port`, until STOP.
fn work(sh: &SharedCounters, c: &Ctx, port: u8, me: usize) -> R {
    let d = open(c)?;
    let mut p = attach_retry(&d, port)?;
    let mut buf = [Event::default(); 16];
    while sh.get(STOP).load(Ordering::Acquire) == 0 {
        let n = p
            .dequeue_burst(&mut buf, Timeout::After(Duration::from_millis(20)))
            .map_err(e("dequeue"))?;
        let burst = &buf[..n];
        for ev in burst.iter().filter(|ev| ev.queue == c.aq) {
            let prev = sh
                .get(OWNER + ev.flow as usize % FLOWS)
                .swap(me as u64, Ordering::AcqRel);
            let prev = prev as usize;
            if prev != 0 && prev != me && sh.get(DYING + prev).load(Ordering::Acquire) == 0 {
                sh.get(VIOLATIONS).fetch_add(1, Ordering::Relaxed);
            }
        }
        for (i, ev) in burst.iter().enumerate() {
            let atomic = ev.queue == c.aq;
            if atomic
                && !burst[i + 1..]
                    .iter()
                    .any(|x| x.flow == ev.flow && x.queue == c.aq)
            {
                // The flow's last event in hand: it may go elsewhere once
                // this one is forwarded.
                let _ = sh.get(OWNER + ev.flow as usize % FLOWS).compare_exchange(
                    me as u64,
                    0,
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                );
            }
            let fwd = if atomic {
                Event {
                    queue: c.oq,
                    sched: SchedType::Ordered,
                    ..*ev
                }
            } else {
                Event {
                    queue: c.dir[1],
                    sched: SchedType::Directed,
                    ..*ev
                }
            };
            send_with(&mut p, &fwd, true)?;
        }
        sh.get(PROCESSED + me)
            .fetch_add(n as u64, Ordering::Relaxed);
    }
    Ok(())
}

/// Sends one event (`forward`: FORWARD, else NEW), waiting out a short
/// credit or ring shortage.
fn send_with(p: &mut Port, ev: &Event, forward: bool) -> R {
    let t = Instant::now();
    loop {
        let r = if forward {
            p.forward_burst(core::slice::from_ref(ev))
        } else {
            p.enqueue_burst(core::slice::from_ref(ev))
        };
        match r {
            Ok(1) => return Ok(()),
            Ok(_) => {}
            Err(err)
                if (err.raw_os_error() == Some(libc::ENOSPC)
                    || err.kind() == io::ErrorKind::WouldBlock)
                    && t.elapsed() < Duration::from_secs(10) => {}
            Err(err) => return Err(format!("send: {err}")),
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// Forks a worker process for slot `me` on `port`; with `wait_go`, it
/// waits for GO_REPLACEMENT first. Exits 0 if the worker ended well.
fn spawn(sh: &SharedCounters, c: &Ctx, port: u8, me: usize, wait_go: bool) -> Result<i32, String> {
    // SAFETY: called while this process has one thread; the child runs
    // only this worker and then _exit()s.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(format!("fork: {}", io::Error::last_os_error()));
    }
    if pid == 0 {
        while wait_go && sh.get(GO_REPLACEMENT).load(Ordering::Acquire) == 0 {
            if sh.get(STOP).load(Ordering::Acquire) != 0 {
                // SAFETY: ends the child without the parent's atexit.
                unsafe { libc::_exit(1) };
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let code = match work(sh, c, port, me) {
            Ok(()) => 0,
            Err(msg) => {
                println!("# worker {me}: {msg}");
                1
            }
        };
        // SAFETY: as above.
        unsafe { libc::_exit(code) };
    }
    Ok(pid)
}

fn reap(pid: i32) -> i32 {
    let mut st = 0;
    // SAFETY: waits for our own child.
    unsafe { libc::waitpid(pid, &mut st, 0) };
    st
}

pub(super) fn reclaim(c: &Ctx) -> R {
    let sh = SharedCounters::new(COUNTERS).map_err(e("shared memory"))?;
    let base = |f| stat_of(&c.dev, f);
    let (reclaims0, dropped0, scheduled0) =
        (base("reclaims"), base("reclaim_dropped"), base("scheduled"));
    // Processes first, while this one has a single thread.
    let mut pids = Vec::new();
    for slot in 1..=3 {
        pids.push((slot, spawn(&sh, c, c.ldb[slot - 1], slot, false)?));
    }
    let replacement = spawn(&sh, c, c.ldb[VICTIM - 1], 5, true)?;
    let d = open(c)?;
    // The producer leaves room in the LDB pool for the forwards to the
    // ordered queue: what four CQs and the reorder buffer can hold.
    let floor = PortConfig {
        new_event_floor: NEW_EVENT_FLOOR,
        ..PortConfig::default()
    };
    let mut producer = d
        .attach_with(PortType::Dir, c.dir[0], floor)
        .map_err(e("attach producer"))?;
    let mut consumer = d
        .attach(PortType::Dir, c.dir[1])
        .map_err(e("attach consumer"))?;
    let received = AtomicU64::new(0);
    let order_violations = AtomicU64::new(0);
    let outcome = std::thread::scope(|s| -> R {
        let shr = &sh;
        let fourth = s.spawn(move || work(shr, c, c.ldb[3], 4));
        let prod = s.spawn(|| -> R {
            let mut seq = [0u64; FLOWS];
            for i in 0..EVENTS {
                let f = (i as usize) % FLOWS;
                seq[f] += 1;
                send_with(
                    &mut producer,
                    &flow_ev(c.aq, f as u16, seq[f], SchedType::Atomic),
                    false,
                )?;
            }
            Ok(())
        });
        let cons = s.spawn(|| -> R {
            let mut last = [0u64; FLOWS];
            let mut buf = [Event::default(); 32];
            let mut idle = Instant::now();
            while sh.get(STOP).load(Ordering::Acquire) == 0 {
                let n = consumer
                    .dequeue_burst(&mut buf, Timeout::After(Duration::from_millis(20)))
                    .map_err(e("consumer dequeue"))?;
                if n > 0 {
                    idle = Instant::now();
                } else if idle.elapsed() > Duration::from_secs(20) {
                    return Err("consumer: nothing for 20 s".into());
                }
                for ev in &buf[..n] {
                    let f = (ev.data >> 32) as usize % FLOWS;
                    let s = ev.data & 0xffff_ffff;
                    if s <= last[f] {
                        order_violations.fetch_add(1, Ordering::Relaxed);
                    }
                    last[f] = s;
                }
                received.fetch_add(n as u64, Ordering::Relaxed);
            }
            Ok(())
        });
        // Kill the victim mid-traffic; the replacement takes its port.
        let t = Instant::now();
        while received.load(Ordering::Relaxed) < EVENTS / 4 && t.elapsed() < Duration::from_secs(30)
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        let victim = pids
            .iter()
            .find(|(slot, _)| *slot == VICTIM)
            .map(|(_, p)| *p)
            .unwrap_or(0);
        sh.get(DYING + VICTIM).store(1, Ordering::Release);
        let at_kill = received.load(Ordering::Relaxed);
        // SAFETY: signals our own child.
        unsafe { libc::kill(victim, libc::SIGKILL) };
        reap(victim);
        sh.get(GO_REPLACEMENT).store(1, Ordering::Release);
        println!(
            "# killed worker {VICTIM} (ldb {}) at {at_kill} received",
            c.ldb[VICTIM - 1]
        );
        // Everything arrives or was dropped with the victim.
        let t = Instant::now();
        let mut dropped = 0;
        while t.elapsed() < Duration::from_secs(60) {
            dropped = stat_of(&c.dev, "reclaim_dropped") - dropped0;
            if received.load(Ordering::Relaxed) + dropped >= EVENTS {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(100));
        sh.get(STOP).store(1, Ordering::Release);
        let joined = [
            prod.join().unwrap_or(Err("producer panicked".into())),
            cons.join().unwrap_or(Err("consumer panicked".into())),
            fourth.join().unwrap_or(Err("worker 4 panicked".into())),
        ];
        joined.into_iter().collect::<R>()?;
        let got = received.load(Ordering::Relaxed);
        println!("# received {got}, dropped with the victim {dropped}, sent {EVENTS}");
        if got + dropped != EVENTS {
            return Err(format!(
                "received {got} + dropped {dropped} != sent {EVENTS}: {}",
                stats_of(&c.dev)
            ));
        }
        Ok(())
    });
    let mut bad = Vec::new();
    for (slot, pid) in pids.iter().filter(|(slot, _)| *slot != VICTIM) {
        if reap(*pid) != 0 {
            bad.push(*slot);
        }
    }
    if reap(replacement) != 0 {
        bad.push(5);
    }
    outcome?;
    if !bad.is_empty() {
        return Err(format!("workers {bad:?} failed"));
    }
    let processed: Vec<u64> = (1..SLOTS)
        .map(|s| sh.get(PROCESSED + s).load(Ordering::Relaxed))
        .collect();
    println!("# processed per worker (1-4, replacement): {processed:?}");
    let (av, ov) = (
        sh.get(VIOLATIONS).load(Ordering::Relaxed),
        order_violations.load(Ordering::Relaxed),
    );
    if av != 0 || ov != 0 {
        return Err(format!("{av} atomicity and {ov} order violations"));
    }
    if processed[4] == 0 {
        return Err("the replacement on the dead worker's port got nothing".into());
    }
    // Give this process's ports back too (the domain stays open here, so
    // no drain): every credit is home.
    drop(producer);
    drop(consumer);
    let (l, dc) = d.credits();
    let (il, id) = (d.info().ldb_credits, d.info().dir_credits);
    let pools = (
        stat_of(&c.dev, "ldb_credits_avail"),
        stat_of(&c.dev, "dir_credits_avail"),
    );
    let reclaims = stat_of(&c.dev, "reclaims") - reclaims0;
    let scheduled = stat_of(&c.dev, "scheduled") - scheduled0;
    let dropped = stat_of(&c.dev, "reclaim_dropped") - dropped0;
    println!("# credit page {l}/{dc}, device {}/{}, reservation {il}/{id}; reclaims {reclaims}, scheduled {scheduled}", pools.0, pools.1);
    if (l, dc) != (il, id) || pools != (il.into(), id.into()) {
        return Err("credits not whole after every port was given back".into());
    }
    // Four worker processes and this one's three ports. Every event was
    // scheduled to the atomic stage; the ordered stage got those not
    // dropped there (between sent - dropped and sent), the consumer the
    // ones received.
    let ordered_stage = scheduled.saturating_sub(EVENTS + received.load(Ordering::Relaxed));
    if reclaims != 7 || ordered_stage > EVENTS || ordered_stage + dropped < EVENTS {
        return Err(format!(
            "stats: reclaims {reclaims} (want 7), scheduled {scheduled}: {ordered_stage} \
             to the ordered stage, {dropped} dropped"
        ));
    }
    Ok(())
}

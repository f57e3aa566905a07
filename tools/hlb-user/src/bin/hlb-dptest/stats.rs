// SPDX-License-Identifier: GPL-2.0

//! `stats`: the driver's per-port, per-queue, domain and device statistics
//! (`Documentation/ABI/testing/sysfs-class-lbdx_hlb`) equal what this test
//! counted itself, a reset zeroes them, and epoll (not only poll) wakes a
//! consumer sleeping on an armed port.
//!
//! Traffic: the first DIR port sends `5 + k` atomic events of priority k
//! to the atomic queue and `3 * (k + 1)` directed events of priority k to
//! the second DIR port; the four LDB ports forward what comes from the
//! atomic queue to the ordered queue and what comes from the ordered queue
//! to the second DIR port, which receives everything. Each worker counts
//! what it received; so the expected counters follow.
//!
//! On a function without the HLB 1.4 counters (or, on a VF, without its
//! queues' counters) the test checks that their files do not exist and
//! compares the others.

use super::*;
use std::fs;
use std::os::fd::{AsFd, AsRawFd};

/// Priorities of a QE.
const PRIOS: usize = 8;

fn atomic_n(k: usize) -> u64 {
    5 + k as u64
}

fn directed_n(k: usize) -> u64 {
    3 * (k as u64 + 1)
}

/// The domain's class directory and the device's `stats/`.
struct Sys {
    class: String,
    device: String,
    /// The function has the HLB 1.4 counters.
    v14: bool,
    /// It has them for its queues too (a PF: a VF has its ports' only).
    queues14: bool,
}

impl Sys {
    fn of(dev: &str, aq: u8) -> Result<Self, String> {
        let mut parts = dev.rsplitn(3, '/');
        let (Some(name), Some(bdf)) = (parts.next(), parts.next()) else {
            return Err(format!("{dev}: not /dev/lbdx/<bdf>/<domain>"));
        };
        let class = format!("/sys/class/lbdx_hlb/{bdf}:{name}");
        let v14 = fs::metadata(format!("{class}/stats/enqueued")).is_ok();
        let queues14 = fs::metadata(format!("{class}/ldb_queue{aq}/enqueued")).is_ok();
        Ok(Self {
            device: format!("/sys/bus/pci/devices/{bdf}/stats"),
            v14,
            queues14: v14 && queues14,
            class,
        })
    }

    fn read(path: &str) -> Result<u64, String> {
        let s = fs::read_to_string(path).map_err(|err| format!("{path}: {err}"))?;
        s.trim()
            .parse()
            .map_err(|err| format!("{path}: {s:?}: {err}"))
    }

    fn get(&self, dir: &str, file: &str) -> Result<u64, String> {
        Self::read(&format!("{}/{dir}/{file}", self.class))
    }

    fn dev(&self, file: &str) -> Result<u64, String> {
        Self::read(&format!("{}/{file}", self.device))
    }

    fn reset(&self) -> Result<(), String> {
        let path = format!("{}/stats/reset", self.class);
        fs::write(&path, "1").map_err(|err| format!("{path}: {err}"))
    }
}

/// `want` equals what `dir/file` reads, or the mismatch is added to `bad`.
fn expect(s: &Sys, bad: &mut Vec<String>, dir: &str, file: &str, want: u64) -> R {
    let got = s.get(dir, file)?;
    if got != want {
        bad.push(format!("{dir}/{file}={got} want {want}"));
    }
    Ok(())
}

/// Expected counters of one port and one queue.
#[derive(Default)]
struct Want {
    /// Per port directory: (enqueued, dequeued).
    ports: Vec<(String, u64, u64)>,
    /// Per queue directory: enqueued per priority, scheduled.
    queues: Vec<(String, [u64; PRIOS], u64)>,
}

fn check_counters(s: &Sys, w: &Want) -> R {
    let mut bad = Vec::new();
    let (mut enq, mut deq) = (0, 0);
    for (dir, e, d) in &w.ports {
        if s.v14 {
            expect(s, &mut bad, dir, "enqueued", *e)?;
        }
        expect(s, &mut bad, dir, "dequeued", *d)?;
        expect(s, &mut bad, dir, "alerts", 0)?;
        expect(s, &mut bad, dir, "inflight", 0)?;
        expect(s, &mut bad, dir, "cq_occupancy", 0)?;
        if s.get(dir, "qes")? < *e {
            bad.push(format!("{dir}/qes below enqueued {e}"));
        }
        enq += e;
        deq += d;
    }
    for (dir, prio, sched) in &w.queues {
        expect(s, &mut bad, dir, "depth", 0)?;
        if !s.queues14 {
            for f in ["enqueued", "scheduled", "enqueued_prio0"] {
                if fs::metadata(format!("{}/{dir}/{f}", s.class)).is_ok() {
                    bad.push(format!("{dir}/{f} exists without queue counters"));
                }
            }
            continue;
        }
        for (k, n) in prio.iter().enumerate() {
            expect(s, &mut bad, dir, &format!("enqueued_prio{k}"), *n)?;
        }
        expect(s, &mut bad, dir, "enqueued", prio.iter().sum())?;
        expect(s, &mut bad, dir, "scheduled", *sched)?;
    }
    if s.v14 {
        expect(s, &mut bad, "stats", "enqueued", enq)?;
    }
    expect(s, &mut bad, "stats", "scheduled", deq)?;
    expect(s, &mut bad, "stats", "alerts", 0)?;
    if bad.is_empty() {
        Ok(())
    } else {
        Err(bad.join(", "))
    }
}

/// Every counter of the domain's ports and queues is 0.
fn check_zero(s: &Sys, c: &Ctx) -> R {
    let mut w = Want::default();
    for (k, ids) in [("ldb", &c.ldb), ("dir", &c.dir)] {
        for id in ids.iter() {
            w.ports.push((format!("{k}_port{id}"), 0, 0));
        }
    }
    for q in [c.aq, c.oq] {
        w.queues.push((format!("ldb_queue{q}"), [0; PRIOS], 0));
    }
    for id in &c.dir {
        w.queues.push((format!("dir_queue{id}"), [0; PRIOS], 0));
    }
    check_counters(s, &w)?;
    let mut bad = Vec::new();
    for f in ["qes", "drains", "reclaims", "reclaim_dropped"] {
        expect(s, &mut bad, "stats", f, 0)?;
    }
    for id in &c.ldb {
        expect(s, &mut bad, &format!("ldb_port{id}"), "qes", 0)?;
    }
    match bad.is_empty() {
        true => Ok(()),
        false => Err(bad.join(", ")),
    }
}

/// Runs the traffic; returns what each LDB worker received.
fn traffic(c: &Ctx, d: &Domain) -> Result<Vec<u64>, String> {
    let mut prod = attach(d, PortType::Dir, c.dir[0])?;
    let mut cons = attach(d, PortType::Dir, c.dir[1])?;
    let mut evs = Vec::new();
    for k in 0..PRIOS {
        for i in 0..atomic_n(k) {
            evs.push(Event {
                data: i,
                queue: c.aq,
                sched: SchedType::Atomic,
                priority: k as u8,
                flow: (i % 16) as u16,
                ..Event::default()
            });
        }
        for i in 0..directed_n(k) {
            evs.push(Event {
                priority: k as u8,
                ..dir_ev(c.dir[1], i)
            });
        }
    }
    let total = evs.len();
    let mut workers = Vec::new();
    for &p in &c.ldb {
        workers.push(attach(d, PortType::Ldb, p)?);
    }
    let (aq, oq, to) = (c.aq, c.oq, c.dir[1]);
    let stop = AtomicU32::new(0);
    std::thread::scope(|s| -> Result<Vec<u64>, String> {
        let hs: Vec<_> = workers
            .into_iter()
            .map(|mut w| {
                let stop = &stop;
                s.spawn(move || -> Result<u64, String> {
                    let mut buf = [Event::default(); 8];
                    let mut got = 0u64;
                    while stop.load(Ordering::Acquire) == 0 {
                        let k = w
                            .dequeue_burst(&mut buf, Timeout::After(Duration::from_millis(50)))
                            .map_err(e("worker dequeue"))?;
                        for ev in &mut buf[..k] {
                            if ev.queue == aq {
                                ev.queue = oq;
                                ev.sched = SchedType::Ordered;
                            } else {
                                ev.queue = to;
                                ev.sched = SchedType::Directed;
                            }
                        }
                        got += k as u64;
                        forward_all(&mut w, &buf[..k])?;
                    }
                    Ok(got)
                })
            })
            .collect();
        let sent = send_all(&mut prod, &evs);
        let got = recv(&mut cons, total);
        stop.store(1, Ordering::Release);
        let counts: Result<Vec<u64>, String> = hs
            .into_iter()
            .map(|h| h.join().map_err(|_| "worker panicked".to_string())?)
            .collect();
        sent?;
        got?;
        counts
    })
}

/// A consumer sleeping in epoll_wait() on the port it armed wakes when an
/// event arrives, and not before. Returns the wait's result.
fn epoll_wake(c: &Ctx, d: &Domain) -> R {
    // The port on the domain's own file, so that the test owns the fd it
    // sleeps on; it was taken back when the library's file of it closed,
    // so its CQ starts again at index 0.
    abi_attach(d, c.dir[1])?;
    let mut arm = hlb_user::abi::Arm {
        type_: PortType::Dir.abi(),
        id: u32::from(c.dir[1]),
        read_index: 0,
        reserved: 0,
    };
    hlb_user::sys::ioctl(d.file().as_fd(), hlb_user::abi::LBDX_HLB_IOC_ARM, &mut arm)
        .map_err(e("arm"))?;
    // SAFETY: epoll_create1 has no memory arguments.
    let ep = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if ep < 0 {
        return Err(format!("epoll_create1: {}", io::Error::last_os_error()));
    }
    let mut ev = libc::epoll_event {
        events: libc::EPOLLIN as u32,
        u64: 7,
    };
    // SAFETY: `ev` is a valid epoll_event; the fds are open.
    if unsafe { libc::epoll_ctl(ep, libc::EPOLL_CTL_ADD, d.file().as_raw_fd(), &mut ev) } < 0 {
        return Err(format!("epoll_ctl: {}", io::Error::last_os_error()));
    }
    let mut prod = attach(d, PortType::Dir, c.dir[0])?;
    let woke = std::thread::scope(|s| {
        let h = s.spawn(|| {
            let mut out = libc::epoll_event { events: 0, u64: 0 };
            let t = Instant::now();
            // SAFETY: `out` has room for the one event asked for.
            let n = unsafe { libc::epoll_wait(ep, &mut out, 1, 10_000) };
            (n, out.events, out.u64, t.elapsed())
        });
        std::thread::sleep(Duration::from_millis(500));
        let sent = send_all(&mut prod, &[dir_ev(c.dir[1], 99)]);
        (sent, h.join())
    });
    // SAFETY: `ep` is ours and closed once.
    unsafe { libc::close(ep) };
    let (sent, joined) = woke;
    sent?;
    let (n, events, data, waited) = joined.map_err(|_| "epoll thread panicked".to_string())?;
    println!("# epoll_wait returned {n} (events {events:#x}) after {waited:?}");
    if n != 1 || events & libc::EPOLLIN as u32 == 0 || data != 7 {
        return Err(format!("epoll_wait: {n} events {events:#x} data {data}"));
    }
    if waited < Duration::from_millis(400) {
        return Err(format!("woke after {waited:?}, before the event was sent"));
    }
    Ok(())
}

pub(super) fn stats(c: &Ctx) -> R {
    let s = Sys::of(&c.dev, c.aq)?;
    println!("# HLB 1.4 counters: ports {}, queues {}", s.v14, s.queues14);
    let d = open(c)?;
    s.reset()?;
    check_zero(&s, c).map_err(|x| format!("after reset: {x}"))?;
    // Bad values are refused (an empty write never reaches the driver).
    let reset = format!("{}/stats/reset", s.class);
    for bad in ["0", "2", "yes", "1 "] {
        if fs::write(&reset, bad).is_ok() {
            return Err(format!("reset accepted {bad:?}"));
        }
    }
    if fs::read_to_string(&reset).is_ok() {
        return Err("reset is readable".into());
    }
    let dev_before = (s.dev("scheduled")?, s.dev("qes")?);
    let dev_enq_before = if s.v14 { s.dev("enqueued")? } else { 0 };

    let got = traffic(c, &d)?;

    let forwarded: u64 = got.iter().sum();
    let atomic: u64 = (0..PRIOS).map(atomic_n).sum();
    let directed: u64 = (0..PRIOS).map(directed_n).sum();
    if forwarded != 2 * atomic {
        return Err(format!("workers got {forwarded}, want {}", 2 * atomic));
    }
    let mut w = Want::default();
    w.ports
        .push((format!("dir_port{}", c.dir[0]), atomic + directed, 0));
    w.ports
        .push((format!("dir_port{}", c.dir[1]), 0, atomic + directed));
    for (id, n) in c.ldb.iter().zip(&got) {
        w.ports.push((format!("ldb_port{id}"), *n, *n));
    }
    let lq: [u64; PRIOS] = core::array::from_fn(atomic_n);
    w.queues.push((format!("ldb_queue{}", c.aq), lq, atomic));
    w.queues.push((format!("ldb_queue{}", c.oq), lq, atomic));
    let dq: [u64; PRIOS] = core::array::from_fn(|k| atomic_n(k) + directed_n(k));
    w.queues
        .push((format!("dir_queue{}", c.dir[1]), dq, atomic + directed));
    w.queues
        .push((format!("dir_queue{}", c.dir[0]), [0; PRIOS], 0));
    println!("# workers received {got:?}; {}", stats_of(&c.dev));
    check_counters(&s, &w)?;
    let sched = 2 * atomic + atomic + directed;
    let dev_sched = s.dev("scheduled")? - dev_before.0;
    if dev_sched != sched || s.dev("qes")? - dev_before.1 < sched {
        return Err(format!(
            "device scheduled grew by {dev_sched}, want {sched}"
        ));
    }
    if s.v14 && s.dev("enqueued")? - dev_enq_before != sched {
        return Err(format!(
            "device enqueued grew by {}, want {sched}",
            s.dev("enqueued")? - dev_enq_before
        ));
    }

    // Reset while the domain runs, then one event to an epoll sleeper:
    // exactly one interrupt.
    s.reset()?;
    check_zero(&s, c).map_err(|x| format!("after the second reset: {x}"))?;
    epoll_wake(c, &d)?;
    let mut bad = Vec::new();
    let d1 = format!("dir_port{}", c.dir[1]);
    expect(&s, &mut bad, &d1, "dequeued", 1)?;
    expect(&s, &mut bad, &d1, "cq_occupancy", 1)?;
    if s.v14 {
        expect(&s, &mut bad, &d1, "interrupts", 1)?;
        expect(
            &s,
            &mut bad,
            &format!("dir_port{}", c.dir[0]),
            "enqueued",
            1,
        )?;
    }
    if s.queues14 {
        let q = format!("dir_queue{}", c.dir[1]);
        expect(&s, &mut bad, &q, "enqueued_prio0", 1)?;
    }
    match bad.is_empty() {
        true => Ok(()),
        false => Err(bad.join(", ")),
    }
}

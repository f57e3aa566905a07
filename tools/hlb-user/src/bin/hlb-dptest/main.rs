// SPDX-License-Identifier: GPL-2.0

//! hlb-dptest: guest checks of the HLB data plane through the real
//! driver, one subcommand per case, run by
//! `tests/selftests/lbdx/17-hlb-dataplane.sh` on a domain it made:
//!
//! ```text
//! hlb-dptest CASE --dev /dev/lbdx/<bdf>/<domain> --ldb P0,P1,P2,P3 --dir D0,D1
//!     --aq ATOMIC_QUEUE --oq ORDERED_QUEUE [--other-dir ID_OF_ANOTHER_DOMAIN]
//!     [--bad-queue ID]
//! CASE: directed spread atomic order priority credits blocking kill9 cross badqe
//!       unmapped hold reclaim stats pending links nolinks
//! hlb-dptest mapstorm --dev /dev/lbdx/<bdf>/<domain> --dir ID [--procs N] [--secs S]
//! ```
//! Diagnostics go to stdout as TAP comments ("# ..."); the exit status
//! is the verdict (the script prints the ok / not ok line). `mapstorm`
//! exits 0 (every worker ended as it may), 1 (a mapping stayed readable
//! after the device's removal) or 2 (anything else). `badqe` and
//! `unmapped` (on a VF: a QE naming `--bad-queue`, a virtual LDB queue
//! the VF does not have) make the device raise one alarm and say so:
//! "# expected-alarms: 1".

use std::collections::HashMap;
use std::io;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hlb_user::args::{ids, Args};
use hlb_user::sys::Mapping;
use hlb_user::{Domain, Event, Port, PortType, SchedType, Timeout};

mod links;
mod reclaim;
mod stats;

type R = Result<(), String>;

struct Ctx {
    dev: String,
    ldb: Vec<u8>,
    dir: Vec<u8>,
    aq: u8,
    oq: u8,
    other_dir: Option<u8>,
    bad_queue: Option<u8>,
    /// `pending` and `links`: the path whose `.complete`, `.exit` and
    /// `.unlink` files say when to go on.
    go: Option<String>,
}

fn e(what: &str) -> impl Fn(io::Error) -> String + '_ {
    move |err| format!("{what}: {err}")
}

/// The domain's run-time stats (`/sys/class/lbdx_hlb/<bdf>:<name>/stats`)
/// in one line, for failure diagnostics.
fn stats_of(dev: &str) -> String {
    let mut parts = dev.rsplitn(3, '/');
    let (Some(name), Some(bdf)) = (parts.next(), parts.next()) else {
        return String::from("no stats");
    };
    let dir = format!("/sys/class/lbdx_hlb/{bdf}:{name}/stats");
    let mut out = String::from("stats:");
    for f in [
        "enqueued",
        "qes",
        "scheduled",
        "ldb_credits_avail",
        "dir_credits_avail",
        "queue_depth",
        "port_inflight",
        "alerts",
    ] {
        let v = std::fs::read_to_string(format!("{dir}/{f}")).unwrap_or_default();
        out.push_str(&format!(" {f}={}", v.trim()));
    }
    out
}

fn open(c: &Ctx) -> Result<Domain, String> {
    Domain::open(&c.dev).map_err(e("open"))
}

fn attach(d: &Domain, k: PortType, id: u8) -> Result<Port, String> {
    d.attach(k, id)
        .map_err(|err| format!("attach {k:?} {id}: {err}"))
}

fn send_all(p: &mut Port, evs: &[Event]) -> R {
    let mut done = 0;
    // Give up only after 5 s without progress: under TCG a whole run can
    // take longer than that.
    let mut t = Instant::now();
    while done < evs.len() {
        match p.enqueue_burst(&evs[done..]) {
            Ok(n) => {
                done += n;
                t = Instant::now();
            }
            Err(err)
                if t.elapsed() < Duration::from_secs(5)
                    && (err.raw_os_error() == Some(libc::ENOSPC)
                        || err.kind() == io::ErrorKind::WouldBlock) =>
            {
                std::thread::sleep(Duration::from_millis(1))
            }
            Err(err) => return Err(format!("enqueue after {done}: {err}")),
        }
    }
    Ok(())
}

/// Forwards every event of `evs`, waiting while credits run out.
fn forward_all(p: &mut Port, evs: &[Event]) -> R {
    let mut done = 0;
    while done < evs.len() {
        match p.forward_burst(&evs[done..]) {
            Ok(n) => done += n,
            Err(err) if err.raw_os_error() == Some(libc::ENOSPC) => std::thread::yield_now(),
            Err(err) => return Err(format!("forward: {err}")),
        }
    }
    Ok(())
}

fn recv(p: &mut Port, n: usize) -> Result<Vec<Event>, String> {
    let mut out = Vec::new();
    let mut buf = [Event::default(); 32];
    while out.len() < n {
        let k = p
            .dequeue_burst(&mut buf, Timeout::After(Duration::from_secs(3)))
            .map_err(e("dequeue"))?;
        if k == 0 {
            return Err(format!("timed out after {} of {n} events", out.len()));
        }
        out.extend_from_slice(&buf[..k]);
    }
    Ok(out)
}

fn dir_ev(to: u8, i: u64) -> Event {
    Event {
        data: 0xabc0_0000_0000 + i,
        opaque: (i as u16).wrapping_mul(7),
        queue: to,
        sched: SchedType::Directed,
        priority: 0,
        flow: (i % 100) as u16,
    }
}

fn directed(c: &Ctx) -> R {
    let d = open(c)?;
    let mut a = attach(&d, PortType::Dir, c.dir[0])?;
    let mut b = attach(&d, PortType::Dir, c.dir[1])?;
    for (tx, rxid) in [(c.dir[0], c.dir[0]), (c.dir[1], c.dir[1])] {
        let evs: Vec<Event> = (0..200).map(|i| dir_ev(rxid, i)).collect();
        send_all(&mut a, &evs)?;
        let rx = if rxid == c.dir[0] { &mut a } else { &mut b };
        let got = recv(rx, evs.len())?;
        if got != evs {
            let bad = got.iter().zip(&evs).position(|(g, w)| g != w);
            return Err(format!(
                "to DIR {rxid} (from {tx}): first difference at {bad:?}"
            ));
        }
    }
    Ok(())
}

/// Consumers on the 4 LDB ports, each taking events until `total` were
/// taken by all, calling `f(port index, event)` for each and completing
/// it after. Returns per-port counts.
fn consume<F>(d: &Domain, c: &Ctx, total: u64, f: F) -> Result<Vec<u64>, String>
where
    F: Fn(usize, &Event) + Sync,
{
    let taken = AtomicU64::new(0);
    let mut ports = Vec::new();
    for &p in &c.ldb {
        ports.push(attach(d, PortType::Ldb, p)?);
    }
    std::thread::scope(|s| {
        let hs: Vec<_> = ports
            .into_iter()
            .enumerate()
            .map(|(i, mut p)| {
                let (taken, f) = (&taken, &f);
                s.spawn(move || -> Result<u64, String> {
                    let mut buf = [Event::default(); 8];
                    let mut n = 0u64;
                    // Timeout: 20 s in which no consumer took anything.
                    let (mut t, mut seen) = (Instant::now(), 0);
                    while taken.load(Ordering::Acquire) < total {
                        let now_taken = taken.load(Ordering::Acquire);
                        if now_taken != seen {
                            (t, seen) = (Instant::now(), now_taken);
                        }
                        if t.elapsed() > Duration::from_secs(20) {
                            return Err(format!(
                                "timeout after {now_taken} of {total} events; {}",
                                stats_of(&c.dev)
                            ));
                        }
                        let k = p
                            .dequeue_burst(&mut buf, Timeout::After(Duration::from_millis(50)))
                            .map_err(e("dequeue"))?;
                        for ev in &buf[..k] {
                            f(i, ev);
                            p.complete(1);
                        }
                        n += k as u64;
                        taken.fetch_add(k as u64, Ordering::AcqRel);
                    }
                    Ok(n)
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().map_err(|_| "consumer panicked".to_string())?)
            .collect()
    })
}

fn spread(c: &Ctx) -> R {
    let d = open(c)?;
    let mut prod = attach(&d, PortType::Dir, c.dir[0])?;
    let total = 4000u64;
    let evs: Vec<Event> = (0..total)
        .map(|i| Event {
            data: i,
            queue: c.aq,
            sched: SchedType::Unordered,
            flow: i as u16,
            ..Event::default()
        })
        .collect();
    let counts = std::thread::scope(|s| {
        let h = s.spawn(|| send_all(&mut prod, &evs));
        let r = consume(&d, c, total, |_, _| {
            std::thread::sleep(Duration::from_micros(100))
        });
        h.join().map_err(|_| "producer panicked".to_string())??;
        r
    })?;
    println!("# per-port counts {counts:?}");
    let even = total as f64 / counts.len() as f64;
    if counts.iter().sum::<u64>() != total
        || counts.iter().any(|&n| (n as f64 - even).abs() > even * 0.1)
    {
        return Err(format!("not within 10% of {even}: {counts:?}"));
    }
    Ok(())
}

fn atomic(c: &Ctx) -> R {
    let d = open(c)?;
    let mut prod = attach(&d, PortType::Dir, c.dir[0])?;
    let (flows, total) = (1000usize, 8000u64);
    let busy: Vec<AtomicU32> = (0..flows).map(|_| AtomicU32::new(0)).collect();
    let last: Vec<AtomicU64> = (0..flows).map(|_| AtomicU64::new(u64::MAX)).collect();
    let (viol, disorder) = (AtomicU64::new(0), AtomicU64::new(0));
    let evs: Vec<Event> = (0..total)
        .map(|i| Event {
            data: i,
            queue: c.aq,
            sched: SchedType::Atomic,
            flow: (i % flows as u64) as u16,
            ..Event::default()
        })
        .collect();
    std::thread::scope(|s| {
        let h = s.spawn(|| send_all(&mut prod, &evs));
        consume(&d, c, total, |_, ev| {
            let f = ev.flow as usize % flows;
            if busy[f].fetch_add(1, Ordering::AcqRel) != 0 {
                viol.fetch_add(1, Ordering::Relaxed);
            }
            let prev = last[f].swap(ev.data, Ordering::AcqRel);
            if prev != u64::MAX && prev >= ev.data {
                disorder.fetch_add(1, Ordering::Relaxed);
            }
            std::thread::sleep(Duration::from_micros(20));
            busy[f].fetch_sub(1, Ordering::AcqRel);
        })?;
        h.join().map_err(|_| "producer panicked".to_string())?
    })?;
    let (v, o) = (
        viol.load(Ordering::Relaxed),
        disorder.load(Ordering::Relaxed),
    );
    if v != 0 || o != 0 {
        return Err(format!(
            "{v} atomicity violations, {o} flow order violations"
        ));
    }
    Ok(())
}

fn order(c: &Ctx) -> R {
    let d = open(c)?;
    let mut prod = attach(&d, PortType::Dir, c.dir[0])?;
    let mut cons = attach(&d, PortType::Dir, c.dir[1])?;
    let (flows, total) = (64u64, 4000u64);
    let evs: Vec<Event> = (0..total)
        .map(|i| Event {
            data: ((i % flows) << 32) | (i / flows),
            queue: c.oq,
            sched: SchedType::Ordered,
            flow: (i % flows) as u16,
            ..Event::default()
        })
        .collect();
    let mut workers = Vec::new();
    for &p in &c.ldb {
        workers.push(attach(&d, PortType::Ldb, p)?);
    }
    let to = c.dir[1];
    let stop_flag = AtomicU32::new(0);
    let stop = &stop_flag;
    let got = std::thread::scope(|s| -> Result<Vec<Event>, String> {
        let hs: Vec<_> = workers
            .into_iter()
            .map(|mut w| {
                s.spawn(move || -> R {
                    let mut buf = [Event::default(); 4];
                    let mut rng = 0x2545_f491_u32 ^ (w.id() as u32 * 7919);
                    while stop.load(Ordering::Acquire) == 0 {
                        let k = w
                            .dequeue_burst(&mut buf, Timeout::After(Duration::from_millis(50)))
                            .map_err(e("worker dequeue"))?;
                        for ev in &mut buf[..k] {
                            rng ^= rng << 13;
                            rng ^= rng >> 17;
                            rng ^= rng << 5;
                            std::thread::sleep(Duration::from_micros((rng % 300) as u64));
                            ev.queue = to;
                            ev.sched = SchedType::Directed;
                        }
                        forward_all(&mut w, &buf[..k])?;
                    }
                    Ok(())
                })
            })
            .collect();
        let p = s.spawn(|| send_all(&mut prod, &evs));
        let got = recv(&mut cons, total as usize);
        stop.store(1, Ordering::Release);
        p.join().map_err(|_| "producer panicked".to_string())??;
        for h in hs {
            h.join().map_err(|_| "worker panicked".to_string())??;
        }
        got
    })?;
    let mut next: HashMap<u64, u64> = HashMap::new();
    for ev in &got {
        let n = next.entry(ev.data >> 32).or_insert(0);
        if ev.data & 0xffff_ffff != *n {
            return Err(format!(
                "flow {}: got {} want {}",
                ev.data >> 32,
                ev.data & 0xffff_ffff,
                n
            ));
        }
        *n += 1;
    }
    Ok(())
}

fn priority(c: &Ctx) -> R {
    let d = open(c)?;
    let mut prod = attach(&d, PortType::Dir, c.dir[0])?;
    let mut cons = attach(&d, PortType::Dir, c.dir[1])?;
    let depth = cons.cq_depth() as u64;
    // Fill the consumer's CQ so that the mix waits in its queue.
    let filler: Vec<Event> = (0..depth)
        .map(|i| Event {
            priority: 7,
            ..dir_ev(c.dir[1], 1_000_000 + i)
        })
        .collect();
    send_all(&mut prod, &filler)?;
    let mix: Vec<Event> = (0..48u64)
        .map(|i| Event {
            priority: ((i * 3) % 8) as u8,
            ..dir_ev(c.dir[1], i)
        })
        .collect();
    send_all(&mut prod, &mix)?;
    std::thread::sleep(Duration::from_millis(100));
    let got = recv(&mut cons, (depth + 48) as usize)?;
    let mut want = mix.clone();
    want.sort_by_key(|e| e.priority);
    let got: Vec<u64> = got[depth as usize..].iter().map(|e| e.data).collect();
    let want: Vec<u64> = want.iter().map(|e| e.data).collect();
    if got != want {
        return Err(format!(
            "order {:?}",
            got.iter().map(|d| d & 0xff).collect::<Vec<_>>()
        ));
    }
    Ok(())
}

fn credits(c: &Ctx) -> R {
    let d = open(c)?;
    let total = d.info().dir_credits as usize;
    let mut prod = attach(&d, PortType::Dir, c.dir[0])?;
    let mut cons = attach(&d, PortType::Dir, c.dir[1])?;
    let evs: Vec<Event> = (0..total as u64 + 10)
        .map(|i| dir_ev(c.dir[1], i))
        .collect();
    let mut sent = 0;
    let err = loop {
        match prod.enqueue_burst(&evs[sent..]) {
            Ok(n) => sent += n,
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(1))
            }
            Err(err) => break err,
        }
    };
    if err.raw_os_error() != Some(libc::ENOSPC) || sent != total {
        return Err(format!(
            "sent {sent} of {total} credits, then {err} (want ENOSPC)"
        ));
    }
    let first = recv(&mut cons, 32)?;
    send_all(&mut prod, &evs[sent..sent + 10]).map_err(|x| format!("after consuming: {x}"))?;
    let rest = recv(&mut cons, total + 10 - first.len())?;
    if first.len() + rest.len() != total + 10 {
        return Err("lost events".into());
    }
    let alerts = d.read_alerts().map_err(e("read alerts"))?;
    if !alerts.is_empty() {
        return Err(format!("alerts {alerts:?}"));
    }
    Ok(())
}

fn thread_cpu() -> Duration {
    // SAFETY: getrusage fills the zeroed structure.
    let mut ru: libc::rusage = unsafe { core::mem::zeroed() };
    // SAFETY: valid pointer to a rusage.
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut ru) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

fn blocking(c: &Ctx) -> R {
    let d = open(c)?;
    let mut prod = attach(&d, PortType::Dir, c.dir[0])?;
    let mut cons = attach(&d, PortType::Dir, c.dir[1])?;
    let h = std::thread::spawn(move || -> Result<(Duration, Instant, Event), String> {
        let cpu0 = thread_cpu();
        let mut buf = [Event::default(); 1];
        let n = cons
            .dequeue_burst(&mut buf, Timeout::Forever)
            .map_err(e("dequeue"))?;
        let woke = Instant::now();
        if n != 1 {
            return Err(format!("woke with {n} events"));
        }
        Ok((thread_cpu() - cpu0, woke, buf[0]))
    });
    std::thread::sleep(Duration::from_secs(1));
    let sent = Instant::now();
    send_all(&mut prod, &[dir_ev(c.dir[1], 42)])?;
    let (cpu, woke, ev) = h.join().map_err(|_| "consumer panicked".to_string())??;
    let lat = woke.saturating_duration_since(sent);
    println!("# slept ~1 s using {cpu:?} CPU, woke {lat:?} after the enqueue");
    if ev != dir_ev(c.dir[1], 42)
        || cpu > Duration::from_millis(100)
        || lat > Duration::from_millis(200)
    {
        return Err("busy polling or slow wakeup".into());
    }
    Ok(())
}

fn traffic(c: &Ctx, d: &Domain) -> R {
    let mut a = attach(d, PortType::Dir, c.dir[0])?;
    let mut b = attach(d, PortType::Dir, c.dir[1])?;
    let evs: Vec<Event> = (0..100).map(|i| dir_ev(c.dir[1], i)).collect();
    send_all(&mut a, &evs)?;
    if recv(&mut b, 100)? != evs {
        return Err("traffic garbled".into());
    }
    Ok(())
}

fn kill9(c: &Ctx) -> R {
    // SAFETY: this process is single-threaded here; the child only runs
    // Rust code that allocates, then is killed.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(format!("fork: {}", io::Error::last_os_error()));
    }
    if pid == 0 {
        if let Ok(d) = Domain::open(&c.dev) {
            let ports: Vec<Port> = c
                .ldb
                .iter()
                .filter_map(|&p| d.attach(PortType::Ldb, p).ok())
                .collect();
            let _keep = ports;
            let mut a = d.attach(PortType::Dir, c.dir[0]);
            let mut b = d.attach(PortType::Dir, c.dir[1]);
            if let (Ok(a), Ok(b)) = (&mut a, &mut b) {
                let mut buf = [Event::default(); 8];
                for i in 0.. {
                    let _ = a.enqueue_burst(&[
                        dir_ev(c.dir[1], i),
                        Event {
                            queue: c.aq,
                            sched: SchedType::Unordered,
                            ..Event::default()
                        },
                    ]);
                    if i % 3 == 0 {
                        let _ = b.dequeue_burst(&mut buf, Timeout::NonBlocking);
                    }
                }
            }
        }
        // SAFETY: leaves the child without running the parent's atexit.
        unsafe { libc::_exit(0) };
    }
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: signals and reaps our own child.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
        let mut st = 0;
        libc::waitpid(pid, &mut st, 0);
    }
    // Wait until the child's files are gone (the port attaches again),
    // then close everything: the domain drains and is whole again.
    let t = Instant::now();
    loop {
        let d = open(c)?;
        match d.attach(PortType::Dir, c.dir[0]) {
            Ok(_) => break,
            Err(_) if t.elapsed() < Duration::from_secs(3) => {
                std::thread::sleep(Duration::from_millis(50))
            }
            Err(err) => return Err(format!("port still busy after the kill: {err}")),
        }
    }
    let d = open(c)?;
    let (l, dc) = d.credits();
    if l != d.info().ldb_credits || dc != d.info().dir_credits {
        return Err(format!(
            "credit page {l}/{dc} after drain, want {}/{}",
            d.info().ldb_credits,
            d.info().dir_credits
        ));
    }
    // The device's pools too: the drain gave every credit back.
    let stat = |f: &str| stat_of(&c.dev, f).to_string();
    let (dl, dd) = (stat("ldb_credits_avail"), stat("dir_credits_avail"));
    if dl != d.info().ldb_credits.to_string() || dd != d.info().dir_credits.to_string() {
        return Err(format!(
            "device pools {dl}/{dd} after drain, want {}/{}",
            d.info().ldb_credits,
            d.info().dir_credits
        ));
    }
    let _ports: Vec<Port> = c
        .ldb
        .iter()
        .map(|&p| attach(&d, PortType::Ldb, p))
        .collect::<Result<_, _>>()?;
    traffic(c, &d)
}

fn cross(c: &Ctx) -> R {
    let d = open(c)?;
    let other = c.other_dir.ok_or("--other-dir needed")?;
    match d.attach(PortType::Dir, other) {
        Err(err) if err.raw_os_error() == Some(libc::ENOENT) => {}
        Err(err) => {
            return Err(format!(
                "attach of another domain's port: {err} (want ENOENT)"
            ))
        }
        Ok(_) => return Err("attach of another domain's port succeeded".into()),
    }
    // A port attached on another file: its offsets are not ours to map.
    let owner = open(c)?;
    let a = abi_attach(&owner, c.dir[0])?;
    for (off, len, w) in [
        (a.pp_offset, a.pp_size as usize, true),
        (a.cq_offset, a.cq_size as usize, false),
    ] {
        match Mapping::new(std::os::fd::AsFd::as_fd(d.file()), off, len, w) {
            Err(err) if err.raw_os_error() == Some(libc::EACCES) => {}
            Err(err) => {
                return Err(format!(
                "mmap at offset {off:#x} of a port this file has not attached: {err} (want EACCES)"
            ))
            }
            Ok(_) => {
                return Err(format!(
                    "mmap at offset {off:#x} of a port this file has not attached succeeded"
                ))
            }
        }
    }
    // Its own port's CQ: read-only, and mprotect() cannot make it writable.
    let a = abi_attach(&d, c.dir[1])?;
    let fd = std::os::fd::AsFd::as_fd(d.file());
    match Mapping::new(fd, a.cq_offset, a.cq_size as usize, true) {
        Err(err) if err.raw_os_error() == Some(libc::EACCES) => {}
        other => {
            return Err(format!(
                "writable CQ mapping: {:?} (want EACCES)",
                other.err()
            ))
        }
    }
    let cq = Mapping::new(fd, a.cq_offset, a.cq_size as usize, false)
        .map_err(e("read-only CQ mapping"))?;
    // SAFETY: `cq` is a live mapping of `cq.len()` bytes; mprotect only
    // asks to change its protection.
    let rc = unsafe {
        libc::mprotect(
            cq.ptr().cast(),
            cq.len(),
            libc::PROT_READ | libc::PROT_WRITE,
        )
    };
    if rc == 0 {
        return Err("mprotect made the CQ writable".into());
    }
    drop(cq);
    drop(owner);
    drop(d);
    let d = open(c)?;
    // Detached while the domain stays open, a port it used is taken back
    // (HLB 1.3) and attaches again at once, afresh: the events it held
    // went with it, the next one lands at read index 0.
    let mut p = attach(&d, PortType::Dir, c.dir[1])?;
    let mut q = attach(&d, PortType::Dir, c.dir[0])?;
    send_all(&mut q, &[dir_ev(c.dir[1], 1), dir_ev(c.dir[1], 2)])?;
    recv(&mut p, 1)?;
    let reclaims = stat_of(&c.dev, "reclaims");
    drop(p);
    let mut p = attach(&d, PortType::Dir, c.dir[1]).map_err(|err| format!("re-attach: {err}"))?;
    if stat_of(&c.dev, "reclaims") != reclaims + 1 {
        return Err(format!(
            "reclaims {} after taking the port back",
            stat_of(&c.dev, "reclaims")
        ));
    }
    send_all(&mut q, &[dir_ev(c.dir[1], 3)])?;
    let got = recv(&mut p, 1)?;
    if got[0] != dir_ev(c.dir[1], 3) || p.read_index() != 1 {
        return Err(format!(
            "after the re-attach: {:?} at read index {}",
            got[0],
            p.read_index()
        ));
    }
    Ok(())
}

/// Counter `f` of the domain of device node `dev` (0 if unreadable).
fn stat_of(dev: &str, f: &str) -> u64 {
    let mut parts = dev.rsplitn(3, '/');
    let (name, bdf) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    std::fs::read_to_string(format!("/sys/class/lbdx_hlb/{bdf}:{name}/stats/{f}"))
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

fn abi_attach(d: &Domain, id: u8) -> Result<hlb_user::abi::PortAttach, String> {
    let mut a = hlb_user::abi::PortAttach {
        type_: hlb_user::abi::LBDX_HLB_PORT_DIR,
        id: id as u32,
        ..Default::default()
    };
    hlb_user::sys::ioctl(
        std::os::fd::AsFd::as_fd(d.file()),
        hlb_user::abi::LBDX_HLB_IOC_ATTACH,
        &mut a,
    )
    .map_err(e("ATTACH"))?;
    Ok(a)
}

/// LDB queue 255 is no queue of this domain: `BadQe`.
fn badqe(c: &Ctx) -> R {
    refused_qe(c, 255, hlb_user::abi::ALERT_BAD_QE)
}

/// On a VF, a virtual queue it does not have (one another VF has):
/// `Unmapped`, reported to this VF's user.
fn unmapped(c: &Ctx) -> R {
    let q = c.bad_queue.ok_or("--bad-queue needed")?;
    refused_qe(c, q, hlb_user::abi::ALERT_UNMAPPED)
}

/// A NEW to LDB queue `queue` from DIR port 0 must come back to this
/// domain's user as an alert of code `want`.
fn refused_qe(c: &Ctx, queue: u8, want: u32) -> R {
    let d = open(c)?;
    let mut p = attach(&d, PortType::Dir, c.dir[0])?;
    println!("# expected-alarms: 1");
    let ev = Event {
        queue,
        sched: SchedType::Unordered,
        ..Event::default()
    };
    p.enqueue_burst(&[ev]).map_err(e("enqueue"))?;
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(3) {
        let mut alerts = d
            .wait_alerts(Duration::from_millis(100))
            .map_err(e("read alerts"))?;
        alerts.extend(p.read_alerts().map_err(e("read port alerts"))?);
        if let Some(a) = alerts.first() {
            println!(
                "# alert code {:#x} port {} {}",
                a.code, a.port_type, a.port_id
            );
            return if a.code == want && a.port_id == c.dir[0] as u32 {
                Ok(())
            } else {
                Err(format!("alert {a:?}"))
            };
        }
    }
    Err("no alert record within 3 s".into())
}

/// For `19-hlb-unbind.sh`: maps a port, says "ready", and waits for the
/// device to go away (the script unbinds it). Then the file must report
/// hang-up, ARM must fail with ENODEV, and, last, touching the CQ mapping
/// must kill this process with SIGBUS (the script checks the exit status).
fn hold(c: &Ctx) -> R {
    let d = open(c)?;
    let a = abi_attach(&d, c.dir[0])?;
    let fd = std::os::fd::AsFd::as_fd(d.file());
    let pp = Mapping::new(fd, a.pp_offset, a.pp_size as usize, true).map_err(e("map window"))?;
    let cq = Mapping::new(fd, a.cq_offset, a.cq_size as usize, false).map_err(e("map CQ"))?;
    // SAFETY: `cq` maps at least one readable byte; volatile because the
    // device writes it.
    let _ = unsafe { core::ptr::read_volatile(cq.ptr()) };
    println!("# ready");
    io::Write::flush(&mut io::stdout()).map_err(e("flush"))?;
    let mut pfd = libc::pollfd {
        fd: std::os::fd::AsRawFd::as_raw_fd(d.file()),
        events: libc::POLLIN | libc::POLLPRI,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    let n = unsafe { libc::poll(&mut pfd, 1, 60_000) };
    if n != 1 || pfd.revents & libc::POLLHUP == 0 {
        return Err(format!(
            "poll: {n}, revents {:#x} (want POLLHUP)",
            pfd.revents
        ));
    }
    println!("# poll: hang-up");
    let mut arm = hlb_user::abi::Arm {
        type_: hlb_user::abi::LBDX_HLB_PORT_DIR,
        id: c.dir[0] as u32,
        read_index: 0,
        reserved: 0,
    };
    match hlb_user::sys::ioctl(fd, hlb_user::abi::LBDX_HLB_IOC_ARM, &mut arm) {
        Err(err) if err.raw_os_error() == Some(libc::ENODEV) => println!("# arm: ENODEV"),
        other => return Err(format!("ARM after unbind: {other:?} (want ENODEV)")),
    }
    io::Write::flush(&mut io::stdout()).map_err(e("flush"))?;
    drop(pp);
    // SAFETY: the mapping is still ours; its pages are gone, so this read
    // must raise SIGBUS, which ends the process (what the script checks).
    let _ = unsafe { core::ptr::read_volatile(cq.ptr()) };
    Err("reading the CQ after unbind did not raise SIGBUS".into())
}

/// For `33-hlb-relink.sh`: holds one atomic event of `--aq` (dequeued on
/// LDB port 0 or 1, not completed) so that an unlink of the queue from
/// that port stays pending, and says "# held <port id>". Once
/// `<go>.complete` exists it completes the event ("# completed"); once
/// `<go>.exit` exists it ends, its ports still attached until then (a
/// detach resets a port, which would complete the unlink too).
fn pending(c: &Ctx) -> R {
    let d = open(c)?;
    let mut prod = attach(&d, PortType::Dir, c.dir[0])?;
    let mut workers = [
        attach(&d, PortType::Ldb, c.ldb[0])?,
        attach(&d, PortType::Ldb, c.ldb[1])?,
    ];
    let ev = Event {
        queue: c.aq,
        sched: SchedType::Atomic,
        flow: 1,
        ..Event::default()
    };
    send_all(&mut prod, &[ev])?;
    let mut got = [Event::default()];
    let t = Instant::now();
    let holder = 'found: loop {
        for (i, w) in workers.iter_mut().enumerate() {
            if w.dequeue_burst(&mut got, Timeout::NonBlocking)
                .map_err(e("dequeue"))?
                == 1
            {
                break 'found i;
            }
        }
        if t.elapsed() > Duration::from_secs(5) {
            return Err(format!("no event within 5 s; {}", stats_of(&c.dev)));
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    println!("# held {}", c.ldb[holder]);
    io::Write::flush(&mut io::stdout()).map_err(e("flush"))?;
    wait_for(c, "complete")?;
    if workers[holder].complete(1) != 1 {
        return Err("the held event was not completed".into());
    }
    println!("# completed");
    io::Write::flush(&mut io::stdout()).map_err(e("flush"))?;
    wait_for(c, "exit")
}

/// Waits up to 60 s for the file `<--go>.<what>` to exist.
fn wait_for(c: &Ctx, what: &str) -> R {
    let go = c.go.as_deref().ok_or("--go needed")?;
    let path = format!("{go}.{what}");
    let t = Instant::now();
    while !std::path::Path::new(&path).exists() {
        if t.elapsed() > Duration::from_secs(60) {
            return Err(format!("{path} did not appear within 60 s"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}

/// Counters in an anonymous shared mapping: children made by fork() and
/// their parent see the same ones.
struct SharedCounters {
    ptr: *mut AtomicU64,
    n: usize,
}

// SAFETY: the counters are atomics in memory that lives as long as the
// process; sharing them between threads is what they are for.
unsafe impl Sync for SharedCounters {}

impl SharedCounters {
    fn new(n: usize) -> io::Result<Self> {
        let len = n.max(1) * size_of::<AtomicU64>();
        // SAFETY: a fresh anonymous mapping, zero-filled by the kernel.
        let p = unsafe {
            libc::mmap(
                core::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Self { ptr: p.cast(), n })
    }

    fn get(&self, i: usize) -> &AtomicU64 {
        assert!(i < self.n);
        // SAFETY: `i < n` counters fit the mapping, which lives as long as
        // `self` (never unmapped: the process ends with it); zeroed memory
        // is a valid AtomicU64.
        unsafe { &*self.ptr.add(i) }
    }
}

/// Exit status of a worker whose first mmap() already failed with ENODEV:
/// the device was removed before it mapped anything.
const STORM_BEFORE_MAPPING: i32 = 0;
/// Exit status of a worker whose last mapping was still readable after
/// the removal had finished: the bug the test looks for.
const STORM_STILL_READABLE: i32 = 1;
/// Exit status of a worker that met an errno it does not expect.
const STORM_OTHER: i32 = 2;

/// Whether `err`, from step `open` (open(2) of the node, with the
/// `DOMAIN_INFO` ioctl and the credit page's mmap() that `Domain::open`
/// does) or from `ATTACH`, says the device went before we got there. At
/// open: the node was already removed (ENOENT), its cdev was deleted
/// between the path lookup and the open (ENXIO, from chrdev_open), or the
/// driver had marked the device gone (ENODEV, also what the ioctl and the
/// mmap() return then). At `ATTACH` only ENODEV: ENOENT there means no
/// such port, a real error.
fn device_gone(err: &io::Error, at_open: bool) -> bool {
    match err.raw_os_error() {
        Some(libc::ENODEV) => true,
        Some(libc::ENOENT | libc::ENXIO) => at_open,
        _ => false,
    }
}

/// How a `mapstorm` worker ended, from its wait status.
#[derive(Debug, PartialEq)]
enum StormEnd {
    /// Killed by SIGBUS: its mapping was cut off (the expected end).
    Sigbus,
    /// Exited before its first mapping: the device was gone already.
    BeforeMapping,
    /// Its last mapping was readable after the removal (stale pages).
    StillReadable,
    /// Anything else: an unexpected errno, another signal, a timeout.
    Other,
}

fn storm_end(status: libc::c_int) -> StormEnd {
    if libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGBUS {
        StormEnd::Sigbus
    } else if libc::WIFEXITED(status) {
        match libc::WEXITSTATUS(status) {
            STORM_BEFORE_MAPPING => StormEnd::BeforeMapping,
            STORM_STILL_READABLE => StormEnd::StillReadable,
            _ => StormEnd::Other,
        }
    } else {
        StormEnd::Other
    }
}

/// A `mapstorm` worker: maps, touches and unmaps the CQ of the port its
/// parent attached on `fd`, in a tight loop, until mmap() fails with
/// ENODEV. That failure means the device's removal has finished (the
/// driver's mmap() checks "gone" under the lock its removal holds while
/// it marks the device gone and zaps every mapping), so the mapping the
/// loop made last must be cut off by now: touching it must raise SIGBUS,
/// which ends the worker. Returns its exit status: `STORM_BEFORE_MAPPING`
/// (removed before the first mapping), `STORM_STILL_READABLE` (that
/// mapping was still readable: stale pages) or `STORM_OTHER` (another
/// errno, said on stdout).
fn storm_worker(
    fd: std::os::fd::BorrowedFd<'_>,
    a: &hlb_user::abi::PortAttach,
    maps: &AtomicU64,
) -> i32 {
    let mut last: Option<Mapping> = None;
    loop {
        match Mapping::new(fd, a.cq_offset, a.cq_size as usize, false) {
            Ok(m) => {
                // SAFETY: `m` maps at least one readable byte; volatile
                // because the device writes it. After the removal this
                // may raise SIGBUS, which is an allowed end.
                let _ = unsafe { core::ptr::read_volatile(m.ptr()) };
                maps.fetch_add(1, Ordering::Relaxed);
                last = Some(m);
            }
            Err(err) if err.raw_os_error() == Some(libc::ENODEV) => {
                let Some(m) = last else {
                    return STORM_BEFORE_MAPPING;
                };
                // SAFETY: as above; this read must raise SIGBUS.
                let v = unsafe { core::ptr::read_volatile(m.ptr().cast::<u64>()) };
                println!(
                    "# mapstorm worker {}: CQ mapping still readable after the removal (read {v:#x})",
                    std::process::id()
                );
                return STORM_STILL_READABLE;
            }
            Err(err) => {
                println!(
                    "# mapstorm worker {}: mmap of the CQ: unexpected error: {err}",
                    std::process::id()
                );
                return STORM_OTHER;
            }
        }
    }
}

/// The outcome of one `mapstorm`: counts of its workers' ends.
#[derive(Default)]
struct StormCounts {
    maps: u64,
    procs: usize,
    sigbus: usize,
    early: usize,
    readable: usize,
    other: usize,
    /// Set when the device went before the workers could start: at which
    /// step, with the errno.
    gone_at: Option<String>,
}

impl StormCounts {
    /// The summary line `25-hlb-mmap-unbind.sh` parses; the counts of
    /// ends add up to the workers.
    fn print(&self) {
        println!(
            "# mapstorm: {} mappings by {} workers; ended by SIGBUS {}, removed before mapping {}, still readable {}, otherwise {}{}",
            self.maps,
            self.procs,
            self.sigbus,
            self.early,
            self.readable,
            self.other,
            self.gone_at
                .as_ref()
                .map(|g| format!("; device gone before {g}: no worker started"))
                .unwrap_or_default()
        );
    }

    /// The exit status: 0 when every worker ended by SIGBUS or before it
    /// mapped, 1 when a mapping was still readable (the bug), 2 when
    /// anything else went wrong.
    fn status(&self) -> ExitCode {
        if self.readable > 0 {
            ExitCode::from(1)
        } else if self.other > 0 || self.sigbus + self.early != self.procs {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        }
    }
}

/// Waits for child `pid`; SIGKILL once `deadline` has passed.
fn reap(pid: libc::pid_t, deadline: Instant) -> Result<libc::c_int, io::Error> {
    loop {
        let mut status = 0;
        // SAFETY: waits for our own child.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid {
            return Ok(status);
        }
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        if Instant::now() > deadline {
            // SAFETY: our own child, not reaped yet.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// For `25-hlb-mmap-unbind.sh`: attaches DIR port `--dir ID` of `--dev`,
/// forks `--procs N` workers (`storm_worker`) that map and unmap its CQ
/// until the device goes, says "ready" once each has mapped it, waits
/// for them and prints the counts of their ends (`StormCounts`): each
/// must end by SIGBUS, or before its first mapping (the device was gone
/// already). A device already gone when this opens the node or attaches
/// the port (`device_gone`) is the same legitimate outcome for all N (no
/// worker starts); any other error is not. `--secs S` (default 120): give
/// up on a device that does not go. Exit status: `StormCounts::status`.
fn mapstorm(a: &Args) -> ExitCode {
    let args = || -> Result<(&str, u8, usize, u64), String> {
        let dev = a.req("--dev").map_err(e("args"))?;
        let id: u8 = a
            .req("--dir")
            .map_err(e("args"))?
            .parse()
            .map_err(|_| "bad --dir")?;
        let procs: usize = a.num("--procs", 4).map_err(e("args"))?;
        let secs: u64 = a.num("--secs", 120).map_err(e("args"))?;
        Ok((dev, id, procs, secs))
    };
    let (dev, id, procs, secs) = match args() {
        Ok(v) => v,
        Err(msg) => {
            println!("# mapstorm: {msg}");
            return ExitCode::from(2);
        }
    };
    let mut n = StormCounts {
        procs,
        ..Default::default()
    };
    let fail = |n: &mut StormCounts, msg: String| {
        println!("# mapstorm: {msg}");
        n.other = n.procs - n.sigbus - n.early - n.readable;
        n.print();
        n.status()
    };
    let d = match Domain::open(dev) {
        Ok(d) => d,
        Err(err) if device_gone(&err, true) => {
            n.early = procs;
            n.gone_at = Some(format!("open ({err})"));
            n.print();
            return n.status();
        }
        Err(err) => return fail(&mut n, format!("open: unexpected error: {err}")),
    };
    let fd = std::os::fd::AsFd::as_fd(d.file());
    let mut at = hlb_user::abi::PortAttach {
        type_: hlb_user::abi::LBDX_HLB_PORT_DIR,
        id: id as u32,
        ..Default::default()
    };
    match hlb_user::sys::ioctl(fd, hlb_user::abi::LBDX_HLB_IOC_ATTACH, &mut at) {
        Ok(()) => {}
        Err(err) if device_gone(&err, false) => {
            n.early = procs;
            n.gone_at = Some(format!("ATTACH ({err})"));
            n.print();
            return n.status();
        }
        Err(err) => return fail(&mut n, format!("ATTACH: unexpected error: {err}")),
    }
    // One counter of mappings per worker, shared across fork().
    let shared = match SharedCounters::new(procs) {
        Ok(s) => s,
        Err(err) => return fail(&mut n, format!("counters: {err}")),
    };
    let parent = std::process::id() as libc::pid_t;
    let mut pids = Vec::new();
    let mut fork_err = None;
    for i in 0..procs {
        // SAFETY: single-threaded here; the child only maps, reads and
        // exits with _exit().
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            fork_err = Some(io::Error::last_os_error());
            break;
        }
        if pid == 0 {
            // A worker must not outlive this process (and run on into the
            // script's next round): SIGKILL when it dies.
            // SAFETY: prctl with integer arguments; getppid cannot fail.
            let rc = if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) } != 0
                || unsafe { libc::getppid() } != parent
            {
                STORM_OTHER
            } else {
                storm_worker(fd, &at, shared.get(i))
            };
            let _ = io::Write::flush(&mut io::stdout());
            // SAFETY: ends the child without running the parent's drops.
            unsafe { libc::_exit(rc) };
        }
        pids.push(pid);
    }
    let t = Instant::now();
    if fork_err.is_none() {
        while (0..procs).any(|i| shared.get(i).load(Ordering::Relaxed) == 0) {
            if t.elapsed() > Duration::from_secs(30) {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        println!("# ready");
        let _ = io::Write::flush(&mut io::stdout());
    } else {
        // The workers made so far end now rather than with the device.
        for &pid in &pids {
            // SAFETY: our own child, not reaped yet.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
    let mut statuses = Vec::new();
    for pid in pids {
        match reap(pid, t + Duration::from_secs(secs)) {
            Ok(status) => match storm_end(status) {
                StormEnd::Sigbus => n.sigbus += 1,
                StormEnd::BeforeMapping => n.early += 1,
                StormEnd::StillReadable => n.readable += 1,
                StormEnd::Other => statuses.push(format!("{status:#x}")),
            },
            Err(err) => statuses.push(format!("waitpid: {err}")),
        }
    }
    n.maps = (0..procs)
        .map(|i| shared.get(i).load(Ordering::Relaxed))
        .sum();
    if let Some(err) = fork_err {
        return fail(&mut n, format!("fork: {err}"));
    }
    if !statuses.is_empty() {
        return fail(
            &mut n,
            format!("workers ended otherwise (wait statuses {statuses:?})"),
        );
    }
    n.print();
    n.status()
}

fn run(case: &str, a: &Args) -> Result<R, io::Error> {
    let c = Ctx {
        dev: a.req("--dev")?.to_string(),
        ldb: ids(a.req("--ldb")?)?,
        dir: ids(a.req("--dir")?)?,
        aq: a.num("--aq", 0u8)?,
        oq: a.num("--oq", 1u8)?,
        other_dir: a.value("--other-dir").and_then(|v| v.parse().ok()),
        bad_queue: a.value("--bad-queue").and_then(|v| v.parse().ok()),
        go: a.value("--go").map(str::to_string),
    };
    if c.ldb.len() < 4 || c.dir.len() < 2 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "need 4 LDB and 2 DIR ports",
        ));
    }
    Ok(match case {
        "directed" => directed(&c),
        "spread" => spread(&c),
        "atomic" => atomic(&c),
        "order" => order(&c),
        "priority" => priority(&c),
        "credits" => credits(&c),
        "blocking" => blocking(&c),
        "kill9" => kill9(&c),
        "cross" => cross(&c),
        "badqe" => badqe(&c),
        "unmapped" => unmapped(&c),
        "hold" => hold(&c),
        "pending" => pending(&c),
        "links" => links::links(&c),
        "nolinks" => links::nolinks(&c),
        "reclaim" => reclaim::reclaim(&c),
        "stats" => stats::stats(&c),
        _ => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("unknown case {case}"),
            ))
        }
    })
}

fn main() -> ExitCode {
    let case = std::env::args().nth(1).unwrap_or_default();
    if case == "mapstorm" {
        return mapstorm(&Args::from_env(1));
    }
    match run(&case, &Args::from_env(1)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(msg)) => {
            println!("# {case}: {msg}");
            ExitCode::FAILURE
        }
        Err(err) => {
            println!("# hlb-dptest {case}: {err}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errno(n: i32) -> io::Error {
        io::Error::from_raw_os_error(n)
    }

    #[test]
    fn gone_at_open_and_attach() {
        for n in [libc::ENOENT, libc::ENXIO, libc::ENODEV] {
            assert!(device_gone(&errno(n), true), "open: errno {n}");
        }
        assert!(device_gone(&errno(libc::ENODEV), false));
        // At ATTACH, ENOENT is "no such port": not the device gone.
        assert!(!device_gone(&errno(libc::ENOENT), false));
        assert!(!device_gone(&errno(libc::ENXIO), false));
        for n in [
            libc::EACCES,
            libc::EBUSY,
            libc::EINVAL,
            libc::ENOTTY,
            libc::EIO,
        ] {
            assert!(!device_gone(&errno(n), true), "open: errno {n}");
            assert!(!device_gone(&errno(n), false), "attach: errno {n}");
        }
        assert!(!device_gone(&io::Error::other("abi"), true));
    }

    #[test]
    fn worker_ends() {
        // Wait statuses as the kernel encodes them: exit code << 8, or
        // the signal number.
        let exited = |c: i32| c << 8;
        assert_eq!(storm_end(libc::SIGBUS), StormEnd::Sigbus);
        assert_eq!(storm_end(libc::SIGSEGV), StormEnd::Other);
        assert_eq!(storm_end(libc::SIGKILL), StormEnd::Other);
        assert_eq!(
            storm_end(exited(STORM_BEFORE_MAPPING)),
            StormEnd::BeforeMapping
        );
        assert_eq!(
            storm_end(exited(STORM_STILL_READABLE)),
            StormEnd::StillReadable
        );
        assert_eq!(storm_end(exited(STORM_OTHER)), StormEnd::Other);
        assert_eq!(storm_end(exited(101)), StormEnd::Other);
    }

    #[test]
    fn status_of_counts() {
        let n = |sigbus, early, readable, other| StormCounts {
            procs: 3,
            sigbus,
            early,
            readable,
            other,
            ..Default::default()
        };
        assert_eq!(n(3, 0, 0, 0).status(), ExitCode::SUCCESS);
        assert_eq!(n(1, 2, 0, 0).status(), ExitCode::SUCCESS);
        assert_eq!(n(0, 3, 0, 0).status(), ExitCode::SUCCESS);
        assert_eq!(n(2, 0, 1, 0).status(), ExitCode::from(1));
        assert_eq!(n(1, 0, 1, 1).status(), ExitCode::from(1));
        assert_eq!(n(2, 0, 0, 1).status(), ExitCode::from(2));
        // Counts that do not add up to the workers are not a pass.
        assert_eq!(n(2, 0, 0, 0).status(), ExitCode::from(2));
    }
}

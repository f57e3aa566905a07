// SPDX-License-Identifier: GPL-2.0

//! [`SimDevice`]: an in-process simulated HLB domain for host tests and
//! `hlb-pipeline --sim`. It owns the memory a driver would map (QE rings,
//! CQ rings, the credit page), takes QEs by their byte-15 handshake,
//! hands them to the device's scheduling core (`hlb_sched::Domain`) and
//! writes CQ entries bytes 0-14 first, byte 15 last, like the device.
//! Run it step by step ([`SimDevice::step`]) or on a thread
//! ([`SimDevice::run`]).

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use hlb_sched::{CqSink, DomainConfig, LinkError, PortId};
use lbdx_logic::hw::hlb_regs::{AlarmCode, CqEntry, Qe};

use crate::abi::Alert;
use crate::mem::{join, split, PortMem, QE_SLOTS};
use crate::port::{Port, PortConfig, PortType, PortWait};

/// Memory of one simulated port.
struct SimPort {
    qe: Box<[AtomicU64]>,
    cq: Box<[AtomicU64]>,
    depth: u32,
    attached: AtomicBool,
}

struct State {
    dom: hlb_sched::Domain,
    next: Vec<u32>,
    alarms: Vec<Alert>,
}

struct Inner {
    state: Mutex<State>,
    ports: Vec<SimPort>,
    credits: Box<[AtomicU32; 2]>,
    kick: (Mutex<u64>, Condvar),
    written: (Mutex<u64>, Condvar),
    stop: AtomicBool,
}

/// A simulated started domain.
#[derive(Clone)]
pub struct SimDevice {
    inner: Arc<Inner>,
}

/// The index of LDB port `port` in `dom` (`EINVAL` if it has none).
fn ldb_index(dom: &hlb_sched::Domain, port: u8) -> io::Result<usize> {
    dom.port_index(PortId::Ldb(port))
        .ok_or_else(|| io::Error::from_raw_os_error(libc::EINVAL))
}

/// The errno the driver gives for a refused link change.
fn link_err(e: LinkError) -> io::Error {
    io::Error::from_raw_os_error(match e {
        LinkError::NotLinked => libc::ENOENT,
        LinkError::NoSlot => libc::ENOSPC,
        LinkError::NoPort | LinkError::NoQueue | LinkError::BadPriority => libc::EINVAL,
    })
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

struct Sink<'a> {
    ports: &'a [SimPort],
}

impl CqSink for Sink<'_> {
    fn write(&mut self, port: usize, index: u32, entry: &CqEntry) {
        let p = &self.ports[port];
        let (lo, hi) = split(&entry.to_bytes());
        let i = (index & (p.depth - 1)) as usize * 2;
        p.cq[i].store(lo, Ordering::Relaxed);
        p.cq[i + 1].store(hi, Ordering::Release);
    }
}

impl SimDevice {
    /// A started domain of configuration `cfg`.
    pub fn new(cfg: &DomainConfig) -> io::Result<Self> {
        let dom = hlb_sched::Domain::new(cfg)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{e:?}")))?;
        let ports: Vec<SimPort> = dom
            .cq_depths()
            .map(|d| SimPort {
                qe: (0..QE_SLOTS * 2).map(|_| AtomicU64::new(0)).collect(),
                cq: (0..d.max(1) * 2).map(|_| AtomicU64::new(0)).collect(),
                depth: d,
                attached: AtomicBool::new(false),
            })
            .collect();
        let (l, d) = dom.initial_credits();
        let next = vec![0; ports.len()];
        Ok(Self {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    dom,
                    next,
                    alarms: Vec::new(),
                }),
                ports,
                credits: Box::new([AtomicU32::new(l), AtomicU32::new(d)]),
                kick: (Mutex::new(0), Condvar::new()),
                written: (Mutex::new(0), Condvar::new()),
                stop: AtomicBool::new(false),
            }),
        })
    }

    /// Links LDB queue `queue` to LDB port `port` at `priority` at run
    /// time ([`hlb_sched::Domain::link`]), with the driver's errnos.
    pub fn link(&self, port: u8, queue: u8, priority: u8) -> io::Result<()> {
        let mut st = lock(&self.inner.state);
        let i = ldb_index(&st.dom, port)?;
        st.dom.link(i, queue, priority).map_err(link_err)
    }

    /// Unlinks LDB queue `queue` from LDB port `port`
    /// ([`hlb_sched::Domain::unlink`]).
    pub fn unlink(&self, port: u8, queue: u8) -> io::Result<()> {
        let mut st = lock(&self.inner.state);
        let i = ldb_index(&st.dom, port)?;
        st.dom.unlink(i, queue).map(|_| ()).map_err(link_err)
    }

    /// Unlinks of LDB port `port` still pending.
    pub fn unlinks_in_progress(&self, port: u8) -> io::Result<u32> {
        let st = lock(&self.inner.state);
        let i = ldb_index(&st.dom, port)?;
        Ok((0..=u8::MAX)
            .filter(|&q| st.dom.unlink_pending(i, q))
            .count() as u32)
    }

    /// The software credit pools (LDB, DIR) of the credit page.
    pub fn credits(&self) -> (u32, u32) {
        let c = &self.inner.credits;
        (c[0].load(Ordering::Acquire), c[1].load(Ordering::Acquire))
    }

    /// The device's own pools (LDB, DIR).
    pub fn device_credits(&self) -> (u32, u32) {
        lock(&self.inner.state).dom.credits()
    }

    /// The device's state, for diagnosing a stalled pipeline: the
    /// software and device credit pools, per port its CQ (occupancy,
    /// written, consumed), history-list use and QEs waiting in its ring,
    /// per directed queue its depth, per LDB queue its
    /// [`hlb_sched::QueueState`].
    pub fn dump(&self) -> String {
        use std::fmt::Write;
        let inner = &*self.inner;
        let st = lock(&inner.state);
        let (sl, sd) = self.credits();
        let (dl, dd) = st.dom.credits();
        let mut s = format!("software pools ldb {sl} dir {sd}; device pools ldb {dl} dir {dd}\n");
        for (i, p) in inner.ports.iter().enumerate() {
            let mut pending = 0;
            while pending < QE_SLOTS {
                let slot = (st.next[i].wrapping_add(pending) % QE_SLOTS) as usize * 2;
                if p.qe[slot + 1].load(Ordering::Acquire) >> 56 == 0 {
                    break;
                }
                pending += 1;
            }
            let id = st.dom.port_id(i);
            let _ = write!(
                s,
                "  {id:?}: cq occupancy {}/{} written {} consumed {} hl {} qe taken {} pending {}",
                st.dom.cq_occupancy(i),
                p.depth,
                st.dom.cq_written(i),
                st.dom.pp_consumed(i),
                st.dom.hl_used(i),
                st.next[i],
                pending,
            );
            if let PortId::Dir(_) = id {
                let _ = write!(s, " dq depth {}", st.dom.queue_depth(id));
            }
            s.push('\n');
        }
        for q in 0..=255u8 {
            if let Some(qs) = st.dom.queue_state(q) {
                let _ = writeln!(s, "  queue {q}: {qs:?}");
            }
        }
        s
    }

    /// Every alarm raised so far.
    pub fn alarms(&self) -> Vec<Alert> {
        lock(&self.inner.state).alarms.clone()
    }

    /// Attaches a port (`ENOENT`: not in the domain, `EBUSY`: attached).
    pub fn attach(&self, kind: PortType, id: u8) -> io::Result<Port> {
        self.attach_with(kind, id, PortConfig::default())
    }

    /// Attaches a port with tunables.
    pub fn attach_with(&self, kind: PortType, id: u8, cfg: PortConfig) -> io::Result<Port> {
        let pid = match kind {
            PortType::Ldb => PortId::Ldb(id),
            PortType::Dir => PortId::Dir(id),
        };
        let idx = lock(&self.inner.state)
            .dom
            .port_index(pid)
            .ok_or_else(|| io::Error::from_raw_os_error(libc::ENOENT))?;
        let p = &self.inner.ports[idx];
        if p.attached.swap(true, Ordering::AcqRel) {
            return Err(io::Error::from_raw_os_error(libc::EBUSY));
        }
        let owner: Arc<dyn std::any::Any + Send + Sync> = self.inner.clone();
        // SAFETY: the rings and credits live in `Inner`, kept alive by
        // `owner`, sized as PortMem requires and only accessed atomically.
        let mem = unsafe {
            PortMem::new(
                p.qe.as_ptr() as *mut u8,
                core::ptr::null_mut(),
                p.cq.as_ptr() as *const u8,
                p.depth,
                self.inner.credits.as_ptr() as *mut u8,
                core::ptr::null_mut(),
                owner,
            )
        };
        let dev = self.clone();
        let mem = mem.with_doorbell_hook(Arc::new(move || dev.kick()));
        let wait = SimWait {
            dev: self.clone(),
            idx,
            snapshot: 0,
        };
        Ok(Port::new(mem, Box::new(wait), kind, id, cfg))
    }

    fn kick(&self) {
        let (m, c) = &self.inner.kick;
        *lock(m) += 1;
        c.notify_one();
    }

    fn cq_writes(&self) -> u64 {
        *lock(&self.inner.written.0)
    }

    /// Takes every QE the rings hold and schedules once. Returns QEs
    /// taken plus entries written.
    pub fn step(&self) -> usize {
        let inner = &*self.inner;
        let mut st = lock(&inner.state);
        let mut work = 0usize;
        for (i, p) in inner.ports.iter().enumerate() {
            loop {
                let slot = (st.next[i] % QE_SLOTS) as usize * 2;
                let hi = p.qe[slot + 1].load(Ordering::Acquire);
                if hi >> 56 == 0 {
                    break;
                }
                let lo = p.qe[slot].load(Ordering::Relaxed);
                let r = match Qe::from_bytes(&join(lo, hi)) {
                    Ok(qe) => st.dom.submit(i, &qe),
                    Err(_) => Err(AlarmCode::BadQe),
                };
                if let Err(code) = r {
                    let (port_type, port_id) = match st.dom.port_id(i) {
                        PortId::Ldb(p) => (0, p),
                        PortId::Dir(p) => (1, p),
                    };
                    st.alarms.push(Alert {
                        code: code as u32,
                        port_type,
                        port_id: port_id as u32,
                        ..Alert::default()
                    });
                }
                p.qe[slot + 1].store(hi & !(0xff << 56), Ordering::Release);
                st.next[i] = st.next[i].wrapping_add(1);
                work += 1;
            }
        }
        let n = st.dom.schedule(&mut Sink {
            ports: &inner.ports,
        }) as usize;
        drop(st);
        if n > 0 {
            let (m, c) = &inner.written;
            *lock(m) += 1;
            c.notify_all();
        }
        work + n
    }

    /// Steps until nothing moves (at most `max` steps).
    pub fn settle(&self, max: usize) {
        for _ in 0..max {
            if self.step() == 0 {
                return;
            }
        }
    }

    /// Runs the device on a thread until the returned handle is dropped:
    /// it steps while there is work and otherwise sleeps until a doorbell
    /// or its 1 ms polling interval.
    pub fn run(&self) -> SimRunner {
        let dev = self.clone();
        dev.inner.stop.store(false, Ordering::Release);
        let thread = std::thread::spawn(move || {
            let mut idle = 0u32;
            while !dev.inner.stop.load(Ordering::Acquire) {
                if dev.step() > 0 {
                    idle = 0;
                    continue;
                }
                idle += 1;
                if idle < 32 {
                    std::thread::yield_now();
                    continue;
                }
                let (m, c) = &dev.inner.kick;
                let g = lock(m);
                let seen = *g;
                let _ = c.wait_timeout_while(g, Duration::from_millis(1), |k| *k == seen);
            }
        });
        SimRunner {
            dev: self.clone(),
            thread: Some(thread),
        }
    }
}

/// The device thread of [`SimDevice::run`]; stops it on drop.
pub struct SimRunner {
    dev: SimDevice,
    thread: Option<JoinHandle<()>>,
}

impl Drop for SimRunner {
    fn drop(&mut self) {
        self.dev.inner.stop.store(true, Ordering::Release);
        self.dev.kick();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Sleeping on the simulated device: wakes on any CQ write after arming.
struct SimWait {
    dev: SimDevice,
    idx: usize,
    snapshot: u64,
}

impl PortWait for SimWait {
    fn arm(&mut self, _read_index: u32) -> io::Result<()> {
        self.snapshot = self.dev.cq_writes();
        Ok(())
    }

    fn wait(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        let (m, c) = &self.dev.inner.written;
        let g = lock(m);
        let snap = self.snapshot;
        match timeout {
            Some(t) => drop(c.wait_timeout_while(g, t, |w| *w == snap)),
            None => drop(c.wait_while(g, |w| *w == snap)),
        }
        Ok(())
    }
}

impl Drop for SimWait {
    fn drop(&mut self) {
        self.dev.inner.ports[self.idx]
            .attached
            .store(false, Ordering::Release);
    }
}

// SPDX-License-Identifier: GPL-2.0

//! [`Port`]: one attached port's data plane over [`PortMem`]. Enqueue
//! (NEW), forward, complete, token return and dequeue by generation bit,
//! with credits from the domain's software pools; blocking through a
//! [`PortWait`] (the ARM ioctl and poll() on the real device).

use std::io;
use std::time::{Duration, Instant};

use lbdx_logic::hw::hlb_regs::{CqEntry, Qe, QeCommand, SchedType};

use crate::credits::{CreditCache, DEFAULT_QUANTA};
use crate::event::{control_qe, Event};
use crate::mem::PortMem;

/// Kind of port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PortType {
    /// Load-balanced.
    Ldb,
    /// Directed.
    Dir,
}

impl PortType {
    /// `LBDX_HLB_PORT_*`.
    pub fn abi(self) -> u32 {
        match self {
            Self::Ldb => crate::abi::LBDX_HLB_PORT_LDB,
            Self::Dir => crate::abi::LBDX_HLB_PORT_DIR,
        }
    }
}

/// How long [`Port::dequeue_burst`] may wait for an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timeout {
    /// Return at once.
    NonBlocking,
    /// Sleep at most this long.
    After(Duration),
    /// Sleep until an entry arrives.
    Forever,
}

/// How a port sleeps until its CQ has an entry.
pub trait PortWait: Send {
    /// Arms the CQ interrupt for a consumer at `read_index`.
    fn arm(&mut self, read_index: u32) -> io::Result<()>;
    /// Sleeps until the armed interrupt fires, `timeout` passes (None:
    /// forever) or a signal arrives. Spurious returns are allowed.
    fn wait(&mut self, timeout: Option<Duration>) -> io::Result<()>;
    /// Alerts queued for this port's file (nonblocking).
    fn read_alerts(&mut self) -> io::Result<Vec<crate::abi::Alert>> {
        Ok(Vec::new())
    }
}

/// Tunables of a port.
#[derive(Clone, Copy, Debug)]
pub struct PortConfig {
    /// Credits taken from a shared pool at once.
    pub credit_quanta: u32,
    /// Ring the doorbell after every burst (else the device sees the QEs
    /// within its polling interval, at most 1 ms).
    pub doorbell: bool,
    /// How long a write waits for a QE ring slot the device has not taken
    /// yet before the burst returns short.
    pub full_ring_wait: Duration,
    /// NEW events are refused (`ENOSPC`) rather than take the shared
    /// pool below this many credits, which stay for forwards (DPDK's
    /// `new_event_threshold`, inverted); 0: no floor.
    pub new_event_floor: u32,
}

impl Default for PortConfig {
    fn default() -> Self {
        Self {
            credit_quanta: DEFAULT_QUANTA,
            doorbell: true,
            full_ring_wait: Duration::from_millis(5),
            new_event_floor: 0,
        }
    }
}

/// What [`Port::state`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortState {
    /// Port type.
    pub kind: PortType,
    /// Device port number.
    pub id: u8,
    /// Load-balanced events held.
    pub held: u32,
    /// Tokens owed to the device.
    pub owed_tokens: u32,
    /// Credits cached (LDB, DIR).
    pub cached_credits: [u32; 2],
    /// Free-running CQ read index.
    pub read_index: u32,
    /// Next QE ring slot (free-running).
    pub qe_next: u32,
    /// QEs written since the last doorbell.
    pub unrung: u32,
    /// Events sent (NEW and FORWARD) since the port was attached.
    pub enqueued: u64,
    /// Events taken from the CQ since the port was attached.
    pub dequeued: u64,
}

/// One attached port.
pub struct Port {
    mem: PortMem,
    wait: Box<dyn PortWait>,
    kind: PortType,
    id: u8,
    cfg: PortConfig,
    credits: CreditCache,
    /// Next QE ring slot (free-running).
    qe_next: u32,
    /// CQ read index (free-running, as ARM takes it).
    read: u32,
    /// Tokens of entries read and not returned yet.
    owed_tokens: u32,
    /// Load-balanced events received and not completed or forwarded.
    held: u32,
    /// QEs written since the last doorbell.
    unrung: u32,
    /// Events sent (NEW and FORWARD).
    enqueued: u64,
    /// Events taken from the CQ.
    dequeued: u64,
}

impl Port {
    /// A port over `mem`, sleeping with `wait`.
    pub fn new(
        mem: PortMem,
        wait: Box<dyn PortWait>,
        kind: PortType,
        id: u8,
        cfg: PortConfig,
    ) -> Self {
        Self {
            mem,
            wait,
            kind,
            id,
            credits: CreditCache::new(cfg.credit_quanta),
            cfg,
            qe_next: 0,
            read: 0,
            owed_tokens: 0,
            held: 0,
            unrung: 0,
            enqueued: 0,
            dequeued: 0,
        }
    }

    /// Port type.
    pub fn port_type(&self) -> PortType {
        self.kind
    }

    /// Device port number.
    pub fn id(&self) -> u8 {
        self.id
    }

    /// CQ entries.
    pub fn cq_depth(&self) -> u32 {
        self.mem.cq_depth()
    }

    /// Free-running CQ read index.
    pub fn read_index(&self) -> u32 {
        self.read
    }

    /// Load-balanced events held (to complete or forward, oldest first).
    pub fn held(&self) -> u32 {
        self.held
    }

    /// Tokens owed to the device.
    pub fn owed_tokens(&self) -> u32 {
        self.owed_tokens
    }

    /// A snapshot of the port's user-space state (diagnostics, and what
    /// it sent and received to compare with the driver's statistics).
    pub fn state(&self) -> PortState {
        PortState {
            kind: self.kind,
            id: self.id,
            held: self.held,
            owed_tokens: self.owed_tokens,
            cached_credits: [self.credits.held(false), self.credits.held(true)],
            read_index: self.read,
            qe_next: self.qe_next,
            unrung: self.unrung,
            enqueued: self.enqueued,
            dequeued: self.dequeued,
        }
    }

    /// Alerts queued on this port's file (nonblocking read).
    pub fn read_alerts(&mut self) -> io::Result<Vec<crate::abi::Alert>> {
        self.wait.read_alerts()
    }

    /// Credits cached by this port (LDB or DIR).
    pub fn cached_credits(&self, dir: bool) -> u32 {
        self.credits.held(dir)
    }

    /// Changes the tunables (the credit quanta takes effect at the next
    /// refill).
    pub fn set_config(&mut self, cfg: PortConfig) {
        self.credits.release_all(&self.mem);
        self.credits = CreditCache::new(cfg.credit_quanta);
        self.cfg = cfg;
    }

    /// Writes one QE into the next slot, piggybacking a token if one is
    /// owed. Waits up to `full_ring_wait` for a full ring to drain; false
    /// if it did not.
    fn push(&mut self, mut qe: Qe) -> bool {
        if !self.mem.qe_slot_free(self.qe_next) {
            self.mem.ring_doorbell();
            self.unrung = 0;
            let start = Instant::now();
            let mut spins = 0u32;
            while !self.mem.qe_slot_free(self.qe_next) {
                if start.elapsed() >= self.cfg.full_ring_wait {
                    return false;
                }
                spins += 1;
                if spins < 64 {
                    core::hint::spin_loop();
                } else {
                    std::thread::yield_now();
                }
            }
        }
        if self.owed_tokens > 0 && !qe.token {
            qe.token = true;
            self.owed_tokens -= 1;
        }
        self.mem.write_qe(self.qe_next, &qe.to_bytes());
        self.qe_next = self.qe_next.wrapping_add(1);
        self.unrung += 1;
        true
    }

    /// Rings the doorbell if QEs were written since the last ring and the
    /// port is configured to.
    fn end_burst(&mut self) {
        if self.cfg.doorbell && self.unrung > 0 {
            self.mem.ring_doorbell();
            self.unrung = 0;
        }
    }

    /// Rings the doorbell now.
    pub fn flush(&mut self) {
        self.mem.ring_doorbell();
        self.unrung = 0;
    }

    /// Enqueues `events` (NEW). Returns how many went: fewer than asked
    /// when the credits ran out or the QE ring stayed full. Error
    /// `ENOSPC` if no credit was left for the first event, `EAGAIN`
    /// (WouldBlock) if the ring stayed full for it.
    pub fn enqueue_burst(&mut self, events: &[Event]) -> io::Result<usize> {
        self.send(events, QeCommand::New)
    }

    /// Forwards `events` (FORWARD): each completes the oldest held
    /// load-balanced event and enqueues itself (in sequence order if the
    /// completed one was ordered). Needs a credit per event. Returns how
    /// many went; `EINVAL` if no event is held, else as
    /// [`Self::enqueue_burst`].
    pub fn forward_burst(&mut self, events: &[Event]) -> io::Result<usize> {
        self.send(events, QeCommand::Forward)
    }

    fn send(&mut self, events: &[Event], cmd: QeCommand) -> io::Result<usize> {
        let mut n = 0;
        let mut err = None;
        for ev in events {
            if cmd == QeCommand::Forward && self.held == 0 {
                err = Some(io::Error::from_raw_os_error(libc::EINVAL));
                break;
            }
            let dir = ev.is_directed();
            let floor = if cmd == QeCommand::New {
                self.cfg.new_event_floor
            } else {
                0
            };
            if !self.credits.reserve_one(&self.mem, dir, floor) {
                // Stuck for this pool: hold no credits of the other one
                // either while the caller waits (see `idle`).
                self.credits.release_all(&self.mem);
                err = Some(io::Error::from_raw_os_error(libc::ENOSPC));
                break;
            }
            self.credits.spend(&self.mem, dir);
            if !self.push(ev.to_qe(cmd, false)) {
                self.credits.unspend(&self.mem, dir);
                err = Some(io::Error::from(io::ErrorKind::WouldBlock));
                break;
            }
            if cmd == QeCommand::Forward {
                self.held -= 1;
            }
            n += 1;
        }
        self.end_burst();
        self.enqueued += n as u64;
        match (n, err) {
            (0, Some(e)) if !events.is_empty() => Err(e),
            _ => Ok(n),
        }
    }

    /// Completes (releases) up to `n` held load-balanced events, oldest
    /// first. Returns how many were completed.
    pub fn complete(&mut self, n: u32) -> usize {
        let mut done = 0;
        while done < n.min(self.held) {
            if !self.push(control_qe(QeCommand::Complete, 0, false)) {
                break;
            }
            done += 1;
        }
        self.held -= done;
        self.end_burst();
        done as usize
    }

    /// Completes every held event.
    pub fn release_all(&mut self) -> usize {
        self.complete(self.held)
    }

    /// Returns every owed token in one RETURN_TOKENS QE.
    pub fn return_tokens(&mut self) {
        if self.owed_tokens == 0 {
            return;
        }
        let count = self.owed_tokens.min(u16::MAX as u32);
        // `push` must not piggyback: count the tokens out first.
        self.owed_tokens -= count;
        let qe = control_qe(QeCommand::ReturnTokens, count as u16, false);
        if !self.push(qe) {
            self.owed_tokens += count;
        }
        self.end_burst();
    }

    /// Takes the entries the CQ holds (up to `out.len()`), giving one
    /// credit back to the shared pool per event.
    fn poll_cq(&mut self, out: &mut [Event]) -> usize {
        let depth = self.mem.cq_depth();
        if depth == 0 {
            return 0;
        }
        let mut n = 0;
        let mut back = [0u32; 2];
        while n < out.len() {
            let gen = CqEntry::gen_for(self.read, depth);
            let Some(bytes) = self.mem.read_cq(self.read, gen) else {
                break;
            };
            let ev = Event::from_cq(&CqEntry::from_bytes(&bytes));
            let dir = ev.sched == SchedType::Directed;
            back[dir as usize] += 1;
            if !dir {
                self.held += 1;
            }
            out[n] = ev;
            n += 1;
            self.read = self.read.wrapping_add(1);
            self.owed_tokens += 1;
        }
        if n > 0 {
            self.mem.set_ledger_credited(self.read);
            self.dequeued += n as u64;
        }
        CreditCache::give_back(&self.mem, false, back[0]);
        CreditCache::give_back(&self.mem, true, back[1]);
        n
    }

    /// The CQ is empty: give the cached credits back to the shared pools.
    ///
    /// A port with nothing to do must not sit on credits. Forwarded
    /// events of an ordered queue wait in its reorder buffer, each holding
    /// a credit of its destination, until the oldest sequence number is
    /// forwarded; with up to `sn_count` of them stored, the port holding
    /// that oldest event may find the pool empty while idle ports (which
    /// get nothing more until the window moves) keep the remaining
    /// credits in their caches: a credit deadlock. Giving the cache back
    /// whenever the CQ is found empty (and whenever a send finds no
    /// credit) bounds what ports hold to what busy ports are about to
    /// spend. Costs one atomic add per idle period.
    fn idle(&mut self) {
        self.credits.release_all(&self.mem);
    }

    /// Dequeues up to `out.len()` events. Tokens owed from earlier bursts
    /// are returned first (one RETURN_TOKENS QE, unless QEs written since
    /// carried them). If the CQ is empty, gives the cached credits back
    /// to the shared pools and, if `timeout` allows, arms the port and
    /// sleeps (no busy polling).
    pub fn dequeue_burst(&mut self, out: &mut [Event], timeout: Timeout) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        self.return_tokens();
        let deadline = match timeout {
            Timeout::After(d) => Some(Instant::now() + d),
            _ => None,
        };
        loop {
            let n = self.poll_cq(out);
            if n > 0 {
                return Ok(n);
            }
            self.idle();
            if timeout == Timeout::NonBlocking {
                return Ok(0);
            }
            self.return_tokens();
            self.flush();
            self.wait.arm(self.read)?;
            let n = self.poll_cq(out);
            if n > 0 {
                return Ok(n);
            }
            let left = match deadline {
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return Ok(0);
                    }
                    Some(d - now)
                }
                None => None,
            };
            self.wait.wait(left)?;
        }
    }
}

impl Drop for Port {
    fn drop(&mut self) {
        self.credits.release_all(&self.mem);
    }
}

// SPDX-License-Identifier: GPL-2.0

//! Run-time use of one started domain: who has it open, which file holds
//! which port, where each consumer sleeps, the alerts waiting to be read,
//! and the drain when the last user goes.
//!
//! A [`DomainRun`] exists from `start` to `stop` of its domain (configfs
//! owns that); the character device (`domain_cdev.rs`) is its user
//! interface. Lifecycle:
//!
//! * open: one more user; close (or the death of the process): one less.
//!   Ports are attached per file, so closing detaches them. On a device
//!   with port reset (HLB 1.3) a port the closing file used is taken back
//!   at once (`port_reclaim.rs`: stopped, the events it held dropped, its
//!   credits returned, reset) while the other files' ports keep running.
//!   When the count drops to 0 the domain is *drained*: stopped in the
//!   device (every event in it is dropped and every credit returns to its
//!   pool), its CQ rings zeroed, its credit page refilled, started again.
//! * `retire` (configfs stop or reset): refused with `EBUSY` while the
//!   domain has users; removes the node.
//! * `kill` (the device goes away): cuts users off (their calls fail with
//!   `ENODEV`, their mappings go) and removes the node.
//!
//! Its statistics are `run_stats.rs`'s, shown by `stats_sysfs.rs` and read
//! every `run_stats::FOLD_PERIOD_MS` while it is published.
//!
//! Locks: `life` (a mutex) orders drains with retire and kill; `inner` (a
//! spinlock, because `poll` checks it while its task is about to sleep)
//! holds users, ports and alerts.

use super::{
    credit_page::CreditPage,
    dataplane::DataPlane,
    domain_cdev::Cdev,
    port_reclaim,
    run_stats::{self, DomainStat, Objects, RunStats, DEVICE_STATS},
    stats_sysfs::StatsFiles,
    uapi::{self, Alert},
};
use crate::{
    hw::hlb_regs as regs,
    periodic::{Check, Running},
};
use kernel::{
    bindings,
    io::Io,
    new_mutex, new_spinlock,
    prelude::*,
    str::CString,
    sync::{Arc, Mutex, SpinLock},
};

// poll() bits (`include/uapi/linux/eventpoll.h`; bindgen does not see
// them through their `__force` casts).
const EPOLLIN: u32 = 0x001;
const EPOLLPRI: u32 = 0x002;
const EPOLLERR: u32 = 0x008;
const EPOLLHUP: u32 = 0x010;
const EPOLLRDNORM: u32 = 0x040;

/// Alerts queued per file before further ones are only counted.
const ALERTS_PER_FILE: usize = 32;
/// Open files one domain may have.
const FILES_MAX: usize = 256;

/// A port of a started domain.
#[derive(Clone, Copy)]
pub(crate) struct RunPort {
    /// `uapi::PORT_LDB` or `uapi::PORT_DIR`.
    pub(crate) kind: u32,
    /// Device port number.
    pub(crate) id: u32,
    /// CQ depth (a power of two).
    pub(crate) depth: u32,
}

impl RunPort {
    /// Offset of the port's data-plane register `reg` in BAR0.
    pub(crate) fn reg(&self, reg: usize) -> usize {
        if self.kind == uapi::PORT_LDB {
            regs::ldb_pp_reg(self.id, reg)
        } else {
            regs::dir_pp_reg(self.id, reg)
        }
    }

    /// `"ldb"` or `"dir"`, for messages and stats.
    pub(crate) fn kind_name(&self) -> &'static str {
        if self.kind == uapi::PORT_LDB {
            "ldb"
        } else {
            "dir"
        }
    }

    /// BAR4 offset of the port's producer window.
    pub(crate) fn window(&self) -> usize {
        if self.kind == uapi::PORT_LDB {
            regs::ldb_pp_window(self.id)
        } else {
            regs::dir_pp_window(self.id)
        }
    }
}

/// What a domain was started with, for its [`DomainRun`].
pub(crate) struct RunConfig {
    pub(crate) id: u32,
    pub(crate) name: CString,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    pub(crate) mode: u16,
    pub(crate) ldb_credits: u32,
    pub(crate) dir_credits: u32,
    pub(crate) queues: KVec<u32>,
    pub(crate) ports: KVec<RunPort>,
    /// Changes the domain's links for its file (`None`: the device does
    /// not link at run time).
    pub(crate) links: Option<Arc<dyn RunLinks>>,
}

/// What a domain's file may change of its links while it runs
/// (`LBDX_HLB_IOC_LINK`, `UNLINK`, `UNLINKS_PENDING`); the control
/// plane's, which keeps the records configfs shows.
pub(crate) trait RunLinks: Send + Sync {
    /// Links LDB queue `queue` to LDB port `port` (device numbers) at
    /// `priority`, or unlinks it (`None`) without waiting for the unlink
    /// to take effect.
    fn link(&self, port: u32, queue: u32, priority: Option<u32>) -> Result;
    /// How many unlinks of LDB port `port` are still pending.
    fn unlinks_pending(&self, port: u32) -> Result<u32>;
}

/// Alerts of one open file.
struct FileAlerts {
    file: u64,
    queue: [Alert; ALERTS_PER_FILE],
    head: usize,
    len: usize,
    dropped: u32,
}

struct Inner {
    users: u32,
    dead: bool,
    next_file: u64,
    /// Per port (in `ports` order): the file holding it, the read index it
    /// armed with, and whether it was *used*: mapped since it was last
    /// free. The device keeps a used port's producer slot, CQ position,
    /// tokens and history, so a used port is free again only once taken
    /// back (`port_reclaim`, when its file closes) or drained. A port being
    /// taken back stays held by its closed file's number meanwhile.
    owner: KVec<Option<u64>>,
    armed: KVec<Option<u32>>,
    used: KVec<bool>,
    files: KVec<KBox<FileAlerts>>,
}

struct Life {
    cdev: Option<Cdev>,
    stats: Option<StatsFiles>,
    fold: Option<Running<Fold>>,
}

/// Reads a published domain's counters every `run_stats::FOLD_PERIOD_MS`.
struct Fold(Arc<DomainRun>);

impl Check for Fold {
    fn check(&self) -> bool {
        self.0.stats.fold(&|off| self.0.counter(off));
        true
    }
}

/// Run-time state of one started domain.
#[pin_data]
pub(crate) struct DomainRun {
    dp: Arc<DataPlane>,
    pub(crate) cfg: RunConfig,
    credits: CreditPage,
    pub(crate) vector: u32,
    #[pin]
    stats: RunStats,
    #[pin]
    inner: SpinLock<Inner>,
    #[pin]
    life: Mutex<Life>,
}

impl DomainRun {
    /// Run-time state for a domain about to start with `cfg`, its CQs on
    /// `vector`.
    pub(crate) fn new(dp: Arc<DataPlane>, cfg: RunConfig, vector: u32) -> Result<Arc<Self>> {
        let n = cfg.ports.len();
        let mut owner = KVec::with_capacity(n, GFP_KERNEL)?;
        let mut armed = KVec::with_capacity(n, GFP_KERNEL)?;
        let mut used = KVec::with_capacity(n, GFP_KERNEL)?;
        for _ in 0..n {
            owner.push(None, GFP_KERNEL)?;
            armed.push(None, GFP_KERNEL)?;
            used.push(false, GFP_KERNEL)?;
        }
        let credits = CreditPage::new()?;
        credits.fill(cfg.ldb_credits, cfg.dir_credits);
        let objects = Objects::new(&cfg.ports, &cfg.queues)?;
        let (has_stats, queue_stats) = (dp.has_stats(), dp.queue_stats());
        // Reserve what `open` pushes under the spinlock.
        let files = KVec::with_capacity(FILES_MAX, GFP_KERNEL)?;
        Arc::pin_init(
            try_pin_init!(Self {
                dp,
                cfg,
                credits,
                vector,
                stats <- RunStats::new(objects, has_stats, queue_stats),
                inner <- new_spinlock!(Inner {
                    users: 0,
                    dead: false,
                    next_file: 1,
                    owner,
                    armed,
                    used,
                    files,
                }),
                life <- new_mutex!(Life {
                    cdev: None,
                    stats: None,
                    fold: None,
                }),
            }? Error),
            GFP_KERNEL,
        )
    }

    /// Makes the character device and its stats (after the domain
    /// started in the device).
    pub(crate) fn publish(self: &Arc<Self>) -> Result {
        let mut life = self.life.lock();
        let cdev = Cdev::create(self.dp.parent(), self, &self.cfg)?;
        // SAFETY: The files are removed in `retire` or `kill`, which the
        // control plane calls before it drops its reference to `self`
        // (`DomainRec::run`); nothing else removes them.
        let stats = unsafe { StatsFiles::new(cdev.device(), self) };
        let up = stats.and_then(|f| {
            life.stats = Some(f);
            life.fold = Some(Running::start(
                Fold(self.clone()),
                run_stats::FOLD_PERIOD_MS,
            )?);
            self.dp.add_waker(self.vector, cdev.waker())
        });
        if let Err(e) = up {
            life.fold = None;
            life.stats = None;
            drop(life);
            cdev.remove();
            return Err(e);
        }
        life.cdev = Some(cdev);
        Ok(())
    }

    /// Removes the stats and stops waking; returns the node for the caller
    /// to remove once it has released `life` (the C side's open holds its
    /// own lock while it calls [`Self::open`], which takes `life`).
    fn take_down(&self, life: &mut Life) -> Option<Cdev> {
        // Stopped before the files go: the last reads of the counters are
        // the device totals' (`forget`).
        life.fold = None;
        life.stats = None;
        let cdev = life.cdev.take();
        if let Some(c) = &cdev {
            self.dp.remove_waker(c.waker());
        }
        self.dp.forget(self);
        cdev
    }

    /// configfs stops or resets the domain: `EBUSY` while it is open.
    pub(crate) fn retire(&self) -> Result {
        let mut life = self.life.lock();
        {
            let mut inner = self.inner.lock();
            if inner.users > 0 {
                return Err(EBUSY);
            }
            inner.dead = true;
        }
        let cdev = self.take_down(&mut life);
        drop(life);
        if let Some(c) = cdev {
            c.remove();
        }
        Ok(())
    }

    /// The device is going away: every user is cut off.
    pub(crate) fn kill(&self) {
        let mut life = self.life.lock();
        self.inner.lock().dead = true;
        let cdev = self.take_down(&mut life);
        drop(life);
        if let Some(c) = cdev {
            c.remove();
        }
    }

    // --- the character device's operations -------------------------------

    /// A file is opened: returns its number. Waits for a drain in
    /// progress, so that a new user never sees one.
    pub(crate) fn open(&self) -> Result<u64> {
        let _life = self.life.lock();
        let mut alerts = KBox::new(
            FileAlerts {
                file: 0,
                queue: [Alert::default(); ALERTS_PER_FILE],
                head: 0,
                len: 0,
                dropped: 0,
            },
            GFP_KERNEL,
        )?;
        let mut inner = self.inner.lock();
        if inner.dead {
            return Err(ENODEV);
        }
        if inner.files.len() >= FILES_MAX {
            return Err(EMFILE);
        }
        let file = inner.next_file;
        alerts.file = file;
        // Within the capacity reserved in `new`: no allocation.
        inner.files.push(alerts, GFP_ATOMIC)?;
        inner.next_file += 1;
        inner.users += 1;
        Ok(file)
    }

    /// File `file` is closed: its ports are detached; the ones it used are
    /// taken back if the device can (else they wait for a drain); the last
    /// close drains the domain.
    pub(crate) fn release(&self, file: u64) {
        let _life = self.life.lock();
        let reclaim = {
            let mut inner = self.inner.lock();
            if let Some(pos) = inner.files.iter().position(|f| f.file == file) {
                let _ = inner.files.remove(pos);
            }
            inner.users = inner.users.saturating_sub(1);
            let last = inner.users == 0;
            let reclaim = !last && !inner.dead && self.dp.port_reset();
            let Inner {
                owner, armed, used, ..
            } = &mut *inner;
            for ((o, a), u) in owner.iter_mut().zip(armed.iter_mut()).zip(used.iter_mut()) {
                if *o != Some(file) {
                    continue;
                }
                *a = None;
                if reclaim && *u {
                    // Held by `file` until taken back below.
                    continue;
                }
                *o = None;
            }
            if last && !inner.dead {
                drop(inner);
                self.drain();
                self.inner.lock().used.iter_mut().for_each(|u| *u = false);
                return;
            }
            reclaim
        };
        if reclaim {
            for i in 0..self.cfg.ports.len() {
                if self.inner.lock().owner[i] == Some(file) {
                    self.take_back(i);
                }
            }
        }
    }

    /// Takes port `i`, held by a closed file, back; it is free again unless
    /// that failed (then it waits for the drain).
    fn take_back(&self, i: usize) {
        let p = &self.cfg.ports[i];
        let rd = &|off| self.counter(off);
        let res = port_reclaim::reclaim(
            &self.dp,
            &self.credits,
            p,
            [self.cfg.ldb_credits, self.cfg.dir_credits],
            || self.stats.freeze_port(rd, i),
        );
        // A reclaim that failed did not reset the port (or the device is
        // gone).
        self.stats.thaw_port(i, res.is_ok());
        match &res {
            Ok(dropped) => {
                self.stats
                    .add(DomainStat::ReclaimDropped, (*dropped).into());
                self.stats.add(DomainStat::Reclaims, 1);
            }
            Err(e) if *e != ENODEV => dev_warn!(
                self.dp.parent(),
                "domain {}: port {}{} not taken back ({:?}); free again at the domain's drain\n",
                self.cfg.id,
                p.kind_name(),
                p.id,
                e
            ),
            Err(_) => {}
        }
        let mut inner = self.inner.lock();
        inner.owner[i] = None;
        inner.used[i] = res.is_err();
    }

    /// Stops the domain in the device (dropping what it holds), zeroes its
    /// rings, refills the credit page and starts it again.
    fn drain(&self) {
        let d = self.cfg.id;
        // Stopping the ports first (HLB 1.3) takes what their windows
        // still held and holds their counters still, so that the last read
        // before the domain's stop zeroes them misses nothing. A port that
        // does not stop in time is stopped with the domain.
        if self.dp.port_reset() {
            for p in self.cfg.ports.iter() {
                let _ = port_reclaim::stop(&self.dp, p);
            }
        }
        self.stats.freeze(&|off| self.counter(off));
        // A stop is complete when it returns: no CQ write lands after the
        // rings are cleared. Nothing to drain once the device is gone; any
        // other failure (an alarm raised meanwhile) still stopped it.
        if self.dp.program().start_domain(d, false) == Err(ENODEV) {
            self.stats.thaw(false);
            return;
        }
        self.dp.with_rings(|rings| {
            for p in self.cfg.ports.iter() {
                rings.of(p).inspect(|r| r.clear());
            }
        });
        self.credits
            .fill(self.cfg.ldb_credits, self.cfg.dir_credits);
        let _ = self.dp.program().start_domain(d, true);
        self.stats.thaw(true);
        self.stats.add(DomainStat::Drains, 1);
    }

    /// BAR0 register at `off`; 0 if the device is gone.
    pub(crate) fn reg(&self, off: usize) -> u32 {
        self.counter(off).unwrap_or(0)
    }

    /// BAR0 counter at `off`; `None` if the device is gone.
    pub(crate) fn counter(&self, off: usize) -> Option<u32> {
        self.dp.bar().try_access()?.try_read32(off).ok()
    }

    /// The domain's statistics.
    pub(crate) fn stats(&self) -> &RunStats {
        &self.stats
    }

    /// What the device totals add up for this domain (`forget`).
    pub(crate) fn totals(&self) -> [u64; DEVICE_STATS] {
        self.stats.totals(&|off| self.counter(off))
    }

    /// Open files.
    pub(crate) fn users(&self) -> u32 {
        self.inner.lock().users
    }

    /// Credits port `p`'s ledger says it holds (`dir`: of the DIR pool):
    /// what its process wrote, informational.
    pub(crate) fn credits_held(&self, p: &RunPort, dir: bool) -> u32 {
        self.credits.ledger(p.kind, p.id).held[usize::from(dir)]
    }

    fn port_index(&self, kind: u32, id: u32) -> Option<usize> {
        self.cfg
            .ports
            .iter()
            .position(|p| p.kind == kind && p.id == id)
    }

    /// The HLB's device, which the CQ rings' DMA memory belongs to.
    pub(crate) fn dma_device(&self) -> &kernel::device::Device {
        self.dp.parent()
    }

    /// `DOMAIN_INFO`.
    pub(crate) fn info(&self) -> uapi::DomainInfo {
        let count = |k| self.cfg.ports.iter().filter(|p| p.kind == k).count() as u32;
        uapi::DomainInfo {
            abi_version: uapi::ABI_VERSION,
            domain_id: self.cfg.id,
            ldb_credits: self.cfg.ldb_credits,
            dir_credits: self.cfg.dir_credits,
            num_ldb_queues: self.cfg.queues.len() as u32,
            num_ldb_ports: count(uapi::PORT_LDB),
            num_dir_ports: count(uapi::PORT_DIR),
            reserved: 0,
            credits_offset: uapi::CREDITS_OFFSET,
        }
    }

    /// `ATTACH`: port (`kind`, `id`) to file `file`.
    pub(crate) fn attach(&self, file: u64, a: &mut uapi::PortAttach) -> Result {
        if a.port_type > uapi::PORT_DIR || a.flags != 0 {
            return Err(EINVAL);
        }
        let i = self.port_index(a.port_type, a.id).ok_or(ENOENT)?;
        let mut inner = self.inner.lock();
        if inner.dead {
            return Err(ENODEV);
        }
        if inner.owner[i].is_some() || inner.used[i] {
            return Err(EBUSY);
        }
        inner.owner[i] = Some(file);
        let p = &self.cfg.ports[i];
        let s = uapi::slot(p.kind, p.id);
        a.cq_depth = p.depth;
        a.pp_offset = uapi::pp_offset(s);
        a.cq_offset = uapi::cq_offset(s);
        a.pp_size = regs::PP_WINDOW_STRIDE as u32;
        a.cq_size = super::cq_ring::CqRing::map_size(p.depth) as u32;
        Ok(())
    }

    /// Undoes `attach` of port (`a.port_type`, `a.id`) by file `file`,
    /// whose result could not be copied out. The port is free again unless
    /// the file mapped its producer window or CQ in between: then it waits
    /// for the next drain, as a port detached at close does.
    pub(crate) fn undo_attach(&self, file: u64, a: &uapi::PortAttach) {
        let Some(i) = self.port_index(a.port_type, a.id) else {
            return;
        };
        let mut inner = self.inner.lock();
        if inner.owner[i] == Some(file) {
            inner.owner[i] = None;
            inner.armed[i] = None;
        }
    }

    /// `ARM`: remembers where file `file`'s consumer reads and arms the
    /// port's CQ interrupt.
    pub(crate) fn arm(&self, file: u64, a: &uapi::Arm) -> Result {
        if a.port_type > uapi::PORT_DIR || a.reserved != 0 {
            return Err(EINVAL);
        }
        let i = self.port_index(a.port_type, a.id).ok_or(ENOENT)?;
        {
            let mut inner = self.inner.lock();
            if inner.dead {
                return Err(ENODEV);
            }
            if inner.owner[i] != Some(file) {
                return Err(ENOENT);
            }
            inner.armed[i] = Some(a.read_index);
        }
        let bar = self.dp.bar().try_access().ok_or(ENODEV)?;
        bar.try_write32(1, self.cfg.ports[i].reg(regs::CQ_ARM))?;
        Ok(())
    }

    /// What file `file` may map at byte offset `offset`: `(area, port)`.
    pub(crate) fn mapping(
        &self,
        file: u64,
        offset: u64,
        bytes: usize,
        write: bool,
    ) -> Result<Mapping> {
        let area = uapi::area(offset).ok_or(EINVAL)?;
        let port_of = |s: u32| -> Result<usize> {
            let i = self.port_index(s / 256, s % 256).ok_or(EINVAL)?;
            let mut inner = self.inner.lock();
            if inner.owner[i] != Some(file) {
                return Err(EACCES);
            }
            // Mapped: the port is not attachable again before a drain,
            // even if this attach is undone (`undo_attach`).
            inner.used[i] = true;
            Ok(i)
        };
        match area {
            uapi::Area::Credits => {
                if bytes > kernel::page::PAGE_SIZE {
                    return Err(EINVAL);
                }
                Ok(Mapping::Page(self.credits.page()))
            }
            uapi::Area::Producer(s) => {
                let p = &self.cfg.ports[port_of(s)?];
                if bytes > regs::PP_WINDOW_STRIDE {
                    return Err(EINVAL);
                }
                Ok(Mapping::Io(self.dp.bar4() + p.window() as u64))
            }
            uapi::Area::Cq(s) => {
                let p = self.cfg.ports[port_of(s)?];
                if write {
                    return Err(EACCES);
                }
                if bytes > super::cq_ring::CqRing::map_size(p.depth) {
                    return Err(EINVAL);
                }
                self.dp
                    .with_rings(|rings| {
                        rings.of(&p).map(|r| Mapping::Dma {
                            cpu: r.cpu_address(),
                            dma: r.dma_address(),
                        })
                    })
                    .flatten()
                    .ok_or(ENODEV)
            }
        }
    }

    /// `poll`: `EPOLLIN` if an armed port of file `file` has the entry its
    /// consumer waits for, `EPOLLPRI` if alerts are queued.
    pub(crate) fn poll(&self, file: u64) -> u32 {
        let inner = self.inner.lock();
        if inner.dead {
            return EPOLLERR | EPOLLHUP;
        }
        let ready = self.dp.with_rings(|rings| {
            self.cfg.ports.iter().enumerate().any(|(i, p)| {
                inner.owner[i] == Some(file)
                    && inner.armed[i]
                        .zip(rings.of(p))
                        .is_some_and(|(index, ring)| ring.written(index, p.depth))
            })
        });
        let mut mask = 0;
        if ready == Some(true) {
            mask |= EPOLLIN | EPOLLRDNORM;
        }
        if inner.files.iter().any(|f| f.file == file && f.len > 0) {
            mask |= EPOLLPRI;
        }
        mask
    }

    /// The alert queue of file `file` (`ENODEV` once the device is gone).
    fn alerts_of(inner: &mut Inner, file: u64) -> Result<&mut FileAlerts> {
        if inner.dead {
            return Err(ENODEV);
        }
        inner
            .files
            .iter_mut()
            .map(|f| &mut **f)
            .find(|f| f.file == file)
            .ok_or(ENODEV)
    }

    /// `read`: whether file `file` has an alert queued (`EAGAIN` if not).
    pub(crate) fn peek_alert(&self, file: u64) -> Result {
        match Self::alerts_of(&mut self.inner.lock(), file)?.len {
            0 => Err(EAGAIN),
            _ => Ok(()),
        }
    }

    /// `read`: takes the oldest alert of file `file`, if any.
    pub(crate) fn take_alert(&self, file: u64) -> Result<Alert> {
        let mut inner = self.inner.lock();
        let f = Self::alerts_of(&mut inner, file)?;
        if f.len == 0 {
            return Err(EAGAIN);
        }
        let a = f.queue[f.head];
        f.head = (f.head + 1) % ALERTS_PER_FILE;
        f.len -= 1;
        Ok(a)
    }

    /// `read`: puts back alert `a`, taken by `take_alert` but not copied
    /// out, as the oldest of file `file`; counted as dropped if the queue
    /// filled up in between.
    pub(crate) fn untake_alert(&self, file: u64, a: Alert) {
        let mut inner = self.inner.lock();
        let Ok(f) = Self::alerts_of(&mut inner, file) else {
            return;
        };
        if f.len == ALERTS_PER_FILE {
            f.dropped = f.dropped.saturating_add(1);
            return;
        }
        f.head = (f.head + ALERTS_PER_FILE - 1) % ALERTS_PER_FILE;
        f.queue[f.head] = a;
        f.len += 1;
    }

    /// Whether port (`kind`, `id`) is one of this domain's.
    pub(crate) fn has_port(&self, kind: u32, id: u32) -> bool {
        self.port_index(kind, id).is_some()
    }

    /// The device refused a QE of port (`kind`, `id`) with alarm `code`:
    /// every open file gets an alert.
    pub(crate) fn alert(&self, code: u32, kind: u32, id: u32) {
        if let Some(i) = self.port_index(kind, id) {
            self.stats.alert(i);
        }
        // SAFETY: Reading the monotonic clock has no preconditions.
        let now = unsafe { bindings::ktime_get_mono_fast_ns() };
        let mut inner = self.inner.lock();
        for f in inner.files.iter_mut() {
            let f = &mut **f;
            if f.len == ALERTS_PER_FILE {
                f.dropped = f.dropped.saturating_add(1);
                continue;
            }
            f.queue[(f.head + f.len) % ALERTS_PER_FILE] = Alert {
                code,
                port_type: kind,
                port_id: id,
                dropped: core::mem::take(&mut f.dropped),
                timestamp_ns: now,
            };
            f.len += 1;
        }
        drop(inner);
        self.dp.wake(self.vector);
    }
}

/// Where a mapping's pages are.
pub(crate) enum Mapping {
    /// Device memory at this physical address (writable).
    Io(u64),
    /// A CQ ring: DMA-coherent memory of the HLB (read-only).
    Dma { cpu: *mut u8, dma: u64 },
    /// A page of kernel memory (writable).
    Page(*mut bindings::page),
}

/// Error numbers reach the C glue as negative `isize`s.
pub(crate) fn ioctl_err(e: Error) -> isize {
    e.to_errno() as isize
}

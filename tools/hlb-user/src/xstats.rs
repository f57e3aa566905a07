// SPDX-License-Identifier: GPL-2.0

//! [`Xstats`]: the statistics of a started domain, in the manner of DPDK
//! eventdev's extended statistics (`rte_event_dev_xstats_names_get`,
//! `_get`, `_by_name_get` and `_reset`), read from the files the driver
//! keeps below the domain's class device, one decimal value per file:
//!
//! ```text
//! <sysfs>/class/lbdx_hlb/<bdf>:<domain>/stats/<stat>          mode Device
//! <sysfs>/class/lbdx_hlb/<bdf>:<domain>/ldb_port<N>/<stat>    mode Port
//! <sysfs>/class/lbdx_hlb/<bdf>:<domain>/dir_port<N>/<stat>    mode Port
//! <sysfs>/class/lbdx_hlb/<bdf>:<domain>/ldb_queue<N>/<stat>   mode Queue
//! <sysfs>/class/lbdx_hlb/<bdf>:<domain>/dir_queue<N>/<stat>   mode Queue
//! ```
//!
//! As in DPDK, mode Device is the eventdev, which is the domain here; `N`
//! is the device number of a port or queue (`dir_queue<N>` is the directed
//! queue of DIR port `N`), named by a [`Target`]. The HLB's function-wide
//! totals (`/sys/bus/pci/devices/<bdf>/stats/`) belong to no domain and are
//! not among them.
//!
//! Names: `dev_<stat>` (`dev_enqueued`), `<ldb|dir>_port_<N>_<stat>`
//! (`ldb_port_3_dequeued`), `<ldb|dir>_queue_<N>_<stat>`
//! (`ldb_queue_0_enqueued_prio2`), `<stat>` being the file's name.
//!
//! Ids are stable: `group << 16 | N << 8 | index`, group 0 the domain, 1
//! LDB ports, 2 DIR ports, 3 LDB queues, 4 DIR queues, index the stat's
//! place in its table below (tables only grow at the end). An id means the
//! same statistic in every process and after a restart of the domain, and
//! [`Xstats::get`] needs no enumeration first.
//!
//! Reset: the driver zeroes every counter of the domain, its ports and its
//! queues at once (a write of "1" to `stats/reset`; gauges are not
//! affected), so [`Xstats::reset`] of anything (the domain, one port, one
//! queue, a few ids) resets them all, as DPDK allows a driver to reset
//! more than was asked.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::port::PortType;

/// Where sysfs is mounted.
pub const SYSFS_ROOT: &str = "/sys";

/// Which statistics (DPDK's `rte_event_dev_xstats_mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum XstatsMode {
    /// The domain's totals.
    Device,
    /// Ports.
    Port,
    /// Queues.
    Queue,
}

/// A port or a queue: LDB or DIR, and its device number (a DIR queue has
/// the number of its DIR port).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target {
    /// LDB or DIR.
    pub kind: PortType,
    /// Device number.
    pub id: u8,
}

impl Target {
    /// The port's directory below the class device: `ldb_port3`.
    pub fn port_dir(self) -> String {
        Group::Port(self.kind).dir(self.id)
    }

    /// The queue's directory below the class device: `dir_queue1`.
    pub fn queue_dir(self) -> String {
        Group::Queue(self.kind).dir(self.id)
    }
}

/// What a value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatKind {
    /// Counts since the domain started or its statistics were reset.
    Counter,
    /// A level now (not reset).
    Gauge,
}

/// One statistic: what [`Xstats::names`] lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Xstat {
    /// Stable id, for [`Xstats::get`].
    pub id: u32,
    /// Name, for [`Xstats::by_name`].
    pub name: String,
    /// Counter or gauge.
    pub kind: StatKind,
    /// The port or queue (None for the domain's totals).
    pub target: Option<Target>,
}

use StatKind::{Counter, Gauge};

/// Files of `stats/`: sums over the domain's ports, and its pools.
const DEVICE_STATS: [(&str, StatKind); 11] = [
    ("users", Gauge),
    ("drains", Counter),
    ("reclaims", Counter),
    ("reclaim_dropped", Counter),
    ("alerts", Counter),
    ("enqueued", Counter),
    ("qes", Counter),
    ("scheduled", Counter),
    ("interrupts", Counter),
    ("ldb_credits_avail", Gauge),
    ("dir_credits_avail", Gauge),
];

/// Files of a port's directory.
const PORT_STATS: [(&str, StatKind); 9] = [
    ("enqueued", Counter),
    ("dequeued", Counter),
    ("qes", Counter),
    ("interrupts", Counter),
    ("alerts", Counter),
    ("inflight", Gauge),
    ("cq_occupancy", Gauge),
    ("ldb_credits_held", Gauge),
    ("dir_credits_held", Gauge),
];

/// Files of a queue's directory.
const QUEUE_STATS: [(&str, StatKind); 11] = [
    ("enqueued", Counter),
    ("scheduled", Counter),
    ("enqueued_prio0", Counter),
    ("enqueued_prio1", Counter),
    ("enqueued_prio2", Counter),
    ("enqueued_prio3", Counter),
    ("enqueued_prio4", Counter),
    ("enqueued_prio5", Counter),
    ("enqueued_prio6", Counter),
    ("enqueued_prio7", Counter),
    ("depth", Gauge),
];

/// A table of statistics: the domain's, or those of one kind of object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Group {
    Device,
    Port(PortType),
    Queue(PortType),
}

/// Every group, at the index its ids carry.
const GROUPS: [Group; 5] = [
    Group::Device,
    Group::Port(PortType::Ldb),
    Group::Port(PortType::Dir),
    Group::Queue(PortType::Ldb),
    Group::Queue(PortType::Dir),
];

impl Group {
    fn of(mode: XstatsMode, kind: PortType) -> Self {
        match mode {
            XstatsMode::Device => Self::Device,
            XstatsMode::Port => Self::Port(kind),
            XstatsMode::Queue => Self::Queue(kind),
        }
    }

    fn mode(self) -> XstatsMode {
        match self {
            Self::Device => XstatsMode::Device,
            Self::Port(_) => XstatsMode::Port,
            Self::Queue(_) => XstatsMode::Queue,
        }
    }

    fn code(self) -> u32 {
        match self {
            Self::Device => 0,
            Self::Port(PortType::Ldb) => 1,
            Self::Port(PortType::Dir) => 2,
            Self::Queue(PortType::Ldb) => 3,
            Self::Queue(PortType::Dir) => 4,
        }
    }

    fn stats(self) -> &'static [(&'static str, StatKind)] {
        match self {
            Self::Device => &DEVICE_STATS,
            Self::Port(_) => &PORT_STATS,
            Self::Queue(_) => &QUEUE_STATS,
        }
    }

    /// First part of the names: `dev`, `ldb_port`, ... `dir_queue`.
    fn prefix(self) -> &'static str {
        match self {
            Self::Device => "dev",
            Self::Port(PortType::Ldb) => "ldb_port",
            Self::Port(PortType::Dir) => "dir_port",
            Self::Queue(PortType::Ldb) => "ldb_queue",
            Self::Queue(PortType::Dir) => "dir_queue",
        }
    }

    /// The directory of object `n` below the class device.
    fn dir(self, n: u8) -> String {
        match self {
            Self::Device => "stats".to_string(),
            _ => format!("{}{n}", self.prefix()),
        }
    }
}

/// A device number written as the driver writes it ("3", not "03").
fn number(s: &str) -> Option<u8> {
    s.parse().ok().filter(|n: &u8| n.to_string() == s)
}

/// One statistic of one object: the decoded form of an id or a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stat {
    group: Group,
    n: u8,
    index: usize,
}

impl Stat {
    fn from_id(id: u32) -> Option<Self> {
        let group = *GROUPS.get((id >> 16) as usize)?;
        let n = (id >> 8) as u8;
        let index = (id & 0xff) as usize;
        (index < group.stats().len() && (group != Group::Device || n == 0)).then_some(Self {
            group,
            n,
            index,
        })
    }

    fn from_name(name: &str) -> Option<Self> {
        let (group, n, stat) = match name.strip_prefix("dev_") {
            Some(stat) => (Group::Device, 0, stat),
            None => GROUPS[1..].iter().find_map(|&g| {
                let rest = name.strip_prefix(g.prefix())?.strip_prefix('_')?;
                let (n, stat) = rest.split_once('_')?;
                Some((g, number(n)?, stat))
            })?,
        };
        let index = group.stats().iter().position(|(s, _)| *s == stat)?;
        Some(Self { group, n, index })
    }

    fn id(self) -> u32 {
        self.group.code() << 16 | u32::from(self.n) << 8 | self.index as u32
    }

    fn target(self) -> Option<Target> {
        match self.group {
            Group::Device => None,
            Group::Port(kind) | Group::Queue(kind) => Some(Target { kind, id: self.n }),
        }
    }

    fn xstat(self) -> Xstat {
        let (stat, kind) = self.group.stats()[self.index];
        let name = match self.group {
            Group::Device => format!("dev_{stat}"),
            g => format!("{}_{}_{stat}", g.prefix(), self.n),
        };
        Xstat {
            id: self.id(),
            name,
            kind,
            target: self.target(),
        }
    }

    /// The file, relative to the class device.
    fn path(self) -> PathBuf {
        let (stat, _) = self.group.stats()[self.index];
        [self.group.dir(self.n).as_str(), stat].iter().collect()
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

/// `err`, of the same kind, naming `path`.
fn at(path: &Path, err: io::Error) -> io::Error {
    io::Error::new(err.kind(), format!("{}: {err}", path.display()))
}

/// Mode Device names no port or queue.
fn check_target(mode: XstatsMode, target: Option<Target>) -> io::Result<()> {
    match (mode, target) {
        (XstatsMode::Device, Some(t)) => Err(invalid(format!(
            "xstats mode Device takes no port or queue ({t:?} given)"
        ))),
        _ => Ok(()),
    }
}

/// The statistics of one domain: its class device directory.
#[derive(Clone, Debug)]
pub struct Xstats {
    dir: PathBuf,
}

impl Xstats {
    /// Domain `domain` (its configfs name) of the HLB at `bdf`:
    /// `<sys_root>/class/lbdx_hlb/<bdf>:<domain>`. Reading the files makes
    /// no user of the domain (opening its node would, and the last close
    /// drains it), so monitors take this way.
    pub fn new(sys_root: impl AsRef<Path>, bdf: &str, domain: &str) -> Self {
        Self {
            dir: sys_root
                .as_ref()
                .join("class/lbdx_hlb")
                .join(format!("{bdf}:{domain}")),
        }
    }

    /// The domain whose node has device number `rdev` (`st_rdev`):
    /// `<sys_root>/dev/char/<major>:<minor>`, a link to its class device
    /// ([`crate::Domain::xstats`]).
    pub fn of_node(sys_root: impl AsRef<Path>, rdev: u64) -> Self {
        let (major, minor) = (libc::major(rdev), libc::minor(rdev));
        Self {
            dir: sys_root
                .as_ref()
                .join("dev/char")
                .join(format!("{major}:{minor}")),
        }
    }

    /// Fails unless the class device exists (the domain is started).
    fn check_started(&self) -> io::Result<()> {
        match fs::metadata(&self.dir) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(io::Error::new(
                e.kind(),
                format!(
                    "{}: no such directory: the domain is not started",
                    self.dir.display()
                ),
            )),
            Err(e) => Err(at(&self.dir, e)),
        }
    }

    /// The objects of `mode` (the domain, or the ports or queues the class
    /// device has), or `target` alone, in id order.
    fn objects(&self, mode: XstatsMode, target: Option<Target>) -> io::Result<Vec<(Group, u8)>> {
        check_target(mode, target)?;
        self.check_started()?;
        if let Some(t) = target {
            let g = Group::of(mode, t.kind);
            let dir = self.dir.join(g.dir(t.id));
            fs::metadata(&dir).map_err(|e| at(&dir, e))?;
            return Ok(vec![(g, t.id)]);
        }
        if mode == XstatsMode::Device {
            return Ok(vec![(Group::Device, 0)]);
        }
        let mut found = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(|e| at(&self.dir, e))? {
            let name = entry.map_err(|e| at(&self.dir, e))?.file_name();
            let Some(name) = name.to_str() else { continue };
            let of_mode = GROUPS.iter().filter(|g| g.mode() == mode);
            found.extend(
                of_mode.filter_map(|&g| Some((g, number(name.strip_prefix(g.prefix())?)?))),
            );
        }
        found.sort_by_key(|&(g, n)| (g.code(), n));
        Ok(found)
    }

    /// The statistics of `mode`: the domain's totals (`target` None), every
    /// port or queue (`target` None) or one (`rte_event_dev_xstats_names_get`),
    /// those the driver has a file for (counters of HLB 1.4 have none on
    /// an older function), in id order. Fails with `NotFound` if the
    /// domain is not started or has no such port or queue.
    pub fn names(&self, mode: XstatsMode, target: Option<Target>) -> io::Result<Vec<Xstat>> {
        let objects = self.objects(mode, target)?;
        Ok(objects
            .into_iter()
            .flat_map(|(group, n)| {
                (0..group.stats().len()).map(move |index| Stat { group, n, index })
            })
            .filter(|s| self.dir.join(s.path()).exists())
            .map(Stat::xstat)
            .collect())
    }

    /// The values of `ids`, in order (`rte_event_dev_xstats_get`). An
    /// unknown id is `InvalidInput`; a file that is missing is `NotFound`
    /// and one that holds no decimal number `InvalidData`, naming it.
    pub fn get(&self, ids: &[u32]) -> io::Result<Vec<u64>> {
        ids.iter()
            .map(|&id| {
                let stat =
                    Stat::from_id(id).ok_or_else(|| invalid(format!("no xstat id {id:#x}")))?;
                self.read(stat)
            })
            .collect()
    }

    /// The id and value of statistic `name` (`rte_event_dev_xstats_by_name_get`).
    pub fn by_name(&self, name: &str) -> io::Result<(u32, u64)> {
        let stat = Stat::from_name(name).ok_or_else(|| invalid(format!("no xstat {name:?}")))?;
        Ok((stat.id(), self.read(stat)?))
    }

    /// Resets the counters of `mode` (`rte_event_dev_xstats_reset`): of
    /// `target` or all, only `ids` or all. The driver resets every counter
    /// of the domain, its ports and its queues whatever is chosen (gauges
    /// keep their values). `ids` not of `mode` (and `target`) are
    /// `InvalidInput`, and nothing is reset.
    pub fn reset(
        &self,
        mode: XstatsMode,
        target: Option<Target>,
        ids: Option<&[u32]>,
    ) -> io::Result<()> {
        check_target(mode, target)?;
        self.check_started()?;
        for &id in ids.unwrap_or_default() {
            let fits = Stat::from_id(id)
                .filter(|s| s.group.mode() == mode && target.is_none_or(|t| s.target() == Some(t)));
            if fits.is_none() {
                return Err(invalid(format!(
                    "xstat id {id:#x} is not one of mode {mode:?}{}",
                    target.map(|t| format!(" of {t:?}")).unwrap_or_default()
                )));
            }
        }
        let path = self.dir.join("stats/reset");
        fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .and_then(|mut f| f.write_all(b"1"))
            .map_err(|e| at(&path, e))
    }

    fn read(&self, stat: Stat) -> io::Result<u64> {
        let path = self.dir.join(stat.path());
        let text = fs::read_to_string(&path).map_err(|e| at(&path, e))?;
        text.trim().parse().map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{}: expected a decimal number, read {:?}",
                    path.display(),
                    text.trim()
                ),
            )
        })
    }
}

#[cfg(test)]
mod tests;

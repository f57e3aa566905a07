// SPDX-License-Identifier: GPL-2.0

//! [`Domain`]: an open HLB domain device (`/dev/lbdx/<bdf>/<domain>`),
//! its credit page, and attaching ports. Each port gets a file of its
//! own (the device opened again), so that poll() on it wakes for that
//! port's CQ alone; the credit page is shared by all of them. Its
//! statistics are in sysfs ([`Domain::xstats`]).

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::abi::{self, Alert, DomainInfo, PortAttach};
use crate::mem::{PortMem, QE_RING_BYTES};
use crate::port::{Port, PortConfig, PortType, PortWait};
use crate::sys::{self, Mapping};
use crate::xstats::{Xstats, SYSFS_ROOT};

/// An open domain.
pub struct Domain {
    path: PathBuf,
    file: File,
    info: DomainInfo,
    credits: Arc<Mapping>,
}

fn open_dev(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
}

fn einval(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("lbdx HLB driver: {what}"),
    )
}

impl Domain {
    /// Opens the domain device, reads its description and maps its
    /// credit page.
    pub fn open(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref().to_path_buf();
        let file = open_dev(&path)?;
        let mut info = DomainInfo::default();
        sys::ioctl(file.as_fd(), abi::LBDX_HLB_IOC_DOMAIN_INFO, &mut info)?;
        sys::check_abi(info.abi_version)?;
        let credits = Arc::new(Mapping::new(
            file.as_fd(),
            info.credits_offset,
            abi::LBDX_HLB_CREDIT_PAGE_SIZE,
            true,
        )?);
        Ok(Self {
            path,
            file,
            info,
            credits,
        })
    }

    /// What DOMAIN_INFO reported.
    pub fn info(&self) -> &DomainInfo {
        &self.info
    }

    /// The domain's file (for raw requests, e.g. tests of refusals).
    pub fn file(&self) -> &File {
        &self.file
    }

    /// The software credit pools now: (LDB, DIR).
    pub fn credits(&self) -> (u32, u32) {
        use std::sync::atomic::{AtomicU32, Ordering};
        let p = self.credits.ptr() as *const AtomicU32;
        // SAFETY: the credit page mapping holds at least two u32, only
        // accessed atomically.
        unsafe {
            (
                (*p).load(Ordering::Acquire),
                (*p.add(1)).load(Ordering::Acquire),
            )
        }
    }

    /// Attaches port `id` of type `kind` with default tunables.
    pub fn attach(&self, kind: PortType, id: u8) -> io::Result<Port> {
        self.attach_with(kind, id, PortConfig::default())
    }

    /// Attaches a port: opens the device again, ATTACH, maps the producer
    /// window read-write and the CQ read-only.
    pub fn attach_with(&self, kind: PortType, id: u8, cfg: PortConfig) -> io::Result<Port> {
        let file = open_dev(&self.path)?;
        let mut a = PortAttach {
            type_: kind.abi(),
            id: id as u32,
            ..PortAttach::default()
        };
        sys::ioctl(file.as_fd(), abi::LBDX_HLB_IOC_ATTACH, &mut a)?;
        let depth = a.cq_depth;
        if !depth.is_power_of_two() || (a.cq_size as u64) < depth as u64 * 16 {
            return Err(einval("ATTACH returned a bad CQ depth or size"));
        }
        if (a.pp_size as usize) < abi::LBDX_HLB_DOORBELL_OFFSET as usize + 4 {
            return Err(einval("ATTACH returned a short producer window"));
        }
        let pp = Mapping::new(file.as_fd(), a.pp_offset, a.pp_size as usize, true)?;
        let cq = Mapping::new(file.as_fd(), a.cq_offset, a.cq_size as usize, false)?;
        debug_assert!(pp.len() >= QE_RING_BYTES);
        let (qe, cqp, cr) = (pp.ptr(), cq.ptr(), self.credits.ptr());
        // SAFETY: the doorbell lies inside the producer window mapping.
        let doorbell = unsafe { qe.add(abi::LBDX_HLB_DOORBELL_OFFSET as usize) };
        let owner: Arc<dyn std::any::Any + Send + Sync> = Arc::new((pp, cq, self.credits.clone()));
        let ledger_at = abi::ledger_offset(kind.abi(), id);
        if ledger_at + 8 > abi::LBDX_HLB_CREDIT_PAGE_SIZE {
            return Err(einval("ATTACH accepted a port id beyond the ledgers"));
        }
        // SAFETY: checked just above: the ledger lies inside the credit
        // page mapping.
        let ledger = unsafe { cr.add(ledger_at) };
        // SAFETY: the mappings are page aligned, as large as checked above,
        // kept alive by `owner`, and the device accesses them by slot.
        let mem = unsafe { PortMem::new(qe, doorbell, cqp, depth, cr, ledger, owner) };
        let wait = DevWait { file, kind, id };
        Ok(Port::new(mem, Box::new(wait), kind, id, cfg))
    }

    /// Links LDB queue `queue` to LDB port `port` at `priority` (0 the
    /// highest), changes the priority of its link, or cancels a pending
    /// unlink of it, at once (LINK; `rte_event_port_link`). HLB 1.5:
    /// older devices refuse with `EOPNOTSUPP`.
    pub fn link(&self, port: u8, queue: u8, priority: u8) -> io::Result<()> {
        let mut l = abi::Link {
            port_id: port.into(),
            queue_id: queue.into(),
            priority: priority.into(),
            pending: 0,
        };
        sys::ioctl(self.file.as_fd(), abi::LBDX_HLB_IOC_LINK, &mut l)
    }

    /// Unlinks LDB queue `queue` from LDB port `port` (UNLINK;
    /// `rte_event_port_unlink`): the port is given nothing more of it at
    /// once; the unlink stays pending while the port holds events of the
    /// queue it has not completed ([`Domain::unlinks_in_progress`]).
    pub fn unlink(&self, port: u8, queue: u8) -> io::Result<()> {
        let mut l = abi::Link {
            port_id: port.into(),
            queue_id: queue.into(),
            ..abi::Link::default()
        };
        sys::ioctl(self.file.as_fd(), abi::LBDX_HLB_IOC_UNLINK, &mut l)
    }

    /// Unlinks of LDB port `port` still pending (UNLINKS_PENDING;
    /// `rte_event_port_unlinks_in_progress`).
    pub fn unlinks_in_progress(&self, port: u8) -> io::Result<u32> {
        let mut l = abi::Link {
            port_id: port.into(),
            ..abi::Link::default()
        };
        sys::ioctl(self.file.as_fd(), abi::LBDX_HLB_IOC_UNLINKS_PENDING, &mut l)?;
        Ok(l.pending)
    }

    /// Reads the alerts queued on the domain's file, without blocking.
    pub fn read_alerts(&self) -> io::Result<Vec<Alert>> {
        sys::read_alerts(self.file.as_fd())
    }

    /// Waits up to `timeout` for an alert (poll EPOLLPRI), then reads.
    pub fn wait_alerts(&self, timeout: Duration) -> io::Result<Vec<Alert>> {
        sys::poll(self.file.as_fd(), libc::POLLPRI, Some(timeout))?;
        self.read_alerts()
    }

    /// The domain's statistics: the class device of the open node, found
    /// by its device number (`/sys/dev/char/<major>:<minor>`), whatever
    /// path it was opened by.
    pub fn xstats(&self) -> io::Result<Xstats> {
        Ok(Xstats::of_node(SYSFS_ROOT, self.file.metadata()?.rdev()))
    }
}

/// Sleeping on the real device: ARM ioctl, then poll(POLLIN) on the
/// port's own file.
struct DevWait {
    file: File,
    kind: PortType,
    id: u8,
}

impl PortWait for DevWait {
    fn arm(&mut self, read_index: u32) -> io::Result<()> {
        let mut a = abi::Arm {
            type_: self.kind.abi(),
            id: self.id as u32,
            read_index,
            reserved: 0,
        };
        sys::ioctl(self.file.as_fd(), abi::LBDX_HLB_IOC_ARM, &mut a)
    }

    fn wait(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        sys::poll(self.file.as_fd(), libc::POLLIN, timeout).map(|_| ())
    }

    fn read_alerts(&mut self) -> io::Result<Vec<Alert>> {
        sys::read_alerts(self.file.as_fd())
    }
}

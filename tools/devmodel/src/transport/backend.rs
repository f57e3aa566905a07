// SPDX-License-Identifier: GPL-2.0

//! `vfio_user::ServerBackend` for a modelled PCI function: routes region
//! accesses to config space and BAR0, DMA mappings to [`MmapMemory`] and
//! `SET_IRQS` to [`Eventfds`], and tells the function when its Bus Master
//! Enable changes (config-space writes, FLR, disconnect).

use std::fs::File;
use std::io;
use std::sync::Arc;

use vfio_bindings::bindings::vfio::{
    VFIO_PCI_BAR0_REGION_INDEX, VFIO_PCI_BAR2_REGION_INDEX, VFIO_PCI_BAR4_REGION_INDEX,
    VFIO_PCI_CONFIG_REGION_INDEX, VFIO_PCI_ERR_IRQ_INDEX, VFIO_PCI_MSIX_IRQ_INDEX,
};
use vfio_user::{DmaMapFlags, DmaUnmapFlags, ServerBackend};

use super::config_space::ConfigSpace;
use super::irqs::Eventfds;
use super::memory::MmapMemory;
use crate::mmio;
use crate::pci::PciFunction;

/// The backend of one instance.
pub struct Backend {
    name: String,
    dev: Arc<dyn PciFunction>,
    config: ConfigSpace,
    mem: Arc<MmapMemory>,
    msix: Arc<Eventfds>,
    err: Eventfds,
    connected: bool,
    /// DMA regions without a file descriptor this connection (the first,
    /// and any of guest-RAM size, is a warning, the rest debug: QEMU maps
    /// every device's mmapped BAR areas, e.g. an HLB's 128 QE pages, into
    /// every device's DMA space without one).
    no_fd_regions: u32,
}

/// A DMA region without a file descriptor at least this large is probably
/// guest RAM that is not shared: always worth a warning.
const LARGE_REGION: u64 = 64 << 20;

fn einval() -> io::Error {
    io::Error::from_raw_os_error(libc::EINVAL)
}

impl Backend {
    /// A backend serving `dev`, whose DMA goes through `mem` and whose
    /// interrupts go through `msix`.
    pub fn new(
        name: &str,
        dev: Arc<dyn PciFunction>,
        mem: Arc<MmapMemory>,
        msix: Arc<Eventfds>,
    ) -> Self {
        let config = ConfigSpace::new(&dev.identity());
        Self {
            name: name.to_string(),
            dev,
            config,
            mem,
            msix,
            err: Eventfds::new(name, 1),
            connected: false,
            no_fd_regions: 0,
        }
    }

    /// Whether `offset .. offset + len` lies inside BAR4.
    fn in_bar4(&self, offset: u64, len: usize) -> bool {
        u64::try_from(len)
            .ok()
            .and_then(|l| offset.checked_add(l))
            .is_some_and(|end| end <= self.dev.identity().bar4_size)
    }

    /// Notes the first request of a connection.
    fn touch(&mut self) {
        if !self.connected {
            self.connected = true;
            log::info!("{}: connected", self.name);
        }
    }

    /// The client went away: forget its memory and eventfds, reset the
    /// device and config space so the next client starts clean.
    pub fn disconnect(&mut self) {
        self.mem.unmap_all();
        self.msix.clear();
        self.err.clear();
        let bus_master = self.config.bus_master();
        self.config = ConfigSpace::new(&self.dev.identity());
        self.dev.reset();
        if bus_master {
            self.dev.bus_master(false);
        }
        self.connected = false;
        self.no_fd_regions = 0;
    }
}

impl ServerBackend for Backend {
    fn region_read(&mut self, region: u32, offset: u64, data: &mut [u8]) -> io::Result<()> {
        self.touch();
        match region {
            VFIO_PCI_CONFIG_REGION_INDEX => self.config.read(offset, data),
            VFIO_PCI_BAR0_REGION_INDEX => mmio::read(&*self.dev, offset, data),
            // MSI-X table and PBA: emulated by the client.
            VFIO_PCI_BAR2_REGION_INDEX => data.fill(0),
            VFIO_PCI_BAR4_REGION_INDEX if self.in_bar4(offset, data.len()) => {
                self.dev.bar4_read(offset, data)
            }
            _ => return Err(einval()),
        }
        Ok(())
    }

    fn region_write(&mut self, region: u32, offset: u64, data: &[u8]) -> io::Result<()> {
        self.touch();
        match region {
            VFIO_PCI_CONFIG_REGION_INDEX => {
                let bus_master = self.config.bus_master();
                if self.config.write(offset, data) {
                    log::info!("{}: function-level reset", self.name);
                    // An FLR clears the command register's Bus Master Enable.
                    self.config.clear_bus_master();
                    self.dev.reset();
                }
                if self.config.bus_master() != bus_master {
                    self.dev.bus_master(!bus_master);
                }
            }
            VFIO_PCI_BAR0_REGION_INDEX => {
                if !mmio::write(&*self.dev, offset, data) {
                    log::warn!(
                        "{}: ignored {}-byte BAR0 write at {offset:#x} (only aligned 32-bit accesses)",
                        self.name,
                        data.len()
                    );
                }
            }
            VFIO_PCI_BAR2_REGION_INDEX => {}
            VFIO_PCI_BAR4_REGION_INDEX if self.in_bar4(offset, data.len()) => {
                self.dev.bar4_write(offset, data)
            }
            _ => return Err(einval()),
        }
        Ok(())
    }

    fn dma_map(
        &mut self,
        flags: DmaMapFlags,
        offset: u64,
        address: u64,
        size: u64,
        fd: Option<File>,
    ) -> io::Result<()> {
        self.touch();
        match fd {
            Some(fd) => {
                let writable = flags.contains(DmaMapFlags::WRITE);
                self.mem
                    .map(address, size, &fd, offset, writable)
                    .inspect_err(|e| {
                        log::warn!("{}: DMA map {address:#x}+{size:#x} failed: {e}", self.name)
                    })
            }
            None => {
                self.no_fd_regions += 1;
                if self.no_fd_regions == 1 || size >= LARGE_REGION {
                    log::warn!(
                        "{}: DMA region {address:#x}+{size:#x} has no file descriptor \
                         (guest RAM not shared?); DMA there will fault \
                         (further such regions are logged at debug level)",
                        self.name
                    );
                } else {
                    log::debug!(
                        "{}: DMA region {address:#x}+{size:#x} has no file descriptor",
                        self.name
                    );
                }
                Ok(())
            }
        }
    }

    fn dma_unmap(&mut self, flags: DmaUnmapFlags, address: u64, size: u64) -> io::Result<()> {
        self.touch();
        if flags.contains(DmaUnmapFlags::UNMAP_ALL) {
            self.mem.unmap_all();
        } else {
            self.mem.unmap(address, size);
        }
        Ok(())
    }

    fn reset(&mut self) -> io::Result<()> {
        self.touch();
        self.dev.reset();
        Ok(())
    }

    fn set_irqs(
        &mut self,
        index: u32,
        flags: u32,
        start: u32,
        count: u32,
        fds: Vec<File>,
    ) -> io::Result<()> {
        self.touch();
        match index {
            VFIO_PCI_MSIX_IRQ_INDEX => self.msix.set(flags, start, count, fds),
            VFIO_PCI_ERR_IRQ_INDEX => self.err.set(flags, start, count, fds),
            _ if count == 0 => Ok(()),
            _ => Err(einval()),
        }
    }
}

// SPDX-License-Identifier: GPL-2.0

//! The vfio-user server of one instance: region and IRQ layout, socket
//! binding and the accept loop (one client at a time, any number in a row).

use std::io;
use std::mem::size_of;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

use vfio_bindings::bindings::vfio::{
    vfio_region_info, VFIO_IRQ_INFO_EVENTFD, VFIO_PCI_BAR0_REGION_INDEX,
    VFIO_PCI_BAR2_REGION_INDEX, VFIO_PCI_CONFIG_REGION_INDEX, VFIO_PCI_ERR_IRQ_INDEX,
    VFIO_PCI_MSIX_IRQ_INDEX, VFIO_PCI_NUM_IRQS, VFIO_PCI_NUM_REGIONS, VFIO_REGION_INFO_FLAG_READ,
    VFIO_REGION_INFO_FLAG_WRITE,
};
use vfio_user::{IrqInfo, Server, ServerRegion};

use super::backend::Backend;
use super::config_space::{BAR2_SIZE, CONFIG_SIZE};
use crate::pci::PciIdentity;

/// Regions: BAR0 (registers), BAR2 (MSI-X), config space; others empty.
pub fn regions(id: &PciIdentity) -> Vec<ServerRegion> {
    (0..VFIO_PCI_NUM_REGIONS)
        .map(|index| {
            let size = match index {
                VFIO_PCI_BAR0_REGION_INDEX => id.bar0_size,
                VFIO_PCI_BAR2_REGION_INDEX => BAR2_SIZE,
                VFIO_PCI_CONFIG_REGION_INDEX => CONFIG_SIZE as u64,
                _ => 0,
            };
            let flags = if size > 0 {
                VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE
            } else {
                0
            };
            ServerRegion {
                region_info: vfio_region_info {
                    argsz: size_of::<vfio_region_info>() as u32,
                    index,
                    size,
                    flags,
                    ..Default::default()
                },
                sparse_areas: Vec::new(),
                mmap_fd: None,
            }
        })
        .collect()
}

/// IRQ indexes: MSI-X with the function's vectors, the error IRQ with one;
/// no INTx, MSI or request IRQ.
pub fn irqs(id: &PciIdentity) -> Vec<IrqInfo> {
    (0..VFIO_PCI_NUM_IRQS)
        .map(|index| {
            let count = match index {
                VFIO_PCI_MSIX_IRQ_INDEX => u32::from(id.msix_vectors),
                VFIO_PCI_ERR_IRQ_INDEX => 1,
                _ => 0,
            };
            IrqInfo {
                index,
                count,
                flags: if count > 0 { VFIO_IRQ_INFO_EVENTFD } else { 0 },
            }
        })
        .collect()
}

/// Binds the socket at `path`, removing a stale socket file first (the
/// crate refuses an existing path). Anything else at `path` is an error.
pub fn bind(path: &Path, id: &PciIdentity) -> io::Result<Server> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_socket() => std::fs::remove_file(path)?,
        Ok(_) => {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} exists and is not a socket", path.display()),
            ))
        }
        Err(_) => {}
    }
    Server::new(path, true, irqs(id), regions(id)).map_err(|e| io::Error::other(e.to_string()))
}

/// Serves clients one after another, forever.
pub fn serve_forever(name: &str, server: &Server, backend: &mut Backend) {
    loop {
        match server.run(backend) {
            Ok(()) => log::info!("{name}: disconnected"),
            Err(e) => {
                log::warn!("{name}: connection ended: {e}");
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        }
        backend.disconnect();
    }
}

// SPDX-License-Identifier: GPL-2.0

//! The vfio-user server of one instance: region and IRQ layout, socket
//! binding and the accept loop (one client at a time, any number in a row).

use std::io;
use std::mem::size_of;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

use vfio_bindings::bindings::vfio::{
    vfio_region_info, vfio_region_sparse_mmap_area, VFIO_IRQ_INFO_EVENTFD,
    VFIO_PCI_BAR0_REGION_INDEX, VFIO_PCI_BAR2_REGION_INDEX, VFIO_PCI_BAR4_REGION_INDEX,
    VFIO_PCI_CONFIG_REGION_INDEX, VFIO_PCI_ERR_IRQ_INDEX, VFIO_PCI_MSIX_IRQ_INDEX,
    VFIO_PCI_NUM_IRQS, VFIO_PCI_NUM_REGIONS, VFIO_REGION_INFO_FLAG_MMAP,
    VFIO_REGION_INFO_FLAG_READ, VFIO_REGION_INFO_FLAG_WRITE,
};
use vfio_user::{IrqInfo, Server, ServerRegion, SparseArea};

use super::backend::Backend;
use super::config_space::{BAR2_SIZE, CONFIG_SIZE};
use crate::pci::{PciFunction, PciIdentity, SharedBar};

/// Regions: BAR0 (registers), BAR2 (MSI-X), config space, and BAR4 if the
/// function has one; others empty.
///
/// A BAR4 backed by shared memory (`shared`) carries the sparse mmap
/// capability with its areas and the backing file's descriptor; the
/// region's `offset` (0) is the file offset of BAR4 offset 0, which is
/// where the client maps an area's `offset` from.
pub fn regions(id: &PciIdentity, shared: Option<&SharedBar>) -> Vec<ServerRegion> {
    (0..VFIO_PCI_NUM_REGIONS)
        .map(|index| {
            let size = match index {
                VFIO_PCI_BAR0_REGION_INDEX => id.bar0_size,
                VFIO_PCI_BAR2_REGION_INDEX => BAR2_SIZE,
                VFIO_PCI_BAR4_REGION_INDEX => id.bar4_size,
                VFIO_PCI_CONFIG_REGION_INDEX => CONFIG_SIZE as u64,
                _ => 0,
            };
            let mut flags = if size > 0 {
                VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE
            } else {
                0
            };
            let mut sparse_areas = Vec::new();
            let mut mmap_fd = None;
            if let (VFIO_PCI_BAR4_REGION_INDEX, true, Some(s)) = (index, size > 0, shared) {
                flags |= VFIO_REGION_INFO_FLAG_MMAP;
                sparse_areas = s
                    .areas
                    .iter()
                    .map(|&(offset, size)| SparseArea {
                        area: vfio_region_sparse_mmap_area { offset, size },
                    })
                    .collect();
                mmap_fd = Some(s.fd);
            }
            ServerRegion {
                region_info: vfio_region_info {
                    argsz: size_of::<vfio_region_info>() as u32,
                    index,
                    size,
                    flags,
                    offset: 0,
                    ..Default::default()
                },
                sparse_areas,
                mmap_fd,
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

/// Binds the socket at `path` for `dev`, removing a stale socket file
/// first (the crate refuses an existing path). Anything else at `path` is
/// an error.
pub fn bind(path: &Path, dev: &dyn PciFunction) -> io::Result<Server> {
    let id = dev.identity();
    let shared = dev.bar4_shared();
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
    Server::new(path, true, irqs(&id), regions(&id, shared.as_ref()))
        .map_err(|e| io::Error::other(e.to_string()))
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

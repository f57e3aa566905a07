// SPDX-License-Identifier: GPL-2.0

//! Starting instances: builds each device with its transport-side memory
//! and interrupts, binds its socket and serves it on its own thread.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use crate::cli::{DeviceSpec, Kind};
use crate::dxe::Dxe;
use crate::hlb::Hlb;
use crate::pci::PciFunction;
use crate::transport::backend::Backend;
use crate::transport::irqs::Eventfds;
use crate::transport::memory::MmapMemory;
use crate::transport::server;

/// A running instance.
pub struct Instance {
    /// Instance name.
    pub name: String,
    /// Its socket, to remove on exit.
    pub socket: PathBuf,
}

/// Builds the device of `spec`, binds its socket and starts serving it.
/// The socket exists when this returns.
pub fn start(spec: &DeviceSpec) -> io::Result<Instance> {
    let mem = Arc::new(MmapMemory::new());
    let (dev, msix): (Arc<dyn PciFunction>, Arc<Eventfds>) = match &spec.kind {
        Kind::Hlb(c) => {
            let msix = Arc::new(Eventfds::new(&spec.name, crate::hlb::NUM_VECTORS));
            let hlb = Hlb::new(&spec.name, c.clone(), msix.clone(), mem.clone())?;
            (Arc::new(hlb), msix)
        }
        Kind::Dxe(c) => {
            let msix = Arc::new(Eventfds::new(&spec.name, c.num_vectors()));
            let dxe = Dxe::new(&spec.name, c.clone(), mem.clone(), msix.clone())?;
            (Arc::new(dxe), msix)
        }
    };
    spawn(spec, dev, mem, msix)
}

fn spawn(
    spec: &DeviceSpec,
    dev: Arc<dyn PciFunction>,
    mem: Arc<MmapMemory>,
    msix: Arc<Eventfds>,
) -> io::Result<Instance> {
    let id = dev.identity();
    let srv = server::bind(&spec.socket, &*dev)?;
    let name = spec.name.clone();
    log::info!(
        "{name}: listening on {} ({:04x}:{:04x}, {} MSI-X vectors)",
        spec.socket.display(),
        id.vendor,
        id.device,
        id.msix_vectors
    );
    let mut backend = Backend::new(&name, dev, mem, msix);
    let thread_name = name.clone();
    std::thread::Builder::new()
        .name(format!("{name}-vfio-user"))
        .spawn(move || server::serve_forever(&thread_name, &srv, &mut backend))?;
    Ok(Instance {
        name,
        socket: spec.socket.clone(),
    })
}

// SPDX-License-Identifier: GPL-2.0

//! Starting instances: builds each device with its transport-side memory
//! and interrupts, binds its sockets and serves each on its own thread.
//! An HLB with VFs serves VF `n` on `SOCKET.vf<n>`, with its own memory
//! and interrupts, sharing the PF's device.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cli::{DeviceSpec, Kind};
use crate::dxe::Dxe;
use crate::hlb::{Hlb, HlbConfig, VfLink};
use crate::hlb_vf_regs as vregs;
use crate::pci::PciFunction;
use crate::transport::backend::Backend;
use crate::transport::irqs::Eventfds;
use crate::transport::memory::MmapMemory;
use crate::transport::server;

/// A running instance.
pub struct Instance {
    /// Instance name.
    pub name: String,
    /// Its sockets (the PF's first), to remove on exit.
    pub sockets: Vec<PathBuf>,
}

/// One function to serve: its device, memory and interrupts.
struct Function {
    name: String,
    socket: PathBuf,
    dev: Arc<dyn PciFunction>,
    mem: Arc<MmapMemory>,
    msix: Arc<Eventfds>,
}

/// Socket of VF `n` of the HLB at `socket`.
pub fn vf_socket(socket: &Path, n: u32) -> PathBuf {
    let mut s = socket.as_os_str().to_owned();
    s.push(format!(".vf{n}"));
    PathBuf::from(s)
}

/// The PF and VF functions of an HLB.
fn hlb_functions(spec: &DeviceSpec, c: &HlbConfig) -> io::Result<Vec<Function>> {
    let mem = Arc::new(MmapMemory::new());
    let msix = Arc::new(Eventfds::new(&spec.name, crate::hlb::NUM_VECTORS));
    let vfs: Vec<(String, Arc<MmapMemory>, Arc<Eventfds>)> = (0..c.vfs)
        .map(|n| {
            let name = format!("{}.vf{n}", spec.name);
            let msix = Arc::new(Eventfds::new(&name, vregs::NUM_VECTORS));
            (name, Arc::new(MmapMemory::new()), msix)
        })
        .collect();
    let links = vfs
        .iter()
        .map(|(_, mem, msix)| VfLink {
            irq: msix.clone(),
            mem: mem.clone(),
        })
        .collect();
    let hlb = Hlb::with_vfs(&spec.name, c.clone(), msix.clone(), mem.clone(), links)?;
    let vf_functions: Vec<Function> = vfs
        .into_iter()
        .zip(0..)
        .filter_map(|((name, mem, msix), n)| {
            Some(Function {
                name,
                socket: vf_socket(&spec.socket, n),
                dev: Arc::new(hlb.vf(n)?),
                mem,
                msix,
            })
        })
        .collect();
    let mut functions = vec![Function {
        name: spec.name.clone(),
        socket: spec.socket.clone(),
        dev: Arc::new(hlb),
        mem,
        msix,
    }];
    functions.extend(vf_functions);
    Ok(functions)
}

/// Builds the device of `spec`, binds its sockets and starts serving
/// them. The sockets exist when this returns; on an error, those already
/// bound are removed.
pub fn start(spec: &DeviceSpec) -> io::Result<Instance> {
    let functions = match &spec.kind {
        Kind::Hlb(c) => hlb_functions(spec, c)?,
        Kind::Dxe(c) => {
            let mem = Arc::new(MmapMemory::new());
            let msix = Arc::new(Eventfds::new(&spec.name, c.num_vectors()));
            let dxe = Dxe::new(&spec.name, c.clone(), mem.clone(), msix.clone())?;
            vec![Function {
                name: spec.name.clone(),
                socket: spec.socket.clone(),
                dev: Arc::new(dxe),
                mem,
                msix,
            }]
        }
    };
    let mut sockets = Vec::new();
    for f in functions {
        let socket = f.socket.clone();
        if let Err(e) = spawn(f) {
            sockets.iter().for_each(|s| {
                let _ = std::fs::remove_file(s);
            });
            return Err(io::Error::new(
                e.kind(),
                format!("{}: {e}", socket.display()),
            ));
        }
        sockets.push(socket);
    }
    Ok(Instance {
        name: spec.name.clone(),
        sockets,
    })
}

fn spawn(f: Function) -> io::Result<()> {
    let id = f.dev.identity();
    let srv = server::bind(&f.socket, &*f.dev)?;
    let name = f.name;
    log::info!(
        "{name}: listening on {} ({:04x}:{:04x}, {} MSI-X vectors)",
        f.socket.display(),
        id.vendor,
        id.device,
        id.msix_vectors
    );
    let mut backend = Backend::new(&name, f.dev, f.mem, f.msix);
    let thread_name = name.clone();
    std::thread::Builder::new()
        .name(format!("{name}-vfio-user"))
        .spawn(move || server::serve_forever(&thread_name, &srv, &mut backend))?;
    Ok(())
}

// SPDX-License-Identifier: GPL-2.0

//! The BAR4 layout: one 8 KiB producer-port window per port a function
//! has (LDB port `p` at `0x2000 * p`, DIR port `p` at `0x100000 + 0x2000 *
//! p`), a QE page then a doorbell page. The PF has the device's ports; a
//! VF has every virtual port the map has room for.

use hlb_sched::PortId;

use crate::hlb_regs::{self as regs, PP_DOORBELL, PP_QE_PAGE_SIZE, PP_WINDOW_STRIDE};

/// Where a BAR4 offset falls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bar4Place {
    /// The QE page of a port's window, at this offset inside the page.
    Ring(PortId, usize),
    /// The doorbell page of a port's window, at this offset inside it.
    Doorbell(PortId, usize),
    /// Outside every window of a port the device has.
    Nowhere,
}

/// Start of the DIR ports' windows.
const DIR_WINDOWS: usize = regs::dir_pp_window(0);

/// BAR4 offset of `port`'s window.
pub fn window(port: PortId) -> usize {
    match port {
        PortId::Ldb(p) => regs::ldb_pp_window(u32::from(p)),
        PortId::Dir(p) => regs::dir_pp_window(u32::from(p)),
    }
}

/// Decodes BAR4 offset `off` of a function with `ldb_ports` LDB and
/// `dir_ports` DIR ports.
pub fn place(off: usize, ldb_ports: u32, dir_ports: u32) -> Bar4Place {
    let (base, count, ldb) = if off < DIR_WINDOWS {
        (0, ldb_ports, true)
    } else {
        (DIR_WINDOWS, dir_ports, false)
    };
    let rel = off - base;
    let p = rel / PP_WINDOW_STRIDE;
    let in_window = rel % PP_WINDOW_STRIDE;
    let Some(p) = u8::try_from(p).ok().filter(|&p| u32::from(p) < count) else {
        return Bar4Place::Nowhere;
    };
    let port = if ldb { PortId::Ldb(p) } else { PortId::Dir(p) };
    if in_window < PP_QE_PAGE_SIZE {
        Bar4Place::Ring(port, in_window)
    } else {
        Bar4Place::Doorbell(port, in_window - PP_DOORBELL)
    }
}

/// The mmap-able areas of BAR4: the QE page of every port's window.
pub fn ring_areas(ldb_ports: u32, dir_ports: u32) -> Vec<(u64, u64)> {
    let ldb = (0..ldb_ports.min(regs::OBJECTS_MAX)).map(regs::ldb_pp_window);
    let dir = (0..dir_ports.min(regs::OBJECTS_MAX)).map(regs::dir_pp_window);
    ldb.chain(dir)
        .map(|w| (w as u64, PP_QE_PAGE_SIZE as u64))
        .collect()
}

// SPDX-License-Identifier: GPL-2.0

//! The DXE's sysfs attributes, in the PCI device's directory (ABI:
//! `Documentation/ABI/testing/sysfs-driver-lbdx-dxe`): what the engine
//! reports it is, and its engine's state and event counters.

use super::{caps::Caps, engine::Engine};
use crate::{bringup::Version, hw::dxe_regs::write_caps, sysfs::AttrSource};
use core::{fmt::Write, sync::atomic::Ordering};
use kernel::{prelude::*, str::Formatter, sync::Arc};

/// Everything the DXE shows in sysfs.
pub(crate) struct DeviceAttrs {
    pub(crate) version: Version,
    pub(crate) caps: Caps,
    pub(crate) irq_vectors: usize,
    pub(crate) engine: Arc<Engine>,
}

impl AttrSource for DeviceAttrs {
    const NAMES: &'static [&'static CStr] = &[
        c"version",
        c"caps",
        c"channels",
        c"max_xor_srcs",
        c"max_xfer",
        c"max_ring_size",
        c"nominal_bw",
        c"irq_vectors",
        c"engine_state",
        c"jobs_completed",
        c"jobs_failed",
        c"jobs_aborted",
        c"channel_halts",
        c"channel_timeouts",
        c"device_resets",
        c"jobs_quarantined",
    ];

    fn show(&self, id: usize, out: &mut Formatter<'_>) -> core::fmt::Result {
        let c = &self.caps;
        match id {
            0 => write!(out, "{}", self.version),
            1 => write_caps(c.ops, out),
            2 => write!(out, "{}", c.channels),
            3 => write!(out, "{}", c.max_xor_srcs),
            4 => write!(out, "{}", c.max_xfer),
            5 => write!(out, "{}", c.max_ring_size),
            6 => write!(out, "{}", c.nominal_bw),
            7 => write!(out, "{}", self.irq_vectors),
            8 => out.write_str(self.engine.state_name()),
            _ => {
                let st = self.engine.stats();
                let n = match id {
                    9 => &st.completed,
                    10 => &st.failed,
                    11 => &st.aborted,
                    12 => &st.halts,
                    13 => &st.timeouts,
                    14 => &st.escalations,
                    _ => &st.quarantined,
                };
                write!(out, "{}", n.load(Ordering::Relaxed))
            }
        }
    }
}

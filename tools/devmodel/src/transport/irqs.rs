// SPDX-License-Identifier: GPL-2.0

//! Interrupts through the client's eventfds: `SET_IRQS` hands one eventfd
//! per MSI-X vector; raising a vector writes its eventfd and QEMU, which
//! emulates the MSI-X table, delivers (or pends) the message.

use std::fs::File;
use std::io::{self, Write};
use std::sync::Mutex;

use vfio_bindings::bindings::vfio::{
    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_IRQ_SET_DATA_EVENTFD, VFIO_IRQ_SET_DATA_NONE,
};

use crate::irq::IrqSink;
use crate::sync::lock;

/// Eventfds of one interrupt index (MSI-X or error).
pub struct Eventfds {
    name: String,
    fds: Mutex<Vec<Option<File>>>,
}

fn einval() -> io::Error {
    io::Error::from_raw_os_error(libc::EINVAL)
}

impl Eventfds {
    /// `count` unassigned vectors.
    pub fn new(name: &str, count: u32) -> Self {
        Self {
            name: name.to_string(),
            fds: Mutex::new((0..count).map(|_| None).collect()),
        }
    }

    /// Drops every eventfd (client gone).
    pub fn clear(&self) {
        lock(&self.fds).iter_mut().for_each(|f| *f = None);
    }

    /// Number of vectors with an eventfd.
    pub fn assigned(&self) -> usize {
        lock(&self.fds).iter().filter(|f| f.is_some()).count()
    }

    /// Applies a `SET_IRQS` request to this index.
    pub fn set(&self, flags: u32, start: u32, count: u32, fds: Vec<File>) -> io::Result<()> {
        let mut slots = lock(&self.fds);
        let (start, count) = (start as usize, count as usize);
        let range = start..start.checked_add(count).ok_or_else(einval)?;
        if flags & VFIO_IRQ_SET_ACTION_TRIGGER == 0 {
            // Mask/unmask: MSI-X masking lives in QEMU's table emulation.
            return Ok(());
        }
        if flags & VFIO_IRQ_SET_DATA_NONE != 0 && count == 0 {
            slots.iter_mut().for_each(|f| *f = None);
            return Ok(());
        }
        if range.end > slots.len() {
            return Err(einval());
        }
        if flags & VFIO_IRQ_SET_DATA_EVENTFD != 0 {
            if fds.is_empty() {
                // QEMU sends fd -1 (de-assign) as a message without fds.
                slots[range].iter_mut().for_each(|f| *f = None);
            } else if fds.len() == count {
                for (slot, fd) in slots[range].iter_mut().zip(fds) {
                    *slot = Some(fd);
                }
            } else {
                return Err(einval());
            }
            return Ok(());
        }
        if flags & VFIO_IRQ_SET_DATA_NONE != 0 {
            drop(slots);
            for v in range {
                self.raise(v as u32);
            }
        }
        Ok(())
    }
}

impl IrqSink for Eventfds {
    fn raise(&self, vector: u32) {
        let slots = lock(&self.fds);
        match slots.get(vector as usize) {
            Some(Some(f)) => {
                let mut w: &File = f;
                if let Err(e) = w.write_all(&1u64.to_ne_bytes()) {
                    log::warn!("{}: vector {vector}: eventfd write failed: {e}", self.name);
                }
            }
            // No eventfd: the guest has not enabled this vector; drop it.
            _ => log::debug!("{}: vector {vector} has no eventfd, dropped", self.name),
        }
    }
}

// SPDX-License-Identifier: GPL-2.0

//! Link slots: which LDB queues an LDB port is linked to, at which
//! priority. Before its domain starts a slot is plain configuration
//! ([`Resources::write`]); on a started domain of a version 1.5 device
//! ("Links at run time") [`Resources::runtime_link`] checks a write
//! against the slots as they read (`PENDING` included, which only the
//! running scheduler knows) and says what the scheduler must do; the
//! caller applies it there and then stores the slot with
//! [`Resources::set_link`].

use super::port::LdbPort;
use super::{config, Check, Resources};
use crate::hlb_regs::{self as regs, AlarmCode};

/// Slots of one LDB port.
pub const LINK_SLOTS: usize = config::MAX_QUEUES_PER_PORT as usize;

/// What an accepted link-slot write on a started domain asks of the
/// scheduler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuntimeLink {
    /// Link `queue` at `prio`: a new link, a priority change or the
    /// cancel of a pending unlink; the slot then holds the value written.
    Link { queue: u8, prio: u8 },
    /// Unlink `queue`, linked at `prio`: the slot then stores 0 (it reads
    /// `PENDING` while the unlink is pending).
    Unlink { queue: u8, prio: u8 },
    /// Nothing (0 into an empty or pending slot).
    None,
}

/// What a pending slot of `queue`, unlinked at `prio`, reads.
pub fn pending_link(queue: u8, prio: u8) -> u32 {
    regs::LINK_PENDING | u32::from(prio) << regs::LINK_PRIORITY_SHIFT | u32::from(queue)
}

/// Queue of a slot as read, if it links the queue or is unlinking it.
fn slot_queue(read: u32) -> Option<u32> {
    (read & (regs::VALID | regs::LINK_PENDING) != 0).then_some(read & regs::LINK_QUEUE_MASK)
}

/// Priority field of a slot value (`VALID` and `PENDING` apart).
fn slot_prio(value: u32) -> u32 {
    (value & !(regs::VALID | regs::LINK_PENDING)) >> regs::LINK_PRIORITY_SHIFT
}

/// Device numbers are below `OBJECTS_MAX` (128), and priorities below
/// `PRIORITIES`, once checked: they fit a byte.
fn byte(v: u32) -> u8 {
    u8::try_from(v).unwrap_or(u8::MAX)
}

impl Resources {
    /// Link slot `s` of LDB port `p`: 0 clears it, `VALID | prio << 8 |
    /// queue` links a queue of the port's domain.
    pub(super) fn write_link(&mut self, p: u32, s: usize, value: u32) -> Check {
        let port = &self.ldb_ports[p as usize];
        let d = self.configurable(port.owner)?;
        if value != 0 {
            self.check_link_value(d, value)?;
            let q = value & regs::LINK_QUEUE_MASK;
            if port.links_queue(q, Some(s)) {
                return Err(AlarmCode::LinkDup);
            }
        }
        self.ldb_ports[p as usize].links[s] = value;
        Ok(())
    }

    /// Checks a nonzero slot value for domain `d`: `VALID` set and a
    /// priority below `PRIORITIES` (`BadValue`; a value with `PENDING`
    /// set has a priority of 8 or more), a queue the device has (`BadId`)
    /// of the domain (`NotOwned`).
    fn check_link_value(&self, d: u32, value: u32) -> Check {
        let q = LdbPort::link_queue(value).ok_or(AlarmCode::BadValue)?;
        let queue = self.queues.get(q as usize).ok_or(AlarmCode::BadId)?;
        if queue.owner != Some(d) {
            return Err(AlarmCode::NotOwned);
        }
        if (value & !regs::VALID) >> regs::LINK_PRIORITY_SHIFT >= config::PRIORITIES {
            return Err(AlarmCode::BadValue);
        }
        Ok(())
    }

    /// The link slot at `off`, as (LDB port, slot), if it is one the
    /// device has.
    pub fn link_slot(&self, off: usize) -> Option<(u32, usize)> {
        let r = super::decode(off).filter(|&r| r.block == super::Block::Link)?;
        self.exists(r).then_some((r.id, r.reg))
    }

    /// Checks a write of `value` into slot `s` of LDB port `p` of a
    /// started domain (version 1.5), the port's slots reading `slots`
    /// (`PENDING` ones included): the checks of a stopped domain's slot
    /// (`LinkDup` also against a pending slot), then `Started` if the
    /// slot links or is unlinking another queue. Changes nothing.
    pub fn runtime_link(
        &self,
        p: u32,
        s: usize,
        value: u32,
        slots: &[u32; LINK_SLOTS],
    ) -> Result<RuntimeLink, AlarmCode> {
        let d = self
            .ldb_ports
            .get(p as usize)
            .and_then(|port| port.owner)
            .ok_or(AlarmCode::NotOwned)?;
        let cur = slots.get(s).copied().ok_or(AlarmCode::BadId)?;
        if value == 0 {
            // Only a valid link has something to unlink; a pending one
            // is on its way already.
            return Ok(match LdbPort::link_queue(cur) {
                Some(q) => RuntimeLink::Unlink {
                    queue: byte(q),
                    prio: byte(slot_prio(cur)),
                },
                None => RuntimeLink::None,
            });
        }
        self.check_link_value(d, value)?;
        let q = value & regs::LINK_QUEUE_MASK;
        let dup = slots
            .iter()
            .enumerate()
            .any(|(k, &v)| k != s && slot_queue(v) == Some(q));
        if dup {
            return Err(AlarmCode::LinkDup);
        }
        // A slot cannot be moved to another queue while the scheduler
        // still serves (or drains) the one it holds.
        if slot_queue(cur).is_some_and(|held| held != q) {
            return Err(AlarmCode::Started);
        }
        Ok(RuntimeLink::Link {
            queue: byte(q),
            prio: byte(slot_prio(value)),
        })
    }

    /// Stores `value` in slot `s` of LDB port `p` after a run-time write
    /// the scheduler took: the configuration the domain starts with next
    /// time holds the links as last written.
    pub fn set_link(&mut self, p: u32, s: usize, value: u32) {
        if let Some(slot) = self
            .ldb_ports
            .get_mut(p as usize)
            .and_then(|port| port.links.get_mut(s))
        {
            *slot = value;
        }
    }

    /// The stored slots of LDB port `p` (all 0 if the device has none).
    pub fn links(&self, p: u32) -> [u32; LINK_SLOTS] {
        self.ldb_ports
            .get(p as usize)
            .map_or([0; LINK_SLOTS], |port| port.links)
    }
}

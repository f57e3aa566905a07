// SPDX-License-Identifier: GPL-2.0

//! Link slots: which LDB queues an LDB port is linked to, at which
//! priority.

use super::port::LdbPort;
use super::{config, Check, Resources};
use crate::hlb_regs::{self as regs, AlarmCode};

impl Resources {
    /// Link slot `s` of LDB port `p`: 0 clears it, `VALID | prio << 8 |
    /// queue` links a queue of the port's domain.
    pub(super) fn write_link(&mut self, p: u32, s: usize, value: u32) -> Check {
        let port = &self.ldb_ports[p as usize];
        let d = self.configurable(port.owner)?;
        if value != 0 {
            let q = LdbPort::link_queue(value).ok_or(AlarmCode::BadValue)?;
            let prio = (value & !regs::VALID) >> regs::LINK_PRIORITY_SHIFT;
            let queue = self.queues.get(q as usize).ok_or(AlarmCode::BadId)?;
            if queue.owner != Some(d) {
                return Err(AlarmCode::NotOwned);
            }
            if prio >= config::PRIORITIES {
                return Err(AlarmCode::BadValue);
            }
            if port.links_queue(q, Some(s)) {
                return Err(AlarmCode::LinkDup);
            }
        }
        self.ldb_ports[p as usize].links[s] = value;
        Ok(())
    }
}

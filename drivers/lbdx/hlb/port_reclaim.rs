// SPDX-License-Identifier: GPL-2.0

//! Taking one port of a running domain back from a file that went away
//! while the domain's other files stay open ("Port stop and reset" in
//! `Documentation/hw/hlb.rst`, HLB 1.3): stop the port and wait until the
//! stop is complete, read what its user left, reset it, zero its CQ ring,
//! give the credits its user held back to the software pools, and run it
//! again. The other ports of the domain run throughout.

use super::{credit_page::CreditPage, dataplane::DataPlane, domain_run::RunPort, uapi};
use crate::hw::hlb_regs as regs;
use kernel::{
    io::Io,
    prelude::*,
    time::{delay::fsleep, Delta},
};

/// How long a stop may take to complete (CQ writes in flight).
const STOP_TIMEOUT_US: u32 = 10_000;
/// How often the driver looks.
const STOP_POLL_US: u32 = 10;

/// BAR0 register `off`, `ENODEV` once the device is gone.
fn read(dp: &DataPlane, off: usize) -> Result<u32> {
    dp.bar().try_access().ok_or(ENODEV)?.try_read32(off)
}

fn write(dp: &DataPlane, value: u32, off: usize) -> Result {
    dp.bar().try_access().ok_or(ENODEV)?.try_write32(value, off)
}

/// Stops port `p` (`PORT_CTRL.STOPPED`) and waits until the stop is
/// complete: from then on its counters hold still.
pub(crate) fn stop(dp: &DataPlane, p: &RunPort) -> Result {
    let ctrl = p.reg(regs::PORT_CTRL);
    write(dp, regs::PORT_CTRL_STOPPED, ctrl)?;
    // The read also flushes the posted write.
    let mut waited = 0;
    while read(dp, ctrl)? & regs::PORT_CTRL_STOPPED == 0 {
        if waited >= STOP_TIMEOUT_US {
            return Err(ETIMEDOUT);
        }
        fsleep(Delta::from_micros(STOP_POLL_US.into()));
        waited += STOP_POLL_US;
    }
    Ok(())
}

/// Takes port `p` back: its user's file is gone, so nothing writes its
/// window, ledger or (through a mapping) reads its CQ any more.
/// `reservation` bounds what a ledger may claim (processes write it);
/// `stopped` runs once the stop is complete, before the reset zeroes the
/// port's counters. Returns the events the reset dropped: an LDB port's
/// history-list entries (received and not completed), a DIR port's CQ
/// occupancy.
pub(crate) fn reclaim(
    dp: &DataPlane,
    page: &CreditPage,
    p: &RunPort,
    reservation: [u32; 2],
    stopped: impl FnOnce(),
) -> Result<u32> {
    let ctrl = p.reg(regs::PORT_CTRL);
    stop(dp, p)?;
    stopped();
    let written = read(dp, p.reg(regs::CQ_WRITTEN))?;
    let occupancy = read(dp, p.reg(regs::CQ_OCCUPANCY))?;
    let dropped = if p.kind == uapi::PORT_LDB {
        read(dp, p.reg(regs::HL_USED))?
    } else {
        occupancy
    };
    // Credits to give back to the LDB and DIR software pools.
    let ledger = page.ledger(p.kind, p.id);
    let mut credits = [0, 1].map(|k| ledger.held[k].min(reservation[k]));
    // Entries written whose credit the consumer did not give back: the
    // newest ones, no more than it holds tokens for.
    let unread = written
        .wrapping_sub(ledger.cq_credited)
        .min(occupancy)
        .min(p.depth);
    dp.with_rings(|rings| -> Result {
        let ring = rings.of(p).ok_or(EINVAL)?;
        for i in 0..unread {
            let index = written.wrapping_sub(unread).wrapping_add(i);
            let k = usize::from(ring.directed(index, p.depth));
            credits[k] = credits[k].saturating_add(1);
        }
        Ok(())
    })
    .ok_or(ENODEV)??;
    write(dp, regs::PORT_CTRL_STOPPED | regs::PORT_CTRL_RESET, ctrl)?;
    // Reset: the device writes nothing to the ring until the port runs.
    dp.with_rings(|rings| rings.of(p).map(|r| r.clear()));
    page.clear_ledger(p.kind, p.id);
    page.give(false, credits[0]);
    page.give(true, credits[1]);
    write(dp, 0, ctrl)?;
    read(dp, ctrl)?;
    Ok(dropped)
}

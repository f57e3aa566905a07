// SPDX-License-Identifier: GPL-2.0

//! User-space library of the HLB data plane.
//!
//! [`Domain::open`] opens `/dev/lbdx/<bdf>/<domain>` and maps the
//! domain's credit page; [`Domain::attach`] attaches a port and maps its
//! producer window and CQ; a [`Port`] enqueues, forwards, completes and
//! dequeues [`Event`]s with credits taken from the shared software pools
//! in quanta and CQ tokens returned in batches, and sleeps in poll() when
//! its CQ is empty. [`sim::SimDevice`] runs the same port logic against
//! an in-process device (the scheduling core of the emulated device).
//!
//! Parts: [`abi`] (the uapi header), [`mem`] (raw port memory),
//! [`credits`], [`event`], [`port`], [`domain`] and [`sys`] (the real
//! device), [`sim`], [`configfs`] (port ids by name), [`pipeline`] (the
//! pipeline benchmark and checker), [`vf_mbox`] (a raw client of a VF's
//! mailbox), [`xstats`] (the domain's statistics in sysfs, DPDK xstats
//! style).

pub mod abi;
pub mod args;
pub mod configfs;
pub mod credits;
pub mod domain;
pub mod event;
pub mod mem;
pub mod pipeline;
pub mod port;
pub mod relink;
pub mod sim;
pub mod sys;
pub mod vf_mbox;
pub mod xstats;

pub use domain::Domain;
pub use event::Event;
pub use lbdx_logic::hw::hlb_regs::SchedType;
pub use port::{Port, PortConfig, PortState, PortType, PortWait, Timeout};

#[cfg(test)]
mod tests;

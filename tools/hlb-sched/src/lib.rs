// SPDX-License-Identifier: GPL-2.0

//! The HLB data-plane scheduler: what the device does with the QEs that
//! producers write into their producer-port windows, as specified in
//! "Data plane" of `Documentation/hw/hlb.rst`.
//!
//! One [`Domain`] is the run-time state of one started scheduling domain:
//! built from its frozen configuration ([`DomainConfig`]) when the domain
//! starts, dropped when it stops or resets. It is plain, deterministic,
//! single-threaded state (`core` + `alloc`, every table sized at start, no
//! allocation per event); the device model drives it under its lock:
//!
//! * [`Domain::submit`] takes one QE from a port's window (enqueue with
//!   credit check, forward, complete, token return, arm) or refuses it
//!   with the alarm code the device raises; [`Domain::submit_bytes`] and
//!   [`Domain::submit_burst`] take QEs in their 16-byte layout, as the
//!   device reads them from the window;
//! * [`Domain::schedule`] moves entries from queues to consumer queues
//!   (CQs) by the scheduling rules and writes them through a [`CqSink`]
//!   (guest memory in the model, [`MemCqs`] in tests and benchmarks), an
//!   LDB port a turn of up to [`domain::TURN`] entries at a time;
//! * [`Domain::set_stopped`] and [`Domain::reset_port`] stop, run and
//!   reset one port (`PORT_CTRL`, "Port stop and reset");
//! * [`Domain::pp_events`] and [`Domain::queue_stats`] report the
//!   statistics counters ("Statistics"), kept as the entries move.
//! * [`Domain::link`] and [`Domain::unlink`] change an LDB port's links
//!   while the domain runs ("Links at run time"): a link at once, an
//!   unlink at once for new work and pending ([`Domain::unlink_pending`])
//!   while the port's history list holds entries of the queue.
//!
//! Parts: [`config`] (what the domain was started with), [`domain`] (the
//! state and the rules), [`list`] (the intrusive fixed-capacity lists the
//! state is made of), [`cq`] (CQ writing and the consumer-side ring reader).

#![no_std]

extern crate alloc;

pub mod config;
pub mod cq;
pub mod domain;
mod list;

pub use config::{ConfigError, DirPortConfig, DomainConfig, LdbPortConfig, QueueConfig};
pub use cq::{CqSink, MemCqs};
pub use domain::{Domain, LinkError, PortId, QueueState, QueueStats};
pub use lbdx_logic::hw::hlb_regs::{AlarmCode, CqEntry, Qe, QeCommand, SchedType, QE_SIZE};

// SPDX-License-Identifier: GPL-2.0

//! HLB load-balancer driver (`lbdx_hlb`).
//!
//! - `driver.rs` binds the PCI function; `resources.rs` reads what the
//!   device reports it has; `sysfs.rs` shows totals and what is free.
//! - `resource_pool.rs` (kernel-free) allocates domains, queues, ports,
//!   credits and history list; `control_plane.rs` keeps the operator's
//!   domains and objects and commits them; `program.rs` writes them to the
//!   device; `configfs.rs` is the operator's interface.
//! - Data plane (minor version 1): `dataplane.rs` (CQ rings, vectors,
//!   alarm routing), `domain_run.rs` (run-time use of a started domain),
//!   `domain_cdev.rs` + `domain_cdev.c` (its character device), `cq_ring.rs`,
//!   `credit_page.rs`, `uapi.rs` (the ABI of
//!   `include/uapi/linux/lbdx_hlb.h`); minor version 3: `port_reclaim.rs`
//!   (a port taken back from a file that went away).
//!
//! - Virtual functions (minor version 2): on the PF, `vf_configfs.rs`
//!   (assignment), `vf_sysfs.rs` (its read-only view), `vf_mailbox.rs` and `vf_requests.rs` (the mailbox
//!   service); on a VF, `pf_mailbox.rs` (requests), `pf_messages.rs`
//!   (what the PF tells it) and `mbox_program.rs` (programming through
//!   the PF).
//!
//! Register map: `hw/hlb_regs.rs`, specified in `Documentation/hw/hlb.rst`.

pub(crate) mod configfs;
mod control_causes;
mod control_plane;
#[cfg(CONFIG_KUNIT)]
mod control_plane_kunit;
mod cq_ring;
mod credit_page;
mod dataplane;
#[cfg(CONFIG_KUNIT)]
mod dataplane_kunit;
pub(crate) mod domain_cdev;
mod domain_run;
mod driver;
mod mbox_program;
mod pf_mailbox;
mod pf_messages;
mod port_reclaim;
mod program;
#[allow(
    dead_code,
    unreachable_pub,
    reason = "kernel-free, shared with host tests"
)]
mod resource_pool;
mod resources;
mod run_stats;
#[allow(unreachable_pub, reason = "kernel-free, shared with host tests")]
mod stat_counter;
mod stats_sysfs;
mod sysfs;
pub(crate) mod uapi;
mod vf_configfs;
mod vf_mailbox;
#[allow(
    dead_code,
    unreachable_pub,
    reason = "kernel-free, shared with host tests"
)]
mod vf_requests;
mod vf_sysfs;

pub(crate) use driver::HlbDriver;

// SPDX-License-Identifier: GPL-2.0

//! Kernel-free control-plane logic of the lbdx driver, for host tests.
//!
//! Nothing is copied: this crate compiles the driver's own files, laid out
//! as in the kernel module (`crate::hw::*` for the register maps,
//! `crate::hlb::*` for the HLB logic), so each file resolves the same
//! paths in both builds. `no_std` keeps those files `core`-only.

#![no_std]

/// Register maps (`drivers/lbdx/hw/`).
#[path = "../../../drivers/lbdx/hw"]
pub mod hw {
    pub mod dxe_regs;
    pub mod hlb_mbox;
    pub mod hlb_regs;
    pub mod hlb_vf_regs;
}

/// HLB control-plane logic (`drivers/lbdx/hlb/`).
#[path = "../../../drivers/lbdx/hlb"]
pub mod hlb {
    pub mod resource_pool;
    pub mod stat_counter;
    pub mod vf_requests;
}

/// Async-offload middle layer logic (`drivers/lbdx/offload/`).
#[path = "../../../drivers/lbdx/offload"]
pub mod offload {
    pub mod backend_select;
    pub mod cpu_yield;
    pub mod drive_estimate;
    pub mod request_state;
}

/// Parsing of configfs attribute input (`drivers/lbdx/attr_value.rs`).
#[path = "../../../drivers/lbdx/attr_value.rs"]
pub mod attr_value;

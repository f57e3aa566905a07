// SPDX-License-Identifier: GPL-2.0

//! Hardware definitions of the lbdx devices, kernel-free.
//!
//! The files under `hw/` use `core` only and are also compiled into the
//! device models and host tests (`tools/lbdx-logic`), so driver and model read
//! one transcription of `Documentation/hw/`. Each is the whole register map;
//! the driver does not use every item of it yet, the model does.

#[allow(
    dead_code,
    unreachable_pub,
    reason = "complete transcription of Documentation/hw/dxe.rst, shared with the host crates"
)]
pub(crate) mod dxe_regs;
#[allow(
    dead_code,
    unreachable_pub,
    reason = "complete codec of Documentation/hw/hlb-mbox.rst, shared with the host crates"
)]
pub(crate) mod hlb_mbox;
#[allow(
    dead_code,
    unreachable_pub,
    reason = "complete transcription of Documentation/hw/hlb.rst, shared with the host crates"
)]
pub(crate) mod hlb_regs;
#[allow(
    dead_code,
    unreachable_pub,
    reason = "complete transcription of Documentation/hw/hlb-vf.rst, shared with the host crates"
)]
pub(crate) mod hlb_vf_regs;

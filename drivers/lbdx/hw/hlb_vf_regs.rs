// SPDX-License-Identifier: GPL-2.0

//! Register map of an HLB virtual function, as specified in
//! `Documentation/hw/hlb-vf.rst` ("VF registers").
//!
//! Kernel-free (`core` only), shared by the driver, the device model and
//! host tests like `hlb_regs`. Registers a VF has in common with the PF
//! (`ID`, `VERSION`, `CTRL`, `STATUS`, `IRQ_TEST`, `IRQ_CAUSE` with its
//! `TEST` and `ALARM` bits, `IRQ_TEST_COUNT`, `NUM_VECTORS`, the alarm
//! registers, the read-only data-plane counters and the per-port
//! data-plane blocks) sit at the PF's offsets and are named by
//! `hlb_regs`, so the driver's bring-up serves both functions.

/// PCI device ID of an HLB VF function.
pub const PCI_DEVICE_ID: u16 = 0x4c43;
/// Value of `ID` (offset 0, as on the PF): `"HLBV"` in ASCII.
pub const ID_MAGIC: u32 = 0x484c_4256;
/// What every BAR0 register reads while the VF is not enabled.
pub const ABSENT: u32 = 0xffff_ffff;

/// MSI-X vectors of a VF: vector 0 (mailbox, alarm) and 16 CQ vectors.
pub const NUM_VECTORS: u32 = 17;
/// Largest valid `CQ_VECTOR` of a port mapped to a VF.
pub const CQ_VECTOR_MAX: u32 = NUM_VECTORS - 1;

/// `IRQ_CAUSE.ALARM`: the VF latched an alarm (the PF's bit).
pub const IRQ_CAUSE_ALARM: u32 = crate::hw::hlb_regs::IRQ_CAUSE_ALARM;
/// `IRQ_CAUSE.MBOX_REPLY`: a reply was delivered.
pub const IRQ_CAUSE_MBOX_REPLY: u32 = 1 << 2;
/// `IRQ_CAUSE.PF_MSG`: a PF message was delivered.
pub const IRQ_CAUSE_PF_MSG: u32 = 1 << 3;

/// `MBOX_REQ_LEN` (WO): writing a length posts the request buffer.
pub const MBOX_REQ_LEN: usize = 0x0040;
/// `MBOX_STATUS` (RO): `MBOX_STATUS_*` bits.
pub const MBOX_STATUS: usize = 0x0044;
/// `MBOX_STATUS.REQ_BUSY`: a request is posted and not answered.
pub const MBOX_STATUS_REQ_BUSY: u32 = 1 << 0;
/// `MBOX_STATUS.REPLY_VALID`: the reply buffer answers the last request.
pub const MBOX_STATUS_REPLY_VALID: u32 = 1 << 1;
/// `MBOX_STATUS.MSG_VALID`: a PF message is not acknowledged yet.
pub const MBOX_STATUS_MSG_VALID: u32 = 1 << 2;
/// `MBOX_REPLY_LEN` (RO): length of the reply.
pub const MBOX_REPLY_LEN: usize = 0x0048;
/// `PF_MSG_LEN` (RO): length of the PF message.
pub const PF_MSG_LEN: usize = 0x004c;
/// `PF_MSG_ACK` (WO): writing 1 acknowledges the PF message.
pub const PF_MSG_ACK: usize = 0x0050;
/// `MBOX_OVERRUNS` (RO): requests posted while busy, since the VF's reset.
pub const MBOX_OVERRUNS: usize = 0x0054;

/// `MBOX_REQ`: the request buffer (RW, 256 bytes).
pub const MBOX_REQ: usize = 0x0400;
/// `MBOX_REPLY`: the reply buffer (RO, 256 bytes).
pub const MBOX_REPLY: usize = 0x0500;
/// `PF_MSG`: the PF message buffer (RO, 64 bytes).
pub const PF_MSG: usize = 0x0600;

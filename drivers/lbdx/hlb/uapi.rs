// SPDX-License-Identifier: GPL-2.0

//! The character-device ABI of a started domain, transcribed from
//! `include/uapi/linux/lbdx_hlb.h` (the header is the reference; the
//! `hlb-user` crate checks its own transcription against it with a C
//! compiler).

use kernel::{
    ioctl::{_IOR, _IOW, _IOWR},
    transmute::{AsBytes, FromBytes},
};

/// ABI version reported by `DOMAIN_INFO`.
pub(crate) const ABI_VERSION: u32 = 2;
/// `LBDX_HLB_PORT_LDB`.
pub(crate) const PORT_LDB: u32 = 0;
/// `LBDX_HLB_PORT_DIR`.
pub(crate) const PORT_DIR: u32 = 1;

/// `struct lbdx_hlb_domain_info`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct DomainInfo {
    pub(crate) abi_version: u32,
    pub(crate) domain_id: u32,
    pub(crate) ldb_credits: u32,
    pub(crate) dir_credits: u32,
    pub(crate) num_ldb_queues: u32,
    pub(crate) num_ldb_ports: u32,
    pub(crate) num_dir_ports: u32,
    pub(crate) reserved: u32,
    pub(crate) credits_offset: u64,
}

/// `struct lbdx_hlb_port_attach`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct PortAttach {
    pub(crate) port_type: u32,
    pub(crate) id: u32,
    pub(crate) flags: u32,
    pub(crate) cq_depth: u32,
    pub(crate) pp_offset: u64,
    pub(crate) cq_offset: u64,
    pub(crate) pp_size: u32,
    pub(crate) cq_size: u32,
}

/// `struct lbdx_hlb_arm`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct Arm {
    pub(crate) port_type: u32,
    pub(crate) id: u32,
    pub(crate) read_index: u32,
    pub(crate) reserved: u32,
}

/// `struct lbdx_hlb_alert`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct Alert {
    pub(crate) code: u32,
    pub(crate) port_type: u32,
    pub(crate) port_id: u32,
    pub(crate) dropped: u32,
    pub(crate) timestamp_ns: u64,
}

/// `struct lbdx_hlb_link`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct Link {
    pub(crate) port_id: u32,
    pub(crate) queue_id: u32,
    pub(crate) priority: u32,
    pub(crate) pending: u32,
}

// SAFETY: Plain `repr(C)` integers without padding: any bytes are a valid
// value and every byte of a value is initialized.
unsafe impl FromBytes for DomainInfo {}
// SAFETY: As above.
unsafe impl AsBytes for DomainInfo {}
// SAFETY: As above.
unsafe impl FromBytes for PortAttach {}
// SAFETY: As above.
unsafe impl AsBytes for PortAttach {}
// SAFETY: As above.
unsafe impl FromBytes for Arm {}
// SAFETY: As above.
unsafe impl AsBytes for Arm {}
// SAFETY: As above.
unsafe impl FromBytes for Alert {}
// SAFETY: As above.
unsafe impl AsBytes for Alert {}
// SAFETY: As above.
unsafe impl FromBytes for Link {}
// SAFETY: As above.
unsafe impl AsBytes for Link {}

const MAGIC: u32 = 0xe1;
/// `LBDX_HLB_IOC_DOMAIN_INFO`.
pub(crate) const IOC_DOMAIN_INFO: u32 = _IOR::<DomainInfo>(MAGIC, 0);
/// `LBDX_HLB_IOC_ATTACH`.
pub(crate) const IOC_ATTACH: u32 = _IOWR::<PortAttach>(MAGIC, 1);
/// `LBDX_HLB_IOC_ARM`.
pub(crate) const IOC_ARM: u32 = _IOW::<Arm>(MAGIC, 2);
/// `LBDX_HLB_IOC_LINK`.
pub(crate) const IOC_LINK: u32 = _IOW::<Link>(MAGIC, 3);
/// `LBDX_HLB_IOC_UNLINK`.
pub(crate) const IOC_UNLINK: u32 = _IOW::<Link>(MAGIC, 4);
/// `LBDX_HLB_IOC_UNLINKS_PENDING`.
pub(crate) const IOC_UNLINKS_PENDING: u32 = _IOWR::<Link>(MAGIC, 5);

/// Byte offsets of the mmap areas: the credit page at 0; port slot `s`
/// (`type * 256 + id`) has its producer window at `(s + 1) << 20` and its
/// CQ ring half a MiB above.
pub(crate) const CREDITS_OFFSET: u64 = 0;
const SLOT_SHIFT: u32 = 20;
const CQ_AREA: u64 = 1 << 19;

/// What an mmap offset names.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Area {
    /// The domain's credit page.
    Credits,
    /// The producer window of port slot `.0`.
    Producer(u32),
    /// The CQ ring of port slot `.0`.
    Cq(u32),
}

/// `LBDX_HLB_CREDIT_PAGE_SIZE`.
pub(crate) const CREDIT_PAGE_SIZE: usize = 4096;

/// Byte offset in the credit page of the ledger of port (`port_type`,
/// `id`), `struct lbdx_hlb_port_ledger` (8 bytes: `held[2]` as `u16`, then
/// `cq_credited`); `id` is below `hlb_regs::OBJECTS_MAX` (128).
pub(crate) const fn ledger_offset(port_type: u32, id: u32) -> usize {
    LEDGER_OFFSET + 8 * (port_type * 128 + id) as usize
}
const LEDGER_OFFSET: usize = 2048;

/// The port slot of (`port_type`, `id`).
pub(crate) const fn slot(port_type: u32, id: u32) -> u32 {
    port_type * 256 + id
}

/// The mmap offset of the producer window of port slot `s`.
pub(crate) const fn pp_offset(s: u32) -> u64 {
    ((s as u64) + 1) << SLOT_SHIFT
}

/// The mmap offset of the CQ ring of port slot `s`.
pub(crate) const fn cq_offset(s: u32) -> u64 {
    pp_offset(s) + CQ_AREA
}

/// Decodes a byte offset into an area; `None` for offsets no area starts
/// at.
pub(crate) fn area(offset: u64) -> Option<Area> {
    if offset == CREDITS_OFFSET {
        return Some(Area::Credits);
    }
    let s = u32::try_from((offset >> SLOT_SHIFT).checked_sub(1)?).ok()?;
    match offset & ((1 << SLOT_SHIFT) - 1) {
        0 => Some(Area::Producer(s)),
        CQ_AREA => Some(Area::Cq(s)),
        _ => None,
    }
}

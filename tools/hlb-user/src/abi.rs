// SPDX-License-Identifier: GPL-2.0

//! Rust transcription of `include/uapi/linux/lbdx_hlb.h`, the HLB domain
//! character device ABI: structures, constants and ioctl numbers. A host
//! test compiles the C header and compares sizes, offsets and numbers.

/// ABI version `LBDX_HLB_IOC_DOMAIN_INFO` reports.
pub const LBDX_HLB_ABI_VERSION: u32 = 2;

/// Port type: load-balanced.
pub const LBDX_HLB_PORT_LDB: u32 = 0;
/// Port type: directed.
pub const LBDX_HLB_PORT_DIR: u32 = 1;

/// Bytes of a producer window (QE ring page and doorbell page).
pub const LBDX_HLB_PP_SIZE: u32 = 8192;
/// Slots of the QE ring.
pub const LBDX_HLB_QE_RING_SLOTS: u32 = 256;
/// Offset of the doorbell page in the producer window.
pub const LBDX_HLB_DOORBELL_OFFSET: u32 = 4096;
/// Bytes of the credit page mapping.
pub const LBDX_HLB_CREDIT_PAGE_SIZE: usize = 4096;
/// Offset in the credit page of the port ledgers.
pub const LBDX_HLB_LEDGER_OFFSET: usize = 2048;

/// Byte offset in the credit page of the ledger of port (`port_type`, `id`).
pub const fn ledger_offset(port_type: u32, id: u8) -> usize {
    LBDX_HLB_LEDGER_OFFSET + 8 * (port_type as usize * 128 + id as usize)
}

/// `struct lbdx_hlb_domain_info`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DomainInfo {
    /// `LBDX_HLB_ABI_VERSION`.
    pub abi_version: u32,
    /// The device's domain number.
    pub domain_id: u32,
    /// LDB credit reservation.
    pub ldb_credits: u32,
    /// DIR credit reservation.
    pub dir_credits: u32,
    /// LDB queues of the domain.
    pub num_ldb_queues: u32,
    /// LDB ports of the domain.
    pub num_ldb_ports: u32,
    /// DIR ports of the domain.
    pub num_dir_ports: u32,
    /// 0.
    pub reserved: u32,
    /// mmap offset of the credit page.
    pub credits_offset: u64,
}

/// `struct lbdx_hlb_credit_page` (the first 8 bytes of the credit page).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CreditPage {
    /// Software pool of LDB credits.
    pub ldb_credits: u32,
    /// Software pool of DIR credits.
    pub dir_credits: u32,
}

/// `struct lbdx_hlb_port_ledger` (one per port in the credit page).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PortLedger {
    /// Credits the port holds: LDB, DIR.
    pub held: [u16; 2],
    /// CQ entries (free-running) whose credit went back.
    pub cq_credited: u32,
}

/// `struct lbdx_hlb_port_attach`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PortAttach {
    /// In: `LBDX_HLB_PORT_LDB` or `LBDX_HLB_PORT_DIR`.
    pub type_: u32,
    /// In: device port number.
    pub id: u32,
    /// In: 0.
    pub flags: u32,
    /// Out: CQ entries (power of two).
    pub cq_depth: u32,
    /// Out: mmap offset of the producer window.
    pub pp_offset: u64,
    /// Out: mmap offset of the CQ ring.
    pub cq_offset: u64,
    /// Out: `LBDX_HLB_PP_SIZE`.
    pub pp_size: u32,
    /// Out: bytes of the CQ mapping.
    pub cq_size: u32,
}

/// `struct lbdx_hlb_arm`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Arm {
    /// Port type.
    pub type_: u32,
    /// Device port number.
    pub id: u32,
    /// Free-running read index of the consumer.
    pub read_index: u32,
    /// 0.
    pub reserved: u32,
}

/// `struct lbdx_hlb_alert`: one record of `read()`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Alert {
    /// Alarm code (0x0c NoCredit, 0x0d BadQe, 0x0e NoHistory, 0x0f BadToken).
    pub code: u32,
    /// `LBDX_HLB_PORT_*` of the port that wrote the QE.
    pub port_type: u32,
    /// Its device port number.
    pub port_id: u32,
    /// Alerts lost before this one.
    pub dropped: u32,
    /// `ktime_get_ns()` when the driver saw it.
    pub timestamp_ns: u64,
}

/// `struct lbdx_hlb_link`: LINK, UNLINK and UNLINKS_PENDING.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Link {
    /// LDB port (device number).
    pub port_id: u32,
    /// LDB queue (device number); 0 for UNLINKS_PENDING.
    pub queue_id: u32,
    /// LINK: 0 to 7; otherwise 0.
    pub priority: u32,
    /// In: 0; out (UNLINKS_PENDING): the port's pending unlinks.
    pub pending: u32,
}

/// `LBDX_HLB_IOC_MAGIC`.
pub const LBDX_HLB_IOC_MAGIC: u32 = 0xE1;

const IOC_NRSHIFT: u32 = 0;
const IOC_TYPESHIFT: u32 = 8;
const IOC_SIZESHIFT: u32 = 16;
const IOC_DIRSHIFT: u32 = 30;
const IOC_WRITE: u32 = 1;
const IOC_READ: u32 = 2;

/// The generic `_IOC()` encoding (x86, arm64, riscv: 2 direction bits,
/// 14 size bits).
const fn ioc(dir: u32, ty: u32, nr: u32, size: usize) -> u32 {
    (dir << IOC_DIRSHIFT)
        | (ty << IOC_TYPESHIFT)
        | (nr << IOC_NRSHIFT)
        | ((size as u32) << IOC_SIZESHIFT)
}

/// `LBDX_HLB_IOC_DOMAIN_INFO`: `_IOR(0xE1, 0x00, struct lbdx_hlb_domain_info)`.
pub const LBDX_HLB_IOC_DOMAIN_INFO: u32 = ioc(
    IOC_READ,
    LBDX_HLB_IOC_MAGIC,
    0x00,
    core::mem::size_of::<DomainInfo>(),
);
/// `LBDX_HLB_IOC_ATTACH`: `_IOWR(0xE1, 0x01, struct lbdx_hlb_port_attach)`.
pub const LBDX_HLB_IOC_ATTACH: u32 = ioc(
    IOC_READ | IOC_WRITE,
    LBDX_HLB_IOC_MAGIC,
    0x01,
    core::mem::size_of::<PortAttach>(),
);
/// `LBDX_HLB_IOC_ARM`: `_IOW(0xE1, 0x02, struct lbdx_hlb_arm)`.
pub const LBDX_HLB_IOC_ARM: u32 = ioc(
    IOC_WRITE,
    LBDX_HLB_IOC_MAGIC,
    0x02,
    core::mem::size_of::<Arm>(),
);

/// `LBDX_HLB_IOC_LINK`: `_IOW(0xE1, 0x03, struct lbdx_hlb_link)`.
pub const LBDX_HLB_IOC_LINK: u32 = ioc(
    IOC_WRITE,
    LBDX_HLB_IOC_MAGIC,
    0x03,
    core::mem::size_of::<Link>(),
);
/// `LBDX_HLB_IOC_UNLINK`: `_IOW(0xE1, 0x04, struct lbdx_hlb_link)`.
pub const LBDX_HLB_IOC_UNLINK: u32 = ioc(
    IOC_WRITE,
    LBDX_HLB_IOC_MAGIC,
    0x04,
    core::mem::size_of::<Link>(),
);
/// `LBDX_HLB_IOC_UNLINKS_PENDING`: `_IOWR(0xE1, 0x05, struct lbdx_hlb_link)`.
pub const LBDX_HLB_IOC_UNLINKS_PENDING: u32 = ioc(
    IOC_READ | IOC_WRITE,
    LBDX_HLB_IOC_MAGIC,
    0x05,
    core::mem::size_of::<Link>(),
);

/// Alarm code of a QE refused as malformed or misdirected (`BadQe`).
pub const ALERT_BAD_QE: u32 = 0x0d;
/// Alarm code of a VF's QE naming a virtual id the VF does not have
/// (`Unmapped`, `Documentation/hw/hlb-vf.rst`).
pub const ALERT_UNMAPPED: u32 = 0x10;

#[cfg(test)]
mod tests;

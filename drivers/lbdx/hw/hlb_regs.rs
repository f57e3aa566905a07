// SPDX-License-Identifier: GPL-2.0

//! Register map of the HLB load balancer, as specified in
//! `Documentation/hw/hlb.rst`.
//!
//! Kernel-free (`core` only): compiled into the driver and into the device
//! model and host tests from this same file, so both sides agree on every
//! offset and bit. The reST document is the specification; this file is its
//! transcription and must change together with it.

/// PCI vendor ID of both lbdx devices (not assigned to any real product).
pub const PCI_VENDOR_ID: u16 = 0x0def;
/// PCI device ID of the HLB load balancer.
pub const PCI_DEVICE_ID: u16 = 0x4c42;
/// PCI class code: system peripheral, other (0x0880), prog-if 0.
pub const PCI_CLASS: u32 = 0x08_80_00;

/// Size of BAR0 (control registers), in bytes.
pub const BAR0_SIZE: u64 = 0x1_0000;
/// BAR holding the MSI-X table and PBA.
pub const MSIX_BAR: u32 = 2;

/// `ID`: identity magic, read-only, reads `"HLB0"` in ASCII.
pub const ID: usize = 0x0000;
/// Value of [`ID`].
pub const ID_MAGIC: u32 = 0x484c_4230;
/// `VERSION`: major in bits 31:16, minor in bits 15:0.
pub const VERSION: usize = 0x0004;
/// Major version this register map describes; a driver refuses others.
pub const VERSION_MAJOR: u16 = 1;
/// Minor version this register map describes and the model implements
/// (backwards compatible additions; 1 adds the data plane, 2 virtual
/// functions, 3 port stop and reset, 4 statistics, 5 links at run time).
pub const VERSION_MINOR: u16 = 5;

/// `CTRL`: device control.
pub const CTRL: usize = 0x0008;
/// `CTRL.RESET`: write 1 to reset the device; reads 1 until the reset is done.
pub const CTRL_RESET: u32 = 1 << 0;

/// `STATUS`: device status, read-only.
pub const STATUS: usize = 0x000c;
/// `STATUS.READY`: out of reset and accepting programming.
pub const STATUS_READY: u32 = 1 << 0;

/// `IRQ_TEST`: write a vector number to make the device raise that MSI-X
/// vector and set [`IRQ_CAUSE_TEST`].
pub const IRQ_TEST: usize = 0x0010;
/// `IRQ_CAUSE`: why the alarm vector (0) fired; write 1 to clear a bit.
pub const IRQ_CAUSE: usize = 0x0014;
/// `IRQ_CAUSE.TEST`: a self-test interrupt was raised through [`IRQ_TEST`].
pub const IRQ_CAUSE_TEST: u32 = 1 << 0;
/// `IRQ_CAUSE.ALARM`: an alarm is latched in the alarm registers.
pub const IRQ_CAUSE_ALARM: u32 = 1 << 1;
/// `IRQ_CAUSE.VF_MBOX` (1.2): a VF posted a mailbox request.
pub const IRQ_CAUSE_VF_MBOX: u32 = 1 << 2;
/// `IRQ_CAUSE.VF_RESET` (1.2): a VF had a function-level reset.
pub const IRQ_CAUSE_VF_RESET: u32 = 1 << 3;
/// `IRQ_CAUSE.VF_ALARM` (1.2): a VF latched an alarm.
pub const IRQ_CAUSE_VF_ALARM: u32 = 1 << 4;
/// `IRQ_TEST_COUNT`: number of self-test interrupts raised since reset.
pub const IRQ_TEST_COUNT: usize = 0x0018;
/// `NUM_VECTORS`: MSI-X vectors: vector 0 is the alarm vector, vectors
/// 1.. serve consumer-queue interrupts.
pub const NUM_VECTORS: usize = 0x001c;

/// `NUM_DOMAINS`: scheduling domains.
pub const NUM_DOMAINS: usize = 0x0020;
/// `NUM_LDB_QUEUES`: load-balanced queues.
pub const NUM_LDB_QUEUES: usize = 0x0024;
/// `NUM_DIR_PORTS`: directed ports, each paired with one directed queue.
pub const NUM_DIR_PORTS: usize = 0x0028;
/// `NUM_LDB_PORTS`: load-balanced ports.
pub const NUM_LDB_PORTS: usize = 0x002c;
/// `NUM_LDB_CREDITS`: load-balanced credits.
pub const NUM_LDB_CREDITS: usize = 0x0030;
/// `NUM_DIR_CREDITS`: directed credits.
pub const NUM_DIR_CREDITS: usize = 0x0034;
/// `NUM_HIST_LIST`: history-list entries.
pub const NUM_HIST_LIST: usize = 0x0038;
/// `NUM_ATOMIC_INFLIGHTS`: atomic in-flight slots.
pub const NUM_ATOMIC_INFLIGHTS: usize = 0x003c;
/// `NUM_SN_GROUPS`: sequence-number groups.
pub const NUM_SN_GROUPS: usize = 0x0040;
/// `SN_PER_GROUP`: sequence numbers in one group.
pub const SN_PER_GROUP: usize = 0x0044;
/// `NUM_LDB_PORT_COS`: classes of service the load-balanced ports form.
pub const NUM_LDB_PORT_COS: usize = 0x0048;
/// `MAX_QUEUES_PER_PORT`: load-balanced queues one port may be linked to.
pub const MAX_QUEUES_PER_PORT: usize = 0x004c;
/// `NUM_PRIORITIES`: priority levels of a queue-to-port link.
pub const NUM_PRIORITIES: usize = 0x0050;

/// Resource-count registers in order, with the name the driver and the
/// documentation give each (also the sysfs attribute name).
pub const RESOURCE_REGS: [(&str, usize); 13] = [
    ("domains", NUM_DOMAINS),
    ("ldb_queues", NUM_LDB_QUEUES),
    ("dir_ports", NUM_DIR_PORTS),
    ("ldb_ports", NUM_LDB_PORTS),
    ("ldb_credits", NUM_LDB_CREDITS),
    ("dir_credits", NUM_DIR_CREDITS),
    ("hist_list_entries", NUM_HIST_LIST),
    ("atomic_inflights", NUM_ATOMIC_INFLIGHTS),
    ("sn_groups", NUM_SN_GROUPS),
    ("sn_per_group", SN_PER_GROUP),
    ("ldb_port_cos", NUM_LDB_PORT_COS),
    ("max_queues_per_port", MAX_QUEUES_PER_PORT),
    ("priorities", NUM_PRIORITIES),
];

/// `ALARM_CODE`: the first alarm latched since the last [`ALARM_ACK`], an
/// [`AlarmCode`] (0: none). Read-only.
pub const ALARM_CODE: usize = 0x0100;
/// `ALARM_INFO`: the BAR0 offset of the write that raised [`ALARM_CODE`].
pub const ALARM_INFO: usize = 0x0104;
/// `ALARM_COUNT`: alarms raised since reset (latched or not).
pub const ALARM_COUNT: usize = 0x0108;
/// `ALARM_ACK`: write 1 to clear `ALARM_CODE` and `ALARM_INFO`.
pub const ALARM_ACK: usize = 0x010c;

/// Why the device refused a programming write. The write has no effect;
/// the device latches the first code in [`ALARM_CODE`], counts it, sets
/// [`IRQ_CAUSE_ALARM`] and raises vector 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum AlarmCode {
    /// No alarm.
    None = 0,
    /// An object, domain, group or link slot number beyond what the device
    /// has: a write to such a register, or such a number in the group field
    /// of `LQ_SN` or the queue field of a link.
    BadId = 0x01,
    /// Assignment to a domain that is not valid, or `DOM_CTRL.STARTED` set
    /// without `DOM_CTRL.VALID`.
    BadDomain = 0x02,
    /// Assignment of an object that already belongs to a domain.
    Owned = 0x03,
    /// Configuration of an object that belongs to no domain, or a link
    /// between a queue and a port of different domains.
    NotOwned = 0x04,
    /// A value outside its allowed range or set.
    BadValue = 0x05,
    /// A history-list range overlapping another one, or outside the
    /// domain's (ports) or the device's (domains).
    Overlap = 0x06,
    /// Credits or atomic in-flights over what the device (for domains) or
    /// the domain (for queues) has.
    OverCommit = 0x07,
    /// A configuration change to a started domain or one of its objects.
    Started = 0x08,
    /// A link duplicating another link of the same port.
    LinkDup = 0x09,
    /// A sequence-number slot in use, beyond its group's slots, or a group
    /// mode change while queues use the group.
    SnConflict = 0x0a,
    /// Releasing a domain (clearing `DOM_CTRL.VALID`) that still owns
    /// objects, or unassigning a queue that a port links or a port that has
    /// links.
    InUse = 0x0b,
    /// Data plane: a NEW or FORWARD QE while the domain's pool for its
    /// destination (LDB or DIR credits) is empty.
    NoCredit = 0x0c,
    /// Data plane: a QE with a reserved bit set, an unknown command, or a
    /// destination or scheduling type the domain's queues do not allow.
    BadQe = 0x0d,
    /// Data plane: COMPLETE or FORWARD from a port whose history list is
    /// empty (always for DIR ports).
    NoHistory = 0x0e,
    /// Data plane: more CQ tokens returned than the CQ holds.
    BadToken = 0x0f,
    /// Data plane (1.2): a QE from a VF's window names a virtual queue the
    /// VF has no map entry for.
    Unmapped = 0x10,
}

impl AlarmCode {
    /// Decodes an `ALARM_CODE` value.
    pub const fn from_u32(v: u32) -> Option<Self> {
        Some(match v {
            0x00 => Self::None,
            0x01 => Self::BadId,
            0x02 => Self::BadDomain,
            0x03 => Self::Owned,
            0x04 => Self::NotOwned,
            0x05 => Self::BadValue,
            0x06 => Self::Overlap,
            0x07 => Self::OverCommit,
            0x08 => Self::Started,
            0x09 => Self::LinkDup,
            0x0a => Self::SnConflict,
            0x0b => Self::InUse,
            0x0c => Self::NoCredit,
            0x0d => Self::BadQe,
            0x0e => Self::NoHistory,
            0x0f => Self::BadToken,
            0x10 => Self::Unmapped,
            _ => return None,
        })
    }
}

/// `SN_GROUP_MODE(g)`: sequence numbers per ordered queue in group `g`
/// (64, 128, 256, 512 or 1024; reset value 64); the group then has
/// `SN_PER_GROUP / mode` slots.
pub const fn sn_group_mode(g: u32) -> usize {
    0x0200 + g as usize * 4
}
/// Most sequence-number groups the map has room for.
pub const SN_GROUPS_MAX: u32 = 16;
/// Allowed `SN_GROUP_MODE` values and queue sequence-number counts.
pub const SN_MODES: [u32; 5] = [64, 128, 256, 512, 1024];

/// Bit 31 of every `*_DOMAIN` register and of `LINK`: the assignment or
/// link is valid.
pub const VALID: u32 = 1 << 31;
/// Mask of the domain number in a `*_DOMAIN` register.
pub const DOMAIN_MASK: u32 = 0xff;

/// Domain register block `d` starts at `DOMAIN_BASE + d * DOMAIN_STRIDE`.
pub const DOMAIN_BASE: usize = 0x1000;
/// Stride of domain register blocks.
pub const DOMAIN_STRIDE: usize = 0x40;
/// Most domains the map has room for.
pub const DOMAINS_MAX: u32 = 64;
/// Domain register: control. Bit 0 `VALID` (the domain exists: its
/// reservation below is checked and held), bit 1 `STARTED` (configuration
/// frozen), bit 2 `RESET` (write 1: unassign every object of the domain,
/// clear its links, clear `STARTED`; reads 0).
pub const DOM_CTRL: usize = 0x00;
/// `DOM_CTRL.VALID`.
pub const DOM_CTRL_VALID: u32 = 1 << 0;
/// `DOM_CTRL.STARTED`.
pub const DOM_CTRL_STARTED: u32 = 1 << 1;
/// `DOM_CTRL.RESET`.
pub const DOM_CTRL_RESET: u32 = 1 << 2;
/// Domain register: load-balanced credits reserved.
pub const DOM_LDB_CREDITS: usize = 0x04;
/// Domain register: directed credits reserved.
pub const DOM_DIR_CREDITS: usize = 0x08;
/// Domain register: atomic in-flights reserved.
pub const DOM_ATOMIC_INFLIGHTS: usize = 0x0c;
/// Domain register: first history-list entry of the domain's block.
pub const DOM_HL_BASE: usize = 0x10;
/// Domain register: entries in the domain's history-list block.
pub const DOM_HL_SIZE: usize = 0x14;

/// Load-balanced queue block `q` starts at `LDB_QUEUE_BASE + q * QUEUE_STRIDE`.
pub const LDB_QUEUE_BASE: usize = 0x2000;
/// Directed port (and its queue) block `p` starts at `DIR_PORT_BASE + p * QUEUE_STRIDE`.
pub const DIR_PORT_BASE: usize = 0x3000;
/// Load-balanced port block `p` starts at `LDB_PORT_BASE + p * QUEUE_STRIDE`.
pub const LDB_PORT_BASE: usize = 0x4000;
/// Links of load-balanced port `p` start at `LINK_BASE + p * QUEUE_STRIDE`.
pub const LINK_BASE: usize = 0x5000;
/// Stride of queue, port and link blocks.
pub const QUEUE_STRIDE: usize = 0x20;
/// Most queues or ports of one kind the map has room for.
pub const OBJECTS_MAX: u32 = 128;

/// Object register (all kinds): `VALID | domain`, the owning domain.
pub const OBJ_DOMAIN: usize = 0x00;
/// LDB queue: sequence numbers, bits 15:0 count (0: not ordered, else the
/// group's mode), bits 23:16 group, bits 31:24 slot in the group.
pub const LQ_SN: usize = 0x04;
/// LDB queue: in-flight limit (1 to `NUM_HIST_LIST`).
pub const LQ_INFLIGHT_LIMIT: usize = 0x08;
/// LDB queue: atomic in-flights (0: atomic scheduling not allowed); the
/// sum over a domain's queues is at most its `DOM_ATOMIC_INFLIGHTS`.
pub const LQ_ATOMIC_INFLIGHTS: usize = 0x0c;
/// LDB queue: lock-id compression: 0 (none) or one of
/// [`LOCK_ID_COMP_LEVELS`].
pub const LQ_LOCK_ID_COMP: usize = 0x10;
/// LDB queue: depth threshold (0 to 2^16 - 1), reported in each QE.
pub const LQ_DEPTH_THRESHOLD: usize = 0x14;
/// Allowed non-zero lock-id compression levels.
pub const LOCK_ID_COMP_LEVELS: [u32; 8] = [64, 128, 256, 512, 1024, 2048, 4096, 65536];

/// Port (both kinds): consumer-queue depth, a power of two 8 to 1024.
pub const PORT_CQ_DEPTH: usize = 0x04;
/// Port (both kinds): depth threshold (0 to 2^16 - 1): directed queue
/// depth for DIR ports, CQ depth for LDB ports.
pub const PORT_DEPTH_THRESHOLD: usize = 0x08;
/// LDB port: first history-list entry (within its domain's block).
pub const LP_HL_BASE: usize = 0x0c;
/// LDB port: history-list entries, at least `PORT_CQ_DEPTH`; the port's
/// range must not overlap another port's.
pub const LP_HL_SIZE: usize = 0x10;
/// Smallest consumer-queue depth.
pub const CQ_DEPTH_MIN: u32 = 8;
/// Largest consumer-queue depth.
pub const CQ_DEPTH_MAX: u32 = 1024;
/// Largest depth threshold.
pub const DEPTH_THRESHOLD_MAX: u32 = 0xffff;

/// Link slot `s` (0 to `MAX_QUEUES_PER_PORT` - 1) of an LDB port:
/// `VALID | priority << 8 | queue`.
pub const fn link_slot(s: u32) -> usize {
    s as usize * 4
}
/// Shift of the priority in a link slot.
pub const LINK_PRIORITY_SHIFT: u32 = 8;
/// `PENDING` of a link slot (read only, version 1.5): the slot's queue
/// was unlinked on a started domain and the port's history list still
/// holds entries of it; `VALID` is clear, queue and priority are the
/// unlinked link's.
pub const LINK_PENDING: u32 = 1 << 30;
/// Minor version that accepts link-slot writes on a started domain
/// ("Links at run time" in `Documentation/hw/hlb.rst`).
pub const VERSION_MINOR_RUNTIME_LINKS: u16 = 5;
/// Mask of the queue number in a link slot.
pub const LINK_QUEUE_MASK: u32 = 0xff;

/// Offset of register `reg` of domain `d`.
pub const fn domain_reg(d: u32, reg: usize) -> usize {
    DOMAIN_BASE + d as usize * DOMAIN_STRIDE + reg
}

/// Offset of register `reg` of the object `id` whose blocks start at `base`
/// (`LDB_QUEUE_BASE`, `DIR_PORT_BASE`, `LDB_PORT_BASE` or `LINK_BASE`).
pub const fn object_reg(base: usize, id: u32, reg: usize) -> usize {
    base + id as usize * QUEUE_STRIDE + reg
}

/// Class of service of LDB port `port` on a device with `ports` LDB ports
/// in `classes` classes: the ports are split into equal consecutive runs.
pub const fn ldb_port_cos(port: u32, ports: u32, classes: u32) -> u32 {
    if classes == 0 || ports < classes {
        return 0;
    }
    port / (ports / classes)
}

/// Start of the range reserved for per-port data-plane registers.
pub const PORT_REGS_BASE: usize = 0x8000;

/// Extracts the major version from a [`VERSION`] value.
pub const fn version_major(v: u32) -> u16 {
    (v >> 16) as u16
}

/// Extracts the minor version from a [`VERSION`] value.
pub const fn version_minor(v: u32) -> u16 {
    v as u16
}

/// Composes a [`VERSION`] value.
pub const fn version(major: u16, minor: u16) -> u32 {
    ((major as u32) << 16) | minor as u32
}

// ---------------------------------------------------------------------------
// Data plane (minor version 1): see "Data plane" in `Documentation/hw/hlb.rst`.
// ---------------------------------------------------------------------------

/// Minor version that adds the data plane (BAR4 producer ports, CQ rings,
/// the per-port registers at [`PORT_REGS_BASE`]).
pub const VERSION_MINOR_DATA_PLANE: u16 = 1;

/// Domain register (RO, data plane): load-balanced credits in the pool.
pub const DOM_LDB_CREDITS_AVAIL: usize = 0x18;
/// Domain register (RO, data plane): directed credits in the pool.
pub const DOM_DIR_CREDITS_AVAIL: usize = 0x1c;
/// LDB queue (RO, data plane): entries waiting in the queue.
pub const LQ_DEPTH: usize = 0x18;
/// DIR port (RO, data plane): entries waiting in its directed queue.
pub const DQ_DEPTH: usize = 0x0c;

/// Per-port data-plane block of LDB port `p` starts at
/// `LDB_PP_REGS_BASE + p * PP_REGS_STRIDE`.
pub const LDB_PP_REGS_BASE: usize = PORT_REGS_BASE;
/// Per-port data-plane block of DIR port `p` starts at
/// `DIR_PP_REGS_BASE + p * PP_REGS_STRIDE`.
pub const DIR_PP_REGS_BASE: usize = 0xa000;
/// Stride of the per-port data-plane blocks.
pub const PP_REGS_STRIDE: usize = 0x40;
/// Port data-plane register (RW): CQ ring address, bits 31:0 (bits 5:0 zero).
pub const CQ_ADDR_LO: usize = 0x00;
/// Port data-plane register (RW): CQ ring address, bits 63:32.
pub const CQ_ADDR_HI: usize = 0x04;
/// Port data-plane register (RW): MSI-X vector of the CQ interrupt,
/// 1 to 32 (0: none).
pub const CQ_VECTOR: usize = 0x08;
/// Port data-plane register (WO): write 1 to arm the CQ interrupt.
pub const CQ_ARM: usize = 0x0c;
/// Port data-plane register (RO): CQ occupancy (written, tokens not returned).
pub const CQ_OCCUPANCY: usize = 0x10;
/// Port data-plane register (RO): history-list entries in use (LDB ports).
pub const HL_USED: usize = 0x14;
/// Port data-plane register (RO): QEs taken from the producer window since
/// the domain started (wraps at 2^32).
pub const PP_CONSUMED: usize = 0x18;
/// Port data-plane register (RO): entries written to the CQ since the
/// domain started (wraps at 2^32): the device's CQ write index.
pub const CQ_WRITTEN: usize = 0x1c;
/// Largest valid [`CQ_VECTOR`].
pub const CQ_VECTOR_MAX: u32 = 32;

/// Minor version that adds [`PORT_CTRL`] ("Port stop and reset" in
/// `Documentation/hw/hlb.rst`).
pub const VERSION_MINOR_PORT_RESET: u16 = 3;
/// Port data-plane register (RW): stop and reset one port of a started
/// domain.
pub const PORT_CTRL: usize = 0x20;
/// `PORT_CTRL.STOPPED`: the port takes no QE and is given no event; reads
/// 1 once the stop is complete.
pub const PORT_CTRL_STOPPED: u32 = 1 << 0;
/// `PORT_CTRL.RESET` (write only, with `STOPPED`): retire the port's
/// history list and restart its CQ, counters and window from 0.
pub const PORT_CTRL_RESET: u32 = 1 << 1;

/// Minor version that adds the statistics counters ("Statistics" in
/// `Documentation/hw/hlb.rst`).
pub const VERSION_MINOR_STATS: u16 = 4;
/// Port data-plane register (RO, statistics): events (NEW and FORWARD QEs)
/// accepted from the producer window since the domain started or the port
/// was reset (wraps at 2^32).
pub const PP_EVENTS: usize = 0x24;
/// Port data-plane register (RO, statistics): CQ interrupts the port raised
/// since the domain started or the port was reset (wraps at 2^32).
pub const CQ_IRQS: usize = 0x28;
/// LDB queue (RO, statistics): events the queue gave to a CQ since the
/// domain started (wraps at 2^32).
pub const LQ_SCHEDULED: usize = 0x1c;
/// DIR port (RO, statistics): events its directed queue gave to its CQ
/// since the domain started (wraps at 2^32).
pub const DQ_SCHEDULED: usize = 0x10;
/// Statistics block of LDB queue `q` starts at `LDB_QUEUE_STATS_BASE + q *
/// QUEUE_STRIDE`.
pub const LDB_QUEUE_STATS_BASE: usize = 0x6000;
/// Statistics block of DIR port `p`'s queue starts at
/// `DIR_QUEUE_STATS_BASE + p * QUEUE_STRIDE`.
pub const DIR_QUEUE_STATS_BASE: usize = 0x7000;
/// Priority levels of a QE, each with its counter in a queue's statistics
/// block.
pub const QE_PRIORITIES: u32 = 8;
/// Queue statistics register (RO): events of QE priority `k` placed in the
/// queue since the domain started (wraps at 2^32).
pub const fn qs_enqueued(k: u32) -> usize {
    k as usize * 4
}

/// Offset of data-plane register `reg` of LDB port `p`.
pub const fn ldb_pp_reg(p: u32, reg: usize) -> usize {
    LDB_PP_REGS_BASE + p as usize * PP_REGS_STRIDE + reg
}

/// Offset of data-plane register `reg` of DIR port `p`.
pub const fn dir_pp_reg(p: u32, reg: usize) -> usize {
    DIR_PP_REGS_BASE + p as usize * PP_REGS_STRIDE + reg
}

/// BAR holding the producer-port windows.
pub const PP_BAR: u32 = 4;
/// Size of the producer-port BAR.
pub const PP_BAR_SIZE: u64 = 0x20_0000;
/// Stride of producer-port windows in [`PP_BAR`]: a QE page and a doorbell page.
pub const PP_WINDOW_STRIDE: usize = 0x2000;
/// Offset of LDB port `p`'s window in [`PP_BAR`].
pub const fn ldb_pp_window(p: u32) -> usize {
    p as usize * PP_WINDOW_STRIDE
}
/// Offset of DIR port `p`'s window in [`PP_BAR`].
pub const fn dir_pp_window(p: u32) -> usize {
    0x10_0000 + p as usize * PP_WINDOW_STRIDE
}
/// Size of the QE page of a window (shared memory, mmap-able).
pub const PP_QE_PAGE_SIZE: usize = 0x1000;
/// Offset of the doorbell page in a window (trapped): writing any 32-bit
/// value at its offset 0 makes the device take the window's QEs now.
pub const PP_DOORBELL: usize = 0x1000;
/// QE slots in a window's QE page, used as a ring.
pub const PP_SLOTS: u32 = (PP_QE_PAGE_SIZE / QE_SIZE) as u32;
/// Bit 31 of `ALARM_INFO` for a data-plane alarm: bits 30:0 hold the
/// [`PP_BAR`] offset of the offending QE slot.
pub const ALARM_INFO_QE: u32 = 1 << 31;

/// Size of a queue entry (QE) and of a CQ entry.
pub const QE_SIZE: usize = 16;

/// Scheduling type of a QE (byte 11, bits 1:0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum SchedType {
    /// Load-balanced, one flow on one port at a time.
    Atomic = 0,
    /// Load-balanced, any linked port, no order kept.
    Unordered = 1,
    /// Load-balanced, any linked port, order restored on forward.
    Ordered = 2,
    /// To the directed queue of one DIR port.
    Directed = 3,
}

impl SchedType {
    /// Decodes two bits.
    pub const fn from_bits(v: u8) -> Self {
        match v & 3 {
            0 => Self::Atomic,
            1 => Self::Unordered,
            2 => Self::Ordered,
            _ => Self::Directed,
        }
    }
}

/// Command of a QE (byte 15, bits 3:0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum QeCommand {
    /// Empty slot: the device has taken the QE (or none was written).
    None = 0,
    /// Enqueue a new event.
    New = 1,
    /// Complete the port's oldest history-list entry and enqueue this event
    /// in its place (in sequence order if that entry was ordered).
    Forward = 2,
    /// Complete the port's oldest history-list entry.
    Complete = 3,
    /// Return `flow` CQ tokens.
    ReturnTokens = 4,
    /// Arm the port's CQ interrupt.
    Arm = 5,
}

impl QeCommand {
    /// Decodes a command code.
    pub const fn from_u8(v: u8) -> Option<Self> {
        Some(match v {
            0 => Self::None,
            1 => Self::New,
            2 => Self::Forward,
            3 => Self::Complete,
            4 => Self::ReturnTokens,
            5 => Self::Arm,
            _ => return None,
        })
    }
}

/// QE byte 15: mask of the command code.
pub const QE_CMD_MASK: u8 = 0x0f;
/// QE byte 15: also return one CQ token.
pub const QE_CMD_TOKEN: u8 = 1 << 4;
/// QE byte 11: shift of the priority.
pub const QE_PRIO_SHIFT: u32 = 2;
/// Priorities of QEs and links (0 is the highest).
pub const PRIORITIES: u8 = 8;

/// A queue entry as a producer writes it into its producer-port window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Qe {
    /// Event payload.
    pub data: u64,
    /// Opaque value carried to the consumer.
    pub opaque: u16,
    /// Destination: LDB queue number, or DIR port number (directed).
    pub queue: u8,
    /// [`SchedType`] as its two bits.
    pub sched: u8,
    /// Priority 0 (highest) to 7.
    pub priority: u8,
    /// Flow (lock) id; for [`QeCommand::ReturnTokens`] the token count.
    pub flow: u16,
    /// [`QeCommand`] code.
    pub cmd: u8,
    /// Also return one CQ token ([`QE_CMD_TOKEN`]).
    pub token: bool,
}

/// Why a QE cannot be decoded: a reserved bit is set or the command code
/// is unknown. The device raises `BadQe`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadQe;

impl Qe {
    /// Encodes the QE in its little-endian layout. Out-of-range fields are
    /// truncated to their bits.
    #[inline]
    pub fn to_bytes(self) -> [u8; QE_SIZE] {
        let mut b = [0u8; QE_SIZE];
        b[0..8].copy_from_slice(&self.data.to_le_bytes());
        b[8..10].copy_from_slice(&self.opaque.to_le_bytes());
        b[10] = self.queue;
        b[11] = (self.sched & 3) | ((self.priority & 7) << QE_PRIO_SHIFT);
        b[12..14].copy_from_slice(&self.flow.to_le_bytes());
        b[15] = (self.cmd & QE_CMD_MASK) | if self.token { QE_CMD_TOKEN } else { 0 };
        b
    }

    /// Decodes a QE; reserved bits (byte 11 bits 7:5, byte 14, byte 15
    /// bits 7:5) must be zero and the command known.
    #[inline]
    pub fn from_bytes(b: &[u8; QE_SIZE]) -> Result<Self, BadQe> {
        if b[11] & 0xe0 != 0 || b[14] != 0 || b[15] & 0xe0 != 0 {
            return Err(BadQe);
        }
        if QeCommand::from_u8(b[15] & QE_CMD_MASK).is_none() {
            return Err(BadQe);
        }
        Ok(Self {
            data: u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
            opaque: u16::from_le_bytes([b[8], b[9]]),
            queue: b[10],
            sched: b[11] & 3,
            priority: (b[11] >> QE_PRIO_SHIFT) & 7,
            flow: u16::from_le_bytes([b[12], b[13]]),
            cmd: b[15] & QE_CMD_MASK,
            token: b[15] & QE_CMD_TOKEN != 0,
        })
    }

    /// The decoded command (`None` for an unknown code).
    #[inline]
    pub const fn command(&self) -> Option<QeCommand> {
        QeCommand::from_u8(self.cmd)
    }

    /// The decoded scheduling type.
    pub const fn sched_type(&self) -> SchedType {
        SchedType::from_bits(self.sched)
    }
}

/// Depth level of a queue relative to its depth threshold `t`, reported in
/// every CQ entry: 0 if `t` is 0 or the depth is at most `t / 2`, 1 up to
/// `3 * t / 4`, 2 up to `t`, 3 beyond.
#[inline]
pub const fn depth_level(depth: u32, t: u32) -> u8 {
    let (d, t) = (depth as u64 * 4, t as u64);
    if t == 0 || d <= 2 * t {
        0
    } else if d <= 3 * t {
        1
    } else if d <= 4 * t {
        2
    } else {
        3
    }
}

/// CQ entry byte 15: the generation bit.
pub const CQ_GEN: u8 = 1 << 0;
/// The CQ entry byte holding `sched` (bits 1:0) and `priority`.
pub const CQ_SCHED_BYTE: usize = 11;

/// An entry the device writes into a consumer-queue ring.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct CqEntry {
    /// Event payload.
    pub data: u64,
    /// Opaque value from the QE.
    pub opaque: u16,
    /// Queue the event was scheduled from (LDB queue or DIR port number).
    pub queue: u8,
    /// [`SchedType`] as its two bits.
    pub sched: u8,
    /// Priority of the QE.
    pub priority: u8,
    /// Flow id from the QE (not compressed).
    pub flow: u16,
    /// [`depth_level`] of the queue when the entry left it (bits 1:0).
    pub depth_level: u8,
    /// Generation bit: 1 on the ring's first lap, then alternating.
    pub gen: bool,
}

impl CqEntry {
    /// Encodes the entry in its little-endian layout.
    #[inline]
    pub fn to_bytes(self) -> [u8; QE_SIZE] {
        let mut b = [0u8; QE_SIZE];
        b[0..8].copy_from_slice(&self.data.to_le_bytes());
        b[8..10].copy_from_slice(&self.opaque.to_le_bytes());
        b[10] = self.queue;
        b[CQ_SCHED_BYTE] = (self.sched & 3) | ((self.priority & 7) << QE_PRIO_SHIFT);
        b[12..14].copy_from_slice(&self.flow.to_le_bytes());
        b[14] = self.depth_level & 3;
        b[15] = if self.gen { CQ_GEN } else { 0 };
        b
    }

    /// Decodes an entry (reserved bits are ignored).
    #[inline]
    pub fn from_bytes(b: &[u8; QE_SIZE]) -> Self {
        Self {
            data: u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
            opaque: u16::from_le_bytes([b[8], b[9]]),
            queue: b[10],
            sched: b[CQ_SCHED_BYTE] & 3,
            priority: (b[CQ_SCHED_BYTE] >> QE_PRIO_SHIFT) & 7,
            flow: u16::from_le_bytes([b[12], b[13]]),
            depth_level: b[14] & 3,
            gen: b[15] & CQ_GEN != 0,
        }
    }

    /// Generation bit of the entry written at free-running index `index` of
    /// a ring of `depth` entries: 1 on even laps, 0 on odd ones.
    #[inline]
    pub const fn gen_for(index: u32, depth: u32) -> bool {
        (index / depth) & 1 == 0
    }
}

// ---------------------------------------------------------------------------
// Virtual functions (minor version 2): the PF's registers, see
// `Documentation/hw/hlb-vf.rst`; the VF function's own map is `hlb_vf_regs`.
// ---------------------------------------------------------------------------

/// Minor version that adds virtual functions.
pub const VERSION_MINOR_VFS: u16 = 2;
/// Most VF functions a device has (PF BAR0 has room for this many blocks).
pub const VFS_MAX: u32 = 4;
/// `NUM_VFS` (RO): VF functions the device has, 0 to [`VFS_MAX`].
pub const NUM_VFS: usize = 0x0054;
/// `VF_ENABLE` (RW): bit `n` enables VF `n`.
pub const VF_ENABLE: usize = 0x0058;
/// `VF_MBOX_PENDING` (RO): bit `n`: VF `n` has a request not answered.
pub const VF_MBOX_PENDING: usize = 0x005c;
/// `VF_RESET_PENDING` (W1C): bit `n`: VF `n` had a function-level reset.
pub const VF_RESET_PENDING: usize = 0x0060;
/// `VF_ALARM_PENDING` (W1C): bit `n`: VF `n` latched an alarm.
pub const VF_ALARM_PENDING: usize = 0x0064;

/// Start of VF `n`'s block is `VF_BLOCK_BASE + n * VF_BLOCK_STRIDE`.
pub const VF_BLOCK_BASE: usize = 0xc000;
/// Stride of the VF blocks.
pub const VF_BLOCK_STRIDE: usize = 0x1000;
/// VF block register (RO): length of the posted request, 0 if none.
pub const VFB_REQ_LEN: usize = 0x000;
/// VF block register (WO): writing a length delivers the reply buffer.
pub const VFB_REPLY_LEN: usize = 0x004;
/// VF block register (WO): writing a length delivers the message buffer.
pub const VFB_MSG_LEN: usize = 0x008;
/// VF block register (RO): `VFB_STATUS_*` bits.
pub const VFB_STATUS: usize = 0x00c;
/// `VFB_STATUS.REQ_PENDING`: a request is posted and not answered.
pub const VFB_STATUS_REQ_PENDING: u32 = 1 << 0;
/// `VFB_STATUS.MSG_PENDING`: a PF message is not acknowledged yet.
pub const VFB_STATUS_MSG_PENDING: u32 = 1 << 1;
/// `VFB_STATUS.ENABLED`: `VF_ENABLE` bit of this VF.
pub const VFB_STATUS_ENABLED: u32 = 1 << 2;
/// `VFB_STATUS.BUS_MASTER`: the VF's Bus Master Enable.
pub const VFB_STATUS_BUS_MASTER: u32 = 1 << 3;
/// VF block register (RO): alarms the VF raised since the PF's reset.
pub const VFB_ALARM_COUNT: usize = 0x010;
/// VF block register (RO): the VF's `ALARM_CODE`.
pub const VFB_ALARM_CODE: usize = 0x014;
/// VF block register (RO): the VF's `ALARM_INFO`.
pub const VFB_ALARM_INFO: usize = 0x018;
/// VF block register (RO): requests the VF posted while one was pending.
pub const VFB_OVERRUNS: usize = 0x01c;
/// VF block: the posted request (RO).
pub const VFB_REQ: usize = 0x100;
/// VF block: the reply buffer (RW).
pub const VFB_REPLY: usize = 0x200;
/// VF block: the PF message buffer (RW).
pub const VFB_MSG: usize = 0x300;
/// VF block: virtual LDB port `v`'s map entry at `VFB_LDB_PORT_MAP + 4 * v`.
pub const VFB_LDB_PORT_MAP: usize = 0x400;
/// VF block: virtual DIR port `v`'s map entry.
pub const VFB_DIR_PORT_MAP: usize = 0x600;
/// VF block: virtual LDB queue `v`'s map entry.
pub const VFB_LDB_QUEUE_MAP: usize = 0x800;
/// VF block: virtual domain `v`'s map entry (64 entries).
pub const VFB_DOMAIN_MAP: usize = 0xa00;
/// A map entry's `VALID` bit; bits 7:0 hold the physical number.
pub const VF_MAP_VALID: u32 = 1 << 31;
/// Largest request or reply, in bytes.
pub const MBOX_MSG_MAX: usize = 256;
/// Largest PF message, in bytes.
pub const MBOX_PF_MSG_MAX: usize = 64;

/// Offset of register `reg` of VF `n`'s block.
pub const fn vf_block_reg(n: u32, reg: usize) -> usize {
    VF_BLOCK_BASE + n as usize * VF_BLOCK_STRIDE + reg
}

/// Whether `len` is a valid mailbox length for a buffer of `max` bytes:
/// a multiple of 4 from 4 to `max`.
pub const fn mbox_len_ok(len: u32, max: usize) -> bool {
    len >= 4 && len as usize <= max && len.is_multiple_of(4)
}

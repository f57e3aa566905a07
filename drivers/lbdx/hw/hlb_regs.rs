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
/// Minor version implemented by the model (backwards compatible additions).
pub const VERSION_MINOR: u16 = 0;

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

/// Start of the range reserved for alarm registers (control-plane issue).
pub const ALARM_BASE: usize = 0x0100;
/// Start of the range reserved for resource programming.
pub const RESOURCE_PROG_BASE: usize = 0x1000;
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

// SPDX-License-Identifier: GPL-2.0

//! HLB configuration: the resource counts the device reports.

use crate::hlb_regs as regs;

/// Resource counts of one HLB instance. Defaults mirror Intel DLB 2.0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HlbConfig {
    /// Scheduling domains.
    pub domains: u32,
    /// Load-balanced queues.
    pub ldb_queues: u32,
    /// Directed ports.
    pub dir_ports: u32,
    /// Load-balanced ports.
    pub ldb_ports: u32,
    /// Load-balanced credits.
    pub ldb_credits: u32,
    /// Directed credits.
    pub dir_credits: u32,
    /// History-list entries.
    pub hist_list: u32,
    /// Atomic in-flight slots.
    pub atomic_inflights: u32,
    /// Sequence-number groups.
    pub sn_groups: u32,
    /// What `VERSION` reads (see [`regs::version`]).
    pub version: u32,
    /// VF functions (`NUM_VFS`, 0 to [`regs::VFS_MAX`]).
    pub vfs: u32,
}

impl Default for HlbConfig {
    fn default() -> Self {
        Self {
            domains: 32,
            ldb_queues: 32,
            dir_ports: 64,
            ldb_ports: 64,
            ldb_credits: 8192,
            dir_credits: 4096,
            hist_list: 2048,
            atomic_inflights: 2048,
            sn_groups: 2,
            version: regs::version(regs::VERSION_MAJOR, regs::VERSION_MINOR),
            vfs: 0,
        }
    }
}

/// Sequence numbers per group.
pub const SN_PER_GROUP: u32 = 1024;
/// Classes of service of the load-balanced ports.
pub const LDB_PORT_COS: u32 = 4;
/// Queues one load-balanced port may be linked to.
pub const MAX_QUEUES_PER_PORT: u32 = 8;
/// Priority levels of a queue-to-port link.
pub const PRIORITIES: u32 = 8;
/// Most history-list entries the model accepts.
pub const HIST_LIST_MAX: u32 = 4096;

impl HlbConfig {
    /// Checks that the counts fit the register map's room: each domain,
    /// queue, port and SN group needs its own registers.
    pub fn check(&self) -> Result<(), String> {
        let limits = [
            ("domains", self.domains, regs::DOMAINS_MAX),
            ("ldb-queues", self.ldb_queues, regs::OBJECTS_MAX),
            ("dir-ports", self.dir_ports, regs::OBJECTS_MAX),
            ("ldb-ports", self.ldb_ports, regs::OBJECTS_MAX),
            ("sn-groups", self.sn_groups, regs::SN_GROUPS_MAX),
            ("hist-list", self.hist_list, HIST_LIST_MAX),
            ("vfs", self.vfs, regs::VFS_MAX),
        ];
        for (name, value, max) in limits {
            if value > max {
                return Err(format!(
                    "{name}={value} is more than the register map has room for (at most {max})"
                ));
            }
        }
        if self.vfs > 0 && self.version < regs::version(1, regs::VERSION_MINOR_VFS) {
            return Err(format!(
                "vfs={} needs version 1.{} or later",
                self.vfs,
                regs::VERSION_MINOR_VFS
            ));
        }
        Ok(())
    }

    /// Whether the device has the data plane: `VERSION` 1.1 or later
    /// (a device configured to report 1.0 has no BAR4 and no data-plane
    /// registers).
    pub fn data_plane(&self) -> bool {
        self.version >= regs::version(1, regs::VERSION_MINOR_DATA_PLANE)
    }

    /// Whether the device has `PORT_CTRL` (version 1.3 or later).
    pub fn port_ctrl(&self) -> bool {
        self.version >= regs::version(1, regs::VERSION_MINOR_PORT_RESET)
    }

    /// Whether the device has the statistics counters (version 1.4 or
    /// later): `PP_EVENTS`, `CQ_IRQS`, `LQ_SCHEDULED`, `DQ_SCHEDULED` and
    /// the queue statistics blocks.
    pub fn stats(&self) -> bool {
        self.version >= regs::version(1, regs::VERSION_MINOR_STATS)
    }

    /// Whether the device accepts link-slot writes on a started domain
    /// (version 1.5 or later, "Links at run time"): before that a started
    /// domain's links are frozen like the rest of its configuration.
    pub fn runtime_links(&self) -> bool {
        self.version >= regs::version(1, regs::VERSION_MINOR_RUNTIME_LINKS)
    }

    /// Value of the resource-count register at `offset`, if it is one.
    pub fn resource(&self, offset: usize) -> Option<u32> {
        Some(match offset {
            regs::NUM_DOMAINS => self.domains,
            regs::NUM_LDB_QUEUES => self.ldb_queues,
            regs::NUM_DIR_PORTS => self.dir_ports,
            regs::NUM_LDB_PORTS => self.ldb_ports,
            regs::NUM_LDB_CREDITS => self.ldb_credits,
            regs::NUM_DIR_CREDITS => self.dir_credits,
            regs::NUM_HIST_LIST => self.hist_list,
            regs::NUM_ATOMIC_INFLIGHTS => self.atomic_inflights,
            regs::NUM_SN_GROUPS => self.sn_groups,
            regs::SN_PER_GROUP => SN_PER_GROUP,
            regs::NUM_LDB_PORT_COS => LDB_PORT_COS,
            regs::MAX_QUEUES_PER_PORT => MAX_QUEUES_PER_PORT,
            regs::NUM_PRIORITIES => PRIORITIES,
            _ => return None,
        })
    }
}

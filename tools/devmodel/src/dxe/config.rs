// SPDX-License-Identifier: GPL-2.0

//! DXE configuration: what the identity registers report and how the
//! model behaves (rate, fault plan).

use super::faults::FaultPlan;
use crate::dxe_regs as regs;

/// Configuration of one DXE instance.
#[derive(Clone, Debug, PartialEq)]
pub struct DxeConfig {
    /// Channels, 1 ..= `CHAN_MAX`.
    pub channels: u32,
    /// `MAX_XOR_SRCS`, 2 ..= 255.
    pub max_xor_srcs: u32,
    /// `MAX_XFER` in bytes, at least 1.
    pub max_xfer: u32,
    /// `MAX_RING_SIZE` in descriptors, a power of two, at least 2.
    pub ring_max: u32,
    /// Throughput limit in bytes per second; 0 means unlimited.
    pub rate: u64,
    /// `CAPS` bits.
    pub caps: u32,
    /// Injected failures.
    pub faults: FaultPlan,
    /// What `VERSION` reads (see [`regs::version`]).
    pub version: u32,
}

impl Default for DxeConfig {
    fn default() -> Self {
        Self {
            channels: 4,
            max_xor_srcs: 16,
            max_xfer: 1 << 20,
            ring_max: 4096,
            rate: 0,
            caps: regs::CAP_ALL,
            faults: FaultPlan::default(),
            version: regs::version(regs::VERSION_MAJOR, regs::VERSION_MINOR),
        }
    }
}

impl DxeConfig {
    /// MSI-X vectors: the error vector plus one per channel.
    pub fn num_vectors(&self) -> u32 {
        1 + self.channels
    }

    /// `NOMINAL_BW`: the rate in MiB/s, rounded down but at least 1 for
    /// any limited rate; 0 when unlimited.
    pub fn nominal_bw(&self) -> u32 {
        if self.rate == 0 {
            return 0;
        }
        u32::try_from((self.rate >> 20).max(1)).unwrap_or(u32::MAX)
    }

    /// Checks ranges; the CLI reports the message.
    pub fn check(&self) -> Result<(), String> {
        if !(1..=regs::CHAN_MAX).contains(&self.channels) {
            return Err(format!("channels must be 1..={}", regs::CHAN_MAX));
        }
        if !(2..=255).contains(&self.max_xor_srcs) {
            return Err("xor-srcs must be 2..=255".into());
        }
        if self.max_xfer == 0 {
            return Err("max-xfer must be at least 1".into());
        }
        if self.ring_max < 2 || !self.ring_max.is_power_of_two() {
            return Err("ring-max must be a power of two, at least 2".into());
        }
        self.faults.check(self.channels)
    }
}

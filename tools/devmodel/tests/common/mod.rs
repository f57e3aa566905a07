// SPDX-License-Identifier: GPL-2.0

//! Test rig: a DXE core over in-memory guest RAM with a recording IRQ sink.

#![allow(dead_code)]

use devmodel::dxe::{DxeConfig, DxeCore};
use devmodel::dxe_regs::{self as regs, chan_reg, Completion, Descriptor};
use devmodel::irq::RecordingIrqs;
use devmodel::mem::{GuestMemory, VecMemory};

/// Guest RAM base and size.
pub const RAM: u64 = 0x10_0000;
pub const RAM_SIZE: usize = 4 << 20;
/// Ring of channel c at RING + c * 0x10000.
pub const RING: u64 = RAM;
/// Completion records at COMPL + 16 * n.
pub const COMPL: u64 = RAM + 0x10_0000;
/// Free data area.
pub const DATA: u64 = RAM + 0x20_0000;
/// An address nothing is mapped at.
pub const HOLE: u64 = 0x4000_0000;

pub struct Rig {
    pub core: DxeCore,
    pub mem: VecMemory,
    pub irq: RecordingIrqs,
}

impl Rig {
    pub fn new(config: DxeConfig) -> Self {
        Self {
            core: DxeCore::new("test", config),
            mem: VecMemory::with_region(RAM, RAM_SIZE),
            irq: RecordingIrqs::new(),
        }
    }

    pub fn default_config() -> Self {
        Self::new(DxeConfig::default())
    }

    pub fn r(&self, off: usize) -> u32 {
        self.core.read(off)
    }

    pub fn w(&mut self, off: usize, v: u32) {
        self.core.write(off, v, &self.irq);
    }

    pub fn cr(&self, ch: u32, reg: usize) -> u32 {
        self.r(chan_reg(ch, reg))
    }

    pub fn cw(&mut self, ch: u32, reg: usize, v: u32) {
        self.w(chan_reg(ch, reg), v);
    }

    pub fn ring_base(ch: u32) -> u64 {
        RING + u64::from(ch) * 0x1_0000
    }

    /// Programs and enables channel `ch` with a ring of `size` descriptors.
    pub fn enable(&mut self, ch: u32, size: u32) {
        let base = Self::ring_base(ch);
        self.cw(ch, regs::CH_RING_BASE_LO, base as u32);
        self.cw(ch, regs::CH_RING_BASE_HI, (base >> 32) as u32);
        self.cw(ch, regs::CH_RING_SIZE, size);
        self.cw(ch, regs::CH_CTRL, regs::CH_CTRL_ENABLE);
    }

    /// Writes `d` at the slot of TAIL and rings the doorbell; returns the index.
    pub fn submit(&mut self, ch: u32, d: &Descriptor) -> u32 {
        self.submit_raw(ch, &d.to_bytes())
    }

    pub fn submit_raw(&mut self, ch: u32, raw: &[u8; regs::DESC_SIZE]) -> u32 {
        let tail = self.cr(ch, regs::CH_TAIL);
        let size = self.cr(ch, regs::CH_RING_SIZE);
        let addr = Self::ring_base(ch) + u64::from(tail % size) * regs::DESC_SIZE as u64;
        self.mem.write(addr, raw).expect("ring write");
        self.cw(ch, regs::CH_TAIL, tail.wrapping_add(1));
        tail
    }

    pub fn run(&mut self) -> usize {
        self.core.run_until_idle(&self.mem, &self.irq)
    }

    pub fn completion(&self, addr: u64) -> Completion {
        let mut b = [0u8; 16];
        self.mem.read(addr, &mut b).expect("completion read");
        Completion::from_bytes(&b)
    }

    pub fn put(&self, addr: u64, data: &[u8]) {
        self.mem.write(addr, data).expect("guest write");
    }

    pub fn get(&self, addr: u64, len: usize) -> Vec<u8> {
        let mut v = vec![0u8; len];
        self.mem.read(addr, &mut v).expect("guest read");
        v
    }
}

/// A descriptor with completion record `n` and cookie `n`.
pub fn desc(op: regs::Opcode, n: u64) -> Descriptor {
    Descriptor {
        opcode: op as u8,
        completion: COMPL + 16 * n,
        cookie: 0xc00c_0000 + n,
        ..Descriptor::default()
    }
}

/// Deterministic test bytes.
pub fn pattern(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

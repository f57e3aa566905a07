// SPDX-License-Identifier: GPL-2.0

//! HLB register semantics against `Documentation/hw/hlb.rst`.

use std::sync::Arc;

use devmodel::hlb::{Hlb, HlbConfig, NUM_VECTORS};
use devmodel::hlb_regs as regs;
use devmodel::irq::RecordingIrqs;
use devmodel::mem::VecMemory;
use devmodel::mmio;
use devmodel::pci::PciFunction;

fn hlb(config: HlbConfig) -> (Hlb, Arc<RecordingIrqs>) {
    let irq = Arc::new(RecordingIrqs::new());
    let mem = Arc::new(VecMemory::new());
    (
        Hlb::new("hlb-test", config, irq.clone(), mem).expect("hlb"),
        irq,
    )
}

fn r(h: &Hlb, off: usize) -> u32 {
    h.bar0_read(off as u64)
}

fn w(h: &Hlb, off: usize, v: u32) {
    h.bar0_write(off as u64, v)
}

const DEFAULTS: [u32; 13] = [32, 32, 64, 64, 8192, 4096, 2048, 2048, 2, 1024, 4, 8, 8];

#[test]
fn reset_values() {
    let (h, irq) = hlb(HlbConfig::default());
    assert_eq!(r(&h, regs::ID), regs::ID_MAGIC);
    assert_eq!(r(&h, regs::VERSION), 0x0001_0005);
    assert_eq!(r(&h, regs::CTRL), 0);
    assert_eq!(r(&h, regs::STATUS), regs::STATUS_READY);
    assert_eq!(r(&h, regs::IRQ_CAUSE), 0);
    assert_eq!(r(&h, regs::IRQ_TEST_COUNT), 0);
    assert_eq!(r(&h, regs::NUM_VECTORS), 33);
    for ((name, off), want) in regs::RESOURCE_REGS.iter().zip(DEFAULTS) {
        assert_eq!(r(&h, *off), want, "{name}");
    }
    assert!(irq.take().is_empty());
}

#[test]
fn identity() {
    let (h, _) = hlb(HlbConfig::default());
    let id = h.identity();
    assert_eq!((id.vendor, id.device, id.class), (0x0def, 0x4c42, 0x088000));
    assert_eq!(id.bar0_size, regs::BAR0_SIZE);
    assert_eq!(u32::from(id.msix_vectors), NUM_VECTORS);
}

#[test]
fn options_change_resource_counts() {
    let c = HlbConfig {
        domains: 4,
        ldb_queues: 5,
        dir_ports: 6,
        ldb_ports: 7,
        ldb_credits: 8,
        dir_credits: 9,
        hist_list: 10,
        atomic_inflights: 11,
        sn_groups: 1,
        version: regs::version(2, 7),
        vfs: 0,
    };
    let (h, _) = hlb(c);
    let got: Vec<u32> = regs::RESOURCE_REGS.iter().map(|(_, o)| r(&h, *o)).collect();
    assert_eq!(got, [4, 5, 6, 7, 8, 9, 10, 11, 1, 1024, 4, 8, 8]);
    assert_eq!(r(&h, regs::VERSION), 0x0002_0007);
}

#[test]
fn version_survives_reset() {
    let (h, _) = hlb(HlbConfig {
        version: regs::version(65535, 65535),
        ..HlbConfig::default()
    });
    assert_eq!(r(&h, regs::VERSION), u32::MAX);
    w(&h, regs::CTRL, regs::CTRL_RESET);
    h.reset();
    assert_eq!(r(&h, regs::VERSION), u32::MAX);
}

#[test]
fn read_only_registers_ignore_writes() {
    let (h, irq) = hlb(HlbConfig::default());
    let ro: Vec<usize> = [
        regs::ID,
        regs::VERSION,
        regs::STATUS,
        regs::IRQ_TEST_COUNT,
        regs::NUM_VECTORS,
    ]
    .into_iter()
    .chain(regs::RESOURCE_REGS.iter().map(|r| r.1))
    .collect();
    let before: Vec<u32> = ro.iter().map(|&o| r(&h, o)).collect();
    for &o in &ro {
        w(&h, o, 0xdead_beef);
        w(&h, o, 0);
    }
    let after: Vec<u32> = ro.iter().map(|&o| r(&h, o)).collect();
    assert_eq!(before, after);
    assert!(irq.take().is_empty());
}

#[test]
fn irq_test_raises_vector_and_counts() {
    let (h, irq) = hlb(HlbConfig::default());
    w(&h, regs::IRQ_TEST, 0);
    w(&h, regs::IRQ_TEST, 7);
    w(&h, regs::IRQ_TEST, 32);
    assert_eq!(irq.take(), [0, 7, 32]);
    assert_eq!(r(&h, regs::IRQ_TEST_COUNT), 3);
    assert_eq!(r(&h, regs::IRQ_CAUSE), regs::IRQ_CAUSE_TEST);
    // Reads as 0: IRQ_TEST is write-only.
    assert_eq!(r(&h, regs::IRQ_TEST), 0);
}

#[test]
fn irq_test_out_of_range_is_ignored() {
    let (h, irq) = hlb(HlbConfig::default());
    w(&h, regs::IRQ_TEST, 33);
    w(&h, regs::IRQ_TEST, u32::MAX);
    assert!(irq.take().is_empty());
    assert_eq!(r(&h, regs::IRQ_TEST_COUNT), 0);
    assert_eq!(r(&h, regs::IRQ_CAUSE), 0);
}

#[test]
fn irq_cause_is_write_one_to_clear() {
    let (h, _) = hlb(HlbConfig::default());
    w(&h, regs::IRQ_TEST, 1);
    w(&h, regs::IRQ_CAUSE, 0);
    assert_eq!(r(&h, regs::IRQ_CAUSE), regs::IRQ_CAUSE_TEST);
    w(&h, regs::IRQ_CAUSE, !regs::IRQ_CAUSE_TEST);
    assert_eq!(r(&h, regs::IRQ_CAUSE), regs::IRQ_CAUSE_TEST);
    w(&h, regs::IRQ_CAUSE, regs::IRQ_CAUSE_TEST);
    assert_eq!(r(&h, regs::IRQ_CAUSE), 0);
}

#[test]
fn ctrl_reset_clears_state() {
    let (h, _) = hlb(HlbConfig::default());
    w(&h, regs::IRQ_TEST, 2);
    w(&h, regs::CTRL, 0);
    assert_eq!(
        r(&h, regs::IRQ_TEST_COUNT),
        1,
        "CTRL without RESET does nothing"
    );
    w(&h, regs::CTRL, regs::CTRL_RESET);
    assert_eq!(r(&h, regs::CTRL), 0);
    assert_eq!(r(&h, regs::STATUS), regs::STATUS_READY);
    assert_eq!(r(&h, regs::IRQ_CAUSE), 0);
    assert_eq!(r(&h, regs::IRQ_TEST_COUNT), 0);
    w(&h, regs::IRQ_TEST, 2);
    h.reset();
    assert_eq!(r(&h, regs::IRQ_TEST_COUNT), 0);
}

#[test]
fn undefined_offsets_read_zero_and_ignore_writes() {
    let (h, irq) = hlb(HlbConfig::default());
    for off in [
        0x54, 0x68, 0xfc, 0x100, 0x104, 0x110, 0x1018, 0x6000, 0x8024, 0xa03c, 0xc000, 0xfffc,
    ] {
        w(&h, off, 0xffff_ffff);
        assert_eq!(r(&h, off), 0, "offset {off:#x}");
    }
    assert_eq!(r(&h, regs::IRQ_TEST_COUNT), 0);
    assert!(irq.take().is_empty());
}

#[test]
fn only_aligned_32bit_accesses_reach_registers() {
    let (h, irq) = hlb(HlbConfig::default());
    let mut b4 = [0u8; 4];
    mmio::read(&h, regs::ID as u64, &mut b4);
    assert_eq!(u32::from_le_bytes(b4), regs::ID_MAGIC);
    let mut b2 = [0u8; 2];
    mmio::read(&h, regs::ID as u64, &mut b2);
    assert_eq!(b2, [0xff; 2]);
    let mut b8 = [0u8; 8];
    mmio::read(&h, regs::ID as u64, &mut b8);
    assert_eq!(b8, [0xff; 8]);
    mmio::read(&h, 2, &mut b4);
    assert_eq!(b4, [0xff; 4]);
    mmio::read(&h, regs::BAR0_SIZE, &mut b4);
    assert_eq!(b4, [0xff; 4], "past the end of BAR0");
    mmio::read(&h, u64::MAX - 1, &mut b4);
    assert_eq!(b4, [0xff; 4]);

    assert!(!mmio::write(&h, regs::IRQ_TEST as u64, &[1]));
    assert!(!mmio::write(&h, regs::IRQ_TEST as u64 + 1, &[1, 0, 0, 0]));
    assert!(!mmio::write(
        &h,
        regs::IRQ_TEST as u64,
        &[1, 0, 0, 0, 0, 0, 0, 0]
    ));
    assert!(irq.take().is_empty());
    assert!(mmio::write(&h, regs::IRQ_TEST as u64, &[1, 0, 0, 0]));
    assert_eq!(irq.take(), [1]);
}

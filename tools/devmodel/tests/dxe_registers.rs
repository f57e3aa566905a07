// SPDX-License-Identifier: GPL-2.0

//! DXE register semantics against `Documentation/hw/dxe.rst`: reset values,
//! read-only and W1C registers, undefined offsets, self-test interrupts,
//! the channel state machine and resets.

mod common;

use common::*;
use devmodel::dxe::DxeConfig;
use devmodel::dxe_regs::{self as regs, chan_reg, CompletionStatus, Opcode};

/// `CH_STATUS` of a halted channel (nothing in progress: quiescent).
fn halted(cause: CompletionStatus) -> u32 {
    regs::CH_STATUS_HALTED
        | regs::CH_STATUS_QUIESCENT
        | (u32::from(cause as u8) << regs::CH_STATUS_HALT_CAUSE_SHIFT)
}

#[test]
fn reset_values() {
    let rig = Rig::default_config();
    let expect = [
        (regs::ID, regs::ID_MAGIC),
        (regs::VERSION, 0x0001_0001),
        (regs::CTRL, 0),
        (regs::STATUS, regs::STATUS_READY),
        (regs::IRQ_TEST, 0),
        (regs::IRQ_CAUSE, 0),
        (regs::IRQ_TEST_COUNT, 0),
        (regs::NUM_VECTORS, 5),
        (regs::CAPS, regs::CAP_ALL),
        (regs::MAX_XOR_SRCS, 16),
        (regs::MAX_XFER, 1 << 20),
        (regs::NUM_CHANNELS, 4),
        (regs::MAX_RING_SIZE, 4096),
        (regs::NOMINAL_BW, 0),
        (regs::HALTED_CHANNELS, 0),
    ];
    for (off, v) in expect {
        assert_eq!(rig.r(off), v, "register {off:#x}");
    }
    for ch in 0..4 {
        for reg in (0..0x20).step_by(4) {
            // A disabled channel with nothing in progress is quiescent.
            let want = if reg == regs::CH_STATUS {
                regs::CH_STATUS_QUIESCENT
            } else {
                0
            };
            assert_eq!(rig.cr(ch, reg), want, "channel {ch} register {reg:#x}");
        }
    }
}

#[test]
fn identity_follows_options() {
    let rig = Rig::new(DxeConfig {
        channels: 2,
        max_xor_srcs: 8,
        max_xfer: 4096,
        ring_max: 256,
        rate: 256 << 20,
        version: regs::version(2, 0),
        ..DxeConfig::default()
    });
    assert_eq!(rig.r(regs::VERSION), 0x0002_0000);
    assert_eq!(rig.r(regs::NUM_CHANNELS), 2);
    assert_eq!(rig.r(regs::NUM_VECTORS), 3);
    assert_eq!(rig.r(regs::MAX_XOR_SRCS), 8);
    assert_eq!(rig.r(regs::MAX_XFER), 4096);
    assert_eq!(rig.r(regs::MAX_RING_SIZE), 256);
    assert_eq!(rig.r(regs::NOMINAL_BW), 256);
    // Channel 2 does not exist: its block is undefined.
    let mut rig = rig;
    rig.cw(2, regs::CH_RING_SIZE, 8);
    assert_eq!(rig.cr(2, regs::CH_RING_SIZE), 0);
}

#[test]
fn nominal_bw_rounds() {
    let bw = |rate| {
        DxeConfig {
            rate,
            ..DxeConfig::default()
        }
        .nominal_bw()
    };
    assert_eq!(bw(0), 0);
    assert_eq!(bw(1), 1);
    assert_eq!(bw(1 << 30), 1024);
    assert_eq!(bw((3 << 20) + 5), 3);
}

#[test]
fn read_only_registers_ignore_writes() {
    let mut rig = Rig::default_config();
    let ro = [
        regs::ID,
        regs::VERSION,
        regs::STATUS,
        regs::IRQ_TEST_COUNT,
        regs::NUM_VECTORS,
        regs::CAPS,
        regs::MAX_XOR_SRCS,
        regs::MAX_XFER,
        regs::NUM_CHANNELS,
        regs::MAX_RING_SIZE,
        regs::NOMINAL_BW,
        regs::HALTED_CHANNELS,
        chan_reg(0, regs::CH_STATUS),
        chan_reg(0, regs::CH_HEAD),
        chan_reg(0, regs::CH_COMPLETED),
    ];
    let before: Vec<u32> = ro.iter().map(|&o| rig.r(o)).collect();
    for &o in &ro {
        rig.w(o, 0x5a5a_5a5a);
    }
    assert_eq!(before, ro.iter().map(|&o| rig.r(o)).collect::<Vec<_>>());
    assert!(rig.irq.take().is_empty());
}

#[test]
fn undefined_offsets() {
    let mut rig = Rig::default_config();
    for off in [
        0x3c,
        0x40,
        0xffc,
        chan_reg(0, 0x20),
        chan_reg(0, 0xfc),
        chan_reg(4, 0),
        0xfffc,
    ] {
        rig.w(off, u32::MAX);
        assert_eq!(rig.r(off), 0, "offset {off:#x}");
    }
    assert_eq!(rig.cr(0, regs::CH_CTRL), 0);
}

#[test]
fn irq_self_test() {
    let mut rig = Rig::default_config();
    rig.w(regs::IRQ_TEST, 4);
    rig.w(regs::IRQ_TEST, 0);
    rig.w(regs::IRQ_TEST, 5); // out of range: 5 vectors
    assert_eq!(rig.irq.take(), [4, 0]);
    assert_eq!(rig.r(regs::IRQ_TEST_COUNT), 2);
    assert_eq!(rig.r(regs::IRQ_CAUSE), regs::IRQ_CAUSE_TEST);
    rig.w(regs::IRQ_CAUSE, regs::IRQ_CAUSE_CHAN_HALT);
    assert_eq!(
        rig.r(regs::IRQ_CAUSE),
        regs::IRQ_CAUSE_TEST,
        "W1C of another bit"
    );
    rig.w(regs::IRQ_CAUSE, regs::IRQ_CAUSE_TEST);
    assert_eq!(rig.r(regs::IRQ_CAUSE), 0);
}

#[test]
fn ring_registers_are_read_write_and_latched_on_enable() {
    let mut rig = Rig::default_config();
    rig.cw(1, regs::CH_RING_BASE_LO, 0x1234_5640);
    rig.cw(1, regs::CH_RING_BASE_HI, 0x9);
    rig.cw(1, regs::CH_RING_SIZE, 64);
    assert_eq!(rig.cr(1, regs::CH_RING_BASE_LO), 0x1234_5640);
    assert_eq!(rig.cr(1, regs::CH_RING_BASE_HI), 0x9);
    assert_eq!(rig.cr(1, regs::CH_RING_SIZE), 64);

    rig.enable(0, 8);
    assert_eq!(rig.cr(0, regs::CH_CTRL), regs::CH_CTRL_ENABLE);
    assert_eq!(rig.cr(0, regs::CH_STATUS), regs::CH_STATUS_ENABLED);
    // Changing the ring while enabled has no effect until re-enabled.
    rig.cw(0, regs::CH_RING_BASE_LO, HOLE as u32);
    rig.submit(0, &desc(Opcode::Nop, 0));
    assert_eq!(rig.run(), 1);
    assert_eq!(
        rig.completion(COMPL).status,
        CompletionStatus::Success as u8
    );
}

#[test]
fn invalid_ring_halts_on_enable() {
    let cases = [
        (0, RING, CompletionStatus::BadLength),
        (1, RING, CompletionStatus::BadLength),
        (6, RING, CompletionStatus::BadLength),
        (8192, RING, CompletionStatus::BadLength),
        (8, RING + 32, CompletionStatus::DmaFault),
    ];
    for (size, base, cause) in cases {
        let mut rig = Rig::default_config();
        rig.cw(3, regs::CH_RING_BASE_LO, base as u32);
        rig.cw(3, regs::CH_RING_SIZE, size);
        rig.cw(3, regs::CH_CTRL, regs::CH_CTRL_ENABLE);
        assert_eq!(
            rig.cr(3, regs::CH_STATUS),
            regs::CH_STATUS_ENABLED | halted(cause),
            "size {size} base {base:#x}"
        );
        assert_eq!(rig.r(regs::HALTED_CHANNELS), 1 << 3);
        assert_eq!(rig.r(regs::IRQ_CAUSE), regs::IRQ_CAUSE_CHAN_HALT);
        assert_eq!(rig.irq.take(), [0]);
    }
    // The largest and smallest valid rings are accepted.
    let mut rig = Rig::default_config();
    rig.enable(0, 4096);
    rig.enable(1, 2);
    assert_eq!(rig.r(regs::HALTED_CHANNELS), 0);
}

#[test]
fn disabled_channel_does_not_fetch() {
    let mut rig = Rig::default_config();
    rig.cw(0, regs::CH_RING_BASE_LO, RING as u32);
    rig.cw(0, regs::CH_RING_SIZE, 8);
    rig.submit(0, &desc(Opcode::Nop, 0));
    assert_eq!(rig.run(), 0);
    assert_eq!(rig.cr(0, regs::CH_HEAD), 0);
    rig.cw(0, regs::CH_CTRL, regs::CH_CTRL_ENABLE);
    assert_eq!(rig.run(), 1);
    assert_eq!(rig.cr(0, regs::CH_HEAD), 1);
    assert_eq!(rig.cr(0, regs::CH_COMPLETED), 1);
    // Disabling keeps HEAD/TAIL; re-enabling resumes.
    rig.cw(0, regs::CH_CTRL, 0);
    assert_eq!(rig.cr(0, regs::CH_STATUS), regs::CH_STATUS_QUIESCENT);
    rig.submit(0, &desc(Opcode::Nop, 1));
    assert_eq!(rig.run(), 0);
    rig.cw(0, regs::CH_CTRL, regs::CH_CTRL_ENABLE);
    assert_eq!(rig.run(), 1);
    assert_eq!(rig.cr(0, regs::CH_HEAD), 2);
}

#[test]
fn channel_reset_recovers_from_halt() {
    let mut rig = Rig::default_config();
    rig.enable(0, 8);
    let mut d = desc(Opcode::Nop, 0);
    d.completion = HOLE;
    rig.submit(0, &d);
    rig.run();
    assert_eq!(
        rig.cr(0, regs::CH_STATUS) & regs::CH_STATUS_HALTED,
        regs::CH_STATUS_HALTED
    );
    assert_eq!(
        rig.cr(0, regs::CH_HEAD),
        0,
        "HEAD stays at the failed descriptor"
    );
    rig.irq.take();

    rig.cw(0, regs::CH_CTRL, regs::CH_CTRL_RESET | regs::CH_CTRL_ENABLE);
    assert_eq!(
        rig.cr(0, regs::CH_STATUS),
        regs::CH_STATUS_QUIESCENT,
        "reset clears halt and ENABLE"
    );
    assert_eq!(rig.cr(0, regs::CH_CTRL), 0, "RESET self-clears");
    assert_eq!(rig.r(regs::HALTED_CHANNELS), 0);
    for reg in [regs::CH_HEAD, regs::CH_TAIL, regs::CH_COMPLETED] {
        assert_eq!(rig.cr(0, reg), 0);
    }
    assert_eq!(rig.cr(0, regs::CH_RING_SIZE), 8, "ring registers survive");
    assert_eq!(
        rig.r(regs::IRQ_CAUSE),
        regs::IRQ_CAUSE_CHAN_HALT,
        "IRQ_CAUSE is only W1C"
    );

    rig.cw(0, regs::CH_CTRL, regs::CH_CTRL_ENABLE);
    rig.submit(0, &desc(Opcode::Nop, 1));
    assert_eq!(rig.run(), 1);
    assert_eq!(
        rig.completion(COMPL + 16).status,
        CompletionStatus::Success as u8
    );
    assert_eq!(rig.cr(0, regs::CH_COMPLETED), 1);
}

#[test]
fn device_reset_restores_every_register() {
    let mut rig = Rig::default_config();
    rig.enable(0, 8);
    rig.enable(1, 4);
    rig.submit(0, &desc(Opcode::Nop, 0));
    rig.run();
    rig.cw(2, regs::CH_RING_SIZE, 3);
    rig.cw(2, regs::CH_CTRL, regs::CH_CTRL_ENABLE); // halts
    rig.w(regs::IRQ_TEST, 1);
    rig.w(regs::CTRL, regs::CTRL_RESET);
    assert_eq!(rig.r(regs::CTRL), 0);
    assert_eq!(rig.r(regs::STATUS), regs::STATUS_READY);
    assert_eq!(rig.r(regs::IRQ_CAUSE), 0);
    assert_eq!(rig.r(regs::IRQ_TEST_COUNT), 0);
    assert_eq!(rig.r(regs::HALTED_CHANNELS), 0);
    for ch in 0..4 {
        for reg in (0..0x20).step_by(4) {
            // A disabled channel with nothing in progress is quiescent.
            let want = if reg == regs::CH_STATUS {
                regs::CH_STATUS_QUIESCENT
            } else {
                0
            };
            assert_eq!(rig.cr(ch, reg), want, "channel {ch} register {reg:#x}");
        }
    }
}

#[test]
fn overrun_halts() {
    let mut rig = Rig::default_config();
    rig.enable(0, 4);
    rig.cw(0, regs::CH_TAIL, 5);
    rig.run();
    assert_eq!(
        rig.cr(0, regs::CH_STATUS),
        regs::CH_STATUS_ENABLED | halted(CompletionStatus::BadLength)
    );
    assert_eq!(rig.cr(0, regs::CH_HEAD), 0);
}

#[test]
fn ring_fetch_fault_halts() {
    let mut rig = Rig::default_config();
    rig.cw(0, regs::CH_RING_BASE_LO, HOLE as u32);
    rig.cw(0, regs::CH_RING_SIZE, 4);
    rig.cw(0, regs::CH_CTRL, regs::CH_CTRL_ENABLE);
    rig.cw(0, regs::CH_TAIL, 1);
    rig.run();
    assert_eq!(
        rig.cr(0, regs::CH_STATUS),
        regs::CH_STATUS_ENABLED | halted(CompletionStatus::DmaFault)
    );
    assert_eq!(rig.irq.take(), [0]);
}

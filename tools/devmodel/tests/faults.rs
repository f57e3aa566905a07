// SPDX-License-Identifier: GPL-2.0

//! The DXE fault plan: parsing and the effect of every item.

mod common;

use common::*;
use devmodel::dxe::faults::FaultState;
use devmodel::dxe::{DxeConfig, FaultPlan};
use devmodel::dxe_regs::{self as regs, CompletionStatus as S, Descriptor, Opcode};

fn rig_with(plan: &str) -> Rig {
    Rig::new(DxeConfig {
        faults: FaultPlan::parse(plan).expect("plan"),
        ..DxeConfig::default()
    })
}

/// Submits and runs `n` Nops on channel `ch` with completion records from
/// `first`; returns their statuses.
fn nops(rig: &mut Rig, ch: u32, first: u64, n: u64) -> Vec<u8> {
    for k in first..first + n {
        rig.submit(
            ch,
            &Descriptor {
                flags: regs::DESC_FLAG_INTR,
                ..desc(Opcode::Nop, k)
            },
        );
    }
    rig.run();
    (first..first + n)
        .map(|k| rig.completion(COMPL + 16 * k).status)
        .collect()
}

#[test]
fn parse_items() {
    let p = FaultPlan::parse("error-every=3; error-rate=0.25@7;halt=1@10;halt=2@1;hang@100")
        .expect("ok");
    assert_eq!(p.error_every, Some(3));
    assert_eq!(p.error_rate, Some((0.25, 7)));
    assert_eq!(p.halts, [(1, 10), (2, 1)]);
    assert_eq!(p.hang_at, Some(100));
    assert_eq!(
        FaultPlan::parse("error-rate=1").expect("ok").error_rate,
        Some((1.0, 0))
    );
    assert_eq!(FaultPlan::parse("").expect("ok"), FaultPlan::default());
    let p = FaultPlan::parse("stall-len=20000; reset-delay=40").expect("ok");
    assert_eq!(p.stall_len, Some(20000));
    assert_eq!(p.reset_delay_ms, Some(40));
}

#[test]
fn parse_errors() {
    for bad in [
        "error-every=0",
        "stall-len=0",
        "stall-len=4294967296",
        "stall-len=1;stall-len=2",
        "reset-delay=0",
        "reset-delay=10001",
        "reset-delay=5;reset-delay=6",
        "error-every=x",
        "error-every=2;error-every=3",
        "error-rate=1.5",
        "error-rate=-0.1",
        "error-rate=abc",
        "error-rate=0.5@x",
        "halt=1",
        "halt=x@3",
        "halt=1@0",
        "halt=1@2;halt=1@3",
        "hang@",
        "hang@0",
        "hang=5",
        "explode",
    ] {
        assert!(FaultPlan::parse(bad).is_err(), "{bad} should fail");
    }
    let p = FaultPlan::parse("halt=4@1").expect("syntax ok");
    assert!(p.check(4).is_err());
    assert!(p.check(5).is_ok());
}

#[test]
fn error_every_counts_executed_descriptors() {
    let mut rig = rig_with("error-every=3");
    rig.enable(0, 16);
    let s = nops(&mut rig, 0, 0, 7);
    let (ok, inj) = (S::Success as u8, S::Injected as u8);
    assert_eq!(s, [ok, ok, inj, ok, ok, inj, ok]);
    // Invalid descriptors are not "executed" and do not count.
    rig.submit(
        0,
        &Descriptor {
            opcode: 9,
            ..desc(Opcode::Nop, 7)
        },
    );
    rig.run();
    assert_eq!(rig.completion(COMPL + 16 * 7).status, S::BadOpcode as u8);
    assert_eq!(nops(&mut rig, 0, 8, 2), [ok, inj]);
    // Counters survive a device reset.
    rig.w(regs::CTRL, regs::CTRL_RESET);
    rig.enable(0, 16);
    assert_eq!(nops(&mut rig, 0, 10, 3), [ok, ok, inj]);
    assert_eq!(
        rig.cr(0, regs::CH_STATUS),
        regs::CH_STATUS_ENABLED,
        "injected errors do not halt"
    );
}

#[test]
fn injected_failure_skips_the_operation() {
    let mut rig = rig_with("error-every=1");
    rig.enable(0, 4);
    rig.put(DATA, &[9; 64]);
    let d = Descriptor {
        len: 64,
        src: DATA,
        dst: DATA + 0x1000,
        ..desc(Opcode::Copy, 0)
    };
    rig.submit(0, &d);
    rig.run();
    let c = rig.completion(COMPL);
    assert_eq!((c.status, c.bytes), (S::Injected as u8, 0));
    assert_eq!(rig.get(DATA + 0x1000, 64), [0; 64]);
}

#[test]
fn error_rate_is_seeded_and_deterministic() {
    let run = |plan: &str| {
        let mut rig = rig_with(plan);
        rig.enable(0, 256);
        nops(&mut rig, 0, 0, 200)
    };
    let a = run("error-rate=0.3@42");
    assert_eq!(a, run("error-rate=0.3@42"));
    assert_ne!(a, run("error-rate=0.3@43"));
    let failed = a.iter().filter(|&&s| s == S::Injected as u8).count();
    assert!(
        (30..=90).contains(&failed),
        "{failed} of 200 failed at p=0.3"
    );
    assert!(run("error-rate=0").iter().all(|&s| s == S::Success as u8));
    assert!(run("error-rate=1@5")
        .iter()
        .all(|&s| s == S::Injected as u8));
}

#[test]
fn halt_after_n_completions() {
    let mut rig = rig_with("halt=1@3");
    rig.enable(0, 16);
    rig.enable(1, 16);
    nops(&mut rig, 0, 0, 5);
    assert_eq!(rig.r(regs::HALTED_CHANNELS), 0, "other channels unaffected");
    rig.irq.take();
    let s = nops(&mut rig, 1, 10, 5);
    assert_eq!(
        s,
        [1, 1, 1, 0, 0],
        "the 3rd completes, then the channel halts"
    );
    let injected = regs::CH_STATUS_ENABLED
        | regs::CH_STATUS_HALTED
        | regs::CH_STATUS_QUIESCENT
        | ((S::Injected as u32) << regs::CH_STATUS_HALT_CAUSE_SHIFT);
    assert_eq!(rig.cr(1, regs::CH_STATUS), injected);
    assert_eq!(rig.cr(1, regs::CH_COMPLETED), 3);
    assert_eq!(rig.r(regs::HALTED_CHANNELS), 0b10);
    assert_eq!(rig.r(regs::IRQ_CAUSE), regs::IRQ_CAUSE_CHAN_HALT);
    assert_eq!(rig.irq.take(), [2, 2, 2, 0]);
    // Once only: after a channel reset it keeps running.
    rig.cw(1, regs::CH_CTRL, regs::CH_CTRL_RESET);
    rig.enable(1, 16);
    assert_eq!(nops(&mut rig, 1, 20, 4), [1, 1, 1, 1]);
}

#[test]
fn hang_after_n_completions_until_function_reset() {
    let mut rig = rig_with("hang@4");
    rig.enable(0, 16);
    rig.enable(1, 16);
    nops(&mut rig, 0, 0, 2);
    rig.irq.take();
    let s = nops(&mut rig, 1, 10, 4);
    assert_eq!(s, [1, 1, 0, 0]);
    assert!(rig.core.is_hung());
    assert_eq!(rig.irq.take(), [2, 2]);
    for off in [
        regs::ID,
        regs::STATUS,
        regs::chan_reg(1, regs::CH_HEAD),
        0x40,
    ] {
        assert_eq!(rig.r(off), u32::MAX);
    }
    // Writes are ignored, including CTRL.RESET and doorbells.
    rig.w(regs::CTRL, regs::CTRL_RESET);
    rig.w(regs::IRQ_TEST, 0);
    assert!(rig.irq.take().is_empty());
    assert_eq!(rig.run(), 0);
    assert!(rig.core.is_hung());
    // Function-level reset ends it; the hang does not come back.
    rig.core.function_reset();
    assert_eq!(rig.r(regs::ID), regs::ID_MAGIC);
    assert_eq!(rig.cr(1, regs::CH_HEAD), 0);
    rig.enable(1, 16);
    assert_eq!(nops(&mut rig, 1, 30, 6), [1; 6]);
}

#[test]
fn fault_state_counts_across_channels() {
    let plan = FaultPlan::parse("hang@3;halt=0@2").expect("plan");
    let mut f = FaultState::new(plan, 2);
    assert!(!f.on_complete(1).hang);
    let t = f.on_complete(0);
    assert!(!t.halt && !t.hang);
    let t = f.on_complete(0);
    assert!(t.halt && t.hang);
    let t = f.on_complete(0);
    assert!(!t.halt && !t.hang, "each fires once");
    assert!(!f.on_complete(7).halt, "unknown channels are ignored");
}

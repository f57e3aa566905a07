// SPDX-License-Identifier: GPL-2.0

//! Channel resets that take time (DXE 1.1, fault items `reset-delay` and
//! `stall-len`): `CH_STATUS.QUIESCENT` reads 0 until the reset is over,
//! the channel ignores writes meanwhile, and a descriptor abandoned by the
//! reset writes its destination once more just before the channel reads
//! quiescent, so a driver that reuses the buffers earlier sees them
//! overwritten (`Documentation/hw/dxe.rst`, "Resets").

use std::sync::Arc;
use std::time::{Duration, Instant};

use devmodel::dxe::faults::LATE_BYTE;
use devmodel::dxe::{Dxe, DxeConfig, FaultPlan};
use devmodel::dxe_regs::{self as regs, chan_reg, Descriptor, Opcode};
use devmodel::irq::NoIrqs;
use devmodel::mem::{GuestMemory, VecMemory};
use devmodel::pci::PciFunction;

const RAM: u64 = 0x10_0000;
const RING: u64 = RAM;
const COMPL: u64 = RAM + 0x1000;
const SRC: u64 = RAM + 0x10_0000;
const DST: u64 = RAM + 0x20_0000;
const STALL_LEN: u32 = 20000;
const DELAY: Duration = Duration::from_millis(150);

fn dxe(plan: &str, mem: &Arc<VecMemory>) -> Dxe {
    let config = DxeConfig {
        faults: FaultPlan::parse(plan).expect("plan"),
        ..DxeConfig::default()
    };
    Dxe::new("delay", config, mem.clone(), Arc::new(NoIrqs)).expect("dxe")
}

fn w(dxe: &Dxe, ch: u32, reg: usize, v: u32) {
    dxe.bar0_write(chan_reg(ch, reg) as u64, v);
}

fn r(dxe: &Dxe, ch: u32, reg: usize) -> u32 {
    dxe.bar0_read(chan_reg(ch, reg) as u64)
}

/// Enables channel 0 on a 2-slot ring holding a copy of `len` bytes and
/// rings the doorbell.
fn start_copy(dxe: &Dxe, mem: &VecMemory, len: u32) {
    let d = Descriptor {
        opcode: Opcode::Copy as u8,
        len,
        dst: DST,
        src: SRC,
        completion: COMPL,
        cookie: 1,
        ..Descriptor::default()
    };
    mem.write(RING, &d.to_bytes()).unwrap();
    mem.write(SRC, &vec![0x5a; len as usize]).unwrap();
    mem.write(DST, &vec![0; len as usize]).unwrap();
    w(dxe, 0, regs::CH_RING_BASE_LO, RING as u32);
    w(dxe, 0, regs::CH_RING_BASE_HI, 0);
    w(dxe, 0, regs::CH_RING_SIZE, 2);
    w(dxe, 0, regs::CH_CTRL, regs::CH_CTRL_ENABLE);
    w(dxe, 0, regs::CH_TAIL, 1);
}

/// Polls `done` every 2 ms until it holds, at most `limit`; returns how
/// long it took.
fn wait_until(limit: Duration, done: impl Fn() -> bool) -> Option<Duration> {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if done() {
            return Some(t0.elapsed());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    None
}

/// Polls `CH_STATUS` of channel 0 until QUIESCENT, at most `limit`;
/// returns how long it took.
fn wait_quiescent(dxe: &Dxe, limit: Duration) -> Option<Duration> {
    wait_until(limit, || {
        r(dxe, 0, regs::CH_STATUS) & regs::CH_STATUS_QUIESCENT != 0
    })
}

fn dst(mem: &VecMemory, len: u32) -> Vec<u8> {
    let mut b = vec![0; len as usize];
    mem.read(DST, &mut b).unwrap();
    b
}

#[test]
fn quiescent_bit_without_delay() {
    let mem = Arc::new(VecMemory::with_region(RAM, 4 << 20));
    let dxe = dxe("", &mem);
    assert_eq!(r(&dxe, 0, regs::CH_STATUS), regs::CH_STATUS_QUIESCENT);
    start_copy(&dxe, &mem, 4096);
    // Running: not quiescent, even once idle.
    assert_eq!(
        r(&dxe, 0, regs::CH_STATUS) & regs::CH_STATUS_QUIESCENT,
        0,
        "a running channel is not quiescent"
    );
    w(&dxe, 0, regs::CH_CTRL, regs::CH_CTRL_RESET);
    // No delay: over within the write.
    assert_eq!(r(&dxe, 0, regs::CH_STATUS), regs::CH_STATUS_QUIESCENT);
}

#[test]
fn delayed_reset_is_not_quiescent_and_ignores_writes() {
    let mem = Arc::new(VecMemory::with_region(RAM, 4 << 20));
    let dxe = dxe("reset-delay=150", &mem);
    start_copy(&dxe, &mem, 4096);
    wait_until(Duration::from_secs(2), || r(&dxe, 0, regs::CH_HEAD) == 1).expect("the copy ran");
    // `t0` is taken before the reset starts, so whatever this thread reads
    // before `t0 + DELAY` falls inside the reset, however late a loaded
    // host schedules it; what it reads later says nothing and is not
    // checked.
    let t0 = Instant::now();
    w(&dxe, 0, regs::CH_CTRL, regs::CH_CTRL_RESET);
    let status = r(&dxe, 0, regs::CH_STATUS);
    if t0.elapsed() < DELAY {
        assert_eq!(status & regs::CH_STATUS_QUIESCENT, 0);
    }
    // Ignored while resetting: a driver that programs the channel at once
    // loses its writes.
    w(&dxe, 0, regs::CH_RING_SIZE, 8);
    w(&dxe, 0, regs::CH_CTRL, regs::CH_CTRL_ENABLE);
    let written_in_reset = t0.elapsed() < DELAY;
    let took = wait_quiescent(&dxe, Duration::from_secs(2)).expect("never quiescent");
    assert!(t0.elapsed() >= DELAY, "quiescent after {took:?}");
    if written_in_reset {
        assert_eq!(r(&dxe, 0, regs::CH_STATUS), regs::CH_STATUS_QUIESCENT);
        assert_eq!(
            r(&dxe, 0, regs::CH_RING_SIZE),
            2,
            "write during reset ignored"
        );
    }
    assert_eq!(r(&dxe, 0, regs::CH_HEAD), 0);
    // Over: writes work again.
    w(&dxe, 0, regs::CH_RING_SIZE, 8);
    assert_eq!(r(&dxe, 0, regs::CH_RING_SIZE), 8);
}

#[test]
fn abandoned_descriptor_writes_late_but_before_quiescent() {
    let mem = Arc::new(VecMemory::with_region(RAM, 4 << 20));
    let dxe = dxe("stall-len=20000;reset-delay=150", &mem);
    start_copy(&dxe, &mem, STALL_LEN);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(r(&dxe, 0, regs::CH_HEAD), 0, "the copy stalls");
    assert_eq!(r(&dxe, 0, regs::CH_STATUS) & regs::CH_STATUS_QUIESCENT, 0);
    w(&dxe, 0, regs::CH_CTRL, regs::CH_CTRL_RESET);
    // A driver that did not wait would now reuse the destination.
    let reused = vec![0x11; STALL_LEN as usize];
    mem.write(DST, &reused).unwrap();
    assert_eq!(r(&dxe, 0, regs::CH_STATUS) & regs::CH_STATUS_QUIESCENT, 0);
    wait_quiescent(&dxe, Duration::from_secs(2)).expect("never quiescent");
    // By the time the channel reads quiescent the late write has landed.
    assert!(
        dst(&mem, STALL_LEN).iter().all(|&b| b == LATE_BYTE),
        "the abandoned descriptor's late write overwrote the reused buffer"
    );
    let mut status = [0xffu8];
    mem.read(COMPL, &mut status).unwrap();
    assert_eq!(status[0], 0, "no completion record for the abandoned copy");
    // A driver that waited writes after quiescence: nothing overwrites it.
    mem.write(DST, &reused).unwrap();
    std::thread::sleep(2 * DELAY);
    assert_eq!(dst(&mem, STALL_LEN), reused);
    // The stall fires once: the channel works again.
    start_copy(&dxe, &mem, STALL_LEN);
    let t0 = Instant::now();
    while r(&dxe, 0, regs::CH_HEAD) != 1 && t0.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(dst(&mem, STALL_LEN).iter().all(|&b| b == 0x5a));
}

#[test]
fn device_reset_ends_a_delayed_reset_and_a_stall_at_once() {
    let mem = Arc::new(VecMemory::with_region(RAM, 4 << 20));
    let dxe = dxe("stall-len=20000;reset-delay=150", &mem);
    start_copy(&dxe, &mem, STALL_LEN);
    std::thread::sleep(Duration::from_millis(50));
    w(&dxe, 0, regs::CH_CTRL, regs::CH_CTRL_RESET);
    dxe.bar0_write(regs::CTRL as u64, regs::CTRL_RESET);
    assert_eq!(r(&dxe, 0, regs::CH_STATUS), regs::CH_STATUS_QUIESCENT);
    let reused = vec![0x22; STALL_LEN as usize];
    mem.write(DST, &reused).unwrap();
    std::thread::sleep(2 * DELAY);
    assert_eq!(
        dst(&mem, STALL_LEN),
        reused,
        "nothing written after a device reset"
    );
    // A function-level reset does the same.
    start_copy(&dxe, &mem, 4096);
    w(&dxe, 0, regs::CH_CTRL, regs::CH_CTRL_RESET);
    dxe.reset();
    assert_eq!(r(&dxe, 0, regs::CH_STATUS), regs::CH_STATUS_QUIESCENT);
}

#[test]
fn reset_of_a_quiescent_channel_is_immediate() {
    let mem = Arc::new(VecMemory::with_region(RAM, 4 << 20));
    let dxe = dxe("reset-delay=150", &mem);
    // Disabled (as at probe): over within the write.
    w(&dxe, 0, regs::CH_CTRL, regs::CH_CTRL_RESET);
    assert_eq!(r(&dxe, 0, regs::CH_STATUS), regs::CH_STATUS_QUIESCENT);
    w(&dxe, 0, regs::CH_RING_SIZE, 4);
    assert_eq!(r(&dxe, 0, regs::CH_RING_SIZE), 4);
}

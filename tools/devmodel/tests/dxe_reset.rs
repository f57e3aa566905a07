// SPDX-License-Identifier: GPL-2.0

//! A reset is over when its write returns: the DXE model, worker thread
//! included, moves no data for an abandoned descriptor after that
//! (`Documentation/hw/dxe.rst`, "Resets"). Drivers fail a job over and
//! reuse its buffers right after resetting its channel.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use devmodel::dxe::{engine::CHUNK, Dxe, DxeConfig};
use devmodel::dxe_regs::{self as regs, chan_reg, Descriptor, Opcode};
use devmodel::irq::NoIrqs;
use devmodel::mem::{DmaFault, GuestMemory, VecMemory};
use devmodel::pci::PciFunction;

const RAM: u64 = 0x10_0000;
const RING: u64 = RAM;
const COMPL: u64 = RAM + 0x1000;
const SRC: u64 = RAM + 0x10_0000;
const DST: u64 = RAM + 0x20_0000;
/// Three chunks: three slow destination writes.
const LEN: usize = 3 * CHUNK;
/// How long one destination write takes.
const SLOW: Duration = Duration::from_millis(50);

/// Guest RAM whose writes into the destination are slow; remembers when
/// the last write of the device (data or completion record) ended.
struct SlowDst {
    ram: VecMemory,
    started: (Mutex<bool>, Condvar),
    last_end: Mutex<Option<Instant>>,
}

impl GuestMemory for SlowDst {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), DmaFault> {
        self.ram.read(addr, buf)
    }

    fn write(&self, addr: u64, data: &[u8]) -> Result<(), DmaFault> {
        if (DST..DST + LEN as u64).contains(&addr) {
            *self.started.0.lock().unwrap() = true;
            self.started.1.notify_all();
            std::thread::sleep(SLOW);
        }
        let r = self.ram.write(addr, data);
        *self.last_end.lock().unwrap() = Some(Instant::now());
        r
    }
}

fn w(dxe: &Dxe, off: usize, v: u32) {
    dxe.bar0_write(off as u64, v);
}

#[test]
fn channel_reset_waits_for_the_data_in_flight() {
    let mem = Arc::new(SlowDst {
        ram: VecMemory::with_region(RAM, 4 << 20),
        started: (Mutex::new(false), Condvar::new()),
        last_end: Mutex::new(None),
    });
    let dxe = Dxe::new("reset", DxeConfig::default(), mem.clone(), Arc::new(NoIrqs)).unwrap();
    let d = Descriptor {
        opcode: Opcode::Copy as u8,
        len: LEN as u32,
        dst: DST,
        src: SRC,
        completion: COMPL,
        cookie: 7,
        ..Descriptor::default()
    };
    mem.ram.write(RING, &d.to_bytes()).unwrap();
    w(&dxe, chan_reg(0, regs::CH_RING_BASE_LO), RING as u32);
    w(&dxe, chan_reg(0, regs::CH_RING_BASE_HI), 0);
    w(&dxe, chan_reg(0, regs::CH_RING_SIZE), 2);
    w(&dxe, chan_reg(0, regs::CH_CTRL), regs::CH_CTRL_ENABLE);
    w(&dxe, chan_reg(0, regs::CH_TAIL), 1);

    let (lock, cv) = &mem.started;
    let started = cv
        .wait_timeout_while(lock.lock().unwrap(), Duration::from_secs(5), |s| !*s)
        .unwrap()
        .0;
    assert!(*started, "the copy never started");
    drop(started);
    w(&dxe, chan_reg(0, regs::CH_CTRL), regs::CH_CTRL_RESET);
    let returned = Instant::now();
    // Room for a late write to show up.
    std::thread::sleep(4 * SLOW);

    let last = mem.last_end.lock().unwrap().expect("no destination write");
    assert!(
        last <= returned,
        "memory was written {:?} after the reset returned",
        last - returned
    );
    // The copy either completed before the reset (its record says so) or
    // was abandoned (no record); the reset zeroed HEAD either way.
    let mut status = [0u8];
    mem.ram.read(COMPL, &mut status).unwrap();
    assert!(
        [0, regs::CompletionStatus::Success as u8].contains(&status[0]),
        "completion status {:#x}",
        status[0]
    );
    assert_eq!(dxe.bar0_read(chan_reg(0, regs::CH_HEAD) as u64), 0);
}

// SPDX-License-Identifier: GPL-2.0

//! Transport pieces without a socket: config space, eventfd interrupts,
//! mmapped guest memory; and the pacing arithmetic.

use std::fs::File;
use std::io::Read;
use std::os::fd::FromRawFd;
use std::time::{Duration, Instant};

use devmodel::dxe::pacing::Pacer;
use devmodel::irq::IrqSink;
use devmodel::mem::GuestMemory;
use devmodel::pci::PciIdentity;
use devmodel::transport::config_space::{ConfigSpace, AF_CAP, MSIX_CAP};
use devmodel::transport::irqs::Eventfds;
use devmodel::transport::memory::MmapMemory;
use vfio_bindings::bindings::vfio::{
    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_IRQ_SET_DATA_EVENTFD, VFIO_IRQ_SET_DATA_NONE,
};

fn id() -> PciIdentity {
    PciIdentity {
        vendor: 0x0def,
        device: 0x4458,
        class: 0x08_01_00,
        revision: 1,
        bar0_size: 0x1_0000,
        msix_vectors: 5,
        bar4_size: 0,
    }
}

fn rd32(c: &ConfigSpace, off: u64) -> u32 {
    let mut b = [0u8; 4];
    c.read(off, &mut b);
    u32::from_le_bytes(b)
}

#[test]
fn config_space_layout() {
    let mut c = ConfigSpace::new(&id());
    assert_eq!(rd32(&c, 0), 0x4458_0def);
    assert_eq!(rd32(&c, 8), 0x0801_0001);
    assert_eq!(rd32(&c, 4) >> 16 & 0x10, 0x10, "capability list");
    assert_eq!(rd32(&c, 0x10), 0, "BAR0: 32-bit memory");
    assert_eq!(rd32(&c, 0x2c), 0x4458_0def);
    assert_eq!(rd32(&c, 0x34) & 0xff, MSIX_CAP as u32);
    assert_eq!(rd32(&c, 0x3c) >> 8 & 0xff, 0, "no INTx pin");
    let msix = rd32(&c, MSIX_CAP as u64);
    assert_eq!(msix & 0xff, 0x11);
    assert_eq!(msix >> 8 & 0xff, AF_CAP as u32);
    assert_eq!(msix >> 16 & 0x7ff, 4, "table size N-1");
    assert_eq!(rd32(&c, MSIX_CAP as u64 + 4), 2, "table at BAR2 + 0");
    assert_eq!(rd32(&c, MSIX_CAP as u64 + 8), 0x802, "PBA at BAR2 + 0x800");
    assert_eq!(rd32(&c, AF_CAP as u64), 0x0306_0013);

    // BAR sizing: write all ones, read back the size mask.
    c.write(0x10, &[0xff; 4]);
    assert_eq!(rd32(&c, 0x10), 0xffff_0000);
    c.write(0x18, &[0xff; 4]);
    assert_eq!(rd32(&c, 0x18), 0xffff_f000);
    // Identity is read-only; MSI-X enable is writable.
    c.write(0, &[0; 4]);
    assert_eq!(rd32(&c, 0), 0x4458_0def);
    c.write(MSIX_CAP as u64 + 2, &0x8000u16.to_le_bytes());
    assert_eq!(rd32(&c, MSIX_CAP as u64) >> 16, 0x8004);
    // FLR through the AF capability.
    assert!(!c.write(AF_CAP as u64 + 4, &[0]));
    assert!(c.write(AF_CAP as u64 + 4, &[1]));
    assert!(c.write(AF_CAP as u64 + 4, &[1, 0]));
    assert_eq!(rd32(&c, AF_CAP as u64 + 4) & 0xff, 0, "FLR bit reads 0");
    // Out-of-range accesses are harmless.
    let mut b = [1u8; 8];
    c.read(252, &mut b);
    assert_eq!(&b[4..], &[0; 4]);
    c.read(u64::MAX, &mut b);
    assert!(!c.write(u64::MAX - 1, &[1, 2, 3, 4]));
}

#[test]
fn config_space_bar4_is_64_bit_prefetchable() {
    let mut c = ConfigSpace::new(&id());
    assert_eq!(rd32(&c, 0x20), 0, "no BAR4 without a size");
    c.write(0x20, &[0xff; 4]);
    assert_eq!(rd32(&c, 0x20), 0);
    let mut c = ConfigSpace::new(&PciIdentity {
        bar4_size: 0x20_0000,
        ..id()
    });
    assert_eq!(rd32(&c, 0x20), 0x0c, "64-bit prefetchable memory");
    c.write(0x20, &[0xff; 4]);
    c.write(0x24, &[0xff; 4]);
    assert_eq!(rd32(&c, 0x20), 0xffe0_000c, "2 MiB");
    assert_eq!(rd32(&c, 0x24), 0xffff_ffff);
    c.write(0x20, &0x1234_5678u32.to_le_bytes());
    c.write(0x24, &0x0000_0010u32.to_le_bytes());
    assert_eq!(rd32(&c, 0x20), 0x1220_000c);
    assert_eq!(rd32(&c, 0x24), 0x10);
}

fn eventfd() -> File {
    // SAFETY: eventfd returns a new fd (or -1, checked) that we own.
    let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK) };
    assert!(fd >= 0);
    // SAFETY: fd is a fresh descriptor owned by nobody else.
    unsafe { File::from_raw_fd(fd) }
}

fn count(f: &File) -> u64 {
    let mut b = [0u8; 8];
    let mut r: &File = f;
    match r.read(&mut b) {
        Ok(8) => u64::from_ne_bytes(b),
        _ => 0,
    }
}

#[test]
fn eventfd_interrupts() {
    let irqs = Eventfds::new("t", 3);
    let (a, b) = (eventfd(), eventfd());
    let trig_fd = VFIO_IRQ_SET_ACTION_TRIGGER | VFIO_IRQ_SET_DATA_EVENTFD;
    irqs.set(
        trig_fd,
        1,
        2,
        vec![a.try_clone().expect("dup"), b.try_clone().expect("dup")],
    )
    .expect("set");
    assert_eq!(irqs.assigned(), 2);
    irqs.raise(1);
    irqs.raise(2);
    irqs.raise(2);
    irqs.raise(0); // no eventfd: dropped
    irqs.raise(9); // no such vector: dropped
    assert_eq!((count(&a), count(&b)), (1, 2));
    // Loopback trigger.
    irqs.set(
        VFIO_IRQ_SET_ACTION_TRIGGER | VFIO_IRQ_SET_DATA_NONE,
        1,
        1,
        vec![],
    )
    .expect("trigger");
    assert_eq!(count(&a), 1);
    // De-assign one (QEMU's fd -1 arrives as no fds).
    irqs.set(trig_fd, 2, 1, vec![]).expect("deassign");
    assert_eq!(irqs.assigned(), 1);
    // Bad ranges and fd counts.
    assert!(irqs.set(trig_fd, 2, 2, vec![]).is_err());
    assert!(irqs.set(trig_fd, 0, 2, vec![eventfd()]).is_err());
    assert!(irqs.set(trig_fd, u32::MAX, 2, vec![]).is_err());
    // Disable all.
    irqs.set(
        VFIO_IRQ_SET_ACTION_TRIGGER | VFIO_IRQ_SET_DATA_NONE,
        0,
        0,
        vec![],
    )
    .expect("off");
    assert_eq!(irqs.assigned(), 0);
}

fn memfd(size: u64) -> File {
    // SAFETY: memfd_create with a valid C string; result checked.
    let fd = unsafe { libc::memfd_create(c"guest".as_ptr(), 0) };
    assert!(fd >= 0);
    // SAFETY: fresh descriptor.
    let f = unsafe { File::from_raw_fd(fd) };
    f.set_len(size).expect("truncate");
    f
}

#[test]
fn mmap_memory_follows_dma_maps() {
    let fd = memfd(0x3000);
    let mem = MmapMemory::new();
    let mut b = [0u8; 4];
    assert!(mem.read(0x1000, &mut b).is_err(), "nothing mapped");
    // Two adjacent mappings of one file: 0x10000.. -> file 0x0, 0x11000.. -> file 0x1000.
    mem.map(0x1_0000, 0x1000, &fd, 0, true).expect("map");
    mem.map(0x1_1000, 0x2000, &fd, 0x1000, true).expect("map");
    mem.write(0x1_0ffe, &[1, 2, 3, 4]).expect("spanning write");
    mem.read(0x1_0ffe, &mut b).expect("spanning read");
    assert_eq!(b, [1, 2, 3, 4]);
    assert!(mem.read(0x1_2ffe, &mut b).is_err(), "past the end");
    assert!(mem.write(0x1_2ffe, &[9; 4]).is_err());
    mem.read(0x1_2ffc, &mut b).expect("untouched");
    assert_eq!(b, [0; 4], "a failed write writes nothing");
    assert!(mem.read(u64::MAX - 1, &mut b).is_err());
    // Read-only mapping refuses writes.
    mem.map(0x2_0000, 0x1000, &fd, 0, false).expect("map ro");
    assert!(mem.write(0x2_0000, &[1]).is_err());
    mem.read(0x2_0ffe, &mut [0u8; 2]).expect("ro read");
    mem.unmap(0x1_0000, 0x1000);
    assert!(mem.read(0x1_0000, &mut b).is_err());
    assert_eq!(mem.len(), 2);
    mem.unmap_all();
    assert!(mem.is_empty());
}

#[test]
fn pacing_arithmetic() {
    let t0 = Instant::now();
    let mut p = Pacer::new(1 << 20);
    assert_eq!(p.account(t0, 1 << 20), t0 + Duration::from_secs(1));
    // Back to back: the second starts when the first ends.
    assert_eq!(p.account(t0, 512 << 10), t0 + Duration::from_millis(1500));
    // After an idle gap the clock restarts from now.
    let later = t0 + Duration::from_secs(10);
    assert_eq!(
        p.account(later, 1024),
        later + Duration::from_nanos(976_562)
    );
    p.reset();
    assert_eq!(p.account(t0, 0), t0);
    let mut unlimited = Pacer::new(0);
    assert_eq!(unlimited.account(t0, u64::MAX), t0);
}

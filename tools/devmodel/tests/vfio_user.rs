// SPDX-License-Identifier: GPL-2.0

//! End to end over a real vfio-user socket, with the `vfio_user` crate's
//! own client standing in for QEMU: config space, BAR0, DMA through a
//! shared memfd, MSI-X through eventfds, several clients in a row, the
//! HLB's BAR4 (sparse mmap of the QE pages, doorbell).

use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use devmodel::cli::{DeviceSpec, Kind};
use devmodel::dxe::DxeConfig;
use devmodel::dxe_regs::{self as dregs, chan_reg, Completion, Descriptor, Opcode};
use devmodel::hlb::HlbConfig;
use devmodel::hlb_regs as hregs;
use devmodel::serve;
use vfio_bindings::bindings::vfio::{
    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_IRQ_SET_DATA_EVENTFD, VFIO_PCI_BAR0_REGION_INDEX,
    VFIO_PCI_BAR4_REGION_INDEX, VFIO_PCI_CONFIG_REGION_INDEX, VFIO_PCI_MSIX_IRQ_INDEX,
    VFIO_REGION_INFO_FLAG_MMAP,
};
use vfio_user::Client;

fn socket(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lbdx-devmodel-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    dir.join(format!("{name}.sock"))
}

fn start(name: &str, kind: Kind) -> PathBuf {
    let path = socket(name);
    // A stale socket file must not stop the server.
    let _ = std::os::unix::net::UnixListener::bind(&path);
    let spec = DeviceSpec {
        name: name.into(),
        socket: path.clone(),
        kind,
    };
    serve::start(&spec).expect("start");
    path
}

fn rd(c: &mut Client, region: u32, off: u64) -> u32 {
    let mut b = [0u8; 4];
    c.region_read(region, off, &mut b).expect("region read");
    u32::from_le_bytes(b)
}

fn wr(c: &mut Client, off: usize, v: u32) {
    c.region_write(VFIO_PCI_BAR0_REGION_INDEX, off as u64, &v.to_le_bytes())
        .expect("region write");
}

#[test]
fn hlb_identity_over_vfio_user_several_clients() {
    let path = start("hlbv", Kind::Hlb(HlbConfig::default()));
    for run in 0..3 {
        let mut c = Client::new(&path).expect("connect");
        assert_eq!(
            rd(&mut c, VFIO_PCI_CONFIG_REGION_INDEX, 0),
            0x4c42_0def,
            "run {run}"
        );
        assert_eq!(
            rd(&mut c, VFIO_PCI_CONFIG_REGION_INDEX, 8) >> 8,
            hregs::PCI_CLASS
        );
        assert_eq!(
            rd(&mut c, VFIO_PCI_BAR0_REGION_INDEX, hregs::ID as u64),
            hregs::ID_MAGIC
        );
        assert_eq!(
            rd(
                &mut c,
                VFIO_PCI_BAR0_REGION_INDEX,
                hregs::NUM_VECTORS as u64
            ),
            33
        );
        // State from the previous client is gone (reset on disconnect).
        assert_eq!(
            rd(
                &mut c,
                VFIO_PCI_BAR0_REGION_INDEX,
                hregs::IRQ_TEST_COUNT as u64
            ),
            0
        );
        wr(&mut c, hregs::IRQ_TEST, 40); // out of range, ignored
        wr(&mut c, hregs::IRQ_TEST, 3);
        assert_eq!(
            rd(
                &mut c,
                VFIO_PCI_BAR0_REGION_INDEX,
                hregs::IRQ_TEST_COUNT as u64
            ),
            1
        );
        let msix = c.get_irq_info(VFIO_PCI_MSIX_IRQ_INDEX).expect("irq info");
        assert_eq!(msix.count, 33);
        assert_eq!(
            c.region(VFIO_PCI_BAR0_REGION_INDEX).map(|r| r.size),
            Some(hregs::BAR0_SIZE)
        );
        c.shutdown().expect("shutdown");
    }
}

fn memfd(size: u64) -> File {
    // SAFETY: valid C string; result checked.
    let fd = unsafe { libc::memfd_create(c"guest".as_ptr(), 0) };
    assert!(fd >= 0);
    // SAFETY: fresh descriptor owned by nobody else.
    let f = unsafe { File::from_raw_fd(fd) };
    f.set_len(size).expect("truncate");
    f
}

fn eventfd() -> File {
    // SAFETY: result checked; fresh descriptor.
    let fd = unsafe { libc::eventfd(0, 0) };
    assert!(fd >= 0);
    // SAFETY: as above.
    unsafe { File::from_raw_fd(fd) }
}

#[test]
fn dxe_copy_with_interrupt_over_vfio_user() {
    const GPA: u64 = 0x4000_0000;
    let path = start(
        "dxev",
        Kind::Dxe(DxeConfig {
            rate: 64 << 20,
            ..DxeConfig::default()
        }),
    );
    let mut c = Client::new(&path).expect("connect");
    assert_eq!(rd(&mut c, VFIO_PCI_CONFIG_REGION_INDEX, 0), 0x4458_0def);
    assert_eq!(
        rd(&mut c, VFIO_PCI_BAR0_REGION_INDEX, dregs::ID as u64),
        dregs::ID_MAGIC
    );

    let ram = memfd(1 << 20);
    c.dma_map(0, GPA, 1 << 20, ram.as_raw_fd())
        .expect("dma map");
    let ev = eventfd();
    c.set_irqs(
        VFIO_PCI_MSIX_IRQ_INDEX,
        VFIO_IRQ_SET_ACTION_TRIGGER | VFIO_IRQ_SET_DATA_EVENTFD,
        1,
        1,
        &[ev.as_raw_fd()],
    )
    .expect("set irqs");

    let src: Vec<u8> = (0..8192u32).map(|i| (i * 7) as u8).collect();
    ram.write_all_at(&src, 0x1_0000).expect("src");
    let d = Descriptor {
        opcode: Opcode::Copy as u8,
        flags: dregs::DESC_FLAG_INTR,
        len: src.len() as u32,
        src: GPA + 0x1_0000,
        dst: GPA + 0x2_0000,
        completion: GPA + 0x800,
        cookie: 77,
        ..Descriptor::default()
    };
    ram.write_all_at(&d.to_bytes(), 0).expect("ring");
    wr(&mut c, chan_reg(0, dregs::CH_RING_BASE_LO), GPA as u32);
    wr(&mut c, chan_reg(0, dregs::CH_RING_BASE_HI), 0);
    wr(&mut c, chan_reg(0, dregs::CH_RING_SIZE), 16);
    wr(&mut c, chan_reg(0, dregs::CH_CTRL), dregs::CH_CTRL_ENABLE);
    wr(&mut c, chan_reg(0, dregs::CH_TAIL), 1);

    // The driver polls the status byte; bounded wait, no timing asserted.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut rec = [0u8; 16];
    loop {
        ram.read_exact_at(&mut rec, 0x800).expect("completion");
        if rec[0] != 0 || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let comp = Completion::from_bytes(&rec);
    assert_eq!((comp.status, comp.bytes, comp.cookie), (1, 8192, 77));
    let mut dst = vec![0u8; src.len()];
    ram.read_exact_at(&mut dst, 0x2_0000).expect("dst");
    assert_eq!(dst, src);
    let mut n = [0u8; 8];
    (&ev).read_exact(&mut n).expect("eventfd");
    assert_eq!(u64::from_ne_bytes(n), 1, "vector 1 raised once");
    assert_eq!(
        rd(
            &mut c,
            VFIO_PCI_BAR0_REGION_INDEX,
            chan_reg(0, dregs::CH_COMPLETED) as u64
        ),
        1
    );
    assert_eq!(
        rd(
            &mut c,
            VFIO_PCI_BAR0_REGION_INDEX,
            chan_reg(0, dregs::CH_HEAD) as u64
        ),
        1
    );

    // Odd-width access reads all ones.
    let mut b2 = [0u8; 2];
    c.region_read(VFIO_PCI_BAR0_REGION_INDEX, 0, &mut b2)
        .expect("read");
    assert_eq!(b2, [0xff, 0xff]);
    c.reset().expect("reset");
    assert_eq!(
        rd(
            &mut c,
            VFIO_PCI_BAR0_REGION_INDEX,
            chan_reg(0, dregs::CH_HEAD) as u64
        ),
        0
    );
    c.shutdown().expect("shutdown");
}

/// Maps `len` bytes of `fd` at `offset`, shared and writable.
fn map_shared(fd: &File, offset: u64, len: usize) -> *mut u8 {
    // SAFETY: a fresh shared mapping chosen by the kernel; checked below.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            fd.as_raw_fd(),
            offset as libc::off_t,
        )
    };
    assert_ne!(p, libc::MAP_FAILED, "mmap");
    p.cast()
}

#[test]
fn hlb_bar4_sparse_mmap_and_doorbell_over_vfio_user() {
    use std::sync::atomic::{AtomicU8, Ordering};

    const GPA: u64 = 0x8000_0000;
    let path = start("hlbdp", Kind::Hlb(HlbConfig::default()));
    let mut c = Client::new(&path).expect("connect");
    assert_eq!(rd(&mut c, VFIO_PCI_CONFIG_REGION_INDEX, 0x20), 0x0c);

    let bar4 = c.region(VFIO_PCI_BAR4_REGION_INDEX).expect("BAR4 region");
    assert_eq!(bar4.size, hregs::PP_BAR_SIZE);
    assert_ne!(bar4.flags & VFIO_REGION_INFO_FLAG_MMAP, 0);
    assert_eq!(bar4.sparse_areas.len(), 64 + 64);
    let areas: Vec<(u64, u64)> = bar4
        .sparse_areas
        .iter()
        .map(|a| (a.offset, a.size))
        .collect();
    assert_eq!(areas[0], (0, 0x1000));
    assert_eq!(areas[63], (63 * 0x2000, 0x1000));
    assert_eq!(areas[64], (0x10_0000, 0x1000));
    let fo = bar4.file_offset.as_ref().expect("BAR4 carries an fd");
    assert_eq!(fo.start(), 0, "fd offset of BAR4 offset 0");
    // Map DIR port 1's QE page the way QEMU maps a sparse area.
    let win = hregs::dir_pp_window(1);
    let qe_page = map_shared(fo.file(), fo.start() + win as u64, 0x1000);

    let ram = memfd(1 << 20);
    c.dma_map(0, GPA, 1 << 20, ram.as_raw_fd())
        .expect("dma map");
    let dom = |r| hregs::domain_reg(0, r);
    let dirp = |p, r| hregs::object_reg(hregs::DIR_PORT_BASE, p, r);
    wr(&mut c, dom(hregs::DOM_DIR_CREDITS), 16);
    wr(&mut c, dom(hregs::DOM_CTRL), hregs::DOM_CTRL_VALID);
    for p in 0..2 {
        wr(&mut c, dirp(p, hregs::OBJ_DOMAIN), hregs::VALID);
        wr(&mut c, dirp(p, hregs::PORT_CQ_DEPTH), 8);
        let cq = GPA + 0x1000 * u64::from(p);
        wr(&mut c, hregs::dir_pp_reg(p, hregs::CQ_ADDR_LO), cq as u32);
        wr(
            &mut c,
            hregs::dir_pp_reg(p, hregs::CQ_ADDR_HI),
            (cq >> 32) as u32,
        );
    }
    wr(
        &mut c,
        dom(hregs::DOM_CTRL),
        hregs::DOM_CTRL_VALID | hregs::DOM_CTRL_STARTED,
    );
    assert_eq!(
        rd(
            &mut c,
            VFIO_PCI_BAR0_REGION_INDEX,
            hregs::ALARM_COUNT as u64
        ),
        0
    );

    // A producer's stores through the mapping, byte 15 last.
    let qe = hregs::Qe {
        data: 0xfeed,
        queue: 0,
        sched: hregs::SchedType::Directed as u8,
        cmd: hregs::QeCommand::New as u8,
        ..hregs::Qe::default()
    }
    .to_bytes();
    for (i, &b) in qe.iter().enumerate() {
        // SAFETY: inside the 4 KiB mapping; shared with the device, so
        // accessed atomically.
        unsafe { AtomicU8::from_ptr(qe_page.add(i)) }.store(b, Ordering::Release);
    }
    // The region path sees the same bytes (byte 15 is 0 already if the
    // polling thread took the QE meanwhile).
    let mut back = [0u8; 16];
    c.region_read(VFIO_PCI_BAR4_REGION_INDEX, win as u64, &mut back)
        .expect("bar4 read");
    assert_eq!(back[..15], qe[..15]);
    assert!(
        back[15] == qe[15] || back[15] == 0,
        "byte 15 {:#x}",
        back[15]
    );
    c.region_write(
        VFIO_PCI_BAR4_REGION_INDEX,
        (win + hregs::PP_DOORBELL) as u64,
        &0u32.to_le_bytes(),
    )
    .expect("doorbell");
    // The doorbell was handled before its reply: the entry is there.
    let mut e = [0u8; 16];
    ram.read_exact_at(&mut e, 0).expect("cq");
    let e = hregs::CqEntry::from_bytes(&e);
    assert_eq!((e.data, e.queue, e.gen), (0xfeed, 0, true));
    // SAFETY: as above.
    let cmd = unsafe { AtomicU8::from_ptr(qe_page.add(15)) }.load(Ordering::Acquire);
    assert_eq!(cmd, 0, "slot emptied");
    assert_eq!(
        rd(
            &mut c,
            VFIO_PCI_BAR0_REGION_INDEX,
            hregs::dir_pp_reg(1, hregs::PP_CONSUMED) as u64
        ),
        1
    );
    // SAFETY: what map_shared returned.
    unsafe { libc::munmap(qe_page.cast(), 0x1000) };
    c.shutdown().expect("shutdown");
}

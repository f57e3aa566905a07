// SPDX-License-Identifier: GPL-2.0

//! DXE descriptor execution: validation codes in order, data results of
//! every operation, ring wrap-around, completion-record rules.

mod common;

use std::sync::Mutex;

use common::*;
use devmodel::dxe::engine;
use devmodel::dxe::DxeConfig;
use devmodel::dxe_regs::{self as regs, CompletionStatus as S, Descriptor, Opcode};
use devmodel::irq::RecordingIrqs;
use devmodel::mem::{DmaFault, GuestMemory, VecMemory};

/// Runs one descriptor on channel 0 and returns its completion record.
fn run_one(rig: &mut Rig, d: &Descriptor) -> regs::Completion {
    if rig.cr(0, regs::CH_CTRL) == 0 {
        rig.enable(0, 16);
    }
    rig.submit(0, d);
    assert_eq!(rig.run(), 1);
    rig.completion(d.completion)
}

fn status_of(d: &Descriptor) -> u8 {
    let mut rig = Rig::default_config();
    run_one(&mut rig, d).status
}

fn copy_desc(len: u32) -> Descriptor {
    Descriptor {
        len,
        src: DATA,
        dst: DATA + 0x10_0000,
        ..desc(Opcode::Copy, 0)
    }
}

fn xor_desc(op: Opcode, nsrc: u8, len: u32) -> Descriptor {
    Descriptor {
        nsrc,
        len,
        src: DATA,
        dst: if op == Opcode::Xor {
            DATA + 0x18_0000
        } else {
            0
        },
        ..desc(op, 0)
    }
}

#[test]
fn reserved_bytes_and_flags() {
    let mut raw = copy_desc(8).to_bytes();
    raw[3] = 1;
    let mut rig = Rig::default_config();
    rig.enable(0, 4);
    rig.submit_raw(0, &raw);
    rig.run();
    let c = rig.completion(COMPL);
    assert_eq!(c.status, S::ReservedNonZero as u8);
    assert_eq!(
        c.cookie, 0xc00c_0000,
        "cookie echoed even for a bad descriptor"
    );

    for at in [40, 63] {
        let mut r2 = copy_desc(8).to_bytes();
        r2[at] = 0x80;
        let mut rig = Rig::default_config();
        rig.enable(0, 4);
        rig.submit_raw(0, &r2);
        rig.run();
        assert_eq!(rig.completion(COMPL).status, S::ReservedNonZero as u8);
    }
    let d = Descriptor {
        flags: 0x2,
        ..copy_desc(8)
    };
    assert_eq!(status_of(&d), S::ReservedNonZero as u8);
}

#[test]
fn validation_codes_in_order() {
    // Reserved beats bad opcode.
    let d = Descriptor {
        opcode: 9,
        flags: 0x80,
        ..copy_desc(8)
    };
    assert_eq!(status_of(&d), S::ReservedNonZero as u8);
    // Bad opcode beats bad length.
    let d = Descriptor {
        opcode: 5,
        len: 0,
        ..copy_desc(8)
    };
    assert_eq!(status_of(&d), S::BadOpcode as u8);
    let d = Descriptor {
        opcode: 0xff,
        ..copy_desc(8)
    };
    assert_eq!(status_of(&d), S::BadOpcode as u8);
    // Bad length beats bad source count.
    let d = Descriptor {
        nsrc: 3,
        ..copy_desc(0)
    };
    assert_eq!(status_of(&d), S::BadLength as u8);
    assert_eq!(status_of(&copy_desc((1 << 20) + 1)), S::BadLength as u8);
    assert_eq!(status_of(&copy_desc(1 << 20)), S::Success as u8);
    // Source counts.
    assert_eq!(
        status_of(&Descriptor {
            nsrc: 1,
            ..copy_desc(8)
        }),
        S::BadSourceCount as u8
    );
    assert_eq!(
        status_of(&xor_desc(Opcode::Xor, 1, 8)),
        S::BadSourceCount as u8
    );
    assert_eq!(
        status_of(&xor_desc(Opcode::Xor, 17, 8)),
        S::BadSourceCount as u8
    );
    assert_eq!(
        status_of(&xor_desc(Opcode::XorVal, 0, 8)),
        S::BadSourceCount as u8
    );
    let fill = Descriptor {
        nsrc: 2,
        len: 8,
        dst: DATA,
        ..desc(Opcode::Fill, 0)
    };
    assert_eq!(status_of(&fill), S::BadSourceCount as u8);
    // Nop ignores len but not nsrc.
    assert_eq!(
        status_of(&Descriptor {
            len: u32::MAX,
            ..desc(Opcode::Nop, 0)
        }),
        S::Success as u8
    );
    assert_eq!(
        status_of(&Descriptor {
            nsrc: 2,
            ..desc(Opcode::Nop, 0)
        }),
        S::BadSourceCount as u8
    );
}

#[test]
fn unsupported_operations() {
    let cfg = DxeConfig {
        caps: regs::CAP_COPY | regs::CAP_FILL,
        ..DxeConfig::default()
    };
    let mut rig = Rig::new(cfg);
    let c = run_one(&mut rig, &xor_desc(Opcode::Xor, 2, 8));
    assert_eq!(c.status, S::Unsupported as u8);
    // Unsupported beats bad length and source count.
    let d = Descriptor {
        completion: COMPL + 16,
        ..xor_desc(Opcode::XorVal, 0, 0)
    };
    assert_eq!(run_one(&mut rig, &d).status, S::Unsupported as u8);
    // INTR without CAPS.INTR.
    let d = Descriptor {
        flags: regs::DESC_FLAG_INTR,
        completion: COMPL + 32,
        ..copy_desc(8)
    };
    assert_eq!(run_one(&mut rig, &d).status, S::Unsupported as u8);
    // Nop needs no capability.
    let d = Descriptor {
        completion: COMPL + 48,
        ..desc(Opcode::Nop, 3)
    };
    assert_eq!(run_one(&mut rig, &d).status, S::Success as u8);
}

#[test]
fn dma_faults_report_progress() {
    let mut rig = Rig::default_config();
    // Source runs off the end of RAM after 2 chunks.
    let end = RAM + RAM_SIZE as u64;
    let d = Descriptor {
        src: end - 2 * engine::CHUNK as u64,
        len: 3 * engine::CHUNK as u32,
        ..copy_desc(0)
    };
    let c = run_one(&mut rig, &d);
    assert_eq!(c.status, S::DmaFault as u8);
    assert_eq!(c.bytes, 2 * engine::CHUNK as u32);
    assert_eq!(
        rig.cr(0, regs::CH_STATUS),
        regs::CH_STATUS_ENABLED,
        "a data fault does not halt"
    );

    for d in [
        Descriptor {
            dst: HOLE,
            completion: COMPL + 16,
            ..copy_desc(64)
        },
        Descriptor {
            dst: HOLE,
            len: 64,
            completion: COMPL + 32,
            ..desc(Opcode::Fill, 2)
        },
        Descriptor {
            src: HOLE,
            completion: COMPL + 48,
            ..xor_desc(Opcode::Xor, 2, 64)
        },
    ] {
        let c = run_one(&mut rig, &d);
        assert_eq!((c.status, c.bytes), (S::DmaFault as u8, 0));
    }
    // A source listed in the address array is unmapped.
    rig.put(DATA, &[DATA + 0x1000, HOLE].map(u64::to_le_bytes).concat());
    let d = Descriptor {
        completion: COMPL + 64,
        ..xor_desc(Opcode::XorVal, 2, 64)
    };
    assert_eq!(run_one(&mut rig, &d).status, S::DmaFault as u8);
    assert_eq!(rig.cr(0, regs::CH_COMPLETED), 5);
}

#[test]
fn copy_moves_bytes() {
    let mut rig = Rig::default_config();
    let len = 3 * engine::CHUNK + 123;
    let src = pattern(7, len);
    rig.put(DATA, &src);
    let c = run_one(&mut rig, &copy_desc(len as u32));
    assert_eq!(
        (c.status, c.result, c.bytes),
        (S::Success as u8, 0, len as u32)
    );
    assert_eq!(rig.get(DATA + 0x10_0000, len), src);
    assert_eq!(
        rig.get(DATA + 0x10_0000 + len as u64, 1),
        [0],
        "no byte past len"
    );
}

#[test]
fn fill_repeats_pattern_and_truncates() {
    let mut rig = Rig::default_config();
    let pat = 0x0807_0605_0403_0201u64;
    for (n, len) in [(0u64, 13usize), (1, 8), (2, 1), (3, engine::CHUNK + 5)] {
        let dst = DATA + n * 0x1_0000;
        let d = Descriptor {
            src: pat,
            dst,
            len: len as u32,
            ..desc(Opcode::Fill, n)
        };
        let c = run_one(&mut rig, &d);
        assert_eq!((c.status, c.bytes), (S::Success as u8, len as u32));
        let want: Vec<u8> = (0..len).map(|i| (i % 8) as u8 + 1).collect();
        assert_eq!(rig.get(dst, len), want, "len {len}");
        assert_eq!(rig.get(dst + len as u64, 1), [0]);
    }
}

fn setup_sources(rig: &Rig, nsrc: usize, len: usize) -> Vec<Vec<u8>> {
    let srcs: Vec<Vec<u8>> = (0..nsrc)
        .map(|i| pattern((i as u8).wrapping_mul(17).wrapping_add(1), len))
        .collect();
    let addrs: Vec<u64> = (0..nsrc as u64)
        .map(|i| DATA + 0x1000 + i * 0x4000)
        .collect();
    for (a, s) in addrs.iter().zip(&srcs) {
        rig.put(*a, s);
    }
    rig.put(
        DATA,
        &addrs
            .iter()
            .flat_map(|a| a.to_le_bytes())
            .collect::<Vec<_>>(),
    );
    srcs
}

#[test]
fn xor_of_2_to_16_sources() {
    let len = 5000;
    for nsrc in 2..=16u8 {
        let mut rig = Rig::default_config();
        let srcs = setup_sources(&rig, nsrc.into(), len);
        let want: Vec<u8> = (0..len)
            .map(|i| srcs.iter().fold(0, |a, s| a ^ s[i]))
            .collect();
        let d = xor_desc(Opcode::Xor, nsrc, len as u32);
        let c = run_one(&mut rig, &d);
        assert_eq!(
            (c.status, c.bytes),
            (S::Success as u8, len as u32),
            "nsrc {nsrc}"
        );
        assert_eq!(rig.get(d.dst, len), want, "nsrc {nsrc}");
    }
}

#[test]
fn xor_validate_both_outcomes() {
    let len = 300;
    let mut rig = Rig::default_config();
    let srcs = setup_sources(&rig, 3, len);
    // Make source 2 the xor of sources 0 and 1: parity holds.
    let parity: Vec<u8> = (0..len).map(|i| srcs[0][i] ^ srcs[1][i]).collect();
    rig.put(DATA + 0x1000 + 2 * 0x4000, &parity);
    let d = xor_desc(Opcode::XorVal, 3, len as u32);
    let c = run_one(&mut rig, &d);
    assert_eq!(
        (c.status, c.result, c.bytes),
        (S::Success as u8, regs::XOR_VAL_ZERO, len as u32)
    );

    // Flip one bit in the last byte.
    rig.put(
        DATA + 0x1000 + 2 * 0x4000 + len as u64 - 1,
        &[parity[len - 1] ^ 0x10],
    );
    let d = Descriptor {
        completion: COMPL + 16,
        ..d
    };
    let c = run_one(&mut rig, &d);
    assert_eq!(
        (c.status, c.result),
        (S::Success as u8, regs::XOR_VAL_NONZERO)
    );
}

#[test]
fn interrupts_follow_the_flag() {
    let mut rig = Rig::default_config();
    rig.enable(2, 8);
    rig.submit(2, &desc(Opcode::Nop, 0));
    rig.submit(
        2,
        &Descriptor {
            flags: regs::DESC_FLAG_INTR,
            ..desc(Opcode::Nop, 1)
        },
    );
    rig.submit(
        2,
        &Descriptor {
            flags: regs::DESC_FLAG_INTR,
            opcode: 7,
            ..desc(Opcode::Nop, 2)
        },
    );
    assert_eq!(rig.run(), 3);
    assert_eq!(
        rig.irq.take(),
        [3, 3],
        "vector 1 + channel, also for failed descriptors"
    );
    assert_eq!(rig.completion(COMPL + 32).status, S::BadOpcode as u8);
}

#[test]
fn ring_wraps_past_index_2_pow_32() {
    let mut rig = Rig::default_config();
    rig.enable(0, 4);
    // HEAD is read-only and counting to 2^32 through the registers would
    // take hours: start the free-running indices just below the wrap.
    let start = u32::MAX - 2;
    if let Some(c) = rig.core.channel_mut(0) {
        c.head = start;
        c.tail = start;
    }
    for n in 0..6u64 {
        rig.submit(0, &desc(Opcode::Nop, n));
    }
    assert_eq!(rig.cr(0, regs::CH_TAIL), start.wrapping_add(6));
    assert_eq!(rig.cr(0, regs::CH_TAIL), 3, "TAIL wrapped");
    // Only 4 fit: the submissions overwrote slots, so run in two rounds.
    let mut rig = Rig::default_config();
    rig.enable(0, 4);
    if let Some(c) = rig.core.channel_mut(0) {
        c.head = start;
        c.tail = start;
    }
    let base = Rig::ring_base(0);
    for round in 0..2u64 {
        for k in 0..3u64 {
            let n = round * 3 + k;
            let idx = rig.submit(0, &desc(Opcode::Nop, n));
            assert_eq!(
                engine::slot_addr(base, 4, idx),
                base + u64::from(idx % 4) * 64
            );
        }
        assert_eq!(rig.run(), 3);
    }
    assert_eq!(rig.cr(0, regs::CH_HEAD), start.wrapping_add(6));
    assert_eq!(rig.cr(0, regs::CH_COMPLETED), 6);
    assert_eq!(rig.r(regs::HALTED_CHANNELS), 0);
    for n in 0..6 {
        let c = rig.completion(COMPL + 16 * n);
        assert_eq!((c.status, c.cookie), (S::Success as u8, 0xc00c_0000 + n));
    }
    // Slot of index u32::MAX is the last one; index 0 the first.
    assert_eq!(engine::slot_addr(base, 4, u32::MAX), base + 3 * 64);
    assert_eq!(engine::slot_addr(base, 4, 0), base);
}

#[test]
fn descriptors_are_fetched_from_the_slot_of_head() {
    let mut rig = Rig::default_config();
    rig.enable(0, 2);
    for batch in 0..3u64 {
        rig.submit(0, &desc(Opcode::Nop, 2 * batch));
        rig.submit(0, &desc(Opcode::Nop, 2 * batch + 1));
        assert_eq!(rig.run(), 2);
    }
    assert_eq!(rig.cr(0, regs::CH_HEAD), 6);
    for n in 0..6 {
        assert_eq!(rig.completion(COMPL + 16 * n).cookie, 0xc00c_0000 + n);
    }
}

#[test]
fn completion_address_rules_halt_the_channel() {
    for (addr, why) in [
        (COMPL + 8, "misaligned"),
        (HOLE, "unmapped"),
        (RAM + RAM_SIZE as u64 - 8, "straddles the end"),
    ] {
        let mut rig = Rig::default_config();
        rig.enable(1, 8);
        rig.put(RAM + RAM_SIZE as u64 - 16, &[0xaa; 16]);
        let d = Descriptor {
            completion: addr,
            ..desc(Opcode::Nop, 0)
        };
        rig.submit(1, &d);
        rig.submit(1, &desc(Opcode::Nop, 1));
        rig.run();
        // Halted, nothing in progress: quiescent (1.1).
        let halted_dma = regs::CH_STATUS_ENABLED
            | regs::CH_STATUS_HALTED
            | regs::CH_STATUS_QUIESCENT
            | ((S::DmaFault as u32) << regs::CH_STATUS_HALT_CAUSE_SHIFT);
        assert_eq!(rig.cr(1, regs::CH_STATUS), halted_dma, "{why}");
        assert_eq!(rig.r(regs::HALTED_CHANNELS), 0b10);
        assert_eq!(rig.r(regs::IRQ_CAUSE), regs::IRQ_CAUSE_CHAN_HALT);
        assert_eq!(rig.irq.take(), [0]);
        assert_eq!(rig.cr(1, regs::CH_COMPLETED), 0);
        assert_eq!(
            rig.completion(COMPL + 16).status,
            0,
            "nothing after the halt runs"
        );
        assert_eq!(
            rig.get(RAM + RAM_SIZE as u64 - 16, 16),
            [0xaa; 16],
            "{why}: nothing written"
        );
    }
}

/// Guest memory that logs every write (address, length).
struct Logged {
    inner: VecMemory,
    writes: Mutex<Vec<(u64, usize)>>,
}

impl GuestMemory for Logged {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), DmaFault> {
        self.inner.read(addr, buf)
    }
    fn write(&self, addr: u64, data: &[u8]) -> Result<(), DmaFault> {
        self.writes.lock().expect("lock").push((addr, data.len()));
        self.inner.write(addr, data)
    }
}

#[test]
fn status_byte_is_written_last() {
    let mem = Logged {
        inner: VecMemory::with_region(RAM, RAM_SIZE),
        writes: Mutex::new(Vec::new()),
    };
    let irq = RecordingIrqs::new();
    let mut core = devmodel::dxe::DxeCore::new("t", DxeConfig::default());
    let base = Rig::ring_base(0);
    let d = Descriptor {
        len: 100,
        src: DATA,
        dst: DATA + 0x1000,
        cookie: 42,
        ..desc(Opcode::Copy, 0)
    };
    mem.inner.write(base, &d.to_bytes()).expect("ring");
    core.write(regs::chan_reg(0, regs::CH_RING_BASE_LO), base as u32, &irq);
    core.write(regs::chan_reg(0, regs::CH_RING_SIZE), 4, &irq);
    core.write(regs::chan_reg(0, regs::CH_CTRL), regs::CH_CTRL_ENABLE, &irq);
    core.write(regs::chan_reg(0, regs::CH_TAIL), 1, &irq);
    assert_eq!(core.run_until_idle(&mem, &irq), 1);
    let w = mem.writes.lock().expect("lock").clone();
    assert_eq!(w.last(), Some(&(COMPL, 1)), "status byte last: {w:?}");
    assert_eq!(w[w.len() - 2], (COMPL + 1, 15));
    let mut rec = [0u8; 16];
    mem.inner.read(COMPL, &mut rec).expect("read");
    let c = regs::Completion::from_bytes(&rec);
    assert_eq!((c.status, c.bytes, c.cookie), (S::Success as u8, 100, 42));
}

#[test]
fn channels_are_served_round_robin() {
    let mut rig = Rig::default_config();
    rig.enable(0, 8);
    rig.enable(1, 8);
    for n in 0..3 {
        rig.submit(
            0,
            &Descriptor {
                flags: regs::DESC_FLAG_INTR,
                ..desc(Opcode::Nop, n)
            },
        );
        rig.submit(
            1,
            &Descriptor {
                flags: regs::DESC_FLAG_INTR,
                ..desc(Opcode::Nop, 10 + n)
            },
        );
    }
    assert_eq!(rig.run(), 6);
    assert_eq!(rig.irq.take(), [1, 2, 1, 2, 1, 2]);
}

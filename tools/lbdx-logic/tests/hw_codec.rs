// SPDX-License-Identifier: GPL-2.0

//! Round trips and reserved-byte rules of the DXE descriptor and
//! completion-record codecs, and sanity of the register maps.

use lbdx_logic::hw::dxe_regs::{
    chan_reg, Completion, CompletionStatus, Descriptor, Opcode, COMPLETION_SIZE, DESC_SIZE,
};
use lbdx_logic::hw::{dxe_regs, hlb_regs};
use proptest::prelude::*;

fn any_desc() -> impl Strategy<Value = Descriptor> {
    (any::<(u8, u8, u8, u32)>(), any::<(u64, u64, u64, u64)>()).prop_map(
        |((opcode, flags, nsrc, len), (dst, src, completion, cookie))| Descriptor {
            opcode,
            flags,
            nsrc,
            len,
            dst,
            src,
            completion,
            cookie,
        },
    )
}

proptest! {
    #[test]
    fn descriptor_round_trips(d in any_desc()) {
        let b = d.to_bytes();
        prop_assert_eq!(b[3], 0);
        prop_assert!(b[40..].iter().all(|&x| x == 0));
        prop_assert_eq!(Descriptor::from_bytes(&b), Ok(d));
    }

    #[test]
    fn reserved_byte_is_rejected(d in any_desc(), at in prop_oneof![Just(3usize), 40usize..DESC_SIZE], v in 1u8..) {
        let mut b = d.to_bytes();
        b[at] = v;
        prop_assert_eq!(Descriptor::from_bytes(&b), Err(CompletionStatus::ReservedNonZero));
    }

    #[test]
    fn completion_round_trips(status: u8, result: u8, bytes: u32, cookie: u64) {
        let c = Completion { status, result, bytes, cookie };
        let b = c.to_bytes();
        prop_assert_eq!(&b[2..4], &[0, 0]);
        prop_assert_eq!(Completion::from_bytes(&b), c);
    }

    #[test]
    fn status_codes_decode(v: u8) {
        if let Some(s) = CompletionStatus::from_u8(v) {
            prop_assert_eq!(s as u8, v);
        }
    }
}

#[test]
fn descriptor_layout_is_little_endian() {
    let d = Descriptor {
        opcode: 3,
        flags: 1,
        nsrc: 2,
        len: 0x0403_0201,
        dst: 0x1122_3344_5566_7788,
        src: 0x99,
        completion: 0x1000,
        cookie: 0xabcd,
    };
    let b = d.to_bytes();
    assert_eq!(&b[0..8], &[3, 1, 2, 0, 1, 2, 3, 4]);
    assert_eq!(&b[8..16], &0x1122_3344_5566_7788u64.to_le_bytes());
    assert_eq!(b[16], 0x99);
    assert_eq!(&b[24..26], &[0x00, 0x10]);
    assert_eq!(&b[32..34], &[0xcd, 0xab]);
    assert_eq!(b.len(), DESC_SIZE);
}

#[test]
fn every_opcode_and_status_decodes() {
    for op in [
        Opcode::Nop,
        Opcode::Copy,
        Opcode::Fill,
        Opcode::Xor,
        Opcode::XorVal,
    ] {
        assert_eq!(Opcode::from_u8(op as u8), Some(op));
    }
    assert_eq!(Opcode::from_u8(5), None);
    let known = (0..=255u8)
        .filter(|&v| CompletionStatus::from_u8(v).is_some())
        .count();
    assert_eq!(known, 9);
    assert_eq!(COMPLETION_SIZE, 16);
}

#[test]
fn register_maps_are_consistent() {
    assert_eq!(hlb_regs::PCI_VENDOR_ID, 0x0def);
    assert_eq!(dxe_regs::PCI_VENDOR_ID, hlb_regs::PCI_VENDOR_ID);
    assert_eq!(&hlb_regs::ID_MAGIC.to_be_bytes(), b"HLB0");
    assert_eq!(&dxe_regs::ID_MAGIC.to_be_bytes(), b"DXE0");
    let v = hlb_regs::version(1, 2);
    assert_eq!(
        (hlb_regs::version_major(v), hlb_regs::version_minor(v)),
        (1, 2)
    );
    // Resource registers are distinct, 4-byte aligned and below the alarm range.
    let mut offs: Vec<usize> = hlb_regs::RESOURCE_REGS.iter().map(|r| r.1).collect();
    offs.sort_unstable();
    offs.dedup();
    assert_eq!(offs.len(), hlb_regs::RESOURCE_REGS.len());
    assert!(offs.iter().all(|o| o % 4 == 0 && *o < hlb_regs::ALARM_CODE));
    // The last channel block fits in BAR0.
    let last = chan_reg(dxe_regs::CHAN_MAX - 1, dxe_regs::CH_COMPLETED);
    assert!((last as u64) + 4 <= dxe_regs::BAR0_SIZE);
    assert_eq!(dxe_regs::CAP_ALL, 0x1f);
}

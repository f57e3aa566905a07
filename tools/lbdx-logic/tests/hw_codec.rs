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

// --- HLB data plane: QE and CQ entry codecs ---------------------------------

fn any_qe() -> impl Strategy<Value = hlb_regs::Qe> {
    (
        any::<(u64, u16, u8, u16)>(),
        (0u8..4, 0u8..8, 0u8..6, any::<bool>()),
    )
        .prop_map(
            |((data, opaque, queue, flow), (sched, priority, cmd, token))| hlb_regs::Qe {
                data,
                opaque,
                queue,
                sched,
                priority,
                flow,
                cmd,
                token,
            },
        )
}

proptest! {
    #[test]
    fn qe_round_trips(q in any_qe()) {
        let b = q.to_bytes();
        prop_assert_eq!(b[14], 0);
        prop_assert_eq!(hlb_regs::Qe::from_bytes(&b), Ok(q));
    }

    #[test]
    fn qe_reserved_bits_are_rejected(q in any_qe(), at in 0usize..3, bit in 0u8..8) {
        let mut b = q.to_bytes();
        match at {
            0 => b[11] |= 0x20 << (bit % 3),
            1 => b[14] |= 1 << bit,
            _ => b[15] |= 0x20 << (bit % 3),
        }
        prop_assert_eq!(hlb_regs::Qe::from_bytes(&b), Err(hlb_regs::BadQe));
    }

    #[test]
    fn qe_unknown_command_is_rejected(q in any_qe(), cmd in 6u8..16) {
        let mut b = q.to_bytes();
        b[15] = (b[15] & !hlb_regs::QE_CMD_MASK) | cmd;
        prop_assert_eq!(hlb_regs::Qe::from_bytes(&b), Err(hlb_regs::BadQe));
    }

    #[test]
    fn cq_entry_round_trips(data: u64, opaque: u16, queue: u8, sched in 0u8..4,
                            priority in 0u8..8, flow: u16, depth_level in 0u8..4, gen: bool) {
        let e = hlb_regs::CqEntry { data, opaque, queue, sched, priority, flow, depth_level, gen };
        let b = e.to_bytes();
        prop_assert_eq!(b[14] & !3, 0);
        prop_assert_eq!(b[15] & !hlb_regs::CQ_GEN, 0);
        prop_assert_eq!(hlb_regs::CqEntry::from_bytes(&b), e);
    }

    #[test]
    fn depth_level_is_monotonic(d in 0u32..100_000, t in 1u32..=0xffff) {
        prop_assert!(hlb_regs::depth_level(d, t) <= hlb_regs::depth_level(d + 1, t));
        prop_assert_eq!(hlb_regs::depth_level(d, 0), 0);
    }
}

#[test]
fn qe_layout_is_little_endian() {
    let q = hlb_regs::Qe {
        data: 0x0807_0605_0403_0201,
        opaque: 0xbbaa,
        queue: 7,
        sched: hlb_regs::SchedType::Ordered as u8,
        priority: 5,
        flow: 0x3412,
        cmd: hlb_regs::QeCommand::Forward as u8,
        token: true,
    };
    assert_eq!(
        q.to_bytes(),
        [
            1,
            2,
            3,
            4,
            5,
            6,
            7,
            8,
            0xaa,
            0xbb,
            7,
            2 | 5 << 2,
            0x12,
            0x34,
            0,
            0x12
        ]
    );
    assert_eq!(q.command(), Some(hlb_regs::QeCommand::Forward));
    assert_eq!(q.sched_type(), hlb_regs::SchedType::Ordered);
}

#[test]
fn depth_levels_follow_the_threshold_quarters() {
    let levels: Vec<u8> = [0, 50, 51, 75, 76, 100, 101]
        .iter()
        .map(|&d| hlb_regs::depth_level(d, 100))
        .collect();
    assert_eq!(levels, [0, 0, 1, 1, 2, 2, 3]);
}

#[test]
fn cq_generation_flips_every_lap() {
    use hlb_regs::CqEntry;
    assert!(CqEntry::gen_for(0, 8) && CqEntry::gen_for(7, 8));
    assert!(!CqEntry::gen_for(8, 8) && !CqEntry::gen_for(15, 8));
    assert!(CqEntry::gen_for(16, 8));
}

#[test]
fn data_plane_map_fits() {
    use hlb_regs::*;
    // Per-port blocks: 128 LDB then 128 DIR ports, inside 0x8000..0xc000.
    assert_eq!(ldb_pp_reg(OBJECTS_MAX, 0), DIR_PP_REGS_BASE);
    assert!(dir_pp_reg(OBJECTS_MAX - 1, CQ_WRITTEN) + 4 <= 0xc000);
    const { assert!(CQ_WRITTEN < PP_REGS_STRIDE) };
    // Producer windows: page-aligned, within BAR4, 256 QE slots each.
    assert_eq!(ldb_pp_window(OBJECTS_MAX), dir_pp_window(0));
    assert_eq!(dir_pp_window(OBJECTS_MAX) as u64, PP_BAR_SIZE);
    assert_eq!(PP_SLOTS, 256);
    assert_eq!(PP_WINDOW_STRIDE, PP_QE_PAGE_SIZE + 0x1000);
    // Data-plane alarm codes decode; the map's new read-only registers do
    // not collide with the control-plane ones.
    for c in 0x0c..=0x0f {
        assert_eq!(AlarmCode::from_u32(c).map(|a| a as u32), Some(c));
    }
    const { assert!(DOM_DIR_CREDITS_AVAIL < DOMAIN_STRIDE && DOM_LDB_CREDITS_AVAIL > DOM_HL_SIZE) };
    const { assert!(LQ_DEPTH > LQ_DEPTH_THRESHOLD && LQ_DEPTH < QUEUE_STRIDE) };
    const { assert!(DQ_DEPTH > PORT_DEPTH_THRESHOLD) };
}

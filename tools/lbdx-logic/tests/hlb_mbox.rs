// SPDX-License-Identifier: GPL-2.0

//! The PF/VF mailbox codec (`drivers/lbdx/hw/hlb_mbox.rs`) against
//! `Documentation/hw/hlb-mbox.rst`: every request round-trips, every
//! length but the command's is `BAD_LENGTH`, out-of-range fields are
//! `INVALID`, a header with reserved bits is an unknown command, replies and
//! PF messages round-trip, late replies are recognised, version
//! negotiation picks the highest common version, and arbitrary words
//! never panic the decoder (a VF's driver writes them).

use lbdx_logic::hw::hlb_mbox::{
    decode_reply, encode_reply, negotiate, AlertCode, Attrs, DecodeError, DomainReservation,
    ObjKind, Opcode, PfMsg, ReplyError, Request, ResetReason, Resources, Status, MSG_WORDS,
    PF_MSG_WORDS, RESOURCES_WORDS,
};
use lbdx_logic::hw::hlb_regs::{MBOX_MSG_MAX, MBOX_PF_MSG_MAX};
use proptest::prelude::*;

fn attrs() -> impl Strategy<Value = Attrs> {
    any::<[u32; 8]>().prop_map(|w| Attrs {
        sequence_numbers: w[0],
        inflight_limit: w[1],
        atomic_inflights: w[2],
        lock_id_comp: w[3],
        depth_threshold: w[4],
        cq_depth: w[5],
        hist_list_size: w[6],
        cos: w[7],
    })
}

fn request() -> impl Strategy<Value = Request> {
    let res = any::<[u32; 8]>().prop_map(|w| DomainReservation {
        hist_list_base: w[0],
        ldb_queues: w[1],
        ldb_ports: w[2],
        dir_ports: w[3],
        ldb_credits: w[4],
        dir_credits: w[5],
        hist_list_entries: w[6],
        atomic_inflights: w[7],
    });
    let kind = prop_oneof![
        Just(ObjKind::LdbQueue),
        Just(ObjKind::LdbPort),
        Just(ObjKind::DirPort)
    ];
    prop_oneof![
        any::<(u32, u32)>().prop_map(|(min, max)| Request::Register { min, max }),
        Just(Request::Unregister),
        Just(Request::GetResources),
        (any::<u32>(), res).prop_map(|(domain, res)| Request::DomainCommit { domain, res }),
        any::<u32>().prop_map(|domain| Request::DomainRelease { domain }),
        (any::<u32>(), any::<bool>())
            .prop_map(|(domain, start)| Request::DomainStart { domain, start }),
        any::<u32>().prop_map(|domain| Request::DomainReset { domain }),
        (
            any::<(u32, u32)>(),
            proptest::option::of(any::<(u8, u16)>()),
            proptest::option::of(any::<(u8, u16)>()),
            attrs()
        )
            .prop_map(|((domain, queue), sn, group_mode, attrs)| {
                Request::LdbQueueCommit {
                    domain,
                    queue,
                    sn,
                    group_mode,
                    attrs,
                }
            }),
        (any::<[u32; 4]>(), attrs()).prop_map(|(w, attrs)| Request::LdbPortCommit {
            domain: w[0],
            port: w[1],
            hist_list_base: w[2],
            hist_list_size: w[3],
            attrs,
        }),
        (any::<(u32, u32)>(), attrs()).prop_map(|((domain, port), attrs)| {
            Request::DirPortCommit {
                domain,
                port,
                attrs,
            }
        }),
        (kind, any::<u32>()).prop_map(|(kind, id)| Request::Unassign { kind, id }),
        (
            any::<(u32, u32)>(),
            proptest::option::of((0u32..0x8000_0000, any::<u32>()))
        )
            .prop_map(|((port, slot), link)| Request::WriteLink { port, slot, link }),
    ]
}

fn encoded(r: &Request, tag: u16) -> Vec<u32> {
    let mut buf = [0u32; MSG_WORDS];
    let n = r.encode(tag, &mut buf);
    buf[..n].to_vec()
}

proptest! {
    #[test]
    fn every_request_round_trips_and_fits_the_mailbox(r in request(), tag in any::<u16>()) {
        let w = encoded(&r, tag);
        prop_assert!(w.len() * 4 <= MBOX_MSG_MAX);
        prop_assert_eq!(w.len(), 1 + r.opcode().payload_words());
        prop_assert_eq!(Request::header(&w), Ok((tag, Some(r.opcode()))));
        prop_assert_eq!(Request::decode(&w), Ok((tag, r)));
    }

    #[test]
    fn any_other_length_is_bad_length(r in request(), tag in any::<u16>(), len in 1usize..=MSG_WORDS) {
        let mut w = encoded(&r, tag);
        prop_assume!(len != w.len());
        w.resize(len, 0);
        prop_assert_eq!(Request::decode(&w), Err(DecodeError::Status(tag, Status::BadLength)));
    }

    #[test]
    fn reserved_header_bits_are_an_unknown_command(r in request(), tag in any::<u16>(), bits in 1u32..=0xff) {
        let mut w = encoded(&r, tag);
        w[0] |= bits << 8;
        prop_assert_eq!(Request::decode(&w), Err(DecodeError::Status(tag, Status::UnknownCommand)));
    }

    #[test]
    fn arbitrary_words_decode_or_fail_without_panicking(w in proptest::collection::vec(any::<u32>(), 0..=MSG_WORDS)) {
        match Request::decode(&w) {
            Ok((tag, r)) => prop_assert_eq!(encoded(&r, tag), w),
            Err(DecodeError::NoHeader) => prop_assert!(w.is_empty()),
            Err(DecodeError::Status(tag, s)) => {
                prop_assert_eq!(tag, (w[0] >> 16) as u16);
                prop_assert!(matches!(s, Status::UnknownCommand | Status::BadLength | Status::Invalid));
            }
        }
    }

    #[test]
    fn replies_round_trip_and_late_ones_are_stale(
        tag in any::<u16>(),
        other in any::<u16>(),
        si in 0usize..Status::ALL.len(),
        payload in proptest::collection::vec(any::<u32>(), 0..MSG_WORDS),
    ) {
        let status = Status::ALL[si];
        let mut buf = [0u32; MSG_WORDS];
        let n = encode_reply(tag, status, &payload, &mut buf);
        prop_assert_eq!(n, 1 + payload.len());
        prop_assert_eq!(decode_reply(&buf[..n], tag), Ok((status, &payload[..])));
        prop_assume!(other != tag);
        prop_assert_eq!(decode_reply(&buf[..n], other), Err(ReplyError::Stale));
    }

    #[test]
    fn negotiation_picks_the_highest_common_version(a in 0u32..8, b in 0u32..8, c in 0u32..8, d in 0u32..8) {
        let common: Vec<u32> = (0..8).filter(|v| (a..=b).contains(v) && (c..=d).contains(v)).collect();
        prop_assert_eq!(negotiate(a, b, c, d), common.last().copied());
    }
}

#[test]
fn unknown_opcodes_are_unknown_command_with_the_tag() {
    let known: Vec<u8> = Opcode::ALL.iter().map(|o| *o as u8).collect();
    for op in (0..=u8::MAX).filter(|o| !known.contains(o)) {
        let w = [u32::from(op) | 0x1234 << 16, 0, 0];
        assert_eq!(
            Request::decode(&w),
            Err(DecodeError::Status(0x1234, Status::UnknownCommand)),
            "opcode {op:#x}"
        );
    }
    assert_eq!(Request::decode(&[]), Err(DecodeError::NoHeader));
}

#[test]
fn out_of_range_fields_are_invalid() {
    let invalid = |w: &[u32]| {
        assert_eq!(
            Request::decode(w),
            Err(DecodeError::Status(7, Status::Invalid)),
            "{w:x?}"
        )
    };
    let h = |op: Opcode| u32::from(op as u8) | 7 << 16;
    // start must be 0 or 1.
    invalid(&[h(Opcode::DomainStart), 0, 2]);
    // Unknown object kind.
    invalid(&[h(Opcode::Unassign), 3, 0]);
    // sn / group_mode: non-zero without VALID, or reserved bits 30:24.
    let mut q = vec![h(Opcode::LdbQueueCommit), 0, 0, 5, 0];
    q.extend([0; 8]);
    invalid(&q);
    q[3] = 0x8100_0000;
    invalid(&q);
    q[3] = 0;
    q[4] = 0x0001_0040;
    invalid(&q);
    // An empty link slot with a priority.
    invalid(&[h(Opcode::WriteLink), 0, 0, 0, 3]);
}

#[test]
fn status_codes_are_the_documented_ones_with_their_errnos() {
    let table = [
        (Status::Ok, 0, 0),
        (Status::UnknownCommand, 1, 95),
        (Status::BadLength, 2, 90),
        (Status::BadVersion, 3, 71),
        (Status::NotRegistered, 4, 107),
        (Status::Invalid, 5, 22),
        (Status::NoSpace, 6, 28),
        (Status::Busy, 7, 16),
        (Status::NotFound, 8, 2),
        (Status::DeviceError, 9, 5),
    ];
    assert_eq!(table.len(), Status::ALL.len());
    for (s, code, errno) in table {
        assert_eq!((s as u16, s.errno()), (code, errno), "{s:?}");
        assert_eq!(Status::from_u16(code), Some(s));
    }
    assert_eq!(Status::from_u16(10), None);
    let unknown = [0x000a_0000 | 10];
    assert_eq!(
        decode_reply(&unknown, 10),
        Err(ReplyError::UnknownStatus(10))
    );
}

#[test]
fn resources_round_trip_and_accept_longer_replies() {
    let r = Resources {
        domains: 1,
        ldb_queues: 2,
        ldb_ports: 3,
        dir_ports: 4,
        ldb_credits: 5,
        dir_credits: 6,
        hist_list_entries: 7,
        atomic_inflights: 8,
        sn_groups: 9,
        sn_per_group: 10,
        max_queues_per_port: 11,
        priorities: 12,
    };
    let mut w = r.to_words().to_vec();
    assert_eq!(Resources::from_words(&w), Some(r));
    w.push(99);
    assert_eq!(Resources::from_words(&w), Some(r));
    assert_eq!(Resources::from_words(&w[..RESOURCES_WORDS - 1]), None);
}

#[test]
fn pf_messages_round_trip_and_unknown_ones_are_ignored() {
    let msgs = [
        PfMsg::Alert {
            domain: 3,
            code: AlertCode::VfReset,
        },
        PfMsg::Alert {
            domain: 0,
            code: AlertCode::DeviceReset,
        },
        PfMsg::PreReset {
            reason: ResetReason::PfGone,
        },
        PfMsg::PreReset {
            reason: ResetReason::DeviceReset,
        },
    ];
    for m in msgs {
        let mut buf = [0u32; PF_MSG_WORDS];
        let n = m.encode(&mut buf);
        assert!(n * 4 <= MBOX_PF_MSG_MAX);
        assert_eq!(PfMsg::decode(&buf[..n]), Some(m));
        // Later versions may append words.
        assert_eq!(PfMsg::decode(&buf[..n + 1]), Some(m));
        assert_eq!(PfMsg::decode(&buf[..n - 1]), None, "{m:?} cut short");
    }
    assert_eq!(PfMsg::decode(&[0x82, 0]), None);
    assert_eq!(PfMsg::decode(&[0x80, 0, 3]), None);
    assert_eq!(PfMsg::decode(&[0x181, 1]), None);
    assert_eq!(PfMsg::decode(&[]), None);
}

// SPDX-License-Identifier: GPL-2.0

//! What the driver accepts as configfs attribute input: every u32 in
//! decimal or 0x-hex with an optional newline, and nothing else.

use lbdx_logic::attr_value::{parse_link, parse_u32, parse_u32_in, LinkRequest, MAX_INPUT};
use proptest::prelude::*;

#[test]
fn numbers_with_and_without_newline() {
    assert_eq!(parse_u32(b"0"), Some(0));
    assert_eq!(parse_u32(b"42\n"), Some(42));
    assert_eq!(parse_u32(b"0x1f\n"), Some(31));
    assert_eq!(parse_u32(b"0XFF"), Some(255));
    assert_eq!(parse_u32(b"4294967295"), Some(u32::MAX));
}

#[test]
fn bad_input_is_refused() {
    for bad in [
        &b""[..],
        b"\n",
        b"abc",
        b"-1",
        b"+1",
        b" 1",
        b"1 ",
        b"1x",
        b"0x",
        b"1\n\n",
        b"4294967296",
        b"0x100000000",
        b"000000000000000000000000000000001",
    ] {
        assert_eq!(
            parse_u32(bad),
            None,
            "{:?} was accepted",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn ranges_are_inclusive() {
    assert_eq!(parse_u32_in(b"8", 8, 1024), Some(8));
    assert_eq!(parse_u32_in(b"1024", 8, 1024), Some(1024));
    assert_eq!(parse_u32_in(b"7", 8, 1024), None);
    assert_eq!(parse_u32_in(b"1025", 8, 1024), None);
}

#[test]
fn link_lines() {
    assert_eq!(parse_link(b"q0 3\n"), Some(LinkRequest::Link(b"q0", 3)));
    assert_eq!(parse_link(b"-q0\n"), Some(LinkRequest::Unlink(b"q0")));
    for bad in [
        &b""[..],
        b"q0",
        b"q0 ",
        b" 3",
        b"q0 x",
        b"-",
        b"q0 1 2",
        b"a/b 1",
    ] {
        assert_eq!(
            parse_link(bad),
            None,
            "{:?} was accepted",
            String::from_utf8_lossy(bad)
        );
    }
}

proptest! {
    #[test]
    fn every_u32_round_trips(v: u32, hex: bool, nl: bool) {
        let mut s = if hex { format!("{v:#x}") } else { v.to_string() };
        if nl { s.push('\n'); }
        prop_assert_eq!(parse_u32(s.as_bytes()), Some(v));
    }

    #[test]
    fn accepted_input_is_a_number(input in proptest::collection::vec(any::<u8>(), 0..40)) {
        if let Some(v) = parse_u32(&input) {
            prop_assert!(input.len() <= MAX_INPUT);
            let s = String::from_utf8(input.clone()).unwrap();
            let t = s.strip_suffix('\n').unwrap_or(&s);
            let expect = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                Some(h) => u32::from_str_radix(h, 16).ok(),
                None => t.parse::<u32>().ok().filter(|_| !t.starts_with('+')),
            };
            prop_assert_eq!(Some(v), expect);
        }
    }
}

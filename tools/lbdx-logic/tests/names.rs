// SPDX-License-Identifier: GPL-2.0

//! The names the driver accepts for domains, queues and ports (mkdir and
//! `links` writes) and lbdxctl checks before it touches the tree: 1 to 64
//! bytes of `[A-Za-z0-9_.-]`, not starting with `.` or `-`.

use lbdx_logic::attr_value::{check_name, parse_link, BadName, LinkRequest, NAME_MAX};
use proptest::prelude::*;

#[test]
fn good_names() {
    let longest = "a".repeat(NAME_MAX);
    for good in [
        "a", "0", "_", "q0", "Q_1", "a.b", "a-b", "a...", "a.-_", &longest,
    ] {
        assert_eq!(check_name(good.as_bytes()), Ok(()), "{good:?} was refused");
    }
}

#[test]
fn bad_names_and_why() {
    assert_eq!(check_name(b""), Err(BadName::Empty));
    assert_eq!(
        check_name("a".repeat(NAME_MAX + 1).as_bytes()),
        Err(BadName::TooLong)
    );
    assert_eq!(
        check_name("a".repeat(255).as_bytes()),
        Err(BadName::TooLong)
    );
    for start in ["-", "-a", ".", "..", "...", ".a", "-.", ".-a"] {
        assert_eq!(
            check_name(start.as_bytes()),
            Err(BadName::BadStart),
            "{start:?}"
        );
    }
    for (bad, byte, at) in [
        ("a b", b' ', 1),
        ("a;b", b';', 1),
        ("a:b", b':', 1),
        ("a,b", b',', 1),
        ("a=b", b'=', 1),
        ("a\nb", b'\n', 1),
        ("a\tb", b'\t', 1),
        ("ab\n", b'\n', 2),
        ("a/b", b'/', 1),
        ("a\0b", 0, 1),
        ("\u{e9}", 0xc3, 0),
        ("a\u{e9}", 0xc3, 1),
        (" a", b' ', 0),
    ] {
        assert_eq!(
            check_name(bad.as_bytes()),
            Err(BadName::BadByte(byte, at)),
            "{bad:?}"
        );
    }
}

#[test]
fn reasons_are_printable() {
    assert_eq!(BadName::Empty.to_string(), "empty name");
    assert_eq!(BadName::TooLong.to_string(), "longer than 64 bytes");
    assert_eq!(
        BadName::BadByte(b' ', 1).to_string(),
        "byte 0x20 at offset 1 is not one of A-Z a-z 0-9 _ . -"
    );
}

#[test]
fn links_take_the_same_names() {
    let longest = "q".repeat(NAME_MAX);
    let line = format!("{longest} 7\n");
    assert_eq!(
        parse_link(line.as_bytes()),
        Some(LinkRequest::Link(longest.as_bytes(), 7))
    );
    assert_eq!(
        parse_link(format!("-{longest}").as_bytes()),
        Some(LinkRequest::Unlink(longest.as_bytes()))
    );
    for bad in [
        &b"-a b"[..],
        b"--a",
        b"-.a",
        b".a 0",
        b"a\nb 0",
        b"a\tb 0",
        b"a;b 0",
        b"\xc3\xa9 0",
        b"-a\nb",
    ] {
        assert_eq!(
            parse_link(bad),
            None,
            "{:?} was accepted",
            String::from_utf8_lossy(bad)
        );
    }
    let too_long = format!("{} 0", "q".repeat(NAME_MAX + 1));
    assert_eq!(parse_link(too_long.as_bytes()), None);
}

/// The rule, written out differently: the reference for the properties.
fn rule(name: &[u8]) -> bool {
    (1..=NAME_MAX).contains(&name.len())
        && name
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || b"_.-".contains(c))
        && !matches!(name[0], b'.' | b'-')
}

proptest! {
    #[test]
    fn any_bytes_follow_the_rule(name in proptest::collection::vec(any::<u8>(), 0..80)) {
        prop_assert_eq!(check_name(&name).is_ok(), rule(&name));
    }

    #[test]
    fn names_from_the_set_follow_the_rule(name in "[A-Za-z0-9_.-]{0,70}") {
        prop_assert_eq!(check_name(name.as_bytes()).is_ok(), rule(name.as_bytes()));
    }

    #[test]
    fn accepted_names_link_and_unlink(name in "[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}", prio in 0u32..8) {
        prop_assert_eq!(check_name(name.as_bytes()), Ok(()));
        let line = format!("{name} {prio}\n");
        prop_assert_eq!(parse_link(line.as_bytes()), Some(LinkRequest::Link(name.as_bytes(), prio)));
        let line = format!("-{name}\n");
        prop_assert_eq!(parse_link(line.as_bytes()), Some(LinkRequest::Unlink(name.as_bytes())));
        // What `links` shows reads back as the same link, and one line.
        let shown = format!("{name} {prio}\n");
        prop_assert_eq!(shown.lines().count(), 1);
        prop_assert_eq!(shown.split(' ').next(), Some(name.as_str()));
    }

    #[test]
    fn refused_names_never_link(name in proptest::collection::vec(any::<u8>(), 0..80), prio in 0u32..8) {
        prop_assume!(!rule(&name));
        let mut line = name.clone();
        line.extend_from_slice(format!(" {prio}").as_bytes());
        if let Some(LinkRequest::Link(q, _)) = parse_link(&line) {
            // Only a name that itself holds " <digits>" could parse, and
            // then as a shorter, accepted name.
            prop_assert!(rule(q) && q.len() < name.len());
        }
        let mut line = b"-".to_vec();
        line.extend_from_slice(&name);
        // "-" + name with a trailing newline strips that one newline.
        if let Some(LinkRequest::Unlink(q)) = parse_link(&line) {
            prop_assert!(rule(q));
            prop_assert_eq!(name.strip_suffix(b"\n"), Some(q));
        }
    }
}

// SPDX-License-Identifier: GPL-2.0

//! Parsing what an operator writes to a configfs attribute. Kernel-free
//! (`core` only), shared with the host tests.
//!
//! A number is decimal or `0x`-prefixed hexadecimal, optionally followed by
//! one newline: no sign, no spaces, at most [`MAX_INPUT`] bytes. Anything
//! else is refused, so that a bad write changes nothing.
//!
//! A name (of a domain, queue or port directory, and of a queue in a
//! `links` write) is [`check_name`]'s: 1 to [`NAME_MAX`] bytes of ASCII
//! letters, digits, `_`, `.` and `-`, the first not `.` or `-`. So a name
//! never holds white space, a separator or a control character, `links`
//! lines (`"<queue> <priority>"`) read back unambiguously, `"-<queue>"` is
//! always an unlink, and no name is `.`, `..` or hidden.

/// Longest input accepted, in bytes, newline included.
pub const MAX_INPUT: usize = 32;

/// `input` without one trailing newline, if it is not too long.
fn trimmed(input: &[u8]) -> Option<&[u8]> {
    if input.len() > MAX_INPUT {
        return None;
    }
    Some(input.strip_suffix(b"\n").unwrap_or(input))
}

/// Parses a `u32` written to an attribute.
pub fn parse_u32(input: &[u8]) -> Option<u32> {
    let s = trimmed(input)?;
    let (digits, radix) = match s.strip_prefix(b"0x").or_else(|| s.strip_prefix(b"0X")) {
        Some(hex) => (hex, 16),
        None => (s, 10),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: u32 = 0;
    for &c in digits {
        let d = (c as char).to_digit(radix)?;
        v = v.checked_mul(radix)?.checked_add(d)?;
    }
    Some(v)
}

/// Parses a `u32` that must lie in `min..=max`.
pub fn parse_u32_in(input: &[u8], min: u32, max: u32) -> Option<u32> {
    parse_u32(input).filter(|v| (min..=max).contains(v))
}

/// Longest name of a domain, queue or port, in bytes.
pub const NAME_MAX: usize = 64;

/// Why [`check_name`] refused a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadName {
    /// No bytes.
    Empty,
    /// More than [`NAME_MAX`] bytes.
    TooLong,
    /// Starts with `.` or `-`.
    BadStart,
    /// Holds this byte, which no name may (at this byte offset).
    BadByte(u8, usize),
}

impl core::fmt::Display for BadName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Empty => f.write_str("empty name"),
            Self::TooLong => write!(f, "longer than {NAME_MAX} bytes"),
            Self::BadStart => f.write_str("starts with '.' or '-'"),
            Self::BadByte(b, at) => write!(
                f,
                "byte {b:#04x} at offset {at} is not one of A-Z a-z 0-9 _ . -"
            ),
        }
    }
}

/// Whether `c` may appear in a name.
const fn name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-')
}

/// Checks the name of a domain, queue or port: 1 to [`NAME_MAX`] bytes of
/// `[A-Za-z0-9_.-]`, not starting with `.` or `-`.
pub fn check_name(name: &[u8]) -> Result<(), BadName> {
    let first = *name.first().ok_or(BadName::Empty)?;
    if name.len() > NAME_MAX {
        return Err(BadName::TooLong);
    }
    if let Some(at) = name.iter().position(|&c| !name_byte(c)) {
        return Err(BadName::BadByte(name[at], at));
    }
    if first == b'.' || first == b'-' {
        return Err(BadName::BadStart);
    }
    Ok(())
}

/// A write to a port's `links`: link `queue` with a priority, or unlink it.
#[derive(Debug, PartialEq, Eq)]
pub enum LinkRequest<'a> {
    /// `"<queue> <priority>"`.
    Link(&'a [u8], u32),
    /// `"-<queue>"`.
    Unlink(&'a [u8]),
}

/// Parses a write to a port's `links`: `"<queue> <priority>"` or
/// `"-<queue>"`, optionally followed by one newline, `<queue>` a name
/// [`check_name`] accepts.
pub fn parse_link(input: &[u8]) -> Option<LinkRequest<'_>> {
    let s = input.strip_suffix(b"\n").unwrap_or(input);
    if s.is_empty() || s.len() > NAME_MAX + 1 + 10 {
        return None;
    }
    if let Some(name) = s.strip_prefix(b"-") {
        return valid_name(name).then_some(LinkRequest::Unlink(name));
    }
    let sp = s.iter().position(|&c| c == b' ')?;
    let (name, prio) = (&s[..sp], &s[sp + 1..]);
    (valid_name(name)).then_some(())?;
    Some(LinkRequest::Link(name, parse_u32(prio)?))
}

fn valid_name(name: &[u8]) -> bool {
    check_name(name).is_ok()
}

// SPDX-License-Identifier: GPL-2.0

//! Parsing what an operator writes to a configfs attribute. Kernel-free
//! (`core` only), shared with the host tests.
//!
//! A number is decimal or `0x`-prefixed hexadecimal, optionally followed by
//! one newline: no sign, no spaces, at most [`MAX_INPUT`] bytes. Anything
//! else is refused, so that a bad write changes nothing.

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

/// A write to a port's `links`: link `queue` with a priority, or unlink it.
#[derive(Debug, PartialEq, Eq)]
pub enum LinkRequest<'a> {
    /// `"<queue> <priority>"`.
    Link(&'a [u8], u32),
    /// `"-<queue>"`.
    Unlink(&'a [u8]),
}

/// Parses a write to a port's `links` (names are at most 64 bytes).
pub fn parse_link(input: &[u8]) -> Option<LinkRequest<'_>> {
    let s = input.strip_suffix(b"\n").unwrap_or(input);
    if s.is_empty() || s.len() > 64 + 1 + 10 {
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
    !name.is_empty() && name.len() <= 64 && !name.iter().any(|&c| c == b' ' || c == b'/' || c == 0)
}

// SPDX-License-Identifier: GPL-2.0

//! KUnit tests of the data plane's decoding as the kernel builds it: the
//! mmap offsets of `uapi.rs` (every area round-trips, nothing between
//! areas decodes) and the configfs `owner` and `mode` parsers.

#[kernel::macros::kunit_tests(lbdx_hlb_dataplane)]
mod tests {
    use crate::hlb::{
        configfs::{octal_mode, owner},
        uapi::{self, Area},
    };
    use kernel::prelude::*;

    #[test]
    fn mmap_offsets_round_trip() {
        assert_eq!(uapi::area(uapi::CREDITS_OFFSET), Some(Area::Credits));
        for kind in [uapi::PORT_LDB, uapi::PORT_DIR] {
            for id in [0, 1, 63, 127, 255] {
                let s = uapi::slot(kind, id);
                assert_eq!(uapi::area(uapi::pp_offset(s)), Some(Area::Producer(s)));
                assert_eq!(uapi::area(uapi::cq_offset(s)), Some(Area::Cq(s)));
                assert_eq!(s / 256, kind);
                assert_eq!(s % 256, id);
            }
        }
    }

    #[test]
    fn offsets_between_areas_do_not_decode() {
        for off in [
            4096u64,
            1 << 19,
            (1 << 20) + 4096,
            (1 << 20) + (1 << 19) + 4096,
        ] {
            assert_eq!(uapi::area(off), None);
        }
        assert_eq!(uapi::area(!0xfff_u64), None);
    }

    #[test]
    fn owner_parses_uid_and_gid() -> Result {
        assert_eq!(owner(b"1000:100\n")?, (1000, 100));
        assert_eq!(owner(b"7")?, (7, 0));
        for bad in [
            &b""[..],
            b":",
            b"1:",
            b":1",
            b"-1:0",
            b"a:b",
            b"4294967295:0",
            b"1:2:3",
        ] {
            assert_eq!(owner(bad).err(), Some(EINVAL));
        }
        Ok(())
    }

    #[test]
    fn mode_parses_octal_permission_bits() -> Result {
        assert_eq!(octal_mode(b"0660\n")?, 0o660);
        assert_eq!(octal_mode(b"600")?, 0o600);
        assert_eq!(octal_mode(b"0")?, 0);
        for bad in [&b""[..], b"8", b"1777", b"07777", b"0x1ff", b"rw"] {
            assert_eq!(octal_mode(bad).err(), Some(EINVAL));
        }
        Ok(())
    }
}

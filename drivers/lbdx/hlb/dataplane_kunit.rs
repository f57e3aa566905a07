// SPDX-License-Identifier: GPL-2.0

//! KUnit tests of the data plane's decoding as the kernel builds it: the
//! mmap offsets of `uapi.rs` (every area round-trips, nothing between
//! areas decodes), the configfs `owner` and `mode` parsers, and the credit
//! page (`credit_page.rs`) as the domain's processes and the kernel share
//! it.

#[kernel::macros::kunit_tests(lbdx_hlb_dataplane)]
mod tests {
    use crate::hlb::{
        configfs::{octal_mode, owner},
        credit_page::CreditPage,
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

    #[test]
    fn the_credit_page_keeps_pools_and_ledgers_as_the_abi_says() -> Result {
        let page = CreditPage::new()?;
        let last = uapi::ledger_offset(uapi::PORT_DIR, 127);
        assert_eq!(last + 8, uapi::CREDIT_PAGE_SIZE);
        // Filled: both pools set, every ledger zero.
        page.set_word(last, 0xffff_ffff);
        page.fill(1024, 256);
        assert_eq!((page.word(0), page.word(4)), (1024, 256));
        assert_eq!(page.word(last), 0);
        // Credits given back go to the pool named; 0 changes nothing.
        page.give(false, 5);
        page.give(true, 0);
        page.give(true, 3);
        assert_eq!((page.word(0), page.word(4)), (1029, 259));
        // A process's ledger: LDB and DIR credits held (16 bits each, in
        // that order), then the CQ entries credited.
        let off = uapi::ledger_offset(uapi::PORT_LDB, 3);
        page.set_word(off, u32::from_ne_bytes([7, 0, 2, 0]));
        page.set_word(off + 4, 9);
        let l = page.ledger(uapi::PORT_LDB, 3);
        assert_eq!((l.held, l.cq_credited), ([7, 2], 9));
        // Another port's ledger is its own.
        let other = page.ledger(uapi::PORT_DIR, 3);
        assert_eq!((other.held, other.cq_credited), ([0, 0], 0));
        page.clear_ledger(uapi::PORT_LDB, 3);
        let l = page.ledger(uapi::PORT_LDB, 3);
        assert_eq!((l.held, l.cq_credited), ([0, 0], 0));
        assert_eq!((page.word(0), page.word(4)), (1029, 259));
        Ok(())
    }
}

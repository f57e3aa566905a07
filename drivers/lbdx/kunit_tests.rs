// SPDX-License-Identifier: GPL-2.0

//! KUnit tests of the module's kernel-free pieces as the kernel builds them:
//! register encodings and the text the sysfs attributes show.

#[kernel::macros::kunit_tests(lbdx_hw)]
mod tests {
    use crate::hw::{dxe_regs, hlb_regs};
    use kernel::str::Formatter;

    /// The `caps` attribute text for `ops`, in `buf`.
    fn caps_text(ops: u32, buf: &mut [u8; 64]) -> &str {
        let mut out = Formatter::new(buf);
        assert!(dxe_regs::write_caps(ops, &mut out).is_ok());
        let len = out.bytes_written();
        core::str::from_utf8(&buf[..len]).unwrap_or("<not utf-8>")
    }

    #[test]
    fn version_fields_round_trip() {
        let v = hlb_regs::version(1, 7);
        assert_eq!(hlb_regs::version_major(v), 1);
        assert_eq!(hlb_regs::version_minor(v), 7);
        assert_eq!(v, 0x0001_0007);
    }

    #[test]
    fn descriptor_round_trips_through_ring_layout() {
        let d = dxe_regs::Descriptor {
            opcode: dxe_regs::Opcode::Xor as u8,
            flags: dxe_regs::DESC_FLAG_INTR,
            nsrc: 3,
            len: 4096,
            dst: 0x1000,
            src: 0x2000,
            completion: 0x3000,
            cookie: 0xdead_beef,
        };
        let b = d.to_bytes();
        assert_eq!(b[0], 3);
        assert_eq!(&b[4..8], &4096u32.to_le_bytes());
        assert_eq!(dxe_regs::Descriptor::from_bytes(&b), Ok(d));
    }

    #[test]
    fn descriptor_with_reserved_bytes_is_rejected() {
        let mut b = dxe_regs::Descriptor::default().to_bytes();
        b[63] = 1;
        assert_eq!(
            dxe_regs::Descriptor::from_bytes(&b),
            Err(dxe_regs::CompletionStatus::ReservedNonZero)
        );
    }

    #[test]
    fn caps_text_lists_set_bits_in_order() {
        let mut buf = [0u8; 64];
        assert_eq!(
            caps_text(dxe_regs::CAP_ALL, &mut buf),
            "copy,fill,xor,xor_val,intr"
        );
        assert_eq!(
            caps_text(dxe_regs::CAP_XOR | dxe_regs::CAP_COPY, &mut buf),
            "copy,xor"
        );
        assert_eq!(caps_text(0, &mut buf), "");
    }
}

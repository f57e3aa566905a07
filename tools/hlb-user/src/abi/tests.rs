// SPDX-License-Identifier: GPL-2.0

//! Checks the Rust transcription against the C header: a small C program
//! compiled against `include/uapi/linux/lbdx_hlb.h` prints sizes, offsets
//! and ioctl numbers, which must equal the Rust ones.

use super::*;
use core::mem::{offset_of, size_of};
use std::path::PathBuf;
use std::process::Command;

const PROGRAM: &str = r#"
#include <stdio.h>
#include <stddef.h>
#include <linux/lbdx_hlb.h>
#define S(t) printf(#t " %zu\n", sizeof(struct t))
#define O(t, f) printf(#t "." #f " %zu\n", offsetof(struct t, f))
int main(void)
{
	S(lbdx_hlb_domain_info); S(lbdx_hlb_credit_page); S(lbdx_hlb_port_attach);
	S(lbdx_hlb_arm); S(lbdx_hlb_alert); S(lbdx_hlb_port_ledger); S(lbdx_hlb_link);
	O(lbdx_hlb_domain_info, credits_offset); O(lbdx_hlb_domain_info, num_dir_ports);
	O(lbdx_hlb_credit_page, dir_credits); O(lbdx_hlb_port_ledger, cq_credited);
	O(lbdx_hlb_port_attach, cq_depth); O(lbdx_hlb_port_attach, pp_offset);
	O(lbdx_hlb_port_attach, cq_offset); O(lbdx_hlb_port_attach, pp_size);
	O(lbdx_hlb_port_attach, cq_size);
	O(lbdx_hlb_arm, read_index);
	O(lbdx_hlb_alert, dropped); O(lbdx_hlb_alert, timestamp_ns);
	O(lbdx_hlb_link, queue_id); O(lbdx_hlb_link, pending);
	printf("DOMAIN_INFO %u\n", (unsigned)LBDX_HLB_IOC_DOMAIN_INFO);
	printf("ATTACH %u\n", (unsigned)LBDX_HLB_IOC_ATTACH);
	printf("ARM %u\n", (unsigned)LBDX_HLB_IOC_ARM);
	printf("LINK %u\n", (unsigned)LBDX_HLB_IOC_LINK);
	printf("UNLINK %u\n", (unsigned)LBDX_HLB_IOC_UNLINK);
	printf("UNLINKS_PENDING %u\n", (unsigned)LBDX_HLB_IOC_UNLINKS_PENDING);
	printf("ABI %u\n", (unsigned)LBDX_HLB_ABI_VERSION);
	printf("PP_SIZE %u\n", (unsigned)LBDX_HLB_PP_SIZE);
	printf("SLOTS %u\n", (unsigned)LBDX_HLB_QE_RING_SLOTS);
	printf("DOORBELL %u\n", (unsigned)LBDX_HLB_DOORBELL_OFFSET);
	printf("LEDGER %u\n", (unsigned)LBDX_HLB_LEDGER_OFFSET);
	printf("LDB %u\nDIR %u\n", LBDX_HLB_PORT_LDB, LBDX_HLB_PORT_DIR);
	return 0;
}
"#;

fn expected() -> Vec<(&'static str, u64)> {
    vec![
        ("lbdx_hlb_domain_info", size_of::<DomainInfo>() as u64),
        ("lbdx_hlb_credit_page", size_of::<CreditPage>() as u64),
        ("lbdx_hlb_port_attach", size_of::<PortAttach>() as u64),
        ("lbdx_hlb_arm", size_of::<Arm>() as u64),
        ("lbdx_hlb_alert", size_of::<Alert>() as u64),
        ("lbdx_hlb_port_ledger", size_of::<PortLedger>() as u64),
        ("lbdx_hlb_link", size_of::<Link>() as u64),
        (
            "lbdx_hlb_domain_info.credits_offset",
            offset_of!(DomainInfo, credits_offset) as u64,
        ),
        (
            "lbdx_hlb_domain_info.num_dir_ports",
            offset_of!(DomainInfo, num_dir_ports) as u64,
        ),
        (
            "lbdx_hlb_credit_page.dir_credits",
            offset_of!(CreditPage, dir_credits) as u64,
        ),
        (
            "lbdx_hlb_port_ledger.cq_credited",
            offset_of!(PortLedger, cq_credited) as u64,
        ),
        (
            "lbdx_hlb_port_attach.cq_depth",
            offset_of!(PortAttach, cq_depth) as u64,
        ),
        (
            "lbdx_hlb_port_attach.pp_offset",
            offset_of!(PortAttach, pp_offset) as u64,
        ),
        (
            "lbdx_hlb_port_attach.cq_offset",
            offset_of!(PortAttach, cq_offset) as u64,
        ),
        (
            "lbdx_hlb_port_attach.pp_size",
            offset_of!(PortAttach, pp_size) as u64,
        ),
        (
            "lbdx_hlb_port_attach.cq_size",
            offset_of!(PortAttach, cq_size) as u64,
        ),
        (
            "lbdx_hlb_arm.read_index",
            offset_of!(Arm, read_index) as u64,
        ),
        ("lbdx_hlb_alert.dropped", offset_of!(Alert, dropped) as u64),
        (
            "lbdx_hlb_alert.timestamp_ns",
            offset_of!(Alert, timestamp_ns) as u64,
        ),
        ("lbdx_hlb_link.queue_id", offset_of!(Link, queue_id) as u64),
        ("lbdx_hlb_link.pending", offset_of!(Link, pending) as u64),
        ("DOMAIN_INFO", LBDX_HLB_IOC_DOMAIN_INFO as u64),
        ("ATTACH", LBDX_HLB_IOC_ATTACH as u64),
        ("ARM", LBDX_HLB_IOC_ARM as u64),
        ("LINK", LBDX_HLB_IOC_LINK as u64),
        ("UNLINK", LBDX_HLB_IOC_UNLINK as u64),
        ("UNLINKS_PENDING", LBDX_HLB_IOC_UNLINKS_PENDING as u64),
        ("ABI", LBDX_HLB_ABI_VERSION as u64),
        ("PP_SIZE", LBDX_HLB_PP_SIZE as u64),
        ("SLOTS", LBDX_HLB_QE_RING_SLOTS as u64),
        ("DOORBELL", LBDX_HLB_DOORBELL_OFFSET as u64),
        ("LEDGER", LBDX_HLB_LEDGER_OFFSET as u64),
        ("LDB", LBDX_HLB_PORT_LDB as u64),
        ("DIR", LBDX_HLB_PORT_DIR as u64),
    ]
}

#[test]
fn matches_the_c_header() {
    let top = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let include = top.join("include/uapi");
    let dir = std::env::temp_dir().join(format!("hlb-user-abi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("abi.c");
    let exe = dir.join("abi");
    std::fs::write(&src, PROGRAM).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let built = Command::new(&cc)
        .arg("-I")
        .arg(&include)
        .arg("-o")
        .arg(&exe)
        .arg(&src)
        .output();
    let built = match built {
        Ok(o) => o,
        Err(e) => {
            eprintln!("SKIP abi::matches_the_c_header: no C compiler ({cc}: {e})");
            return;
        }
    };
    assert!(
        built.status.success(),
        "cc failed: {}",
        String::from_utf8_lossy(&built.stderr)
    );
    let out = Command::new(&exe).output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let text = String::from_utf8(out.stdout).unwrap();
    let got: Vec<(String, u64)> = text
        .lines()
        .map(|l| {
            let (k, v) = l.rsplit_once(' ').unwrap();
            (k.to_string(), v.parse().unwrap())
        })
        .collect();
    let want = expected();
    assert_eq!(got.len(), want.len());
    for ((gk, gv), (wk, wv)) in got.iter().zip(want) {
        assert_eq!(gk, wk);
        assert_eq!(*gv, wv, "{wk}: C says {gv}, Rust {wv}");
    }
}

// SPDX-License-Identifier: GPL-2.0

//! Command-line parsing and `--describe` output.

use devmodel::cli::{parse, parse_size, parse_version, Command, DeviceSpec, Kind};
use devmodel::describe;

fn devices(args: &[&str]) -> Vec<DeviceSpec> {
    match parse(args) {
        Ok(Command::Run { devices, .. }) => devices,
        other => panic!("{args:?}: {other:?}"),
    }
}

fn lines(args: &[&str]) -> Vec<String> {
    devices(args).iter().map(describe::line).collect()
}

#[test]
fn sizes() {
    assert_eq!(parse_size("0"), Ok(0));
    assert_eq!(parse_size("4096"), Ok(4096));
    assert_eq!(parse_size("4K"), Ok(4096));
    assert_eq!(parse_size("1m"), Ok(1 << 20));
    assert_eq!(parse_size("256M"), Ok(256 << 20));
    assert_eq!(parse_size("1G"), Ok(1 << 30));
    for bad in [
        "",
        "G",
        "1T",
        "1.5G",
        "-1",
        "99999999999999999999",
        "17179869184G",
    ] {
        assert!(parse_size(bad).is_err(), "{bad}");
    }
}

#[test]
fn versions() {
    assert_eq!(parse_version("1.0"), Ok(0x0001_0000));
    assert_eq!(parse_version("2.0"), Ok(0x0002_0000));
    assert_eq!(parse_version("0.0"), Ok(0));
    assert_eq!(parse_version("1.12"), Ok(0x0001_000c));
    assert_eq!(parse_version("007.010"), Ok(0x0007_000a));
    assert_eq!(parse_version("65535.65535"), Ok(u32::MAX));
    for bad in [
        "", "2", "2.", ".0", "x.0", "2.y", "1.0.0", "65536.0", "0.65536", "-1.0", "+1.0", "1K.0",
        "0x1.0", "1 .0",
    ] {
        let e = parse_version(bad).expect_err(bad);
        assert!(e.contains("MAJOR.MINOR"), "{bad}: {e}");
    }
}

#[test]
fn version_option() {
    let d = devices(&[
        "--hlb",
        "/tmp/x/hlb0.sock,version=2.0",
        "--dxe=/tmp/x/dxe0.sock,channels=1,version=3.17",
        "--dxe",
        "/tmp/x/dxe1.sock",
    ]);
    let Kind::Hlb(h) = &d[0].kind else {
        panic!("hlb")
    };
    assert_eq!(h.version, 0x0002_0000);
    let Kind::Dxe(x) = &d[1].kind else {
        panic!("dxe")
    };
    assert_eq!(x.version, 0x0003_0011);
    let l: Vec<String> = d.iter().map(describe::line).collect();
    assert!(
        l[0].starts_with("hlb0 hlb version=2.0 total_resources/"),
        "{}",
        l[0]
    );
    assert!(l[1].starts_with("dxe0 dxe version=3.17 caps="), "{}", l[1]);
    assert!(l[2].starts_with("dxe1 dxe version=1.1 caps="), "{}", l[2]);
    for bad in ["2", "2.x", "65536.0", "1.0.0", ""] {
        for kind in ["--hlb", "--dxe"] {
            let spec = format!("/tmp/v.sock,version={bad}");
            let e = parse(&[kind, &spec]).expect_err(&spec);
            assert!(
                e.contains("version: ") && e.contains(kind),
                "{kind} {spec}: {e}"
            );
        }
    }
}

#[test]
fn describe_matches_the_driver_contract() {
    let l = lines(&[
        "--hlb",
        "/tmp/x/hlb0.sock",
        "--dxe",
        "/tmp/x/dxe0.sock,rate=1G",
        "--dxe=/tmp/x/dxe1.sock,rate=256M,channels=2",
        "--describe",
    ]);
    assert_eq!(
        l,
        [
            "hlb0 hlb version=1.5 total_resources/domains=32 total_resources/ldb_queues=32 \
             total_resources/dir_ports=64 total_resources/ldb_ports=64 \
             total_resources/ldb_credits=8192 total_resources/dir_credits=4096 \
             total_resources/hist_list_entries=2048 total_resources/atomic_inflights=2048 \
             total_resources/sn_groups=2 total_resources/sn_per_group=1024 \
             total_resources/ldb_port_cos=4 total_resources/max_queues_per_port=8 \
             total_resources/priorities=8 irq_vectors=33",
            "dxe0 dxe version=1.1 caps=copy,fill,xor,xor_val,intr channels=4 max_xor_srcs=16 \
             max_xfer=1048576 max_ring_size=4096 nominal_bw=1024 irq_vectors=5",
            "dxe1 dxe version=1.1 caps=copy,fill,xor,xor_val,intr channels=2 max_xor_srcs=16 \
             max_xfer=1048576 max_ring_size=4096 nominal_bw=256 irq_vectors=3",
        ]
    );
}

#[test]
fn options_reach_the_configuration() {
    let d = devices(&[
        "--hlb",
        "/run/a/h.sock,domains=4,ldb-queues=5,dir-ports=6,ldb-ports=7,ldb-credits=1K,\
         dir-credits=9,hist-list=10,atomic-inflights=11,sn-groups=1",
        "--dxe",
        "/run/a/d.sock,channels=32,xor-srcs=255,max-xfer=64K,ring-max=256,faults=error-every=2;hang@9",
    ]);
    let Kind::Hlb(h) = &d[0].kind else {
        panic!("hlb")
    };
    assert_eq!(
        (
            h.domains,
            h.ldb_queues,
            h.dir_ports,
            h.ldb_ports,
            h.ldb_credits
        ),
        (4, 5, 6, 7, 1024)
    );
    assert_eq!(
        (h.dir_credits, h.hist_list, h.atomic_inflights, h.sn_groups),
        (9, 10, 11, 1)
    );
    let Kind::Dxe(x) = &d[1].kind else {
        panic!("dxe")
    };
    assert_eq!(
        (x.channels, x.max_xor_srcs, x.max_xfer, x.ring_max),
        (32, 255, 65536, 256)
    );
    assert_eq!((x.faults.error_every, x.faults.hang_at), (Some(2), Some(9)));
    assert_eq!(d[1].name, "d");
    assert_eq!(
        describe::line(&d[1]).split(' ').next_back(),
        Some("irq_vectors=33")
    );
}

#[test]
fn errors() {
    let bad: &[&[&str]] = &[
        &[],
        &["--describe"],
        &["--hlb"],
        &["--hlb", ""],
        &["--hlb", ",domains=3"],
        &["--hlb", "/tmp/h.sock,domains"],
        &["--hlb", "/tmp/h.sock,domains=0"],
        &["--hlb", "/tmp/h.sock,domains=x"],
        &["--hlb", "/tmp/h.sock,domains=8G"],
        &["--hlb", "/tmp/h.sock,rate=1G"],
        &["--hlb", "/tmp/h.sock,domains=65"],
        &["--hlb", "/tmp/h.sock,ldb-queues=129"],
        &["--hlb", "/tmp/h.sock,dir-ports=129"],
        &["--hlb", "/tmp/h.sock,ldb-ports=129"],
        &["--hlb", "/tmp/h.sock,sn-groups=17"],
        &["--hlb", "/tmp/h.sock,hist-list=4097"],
        &["--dxe", "/tmp/d.sock,channels=0"],
        &["--dxe", "/tmp/d.sock,channels=33"],
        &["--dxe", "/tmp/d.sock,xor-srcs=1"],
        &["--dxe", "/tmp/d.sock,xor-srcs=256"],
        &["--dxe", "/tmp/d.sock,ring-max=100"],
        &["--dxe", "/tmp/d.sock,ring-max=1"],
        &["--dxe", "/tmp/d.sock,max-xfer=0"],
        &["--dxe", "/tmp/d.sock,max-xfer=4G"],
        &["--dxe", "/tmp/d.sock,rate=fast"],
        &["--dxe", "/tmp/d.sock,faults=halt=4@1"],
        &["--dxe", "/tmp/d.sock,faults=boom"],
        &["--dxe", "/tmp/d.sock,domains=2"],
        &["--dxe", "/tmp/d.sock", "--hlb", "/tmp/d.sock"],
        &["--dxe", "/tmp/a/d.sock", "--hlb", "/tmp/b/d.sock"],
        &["--frobnicate"],
        &["--describe=yes", "--hlb", "/tmp/h.sock"],
    ];
    for args in bad {
        assert!(parse(args).is_err(), "{args:?} should fail");
    }
    let at_limits = "/tmp/h.sock,domains=64,ldb-queues=128,dir-ports=128,ldb-ports=128,\
                     sn-groups=16,hist-list=4K";
    assert!(parse(&["--hlb", at_limits]).is_ok());
    assert_eq!(parse(&["--help"]), Ok(Command::Help));
}

#[test]
fn binary_exits_2_on_bad_arguments() {
    let exe = env!("CARGO_BIN_EXE_lbdx-devmodel");
    let out = std::process::Command::new(exe)
        .args(["--dxe", "/tmp/x.sock,channels=99"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("channels must be"));
    let out = std::process::Command::new(exe)
        .args([
            "--describe",
            "--dxe",
            "/tmp/x/dxe9.sock,channels=1,rate=512K",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.starts_with("dxe9 dxe version=1.1 "), "{s}");
    assert!(s.contains(" nominal_bw=1 irq_vectors=2\n"), "{s}");
    let out = std::process::Command::new(exe)
        .args(["--describe", "--hlb", "/tmp/x/hlb9.sock,version=2.0"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.starts_with("hlb9 hlb version=2.0 "), "{s}");
    let out = std::process::Command::new(exe)
        .args(["--dxe", "/tmp/x.sock,version=1"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("version: '1' is not MAJOR.MINOR"), "{e}");
}

#[test]
fn binary_refuses_hlb_counts_beyond_the_register_map() {
    let exe = env!("CARGO_BIN_EXE_lbdx-devmodel");
    for (opt, want) in [
        (
            "domains=65",
            "domains=65 is more than the register map has room for (at most 64)",
        ),
        (
            "ldb-ports=200",
            "ldb-ports=200 is more than the register map has room for (at most 128)",
        ),
        ("sn-groups=17", "(at most 16)"),
        ("hist-list=8K", "hist-list=8192 is more than"),
    ] {
        let out = std::process::Command::new(exe)
            .args(["--describe", "--hlb", &format!("/tmp/x/hlb0.sock,{opt}")])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{opt}");
        let e = String::from_utf8_lossy(&out.stderr);
        assert!(e.contains(want), "{opt}: {e}");
    }
}

#[test]
fn vfs_option() {
    let d = devices(&[
        "--hlb",
        "/tmp/x/hlb0.sock,vfs=2",
        "--hlb",
        "/tmp/x/hlb1.sock",
    ]);
    let (Kind::Hlb(a), Kind::Hlb(b)) = (&d[0].kind, &d[1].kind) else {
        panic!("hlb")
    };
    assert_eq!((a.vfs, b.vfs), (2, 0));
    let l: Vec<String> = d.iter().map(describe::line).collect();
    // The line lists sysfs attributes only; the driver has none for VFs.
    assert_eq!(l[0].replacen("hlb0", "hlb1", 1), l[1]);
    for ok in ["0", "4"] {
        devices(&["--hlb", &format!("/tmp/v.sock,vfs={ok}")]);
    }
    for bad in ["5", "x", "-1", "1,version=1.1"] {
        let spec = format!("/tmp/v.sock,vfs={bad}");
        let e = parse(&["--hlb", &spec]).expect_err(&spec);
        assert!(e.contains("vfs"), "{spec}: {e}");
    }
    assert_eq!(
        devmodel::serve::vf_socket(std::path::Path::new("/tmp/hlb0.sock"), 1),
        std::path::PathBuf::from("/tmp/hlb0.sock.vf1")
    );
    assert!(devmodel::cli::USAGE.contains("vfs=N"));
}

#[test]
fn usage_names_the_default_versions() {
    use devmodel::{dxe_regs, hlb_regs};
    let want = format!(
        "default: the latest, hlb {}.{}, dxe {}.{}",
        hlb_regs::VERSION_MAJOR,
        hlb_regs::VERSION_MINOR,
        dxe_regs::VERSION_MAJOR,
        dxe_regs::VERSION_MINOR
    );
    let usage = devmodel::cli::USAGE.split_whitespace().collect::<Vec<_>>();
    assert!(usage.join(" ").contains(&want), "USAGE lacks '{want}'");
}

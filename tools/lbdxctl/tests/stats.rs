//! `lbdxctl stats` against the in-memory configfs and a fake sysfs: the
//! domain's totals, the port and queue tables with configfs names, a
//! function without the newest counters, unreadable files, and a domain
//! that is not running.

mod common;

use std::path::PathBuf;

use common::{fake, layout, BDF};
use lbdxctl::apply::apply;
use lbdxctl::fake::FakeConfigfs;
use lbdxctl::spec::parse;
use lbdxctl::stats::stats;

const EACCES: i32 = 13;

/// d0: queue q0, LDB port p0, DIR port dp0; the fake numbers them 1, 2 and
/// 3 in commit order.
const D0: &str = r#"
device = "0000:00:10.0"
[domain]
name = "d0"
num_ldb_queues = 1
num_ldb_ports_cos0 = 1
num_dir_ports = 1
start = true
[[queue]]
name = "q0"
[[ldb_port]]
name = "p0"
links = [ { queue = "q0", priority = 0 } ]
[[dir_port]]
name = "dp0"
"#;

/// The class device of d0 below the fake PCI sysfs.
fn class_dir() -> PathBuf {
    PathBuf::from(format!(
        "/sys/bus/pci/drivers/lbdx_hlb/{BDF}/lbdx_hlb/{BDF}:d0"
    ))
}

fn class(rest: &str) -> PathBuf {
    class_dir().join(rest)
}

fn device(rest: &str) -> PathBuf {
    PathBuf::from(format!("/sys/bus/pci/drivers/lbdx_hlb/{BDF}/stats/{rest}"))
}

/// d0 applied, started or not.
fn domain(start: bool) -> FakeConfigfs {
    let mut spec = parse(D0, "d0").expect("parses");
    spec.domain.start = start;
    let mut f = fake();
    if let Err(e) = apply(&mut f, &layout(), &spec) {
        panic!("apply failed: {} (rollback {:?})", e.error, e.rollback);
    }
    f
}

fn put(f: &mut FakeConfigfs, path: PathBuf, v: u64) {
    f.add_file(path, &format!("{v}\n"));
}

/// The class device of a running d0 as the driver shows it, with one more
/// LDB port (7) that configfs does not name.
fn sysfs(f: &mut FakeConfigfs) {
    let domain = [
        ("users", 2),
        ("drains", 1),
        ("reclaims", 0),
        ("reclaim_dropped", 0),
        ("alerts", 0),
        ("enqueued", 60000),
        ("qes", 60321),
        ("scheduled", 60000),
        ("interrupts", 517),
        ("ldb_credits_avail", 1024),
        ("dir_credits_avail", 256),
    ];
    for (name, v) in domain {
        put(f, class(&format!("stats/{name}")), v);
    }
    f.add_file(class("stats/queue_depth"), "1:0\n");
    f.add_file(class("stats/port_inflight"), "ldb2:0/0 dir3:0/0\n");
    f.add_file(class("stats/reset"), "");
    for (port, e, d) in [
        ("ldb_port2", 20000, 20000),
        ("ldb_port7", 0, 0),
        ("dir_port3", 20000, 20000),
    ] {
        for (name, v) in [
            ("enqueued", e),
            ("dequeued", d),
            ("qes", e + 3),
            ("interrupts", 12),
            ("alerts", 0),
            ("inflight", 0),
            ("cq_occupancy", 1),
            ("ldb_credits_held", 16),
            ("dir_credits_held", 0),
        ] {
            put(f, class(&format!("{port}/{name}")), v);
        }
    }
    for queue in ["ldb_queue1", "dir_queue3"] {
        put(f, class(&format!("{queue}/enqueued")), 20000);
        put(f, class(&format!("{queue}/scheduled")), 19998);
        put(f, class(&format!("{queue}/depth")), 2);
        for (k, v) in [19000, 1000, 0, 0, 0, 0, 0, 0].into_iter().enumerate() {
            put(f, class(&format!("{queue}/enqueued_prio{k}")), v);
        }
    }
    for (name, v) in [
        ("enqueued", 80000),
        ("qes", 90000),
        ("scheduled", 80000),
        ("interrupts", 900),
        ("alerts", 1),
        ("drains", 4),
        ("reclaims", 2),
    ] {
        put(f, device(name), v);
    }
    f.add_file(device("reset"), "");
}

const STARTED: &str = "\
domain d0 of 0000:00:10.0: started
  users                  2
  drains                 1
  reclaims               0
  reclaim_dropped        0
  alerts                 0
  enqueued           60000
  qes                60321
  scheduled          60000
  interrupts           517
  ldb_credits_avail   1024
  dir_credits_avail    256

ports:
  port       name  enqueued  dequeued    qes  interrupts  alerts  inflight  cq_occupancy  ldb_credits_held  dir_credits_held
  ldb_port2  p0       20000     20000  20003          12       0         0             1                16                 0
  ldb_port7  -            0         0      3          12       0         0             1                16                 0
  dir_port3  dp0      20000     20000  20003          12       0         0             1                16                 0

queues:
  queue       name  enqueued  scheduled  depth  prio0  prio1  prio2  prio3  prio4  prio5  prio6  prio7
  ldb_queue1  q0       20000      19998      2  19000   1000      0      0      0      0      0      0
  dir_queue3  dp0      20000      19998      2  19000   1000      0      0      0      0      0      0

device 0000:00:10.0, all domains since the driver bound:
  enqueued    80000
  qes         90000
  scheduled   80000
  interrupts    900
  alerts          1
  drains          4
  reclaims        2
";

#[test]
fn started_domain() {
    let mut f = domain(true);
    sysfs(&mut f);
    let text = stats(&f, &layout(), BDF, "d0").expect("stats");
    assert_eq!(text, STARTED, "got\n{text}");
}

#[test]
fn older_function_and_unknown_files() {
    // Before HLB 1.4: no enqueued, interrupts, nor queue counters; one
    // port lacks a file the others have; a file this tool does not know.
    let mut f = domain(true);
    sysfs(&mut f);
    let mut snapshot = f.snapshot();
    snapshot.retain(|p, _| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let dir = p
            .parent()
            .and_then(|d| d.file_name())
            .and_then(|n| n.to_str())
            .unwrap_or("");
        !(matches!(name, "enqueued" | "interrupts")
            || (dir.contains("_queue") && name != "depth")
            || (dir == "ldb_port7" && name == "qes"))
    });
    let mut g = fake();
    for (path, content) in snapshot {
        if let Some(c) = content {
            g.add_file(path, &c);
        }
    }
    g.add_file(class("dir_port3/zz_new"), "5\n");
    let text = stats(&g, &layout(), BDF, "d0").expect("stats");
    let lines: Vec<&str> = text.lines().collect();
    for want in [
        "  port       name  dequeued    qes  alerts  inflight  cq_occupancy  ldb_credits_held  dir_credits_held  zz_new",
        "  ldb_port2  p0       20000  20003       0         0             1                16                 0       -",
        "  ldb_port7  -            0      -       0         0             1                16                 0       -",
        "  dir_port3  dp0      20000  20003       0         0             1                16                 0       5",
        "  queue       name  depth",
        "  ldb_queue1  q0        2",
        "  scheduled  80000",
    ] {
        assert!(lines.contains(&want), "missing {want:?} in\n{text}");
    }
    assert!(
        !text.contains("queue_depth") && !text.contains("reset"),
        "{text}"
    );
    assert!(
        !text.contains("enqueued") && !text.contains("interrupts"),
        "{text}"
    );
}

#[test]
fn unreadable_files_and_no_objects() {
    let mut f = domain(true);
    for name in ["users", "alerts"] {
        put(&mut f, class(&format!("stats/{name}")), 0);
    }
    put(&mut f, class("dir_port3/dequeued"), 9);
    f.fail_at(class("stats/alerts"), EACCES);
    let text = stats(&f, &layout(), BDF, "d0").expect("stats");
    assert_eq!(
        text,
        "domain d0 of 0000:00:10.0: started\n  users   0\n  alerts  ?\n\n\
         ports:\n  port       name  dequeued\n  dir_port3  dp0          9\n\n\
         queues:\n  none\n",
        "got\n{text}"
    );
}

#[test]
fn domain_not_running() {
    let mut f = domain(false);
    let text = stats(&f, &layout(), BDF, "d0").expect("stats");
    assert_eq!(
        text,
        "domain d0 of 0000:00:10.0 is not running (state committed): no statistics\n"
    );
    // The device's totals do not need a running domain.
    put(&mut f, device("drains"), 3);
    let text = stats(&f, &layout(), BDF, "d0").expect("stats");
    assert!(
        text.ends_with("no statistics\n\ndevice 0000:00:10.0, all domains since the driver bound:\n  drains  3\n"),
        "{text}"
    );
    // Started, but the driver made no class device (no data plane).
    let f = domain(true);
    let text = stats(&f, &layout(), BDF, "d0").expect("stats");
    assert_eq!(
        text,
        format!(
            "domain d0 of 0000:00:10.0 is started but has no statistics: {} does not exist\n",
            class_dir().display()
        )
    );
}

#[test]
fn errors_name_the_path() {
    let mut f = domain(true);
    let e = stats(&f, &layout(), BDF, "nope").expect_err("no such domain");
    assert!(
        e.to_string()
            .ends_with("/domains/nope/state: ENOENT (No such file or directory)"),
        "{e}"
    );
    put(&mut f, class("stats/users"), 1);
    f.fail_at(class_dir(), EACCES);
    let e = stats(&f, &layout(), BDF, "d0").expect_err("unreadable class device");
    assert_eq!(
        e.to_string(),
        format!("{}: EACCES (Permission denied)", class_dir().display())
    );
}

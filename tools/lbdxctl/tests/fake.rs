//! The in-memory configfs itself follows the ABI rules the other tests rely
//! on (Documentation/ABI/testing/configfs-lbdx-hlb).

use std::path::{Path, PathBuf};

use lbdxctl::fake::FakeConfigfs;
use lbdxctl::tree::Tree;

const ENOENT: i32 = 2;
const EBUSY: i32 = 16;
const EEXIST: i32 = 17;
const ENODEV: i32 = 19;
const EINVAL: i32 = 22;
const ENOSPC: i32 = 28;
const ENOTEMPTY: i32 = 39;

fn errno(r: std::io::Result<()>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(e) => e.raw_os_error().unwrap_or(-1),
    }
}

fn p(s: &str) -> PathBuf {
    PathBuf::from("/c/0000:00:10.0/domains/d").join(s)
}

fn setup() -> FakeConfigfs {
    let mut f = FakeConfigfs::new("/c");
    f.bind("0000:00:10.0");
    assert_eq!(errno(f.mkdir(Path::new("/c/0000:00:11.0"))), ENODEV);
    f.mkdir(Path::new("/c/0000:00:10.0")).expect("device");
    assert_eq!(errno(f.mkdir(Path::new("/c/0000:00:10.0"))), EEXIST);
    f.mkdir(&p("")).expect("domain");
    f
}

#[test]
fn domain_mkdir_makes_groups_and_staged_attributes() {
    let f = setup();
    let mut names = f.list(&p("")).expect("list");
    names.sort();
    for n in [
        "queues",
        "ldb_ports",
        "dir_ports",
        "commit",
        "start",
        "state",
        "id",
    ] {
        assert!(names.iter().any(|x| x == n), "{n} missing: {names:?}");
    }
    assert_eq!(f.read(&p("state")).expect("state"), "staged\n");
    assert_eq!(f.read(&p("num_ldb_credits")).expect("read"), "0\n");
}

#[test]
fn commit_rules() {
    let mut f = setup();
    assert_eq!(errno(f.write(&p("num_ldb_queues"), "abc")), EINVAL);
    assert_eq!(errno(f.write(&p("num_ldb_queues"), "")), EINVAL);
    f.write(&p("num_ldb_queues"), "0x2\n").expect("hex");
    assert_eq!(f.read(&p("num_ldb_queues")).expect("read"), "2\n");
    f.mkdir(&p("queues/q")).expect("queue");
    assert_eq!(errno(f.write(&p("queues/q/commit"), "1\n")), EINVAL);
    assert_eq!(errno(f.write(&p("start"), "1\n")), EINVAL);
    f.write(&p("commit"), "1\n").expect("commit");
    assert_eq!(errno(f.write(&p("num_ldb_queues"), "1\n")), EBUSY);
    f.write(&p("queues/q/commit"), "1\n").expect("queue commit");
    assert_eq!(errno(f.write(&p("queues/q/inflight_limit"), "8\n")), EBUSY);
    assert_eq!(errno(f.write(&p("commit"), "0\n")), EBUSY);
    f.write(&p("start"), "1\n").expect("start");
    assert_eq!(errno(f.mkdir(&p("queues/r"))), EBUSY);
    assert_eq!(errno(f.rmdir(&p(""))), EBUSY);
    f.write(&p("start"), "0\n").expect("stop");
    assert_eq!(errno(f.rmdir(&p(""))), ENOTEMPTY);
    assert_eq!(errno(f.rmdir(Path::new("/c/0000:00:10.0"))), ENOTEMPTY);
}

#[test]
fn link_rules() {
    let mut f = setup();
    f.write(&p("commit"), "1\n").expect("commit");
    f.mkdir(&p("queues/q")).expect("queue");
    f.mkdir(&p("ldb_ports/a")).expect("port");
    f.write(&p("ldb_ports/a/commit"), "1\n")
        .expect("port commit");
    assert_eq!(errno(f.write(&p("ldb_ports/a/links"), "q 0")), ENOENT);
    f.write(&p("queues/q/commit"), "1\n").expect("queue commit");
    assert_eq!(errno(f.write(&p("ldb_ports/a/links"), "q 8")), EINVAL);
    f.write(&p("ldb_ports/a/links"), "q 0").expect("link");
    assert_eq!(errno(f.write(&p("ldb_ports/a/links"), "q 1")), EEXIST);
    assert_eq!(f.read(&p("ldb_ports/a/links")).expect("read"), "q 0\n");
    assert_eq!(errno(f.rmdir(&p("queues/q"))), EBUSY);
    assert_eq!(errno(f.write(&p("queues/q/commit"), "0\n")), EBUSY);
    for i in 0..7 {
        let q = format!("queues/x{i}");
        f.mkdir(&p(&q)).expect("queue");
        f.write(&p(&format!("{q}/commit")), "1\n").expect("commit");
        f.write(&p("ldb_ports/a/links"), &format!("x{i} 1"))
            .expect("link");
    }
    f.mkdir(&p("queues/y")).expect("queue");
    f.write(&p("queues/y/commit"), "1\n").expect("commit");
    assert_eq!(errno(f.write(&p("ldb_ports/a/links"), "y 1")), ENOSPC);
    f.write(&p("ldb_ports/a/links"), "-q").expect("unlink");
    assert_eq!(errno(f.write(&p("ldb_ports/a/links"), "-q")), ENOENT);
    f.rmdir(&p("queues/q")).expect("rmdir unlinked queue");
}

#[test]
fn injected_errno_on_any_operation() {
    let mut f = setup();
    f.fail_at(p("num_dir_ports"), ENOSPC);
    assert_eq!(errno(f.write(&p("num_dir_ports"), "1\n")), ENOSPC);
    assert_eq!(
        f.read(&p("num_dir_ports"))
            .map(|_| ())
            .err()
            .and_then(|e| e.raw_os_error()),
        Some(ENOSPC)
    );
    f.fail_at(p("queues/q"), EINVAL);
    assert_eq!(errno(f.mkdir(&p("queues/q"))), EINVAL);
    f.clear_failures();
    f.mkdir(&p("queues/q")).expect("mkdir");
}

//! apply, show and destroy against the in-memory configfs (`FakeConfigfs`):
//! the order of operations, rollback on an injected errno, show output, the
//! apply/show round trip and destroy order.

mod common;

use std::path::PathBuf;

use common::{domain_path as d, fake, layout, BDF};
use lbdxctl::apply::apply;
use lbdxctl::destroy::destroy;
use lbdxctl::fake::{FakeConfigfs, Op};
use lbdxctl::show::{show, show_text};
use lbdxctl::spec::{parse, Spec};
use lbdxctl::tree::Tree;

const ENOENT: i32 = 2;
const EBUSY: i32 = 16;
const EEXIST: i32 = 17;
const ENODEV: i32 = 19;
const EINVAL: i32 = 22;
const ENOSPC: i32 = 28;

const SMALL: &str = r#"
device = "0000:00:10.0"
[domain]
name = "d0"
num_ldb_queues = 1
num_ldb_ports_cos1 = 1
num_dir_ports = 1
num_ldb_credits = 64
start = true
[[queue]]
name = "q0"
atomic_inflights = 8
[[ldb_port]]
name = "p0"
cos = 1
links = [ { queue = "q0", priority = 2 } ]
[[dir_port]]
name = "dp0"
cq_depth = 16
"#;

fn small() -> Spec {
    parse(SMALL, "small").expect("parses")
}

fn example() -> Spec {
    parse(&common::doc_example(), "example").expect("parses")
}

fn mkdir(p: PathBuf) -> Op {
    Op::Mkdir(p)
}
fn rmdir(p: PathBuf) -> Op {
    Op::Rmdir(p)
}
fn w(p: PathBuf, v: &str) -> Op {
    Op::Write(p, v.to_string())
}

fn applied(spec: &Spec) -> FakeConfigfs {
    let mut f = fake();
    if let Err(e) = apply(&mut f, &layout(), spec) {
        panic!("apply failed: {} (rollback {:?})", e.error, e.rollback);
    }
    f
}

#[test]
fn apply_order() {
    let f = applied(&small());
    let dev = PathBuf::from(format!("/cfg/lbdx/{BDF}"));
    let mut want = vec![mkdir(dev), mkdir(d(""))];
    for (a, v) in [
        ("num_ldb_queues", "1\n"),
        ("num_ldb_ports_cos0", "0\n"),
        ("num_ldb_ports_cos1", "1\n"),
        ("num_ldb_ports_cos2", "0\n"),
        ("num_ldb_ports_cos3", "0\n"),
        ("num_dir_ports", "1\n"),
        ("num_ldb_credits", "64\n"),
        ("num_dir_credits", "0\n"),
        ("num_hist_list_entries", "0\n"),
        ("num_atomic_inflights", "0\n"),
        ("commit", "1\n"),
    ] {
        want.push(w(d(a), v));
    }
    want.extend([
        mkdir(d("queues/q0")),
        w(d("queues/q0/atomic_inflights"), "8\n"),
        w(d("queues/q0/commit"), "1\n"),
        mkdir(d("ldb_ports/p0")),
        w(d("ldb_ports/p0/cos"), "1\n"),
        w(d("ldb_ports/p0/commit"), "1\n"),
        mkdir(d("dir_ports/dp0")),
        w(d("dir_ports/dp0/cq_depth"), "16\n"),
        w(d("dir_ports/dp0/commit"), "1\n"),
        w(d("ldb_ports/p0/links"), "q0 2"),
        w(d("start"), "1\n"),
    ]);
    assert_eq!(f.log(), want.as_slice());
    assert_eq!(f.read(&d("state")).expect("state"), "started\n");
    assert_eq!(f.read(&d("ldb_ports/p0/links")).expect("links"), "q0 2\n");
}

#[test]
fn apply_into_existing_device_dir_keeps_it() {
    let mut f = fake();
    f.mkdir(&PathBuf::from(format!("/cfg/lbdx/{BDF}")))
        .expect("mkdir device");
    f.clear_log();
    apply(&mut f, &layout(), &small()).expect("applies");
    assert_eq!(f.log()[0], mkdir(d("")));
}

/// Fails apply of `spec` at `path` with `errno` and checks that the tree is
/// as before, that the error names path and errno, and returns the log.
fn rollback_case(
    spec: &Spec,
    pre: impl Fn(&mut FakeConfigfs),
    path: PathBuf,
    errno: i32,
) -> Vec<Op> {
    let mut f = fake();
    pre(&mut f);
    let before = f.snapshot();
    f.clear_log();
    f.fail_at(path.clone(), errno);
    let failure = match apply(&mut f, &layout(), spec) {
        Ok(()) => panic!(
            "apply succeeded with {errno} injected at {}",
            path.display()
        ),
        Err(e) => e,
    };
    assert!(
        failure.rollback.is_empty(),
        "rollback failed: {:?}",
        failure.rollback
    );
    assert_eq!(failure.error.errno(), Some(errno));
    let msg = failure.error.to_string();
    assert!(msg.starts_with(&format!("{}: ", path.display())), "{msg}");
    assert_eq!(
        f.snapshot(),
        before,
        "tree not restored after failure at {}",
        path.display()
    );
    f.log().to_vec()
}

#[test]
fn rollback_on_enospc_at_queue_commit() {
    let spec = example();
    let path = d("queues/q1/commit");
    let log = rollback_case(&spec, |_| {}, path.clone(), ENOSPC);
    // The undo part of the log, in reverse order of creation.
    let tail: Vec<Op> = log
        .iter()
        .skip_while(|op| **op != w(d("queues/q1/inflight_limit"), "64\n"))
        .skip(1)
        .cloned()
        .collect();
    assert_eq!(
        tail,
        vec![
            rmdir(d("queues/q1")),
            w(d("queues/q0/commit"), "0\n"),
            rmdir(d("queues/q0")),
            w(d("commit"), "0\n"),
            rmdir(d("")),
            rmdir(PathBuf::from(format!("/cfg/lbdx/{BDF}"))),
        ]
    );
    let msg = format!("{}: ENOSPC (No space left on device)", path.display());
    let mut f = fake();
    f.fail_at(path, ENOSPC);
    let e = apply(&mut f, &layout(), &spec).expect_err("fails");
    assert_eq!(e.error.to_string(), msg);
}

#[test]
fn rollback_at_every_step_of_the_example() {
    let spec = example();
    let points = [
        (d(""), EEXIST),
        (d("num_ldb_queues"), EINVAL),
        (d("num_atomic_inflights"), EINVAL),
        (d("commit"), ENOSPC),
        (d("queues/q0"), ENOSPC),
        (d("queues/q0/atomic_inflights"), EINVAL),
        (d("ldb_ports/p2/commit"), ENOSPC),
        (d("ldb_ports/p3/cos"), EINVAL),
        (d("dir_ports/dp0/commit"), ENOSPC),
        (d("ldb_ports/p3/links"), ENOSPC),
        (d("start"), 5),
    ];
    for (path, errno) in points {
        rollback_case(&spec, |_| {}, path, errno);
    }
    // A failure with other domains on the device leaves them alone.
    let mut other = small();
    other.domain.name = "other".into();
    rollback_case(
        &spec,
        |f| apply(f, &layout(), &other).expect("other applies"),
        d("start"),
        5,
    );
}

#[test]
fn rollback_unlinks_before_uncommit() {
    let log = rollback_case(&example(), |_| {}, d("start"), 5);
    let undo_start = log
        .iter()
        .position(|op| *op == w(d("ldb_ports/p3/links"), "-q0"))
        .expect("links undone");
    // Links of the last port first, in reverse order, before any uncommit.
    assert_eq!(log[undo_start - 1], w(d("ldb_ports/p3/links"), "-q1"));
    assert_eq!(log[undo_start + 1], w(d("ldb_ports/p2/links"), "-q1"));
    let first_uncommit = log
        .iter()
        .position(|op| matches!(op, Op::Write(p, v) if p.ends_with("commit") && v == "0\n"))
        .expect("uncommits");
    let last_unlink = log
        .iter()
        .rposition(|op| matches!(op, Op::Write(p, v) if p.ends_with("links") && v.starts_with('-')))
        .expect("unlinks");
    assert!(last_unlink < first_uncommit);
    assert_eq!(log[first_uncommit], w(d("dir_ports/dp0/commit"), "0\n"));
}

#[test]
fn errors_from_the_device() {
    // No HLB bound at that address.
    let mut f = FakeConfigfs::new("/cfg/lbdx");
    let e = apply(&mut f, &layout(), &small()).expect_err("unbound");
    assert_eq!(
        e.error.to_string(),
        format!("/cfg/lbdx/{BDF}: ENODEV (No such device)")
    );
    // The domain exists: nothing of it is touched.
    let mut f = applied(&small());
    let before = f.snapshot();
    let e = apply(&mut f, &layout(), &small()).expect_err("exists");
    assert_eq!(
        e.error.to_string(),
        format!("{}: EEXIST (File exists)", d("").display())
    );
    assert_eq!(f.snapshot(), before);
    // The fake follows the ABI: a bad priority is EINVAL from the links file.
    let mut spec = small();
    spec.ldb_port[0].links[0].priority = 8;
    let mut f = fake();
    let e = apply(&mut f, &layout(), &spec).expect_err("bad priority");
    assert_eq!(
        e.error.to_string(),
        format!(
            "{}: EINVAL (Invalid argument)",
            d("ldb_ports/p0/links").display()
        )
    );
    assert!(e.rollback.is_empty());
    assert!(f
        .list(&PathBuf::from("/cfg/lbdx"))
        .expect("root")
        .is_empty());
}

const SMALL_SHOWN: &str = r#"# lbdxctl show: domain d0 of 0000:00:10.0, state started
device = "0000:00:10.0"

[domain]
name = "d0"
num_ldb_queues = 1
num_ldb_ports_cos0 = 0
num_ldb_ports_cos1 = 1
num_ldb_ports_cos2 = 0
num_ldb_ports_cos3 = 0
num_dir_ports = 1
num_ldb_credits = 64
num_dir_credits = 0
num_hist_list_entries = 0
num_atomic_inflights = 0
start = true

[[queue]]
name = "q0"
sequence_numbers = 0
inflight_limit = 64
atomic_inflights = 8
lock_id_comp = 0
depth_threshold = 0

[[ldb_port]]
name = "p0"
cq_depth = 64
depth_threshold = 0
hist_list_size = 0
cos = 1
links = [{ queue = "q0", priority = 2 }]

[[dir_port]]
name = "dp0"
cq_depth = 16
depth_threshold = 0
"#;

#[test]
fn show_output() {
    let f = applied(&small());
    let shown = show(&f, &layout(), BDF, "d0").expect("shows");
    assert_eq!(shown.state, "started");
    assert_eq!(show_text(&shown), SMALL_SHOWN);
    // Natural order of names, and the state as it is.
    let mut spec = small();
    spec.domain.start = false;
    spec.domain.num_ldb_queues = 3;
    for n in ["q10", "q2"] {
        let mut q = spec.queue[0].clone();
        q.name = n.into();
        spec.queue.push(q);
    }
    let f = applied(&spec);
    let shown = show(&f, &layout(), BDF, "d0").expect("shows");
    assert_eq!(shown.state, "committed");
    assert!(!shown.spec.domain.start);
    let names: Vec<&str> = shown.spec.queue.iter().map(|q| q.name.as_str()).collect();
    assert_eq!(names, ["q0", "q2", "q10"]);
    // A missing domain names the path.
    let e = show(&f, &layout(), BDF, "nope").expect_err("missing");
    assert!(
        e.to_string()
            .ends_with("/domains/nope/state: ENOENT (No such file or directory)"),
        "{e}"
    );
}

/// Fills every optional key from the driver's defaults, so that a spec
/// equals what show reads back.
fn full(mut s: Spec) -> Spec {
    for q in &mut s.queue {
        q.sequence_numbers.get_or_insert(0);
        q.inflight_limit.get_or_insert(64);
        q.atomic_inflights.get_or_insert(0);
        q.lock_id_comp.get_or_insert(0);
        q.depth_threshold.get_or_insert(0);
    }
    for p in &mut s.ldb_port {
        p.cq_depth.get_or_insert(64);
        p.depth_threshold.get_or_insert(0);
        p.hist_list_size.get_or_insert(0);
        p.cos.get_or_insert(0);
    }
    for p in &mut s.dir_port {
        p.cq_depth.get_or_insert(64);
        p.depth_threshold.get_or_insert(0);
    }
    s
}

#[test]
fn round_trip() {
    for spec in [small(), example()] {
        // show(apply(x)) == x once defaults are spelled out ...
        let f = applied(&spec);
        let shown = show(&f, &layout(), BDF, "d0").expect("shows");
        assert_eq!(shown.spec, full(spec.clone()));
        // ... and apply(show(x)) on a fresh device makes the same domain:
        // same text, same configfs tree.
        let text = show_text(&shown);
        let again = parse(&text, "shown").expect("show output parses");
        assert_eq!(again, shown.spec);
        let g = applied(&again);
        let reshown = show(&g, &layout(), BDF, "d0").expect("shows");
        assert_eq!(show_text(&reshown), text);
        assert_eq!(g.snapshot(), f.snapshot());
    }
}

#[test]
fn destroy_order() {
    let mut f = applied(&small());
    f.clear_log();
    destroy(&mut f, &layout(), BDF, "d0").expect("destroys");
    assert_eq!(
        f.log(),
        [
            w(d("start"), "0\n"),
            w(d("ldb_ports/p0/links"), "-q0"),
            w(d("ldb_ports/p0/commit"), "0\n"),
            rmdir(d("ldb_ports/p0")),
            w(d("dir_ports/dp0/commit"), "0\n"),
            rmdir(d("dir_ports/dp0")),
            w(d("queues/q0/commit"), "0\n"),
            rmdir(d("queues/q0")),
            w(d("commit"), "0\n"),
            rmdir(d("")),
        ]
    );
    // The device directory stays, empty.
    let domains = PathBuf::from(format!("/cfg/lbdx/{BDF}/domains"));
    assert!(f.list(&domains).expect("domains").is_empty());

    // The example, started, goes completely; apply works again after it.
    let mut f = applied(&example());
    let empty = {
        let mut g = fake();
        g.mkdir(&PathBuf::from(format!("/cfg/lbdx/{BDF}")))
            .expect("mkdir");
        g.snapshot()
    };
    destroy(&mut f, &layout(), BDF, "d0").expect("destroys");
    assert_eq!(f.snapshot(), empty);
    apply(&mut f, &layout(), &example()).expect("applies again");
}

#[test]
fn destroy_resumes_and_reports() {
    let mut f = applied(&example());
    // An injected failure stops destroy with the path and errno ...
    f.fail_at(d("queues/q0"), EBUSY);
    let e = destroy(&mut f, &layout(), BDF, "d0").expect_err("fails");
    assert_eq!(
        e.to_string(),
        format!(
            "{}: EBUSY (Device or resource busy)",
            d("queues/q0").display()
        )
    );
    // ... and running it again finishes the job.
    f.clear_failures();
    destroy(&mut f, &layout(), BDF, "d0").expect("destroys");
    assert_eq!(
        f.list(&PathBuf::from(format!("/cfg/lbdx/{BDF}/domains")))
            .expect("list"),
        Vec::<String>::new()
    );
    let e = destroy(&mut f, &layout(), BDF, "d0").expect_err("gone");
    assert_eq!(e.errno(), Some(ENOENT));
}

#[test]
fn destroy_of_a_removed_device_only_removes() {
    let mut f = applied(&small());
    // What the driver does on unbind: every write fails, state "removed".
    for p in [
        d("state"),
        d("queues/q0/state"),
        d("ldb_ports/p0/state"),
        d("dir_ports/dp0/state"),
    ] {
        f.add_file(p, "removed\n");
    }
    f.add_file(d("start"), "0\n");
    f.add_file(d("state"), "removed\n");
    for p in [
        "start",
        "commit",
        "ldb_ports/p0/links",
        "ldb_ports/p0/commit",
    ] {
        f.fail_at(d(p), ENODEV);
    }
    // The fake's started-domain rule reads "state", now "removed".
    f.clear_log();
    destroy(&mut f, &layout(), BDF, "d0").expect("destroys");
    assert!(
        f.log().iter().all(|op| matches!(op, Op::Rmdir(_))),
        "{:?}",
        f.log()
    );
    assert_eq!(f.log().len(), 4);
}

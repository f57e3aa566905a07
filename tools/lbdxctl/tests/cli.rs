//! The built binary against plain directories given with --configfs and
//! --sysfs: list, show, stats, apply's error line and rollback on the real
//! file system, destroy's error line, and usage.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BDF: &str = "0000:00:10.0";

/// A scratch directory removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!("lbdxctl-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).expect("make scratch dir");
        Scratch(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn put(path: &Path, content: &str) {
    fs::create_dir_all(path.parent().expect("has parent")).expect("mkdir -p");
    fs::write(path, content).expect("write file");
}

fn run(dir: &Path, args: &[&str]) -> Output {
    run_stdin(dir, args, "")
}

fn run_stdin(dir: &Path, args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_lbdxctl"))
        .arg("--configfs")
        .arg(dir.join("cfg"))
        .arg("--sysfs")
        .arg(dir.join("sys"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run lbdxctl");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A sysfs driver directory with one HLB, and a configfs tree with one
/// committed domain, made by hand the way the driver shows them.
fn populate(dir: &Path) {
    let pci = dir.join("sys/drivers/lbdx_hlb").join(BDF);
    for f in ["bind", "unbind", "new_id", "uevent"] {
        put(&dir.join("sys/drivers/lbdx_hlb").join(f), "");
    }
    put(&pci.join("version"), "1.1\n");
    put(&pci.join("irq_vectors"), "17\n");
    for (r, t, a) in [
        ("domains", "32", "31"),
        ("ldb_queues", "32", "31"),
        ("ldb_credits", "8192", "8128"),
        ("sn_groups", "2", ""),
    ] {
        put(&pci.join("total_resources").join(r), &format!("{t}\n"));
        if !a.is_empty() {
            put(&pci.join("avail_resources").join(r), &format!("{a}\n"));
        }
    }
    put(
        &pci.join("avail_resources/max_contiguous_hist_list_entries"),
        "2048\n",
    );

    let d = dir.join("cfg").join(BDF).join("domains/d0");
    for a in lbdxctl::spec::DOMAIN_ATTRS {
        put(&d.join(a), "0\n");
    }
    put(&d.join("num_ldb_queues"), "1\n");
    put(&d.join("num_ldb_ports_cos0"), "1\n");
    put(&d.join("num_ldb_credits"), "64\n");
    put(&d.join("commit"), "1\n");
    put(&d.join("start"), "0\n");
    put(&d.join("state"), "committed\n");
    put(&d.join("id"), "0\n");
    let q = d.join("queues/q0");
    for (a, v) in [
        ("sequence_numbers", "0"),
        ("inflight_limit", "64"),
        ("atomic_inflights", "0"),
        ("lock_id_comp", "0"),
        ("depth_threshold", "0"),
        ("commit", "1"),
        ("state", "committed"),
        ("id", "3"),
    ] {
        put(&q.join(a), &format!("{v}\n"));
    }
    let p = d.join("ldb_ports/p0");
    for (a, v) in [
        ("cq_depth", "8"),
        ("depth_threshold", "0"),
        ("hist_list_size", "0"),
        ("cos", "0"),
        ("commit", "1"),
        ("state", "committed"),
        ("id", "5"),
    ] {
        put(&p.join(a), &format!("{v}\n"));
    }
    put(&p.join("links"), "q0 1\n");
    fs::create_dir_all(d.join("dir_ports")).expect("mkdir dir_ports");
    // A tree left behind by a device that is no longer bound.
    fs::create_dir_all(dir.join("cfg/0000:00:11.0/domains")).expect("mkdir");
}

#[test]
fn list_shows_devices_resources_and_domains() {
    let s = Scratch::new("list");
    populate(&s.0);
    let out = run(&s.0, &["list"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<&str> = stdout.lines().map(str::trim_end).collect();
    for want in [
        "0000:00:10.0  version 1.1, 17 irq vectors",
        "  resource                             total   avail",
        "  domains                                 32      31",
        "  ldb_credits                           8192    8128",
        "  max_contiguous_hist_list_entries         -    2048",
        "  sn_groups                                2       -",
        "  domain d0: committed, id 0",
        "    reserved: ldb_queues 1, ldb_ports_cos0 1, ldb_credits 64",
        "    queue q0: committed, id 3",
        "    ldb_port p0: committed, id 5, links q0:1",
        "0000:00:11.0  (configfs tree only: not bound to lbdx_hlb)",
        "  no domains",
    ] {
        assert!(lines.contains(&want), "missing {want:?} in\n{stdout}");
    }
    assert!(!stdout.contains("bind"), "{stdout}");
    assert!(!stdout.contains("dir_ports  "), "{stdout}");

    let empty = Scratch::new("list-empty");
    let out = run(&empty.0, &["list"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("is the lbdx_hlb driver loaded?"));
    assert!(text(&out.stdout).contains("no HLB bound to lbdx_hlb"));
}

#[test]
fn show_reads_a_tree() {
    let s = Scratch::new("show");
    populate(&s.0);
    let out = run(&s.0, &["show", BDF, "d0"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let spec = lbdxctl::spec::parse(&stdout, "show").expect("show output parses");
    assert_eq!(spec.device, BDF);
    assert!(!spec.domain.start);
    assert_eq!(spec.domain.num_ldb_credits, 64);
    assert_eq!(spec.queue.len(), 1);
    assert_eq!(spec.ldb_port[0].cq_depth, Some(8));
    assert_eq!(spec.ldb_port[0].links[0].queue, "q0");
    assert_eq!(spec.ldb_port[0].links[0].priority, 1);
    assert!(spec.dir_port.is_empty());
    assert!(stdout.starts_with("# lbdxctl show: domain d0 of 0000:00:10.0, state committed\n"));

    let out = run(&s.0, &["show", BDF, "d9"]);
    assert_eq!(out.status.code(), Some(1));
    let want = format!(
        "lbdxctl: {}: ENOENT (No such file or directory)\n",
        s.0.join("cfg").join(BDF).join("domains/d9/state").display()
    );
    assert_eq!(text(&out.stderr), want);
}

#[test]
fn stats_reads_the_class_device() {
    let s = Scratch::new("stats");
    populate(&s.0);
    let out = run(&s.0, &["stats", BDF, "d0"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "domain d0 of 0000:00:10.0 is not running (state committed): no statistics\n"
    );

    // Started: the driver's class device below the PCI device.
    let d = s.0.join("cfg").join(BDF).join("domains/d0");
    put(&d.join("state"), "started\n");
    let class =
        s.0.join("sys/drivers/lbdx_hlb")
            .join(BDF)
            .join("lbdx_hlb")
            .join(format!("{BDF}:d0"));
    put(&class.join("stats/scheduled"), "7\n");
    put(&class.join("stats/reset"), "");
    put(&class.join("ldb_port5/dequeued"), "7\n");
    put(&class.join("ldb_queue3/enqueued_prio1"), "7\n");
    put(&class.join("ldb_queue3/depth"), "0\n");
    let out = run(&s.0, &["stats", BDF, "d0"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "domain d0 of 0000:00:10.0: started\n  scheduled  7\n\n\
         ports:\n  port       name  dequeued\n  ldb_port5  p0           7\n\n\
         queues:\n  queue       name  depth  prio1\n  ldb_queue3  q0        0      7\n"
    );

    let out = run(&s.0, &["stats", BDF, "d9"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).ends_with("domains/d9/state: ENOENT (No such file or directory)\n"));
}

#[test]
fn apply_error_line_and_rollback_on_a_real_tree() {
    // In a plain directory mkdir works but nothing configfs would make
    // appears: mkdir of the domain fails for want of domains/, and the
    // device directory apply made must be gone again.
    let s = Scratch::new("apply");
    fs::create_dir_all(s.0.join("cfg")).expect("mkdir");
    let file = s.0.join("d0.toml");
    put(
        &file,
        "device = \"0000:00:10.0\"\n[domain]\nname = \"d0\"\nnum_ldb_queues = 1\n",
    );
    let file = file.to_str().expect("utf-8 path");
    let cfg = s.0.join("cfg").join(BDF);
    let out = run(&s.0, &["apply", file]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "lbdxctl: {}: ENOENT (No such file or directory)\n",
            cfg.join("domains/d0").display()
        )
    );
    assert!(text(&out.stdout).is_empty());
    let left: Vec<_> = fs::read_dir(s.0.join("cfg")).expect("readdir").collect();
    assert!(left.is_empty(), "left behind: {left:?}");

    // With domains/ there, the first attribute write fails (no O_CREAT)
    // and the domain directory goes again; domains/ was not apply's.
    fs::create_dir_all(cfg.join("domains")).expect("mkdir");
    let out = run(&s.0, &["apply", file]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "lbdxctl: {}: ENOENT (No such file or directory)\n",
            cfg.join("domains/d0/num_ldb_queues").display()
        )
    );
    assert_eq!(
        fs::read_dir(cfg.join("domains")).expect("readdir").count(),
        0
    );

    // -v shows the operations, undo included; stdin works as "-".
    let out = run_stdin(
        &s.0,
        &["-v", "apply", "-"],
        "device = \"0000:00:10.0\"\n[domain]\nname = \"d0\"\n",
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    for want in [
        format!("mkdir {}", cfg.display()),
        format!("mkdir {}", cfg.join("domains/d0").display()),
        format!(
            "write {} <- \"0\\n\"",
            cfg.join("domains/d0/num_ldb_queues").display()
        ),
        format!("rmdir {}", cfg.join("domains/d0").display()),
    ] {
        assert!(err.lines().any(|l| l == want), "missing {want:?} in\n{err}");
    }
    assert!(
        !err.contains(&format!("rmdir {}\n", cfg.display())),
        "{err}"
    );
}

#[test]
fn apply_refuses_bad_files_before_writing() {
    let s = Scratch::new("badfile");
    fs::create_dir_all(s.0.join("cfg")).expect("mkdir");
    let file = s.0.join("bad.toml");
    put(
        &file,
        "device = \"0000:00:10.0\"\n[domain]\nname = \"d0\"\nnum_ldb_queue = 1\n",
    );
    let out = run(&s.0, &["apply", file.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.starts_with(&format!(
            "lbdxctl: {}:4:1: unknown field `num_ldb_queue`",
            file.display()
        )),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(fs::read_dir(s.0.join("cfg")).expect("readdir").count(), 0);

    let missing = s.0.join("nope.toml");
    let out = run(&s.0, &["apply", missing.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "lbdxctl: {}: ENOENT (No such file or directory)\n",
            missing.display()
        )
    );
}

#[test]
fn destroy_writes_in_order_and_names_the_failure() {
    // A plain directory can't be rmdir'ed with files in it: destroy gets as
    // far as the first rmdir and reports it, after unlinking and uncommitting.
    let s = Scratch::new("destroy");
    populate(&s.0);
    let out = run(&s.0, &["destroy", BDF, "d0"]);
    assert_eq!(out.status.code(), Some(1));
    let p0 = s.0.join("cfg").join(BDF).join("domains/d0/ldb_ports/p0");
    assert_eq!(
        text(&out.stderr),
        format!(
            "lbdxctl: {}: ENOTEMPTY (Directory not empty)\n",
            p0.display()
        )
    );
    assert_eq!(fs::read_to_string(p0.join("links")).expect("links"), "-q0");
    assert_eq!(
        fs::read_to_string(p0.join("commit")).expect("commit"),
        "0\n"
    );
}

#[test]
fn usage() {
    let s = Scratch::new("usage");
    let out = run(&s.0, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("usage: lbdxctl"));
    let out = run(&s.0, &["show", BDF]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("wrong number of arguments for show"));
    let out = run(&s.0, &["stats", BDF]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("wrong number of arguments for stats"));
    let out = run(&s.0, &["--help"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("apply FILE"));
    assert!(text(&out.stdout).contains("stats BDF DOMAIN"));
}

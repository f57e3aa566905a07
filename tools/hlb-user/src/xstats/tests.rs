// SPDX-License-Identifier: GPL-2.0

//! [`Xstats`] against a fake sysfs tree in a scratch directory: names and
//! ids, values, errors, reset.

use std::fs;
use std::path::{Path, PathBuf};

use super::*;

const BDF: &str = "0000:00:10.0";

/// A scratch sysfs root, removed when dropped.
struct Root(PathBuf);

impl Root {
    fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!("hlb-user-xstats-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        Root(p)
    }

    /// The class device of domain "d0".
    fn class(&self) -> PathBuf {
        self.0.join("class/lbdx_hlb").join(format!("{BDF}:d0"))
    }

    fn put(&self, rel: &str, text: &str) {
        let p = self.class().join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    /// Domain d0 with LDB ports 3 and 10, DIR port 1, LDB queue 0 and DIR
    /// queue 1; every value is its file's place in its table plus 100 times
    /// the object's number plus 1000 times the group's.
    fn domain(&self) -> Xstats {
        let objects = [
            (Group::Device, 0),
            (Group::Port(PortType::Ldb), 3),
            (Group::Port(PortType::Ldb), 10),
            (Group::Port(PortType::Dir), 1),
            (Group::Queue(PortType::Ldb), 0),
            (Group::Queue(PortType::Dir), 1),
        ];
        for (g, n) in objects {
            for (i, (stat, _)) in g.stats().iter().enumerate() {
                let v = 1000 * g.code() + 100 * u32::from(n) + i as u32;
                self.put(&format!("{}/{stat}", g.dir(n)), &format!("{v}\n"));
            }
        }
        self.put("stats/reset", "");
        self.put("stats/queue_depth", "0:12 1:0\n");
        Xstats::new(&self.0, BDF, "d0")
    }
}

impl Drop for Root {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn names(x: &[Xstat]) -> Vec<&str> {
    x.iter().map(|s| s.name.as_str()).collect()
}

const LDB3: Target = Target {
    kind: PortType::Ldb,
    id: 3,
};

#[test]
fn names_of_each_mode() {
    let r = Root::new("names");
    let x = r.domain();
    let dev = x.names(XstatsMode::Device, None).unwrap();
    assert_eq!(
        names(&dev),
        [
            "dev_users",
            "dev_drains",
            "dev_reclaims",
            "dev_reclaim_dropped",
            "dev_alerts",
            "dev_enqueued",
            "dev_qes",
            "dev_scheduled",
            "dev_interrupts",
            "dev_ldb_credits_avail",
            "dev_dir_credits_avail",
        ]
    );
    assert_eq!(dev[0].kind, StatKind::Gauge);
    assert_eq!(dev[5].kind, StatKind::Counter);
    assert!(dev.iter().all(|s| s.target.is_none()));

    // Every port, LDB then DIR, in number order (10 after 3).
    let ports = x.names(XstatsMode::Port, None).unwrap();
    assert_eq!(ports.len(), 3 * PORT_STATS.len());
    let firsts: Vec<&str> = ports
        .iter()
        .step_by(PORT_STATS.len())
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(
        firsts,
        [
            "ldb_port_3_enqueued",
            "ldb_port_10_enqueued",
            "dir_port_1_enqueued"
        ]
    );
    assert_eq!(ports[1].name, "ldb_port_3_dequeued");
    assert_eq!(ports[5].name, "ldb_port_3_inflight");
    assert_eq!(ports[5].kind, StatKind::Gauge);

    let one = x.names(XstatsMode::Port, Some(LDB3)).unwrap();
    assert_eq!(one, ports[..PORT_STATS.len()]);
    assert!(one.iter().all(|s| s.target == Some(LDB3)));

    let queues = x.names(XstatsMode::Queue, None).unwrap();
    assert_eq!(queues.len(), 2 * QUEUE_STATS.len());
    assert_eq!(queues[0].name, "ldb_queue_0_enqueued");
    assert_eq!(queues[4].name, "ldb_queue_0_enqueued_prio2");
    assert_eq!(queues[QUEUE_STATS.len()].name, "dir_queue_1_enqueued");
    assert_eq!(queues.last().unwrap().name, "dir_queue_1_depth");
}

#[test]
fn names_only_of_files_there() {
    // A function before HLB 1.4: no enqueued, interrupts, nor queue
    // counters but the depth.
    let r = Root::new("old");
    let x = r.domain();
    let class = r.class();
    for f in ["stats/enqueued", "stats/interrupts"] {
        fs::remove_file(class.join(f)).unwrap();
    }
    for port in ["ldb_port3", "ldb_port10", "dir_port1"] {
        for f in ["enqueued", "interrupts"] {
            fs::remove_file(class.join(port).join(f)).unwrap();
        }
    }
    for queue in ["ldb_queue0", "dir_queue1"] {
        for (f, _) in &QUEUE_STATS[..10] {
            fs::remove_file(class.join(queue).join(f)).unwrap();
        }
    }
    let dev = x.names(XstatsMode::Device, None).unwrap();
    assert_eq!(dev.len(), DEVICE_STATS.len() - 2);
    assert!(!names(&dev).contains(&"dev_enqueued"));
    let port = x.names(XstatsMode::Port, Some(LDB3)).unwrap();
    assert_eq!(
        names(&port),
        [
            "ldb_port_3_dequeued",
            "ldb_port_3_qes",
            "ldb_port_3_alerts",
            "ldb_port_3_inflight",
            "ldb_port_3_cq_occupancy",
            "ldb_port_3_ldb_credits_held",
            "ldb_port_3_dir_credits_held",
        ]
    );
    // Ids do not move for the files that are missing.
    assert_eq!(port[0].id, 0x1_03_01);
    let queues = x.names(XstatsMode::Queue, None).unwrap();
    assert_eq!(names(&queues), ["ldb_queue_0_depth", "dir_queue_1_depth"]);
    assert_eq!(queues[1].id, 0x4_01_0a);
}

#[test]
fn ids_are_stable_and_unique() {
    let r = Root::new("ids");
    let x = r.domain();
    let mut all = Vec::new();
    for mode in [XstatsMode::Device, XstatsMode::Port, XstatsMode::Queue] {
        all.extend(x.names(mode, None).unwrap());
    }
    // The documented encoding, fixed for ever.
    let id = |name: &str| all.iter().find(|s| s.name == name).unwrap().id;
    assert_eq!(id("dev_users"), 0);
    assert_eq!(id("dev_enqueued"), 5);
    assert_eq!(id("ldb_port_3_dequeued"), 0x1_03_01);
    assert_eq!(id("dir_port_1_enqueued"), 0x2_01_00);
    assert_eq!(id("ldb_queue_0_enqueued_prio7"), 0x3_00_09);
    assert_eq!(id("dir_queue_1_depth"), 0x4_01_0a);
    let mut ids: Vec<u32> = all.iter().map(|s| s.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), all.len());
    // Names and ids map to each other, without enumeration.
    for s in &all {
        assert_eq!(
            Stat::from_name(&s.name).map(Stat::id),
            Some(s.id),
            "{}",
            s.name
        );
        assert_eq!(Stat::from_id(s.id).map(|t| t.xstat()).as_ref(), Some(s));
    }
    // The same ids a second time, and from another handle.
    let again = Xstats::new(&r.0, BDF, "d0")
        .names(XstatsMode::Port, None)
        .unwrap();
    assert_eq!(again, x.names(XstatsMode::Port, None).unwrap());
}

#[test]
fn values_are_parsed() {
    let r = Root::new("values");
    let x = r.domain();
    let dev = x.names(XstatsMode::Device, None).unwrap();
    let ids: Vec<u32> = dev.iter().map(|s| s.id).collect();
    assert_eq!(x.get(&ids).unwrap(), (0..11).collect::<Vec<u64>>());
    let q = x.names(XstatsMode::Queue, None).unwrap();
    assert_eq!(
        x.get(&[q[13].id, q[2].id, ids[7]]).unwrap(),
        [4102, 3002, 7]
    );
    assert_eq!(
        x.by_name("ldb_port_10_dequeued").unwrap(),
        (0x1_0a_01, 2001)
    );
    assert_eq!(x.by_name("dev_scheduled").unwrap(), (7, 7));
    // 64-bit values, surrounding white space.
    r.put("ldb_port3/enqueued", " 18446744073709551615 \n");
    assert_eq!(x.by_name("ldb_port_3_enqueued").unwrap().1, u64::MAX);
    assert!(x.get(&[]).unwrap().is_empty());
}

#[test]
fn unknown_names_and_ids() {
    let r = Root::new("unknown");
    let x = r.domain();
    for name in [
        "",
        "dev_",
        "dev_queue_depth",
        "dev_reset",
        "ldb_port_3",
        "ldb_port_03_enqueued",
        "ldb_port_+3_enqueued",
        "ldb_port_256_enqueued",
        "ldb_port3_enqueued",
        "port_3_enqueued",
        "ldb_queue_0_dequeued",
        "ldb_port_3_enqueued_prio0",
    ] {
        let e = x.by_name(name).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{name:?}: {e}");
    }
    for id in [11, 0x100, 0x1_00_09, 0x5_00_00, u32::MAX] {
        let e = x.get(&[0, id]).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{id:#x}: {e}");
    }
    let e = x.names(XstatsMode::Device, Some(LDB3)).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
}

#[test]
fn missing_files_name_the_path() {
    let r = Root::new("missing");
    let x = r.domain();
    // A port the domain does not have: its name is valid, its file absent.
    let e = x.by_name("ldb_port_4_enqueued").unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::NotFound);
    assert!(
        e.to_string()
            .contains(&format!("{BDF}:d0/ldb_port4/enqueued")),
        "{e}"
    );
    let e = x
        .names(
            XstatsMode::Queue,
            Some(Target {
                kind: PortType::Ldb,
                id: 1,
            }),
        )
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::NotFound);
    assert!(e.to_string().contains("ldb_queue1"), "{e}");
    fs::remove_file(r.class().join("stats/qes")).unwrap();
    let e = x.get(&[5, 6]).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::NotFound);
    assert!(e.to_string().contains("stats/qes"), "{e}");

    // A domain that is not started has no class device.
    let stopped = Xstats::new(&r.0, BDF, "d1");
    for mode in [XstatsMode::Device, XstatsMode::Port, XstatsMode::Queue] {
        let e = stopped.names(mode, None).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        assert!(e.to_string().contains("the domain is not started"), "{e}");
    }
    let e = stopped.reset(XstatsMode::Device, None, None).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::NotFound);
    assert!(e.to_string().contains("the domain is not started"), "{e}");
    // A started domain whose reset file is missing.
    fs::remove_file(r.class().join("stats/reset")).unwrap();
    let e = x.reset(XstatsMode::Device, None, None).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::NotFound);
    assert!(
        e.to_string().contains(&format!("{BDF}:d0/stats/reset")),
        "{e}"
    );
}

#[test]
fn non_numeric_is_invalid_data() {
    let r = Root::new("nan");
    let x = r.domain();
    for text in [
        "",
        "\n",
        "12abc\n",
        "-1\n",
        "0:12 1:0\n",
        "18446744073709551616\n",
    ] {
        r.put("dir_queue1/depth", text);
        let e = x.by_name("dir_queue_1_depth").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{text:?}: {e}");
        assert!(e.to_string().contains("dir_queue1/depth"), "{e}");
    }
}

/// Arguments of one [`Xstats::reset`].
type ResetCall<'a> = (XstatsMode, Option<Target>, Option<&'a [u32]>);

fn reset_text(r: &Root) -> String {
    fs::read_to_string(r.class().join("stats/reset")).unwrap()
}

#[test]
fn every_reset_writes_the_domain_reset() {
    let r = Root::new("reset");
    let x = r.domain();
    let port = x.names(XstatsMode::Port, Some(LDB3)).unwrap();
    let queue = x.names(XstatsMode::Queue, None).unwrap();
    let calls: [ResetCall; 5] = [
        (XstatsMode::Device, None, None),
        (XstatsMode::Device, None, Some(&[5, 7])),
        (XstatsMode::Port, Some(LDB3), None),
        (XstatsMode::Port, None, Some(&[port[1].id])),
        (XstatsMode::Queue, None, Some(&[queue[0].id, queue[20].id])),
    ];
    for (mode, target, ids) in calls {
        r.put("stats/reset", "");
        x.reset(mode, target, ids).unwrap();
        assert_eq!(reset_text(&r), "1", "{mode:?} {target:?} {ids:?}");
    }
    // Ids of another mode or target, or unknown: refused, nothing written.
    let dir1 = Target {
        kind: PortType::Dir,
        id: 1,
    };
    let bad: [ResetCall; 5] = [
        (XstatsMode::Device, None, Some(&[port[0].id])),
        (XstatsMode::Port, None, Some(&[5])),
        (XstatsMode::Port, Some(dir1), Some(&[port[0].id])),
        (XstatsMode::Queue, None, Some(&[0x7_00_00])),
        (XstatsMode::Device, Some(LDB3), None),
    ];
    for (mode, target, ids) in bad {
        r.put("stats/reset", "");
        let e = x.reset(mode, target, ids).unwrap_err();
        assert_eq!(
            e.kind(),
            io::ErrorKind::InvalidInput,
            "{mode:?} {target:?} {ids:?}"
        );
        assert_eq!(reset_text(&r), "");
    }
}

#[test]
fn node_and_object_paths() {
    let r = Root::new("node");
    let class = r.class();
    r.domain();
    let node = r.0.join("dev/char/240:3");
    fs::create_dir_all(node.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&class, &node).unwrap();
    let x = Xstats::of_node(&r.0, libc::makedev(240, 3));
    assert_eq!(x.by_name("dev_drains").unwrap(), (1, 1));
    let big = Xstats::of_node(Path::new("/sys"), libc::makedev(4097, 1 << 20));
    assert_eq!(big.dir, Path::new("/sys/dev/char/4097:1048576"));
    assert_eq!(LDB3.port_dir(), "ldb_port3");
    assert_eq!(LDB3.queue_dir(), "ldb_queue3");
    assert_eq!(
        Target {
            kind: PortType::Dir,
            id: 255
        }
        .queue_dir(),
        "dir_queue255"
    );
}

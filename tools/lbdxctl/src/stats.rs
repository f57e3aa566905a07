//! `lbdxctl stats`: the statistics of a started domain, from the files the
//! driver keeps below its class device
//! (`Documentation/ABI/testing/sysfs-class-lbdx_hlb`): the domain's totals,
//! a table of its ports and one of its queues, each named by its
//! directory there and its configfs name, then the HLB's device-wide
//! totals (`sysfs-driver-lbdx-hlb`). Values are printed as read; `-` marks
//! a file one port or queue lacks (a counter of a newer HLB), `?` a file
//! that could not be read. Known files come in a fixed order, files this
//! tool does not know after them.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::io;
use std::path::Path;

use crate::error::{at, Error};
use crate::layout::{Kind, Layout};
use crate::list::{names, value};
use crate::natsort;
use crate::tree::{read_line, Tree};

/// Files of a domain's `stats/`, in the order shown.
const DOMAIN_STATS: [&str; 11] = [
    "users",
    "drains",
    "reclaims",
    "reclaim_dropped",
    "alerts",
    "enqueued",
    "qes",
    "scheduled",
    "interrupts",
    "ldb_credits_avail",
    "dir_credits_avail",
];
/// Files of a port's directory.
const PORT_STATS: [&str; 9] = [
    "enqueued",
    "dequeued",
    "qes",
    "interrupts",
    "alerts",
    "inflight",
    "cq_occupancy",
    "ldb_credits_held",
    "dir_credits_held",
];
/// Files of a queue's directory.
const QUEUE_STATS: [&str; 11] = [
    "enqueued",
    "scheduled",
    "depth",
    "enqueued_prio0",
    "enqueued_prio1",
    "enqueued_prio2",
    "enqueued_prio3",
    "enqueued_prio4",
    "enqueued_prio5",
    "enqueued_prio6",
    "enqueued_prio7",
];
/// Files of the PCI device's `stats/`.
const DEVICE_STATS: [&str; 7] = [
    "enqueued",
    "qes",
    "scheduled",
    "interrupts",
    "alerts",
    "drains",
    "reclaims",
];
/// Files never shown: `reset` (write-only), and `queue_depth` and
/// `port_inflight`, one line for all queues or ports, which the tables
/// show one by one.
const HIDDEN: [&str; 3] = ["reset", "queue_depth", "port_inflight"];

/// Directories of ports and queues below the class device: the prefix of
/// `<prefix><number>`, whether a queue's, and the configfs kind whose
/// object of that number names it (a DIR queue is named after its port).
const OBJECTS: [(&str, bool, Kind); 4] = [
    ("ldb_port", false, Kind::LdbPort),
    ("dir_port", false, Kind::DirPort),
    ("ldb_queue", true, Kind::Queue),
    ("dir_queue", true, Kind::DirPort),
];

/// The files of `known` in `present`, in that order, then the other
/// files of `present` but the hidden ones.
fn columns(known: &[&str], present: &[String]) -> Vec<String> {
    let mut out: Vec<String> = known
        .iter()
        .filter(|k| present.iter().any(|p| p == *k))
        .map(|k| k.to_string())
        .collect();
    for p in present {
        if !known.contains(&p.as_str()) && !HIDDEN.contains(&p.as_str()) {
            out.push(p.clone());
        }
    }
    out
}

/// One `<name>  <value>` line per file of `dir`.
fn totals(out: &mut String, tree: &dyn Tree, dir: &Path, known: &[&str]) {
    let files = columns(known, &names(tree, dir));
    let values: Vec<String> = files.iter().map(|f| value(tree, &dir.join(f))).collect();
    let nw = files.iter().map(String::len).max().unwrap_or(0);
    let vw = values.iter().map(String::len).max().unwrap_or(0);
    for (f, v) in files.iter().zip(&values) {
        let _ = writeln!(out, "  {f:<nw$}  {v:>vw$}");
    }
}

/// Column header of a file: `prio3` for `enqueued_prio3`, else its name.
fn header(file: &str) -> &str {
    file.strip_prefix("enqueued_").unwrap_or(file)
}

/// A table of `rows` (directory below `class`, configfs name) headed
/// `what`: one column per file any of them has, `known` ones first.
fn table(
    out: &mut String,
    tree: &dyn Tree,
    class: &Path,
    (what, known): (&str, &[&str]),
    rows: &[(String, String)],
) {
    let files: Vec<Vec<String>> = rows
        .iter()
        .map(|(dir, _)| names(tree, &class.join(dir)))
        .collect();
    let mut present: Vec<String> = files.concat();
    present.sort_by(|a, b| natsort::compare(a, b));
    present.dedup();
    let cols = columns(known, &present);
    let mut grid = vec![[what, "name"]
        .into_iter()
        .chain(cols.iter().map(|c| header(c)))
        .map(str::to_string)
        .collect::<Vec<_>>()];
    for ((dir, name), has) in rows.iter().zip(&files) {
        let mut row = vec![dir.clone(), name.clone()];
        row.extend(cols.iter().map(|c| match has.contains(c) {
            true => value(tree, &class.join(dir).join(c)),
            false => "-".to_string(),
        }));
        grid.push(row);
    }
    let widths: Vec<usize> = (0..grid[0].len())
        .map(|i| grid.iter().map(|r| r[i].len()).max().unwrap_or(0))
        .collect();
    for row in &grid {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(&widths).enumerate() {
            let _ = match i {
                0 | 1 => write!(line, "  {cell:<w$}"),
                _ => write!(line, "  {cell:>w$}"),
            };
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

/// The ports (`queues` false) or queues of the class device's `entries`,
/// in `OBJECTS` order then by number, with their configfs names (`-` if
/// none has that number).
fn objects(
    tree: &dyn Tree,
    layout: &Layout,
    bdf: &str,
    domain: &str,
    entries: &[String],
    queues: bool,
) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (order, (prefix, of_queue, kind)) in OBJECTS.iter().enumerate() {
        if *of_queue != queues {
            continue;
        }
        // configfs name by the id the object's `id` file holds.
        let by_id: BTreeMap<String, String> =
            names(tree, &layout.domain(bdf, domain).join(kind.dir()))
                .into_iter()
                .map(|n| {
                    (
                        value(tree, &layout.object(bdf, domain, *kind, &n).join("id")),
                        n,
                    )
                })
                .collect();
        for e in entries {
            let Some(n) = e.strip_prefix(prefix) else {
                continue;
            };
            if !n.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let Ok(number) = n.parse::<u64>() else {
                continue;
            };
            let name = by_id.get(n).cloned().unwrap_or_else(|| "-".to_string());
            found.push(((order, number), e.clone(), name));
        }
    }
    found.sort();
    found
        .into_iter()
        .map(|(_, dir, name)| (dir, name))
        .collect()
}

/// The statistics of domain `name` of `bdf` as text: its totals, its
/// ports, its queues, then the device's totals; if the domain has no class
/// device (it is not started), a line saying so instead of the first three.
pub fn stats(tree: &dyn Tree, layout: &Layout, bdf: &str, name: &str) -> Result<String, Error> {
    let state = read_line(tree, &layout.domain(bdf, name).join("state"))?;
    let class = layout.class_device(bdf, name);
    let mut out = String::new();
    match tree.list(&class) {
        Ok(entries) => {
            let _ = writeln!(out, "domain {name} of {bdf}: {state}");
            totals(&mut out, tree, &class.join("stats"), &DOMAIN_STATS);
            let sections: [(&str, bool, &[&str]); 2] =
                [("port", false, &PORT_STATS), ("queue", true, &QUEUE_STATS)];
            for (what, queues, known) in sections {
                let rows = objects(tree, layout, bdf, name, &entries, queues);
                let _ = writeln!(out, "\n{what}s:");
                if rows.is_empty() {
                    out.push_str("  none\n");
                } else {
                    table(&mut out, tree, &class, (what, known), &rows);
                }
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound && state == "started" => {
            let _ = writeln!(
                out,
                "domain {name} of {bdf} is started but has no statistics: {} does not exist",
                class.display()
            );
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let _ = writeln!(
                out,
                "domain {name} of {bdf} is not running (state {state}): no statistics"
            );
        }
        Err(e) => return Err(at(&class)(e)),
    }
    let device = layout.pci_device(bdf).join("stats");
    if tree.list(&device).is_ok() {
        let _ = writeln!(out, "\ndevice {bdf}, all domains since the driver bound:");
        totals(&mut out, tree, &device, &DEVICE_STATS);
    }
    Ok(out)
}

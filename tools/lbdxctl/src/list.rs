//! `lbdxctl list`: every HLB bound to lbdx_hlb, its total and available
//! resources, and the domains of its configfs tree.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::io;
use std::path::Path;

use crate::layout::{Kind, Layout, DRIVER};
use crate::natsort;
use crate::show::read_links;
use crate::spec::DOMAIN_ATTRS;
use crate::tree::Tree;

/// Resources in the order they are listed; others found in sysfs follow.
const RESOURCES: [&str; 18] = [
    "domains",
    "ldb_queues",
    "ldb_ports",
    "ldb_ports_cos0",
    "ldb_ports_cos1",
    "ldb_ports_cos2",
    "ldb_ports_cos3",
    "dir_ports",
    "ldb_credits",
    "dir_credits",
    "hist_list_entries",
    "max_contiguous_hist_list_entries",
    "atomic_inflights",
    "sn_groups",
    "sn_per_group",
    "ldb_port_cos",
    "max_queues_per_port",
    "priorities",
];

/// Whether `name` looks like a PCI address, `dddd:bb:dd.f` in hex.
pub fn is_bdf(name: &str) -> bool {
    let parts: Vec<&str> = name.split(':').collect();
    let hex = |s: &str, n: usize| s.len() >= n && s.chars().all(|c| c.is_ascii_hexdigit());
    match parts.as_slice() {
        [dom, bus, devfn] => match devfn.split_once('.') {
            Some((dev, func)) => {
                hex(dom, 4)
                    && bus.len() == 2
                    && hex(bus, 2)
                    && dev.len() == 2
                    && hex(dev, 2)
                    && func.len() == 1
                    && hex(func, 1)
            }
            None => false,
        },
        _ => false,
    }
}

/// Contents of a one-line file, `?` if it cannot be read.
pub(crate) fn value(tree: &dyn Tree, path: &Path) -> String {
    match tree.read(path) {
        Ok(text) => text.trim().to_string(),
        Err(_) => "?".to_string(),
    }
}

/// Directory entries in natural order; nothing if it cannot be read.
pub(crate) fn names(tree: &dyn Tree, path: &Path) -> Vec<String> {
    let mut v = tree.list(path).unwrap_or_default();
    v.sort_by(|a, b| natsort::compare(a, b));
    v
}

/// The whole listing as text.
pub fn list(tree: &dyn Tree, layout: &Layout) -> String {
    let mut out = String::new();
    let driver = layout.driver();
    let bound: Vec<String> = match tree.list(&driver) {
        Ok(_) => names(tree, &driver)
            .into_iter()
            .filter(|n| is_bdf(n))
            .collect(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let _ = writeln!(
                out,
                "# {} does not exist: is the {DRIVER} driver loaded?",
                driver.display()
            );
            Vec::new()
        }
        Err(e) => {
            let _ = writeln!(
                out,
                "# {}: {}",
                driver.display(),
                crate::error::describe(&e)
            );
            Vec::new()
        }
    };
    let configured: BTreeSet<String> = names(tree, &layout.configfs)
        .into_iter()
        .filter(|n| is_bdf(n))
        .collect();

    if bound.is_empty() && configured.is_empty() {
        let _ = writeln!(out, "no HLB bound to {DRIVER}");
        return out;
    }
    for bdf in &bound {
        device(&mut out, tree, layout, bdf, true);
    }
    for bdf in configured.iter().filter(|b| !bound.contains(b)) {
        device(&mut out, tree, layout, bdf, false);
    }
    out
}

fn device(out: &mut String, tree: &dyn Tree, layout: &Layout, bdf: &str, bound: bool) {
    if !out.is_empty() {
        out.push('\n');
    }
    if bound {
        let pci = layout.pci_device(bdf);
        let _ = writeln!(
            out,
            "{bdf}  version {}, {} irq vectors",
            value(tree, &pci.join("version")),
            value(tree, &pci.join("irq_vectors"))
        );
        resources(out, tree, &pci);
    } else {
        let _ = writeln!(out, "{bdf}  (configfs tree only: not bound to {DRIVER})");
    }
    let domains = layout.domains(bdf);
    let list = names(tree, &domains);
    if tree.list(&layout.device(bdf)).is_err() {
        let _ = writeln!(out, "  no configfs tree");
    } else if list.is_empty() {
        let _ = writeln!(out, "  no domains");
    }
    for d in list {
        domain(out, tree, layout, bdf, &d);
    }
}

fn resources(out: &mut String, tree: &dyn Tree, pci: &Path) {
    let total = pci.join("total_resources");
    let avail = pci.join("avail_resources");
    let mut all: Vec<String> = RESOURCES.iter().map(|s| s.to_string()).collect();
    for n in names(tree, &total).into_iter().chain(names(tree, &avail)) {
        if !all.contains(&n) {
            all.push(n);
        }
    }
    let _ = writeln!(out, "  {:<34}{:>8}{:>8}", "resource", "total", "avail");
    for r in all {
        let get = |dir: &Path| match tree.read(&dir.join(&r)) {
            Ok(t) => t.trim().to_string(),
            Err(_) => "-".to_string(),
        };
        let (t, a) = (get(&total), get(&avail));
        if t == "-" && a == "-" {
            continue;
        }
        let _ = writeln!(out, "  {r:<34}{t:>8}{a:>8}");
    }
}

fn domain(out: &mut String, tree: &dyn Tree, layout: &Layout, bdf: &str, name: &str) {
    let dir = layout.domain(bdf, name);
    let _ = writeln!(
        out,
        "  domain {name}: {}, id {}",
        value(tree, &dir.join("state")),
        value(tree, &dir.join("id"))
    );
    let reserved: Vec<String> = DOMAIN_ATTRS
        .iter()
        .map(|a| (a.trim_start_matches("num_"), value(tree, &dir.join(a))))
        .filter(|(_, v)| v != "0")
        .map(|(a, v)| format!("{a} {v}"))
        .collect();
    if reserved.is_empty() {
        let _ = writeln!(out, "    reserved: nothing");
    } else {
        let _ = writeln!(out, "    reserved: {}", reserved.join(", "));
    }
    for (kind, label) in [
        (Kind::Queue, "queue"),
        (Kind::LdbPort, "ldb_port"),
        (Kind::DirPort, "dir_port"),
    ] {
        for obj in names(tree, &dir.join(kind.dir())) {
            let odir = layout.object(bdf, name, kind, &obj);
            let _ = write!(
                out,
                "    {label} {obj}: {}, id {}",
                value(tree, &odir.join("state")),
                value(tree, &odir.join("id"))
            );
            if kind == Kind::LdbPort {
                match read_links(tree, &odir.join("links")) {
                    Ok(links) if links.is_empty() => out.push_str(", no links"),
                    Ok(links) => {
                        let l: Vec<String> = links
                            .iter()
                            .map(|l| format!("{}:{}", l.queue, l.priority))
                            .collect();
                        let _ = write!(out, ", links {}", l.join(" "));
                    }
                    Err(_) => out.push_str(", links ?"),
                }
            }
            out.push('\n');
        }
    }
}

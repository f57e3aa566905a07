//! `lbdxctl show`: read a domain back from configfs into a `Spec`.

use std::path::Path;

use crate::error::Error;
use crate::layout::{Kind, Layout};
use crate::spec::{
    DirPort, Domain, LdbPort, Link, Queue, Spec, DIR_PORT_ATTRS, DOMAIN_ATTRS, LDB_PORT_ATTRS,
    QUEUE_ATTRS,
};
use crate::tree::{list_sorted, read_line, read_opt_u64, read_u64, Tree};

/// A domain as read from configfs, and its `state` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub spec: Spec,
    pub state: String,
}

fn read_opts<const N: usize>(
    tree: &dyn Tree,
    dir: &Path,
    names: &[&str; N],
) -> Result<[Option<u64>; N], Error> {
    let mut out = [None; N];
    for (slot, name) in out.iter_mut().zip(names) {
        *slot = read_opt_u64(tree, &dir.join(name))?;
    }
    Ok(out)
}

/// Parses the `links` file: one "<queue> <priority>" per line.
pub fn read_links(tree: &dyn Tree, path: &Path) -> Result<Vec<Link>, Error> {
    let text = read_line(tree, path)?;
    let mut links = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let parsed = line
            .rsplit_once(char::is_whitespace)
            .and_then(|(q, p)| Some((q.trim(), p.parse().ok()?)));
        match parsed {
            Some((queue, priority)) => links.push(Link {
                queue: queue.to_string(),
                priority,
            }),
            None => {
                return Err(Error::msg(format!(
                    "{}: expected \"<queue> <priority>\", read {line:?}",
                    path.display()
                )))
            }
        }
    }
    Ok(links)
}

/// Reads domain `name` of device `bdf`.
pub fn show(tree: &dyn Tree, layout: &Layout, bdf: &str, name: &str) -> Result<Shown, Error> {
    let dir = layout.domain(bdf, name);
    let state = read_line(tree, &dir.join("state"))?;
    let mut v = [0u64; 10];
    for (slot, attr) in v.iter_mut().zip(DOMAIN_ATTRS) {
        *slot = read_u64(tree, &dir.join(attr))?;
    }
    let domain = Domain::from_attrs(name.to_string(), v, state == "started");

    let mut queue = Vec::new();
    for q in list_sorted(tree, &dir.join(Kind::Queue.dir()))? {
        let qdir = layout.object(bdf, name, Kind::Queue, &q);
        queue.push(Queue::from_attrs(q, read_opts(tree, &qdir, &QUEUE_ATTRS)?));
    }
    let mut ldb_port = Vec::new();
    for p in list_sorted(tree, &dir.join(Kind::LdbPort.dir()))? {
        let pdir = layout.object(bdf, name, Kind::LdbPort, &p);
        let attrs = read_opts(tree, &pdir, &LDB_PORT_ATTRS)?;
        let links = read_links(tree, &pdir.join("links"))?;
        ldb_port.push(LdbPort::from_attrs(p, attrs, links));
    }
    let mut dir_port = Vec::new();
    for p in list_sorted(tree, &dir.join(Kind::DirPort.dir()))? {
        let pdir = layout.object(bdf, name, Kind::DirPort, &p);
        dir_port.push(DirPort::from_attrs(
            p,
            read_opts(tree, &pdir, &DIR_PORT_ATTRS)?,
        ));
    }
    Ok(Shown {
        spec: Spec {
            device: bdf.to_string(),
            domain,
            queue,
            ldb_port,
            dir_port,
        },
        state,
    })
}

/// `show` output: a comment naming the state, then the description.
pub fn show_text(shown: &Shown) -> String {
    format!(
        "# lbdxctl show: domain {} of {}, state {}\n{}",
        shown.spec.domain.name,
        shown.spec.device,
        shown.state,
        crate::render::render(&shown.spec)
    )
}

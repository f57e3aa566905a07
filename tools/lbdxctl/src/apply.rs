//! `lbdxctl apply`: make a domain from its description, in the order the
//! ABI requires, and take everything back if any step fails.

use std::io;
use std::path::{Path, PathBuf};

use crate::error::{at, Error};
use crate::layout::{Kind, Layout};
use crate::spec::{Spec, DIR_PORT_ATTRS, LDB_PORT_ATTRS, QUEUE_ATTRS};
use crate::tree::{write_u64, Tree};

/// A failed apply: the error that stopped it, and any step of the rollback
/// that failed too (the tree may then hold leftovers).
#[derive(Debug)]
pub struct Failure {
    pub error: Error,
    pub rollback: Vec<Error>,
}

/// How to take one step back.
#[derive(Debug)]
enum Undo {
    Rmdir(PathBuf),
    Write(PathBuf, String),
}

/// Does operations on a tree and remembers how to undo them.
struct Journal<'a> {
    tree: &'a mut dyn Tree,
    undo: Vec<Undo>,
}

impl Journal<'_> {
    fn mkdir(&mut self, path: PathBuf) -> Result<(), Error> {
        self.tree.mkdir(&path).map_err(at(&path))?;
        self.undo.push(Undo::Rmdir(path));
        Ok(())
    }

    fn write_u64(&mut self, path: &Path, value: u64) -> Result<(), Error> {
        write_u64(self.tree, path, value)
    }

    /// Writes `data` and, once it took, remembers `undo` for that file.
    fn write_undoable(&mut self, path: PathBuf, data: &str, undo: &str) -> Result<(), Error> {
        self.tree.write(&path, data).map_err(at(&path))?;
        self.undo.push(Undo::Write(path, undo.to_string()));
        Ok(())
    }

    /// Undoes everything in reverse order, going on past failures.
    fn rollback(self) -> Vec<Error> {
        let mut errors = Vec::new();
        for step in self.undo.into_iter().rev() {
            let res = match &step {
                Undo::Rmdir(p) => self.tree.rmdir(p).map_err(at(p)),
                Undo::Write(p, data) => self.tree.write(p, data).map_err(at(p)),
            };
            if let Err(e) = res {
                errors.push(e);
            }
        }
        errors
    }
}

/// Makes the domain `spec` describes; on failure nothing it made is left.
pub fn apply(tree: &mut dyn Tree, layout: &Layout, spec: &Spec) -> Result<(), Failure> {
    let mut j = Journal {
        tree,
        undo: Vec::new(),
    };
    match build(&mut j, layout, spec) {
        Ok(()) => Ok(()),
        Err(error) => Err(Failure {
            error,
            rollback: j.rollback(),
        }),
    }
}

/// Writes the attributes that are given, leaving the others at their
/// defaults.
fn write_attrs(
    j: &mut Journal<'_>,
    dir: &Path,
    names: &[&str],
    values: &[Option<u64>],
) -> Result<(), Error> {
    for (name, value) in names.iter().zip(values) {
        if let Some(v) = value {
            j.write_u64(&dir.join(name), *v)?;
        }
    }
    Ok(())
}

/// mkdir, attributes, commit of one queue or port.
fn make_object(
    j: &mut Journal<'_>,
    dir: PathBuf,
    names: &[&str],
    values: &[Option<u64>],
) -> Result<(), Error> {
    j.mkdir(dir.clone())?;
    write_attrs(j, &dir, names, values)?;
    j.write_undoable(dir.join("commit"), "1\n", "0\n")
}

fn build(j: &mut Journal<'_>, layout: &Layout, spec: &Spec) -> Result<(), Error> {
    let bdf = spec.device.as_str();
    let name = spec.domain.name.as_str();

    // The device directory may be there already, holding other domains.
    let device = layout.device(bdf);
    match j.tree.mkdir(&device) {
        Ok(()) => j.undo.push(Undo::Rmdir(device)),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(at(&device)(e)),
    }

    // configfs makes queues/, ldb_ports/ and dir_ports/ with the domain.
    let domain = layout.domain(bdf, name);
    j.mkdir(domain.clone())?;
    for (attr, v) in spec.domain.attrs() {
        j.write_u64(&domain.join(attr), v)?;
    }
    j.write_undoable(domain.join("commit"), "1\n", "0\n")?;

    for q in &spec.queue {
        let dir = layout.object(bdf, name, Kind::Queue, &q.name);
        make_object(j, dir, &QUEUE_ATTRS, &q.attrs())?;
    }
    for p in &spec.ldb_port {
        let dir = layout.object(bdf, name, Kind::LdbPort, &p.name);
        make_object(j, dir, &LDB_PORT_ATTRS, &p.attrs())?;
    }
    for p in &spec.dir_port {
        let dir = layout.object(bdf, name, Kind::DirPort, &p.name);
        make_object(j, dir, &DIR_PORT_ATTRS, &p.attrs())?;
    }
    for p in &spec.ldb_port {
        let links = layout
            .object(bdf, name, Kind::LdbPort, &p.name)
            .join("links");
        for l in &p.links {
            let link = format!("{} {}", l.queue, l.priority);
            let unlink = format!("-{}", l.queue);
            j.write_undoable(links.clone(), &link, &unlink)?;
        }
    }
    if spec.domain.start {
        j.write_undoable(domain.join("start"), "1\n", "0\n")?;
    }
    Ok(())
}

//! An in-memory `Tree` that behaves like the lbdx configfs tree, for tests.
//!
//! Below its configfs root it follows the ABI in
//! Documentation/ABI/testing/configfs-lbdx-hlb: mkdir of a device makes
//! `domains/`, mkdir of a domain makes its attributes and `queues/`,
//! `ldb_ports/`, `dir_ports/`; commit, start and links obey the documented
//! errnos. Anywhere else it is a plain tree of files (for a fake sysfs).
//! Any operation on a path given to `fail_at` fails with the chosen errno.
//! Every change that took is logged in order.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};

const EPERM: i32 = 1;
const ENOENT: i32 = 2;
const EACCES: i32 = 13;
const EBUSY: i32 = 16;
const EEXIST: i32 = 17;
const ENODEV: i32 = 19;
const ENOTDIR: i32 = 20;
const EISDIR: i32 = 21;
const EINVAL: i32 = 22;
const ENOSPC: i32 = 28;
const ENOTEMPTY: i32 = 39;

const DOMAIN_FILES: [(&str, &str); 15] = [
    ("num_ldb_queues", "0"),
    ("num_ldb_ports_cos0", "0"),
    ("num_ldb_ports_cos1", "0"),
    ("num_ldb_ports_cos2", "0"),
    ("num_ldb_ports_cos3", "0"),
    ("num_dir_ports", "0"),
    ("num_ldb_credits", "0"),
    ("num_dir_credits", "0"),
    ("num_hist_list_entries", "0"),
    ("num_atomic_inflights", "0"),
    ("commit", "0"),
    ("start", "0"),
    ("reset", ""),
    ("state", "staged"),
    ("id", "-1"),
];
const QUEUE_FILES: [(&str, &str); 8] = [
    ("sequence_numbers", "0"),
    ("inflight_limit", "64"),
    ("atomic_inflights", "0"),
    ("lock_id_comp", "0"),
    ("depth_threshold", "0"),
    ("commit", "0"),
    ("state", "staged"),
    ("id", "-1"),
];
const LDB_PORT_FILES: [(&str, &str); 8] = [
    ("cq_depth", "64"),
    ("depth_threshold", "0"),
    ("hist_list_size", "0"),
    ("cos", "0"),
    ("links", ""),
    ("commit", "0"),
    ("state", "staged"),
    ("id", "-1"),
];
const DIR_PORT_FILES: [(&str, &str); 5] = [
    ("cq_depth", "64"),
    ("depth_threshold", "0"),
    ("commit", "0"),
    ("state", "staged"),
    ("id", "-1"),
];
const KINDS: [&str; 3] = ["queues", "ldb_ports", "dir_ports"];

/// One change that took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Mkdir(PathBuf),
    Rmdir(PathBuf),
    Write(PathBuf, String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Dir,
    File(String),
}

/// Where a directory sits in the configfs tree.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Place {
    Outside,
    Root,
    Device,
    DefaultGroup,
    Domain { dir: PathBuf },
    Object { domain: PathBuf, kind: usize },
    Other,
}

/// The fake tree.
#[derive(Debug, Clone)]
pub struct FakeConfigfs {
    root: PathBuf,
    bound: BTreeSet<String>,
    nodes: BTreeMap<PathBuf, Node>,
    fail: BTreeMap<PathBuf, i32>,
    log: Vec<Op>,
    next_id: u64,
}

fn err(code: i32) -> io::Error {
    io::Error::from_raw_os_error(code)
}

fn ancestors_of(path: &Path) -> impl Iterator<Item = &Path> {
    path.ancestors()
        .skip(1)
        .filter(|p| !p.as_os_str().is_empty())
}

impl FakeConfigfs {
    /// An empty configfs tree at `root` (e.g. `/cfg/lbdx`).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        let mut nodes = BTreeMap::new();
        for a in ancestors_of(&root) {
            nodes.insert(a.to_path_buf(), Node::Dir);
        }
        nodes.insert(root.clone(), Node::Dir);
        FakeConfigfs {
            root,
            bound: BTreeSet::new(),
            nodes,
            fail: BTreeMap::new(),
            log: Vec::new(),
            next_id: 0,
        }
    }

    /// Lets the device at `bdf` get a configfs directory (as if bound).
    pub fn bind(&mut self, bdf: &str) {
        self.bound.insert(bdf.to_string());
    }

    /// Makes every operation on `path` fail with `errno`.
    pub fn fail_at(&mut self, path: impl Into<PathBuf>, errno: i32) {
        self.fail.insert(path.into(), errno);
    }

    /// Removes all injected failures.
    pub fn clear_failures(&mut self) {
        self.fail.clear();
    }

    /// Adds a plain file (and its directories), e.g. a fake sysfs entry.
    pub fn add_file(&mut self, path: impl Into<PathBuf>, content: &str) {
        let path = path.into();
        for a in ancestors_of(&path) {
            self.nodes.insert(a.to_path_buf(), Node::Dir);
        }
        self.nodes.insert(path, Node::File(content.to_string()));
    }

    /// Every change that took, in order.
    pub fn log(&self) -> &[Op] {
        &self.log
    }

    /// Forgets the log.
    pub fn clear_log(&mut self) {
        self.log.clear();
    }

    /// Every path in the tree with its content (`None` for directories),
    /// to compare whole trees.
    pub fn snapshot(&self) -> BTreeMap<PathBuf, Option<String>> {
        self.nodes
            .iter()
            .map(|(p, n)| {
                let c = match n {
                    Node::Dir => None,
                    Node::File(s) => Some(s.clone()),
                };
                (p.clone(), c)
            })
            .collect()
    }

    fn check_fail(&self, path: &Path) -> io::Result<()> {
        match self.fail.get(path) {
            Some(&code) => Err(err(code)),
            None => Ok(()),
        }
    }

    fn place(&self, dir: &Path) -> Place {
        let rel = match dir.strip_prefix(&self.root) {
            Ok(r) => r,
            Err(_) => return Place::Outside,
        };
        let c: Vec<&str> = rel.iter().filter_map(|s| s.to_str()).collect();
        match c.as_slice() {
            [] => Place::Root,
            [_] => Place::Device,
            [_, "domains"] => Place::DefaultGroup,
            [_, "domains", _] => Place::Domain {
                dir: dir.to_path_buf(),
            },
            [_, "domains", _, k] if KINDS.contains(k) => Place::DefaultGroup,
            [_, "domains", _, k, _] => match KINDS.iter().position(|x| x == k) {
                Some(kind) => Place::Object {
                    domain: self.root.join(c[0]).join("domains").join(c[2]),
                    kind,
                },
                None => Place::Other,
            },
            _ => Place::Other,
        }
    }

    fn get(&self, path: &Path) -> String {
        match self.nodes.get(path) {
            Some(Node::File(s)) => s.trim_end().to_string(),
            _ => String::new(),
        }
    }

    fn set(&mut self, path: PathBuf, value: &str) {
        self.nodes.insert(path, Node::File(format!("{value}\n")));
    }

    fn children(&self, dir: &Path) -> Vec<PathBuf> {
        self.nodes
            .range(dir.to_path_buf()..)
            .skip(1)
            .take_while(|(p, _)| p.starts_with(dir))
            .filter(|(p, _)| p.parent() == Some(dir))
            .map(|(p, _)| p.clone())
            .collect()
    }

    fn subdirs(&self, dir: &Path) -> Vec<PathBuf> {
        self.children(dir)
            .into_iter()
            .filter(|p| self.nodes.get(p) == Some(&Node::Dir))
            .collect()
    }

    fn remove_tree(&mut self, dir: &Path) {
        let doomed: Vec<PathBuf> = self
            .nodes
            .keys()
            .filter(|p| p.starts_with(dir))
            .cloned()
            .collect();
        for p in doomed {
            self.nodes.remove(&p);
        }
    }

    fn make_files(&mut self, dir: &Path, files: &[(&str, &str)]) {
        for (name, value) in files {
            let content = if value.is_empty() {
                String::new()
            } else {
                format!("{value}\n")
            };
            self.nodes.insert(dir.join(name), Node::File(content));
        }
    }

    fn started(&self, domain: &Path) -> bool {
        self.get(&domain.join("state")) == "started"
    }

    fn committed(&self, dir: &Path) -> bool {
        self.get(&dir.join("commit")) == "1"
    }

    /// Every LDB port directory of a domain.
    fn ldb_ports(&self, domain: &Path) -> Vec<PathBuf> {
        self.subdirs(&domain.join("ldb_ports"))
    }

    fn queue_linked(&self, domain: &Path, queue: &str) -> bool {
        self.ldb_ports(domain).iter().any(|p| {
            self.get(&p.join("links"))
                .lines()
                .any(|l| l.split_whitespace().next() == Some(queue))
        })
    }

    fn any_committed_object(&self, domain: &Path) -> bool {
        KINDS.iter().any(|k| {
            self.subdirs(&domain.join(k))
                .iter()
                .any(|o| self.committed(o))
        })
    }

    fn new_id(&mut self) -> String {
        self.next_id += 1;
        (self.next_id - 1).to_string()
    }

    fn set_committed(&mut self, dir: &Path, on: bool) {
        if on {
            let id = self.new_id();
            self.set(dir.join("commit"), "1");
            self.set(dir.join("state"), "committed");
            self.set(dir.join("id"), &id);
        } else {
            self.set(dir.join("commit"), "0");
            self.set(dir.join("state"), "staged");
            self.set(dir.join("id"), "-1");
        }
    }

    fn domain_write(&mut self, dir: &Path, name: &str, data: &str) -> io::Result<()> {
        match name {
            "state" | "id" => Err(err(EACCES)),
            "commit" => match parse_num(data)? {
                1 if self.committed(dir) => Err(err(EBUSY)),
                1 => {
                    self.set_committed(dir, true);
                    Ok(())
                }
                0 if self.started(dir) || self.any_committed_object(dir) => Err(err(EBUSY)),
                0 => {
                    self.set_committed(dir, false);
                    Ok(())
                }
                _ => Err(err(EINVAL)),
            },
            "start" => match parse_num(data)? {
                1 if !self.committed(dir) => Err(err(EINVAL)),
                1 => {
                    self.set(dir.join("start"), "1");
                    self.set(dir.join("state"), "started");
                    Ok(())
                }
                0 => {
                    if self.started(dir) {
                        self.set(dir.join("state"), "committed");
                    }
                    self.set(dir.join("start"), "0");
                    Ok(())
                }
                _ => Err(err(EINVAL)),
            },
            "reset" => match parse_num(data)? {
                1 => {
                    for k in KINDS {
                        for o in self.subdirs(&dir.join(k)) {
                            self.set_committed(&o, false);
                        }
                    }
                    self.set(dir.join("start"), "0");
                    self.set_committed(dir, false);
                    Ok(())
                }
                _ => Err(err(EINVAL)),
            },
            _ => {
                if self.started(dir) || self.committed(dir) {
                    return Err(err(EBUSY));
                }
                let v = parse_num(data)?;
                self.set(dir.join(name), &v.to_string());
                Ok(())
            }
        }
    }

    fn object_write(
        &mut self,
        dir: &Path,
        domain: &Path,
        name: &str,
        data: &str,
    ) -> io::Result<()> {
        if name == "state" || name == "id" {
            return Err(err(EACCES));
        }
        if self.started(domain) {
            return Err(err(EBUSY));
        }
        match name {
            "commit" => match parse_num(data)? {
                1 if !self.committed(domain) => Err(err(EINVAL)),
                1 if self.committed(dir) => Err(err(EBUSY)),
                1 => {
                    self.set_committed(dir, true);
                    Ok(())
                }
                0 => {
                    let queue = dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    let is_queue =
                        dir.parent().and_then(|p| p.file_name()) == Some("queues".as_ref());
                    let port_linked = !self.get(&dir.join("links")).is_empty();
                    if (is_queue && self.queue_linked(domain, queue)) || port_linked {
                        return Err(err(EBUSY));
                    }
                    self.set_committed(dir, false);
                    Ok(())
                }
                _ => Err(err(EINVAL)),
            },
            "links" => self.link_write(dir, domain, data),
            _ => {
                if self.committed(dir) {
                    return Err(err(EBUSY));
                }
                let v = parse_num(data)?;
                self.set(dir.join(name), &v.to_string());
                Ok(())
            }
        }
    }

    fn link_write(&mut self, port: &Path, domain: &Path, data: &str) -> io::Result<()> {
        let data = data.strip_suffix('\n').unwrap_or(data);
        let path = port.join("links");
        let mut lines: Vec<String> = self.get(&path).lines().map(str::to_string).collect();
        let pos = |lines: &[String], q: &str| {
            lines
                .iter()
                .position(|l| l.split_whitespace().next() == Some(q))
        };
        if let Some(q) = data.strip_prefix('-') {
            let i = pos(&lines, q).ok_or_else(|| err(ENOENT))?;
            lines.remove(i);
        } else {
            let (q, p) = data.split_once(' ').ok_or_else(|| err(EINVAL))?;
            let prio: u64 = p.parse().map_err(|_| err(EINVAL))?;
            if !self.committed(port) {
                return Err(err(EINVAL));
            }
            let qdir = domain.join("queues").join(q);
            if self.nodes.get(&qdir) != Some(&Node::Dir) || !self.committed(&qdir) {
                return Err(err(ENOENT));
            }
            if prio > 7 {
                return Err(err(EINVAL));
            }
            if pos(&lines, q).is_some() {
                return Err(err(EEXIST));
            }
            if lines.len() >= 8 {
                return Err(err(ENOSPC));
            }
            lines.push(format!("{q} {prio}"));
        }
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        self.nodes.insert(path, Node::File(text));
        Ok(())
    }
}

/// A numeric attribute write: decimal or 0x hex, optional trailing newline.
fn parse_num(data: &str) -> io::Result<u64> {
    let s = data.strip_suffix('\n').unwrap_or(data);
    if s.is_empty() || s.len() > 32 {
        return Err(err(EINVAL));
    }
    let v = match s.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse(),
    };
    v.map_err(|_| err(EINVAL))
}

impl crate::tree::Tree for FakeConfigfs {
    fn mkdir(&mut self, path: &Path) -> io::Result<()> {
        self.check_fail(path)?;
        if self.nodes.contains_key(path) {
            return Err(err(EEXIST));
        }
        let parent = path.parent().ok_or_else(|| err(EEXIST))?;
        if self.nodes.get(parent) != Some(&Node::Dir) {
            return Err(err(ENOENT));
        }
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let place = self.place(path);
        // The driver's rule for the names of domains, queues and ports.
        if matches!(place, Place::Domain { .. } | Place::Object { .. })
            && lbdx_logic::attr_value::check_name(name.as_bytes()).is_err()
        {
            return Err(err(EINVAL));
        }
        match place {
            Place::Outside => {}
            Place::Device => {
                if !self.bound.contains(name) {
                    return Err(err(ENODEV));
                }
                self.nodes.insert(path.join("domains"), Node::Dir);
            }
            Place::Domain { dir } => {
                self.make_files(&dir, &DOMAIN_FILES);
                for k in KINDS {
                    self.nodes.insert(dir.join(k), Node::Dir);
                }
            }
            Place::Object { domain, kind } => {
                if self.started(&domain) {
                    return Err(err(EBUSY));
                }
                let files: &[(&str, &str)] = match kind {
                    0 => &QUEUE_FILES,
                    1 => &LDB_PORT_FILES,
                    _ => &DIR_PORT_FILES,
                };
                self.make_files(path, files);
            }
            Place::Root | Place::DefaultGroup | Place::Other => return Err(err(EPERM)),
        }
        self.nodes.insert(path.to_path_buf(), Node::Dir);
        self.log.push(Op::Mkdir(path.to_path_buf()));
        Ok(())
    }

    fn rmdir(&mut self, path: &Path) -> io::Result<()> {
        self.check_fail(path)?;
        match self.nodes.get(path) {
            None => return Err(err(ENOENT)),
            Some(Node::File(_)) => return Err(err(ENOTDIR)),
            Some(Node::Dir) => {}
        }
        match self.place(path) {
            Place::Outside => {
                if !self.children(path).is_empty() {
                    return Err(err(ENOTEMPTY));
                }
            }
            Place::Device => {
                if !self.children(&path.join("domains")).is_empty() {
                    return Err(err(ENOTEMPTY));
                }
            }
            Place::Domain { dir } => {
                if self.started(&dir) {
                    return Err(err(EBUSY));
                }
                if KINDS
                    .iter()
                    .any(|k| !self.children(&dir.join(k)).is_empty())
                {
                    return Err(err(ENOTEMPTY));
                }
            }
            Place::Object { domain, kind } => {
                if self.started(&domain) {
                    return Err(err(EBUSY));
                }
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if kind == 0 && self.queue_linked(&domain, name) {
                    return Err(err(EBUSY));
                }
                if kind == 1 && !self.get(&path.join("links")).is_empty() {
                    // Removing a port drops its links, as the driver does.
                    self.set(path.join("links"), "");
                }
            }
            Place::Root | Place::DefaultGroup | Place::Other => return Err(err(EPERM)),
        }
        self.remove_tree(path);
        self.log.push(Op::Rmdir(path.to_path_buf()));
        Ok(())
    }

    fn write(&mut self, path: &Path, data: &str) -> io::Result<()> {
        self.check_fail(path)?;
        match self.nodes.get(path) {
            None => return Err(err(ENOENT)),
            Some(Node::Dir) => return Err(err(EISDIR)),
            Some(Node::File(_)) => {}
        }
        let dir = path.parent().ok_or_else(|| err(ENOENT))?.to_path_buf();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        match self.place(&dir) {
            Place::Outside => {
                self.nodes
                    .insert(path.to_path_buf(), Node::File(data.to_string()));
            }
            Place::Domain { dir } => self.domain_write(&dir, name, data)?,
            Place::Object { domain, .. } => self.object_write(&dir, &domain, name, data)?,
            _ => return Err(err(EACCES)),
        }
        self.log
            .push(Op::Write(path.to_path_buf(), data.to_string()));
        Ok(())
    }

    fn read(&self, path: &Path) -> io::Result<String> {
        self.check_fail(path)?;
        match self.nodes.get(path) {
            None => Err(err(ENOENT)),
            Some(Node::Dir) => Err(err(EISDIR)),
            Some(Node::File(s)) => Ok(s.clone()),
        }
    }

    fn list(&self, path: &Path) -> io::Result<Vec<String>> {
        self.check_fail(path)?;
        match self.nodes.get(path) {
            None => Err(err(ENOENT)),
            Some(Node::File(_)) => Err(err(ENOTDIR)),
            Some(Node::Dir) => Ok(self
                .children(path)
                .iter()
                .filter_map(|p| p.file_name().and_then(|n| n.to_str()).map(str::to_string))
                .collect()),
        }
    }
}

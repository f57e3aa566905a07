//! The domain description file: its types, parsing from TOML and the checks
//! that need no device. See Documentation/admin-guide/lbdxctl.rst.

use std::collections::BTreeSet;

use lbdx_logic::attr_value::{check_name, NAME_MAX};
use serde::Deserialize;

use crate::error::Error;

/// One domain of one device, as a file describes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// PCI address of the HLB, e.g. `0000:00:10.0`.
    pub device: String,
    pub domain: Domain,
    #[serde(default)]
    pub queue: Vec<Queue>,
    #[serde(default)]
    pub ldb_port: Vec<LdbPort>,
    #[serde(default)]
    pub dir_port: Vec<DirPort>,
}

/// The domain and its reservation; every `num_*` defaults to 0.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Domain {
    pub name: String,
    #[serde(default)]
    pub num_ldb_queues: u64,
    #[serde(default)]
    pub num_ldb_ports_cos0: u64,
    #[serde(default)]
    pub num_ldb_ports_cos1: u64,
    #[serde(default)]
    pub num_ldb_ports_cos2: u64,
    #[serde(default)]
    pub num_ldb_ports_cos3: u64,
    #[serde(default)]
    pub num_dir_ports: u64,
    #[serde(default)]
    pub num_ldb_credits: u64,
    #[serde(default)]
    pub num_dir_credits: u64,
    #[serde(default)]
    pub num_hist_list_entries: u64,
    #[serde(default)]
    pub num_atomic_inflights: u64,
    /// Start the domain once everything is made.
    #[serde(default)]
    pub start: bool,
}

/// A load-balanced queue; absent attributes keep the driver's defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Queue {
    pub name: String,
    pub sequence_numbers: Option<u64>,
    pub inflight_limit: Option<u64>,
    pub atomic_inflights: Option<u64>,
    pub lock_id_comp: Option<u64>,
    pub depth_threshold: Option<u64>,
}

/// A load-balanced port and the queues it takes entries from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LdbPort {
    pub name: String,
    pub cq_depth: Option<u64>,
    pub depth_threshold: Option<u64>,
    pub hist_list_size: Option<u64>,
    pub cos: Option<u64>,
    #[serde(default)]
    pub links: Vec<Link>,
}

/// One queue-to-port link.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub queue: String,
    pub priority: u64,
}

/// A directed port with its directed queue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirPort {
    pub name: String,
    pub cq_depth: Option<u64>,
    pub depth_threshold: Option<u64>,
}

/// Names of the domain's reservation attributes, in the order they are
/// written.
pub const DOMAIN_ATTRS: [&str; 10] = [
    "num_ldb_queues",
    "num_ldb_ports_cos0",
    "num_ldb_ports_cos1",
    "num_ldb_ports_cos2",
    "num_ldb_ports_cos3",
    "num_dir_ports",
    "num_ldb_credits",
    "num_dir_credits",
    "num_hist_list_entries",
    "num_atomic_inflights",
];

impl Domain {
    /// The reservation as (attribute, value), in `DOMAIN_ATTRS` order.
    pub fn attrs(&self) -> [(&'static str, u64); 10] {
        let v = [
            self.num_ldb_queues,
            self.num_ldb_ports_cos0,
            self.num_ldb_ports_cos1,
            self.num_ldb_ports_cos2,
            self.num_ldb_ports_cos3,
            self.num_dir_ports,
            self.num_ldb_credits,
            self.num_dir_credits,
            self.num_hist_list_entries,
            self.num_atomic_inflights,
        ];
        std::array::from_fn(|i| (DOMAIN_ATTRS[i], v[i]))
    }

    /// Builds a domain from its name, its reservation in `DOMAIN_ATTRS`
    /// order and whether it is started.
    pub fn from_attrs(name: String, v: [u64; 10], start: bool) -> Self {
        Domain {
            name,
            num_ldb_queues: v[0],
            num_ldb_ports_cos0: v[1],
            num_ldb_ports_cos1: v[2],
            num_ldb_ports_cos2: v[3],
            num_ldb_ports_cos3: v[4],
            num_dir_ports: v[5],
            num_ldb_credits: v[6],
            num_dir_credits: v[7],
            num_hist_list_entries: v[8],
            num_atomic_inflights: v[9],
            start,
        }
    }
}

/// Names of a queue's attributes.
pub const QUEUE_ATTRS: [&str; 5] = [
    "sequence_numbers",
    "inflight_limit",
    "atomic_inflights",
    "lock_id_comp",
    "depth_threshold",
];
/// Names of an LDB port's numeric attributes (links are apart).
pub const LDB_PORT_ATTRS: [&str; 4] = ["cq_depth", "depth_threshold", "hist_list_size", "cos"];
/// Names of a DIR port's attributes.
pub const DIR_PORT_ATTRS: [&str; 2] = ["cq_depth", "depth_threshold"];

impl Queue {
    /// Attributes in `QUEUE_ATTRS` order; `None` keeps the default.
    pub fn attrs(&self) -> [Option<u64>; 5] {
        [
            self.sequence_numbers,
            self.inflight_limit,
            self.atomic_inflights,
            self.lock_id_comp,
            self.depth_threshold,
        ]
    }

    pub fn from_attrs(name: String, v: [Option<u64>; 5]) -> Self {
        Queue {
            name,
            sequence_numbers: v[0],
            inflight_limit: v[1],
            atomic_inflights: v[2],
            lock_id_comp: v[3],
            depth_threshold: v[4],
        }
    }
}

impl LdbPort {
    /// Attributes in `LDB_PORT_ATTRS` order; `None` keeps the default.
    pub fn attrs(&self) -> [Option<u64>; 4] {
        [
            self.cq_depth,
            self.depth_threshold,
            self.hist_list_size,
            self.cos,
        ]
    }

    pub fn from_attrs(name: String, v: [Option<u64>; 4], links: Vec<Link>) -> Self {
        LdbPort {
            name,
            cq_depth: v[0],
            depth_threshold: v[1],
            hist_list_size: v[2],
            cos: v[3],
            links,
        }
    }
}

impl DirPort {
    /// Attributes in `DIR_PORT_ATTRS` order; `None` keeps the default.
    pub fn attrs(&self) -> [Option<u64>; 2] {
        [self.cq_depth, self.depth_threshold]
    }

    pub fn from_attrs(name: String, v: [Option<u64>; 2]) -> Self {
        DirPort {
            name,
            cq_depth: v[0],
            depth_threshold: v[1],
        }
    }
}

/// Parses and checks a description; `origin` (the file name) prefixes
/// messages, with line and column for syntax and type errors.
pub fn parse(text: &str, origin: &str) -> Result<Spec, Error> {
    let spec: Spec = toml::from_str(text).map_err(|e| {
        let place = match e.span() {
            Some(span) => {
                let (line, col) = line_col(text, span.start);
                format!("{origin}:{line}:{col}")
            }
            None => origin.to_string(),
        };
        Error::msg(format!("{place}: {}", e.message().trim_end()))
    })?;
    spec.check()
        .map_err(|m| Error::msg(format!("{origin}: {m}")))?;
    Ok(spec)
}

/// 1-based line and column of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// A name that can be one directory entry (the device's PCI address).
fn check_component(what: &str, name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err(format!("{what}: empty name"));
    }
    if name == "." || name == ".." || name.contains('/') || name.chars().any(char::is_control) {
        return Err(format!("{what}: {name:?} is not a valid directory name"));
    }
    Ok(())
}

/// A name the driver accepts for a domain, queue or port: the driver's own
/// check (`drivers/lbdx/attr_value.rs`, through `lbdx-logic`).
fn check_object_name(what: &str, name: &str) -> Result<(), String> {
    check_name(name.as_bytes()).map_err(|why| {
        format!(
            "{what} {name:?}: {why} (a name is 1 to {NAME_MAX} of A-Z a-z 0-9 _ . -, \
             not starting with '.' or '-')"
        )
    })
}

/// Names of one kind must be unique and valid.
fn check_names<'a>(
    what: &str,
    names: impl Iterator<Item = &'a str>,
) -> Result<BTreeSet<&'a str>, String> {
    let mut seen = BTreeSet::new();
    for name in names {
        check_object_name(what, name)?;
        if !seen.insert(name) {
            return Err(format!("{what} {name:?} appears twice"));
        }
    }
    Ok(seen)
}

impl Spec {
    /// Checks what can be checked without the device: names and links.
    /// Value ranges are left to the driver, which knows its limits.
    pub fn check(&self) -> Result<(), String> {
        check_component("device", &self.device)?;
        check_object_name("domain", &self.domain.name)?;
        let queues = check_names("queue", self.queue.iter().map(|q| q.name.as_str()))?;
        check_names("ldb_port", self.ldb_port.iter().map(|p| p.name.as_str()))?;
        check_names("dir_port", self.dir_port.iter().map(|p| p.name.as_str()))?;
        for port in &self.ldb_port {
            let mut linked = BTreeSet::new();
            for link in &port.links {
                if !queues.contains(link.queue.as_str()) {
                    return Err(format!(
                        "ldb_port {:?}: link to queue {:?}, which is not in the file",
                        port.name, link.queue
                    ));
                }
                if !linked.insert(link.queue.as_str()) {
                    return Err(format!(
                        "ldb_port {:?}: queue {:?} linked twice",
                        port.name, link.queue
                    ));
                }
            }
        }
        Ok(())
    }

    /// Number of links over all ports.
    pub fn link_count(&self) -> usize {
        self.ldb_port.iter().map(|p| p.links.len()).sum()
    }
}

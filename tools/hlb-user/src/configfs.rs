// SPDX-License-Identifier: GPL-2.0

//! Device numbers of a domain's queues and ports by configfs name:
//! `/sys/kernel/config/lbdx/<bdf>/domains/<domain>/{queues,ldb_ports,dir_ports}/<name>/id`.

use std::io;
use std::path::PathBuf;

/// configfs root of lbdx.
pub const ROOT: &str = "/sys/kernel/config/lbdx";

/// What a name refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An LDB queue.
    Queue,
    /// An LDB port.
    LdbPort,
    /// A DIR port.
    DirPort,
}

impl Kind {
    fn dir(self) -> &'static str {
        match self {
            Self::Queue => "queues",
            Self::LdbPort => "ldb_ports",
            Self::DirPort => "dir_ports",
        }
    }
}

/// The device number of object `name` of domain `domain` of device `bdf`.
pub fn id(bdf: &str, domain: &str, kind: Kind, name: &str) -> io::Result<u8> {
    let p: PathBuf = [ROOT, bdf, "domains", domain, kind.dir(), name, "id"]
        .iter()
        .collect();
    let s = std::fs::read_to_string(&p)?;
    s.trim().parse().map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: '{}'", p.display(), s.trim()),
        )
    })
}

/// The domain's character device path.
pub fn dev_path(bdf: &str, domain: &str) -> PathBuf {
    ["/dev/lbdx", bdf, domain].iter().collect()
}

//! Where things are: paths of the configfs tree and of the sysfs driver
//! directory, relative to the roots given by `--configfs` and `--sysfs`.

use std::path::PathBuf;

/// Default root of the lbdx configfs tree.
pub const DEFAULT_CONFIGFS: &str = "/sys/kernel/config/lbdx";
/// Default root of the PCI bus in sysfs.
pub const DEFAULT_SYSFS: &str = "/sys/bus/pci";
/// The PCI driver the HLB binds to.
pub const DRIVER: &str = "lbdx_hlb";
/// The device class of started domains.
pub const CLASS: &str = "lbdx_hlb";

/// The three kinds of objects in a domain, each in its own subdirectory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Queue,
    LdbPort,
    DirPort,
}

impl Kind {
    /// Subdirectory of the domain that holds objects of this kind.
    pub fn dir(self) -> &'static str {
        match self {
            Kind::Queue => "queues",
            Kind::LdbPort => "ldb_ports",
            Kind::DirPort => "dir_ports",
        }
    }
}

/// The two roots lbdxctl works below.
#[derive(Debug, Clone)]
pub struct Layout {
    pub configfs: PathBuf,
    pub sysfs: PathBuf,
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            configfs: PathBuf::from(DEFAULT_CONFIGFS),
            sysfs: PathBuf::from(DEFAULT_SYSFS),
        }
    }
}

impl Layout {
    /// `<configfs>/<bdf>`
    pub fn device(&self, bdf: &str) -> PathBuf {
        self.configfs.join(bdf)
    }

    /// `<configfs>/<bdf>/domains`
    pub fn domains(&self, bdf: &str) -> PathBuf {
        self.device(bdf).join("domains")
    }

    /// `<configfs>/<bdf>/domains/<domain>`
    pub fn domain(&self, bdf: &str, domain: &str) -> PathBuf {
        self.domains(bdf).join(domain)
    }

    /// `<configfs>/<bdf>/domains/<domain>/<queues|ldb_ports|dir_ports>/<name>`
    pub fn object(&self, bdf: &str, domain: &str, kind: Kind, name: &str) -> PathBuf {
        self.domain(bdf, domain).join(kind.dir()).join(name)
    }

    /// `<sysfs>/drivers/lbdx_hlb`
    pub fn driver(&self) -> PathBuf {
        self.sysfs.join("drivers").join(DRIVER)
    }

    /// `<sysfs>/drivers/lbdx_hlb/<bdf>` (a link to the PCI device)
    pub fn pci_device(&self, bdf: &str) -> PathBuf {
        self.driver().join(bdf)
    }

    /// `<sysfs>/drivers/lbdx_hlb/<bdf>/lbdx_hlb/<bdf>:<domain>`: the class
    /// device of a started domain in its PCI device's class directory
    /// (the same as `/sys/class/lbdx_hlb/<bdf>:<domain>`).
    pub fn class_device(&self, bdf: &str, domain: &str) -> PathBuf {
        self.pci_device(bdf)
            .join(CLASS)
            .join(format!("{bdf}:{domain}"))
    }
}

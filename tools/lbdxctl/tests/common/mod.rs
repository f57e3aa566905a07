//! Shared by the tests: the documented example and a fake device.

#![allow(dead_code)]

use std::path::PathBuf;

use lbdxctl::fake::FakeConfigfs;
use lbdxctl::layout::Layout;

pub const BDF: &str = "0000:00:10.0";

/// The TOML example of Documentation/admin-guide/lbdxctl.rst.
pub fn doc_example() -> String {
    let doc = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../Documentation/admin-guide/lbdxctl.rst");
    let text = std::fs::read_to_string(&doc).expect("read lbdxctl.rst");
    let start = text
        .find(".. code-block:: toml")
        .expect("the guide has a TOML example");
    let mut out = String::new();
    for line in text[start..].lines().skip(2) {
        if !line.is_empty() && !line.starts_with("    ") {
            break;
        }
        out.push_str(line.strip_prefix("    ").unwrap_or(line));
        out.push('\n');
    }
    out
}

pub fn layout() -> Layout {
    Layout {
        configfs: PathBuf::from("/cfg/lbdx"),
        sysfs: PathBuf::from("/sys/bus/pci"),
    }
}

/// A fake configfs with the device bound.
pub fn fake() -> FakeConfigfs {
    let mut f = FakeConfigfs::new("/cfg/lbdx");
    f.bind(BDF);
    f
}

pub fn domain_path(rest: &str) -> PathBuf {
    let p = PathBuf::from(format!("/cfg/lbdx/{BDF}/domains/d0"));
    if rest.is_empty() {
        p
    } else {
        p.join(rest)
    }
}

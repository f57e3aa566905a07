//! `lbdxctl destroy`: take a domain apart in the order the ABI requires.
//! Each step looks at the current state first, so a destroy that stopped
//! half-way can simply be run again.

use crate::error::{at, Error};
use crate::layout::{Kind, Layout};
use crate::show::read_links;
use crate::tree::{list_sorted, read_line, Tree};

/// Stops, unlinks, uncommits and removes domain `name` of device `bdf`.
/// The device directory stays.
pub fn destroy(tree: &mut dyn Tree, layout: &Layout, bdf: &str, name: &str) -> Result<(), Error> {
    let dir = layout.domain(bdf, name);
    let state = read_line(tree, &dir.join("state"))?;
    // With the device gone every write fails with ENODEV, but rmdir works.
    let live = state != "removed";

    if live && state == "started" {
        let start = dir.join("start");
        tree.write(&start, "0\n").map_err(at(&start))?;
    }

    let ports = list_sorted(tree, &dir.join(Kind::LdbPort.dir()))?;
    if live {
        for p in &ports {
            let links = layout.object(bdf, name, Kind::LdbPort, p).join("links");
            for link in read_links(tree, &links)? {
                let unlink = format!("-{}", link.queue);
                tree.write(&links, &unlink).map_err(at(&links))?;
            }
        }
    }

    for kind in [Kind::LdbPort, Kind::DirPort, Kind::Queue] {
        for obj in list_sorted(tree, &dir.join(kind.dir()))? {
            let odir = layout.object(bdf, name, kind, &obj);
            if live {
                uncommit(tree, &odir)?;
            }
            tree.rmdir(&odir).map_err(at(&odir))?;
        }
    }

    if live {
        uncommit(tree, &dir)?;
    }
    tree.rmdir(&dir).map_err(at(&dir))
}

/// Writes 0 to `commit` if it reads 1.
fn uncommit(tree: &mut dyn Tree, dir: &std::path::Path) -> Result<(), Error> {
    let commit = dir.join("commit");
    if read_line(tree, &commit)?.trim() == "1" {
        tree.write(&commit, "0\n").map_err(at(&commit))?;
    }
    Ok(())
}

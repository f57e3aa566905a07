//! The `Tree` trait: the five operations lbdxctl does on configfs and sysfs,
//! its real-filesystem implementation, and path-tagged helpers on top.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use crate::error::{at, Error};

/// A directory tree of attribute files, as configfs and sysfs present them.
pub trait Tree {
    /// Make one directory (configfs then fills it with its attributes).
    fn mkdir(&mut self, path: &Path) -> io::Result<()>;
    /// Remove one directory.
    fn rmdir(&mut self, path: &Path) -> io::Result<()>;
    /// Write `data` to an existing attribute file in one write(2).
    fn write(&mut self, path: &Path, data: &str) -> io::Result<()>;
    /// Read a whole attribute file.
    fn read(&self, path: &Path) -> io::Result<String>;
    /// Names of the entries of a directory, in no particular order.
    fn list(&self, path: &Path) -> io::Result<Vec<String>>;
}

/// The real file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct FsTree;

impl Tree for FsTree {
    fn mkdir(&mut self, path: &Path) -> io::Result<()> {
        fs::create_dir(path)
    }

    fn rmdir(&mut self, path: &Path) -> io::Result<()> {
        fs::remove_dir(path)
    }

    fn write(&mut self, path: &Path, data: &str) -> io::Result<()> {
        // No O_CREAT: configfs attributes exist or the name is wrong.
        // O_TRUNC as a shell's `>` does (configfs and sysfs ignore it).
        let mut file = fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(path)?;
        let n = file.write(data.as_bytes())?;
        if n != data.len() {
            return Err(io::Error::new(
                io::ErrorKind::WriteZero,
                format!("short write ({n} of {} bytes)", data.len()),
            ));
        }
        Ok(())
    }

    fn read(&self, path: &Path) -> io::Result<String> {
        fs::read_to_string(path)
    }

    fn list(&self, path: &Path) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(path)? {
            names.push(entry?.file_name().to_string_lossy().into_owned());
        }
        Ok(names)
    }
}

/// Writes `value` as decimal followed by a newline.
pub fn write_u64(tree: &mut dyn Tree, path: &Path, value: u64) -> Result<(), Error> {
    tree.write(path, &format!("{value}\n")).map_err(at(path))
}

/// Reads a file with its trailing newline removed.
pub fn read_line(tree: &dyn Tree, path: &Path) -> Result<String, Error> {
    let text = tree.read(path).map_err(at(path))?;
    Ok(text.trim_end_matches('\n').to_string())
}

/// Reads a decimal number.
pub fn read_u64(tree: &dyn Tree, path: &Path) -> Result<u64, Error> {
    let text = read_line(tree, path)?;
    text.trim().parse().map_err(|_| {
        Error::msg(format!(
            "{}: expected a number, read {text:?}",
            path.display()
        ))
    })
}

/// Reads a decimal number; `None` if the file does not exist.
pub fn read_opt_u64(tree: &dyn Tree, path: &Path) -> Result<Option<u64>, Error> {
    match tree.read(path) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        _ => read_u64(tree, path).map(Some),
    }
}

/// Directory entries in natural order (`q2` before `q10`).
pub fn list_sorted(tree: &dyn Tree, path: &Path) -> Result<Vec<String>, Error> {
    let mut names = tree.list(path).map_err(at(path))?;
    names.sort_by(|a, b| crate::natsort::compare(a, b));
    Ok(names)
}

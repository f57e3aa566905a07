//! `--verbose`: a `Tree` that prints every change it passes on to stderr.

use std::io;
use std::path::Path;

use crate::tree::Tree;

/// Wraps a tree and logs mkdir, rmdir and write to stderr.
pub struct Traced<T: Tree>(pub T);

impl<T: Tree> Tree for Traced<T> {
    fn mkdir(&mut self, path: &Path) -> io::Result<()> {
        eprintln!("mkdir {}", path.display());
        self.0.mkdir(path)
    }

    fn rmdir(&mut self, path: &Path) -> io::Result<()> {
        eprintln!("rmdir {}", path.display());
        self.0.rmdir(path)
    }

    fn write(&mut self, path: &Path, data: &str) -> io::Result<()> {
        eprintln!("write {} <- {:?}", path.display(), data);
        self.0.write(path, data)
    }

    fn read(&self, path: &Path) -> io::Result<String> {
        self.0.read(path)
    }

    fn list(&self, path: &Path) -> io::Result<Vec<String>> {
        self.0.list(path)
    }
}

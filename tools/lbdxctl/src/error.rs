//! Errors of lbdxctl: a failed tree operation names the path and the errno,
//! e.g. `/sys/kernel/config/lbdx/0000:00:10.0/domains/d0/commit: ENOSPC (No
//! space left on device)`; everything else is a plain message.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// What went wrong, ready to be printed after `lbdxctl: `.
#[derive(Debug)]
pub enum Error {
    /// An operation on `path` failed with `err`.
    Io { path: PathBuf, err: io::Error },
    /// Anything else: bad input, unexpected content of a file.
    Msg(String),
}

impl Error {
    /// A plain message.
    pub fn msg(text: impl Into<String>) -> Self {
        Error::Msg(text.into())
    }

    /// The errno of an I/O error, if it has one.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Io { err, .. } => err.raw_os_error(),
            Error::Msg(_) => None,
        }
    }
}

/// Tags an `io::Error` with the path it happened on: `.map_err(at(path))`.
pub fn at(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |err| Error::Io {
        path: path.to_path_buf(),
        err,
    }
}

/// The symbolic name and text of the errnos configfs and sysfs give us.
fn known(code: i32) -> Option<(&'static str, &'static str)> {
    Some(match code {
        1 => ("EPERM", "Operation not permitted"),
        2 => ("ENOENT", "No such file or directory"),
        5 => ("EIO", "Input/output error"),
        13 => ("EACCES", "Permission denied"),
        16 => ("EBUSY", "Device or resource busy"),
        17 => ("EEXIST", "File exists"),
        19 => ("ENODEV", "No such device"),
        20 => ("ENOTDIR", "Not a directory"),
        21 => ("EISDIR", "Is a directory"),
        22 => ("EINVAL", "Invalid argument"),
        28 => ("ENOSPC", "No space left on device"),
        30 => ("EROFS", "Read-only file system"),
        39 => ("ENOTEMPTY", "Directory not empty"),
        _ => return None,
    })
}

/// `ENOSPC (No space left on device)`, or `errno 95 (...)` for the rest.
pub fn describe(err: &io::Error) -> String {
    match err.raw_os_error() {
        Some(code) => match known(code) {
            Some((name, text)) => format!("{name} ({text})"),
            None => {
                let text = err.to_string();
                let suffix = format!(" (os error {code})");
                let text = text.strip_suffix(&suffix).unwrap_or(&text);
                format!("errno {code} ({text})")
            }
        },
        None => err.to_string(),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, err } => write!(f, "{}: {}", path.display(), describe(err)),
            Error::Msg(text) => f.write_str(text),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_common_errnos() {
        let e = Error::Io {
            path: PathBuf::from("/cfg/x/commit"),
            err: io::Error::from_raw_os_error(28),
        };
        assert_eq!(
            e.to_string(),
            "/cfg/x/commit: ENOSPC (No space left on device)"
        );
        assert_eq!(e.errno(), Some(28));
        for (code, name) in [
            (22, "EINVAL"),
            (16, "EBUSY"),
            (2, "ENOENT"),
            (19, "ENODEV"),
            (17, "EEXIST"),
            (5, "EIO"),
            (39, "ENOTEMPTY"),
            (13, "EACCES"),
        ] {
            let text = describe(&io::Error::from_raw_os_error(code));
            assert!(text.starts_with(&format!("{name} (")), "{code}: {text}");
        }
    }

    #[test]
    fn unknown_errno_keeps_number_and_text() {
        let text = describe(&io::Error::from_raw_os_error(95));
        assert!(text.starts_with("errno 95 ("), "{text}");
        assert!(!text.contains("os error"), "{text}");
    }
}

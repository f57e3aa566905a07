// SPDX-License-Identifier: GPL-2.0

//! Small command-line helpers shared by the tools: `--name value`
//! options and id lists ("0,1,2").

use std::io;

/// Options parsed as `--key value` pairs and `--flag`s.
pub struct Args {
    items: Vec<String>,
}

fn bad(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

impl Args {
    /// The process arguments after the program name (and `skip` more).
    pub fn from_env(skip: usize) -> Self {
        Self {
            items: std::env::args().skip(1 + skip).collect(),
        }
    }

    /// Whether `--flag` is present.
    pub fn flag(&self, name: &str) -> bool {
        self.items.iter().any(|a| a == name)
    }

    /// The value after `--key`.
    pub fn value(&self, name: &str) -> Option<&str> {
        let i = self.items.iter().position(|a| a == name)?;
        self.items.get(i + 1).map(String::as_str)
    }

    /// The value after `--key`, required.
    pub fn req(&self, name: &str) -> io::Result<&str> {
        self.value(name)
            .ok_or_else(|| bad(format!("missing {name}")))
    }

    /// A number after `--key`, or `default`.
    pub fn num<T: std::str::FromStr>(&self, name: &str, default: T) -> io::Result<T> {
        match self.value(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| bad(format!("{name}: bad number '{v}'"))),
        }
    }
}

/// Parses "1,2,3" into ids.
pub fn ids(s: &str) -> io::Result<Vec<u8>> {
    s.split(',')
        .filter(|x| !x.is_empty())
        .map(|x| x.trim().parse().map_err(|_| bad(format!("bad id '{x}'"))))
        .collect()
}

// SPDX-License-Identifier: GPL-2.0

//! A minimal `log` backend: one line per event on stderr. The model's own
//! events are shown from `info` up, other crates' (vfio_user) from `warn`.

use log::{Level, LevelFilter, Log, Metadata, Record};

struct Stderr;

impl Log for Stderr {
    fn enabled(&self, m: &Metadata<'_>) -> bool {
        let ours = m.target().starts_with("devmodel") || m.target().starts_with("lbdx_devmodel");
        m.level() <= if ours { Level::Info } else { Level::Warn }
    }

    fn log(&self, r: &Record<'_>) {
        if self.enabled(r.metadata()) {
            eprintln!("lbdx-devmodel: {}", r.args());
        }
    }

    fn flush(&self) {}
}

static LOGGER: Stderr = Stderr;

/// Installs the logger (once; later calls do nothing).
pub fn init() {
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(LevelFilter::Info);
    }
}

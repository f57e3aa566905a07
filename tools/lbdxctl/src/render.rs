//! Writes a `Spec` back as TOML in the documented layout, so that `show`
//! output can be read by `apply` and by a person.

use std::fmt::Write;

use crate::spec::{Spec, DIR_PORT_ATTRS, LDB_PORT_ATTRS, QUEUE_ATTRS};

/// A TOML basic string.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn opt_attrs(out: &mut String, names: &[&str], values: &[Option<u64>]) {
    for (name, value) in names.iter().zip(values) {
        if let Some(v) = value {
            let _ = writeln!(out, "{name} = {v}");
        }
    }
}

/// The description as TOML text.
pub fn render(spec: &Spec) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "device = {}", quote(&spec.device));
    out.push_str("\n[domain]\n");
    let _ = writeln!(out, "name = {}", quote(&spec.domain.name));
    for (name, v) in spec.domain.attrs() {
        let _ = writeln!(out, "{name} = {v}");
    }
    let _ = writeln!(out, "start = {}", spec.domain.start);
    for q in &spec.queue {
        let _ = writeln!(out, "\n[[queue]]\nname = {}", quote(&q.name));
        opt_attrs(&mut out, &QUEUE_ATTRS, &q.attrs());
    }
    for p in &spec.ldb_port {
        let _ = writeln!(out, "\n[[ldb_port]]\nname = {}", quote(&p.name));
        opt_attrs(&mut out, &LDB_PORT_ATTRS, &p.attrs());
        if !p.links.is_empty() {
            let links: Vec<String> = p
                .links
                .iter()
                .map(|l| {
                    format!(
                        "{{ queue = {}, priority = {} }}",
                        quote(&l.queue),
                        l.priority
                    )
                })
                .collect();
            let _ = writeln!(out, "links = [{}]", links.join(", "));
        }
    }
    for p in &spec.dir_port {
        let _ = writeln!(out, "\n[[dir_port]]\nname = {}", quote(&p.name));
        opt_attrs(&mut out, &DIR_PORT_ATTRS, &p.attrs());
    }
    out
}

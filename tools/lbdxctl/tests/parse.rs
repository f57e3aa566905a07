//! The description file: what parses, and what is refused with which words.

mod common;

use lbdxctl::spec::{parse, Link};

fn err(text: &str) -> String {
    match parse(text, "t.toml") {
        Ok(s) => panic!("parsed, expected an error: {s:?}"),
        Err(e) => e.to_string(),
    }
}

const MINIMAL: &str = "device = \"0000:00:10.0\"\n[domain]\nname = \"d0\"\n";

#[test]
fn doc_example_parses() {
    let s = parse(&common::doc_example(), "example").expect("doc example parses");
    assert_eq!(s.device, "0000:00:10.0");
    assert_eq!(s.domain.name, "d0");
    assert_eq!(s.domain.num_ldb_queues, 2);
    assert_eq!(s.domain.num_ldb_ports_cos0, 4);
    assert_eq!(s.domain.num_ldb_ports_cos1, 0);
    assert_eq!(s.domain.num_dir_ports, 1);
    assert_eq!(s.domain.num_ldb_credits, 1024);
    assert_eq!(s.domain.num_dir_credits, 256);
    assert_eq!(s.domain.num_hist_list_entries, 256);
    assert_eq!(s.domain.num_atomic_inflights, 64);
    assert!(s.domain.start);
    assert_eq!(s.queue.len(), 2);
    assert_eq!(s.queue[0].sequence_numbers, Some(0));
    assert_eq!(s.queue[0].atomic_inflights, Some(32));
    assert_eq!(s.queue[0].inflight_limit, None);
    assert_eq!(s.ldb_port.len(), 4);
    assert_eq!(
        s.ldb_port[0].links,
        vec![
            Link {
                queue: "q0".into(),
                priority: 0
            },
            Link {
                queue: "q1".into(),
                priority: 3
            }
        ]
    );
    assert_eq!(s.ldb_port[3].cos, Some(0));
    assert_eq!(s.dir_port.len(), 1);
    assert_eq!(s.dir_port[0].cq_depth, Some(32));
    assert_eq!(s.link_count(), 8);
}

#[test]
fn minimal_takes_defaults() {
    let s = parse(MINIMAL, "t").expect("parses");
    assert_eq!(s.domain.attrs().iter().map(|a| a.1).sum::<u64>(), 0);
    assert!(!s.domain.start);
    assert!(s.queue.is_empty() && s.ldb_port.is_empty() && s.dir_port.is_empty());
}

#[test]
fn hex_and_comments_are_toml() {
    let s = parse(&format!("{MINIMAL}num_ldb_credits = 0x400 # 1024\n"), "t").expect("parses");
    assert_eq!(s.domain.num_ldb_credits, 1024);
}

#[test]
fn unknown_keys_are_named() {
    let e = err(&format!("{MINIMAL}num_ldb_queus = 2\n"));
    assert!(e.contains("num_ldb_queus"), "{e}");
    assert!(e.starts_with("t.toml:4:"), "{e}");

    let e = err(&format!(
        "{MINIMAL}[[queue]]\nname = \"q0\"\ninflight = 3\n"
    ));
    assert!(e.contains("inflight"), "{e}");
    assert!(e.starts_with("t.toml:6:"), "{e}");

    let e = err(&format!("colour = \"red\"\n{MINIMAL}"));
    assert!(e.contains("colour"), "{e}");

    let e = err(&format!(
        "{MINIMAL}[[queue]]\nname = \"q0\"\n[[ldb_port]]\nname = \"p0\"\nlinks = [{{ queue = \"q0\", prio = 1 }}]\n"
    ));
    assert!(e.contains("prio"), "{e}");

    let e = err(&format!("{MINIMAL}[[ldb_ports]]\nname = \"p0\"\n"));
    assert!(e.contains("ldb_ports"), "{e}");
}

#[test]
fn missing_names_are_errors() {
    let e = err("device = \"0000:00:10.0\"\n[domain]\nnum_ldb_queues = 1\n");
    assert!(e.contains("name"), "{e}");
    let e = err(&format!("{MINIMAL}[[queue]]\natomic_inflights = 1\n"));
    assert!(e.contains("name"), "{e}");
    let e = err(&format!("{MINIMAL}[[dir_port]]\ncq_depth = 8\n"));
    assert!(e.contains("name"), "{e}");
    let e = err("[domain]\nname = \"d0\"\n");
    assert!(e.contains("device"), "{e}");
    let e = err("device = \"0000:00:10.0\"\n");
    assert!(e.contains("domain"), "{e}");
    let e = err("device = \"0000:00:10.0\"\n[domain]\nname = \"\"\n");
    assert!(e.contains("empty name"), "{e}");
}

#[test]
fn bad_types_are_errors() {
    for (bad, word) in [
        ("num_ldb_queues = \"2\"", "string"),
        ("num_ldb_queues = -1", "-1"),
        ("num_ldb_queues = 1.5", "float"),
        ("num_ldb_queues = true", "bool"),
        ("start = 1", "integer"),
    ] {
        let e = err(&format!("{MINIMAL}{bad}\n"));
        assert!(e.starts_with("t.toml:4:"), "{bad}: {e}");
        assert!(e.contains(word), "{bad}: expected {word:?} in {e}");
    }
    let e = err(&format!(
        "{MINIMAL}[[ldb_port]]\nname = \"p0\"\nlinks = \"q0\"\n"
    ));
    assert!(e.contains("string"), "{e}");
    let e = err("device = 10\n[domain]\nname = \"d0\"\n");
    assert!(e.contains("integer"), "{e}");
    let e = err(&format!("{MINIMAL}queue = 3\n"));
    assert!(e.starts_with("t.toml:"), "{e}");
    let e = err("device = \n");
    assert!(e.starts_with("t.toml:1:"), "{e}");
}

#[test]
fn bad_names_and_links_are_errors() {
    let q = "[[queue]]\nname = \"q0\"\n";
    let e = err(&format!("{MINIMAL}{q}{q}"));
    assert!(e.contains("\"q0\" appears twice"), "{e}");
    let e = err(&format!(
        "{MINIMAL}{q}[[ldb_port]]\nname = \"p0\"\nlinks = [{{ queue = \"q9\", priority = 0 }}]\n"
    ));
    assert!(e.contains("q9"), "{e}");
    let e = err(&format!(
        "{MINIMAL}{q}[[ldb_port]]\nname = \"p0\"\nlinks = [{{ queue = \"q0\", priority = 0 }}, {{ queue = \"q0\", priority = 1 }}]\n"
    ));
    assert!(e.contains("linked twice"), "{e}");
    let e = err(&format!("{MINIMAL}[[queue]]\nname = \"a b\"\n"));
    assert!(e.contains("byte 0x20 at offset 1"), "{e}");
    let e = err(&format!("{MINIMAL}[[queue]]\nname = \"-q\"\n"));
    assert!(e.contains("starts with '.' or '-'"), "{e}");
    let e = err("device = \"../x\"\n[domain]\nname = \"d0\"\n");
    assert!(e.contains("not a valid directory name"), "{e}");
    let e = err("device = \"0000:00:10.0\"\n[domain]\nname = \"..\"\n");
    assert!(e.contains("starts with '.' or '-'"), "{e}");
}

/// Domains, queues and ports take the driver's names only (its own
/// check, `attr_value::check_name`), so a file the driver would refuse at
/// mkdir fails before anything is made.
#[test]
fn names_follow_the_drivers_rule() {
    let long = "q".repeat(64);
    for good in ["q", "q_1", "Q.x-y", "a...", long.as_str()] {
        let text = format!("{MINIMAL}[[queue]]\nname = \"{good}\"\n[[ldb_port]]\nname = \"{good}\"\n[[dir_port]]\nname = \"{good}\"\n");
        parse(&text, "t").unwrap_or_else(|e| panic!("{good:?}: {e}"));
        let text = format!("device = \"0000:00:10.0\"\n[domain]\nname = \"{good}\"\n");
        parse(&text, "t").unwrap_or_else(|e| panic!("domain {good:?}: {e}"));
    }
    let too_long = "q".repeat(65);
    for bad in [
        "",
        "a b",
        "-a",
        ".a",
        "...",
        "a;b",
        "a:b",
        "a,b",
        "a=b",
        "a\\nb",
        "a\\tb",
        "\\u00e9",
        "d\\\"0",
        too_long.as_str(),
    ] {
        for kind in ["queue", "ldb_port", "dir_port"] {
            let e = err(&format!("{MINIMAL}[[{kind}]]\nname = \"{bad}\"\n"));
            assert!(e.contains(&format!("{kind} ")), "{kind} {bad:?}: {e}");
        }
        let e = err(&format!(
            "device = \"0000:00:10.0\"\n[domain]\nname = \"{bad}\"\n"
        ));
        assert!(e.contains("domain"), "domain {bad:?}: {e}");
    }
}

#[test]
fn render_parses_back() {
    let s = parse(&common::doc_example(), "example").expect("parses");
    let text = lbdxctl::render::render(&s);
    assert_eq!(parse(&text, "rendered").expect("rendered parses"), s);
    let odd = "device = \"0000:00:10.0\"\n[domain]\nname = \"d.0-_x\"\n";
    let s = parse(odd, "t").expect("parses");
    assert_eq!(s.domain.name, "d.0-_x");
    assert_eq!(parse(&lbdxctl::render::render(&s), "r").expect("parses"), s);
}

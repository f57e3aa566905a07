// SPDX-License-Identifier: GPL-2.0

//! Runs the `hlb-pipeline` binary against its simulated device, with its
//! counts on standard output and in a file.

use std::process::Command;

fn pipeline(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hlb-pipeline"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn hlb_pipeline_sim_passes() {
    let out = pipeline(&[
        "--sim",
        "--workers",
        "4",
        "--events",
        "50000",
        "--flows",
        "512",
        "--counts",
        "-",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!("{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success());
    assert!(text.contains("50000 events"));
    assert!(text.contains("atomic violations 0, order violations 0"));
    // The summary line, then one "<file> <value>" line per count.
    let counts: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(counts.len(), 10 * 2 + 3 * 9, "{text}");
    for want in [
        "dir_port0/enqueued 50000",
        "dir_port1/dequeued 50000",
        "ldb_queue0/enqueued_prio0 50000",
        "ldb_queue1/enqueued 50000",
        "dir_queue1/enqueued_prio0 50000",
        "dir_queue1/enqueued_prio1 0",
    ] {
        assert!(counts.contains(&want), "{want:?} not in\n{text}");
    }
    for line in &counts {
        let (file, value) = line.split_once(' ').unwrap();
        assert!(
            file.contains('/') && value.parse::<u64>().is_ok(),
            "{line:?}"
        );
    }
}

#[test]
fn hlb_pipeline_counts_to_a_file_and_refusals() {
    let file = std::env::temp_dir().join(format!("hlb-pipeline-counts-{}", std::process::id()));
    let path = file.to_str().unwrap();
    let out = pipeline(&[
        "--sim",
        "--workers",
        "2",
        "--events",
        "2000",
        "--counts",
        path,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    let counts = std::fs::read_to_string(&file).unwrap();
    let _ = std::fs::remove_file(&file);
    assert!(
        counts.lines().any(|l| l == "ldb_queue0/enqueued 2000"),
        "{counts}"
    );
    assert_eq!(counts.lines().count(), 6 * 2 + 3 * 9, "{counts}");

    let out = pipeline(&["--sim", "--events", "10", "--reset-stats"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--reset-stats"));
    let out = pipeline(&["--sim", "--events", "10", "--counts", "/nonexistent/dir/x"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--counts /nonexistent/dir/x"), "{err}");
}

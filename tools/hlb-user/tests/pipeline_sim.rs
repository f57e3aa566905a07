// SPDX-License-Identifier: GPL-2.0

//! Runs the `hlb-pipeline` binary against its simulated device.

use std::process::Command;

#[test]
fn hlb_pipeline_sim_passes() {
    let out = Command::new(env!("CARGO_BIN_EXE_hlb-pipeline"))
        .args([
            "--sim",
            "--workers",
            "4",
            "--events",
            "50000",
            "--flows",
            "512",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!("{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success());
    assert!(text.contains("50000 events"));
    assert!(text.contains("atomic violations 0, order violations 0"));
}

// SPDX-License-Identifier: GPL-2.0

//! The model logs each alarm, and only alarms, with the word "alarm": the
//! VM test harness greps the model's log for it.

mod hlb_rig;

use std::sync::Mutex;

use devmodel::hlb_regs::{self as regs, QeCommand};
use hlb_rig::*;
use log::{LevelFilter, Log, Metadata, Record};

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Capture;

impl Log for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn log(&self, r: &Record<'_>) {
        LINES.lock().unwrap().push(r.args().to_string());
    }
    fn flush(&self) {}
}

static CAPTURE: Capture = Capture;

fn alarm_lines() -> Vec<String> {
    let lines = LINES.lock().unwrap();
    lines
        .iter()
        .filter(|l| l.contains("alarm"))
        .cloned()
        .collect()
}

#[test]
fn each_alarm_is_logged_and_nothing_else_mentions_alarms() {
    log::set_logger(&CAPTURE).expect("only logger of this test binary");
    log::set_max_level(LevelFilter::Trace);

    let rig = Rig::two_domains();
    rig.ok(lp(0, regs::OBJ_DOMAIN), assign(0));
    rig.ok(lp(0, regs::PORT_CQ_DEPTH), 8);
    rig.w(regs::IRQ_TEST, 1);
    rig.w(regs::IRQ_TEST, 99);
    rig.w(regs::CTRL, regs::CTRL_RESET);
    assert_eq!(alarm_lines(), Vec::<String>::new());
    assert!(!LINES.lock().unwrap().is_empty(), "other events are logged");

    let rig = Rig::two_domains();
    rig.ok(lp(0, regs::OBJ_DOMAIN), assign(0));
    rig.w(lp(0, regs::PORT_CQ_DEPTH), 7);
    rig.w(dom(9, regs::DOM_CTRL), 1);
    assert_eq!(
        alarm_lines(),
        [
            "hlb-test: alarm BadValue at 0x4004 value 0x7",
            "hlb-test: alarm BadId at 0x1240 value 0x1",
        ]
    );

    // Data plane: a domain start and stop, a refused QE.
    let d = dp::Dp::new(50, 50);
    d.enq(dp::DIR1, &[dp::cmd(QeCommand::Complete, false)]);
    d.enq(dp::DIR1, &[dp::new_dir(0, 7)]);
    assert_eq!(d.irq.take(), [0]);
    d.ok(dom(0, regs::DOM_CTRL), regs::DOM_CTRL_VALID);
    assert_eq!(
        alarm_lines()[2..],
        [
            "hlb-test: alarm NoHistory at BAR4 0x102000 (dir port 1 slot 0) \
          qe 0x03000000000000000000000000000000"
        ]
    );
    let lines = LINES.lock().unwrap();
    assert!(lines
        .iter()
        .any(|l| l == "hlb-test: domain 0 started, 4 ports"));
    assert!(lines.iter().any(|l| l == "hlb-test: domain 0 stopped"));
}

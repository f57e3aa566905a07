// SPDX-License-Identifier: GPL-2.0

//! hlb-vfmbox: speaks an HLB VF's mailbox raw, through the VF function's
//! sysfs BAR0, as a VF driver would (or a hostile one). Used by the VF
//! selftests; each command prints one line and exits 0 unless the command
//! itself could not run:
//!
//! ```text
//! hlb-vfmbox BDF status          id=.. status=.. mbox=.. overruns=.. alarm=.. alarms=..
//! hlb-vfmbox BDF register [MIN MAX]
//! hlb-vfmbox BDF unregister | resources
//! hlb-vfmbox BDF raw LEN WORD... post LEN bytes of WORDs (tag put in word 0)
//! hlb-vfmbox BDF flood N         post N requests without waiting
//! hlb-vfmbox BDF spam SECS       register/resources in a loop for SECS s
//! ```
//! A reply prints `status=NAME payload=W,W,...`, no reply `timeout`.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use hlb_user::vf_mbox::{Answer, Client, Regs, SysfsBar0, VERSION};
use lbdx_logic::hw::hlb_mbox::{Opcode, Request};
use lbdx_logic::hw::hlb_regs;
use lbdx_logic::hw::hlb_vf_regs as vf;

fn num(s: &str) -> Result<u32, String> {
    let r = match s.strip_prefix("0x") {
        Some(h) => u32::from_str_radix(h, 16),
        None => s.parse(),
    };
    r.map_err(|_| format!("'{s}' is not a number"))
}

fn show(a: &Answer) -> String {
    match a {
        Answer::Reply(s, p) => {
            let p: Vec<String> = p.iter().map(|w| w.to_string()).collect();
            format!("status={s:?} payload={}", p.join(","))
        }
        Answer::UnknownStatus(c) => format!("status=unknown({c})"),
        Answer::Timeout => "timeout".to_string(),
    }
}

fn run(args: &[String]) -> Result<String, String> {
    let (bdf, cmd) = match args {
        [b, c, ..] => (b.as_str(), c.as_str()),
        _ => return Err("usage: hlb-vfmbox BDF COMMAND ...".into()),
    };
    let rest = &args[2..];
    let bar = SysfsBar0::open(bdf).map_err(|e| format!("{bdf}: {e}"))?;
    let mut c = Client::new(bar);
    Ok(match cmd {
        "status" => {
            let r = |o| c.regs().read(o);
            format!(
                "id={:#x} status={:#x} mbox={:#x} overruns={} alarm={:#x} alarms={}",
                r(0),
                r(hlb_regs::STATUS),
                r(vf::MBOX_STATUS),
                r(vf::MBOX_OVERRUNS),
                r(hlb_regs::ALARM_CODE),
                r(hlb_regs::ALARM_COUNT)
            )
        }
        "register" => {
            let (min, max) = match rest {
                [a, b] => (num(a)?, num(b)?),
                _ => (VERSION, VERSION),
            };
            show(&c.register(min, max))
        }
        "unregister" => show(&c.request(&Request::Unregister)),
        "resources" => show(&c.request(&Request::GetResources)),
        "raw" => {
            let (len, words) = rest.split_first().ok_or("raw LEN WORD...")?;
            let words: Vec<u32> = words.iter().map(|w| num(w)).collect::<Result<_, _>>()?;
            show(&c.raw_request(&words, num(len)?))
        }
        "flood" => {
            let n = num(rest.first().ok_or("flood N")?)?;
            let w = [u32::from(Opcode::GetResources as u8)];
            for _ in 0..n {
                c.post_raw(&w, 4);
            }
            format!("posted={n} overruns={}", c.regs().read(vf::MBOX_OVERRUNS))
        }
        "spam" => {
            let secs = num(rest.first().ok_or("spam SECS")?)?;
            let end = Instant::now() + Duration::from_secs(u64::from(secs));
            let (mut ok, mut other) = (0u32, 0u32);
            while Instant::now() < end {
                match c.request(&Request::GetResources) {
                    Answer::Reply(..) => ok += 1,
                    _ => other += 1,
                }
            }
            format!("replies={ok} other={other}")
        }
        _ => return Err(format!("unknown command {cmd}")),
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("hlb-vfmbox: {e}");
            ExitCode::from(2)
        }
    }
}

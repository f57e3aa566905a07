// SPDX-License-Identifier: GPL-2.0

//! The `links` and `nolinks` cases: the domain file's LINK, UNLINK and
//! UNLINKS_PENDING calls as a hostile or careless caller makes them, for
//! `33-hlb-relink.sh`.
//!
//! `links` (HLB 1.5): every malformed request is refused with the errno
//! the ABI gives and changes nothing; a link already in place at the same
//! priority succeeds (as eventdev's does); then `--oq` is linked to LDB
//! port 0 at priority 1 ("# linked"), the script checks configfs shows
//! it and creates `<go>.unlink`, and the link is undone, with no unlink
//! left pending (the port holds nothing).
//!
//! `nolinks` (before 1.5): each of the three calls, well formed, is
//! refused with `EOPNOTSUPP`.

use std::io;
use std::os::fd::AsFd;

use hlb_user::{abi, sys};

use super::{e, open, wait_for, Ctx, R};

/// The errno of `r`, or "ok".
fn errno_of(r: &io::Result<()>) -> String {
    match r {
        Ok(()) => "ok".into(),
        Err(err) => err
            .raw_os_error()
            .map_or_else(|| err.to_string(), |n| format!("errno {n}")),
    }
}

/// `r` must have failed with `want`.
fn refused(what: &str, r: io::Result<()>, want: i32) -> R {
    match r {
        Err(err) if err.raw_os_error() == Some(want) => Ok(()),
        other => Err(format!("{what}: {} (want errno {want})", errno_of(&other))),
    }
}

/// One request of `cmd` with the fields given, made raw.
fn call(d: &hlb_user::Domain, cmd: u32, l: [u32; 4]) -> io::Result<()> {
    let mut arg = abi::Link {
        port_id: l[0],
        queue_id: l[1],
        priority: l[2],
        pending: l[3],
    };
    sys::ioctl(d.file().as_fd(), cmd, &mut arg)
}

pub(super) fn links(c: &Ctx) -> R {
    let d = open(c)?;
    let (p0, aq, oq) = (u32::from(c.ldb[0]), u32::from(c.aq), u32::from(c.oq));
    let (link, unlink, pending) = (
        abi::LBDX_HLB_IOC_LINK,
        abi::LBDX_HLB_IOC_UNLINK,
        abi::LBDX_HLB_IOC_UNLINKS_PENDING,
    );
    for (what, cmd, l, want) in [
        (
            "LINK of a port not of the domain",
            link,
            [255, aq, 0, 0],
            libc::EINVAL,
        ),
        (
            "LINK of a queue not of the domain",
            link,
            [p0, 255, 0, 0],
            libc::EINVAL,
        ),
        ("LINK at priority 8", link, [p0, oq, 8, 0], libc::EINVAL),
        ("LINK with pending set", link, [p0, oq, 0, 1], libc::EINVAL),
        (
            "UNLINK with a priority",
            unlink,
            [p0, aq, 1, 0],
            libc::EINVAL,
        ),
        (
            "UNLINK of a queue not linked",
            unlink,
            [p0, oq, 0, 0],
            libc::ENOENT,
        ),
        (
            "UNLINK of a port not of the domain",
            unlink,
            [255, aq, 0, 0],
            libc::EINVAL,
        ),
        (
            "UNLINKS_PENDING with a queue",
            pending,
            [p0, 1, 0, 0],
            libc::EINVAL,
        ),
        (
            "UNLINKS_PENDING of a port not of the domain",
            pending,
            [255, 0, 0, 0],
            libc::EINVAL,
        ),
    ] {
        refused(what, call(&d, cmd, l), want)?;
    }
    d.link(c.ldb[0], c.aq, 0)
        .map_err(e("LINK of a link in place at the same priority"))?;
    d.link(c.ldb[0], c.oq, 1).map_err(e("LINK of --oq"))?;
    println!("# linked");
    io::Write::flush(&mut io::stdout()).map_err(e("flush"))?;
    wait_for(c, "unlink")?;
    d.unlink(c.ldb[0], c.oq).map_err(e("UNLINK of --oq"))?;
    refused(
        "UNLINK of --oq again",
        d.unlink(c.ldb[0], c.oq),
        libc::ENOENT,
    )?;
    match d.unlinks_in_progress(c.ldb[0]) {
        Ok(0) => Ok(()),
        other => Err(format!(
            "UNLINKS_PENDING of an idle port: {other:?} (want 0)"
        )),
    }
}

pub(super) fn nolinks(c: &Ctx) -> R {
    let d = open(c)?;
    let (p0, aq) = (c.ldb[0], c.aq);
    refused("LINK", d.link(p0, aq, 0), libc::EOPNOTSUPP)?;
    refused("UNLINK", d.unlink(p0, aq), libc::EOPNOTSUPP)?;
    refused(
        "UNLINKS_PENDING",
        d.unlinks_in_progress(p0).map(|_| ()),
        libc::EOPNOTSUPP,
    )
}

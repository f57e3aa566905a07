// SPDX-License-Identifier: GPL-2.0

//! hlb-badarg: guest checks that a call of the domain character device
//! whose result cannot be copied back fails with `EFAULT` and leaves
//! nothing behind, run by `tests/selftests/lbdx/22-hlb-bad-input.sh`:
//!
//! ```text
//! hlb-badarg CASE --dev /dev/lbdx/<bdf>/<domain> --ldb ID --dir ID
//! CASE: attach-file attach-mprotect arm info read
//! ```
//!
//! - `attach-file`: ATTACH of LDB port ID with the request in a read-only
//!   shared mapping of a file page; then ATTACH of the same port from the
//!   same file with a writable request must succeed.
//! - `attach-mprotect`: the same with an anonymous page filled with the
//!   request and then made read-only (`mprotect`).
//! - `arm`: ARM (which copies nothing back) with a read-only argument
//!   works.
//! - `info`: DOMAIN_INFO into a read-only page, then into a writable one.
//! - `read`: an alert is raised (BadQe from DIR port ID); read() into a
//!   read-only buffer fails with `EFAULT`, the alert stays queued and the
//!   next read() returns it. Says "# expected-alarms: 1".
//!
//! Each case opens the device once; diagnostics are TAP comments, the
//! exit status is the verdict.

use std::io::{self, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use hlb_user::abi::{self, Alert, Arm, DomainInfo, PortAttach};
use hlb_user::args::{ids, Args};
use hlb_user::{Domain, Event, PortType, SchedType};

type R = Result<(), String>;

const PAGE: usize = 4096;

/// One page mapped into this process, unmapped on drop.
struct Page(*mut u8);

impl Page {
    /// A read-only shared mapping of the first page of a new file at
    /// `path` that holds `bytes`.
    fn file_ro(path: &str, bytes: &[u8]) -> Result<Self, String> {
        let mut content = bytes.to_vec();
        content.resize(PAGE, 0);
        std::fs::write(path, &content).map_err(|e| format!("write {path}: {e}"))?;
        let f = std::fs::File::open(path).map_err(|e| format!("open {path}: {e}"))?;
        Self::map(f.as_raw_fd(), libc::PROT_READ, libc::MAP_SHARED)
    }

    /// An anonymous page filled with `bytes`, then made read-only.
    fn anon_ro(bytes: &[u8]) -> Result<Self, String> {
        let p = Self::map(
            -1,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
        )?;
        // SAFETY: the page is ours, writable and `bytes` fits (callers pass
        // ABI structures of a few dozen bytes).
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), p.0, bytes.len().min(PAGE)) };
        // SAFETY: changes the protection of our own page only.
        if unsafe { libc::mprotect(p.0.cast(), PAGE, libc::PROT_READ) } != 0 {
            return Err(format!("mprotect: {}", io::Error::last_os_error()));
        }
        Ok(p)
    }

    fn map(fd: RawFd, prot: i32, flags: i32) -> Result<Self, String> {
        // SAFETY: a fresh mapping the kernel places; nothing aliases it.
        let p = unsafe { libc::mmap(core::ptr::null_mut(), PAGE, prot, flags, fd, 0) };
        if p == libc::MAP_FAILED {
            return Err(format!("mmap: {}", io::Error::last_os_error()));
        }
        Ok(Self(p.cast()))
    }

    /// The first `len` bytes.
    fn bytes(&self, len: usize) -> Vec<u8> {
        // SAFETY: the page is mapped readable and `len` is at most a page.
        unsafe { core::slice::from_raw_parts(self.0, len.min(PAGE)) }.to_vec()
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        // SAFETY: unmaps the page `map` mapped; nothing refers to it.
        unsafe { libc::munmap(self.0.cast(), PAGE) };
    }
}

/// The bytes of a plain `#[repr(C)]` ABI structure.
fn bytes_of<T: Copy>(v: &T) -> Vec<u8> {
    // SAFETY: the ABI structures are integers without padding.
    unsafe { core::slice::from_raw_parts((v as *const T).cast::<u8>(), size_of::<T>()) }.to_vec()
}

/// ioctl `request` on `fd` with argument `arg`: the errno, or 0.
fn raw_ioctl(fd: RawFd, request: u32, arg: *mut u8) -> i32 {
    // SAFETY: the kernel checks the user pointer; a bad one is EFAULT.
    let r = unsafe { libc::ioctl(fd, request as _, arg) };
    if r < 0 {
        io::Error::last_os_error().raw_os_error().unwrap_or(-1)
    } else {
        0
    }
}

fn errno_name(e: i32) -> String {
    match e {
        0 => "success".into(),
        libc::EFAULT => "EFAULT".into(),
        libc::EBUSY => "EBUSY".into(),
        libc::EAGAIN => "EAGAIN".into(),
        libc::EINVAL => "EINVAL".into(),
        libc::ENOENT => "ENOENT".into(),
        e => format!("errno {e}"),
    }
}

/// Wants errno `want` (0: success) from a call that returned `got`.
fn want(what: &str, got: i32, want: i32) -> R {
    println!("# {what}: {}", errno_name(got));
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "{what}: {} (want {})",
            errno_name(got),
            errno_name(want)
        ))
    }
}

fn open(dev: &str) -> Result<Domain, String> {
    Domain::open(dev).map_err(|e| format!("open {dev}: {e}"))
}

fn request(id: u8) -> PortAttach {
    PortAttach {
        type_: abi::LBDX_HLB_PORT_LDB,
        id: id.into(),
        ..Default::default()
    }
}

/// ATTACH from `page` (a read-only request): EFAULT, the request as it
/// was; then ATTACH from writable memory succeeds on the same file.
fn attach_from(d: &Domain, page: &Page, id: u8) -> R {
    let fd = d.file().as_raw_fd();
    let req = request(id);
    want(
        "ATTACH, read-only argument",
        raw_ioctl(fd, abi::LBDX_HLB_IOC_ATTACH, page.0),
        libc::EFAULT,
    )?;
    if page.bytes(size_of::<PortAttach>()) != bytes_of(&req) {
        return Err("the read-only request changed".into());
    }
    let mut a = req;
    want(
        "ATTACH again, writable argument",
        raw_ioctl(fd, abi::LBDX_HLB_IOC_ATTACH, (&raw mut a).cast()),
        0,
    )?;
    println!(
        "# attached: cq_depth {} pp_size {} cq_size {}",
        a.cq_depth, a.pp_size, a.cq_size
    );
    if a.pp_size != 8192 || a.cq_depth == 0 || a.cq_size == 0 {
        return Err(format!("bad attach result {a:?}"));
    }
    Ok(())
}

fn attach_file(dev: &str, id: u8) -> R {
    let d = open(dev)?;
    let path = format!("/tmp/hlb-badarg.{}", std::process::id());
    let page = Page::file_ro(&path, &bytes_of(&request(id)));
    let _ = std::fs::remove_file(&path);
    attach_from(&d, &page?, id)
}

fn attach_mprotect(dev: &str, id: u8) -> R {
    let d = open(dev)?;
    attach_from(&d, &Page::anon_ro(&bytes_of(&request(id)))?, id)
}

fn arm(dev: &str, id: u8) -> R {
    let d = open(dev)?;
    let fd = d.file().as_raw_fd();
    let mut a = request(id);
    want(
        "ATTACH",
        raw_ioctl(fd, abi::LBDX_HLB_IOC_ATTACH, (&raw mut a).cast()),
        0,
    )?;
    let arm = Arm {
        type_: abi::LBDX_HLB_PORT_LDB,
        id: id.into(),
        read_index: 0,
        reserved: 0,
    };
    let page = Page::anon_ro(&bytes_of(&arm))?;
    want(
        "ARM, read-only argument",
        raw_ioctl(fd, abi::LBDX_HLB_IOC_ARM, page.0),
        0,
    )
}

fn info(dev: &str) -> R {
    let d = open(dev)?;
    let fd = d.file().as_raw_fd();
    let page = Page::anon_ro(&[0xa5; 64])?;
    want(
        "DOMAIN_INFO, read-only argument",
        raw_ioctl(fd, abi::LBDX_HLB_IOC_DOMAIN_INFO, page.0),
        libc::EFAULT,
    )?;
    if page.bytes(64) != [0xa5; 64] {
        return Err("the read-only page changed".into());
    }
    let mut i = DomainInfo::default();
    want(
        "DOMAIN_INFO, writable argument",
        raw_ioctl(fd, abi::LBDX_HLB_IOC_DOMAIN_INFO, (&raw mut i).cast()),
        0,
    )?;
    if i.abi_version != abi::LBDX_HLB_ABI_VERSION {
        return Err(format!("abi_version {}", i.abi_version));
    }
    Ok(())
}

/// read() of `buf` (`len` bytes): the errno, or 0 and the byte count.
fn raw_read(fd: RawFd, buf: *mut u8, len: usize) -> (i32, usize) {
    // SAFETY: the kernel checks the user pointer; a bad one is EFAULT.
    let r = unsafe { libc::read(fd, buf.cast(), len) };
    if r < 0 {
        (io::Error::last_os_error().raw_os_error().unwrap_or(-1), 0)
    } else {
        (0, r as usize)
    }
}

fn read(dev: &str, dir: u8) -> R {
    let d = open(dev)?;
    let fd = d.file().as_raw_fd();
    let mut p = d
        .attach(PortType::Dir, dir)
        .map_err(|e| format!("attach DIR {dir}: {e}"))?;
    println!("# expected-alarms: 1");
    // LDB queue 255 is no queue of this domain: BadQe.
    let ev = Event {
        queue: 255,
        sched: SchedType::Unordered,
        ..Event::default()
    };
    p.enqueue_burst(&[ev])
        .map_err(|e| format!("enqueue: {e}"))?;
    let t = Instant::now();
    loop {
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLPRI,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        if unsafe { libc::poll(&mut pfd, 1, 100) } == 1 && pfd.revents & libc::POLLPRI != 0 {
            break;
        }
        if t.elapsed() > Duration::from_secs(3) {
            return Err("no alert within 3 s".into());
        }
    }
    let page = Page::anon_ro(&[0xa5; 64])?;
    let (e, _) = raw_read(fd, page.0, size_of::<Alert>());
    want("read(), read-only buffer", e, libc::EFAULT)?;
    if page.bytes(64) != [0xa5; 64] {
        return Err("the read-only buffer changed".into());
    }
    let mut a = [Alert::default(); 4];
    let (e, n) = raw_read(fd, a.as_mut_ptr().cast(), size_of_val(&a));
    want("read() again, writable buffer", e, 0)?;
    println!(
        "# read {n} bytes: code {:#x} port {} {}",
        a[0].code, a[0].port_type, a[0].port_id
    );
    if n != size_of::<Alert>() || a[0].code != abi::ALERT_BAD_QE || a[0].port_id != dir.into() {
        return Err(format!("want the one BadQe alert of DIR port {dir}"));
    }
    Ok(())
}

fn run(case: &str, a: &Args) -> Result<R, io::Error> {
    let dev = a.req("--dev")?;
    let first = |name: &str| -> io::Result<u8> {
        ids(a.req(name)?)?
            .first()
            .copied()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, format!("empty {name}")))
    };
    Ok(match case {
        "attach-file" => attach_file(dev, first("--ldb")?),
        "attach-mprotect" => attach_mprotect(dev, first("--ldb")?),
        "arm" => arm(dev, first("--ldb")?),
        "info" => info(dev),
        "read" => read(dev, first("--dir")?),
        _ => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("unknown case {case}"),
            ))
        }
    })
}

fn main() -> ExitCode {
    let case = std::env::args().nth(1).unwrap_or_default();
    let code = match run(&case, &Args::from_env(1)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(msg)) => {
            println!("# {case}: {msg}");
            ExitCode::FAILURE
        }
        Err(err) => {
            println!("# hlb-badarg {case}: {err}");
            ExitCode::from(2)
        }
    };
    let _ = io::stdout().flush();
    code
}

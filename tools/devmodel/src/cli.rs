// SPDX-License-Identifier: GPL-2.0

//! Command-line parsing.
//!
//! ```text
//! lbdx-devmodel [--describe] DEVICE...
//! DEVICE: --hlb SOCKET[,domains=N][,ldb-queues=N][,dir-ports=N][,ldb-ports=N]
//!               [,ldb-credits=N][,dir-credits=N][,hist-list=N]
//!               [,atomic-inflights=N][,sn-groups=N][,vfs=N]
//!               [,version=MAJOR.MINOR]
//!         --dxe SOCKET[,rate=BYTES_PER_S][,channels=N][,xor-srcs=N]
//!               [,max-xfer=N][,ring-max=N][,faults=PLAN]
//!               [,version=MAJOR.MINOR]
//! ```
//!
//! Numbers take the suffixes K, M and G (powers of 1024). `version=` sets
//! what the `VERSION` register reads (decimal, each part 0 to 65535;
//! default: the latest the model implements, HLB 1.5 and DXE 1.1), e.g.
//! to check that the driver refuses a major version it does not
//! implement, or copes with an older minor version. `vfs=N` (0 to 4, default 0) gives an HLB N virtual
//! functions, VF n served on the socket `SOCKET.vf<n>`.

use std::path::{Path, PathBuf};

use crate::dxe::{DxeConfig, FaultPlan};
use crate::dxe_regs as regs;
use crate::hlb::HlbConfig;

/// Usage text.
pub const USAGE: &str = "\
usage: lbdx-devmodel [--describe] DEVICE...
  --hlb SOCKET[,domains=N][,ldb-queues=N][,dir-ports=N][,ldb-ports=N]
        [,ldb-credits=N][,dir-credits=N][,hist-list=N][,atomic-inflights=N]
        [,sn-groups=N][,vfs=N][,version=MAJOR.MINOR]
  --dxe SOCKET[,rate=BYTES_PER_S][,channels=N][,xor-srcs=N][,max-xfer=N]
        [,ring-max=N][,faults=PLAN][,version=MAJOR.MINOR]
  PLAN: items separated by ';': error-every=N, error-rate=P[@SEED],
        halt=CH@N, hang@N
  Numbers take the suffixes K, M, G (powers of 1024); rate=0 is unlimited.
  HLB limits: domains<=64, ldb-queues, dir-ports, ldb-ports<=128,
  sn-groups<=16, hist-list<=4096.
  vfs=N (0..=4, default 0): HLB virtual functions, VF n on SOCKET.vfN.
  version= sets what the VERSION register reads (decimal, each part
  0..=65535; default: the latest, hlb 1.5, dxe 1.1).
  --describe prints what each instance reports, without serving.";

/// Kind and configuration of one instance.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// A load balancer.
    Hlb(HlbConfig),
    /// A DMA/XOR engine.
    Dxe(DxeConfig),
}

/// One device instance to serve.
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceSpec {
    /// Instance name: the socket file's stem.
    pub name: String,
    /// vfio-user socket path.
    pub socket: PathBuf,
    /// What to serve.
    pub kind: Kind,
}

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Print usage.
    Help,
    /// Describe or serve these devices.
    Run {
        /// `--describe` was given.
        describe: bool,
        /// Instances in command-line order.
        devices: Vec<DeviceSpec>,
    },
}

/// Parses a number with an optional K/M/G suffix (powers of 1024).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (digits, shift) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 10),
        Some((i, 'm' | 'M')) => (&t[..i], 20),
        Some((i, 'g' | 'G')) => (&t[..i], 30),
        _ => (t, 0),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("'{s}' is not a number (suffixes K, M, G allowed)"))?;
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("'{s}' is too large"))
}

fn parse_u32(key: &str, v: &str) -> Result<u32, String> {
    let n = parse_size(v).map_err(|e| format!("{key}: {e}"))?;
    u32::try_from(n).map_err(|_| format!("{key}: {v} does not fit in 32 bits"))
}

fn parse_count(key: &str, v: &str) -> Result<u32, String> {
    match parse_u32(key, v)? {
        0 => Err(format!("{key}: must be at least 1")),
        n => Ok(n),
    }
}

/// Parses `MAJOR.MINOR` (decimal, each 0..=65535) into a `VERSION`
/// register value.
pub fn parse_version(s: &str) -> Result<u32, String> {
    let bad = || format!("version: '{s}' is not MAJOR.MINOR (decimal, each 0..=65535)");
    let (major, minor) = s.split_once('.').ok_or_else(bad)?;
    let part = |p: &str| {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        p.parse::<u16>().map_err(|_| bad())
    };
    Ok(regs::version(part(major)?, part(minor)?))
}

/// `key=value` options of one device.
type Options<'a> = Vec<(&'a str, &'a str)>;

/// Splits `SOCKET[,key=value]...` into the socket and its options.
fn split_spec(spec: &str) -> Result<(PathBuf, Options<'_>), String> {
    let mut parts = spec.split(',');
    let socket = parts.next().unwrap_or("").trim();
    if socket.is_empty() {
        return Err("missing socket path".into());
    }
    let opts = parts
        .map(|p| {
            p.split_once('=')
                .map(|(k, v)| (k.trim(), v.trim()))
                .ok_or_else(|| format!("option '{p}' is not key=value"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((PathBuf::from(socket), opts))
}

fn parse_hlb(opts: &[(&str, &str)]) -> Result<HlbConfig, String> {
    let mut c = HlbConfig::default();
    for &(k, v) in opts {
        if k == "version" {
            c.version = parse_version(v)?;
            continue;
        }
        if k == "vfs" {
            c.vfs = parse_u32(k, v)?;
            continue;
        }
        let field = match k {
            "domains" => &mut c.domains,
            "ldb-queues" => &mut c.ldb_queues,
            "dir-ports" => &mut c.dir_ports,
            "ldb-ports" => &mut c.ldb_ports,
            "ldb-credits" => &mut c.ldb_credits,
            "dir-credits" => &mut c.dir_credits,
            "hist-list" => &mut c.hist_list,
            "atomic-inflights" => &mut c.atomic_inflights,
            "sn-groups" => &mut c.sn_groups,
            _ => return Err(format!("unknown --hlb option '{k}'")),
        };
        *field = parse_count(k, v)?;
    }
    c.check()?;
    Ok(c)
}

fn parse_dxe(opts: &[(&str, &str)]) -> Result<DxeConfig, String> {
    let mut c = DxeConfig::default();
    for &(k, v) in opts {
        match k {
            "rate" => c.rate = parse_size(v).map_err(|e| format!("rate: {e}"))?,
            "channels" => c.channels = parse_count(k, v)?,
            "xor-srcs" => c.max_xor_srcs = parse_count(k, v)?,
            "max-xfer" => c.max_xfer = parse_count(k, v)?,
            "ring-max" => c.ring_max = parse_count(k, v)?,
            "faults" => c.faults = FaultPlan::parse(v).map_err(|e| format!("faults: {e}"))?,
            "version" => c.version = parse_version(v)?,
            _ => return Err(format!("unknown --dxe option '{k}'")),
        }
    }
    c.check()?;
    Ok(c)
}

fn instance_name(socket: &Path) -> Result<String, String> {
    socket
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .ok_or_else(|| format!("{}: cannot name an instance after it", socket.display()))
}

fn device(kind: &str, spec: &str) -> Result<DeviceSpec, String> {
    let (socket, opts) = split_spec(spec).map_err(|e| format!("--{kind} {spec}: {e}"))?;
    let k = match kind {
        "hlb" => parse_hlb(&opts).map(Kind::Hlb),
        _ => parse_dxe(&opts).map(Kind::Dxe),
    }
    .map_err(|e| format!("--{kind} {spec}: {e}"))?;
    Ok(DeviceSpec {
        name: instance_name(&socket)?,
        socket,
        kind: k,
    })
}

/// Parses the arguments (without the program name).
pub fn parse<S: AsRef<str>>(args: &[S]) -> Result<Command, String> {
    let mut describe = false;
    let mut devices: Vec<DeviceSpec> = Vec::new();
    let mut it = args.iter().map(AsRef::as_ref);
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v)),
            _ => (arg, None),
        };
        match flag {
            "-h" | "--help" => return Ok(Command::Help),
            "--describe" if inline.is_none() => describe = true,
            "--hlb" | "--dxe" => {
                let spec = match inline {
                    Some(v) => v,
                    None => it
                        .next()
                        .ok_or_else(|| format!("{flag} needs SOCKET[,options]"))?,
                };
                let d = device(&flag[2..], spec)?;
                if let Some(o) = devices
                    .iter()
                    .find(|o| o.socket == d.socket || o.name == d.name)
                {
                    return Err(format!(
                        "{} and {} name the same instance '{}'",
                        o.socket.display(),
                        d.socket.display(),
                        d.name
                    ));
                }
                devices.push(d);
            }
            _ => return Err(format!("unknown argument '{arg}'")),
        }
    }
    if devices.is_empty() {
        return Err("no device given (use --hlb or --dxe)".into());
    }
    Ok(Command::Run { describe, devices })
}

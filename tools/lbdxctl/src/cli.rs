//! Command-line parsing, by hand to keep the static binary small.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::layout::Layout;

/// Usage text for `--help` and usage errors.
pub const USAGE: &str = "\
usage: lbdxctl [OPTIONS] COMMAND

commands:
  list                    HLBs bound to lbdx_hlb, their resources and domains
  apply FILE              make the domain FILE describes (TOML; - for stdin)
  show BDF DOMAIN         print a domain in the format apply reads
  stats BDF DOMAIN        counters of a started domain, its ports and queues
  destroy BDF DOMAIN      stop and remove a domain

options:
  --configfs DIR          lbdx configfs root (default /sys/kernel/config/lbdx)
  --sysfs DIR             PCI sysfs root (default /sys/bus/pci)
  -v, --verbose           print every mkdir, rmdir and write to stderr
  -h, --help              this text
  -V, --version           the version
";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    List,
    Apply { file: String },
    Show { bdf: String, domain: String },
    Stats { bdf: String, domain: String },
    Destroy { bdf: String, domain: String },
    Help,
    Version,
}

#[derive(Debug, Clone)]
pub struct Cli {
    pub layout: Layout,
    pub verbose: bool,
    pub command: Command,
}

/// Parses the arguments after the program name. Options may come anywhere;
/// `--` ends them.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Cli, String> {
    let mut layout = Layout::default();
    let mut verbose = false;
    let mut words = Vec::new();
    let mut args = args.into_iter();
    let mut options_done = false;
    while let Some(arg) = args.next() {
        let arg = arg
            .into_string()
            .map_err(|a| format!("argument {a:?} is not valid UTF-8"))?;
        if options_done || !arg.starts_with('-') || arg == "-" {
            words.push(arg);
            continue;
        }
        let (opt, inline) = match arg.split_once('=') {
            Some((o, v)) if o.starts_with("--") => (o.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => args
                    .next()
                    .and_then(|v| v.into_string().ok())
                    .ok_or_else(|| format!("{name} needs a directory")),
            }
        };
        match opt.as_str() {
            "--" => options_done = true,
            "--configfs" => layout.configfs = PathBuf::from(value("--configfs")?),
            "--sysfs" => layout.sysfs = PathBuf::from(value("--sysfs")?),
            "-v" | "--verbose" => verbose = true,
            "-h" | "--help" => {
                return Ok(Cli {
                    layout,
                    verbose,
                    command: Command::Help,
                })
            }
            "-V" | "--version" => {
                return Ok(Cli {
                    layout,
                    verbose,
                    command: Command::Version,
                })
            }
            _ => return Err(format!("unknown option {arg}")),
        }
    }
    let command = match words
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["list"] => Command::List,
        ["apply", file] => Command::Apply {
            file: file.to_string(),
        },
        ["show", bdf, domain] => Command::Show {
            bdf: bdf.to_string(),
            domain: domain.to_string(),
        },
        ["stats", bdf, domain] => Command::Stats {
            bdf: bdf.to_string(),
            domain: domain.to_string(),
        },
        ["destroy", bdf, domain] => Command::Destroy {
            bdf: bdf.to_string(),
            domain: domain.to_string(),
        },
        ["help"] => Command::Help,
        [] => return Err("no command".to_string()),
        [cmd @ ("list" | "apply" | "show" | "stats" | "destroy"), ..] => {
            return Err(format!("wrong number of arguments for {cmd}"))
        }
        [cmd, ..] => return Err(format!("unknown command {cmd}")),
    };
    Ok(Cli {
        layout,
        verbose,
        command,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Cli, String> {
        parse(args.iter().map(OsString::from))
    }

    #[test]
    fn commands_and_options() {
        let c = p(&[
            "--configfs",
            "/tmp/c",
            "show",
            "0000:00:10.0",
            "d0",
            "--sysfs=/tmp/s",
        ])
        .expect("parses");
        assert_eq!(c.layout.configfs, PathBuf::from("/tmp/c"));
        assert_eq!(c.layout.sysfs, PathBuf::from("/tmp/s"));
        assert_eq!(
            c.command,
            Command::Show {
                bdf: "0000:00:10.0".into(),
                domain: "d0".into()
            }
        );
        assert_eq!(p(&["list"]).expect("parses").command, Command::List);
        assert_eq!(
            p(&["stats", "0000:00:10.0", "d0", "--sysfs", "/tmp/s"])
                .expect("parses")
                .command,
            Command::Stats {
                bdf: "0000:00:10.0".into(),
                domain: "d0".into()
            }
        );
        assert_eq!(
            p(&["-v", "apply", "-"]).expect("parses").command,
            Command::Apply { file: "-".into() }
        );
        let d = p(&["list"]).expect("parses");
        assert_eq!(d.layout.configfs, PathBuf::from("/sys/kernel/config/lbdx"));
        assert_eq!(d.layout.sysfs, PathBuf::from("/sys/bus/pci"));
    }

    #[test]
    fn usage_errors() {
        assert!(p(&[]).is_err());
        assert!(p(&["frob"]).is_err());
        assert!(p(&["show", "x"]).is_err());
        assert_eq!(
            p(&["stats", "x"]).map(|_| ()),
            Err("wrong number of arguments for stats".to_string())
        );
        assert!(p(&["stats", "x", "d0", "extra"]).is_err());
        assert!(p(&["list", "--bogus"]).is_err());
        assert!(p(&["list", "--configfs"]).is_err());
    }
}

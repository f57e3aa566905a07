//! The `lbdxctl` command: parse arguments, run one command on the real
//! configfs and sysfs, print one line per error and exit 1 on failure
//! (2 on a usage error).

use std::io::Read;
use std::process::ExitCode;

use lbdxctl::cli::{self, Command, USAGE};
use lbdxctl::error::{at, Error};
use lbdxctl::trace::Traced;
use lbdxctl::tree::{FsTree, Tree};
use lbdxctl::{apply, destroy, list, show, spec, stats};

fn read_input(file: &str) -> Result<String, Error> {
    if file == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(at("<stdin>".as_ref()))?;
        Ok(text)
    } else {
        std::fs::read_to_string(file).map_err(at(file.as_ref()))
    }
}

fn run(tree: &mut dyn Tree, cli: &cli::Cli) -> Result<(), Error> {
    let layout = &cli.layout;
    match &cli.command {
        Command::Help => print!("{USAGE}"),
        Command::Version => println!("lbdxctl {}", env!("CARGO_PKG_VERSION")),
        Command::List => print!("{}", list::list(tree, layout)),
        Command::Show { bdf, domain } => {
            let shown = show::show(tree, layout, bdf, domain)?;
            print!("{}", show::show_text(&shown));
        }
        Command::Stats { bdf, domain } => print!("{}", stats::stats(tree, layout, bdf, domain)?),
        Command::Destroy { bdf, domain } => {
            destroy::destroy(tree, layout, bdf, domain)?;
            println!("destroyed domain {domain} of {bdf}");
        }
        Command::Apply { file } => {
            let origin = if file == "-" { "<stdin>" } else { file };
            let s = spec::parse(&read_input(file)?, origin)?;
            if let Err(failure) = apply::apply(tree, layout, &s) {
                for e in &failure.rollback {
                    eprintln!("lbdxctl: rollback: {e}");
                }
                return Err(failure.error);
            }
            println!(
                "applied domain {} of {}: {} queues, {} ldb ports, {} dir ports, {} links{}",
                s.domain.name,
                s.device,
                s.queue.len(),
                s.ldb_port.len(),
                s.dir_port.len(),
                s.link_count(),
                if s.domain.start { ", started" } else { "" }
            );
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = match cli::parse(std::env::args_os().skip(1)) {
        Ok(c) => c,
        Err(msg) => {
            eprintln!("lbdxctl: {msg}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let res = if cli.verbose {
        run(&mut Traced(FsTree), &cli)
    } else {
        run(&mut FsTree, &cli)
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lbdxctl: {e}");
            ExitCode::FAILURE
        }
    }
}

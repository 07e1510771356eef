//! The `auditpack` binary: parse flags, run one command, map the outcome to an exit code.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

mod cli;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("auditpack: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

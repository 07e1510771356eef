//! Command-line interface: flags are parsed here, each command's `run` validates them into
//! a configuration and calls the library. Nothing below this module prints or exits.
//!
//! Exit codes (every command): 0 success; 1 a negative verdict (`verify` did not verify, a
//! chain is broken); 2 usage or I/O error; 3 `collect` or `packet` wrote their output but
//! some kinds could not be read (the snapshot says which and why); 130 / 143 interrupted
//! by SIGINT / SIGTERM (temporary files and unfinished outputs removed).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod archive;
pub mod auditlog;
pub mod collect;
pub mod demo;
pub mod diff;
pub mod evaluate;
pub mod keygen;
pub mod packet;
pub mod progress;
pub mod render;
pub mod seal;
pub mod verify;

/// Turn the security controls of a Kubernetes cluster into a signed audit packet.
#[derive(Debug, Parser)]
#[command(name = "auditpack", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create an Ed25519 signing key pair.
    Keygen(keygen::Args),
    /// Read a cluster (or kubectl exports) into a snapshot.
    Collect(collect::Args),
    /// Evaluate a snapshot against compliance frameworks.
    Evaluate(evaluate::Args),
    /// Render a snapshot into an unsigned packet folder.
    Render(render::Args),
    /// Hash and sign every file of a packet folder.
    Seal(seal::Args),
    /// Collect, evaluate, render and seal in one go.
    Packet(Box<packet::Args>),
    /// Verify a sealed packet folder or archive against trusted keys.
    Verify(verify::Args),
    /// Pack a sealed packet into one deterministic .tar.gz.
    Archive(archive::Args),
    /// Summarise Kubernetes audit logs.
    Auditlog(auditlog::Args),
    /// Show what changed between two snapshots or packets.
    Diff(diff::Args),
    /// Run the whole pipeline on the bundled example cluster.
    Demo(demo::Args),
}

/// Runs one command. SIGINT and SIGTERM remove the command's temporary files and folders
/// (and any output it had not finished) and end the process with 130 or 143.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    install_interrupt_handler()?;
    let result = run_command(cli);
    for path in auditpack::cleanup::take_swept() {
        eprintln!(
            "auditpack: removed {}, left by an interrupted run",
            path.display()
        );
    }
    result
}

/// On SIGINT or SIGTERM: remove every registered temporary path, say so, and exit with
/// 128 + the signal number. A thread waits for the signal, so the cleanup runs as ordinary
/// code (no work in a signal handler).
fn install_interrupt_handler() -> anyhow::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
        .map_err(|e| anyhow::anyhow!("cannot install the SIGINT/SIGTERM handler: {e}"))?;
    std::thread::Builder::new()
        .name("interrupt".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                let done = auditpack::cleanup::interrupt();
                let name = if signal == SIGINT { "SIGINT" } else { "SIGTERM" };
                eprintln!(
                    "auditpack: interrupted by {name}: removed {} temporary or unfinished path(s){}",
                    done.removed.len(),
                    if done.failed.is_empty() {
                        "; nothing half-written is left"
                    } else {
                        ""
                    }
                );
                for (path, e) in &done.failed {
                    eprintln!(
                        "auditpack: could not remove {}: {e}; remove it by hand",
                        path.display()
                    );
                }
                // `done` holds off every writer until the process is gone.
                std::process::exit(128 + signal);
            }
        })
        .map_err(|e| anyhow::anyhow!("cannot start the interrupt thread: {e}"))?;
    Ok(())
}

fn run_command(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Keygen(a) => keygen::run(a),
        Command::Collect(a) => collect::run(a),
        Command::Evaluate(a) => evaluate::run(a),
        Command::Render(a) => render::run(a),
        Command::Seal(a) => seal::run(a),
        Command::Packet(a) => packet::run(*a),
        Command::Verify(a) => verify::run(a),
        Command::Archive(a) => archive::run(a),
        Command::Auditlog(a) => auditlog::run(a),
        Command::Diff(a) => diff::run(a),
        Command::Demo(a) => demo::run(a),
    }
}

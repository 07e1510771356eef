//! Command-line interface: flags are parsed here, each command's `run` validates them into
//! a configuration and calls the library. Nothing below this module prints or exits.
//!
//! Exit codes (every command): 0 success (for `evaluate` and `packet`: every control
//! passes, is manual or not applicable); 1 `verify` did not verify, a chain is broken;
//! 2 usage or input error, nothing written; 3 evidence incomplete: `collect` or `packet`
//! wrote their output but some kinds could not be read, or some control of `evaluate` /
//! `packet` is not-collected (and none fails); 4 some control fails; 5 some control is
//! partial (and none fails or is not-collected); 130 / 143 interrupted by SIGINT /
//! SIGTERM (temporary files and unfinished outputs removed). `demo` exits 0 when it
//! worked: its example cluster fails controls on purpose.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod archive;
pub mod auditlog;
pub mod collect;
pub mod completions;
pub mod demo;
pub mod diff;
pub mod evaluate;
pub mod keygen;
pub mod list;
pub mod output;
pub mod packet;
pub mod progress;
pub mod render;
pub mod seal;
pub mod summary;
pub mod verify;
pub mod version;

/// Exit codes, shown under `--help` (kept in step with the module documentation and README).
pub const EXIT_CODES: &str = "\
Exit codes:
  0  success; for evaluate and packet: every control passes, is manual or not applicable
  1  verify did not verify, or a chain is broken
  2  usage or input error (nothing written)
  3  evidence incomplete: some control is not-collected (none fails), or collect/packet
     could not read some kinds
  4  some control fails
  5  some control is partial (none fails or is not-collected)
  130/143  interrupted by SIGINT/SIGTERM
demo exits 0 when it worked: its example cluster fails controls on purpose.";

/// Turn the security controls of a Kubernetes cluster into a signed audit packet.
#[derive(Debug, Parser)]
#[command(name = "auditpack", version, about, long_about = None, after_help = EXIT_CODES)]
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
    /// Pack a sealed packet into one deterministic .tar.gz, or upload it to S3.
    Archive(archive::Args),
    /// List the packets of a folder or an S3 prefix, grouped by cluster.
    List(list::Args),
    /// Summarise Kubernetes audit logs.
    Auditlog(auditlog::Args),
    /// Show what changed between two snapshots or packets.
    Diff(diff::Args),
    /// Run the whole pipeline on the bundled example cluster.
    Demo(demo::Args),
    /// Print the version (with -o json: the build facts).
    Version(version::Args),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(completions::CompletionArgs),
    /// Print the man page, or write one per command into a folder.
    Man(completions::ManArgs),
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

/// Warns when the snapshot was taken outside the reporting period: the packet states it,
/// but whoever asked for that period should know that the evidence shows another time.
pub fn warn_outside_period(
    period: &auditpack::Period,
    collected_at: chrono::DateTime<chrono::Utc>,
) {
    let at = collected_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let span = format!(
        "{} to {}",
        period.start.format("%Y-%m-%d"),
        period.last().format("%Y-%m-%d")
    );
    match period.timing(collected_at) {
        auditpack::Timing::AfterPeriod => eprintln!(
            "auditpack: warning: the evidence was collected at {at}, after the reporting period {span} ended: the packet says so, but its snapshot shows the cluster as it is now, not as it was during that period"
        ),
        auditpack::Timing::BeforePeriod => eprintln!(
            "auditpack: warning: the evidence was collected at {at}, before the reporting period {span} began: the packet says so, but its snapshot shows nothing of that period"
        ),
        _ => {}
    }
}

/// The exit code of a verdict: 4 some control fails, 3 some is not-collected, 5 some is
/// partial, else 0 (see the module documentation). `incomplete` (kinds that could not be
/// read) makes a clean verdict 3.
pub fn verdict_code(findings: &auditpack::Findings, incomplete: bool) -> ExitCode {
    use auditpack::Status;
    match auditpack::overall(findings) {
        Status::Fail => ExitCode::from(4),
        Status::NotCollected => ExitCode::from(3),
        _ if incomplete => ExitCode::from(3),
        Status::Partial => ExitCode::from(5),
        _ => ExitCode::SUCCESS,
    }
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
        Command::List(a) => list::run(a),
        Command::Auditlog(a) => auditlog::run(a),
        Command::Diff(a) => diff::run(a),
        Command::Demo(a) => demo::run(a),
        Command::Version(a) => version::run(a),
        Command::Completions(a) => completions::completions(a),
        Command::Man(a) => completions::man(a),
    }
}

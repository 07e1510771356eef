//! `auditpack completions SHELL` and `auditpack man`: generated from the flags themselves
//! (clap_complete, clap_mangen), so they never drift from `--help`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::CommandFactory;

use super::output::print;

/// Flags of `auditpack completions`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  source <(auditpack completions bash)
  auditpack completions zsh > \"${fpath[1]}/_auditpack\"
  auditpack completions fish > ~/.config/fish/completions/auditpack.fish")]
pub struct CompletionArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Runs `auditpack completions`: prints the script.
pub fn completions(args: CompletionArgs) -> anyhow::Result<ExitCode> {
    let mut cmd = super::Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "auditpack", &mut buf);
    print(&String::from_utf8(buf).context("the completion script is UTF-8")?)?;
    Ok(ExitCode::SUCCESS)
}

/// Flags of `auditpack man`.
#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write one page per command into this folder (auditpack.1, auditpack-collect.1, …;
    /// created if absent) instead of printing auditpack.1.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Runs `auditpack man`.
pub fn man(args: ManArgs) -> anyhow::Result<ExitCode> {
    let cmd = super::Cli::command();
    match args.out {
        None => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut buf)?;
            print(&String::from_utf8(buf).context("the man page is UTF-8")?)?;
        }
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let mut written = 0;
            write_pages(cmd, &dir, &mut written)?;
            eprintln!("auditpack: wrote {written} man pages to {}", dir.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The page of `cmd` and of each of its subcommands (named `auditpack-SUB`, with the
/// synopsis `auditpack SUB`).
fn write_pages(
    cmd: clap::Command,
    dir: &std::path::Path,
    written: &mut usize,
) -> anyhow::Result<()> {
    let cmd = cmd.disable_help_subcommand(true);
    let name = cmd.get_display_name().unwrap_or(cmd.get_name()).to_string();
    let bin = cmd.get_bin_name().unwrap_or(cmd.get_name()).to_string();
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .source(concat!("auditpack ", env!("CARGO_PKG_VERSION")))
        .render(&mut buf)?;
    let path = dir.join(format!("{name}.1"));
    std::fs::write(&path, buf).with_context(|| format!("cannot write {}", path.display()))?;
    *written += 1;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let sub = sub
            .clone()
            .display_name(format!("{name}-{}", sub.get_name()))
            .bin_name(format!("{bin} {}", sub.get_name()));
        write_pages(sub, dir, written)?;
    }
    Ok(())
}
